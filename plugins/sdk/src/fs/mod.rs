//! Reading and writing data files inside the granted directories.
//!
//! Writes go to a temporary file in the same directory, are synced, and replace the target
//! with a rename, so a reader never sees a half-written file; inside the command's own staged
//! mount, which no reader sees before the host commits it whole (and which the host throws
//! away when the command fails), they rewrite the file in place.

use std::fs;
use std::io;
use std::path::Path;

use crate::CmdError;
use crate::conf::{self, Record};

#[cfg(target_os = "wasi")]
mod wasi;

/// The environment variable in which the host names a command's own staged mounts
/// (`:`-separated guest paths), where [`write_atomic`] rewrites files in place.
pub const STAGED_MOUNTS_VARIABLE: &str = "HEARTH_STAGED_MOUNTS";

/// The whole file as text. Inside the sandbox this uses WASI descriptor reads, which run on
/// the calling thread (wasi-libc's stream reads hop to a thread pool).
pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref();
    #[cfg(target_os = "wasi")]
    let bytes = wasi::read(path)?;
    #[cfg(not(target_os = "wasi"))]
    let bytes = fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Replaces (or, with `append`, extends) the file at `path`; `sync` makes it durable.
fn write_file(path: &Path, contents: &[u8], append: bool, sync: bool) -> io::Result<()> {
    #[cfg(target_os = "wasi")]
    {
        wasi::write(path, contents, append, sync)
    }
    #[cfg(not(target_os = "wasi"))]
    {
        use std::io::Write;
        let mut file = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(path)?;
        file.write_all(contents)?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// Reads a source-layout file (`user.conf`, `hestia.conf`, ...).
pub fn read_source(path: &Path) -> Result<Record, CmdError> {
    let text = read_to_string(path)?;
    Ok(conf::parse_source(&text)?)
}

/// Reads an object-list file (`web.conf`, ...); a missing file is an empty list.
pub fn read_list(path: &Path) -> Result<Vec<Record>, CmdError> {
    match read_to_string(path) {
        Ok(text) => Ok(conf::parse_list(&text)?),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error.into()),
    }
}

/// Writes a source-layout file atomically.
pub fn write_source(path: &Path, record: &Record) -> Result<(), CmdError> {
    write_atomic(path, record.to_source()?.as_bytes())
}

/// Writes an object-list file atomically.
pub fn write_list(path: &Path, records: &[Record]) -> Result<(), CmdError> {
    write_atomic(path, conf::write_list(records)?.as_bytes())
}

/// Replaces `path` with `contents`: temporary file, sync, rename. Inside the command's own
/// staged mount (the host commits the whole stage or, when the command fails, none of it)
/// the file is rewritten in place instead, which makes no new file on the host; where that
/// fails (a symbolic link at `path`, a read-only file, a full disk midway) the temporary
/// file and the rename still give the whole new file or an error. After an error the file
/// may be half-written in the stage: the command must fail, and its stage is thrown away.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), CmdError> {
    #[cfg(target_os = "wasi")]
    if wasi::is_staged(path) && wasi::write_in_place(path, contents).is_ok() {
        return Ok(());
    }
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    write_file(&temporary, contents, false, true)?;
    fs::rename(&temporary, path)?;
    Ok(())
}

/// Appends `contents` to the file at `path` (created when missing) when it lies in the
/// command's own staged mount, where the host commits the whole stage or none of it, so the
/// append is all or nothing as a [`write_atomic`] is. Returns `false` elsewhere, having
/// written nothing: the caller writes the whole file with [`write_atomic`] instead.
pub fn append_staged(path: &Path, contents: &[u8]) -> Result<bool, CmdError> {
    #[cfg(target_os = "wasi")]
    if wasi::is_staged(path) {
        write_file(path, contents, true, false)?;
        return Ok(true);
    }
    let _ = (path, contents);
    Ok(false)
}

/// Appends one line to a file, creating it when missing.
pub fn append_line(path: &Path, line: &str) -> Result<(), CmdError> {
    write_file(path, format!("{line}\n").as_bytes(), true, false)?;
    Ok(())
}

/// Whether a path exists (as anything).
pub fn exists(path: &Path) -> bool {
    #[cfg(target_os = "wasi")]
    if let Ok(found) = wasi::exists(path) {
        return found;
    }
    fs::symlink_metadata(path).is_ok()
}
