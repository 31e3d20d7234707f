//! Copy-on-write of staged files at the WASI boundary: a stage's files are hard links of the
//! user's live files (`staging`), so before a guest may change one in place (open it for
//! writing, truncate it, set its times) the stage replaces it with a copy of itself. The
//! guest never holds a writable descriptor of a live file of a staged user.
//!
//! Writes through a descriptor (`write`, `set-size`, the write streams) need a descriptor
//! opened for writing, which `open-at` unshared first; the kernel refuses them on a
//! read-only descriptor. `set-times` works on any descriptor, so it is refused on a file that
//! is still shared.

use wasmtime::component::{Linker, LinkerInstance, Resource};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    DescriptorFlags, ErrorCode, HostDescriptor, NewTimestamp, OpenFlags, PathFlags,
};

use super::host_state::HostState;
use super::plugin::WASI_FILESYSTEM_TYPES;
use super::read_cache::fs_result;

/// Whether an `open-at` with these flags may change an existing file in place.
pub(super) fn opens_for_writing(open_flags: OpenFlags, flags: DescriptorFlags) -> bool {
    flags.contains(DescriptorFlags::WRITE)
        || open_flags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE)
}

/// Unshares the file `path` under the directory descriptor `dir` when the invocation writes
/// into a stage; the error to answer the guest with when that cannot be done.
pub(super) fn unshare_at(
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
    let unshared = descriptor
        .dir
        .try_clone()
        .map(cap_std::fs::Dir::from_std_file)
        .and_then(|dir| stage.unshare(&dir, path, path_flags.contains(PathFlags::SYMLINK_FOLLOW)));
    unshared.map_err(|error| match error.kind() {
        std::io::ErrorKind::PermissionDenied => ErrorCode::NotPermitted,
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            ErrorCode::InsufficientSpace
        }
        _ => ErrorCode::Io,
    })
}

/// Shadows `set-times-at` (unshares first) and `set-times` (refused on a shared file).
/// `open-at` unshares in the read-watching shadow (`read_cache::track_reads`), which is the
/// one the linker serves.
fn unshare_before_set_times(types: &mut LinkerInstance<'_, HostState>) -> wasmtime::Result<()> {
    types.func_wrap_async(
        "[method]descriptor.set-times-at",
        |mut store: wasmtime::StoreContextMut<'_, HostState>,
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
                let set = HostDescriptor::set_times_at(
                    &mut state.filesystem(),
                    dir,
                    path_flags,
                    path,
                    accessed,
                    modified,
                )
                .await;
                Ok((fs_result(set)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.set-times",
        |mut store: wasmtime::StoreContextMut<'_, HostState>,
         (descriptor, accessed, modified): (Resource<Descriptor>, NewTimestamp, NewTimestamp)| {
            Box::new(async move {
                let state = store.data_mut();
                if let (Some(stage), Ok(Descriptor::File(file))) =
                    (&state.stage, state.table.get(&descriptor))
                    && file.file.metadata().is_ok_and(|m| stage.shares(&m))
                {
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let set = HostDescriptor::set_times(
                    &mut state.filesystem(),
                    descriptor,
                    accessed,
                    modified,
                )
                .await;
                Ok((fs_result(set)?,))
            })
        },
    )?;
    Ok(())
}

/// Adds the shadows of [`unshare_before_set_times`] to the linker.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    unshare_before_set_times(&mut linker.instance(WASI_FILESYSTEM_TYPES)?)?;
    linker.allow_shadowing(false);
    Ok(())
}
