//! File reads and writes through WASI descriptor calls.
//!
//! wasi-libc reads and writes files through WASI streams, which wasmtime serves on a blocking
//! thread pool: a thread hop per call. The descriptor-level `read`/`write` calls run on the
//! calling thread when the host allows it, so whole-file I/O goes through them.

use std::io;
use std::path::{Component, Path};

use wasip2::filesystem::preopens::get_directories;
use wasip2::filesystem::types::{Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags};

/// The first read asks for this much: the host allocates and zeroes a buffer of the asked
/// size, and most data files (`user.conf`, a key) are far smaller, so one read returns the
/// whole file; a short read means end of file, so no `stat` and no second read are needed.
const FIRST_CHUNK: u64 = 16 << 10;
/// Later reads of a larger file (a long `web.conf`) ask for this much at a time.
const CHUNK: u64 = 64 << 10;

fn error(code: ErrorCode) -> io::Error {
    let kind = match code {
        ErrorCode::NoEntry => io::ErrorKind::NotFound,
        ErrorCode::Access | ErrorCode::NotPermitted => io::ErrorKind::PermissionDenied,
        ErrorCode::ReadOnly => io::ErrorKind::ReadOnlyFilesystem,
        ErrorCode::Exist => io::ErrorKind::AlreadyExists,
        ErrorCode::InsufficientSpace => io::ErrorKind::StorageFull,
        ErrorCode::Quota => io::ErrorKind::QuotaExceeded,
        ErrorCode::IsDirectory => io::ErrorKind::IsADirectory,
        ErrorCode::NotDirectory => io::ErrorKind::NotADirectory,
        ErrorCode::Invalid => io::ErrorKind::InvalidInput,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, format!("{code:?}"))
}

/// Opens `path` relative to the deepest preopen that contains it.
fn open(path: &Path, open_flags: OpenFlags, flags: DescriptorFlags) -> io::Result<Descriptor> {
    open_following(path, PathFlags::SYMLINK_FOLLOW, open_flags, flags)
}

/// Opens `path` relative to the deepest preopen that contains it; `path_flags` says whether
/// a symbolic link at its end is followed.
fn open_following(
    path: &Path,
    path_flags: PathFlags,
    open_flags: OpenFlags,
    flags: DescriptorFlags,
) -> io::Result<Descriptor> {
    let (directory, relative) = locate(path)?;
    directory
        .open_at(path_flags, &relative, open_flags, flags)
        .map_err(error)
}

/// Whether `path` names anything (a symbolic link counts as itself), asked by identity
/// rather than by `stat`: the host's read cache watches identities, not access times.
pub fn exists(path: &Path) -> io::Result<bool> {
    let (directory, relative) = locate(path)?;
    // The mount point itself.
    let relative = if relative.is_empty() { "." } else { &relative };
    match directory.metadata_hash_at(PathFlags::empty(), relative) {
        Ok(_) => Ok(true),
        Err(ErrorCode::NoEntry) => Ok(false),
        Err(code) => Err(error(code)),
    }
}

/// The deepest preopen that contains `path`, and `path` relative to it.
fn locate(path: &Path) -> io::Result<(Descriptor, String)> {
    let mut best: Option<(Descriptor, String)> = None;
    for (descriptor, mount) in get_directories() {
        let deeper = best
            .as_ref()
            .is_none_or(|(_, current)| mount.len() > current.len());
        if path.starts_with(Path::new(&mount)) && deeper {
            best = Some((descriptor, mount));
        }
    }
    let (directory, mount) = best.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
    let relative = path
        .strip_prefix(&mount)
        .map_err(|_| io::Error::from(io::ErrorKind::NotFound))?;
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    let relative = relative
        .to_str()
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok((directory, relative.to_string()))
}

/// The whole file at `path`.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = open(path, OpenFlags::empty(), DescriptorFlags::READ)?;
    let mut contents = Vec::new();
    let mut asked = FIRST_CHUNK;
    loop {
        let (chunk, end) = file.read(asked, contents.len() as u64).map_err(error)?;
        let short = (chunk.len() as u64) < asked;
        asked = CHUNK;
        contents.extend_from_slice(&chunk);
        if end || short {
            return Ok(contents);
        }
    }
}

/// Whether `path` lies in a mount the host stages for this command (not for a nested command
/// running in its caller's stage: its failure does not throw that stage away).
pub fn is_staged(path: &Path) -> bool {
    static STAGED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let staged = STAGED.get_or_init(|| {
        std::env::var(super::STAGED_MOUNTS_VARIABLE)
            .map(|mounts| mounts.split(':').map(str::to_string).collect())
            .unwrap_or_default()
    });
    staged
        .iter()
        .any(|mount| !mount.is_empty() && path.starts_with(mount))
}

/// Rewrites the file at `path` in place with `contents` (created when missing): written from
/// the start, then cut to their length. A symbolic link at `path` is not followed (an
/// error). On an error the file may be left half-written.
pub fn write_in_place(path: &Path, contents: &[u8]) -> io::Result<()> {
    let file = open_following(
        path,
        PathFlags::empty(),
        OpenFlags::CREATE,
        DescriptorFlags::READ | DescriptorFlags::WRITE,
    )?;
    write_all_at(&file, contents, 0)?;
    file.set_size(contents.len() as u64).map_err(error)
}

/// Writes all of `contents` at `offset` of `file`.
fn write_all_at(file: &Descriptor, contents: &[u8], mut offset: u64) -> io::Result<()> {
    let mut rest = contents;
    while !rest.is_empty() {
        let take = rest.len().min(CHUNK as usize);
        let written = file.write(&rest[..take], offset).map_err(error)?;
        if written == 0 {
            return Err(io::Error::from(io::ErrorKind::WriteZero));
        }
        offset += written;
        rest = &rest[written as usize..];
    }
    Ok(())
}

/// Replaces the file at `path` with `contents`, or with `append` adds them at its end;
/// `sync` makes the data durable before returning.
pub fn write(path: &Path, contents: &[u8], append: bool, sync: bool) -> io::Result<()> {
    let open_flags = if append {
        OpenFlags::CREATE
    } else {
        OpenFlags::CREATE | OpenFlags::TRUNCATE
    };
    let file = open(
        path,
        open_flags,
        DescriptorFlags::READ | DescriptorFlags::WRITE,
    )?;
    let offset = if append {
        file.stat().map_err(error)?.size
    } else {
        0
    };
    write_all_at(&file, contents, offset)?;
    if sync {
        file.sync_data().map_err(error)?;
    }
    Ok(())
}
