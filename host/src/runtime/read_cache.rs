//! Memoized reads: the answer of a command that ran under a read-only grant and only read
//! files is kept with the stamp of every file and directory it opened or listed (and of
//! every name it found missing), and is given again, without running the plugin, while each
//! of those still holds. A run that asked for anything the stamps cannot vouch for (the
//! time, randomness, access times or link targets, any hearth host interface) or met a
//! failed read is not kept.
//!
//! The run is watched at the WASI boundary, so a plugin cannot lie about what it read: the
//! linker's `open-at`, `read-directory`, `metadata-hash(-at)` and `get-directories` note
//! what they hand out, and the clocks, random sources, `stat`, `stat-at`, `readlink-at` and
//! the hearth interfaces mark the run as untracked ([`track_reads`]). Stamps are taken from the descriptor the guest got (not
//! from the path afterwards), and a stamp younger than [`RACY_WINDOW`] is not trusted.
//!
//! [`RACY_WINDOW`]: crate::stamp::RACY_WINDOW

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksCtxView, WasiClocksView};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    DescriptorFlags, ErrorCode, HostDescriptor, OpenFlags, PathFlags,
};
use wasmtime_wasi::random::{WasiRandom, WasiRandomCtx};

use super::Outcome;
use super::copy_on_write;
use super::host_state::HostState;
use super::plugin::WASI_FILESYSTEM_TYPES;
use crate::grant::{Grant, Permission};
use crate::stamp::Stamp;

/// How many answers are kept, and how many bytes (answers and what they were read from) in
/// all; past either, entries are dropped one at a time, so arguments that come and go can
/// neither grow the cache nor wipe it at once.
const MAX_ENTRIES: usize = 4096;
const MAX_BYTES: usize = 32 << 20;
/// Larger answers are not kept: copying them costs more than the run saves.
const MAX_OUTPUT: usize = 256 << 10;
/// Invocations with longer arguments than this in all are not memoized.
const MAX_ARGS: usize = 4 << 10;
/// A run that looks at more than this many paths is not kept (a huge listing).
const MAX_INPUTS: usize = 4096;

/// What a run's answer depends on besides the files: the plugin version, the invocation the
/// guest receives, and the directories it is shown; kept as their sha256, so that neither
/// long arguments nor secrets in them stay in memory.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) struct ReadKey([u8; 32]);

impl ReadKey {
    /// The key of an invocation that may be memoized: no stage and only read-only
    /// directories (a command that may write has effects beyond its answer), and short
    /// arguments.
    pub(crate) fn for_invocation(
        plugin_sha256: &str,
        command: &str,
        args: &[String],
        root_user: &str,
        grant: &Grant,
    ) -> Option<Self> {
        use sha2::{Digest, Sha256};
        let read_only = grant
            .preopens()
            .iter()
            .all(|preopen| preopen.permission == Permission::ReadOnly);
        let short = args.iter().map(String::len).sum::<usize>() <= MAX_ARGS;
        if !(read_only && short && grant.stage().is_none()) {
            return None;
        }
        let mut hasher = Sha256::new();
        // Each part with its length, so that no two invocations hash the same parts.
        let mut part = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        part(plugin_sha256.as_bytes());
        part(command.as_bytes());
        part(root_user.as_bytes());
        part(&(args.len() as u64).to_le_bytes());
        for arg in args {
            part(arg.as_bytes());
        }
        for preopen in grant.preopens() {
            part(preopen.host.as_os_str().as_encoded_bytes());
            part(preopen.guest.as_bytes());
        }
        Some(Self(hasher.finalize().into()))
    }
}

/// One thing a run looked at: a host path and the stamp it had, or `None` when the guest
/// asked for it and it did not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Input {
    path: PathBuf,
    seen: Option<Stamp>,
}

impl Input {
    fn still_holds(&self) -> bool {
        match &self.seen {
            Some(seen) => std::fs::metadata(&self.path)
                .is_ok_and(|metadata| Stamp::of_std(&metadata) == *seen),
            // Not even a dangling link may have appeared there.
            None => std::fs::symlink_metadata(&self.path)
                .is_err_and(|error| error.kind() == std::io::ErrorKind::NotFound),
        }
    }

    /// About what it costs to keep.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.path.as_os_str().len()
    }
}

struct Memo {
    inputs: Vec<Input>,
    outcome: Outcome,
}

impl Memo {
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.outcome.output.len()
            + self.inputs.iter().map(Input::bytes).sum::<usize>()
    }
}

#[derive(Default)]
struct Entries {
    map: HashMap<ReadKey, Arc<Memo>>,
    bytes: usize,
}

/// The memoized answers of one runtime.
#[derive(Default)]
pub(crate) struct ReadCache {
    entries: Mutex<Entries>,
    /// Answers given from the cache so far.
    hits: std::sync::atomic::AtomicU64,
}

impl ReadCache {
    /// The kept answer for `key`, if every input it was read from is unchanged.
    pub(crate) fn lookup(&self, key: &ReadKey) -> Option<Outcome> {
        let memo = self.lock().map.get(key).cloned()?;
        if memo.inputs.iter().all(Input::still_holds) {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Some(memo.outcome.clone());
        }
        let mut entries = self.lock();
        if entries
            .map
            .get(key)
            .is_some_and(|current| Arc::ptr_eq(current, &memo))
        {
            entries.map.remove(key);
            entries.bytes -= memo.bytes();
        }
        None
    }

    /// Keeps a successful answer and what it was read from; says whether it did (a failure
    /// or a long answer is not kept).
    pub(crate) fn keep(&self, key: ReadKey, inputs: Vec<Input>, outcome: &Outcome) -> bool {
        if outcome.code != 0 || outcome.output.len() > MAX_OUTPUT {
            return false;
        }
        let memo = Arc::new(Memo {
            inputs,
            outcome: Outcome {
                memoized: true,
                ..outcome.clone()
            },
        });
        let size = memo.bytes();
        let mut entries = self.lock();
        if let Some(replaced) = entries.map.remove(&key) {
            entries.bytes -= replaced.bytes();
        }
        // Whichever entry iteration meets first goes: no order to keep up per hit.
        while entries.map.len() >= MAX_ENTRIES || entries.bytes + size > MAX_BYTES {
            let Some(victim) = entries.map.keys().next().copied() else {
                break;
            };
            if let Some(dropped) = entries.map.remove(&victim) {
                entries.bytes -= dropped.bytes();
            }
        }
        entries.bytes += size;
        entries.map.insert(key, memo);
        true
    }

    /// How many answers were given from the cache.
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Forgets every answer (plugins were swapped).
    pub(crate) fn clear(&self) {
        *self.lock() = Entries::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What one run has looked at so far; kept in its store while it runs.
pub(crate) struct ReadLog {
    /// Preopened directories: guest name, host path, and whether the directory the sandbox
    /// holds was found to be the one at that path (the sandbox holds it for the whole run,
    /// so once is enough).
    preopens: Vec<(String, PathBuf, bool)>,
    /// Host path of every descriptor handed out so far, by resource handle.
    descriptors: HashMap<u32, PathBuf>,
    inputs: Vec<Input>,
    untracked: bool,
    /// Set by the `get-directories` shadow: the run's file access went through the watched
    /// functions. A run without it (no file access at all, or shadows that did not take
    /// because the WASI version moved) is not kept.
    watched: bool,
}

impl ReadLog {
    pub(crate) fn new(grant: &Grant) -> Self {
        Self {
            preopens: grant
                .preopens()
                .iter()
                .map(|preopen| (preopen.guest.clone(), preopen.host.clone(), false))
                .collect(),
            descriptors: HashMap::new(),
            inputs: Vec::new(),
            untracked: false,
            watched: false,
        }
    }

    /// The run consulted something no stamp covers.
    pub(crate) fn untracked(&mut self) {
        self.untracked = true;
    }

    /// What the run read, if its answer depends on nothing else.
    pub(crate) fn into_inputs(self) -> Option<Vec<Input>> {
        (self.watched && !self.untracked && self.inputs.len() <= MAX_INPUTS).then_some(self.inputs)
    }

    /// Notes a preopened directory handed out; `metadata` gives its descriptor's. A directory
    /// swapped (by a commit) since the sandbox opened it is not what its path names now.
    fn preopened(
        &mut self,
        handle: u32,
        guest: &str,
        metadata: impl FnOnce() -> std::io::Result<std::fs::Metadata>,
    ) {
        use std::os::unix::fs::MetadataExt;
        self.watched = true;
        let Some((_, host, checked)) = self.preopens.iter_mut().find(|(name, ..)| name == guest)
        else {
            return self.untracked();
        };
        if !*checked {
            let identity = |metadata: &std::fs::Metadata| (metadata.dev(), metadata.ino());
            *checked = match (metadata(), std::fs::metadata(&*host)) {
                (Ok(opened), Ok(named)) => identity(&opened) == identity(&named),
                _ => false,
            };
            if !*checked {
                return self.untracked();
            }
        }
        let host = host.clone();
        self.descriptors.insert(handle, host);
    }

    /// Notes an `open-at` under the descriptor `parent` and what came of it.
    fn opened(
        &mut self,
        parent: u32,
        path: &str,
        result: Result<(u32, std::io::Result<std::fs::Metadata>), ErrorCode>,
    ) {
        let Some(host) = self.descriptors.get(&parent).map(|dir| dir.join(path)) else {
            return self.untracked();
        };
        match result {
            Ok((handle, metadata)) => {
                self.seen(host.clone(), metadata);
                self.descriptors.insert(handle, host);
            }
            Err(ErrorCode::NoEntry) => self.absent(host),
            Err(_) => self.untracked(),
        }
    }

    fn absent(&mut self, path: PathBuf) {
        if self.inputs.len() >= MAX_INPUTS {
            return self.untracked();
        }
        self.inputs.push(Input { path, seen: None });
    }

    /// The host path of `path` under the descriptor `dir`, if `dir` is known.
    fn path_under(&self, dir: u32, path: &str) -> Option<PathBuf> {
        self.descriptors.get(&dir).map(|host| host.join(path))
    }

    /// Notes a lookup by path whose answer depends only on what the path names: the same
    /// stamp before and after it (or nothing there both times, and the lookup said so).
    fn looked_up(
        &mut self,
        path: PathBuf,
        before: std::io::Result<std::fs::Metadata>,
        after: std::io::Result<std::fs::Metadata>,
        failed: Option<ErrorCode>,
    ) {
        let stamps = |metadata: &std::io::Result<std::fs::Metadata>| {
            metadata.as_ref().ok().map(Stamp::of_std)
        };
        let absent = |metadata: &std::io::Result<std::fs::Metadata>| matches!(metadata, Err(error) if error.kind() == std::io::ErrorKind::NotFound);
        match failed {
            None if stamps(&before).is_some() && stamps(&before) == stamps(&after) => {
                self.seen(path, after)
            }
            Some(ErrorCode::NoEntry) if absent(&before) && absent(&after) => self.absent(path),
            _ => self.untracked(),
        }
    }

    /// Notes the stamp of a descriptor's object (a directory listed: its stamp changes with
    /// its entries; or an identity asked).
    fn descriptor_seen(&mut self, handle: u32, metadata: std::io::Result<std::fs::Metadata>) {
        match self.descriptors.get(&handle).cloned() {
            Some(host) => self.seen(host, metadata),
            None => self.untracked(),
        }
    }

    fn seen(&mut self, path: PathBuf, metadata: std::io::Result<std::fs::Metadata>) {
        // A FIFO or a device gives what no stamp covers.
        let stamp = match metadata {
            Ok(metadata) if metadata.is_file() || metadata.is_dir() => Stamp::of_std(&metadata),
            _ => return self.untracked(),
        };
        if !stamp.trustworthy(SystemTime::now()) || self.inputs.len() >= MAX_INPUTS {
            return self.untracked();
        }
        self.inputs.push(Input {
            path,
            seen: Some(stamp),
        });
    }
}

/// A WASI filesystem result as the guest gets it: the value or the error code (a trap stays
/// a trap).
pub(super) fn fs_result<T>(
    result: Result<T, wasmtime_wasi::p2::FsError>,
) -> wasmtime::Result<Result<T, ErrorCode>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => Ok(Err(error.downcast()?)),
    }
}

/// Like [`fs_result`]; a failure also means the run is not kept (an error the guest turned
/// into a code-0 answer is explained by no stamp).
fn fs_result_or_untracked<T>(
    state: &mut HostState,
    result: Result<T, wasmtime_wasi::p2::FsError>,
) -> wasmtime::Result<Result<T, ErrorCode>> {
    let result = fs_result(result)?;
    if result.is_err() {
        state.untracked_input();
    }
    Ok(result)
}

/// Notes, in a watched run, the stamp of what `descriptor` holds open under its path.
fn stamp_descriptor(state: &mut HostState, descriptor: &Resource<Descriptor>) {
    if let Some(log) = &mut state.reads {
        log.descriptor_seen(
            descriptor.rep(),
            descriptor_metadata(&state.table, descriptor),
        );
    }
}

/// The metadata of what a descriptor holds open.
fn descriptor_metadata(
    table: &wasmtime::component::ResourceTable,
    descriptor: &Resource<Descriptor>,
) -> std::io::Result<std::fs::Metadata> {
    match table.get(descriptor) {
        Ok(Descriptor::File(file)) => file.file.metadata(),
        Ok(Descriptor::Dir(dir)) => dir.dir.metadata(),
        Err(_) => Err(std::io::ErrorKind::NotFound.into()),
    }
}

/// The metadata of a host path; without `follow` a symbolic link counts as not watchable.
fn host_metadata(path: &std::path::Path, follow: bool) -> std::io::Result<std::fs::Metadata> {
    if follow {
        return std::fs::metadata(path);
    }
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.file_type().is_symlink() {
        return Err(std::io::ErrorKind::Unsupported.into());
    }
    Ok(metadata)
}

/// The WASI preopens package the linker serves, of the same version as
/// [`WASI_FILESYSTEM_TYPES`]. Should wasmtime-wasi move on, these shadows would stand beside
/// the real functions unused; no run would then be watched, and none kept.
const WASI_FILESYSTEM_PREOPENS: &str = "wasi:filesystem/preopens@0.2.12";

/// Shadows the WASI functions through which a run could learn anything, so that a run with
/// a [`ReadLog`] notes it (a run without one is served as before).
pub(super) fn track_reads(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::{clocks, random};
    linker.allow_shadowing(true);
    // Time and randomness: served as before, the run is no longer memoizable.
    fn untracked_clocks(state: &mut HostState) -> WasiClocksCtxView<'_> {
        state.untracked_input();
        state.clocks()
    }
    fn untracked_random(state: &mut HostState) -> &mut WasiRandomCtx {
        state.untracked_input();
        state.wasi.random()
    }
    clocks::wall_clock::add_to_linker::<HostState, WasiClocks>(linker, untracked_clocks)?;
    clocks::monotonic_clock::add_to_linker::<HostState, WasiClocks>(linker, untracked_clocks)?;
    random::random::add_to_linker::<HostState, WasiRandom>(linker, untracked_random)?;
    random::insecure::add_to_linker::<HostState, WasiRandom>(linker, untracked_random)?;
    random::insecure_seed::add_to_linker::<HostState, WasiRandom>(linker, untracked_random)?;

    linker.instance(WASI_FILESYSTEM_PREOPENS)?.func_wrap(
        "get-directories",
        |mut store, (): ()| {
            use wasmtime_wasi::p2::bindings::filesystem::preopens::Host;
            let state = store.data_mut();
            let directories = state.filesystem().get_directories()?;
            if let Some(log) = &mut state.reads {
                let table = &state.table;
                for (descriptor, guest) in &directories {
                    log.preopened(descriptor.rep(), guest, || {
                        descriptor_metadata(table, descriptor)
                    });
                }
            }
            Ok((directories,))
        },
    )?;

    let mut types = linker.instance(WASI_FILESYSTEM_TYPES)?;
    types.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: wasmtime::StoreContextMut<'_, HostState>,
         (parent, path_flags, path, open_flags, flags): (
            Resource<Descriptor>,
            PathFlags,
            String,
            OpenFlags,
            DescriptorFlags,
        )| {
            Box::new(async move {
                let state = store.data_mut();
                let parent_handle = parent.rep();
                let watched_path = state.reads.is_some().then(|| path.clone());
                // Copy-on-write of staged files comes first (`copy_on_write`).
                let opened =
                    copy_on_write::open_at(state, parent, path_flags, path, open_flags, flags)
                        .await?;
                // A link is followed (or, without SYMLINK_FOLLOW, refused) inside the
                // sandbox; the check later follows the same path on the host.
                if let (Some(log), Some(path)) = (&mut state.reads, watched_path) {
                    let noted = match &opened {
                        Ok(descriptor) => Ok((
                            descriptor.rep(),
                            descriptor_metadata(&state.table, descriptor),
                        )),
                        Err(code) => Err(*code),
                    };
                    log.opened(parent_handle, &path, noted);
                }
                Ok((opened,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.read-directory",
        |mut store: wasmtime::StoreContextMut<'_, HostState>, (dir,): (Resource<Descriptor>,)| {
            Box::new(async move {
                let state = store.data_mut();
                stamp_descriptor(state, &dir);
                let listed = HostDescriptor::read_directory(&mut state.filesystem(), dir).await;
                Ok((fs_result_or_untracked(state, listed)?,))
            })
        },
    )?;
    metadata_calls(&mut types)?;
    failed_reads_untracked(&mut types)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// `stat`, `stat-at` and `readlink-at` reveal access times and link targets, which no stamp
/// covers: a run that asks them is not kept. `metadata-hash(-at)` reveal identities, which
/// stamps do cover.
fn metadata_calls(
    types: &mut wasmtime::component::LinkerInstance<'_, HostState>,
) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::filesystem::types::{DescriptorStat, MetadataHashValue};
    type Store<'a> = wasmtime::StoreContextMut<'a, HostState>;
    types.func_wrap_async(
        "[method]descriptor.stat",
        |mut store: Store<'_>, (fd,): (Resource<Descriptor>,)| {
            Box::new(async move {
                let state = store.data_mut();
                state.untracked_input();
                let stat: Result<DescriptorStat, _> =
                    HostDescriptor::stat(&mut state.filesystem(), fd).await;
                Ok((fs_result(stat)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.stat-at",
        |mut store: Store<'_>, (fd, flags, path): (Resource<Descriptor>, PathFlags, String)| {
            Box::new(async move {
                let state = store.data_mut();
                state.untracked_input();
                let stat = HostDescriptor::stat_at(&mut state.filesystem(), fd, flags, path).await;
                Ok((fs_result(stat)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.metadata-hash",
        |mut store: Store<'_>, (fd,): (Resource<Descriptor>,)| {
            Box::new(async move {
                let state = store.data_mut();
                // The hash is the descriptor's device and inode, which its stamp covers.
                stamp_descriptor(state, &fd);
                let hash: Result<MetadataHashValue, _> =
                    HostDescriptor::metadata_hash(&mut state.filesystem(), fd).await;
                Ok((fs_result_or_untracked(state, hash)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.metadata-hash-at",
        |mut store: Store<'_>, (fd, flags, path): (Resource<Descriptor>, PathFlags, String)| {
            Box::new(async move {
                let state = store.data_mut();
                // wasi-libc asks this of every entry it lists. The hash is the named file's
                // device and inode: its stamp, taken before and after, covers it.
                let follow = flags.contains(PathFlags::SYMLINK_FOLLOW);
                let watched = state
                    .reads
                    .as_ref()
                    .and_then(|log| log.path_under(fd.rep(), &path));
                let before = watched.as_ref().map(|host| host_metadata(host, follow));
                let hash =
                    HostDescriptor::metadata_hash_at(&mut state.filesystem(), fd, flags, path)
                        .await;
                let hash = fs_result(hash)?;
                if let Some(log) = &mut state.reads {
                    match (watched, before) {
                        (Some(host), Some(before)) => {
                            let after = host_metadata(&host, follow);
                            log.looked_up(host, before, after, hash.as_ref().err().copied());
                        }
                        _ => log.untracked(),
                    }
                }
                Ok((hash,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.readlink-at",
        |mut store: Store<'_>, (fd, path): (Resource<Descriptor>, String)| {
            Box::new(async move {
                let state = store.data_mut();
                state.untracked_input();
                let target = HostDescriptor::readlink_at(&mut state.filesystem(), fd, path).await;
                Ok((fs_result(target)?,))
            })
        },
    )?;
    Ok(())
}

/// A read or a listing that failed (descriptor table full, out of memory, an I/O error) may
/// have led the guest to a code-0 answer no stamp explains: such a run is not kept.
fn failed_reads_untracked(
    types: &mut wasmtime::component::LinkerInstance<'_, HostState>,
) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::filesystem::types::{
        DirectoryEntryStream, HostDirectoryEntryStream,
    };
    types.func_wrap_async(
        "[method]descriptor.read",
        |mut store: wasmtime::StoreContextMut<'_, HostState>,
         (fd, len, offset): (Resource<Descriptor>, u64, u64)| {
            Box::new(async move {
                let state = store.data_mut();
                let read = HostDescriptor::read(&mut state.filesystem(), fd, len, offset).await;
                Ok((fs_result_or_untracked(state, read)?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]directory-entry-stream.read-directory-entry",
        |mut store: wasmtime::StoreContextMut<'_, HostState>,
         (stream,): (Resource<DirectoryEntryStream>,)| {
            Box::new(async move {
                let state = store.data_mut();
                let entry =
                    HostDirectoryEntryStream::read_directory_entry(&mut state.filesystem(), stream)
                        .await;
                Ok((fs_result_or_untracked(state, entry)?,))
            })
        },
    )?;
    Ok(())
}
