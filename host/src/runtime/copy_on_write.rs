//! Copy-on-write of staged files at the WASI boundary: a stage's files are hard links of the
//! user's live files (`staging`), so before a guest may change one in place (open it for
//! writing, set its times) or give it another name (link or move it, perhaps out of the
//! stage) the stage replaces it with a copy of itself (`Stage::unshare`). The guest never
//! holds a writable descriptor of a live file of a staged user: an `open-at` for writing is
//! made without `O_TRUNC`, its descriptor is refused if it still reaches a linked file, and
//! the truncation is done on the checked descriptor.
//!
//! Writes through a descriptor (`write`, `set-size`, the write streams) need a descriptor
//! opened for writing; the kernel refuses them on a read-only one. `set-times` works on any
//! descriptor, so it is refused on a file that is still linked.

use wasmtime::component::{Linker, LinkerInstance, Resource};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    DescriptorFlags, ErrorCode, HostDescriptor, NewTimestamp, OpenFlags, PathFlags,
};

use super::host_state::HostState;
use super::plugin::WASI_FILESYSTEM_TYPES;
use super::read_cache::fs_result;

/// Whether an `open-at` with these flags opens for writing (wasmtime-wasi opens the file
/// writable for any of them).
fn opens_for_writing(open_flags: OpenFlags, flags: DescriptorFlags) -> bool {
    flags.contains(DescriptorFlags::WRITE)
        || open_flags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE)
}

/// Unshares the file `path` under the directory descriptor `dir` when the invocation writes
/// into a stage and the descriptor may write (a read-only one is refused by the call itself,
/// and must not make the host replace anything); the error to answer the guest with when
/// that cannot be done.
fn unshare_at(
    state: &HostState,
    dir: &Resource<Descriptor>,
    path_flags: PathFlags,
    path: &str,
) -> Result<(), ErrorCode> {
    let Some(stage) = &state.stage else {
        return Ok(());
    };
    let Ok(Descriptor::Dir(descriptor)) = state.table.get(dir) else {
        // Not a directory: the real call answers the error.
        return Ok(());
    };
    if descriptor.perms.write_not_permitted() {
        return Ok(());
    }
    let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
    let unshared = stage.unshare(&*descriptor.dir, path, follow);
    unshared.map_err(|error| match error.kind() {
        std::io::ErrorKind::PermissionDenied => ErrorCode::NotPermitted,
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            ErrorCode::InsufficientSpace
        }
        std::io::ErrorKind::NotFound => ErrorCode::NoEntry,
        _ => ErrorCode::Io,
    })
}

/// Whether `descriptor` is an open file that is still one of the stage's links.
fn still_shared(state: &HostState, descriptor: &Resource<Descriptor>) -> bool {
    match (&state.stage, state.table.get(descriptor)) {
        (Some(stage), Ok(Descriptor::File(file))) => {
            file.file.metadata().is_ok_and(|m| stage.shares(&m))
        }
        _ => false,
    }
}

/// `open-at` as the guest asked, with copy-on-write when the invocation writes into a stage
/// and opens for writing (see the module documentation).
pub(super) async fn open_at(
    state: &mut HostState,
    parent: Resource<Descriptor>,
    path_flags: PathFlags,
    path: String,
    open_flags: OpenFlags,
    flags: DescriptorFlags,
) -> wasmtime::Result<Result<Resource<Descriptor>, ErrorCode>> {
    let guarded = state.stage.is_some()
        && opens_for_writing(open_flags, flags)
        && !open_flags.contains(OpenFlags::DIRECTORY);
    if guarded && let Err(code) = unshare_at(state, &parent, path_flags, &path) {
        return Ok(Err(code));
    }
    // Truncating is writing: done below, once the descriptor is known not to reach a live
    // file. Without it the open must stay writable (and readable, as wasmtime-wasi opens a
    // file it truncates without the write flag).
    let truncate = guarded && open_flags.contains(OpenFlags::TRUNCATE);
    let (open_flags, flags) = if truncate && !flags.contains(DescriptorFlags::WRITE) {
        (
            open_flags & !OpenFlags::TRUNCATE,
            flags | DescriptorFlags::WRITE | DescriptorFlags::READ,
        )
    } else if truncate {
        (open_flags & !OpenFlags::TRUNCATE, flags)
    } else {
        (open_flags, flags)
    };
    let view = &mut state.filesystem();
    let opened = HostDescriptor::open_at(view, parent, path_flags, path, open_flags, flags).await;
    let descriptor = match fs_result(opened)? {
        Ok(descriptor) if guarded => descriptor,
        answer => return Ok(answer),
    };
    let refused = match (&state.stage, state.table.get(&descriptor)) {
        (Some(stage), Ok(Descriptor::File(file))) => match file.file.metadata() {
            Ok(metadata) if stage.shares(&metadata) => Some(ErrorCode::NotPermitted),
            // Only a file with contents: truncating an empty one (a file just created, as
            // the kernel skips for O_TRUNC) makes ext4 flush it when it is closed.
            Ok(metadata) if truncate && metadata.len() > 0 => {
                file.file.set_len(0).err().map(|_| ErrorCode::Io)
            }
            Ok(_) => None,
            Err(_) => Some(ErrorCode::Io),
        },
        _ => None,
    };
    match refused {
        None => Ok(Ok(descriptor)),
        Some(code) => {
            state.table.delete(descriptor)?;
            Ok(Err(code))
        }
    }
}

/// Shadows `set-times-at` (unshares first), `set-times` (refused on a still-linked file),
/// `link-at` and `rename-at` (the file they name is unshared first: a linked file must not
/// get a name outside the stage, where nothing would unshare it).
fn unshare_before_changes(types: &mut LinkerInstance<'_, HostState>) -> wasmtime::Result<()> {
    type Store<'a> = wasmtime::StoreContextMut<'a, HostState>;
    types.func_wrap_async(
        "[method]descriptor.set-times-at",
        |mut store: Store<'_>,
         (dir, path_flags, path, accessed, modified): (
            Resource<Descriptor>,
            PathFlags,
            String,
            NewTimestamp,
            NewTimestamp,
        )| {
            Box::new(async move {
                let state = store.data_mut();
                if let Err(code) = unshare_at(state, &dir, path_flags, &path) {
                    return Ok((Err(code),));
                }
                let view = &mut state.filesystem();
                let set =
                    HostDescriptor::set_times_at(view, dir, path_flags, path, accessed, modified)
                        .await;
                Ok((fs_result(set)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.set-times",
        |mut store: Store<'_>,
         (descriptor, accessed, modified): (Resource<Descriptor>, NewTimestamp, NewTimestamp)| {
            Box::new(async move {
                let state = store.data_mut();
                if still_shared(state, &descriptor) {
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let view = &mut state.filesystem();
                let set = HostDescriptor::set_times(view, descriptor, accessed, modified).await;
                Ok((fs_result(set)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.link-at",
        |mut store: Store<'_>,
         (dir, path_flags, path, new_dir, new_path): (
            Resource<Descriptor>,
            PathFlags,
            String,
            Resource<Descriptor>,
            String,
        )| {
            Box::new(async move {
                let state = store.data_mut();
                if let Err(code) = unshare_at(state, &dir, path_flags, &path) {
                    return Ok((Err(code),));
                }
                let view = &mut state.filesystem();
                let linked =
                    HostDescriptor::link_at(view, dir, path_flags, path, new_dir, new_path).await;
                Ok((fs_result(linked)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.rename-at",
        |mut store: Store<'_>,
         (dir, path, new_dir, new_path): (
            Resource<Descriptor>,
            String,
            Resource<Descriptor>,
            String,
        )| {
            Box::new(async move {
                let state = store.data_mut();
                // A rename moves the name itself, never what a link points to.
                if let Err(code) = unshare_at(state, &dir, PathFlags::empty(), &path) {
                    return Ok((Err(code),));
                }
                let view = &mut state.filesystem();
                let renamed = HostDescriptor::rename_at(view, dir, path, new_dir, new_path).await;
                Ok((fs_result(renamed)?,))
            })
        },
    )?;
    Ok(())
}

/// Adds the shadows of [`unshare_before_changes`] to the linker (`open-at` is shadowed with
/// the read watch, `read_cache::track_reads`, and comes here through [`open_at`]).
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    unshare_before_changes(&mut linker.instance(WASI_FILESYSTEM_TYPES)?)?;
    linker.allow_shadowing(false);
    Ok(())
}
