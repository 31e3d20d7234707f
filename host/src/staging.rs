//! Atomic commands: a mutating user command works on a staged copy of `data/users/<USER>/`,
//! which replaces the real directory in one `renameat2(RENAME_EXCHANGE)` when the command
//! returns 0, and is thrown away otherwise (non-zero code, trap, timeout, cancellation).
//!
//! The copy lives in `<data root>/staging/<pid>.<n>.<user>` (same filesystem as the data, so
//! the exchange is one rename). Commit: `syncfs` (the copied files and the plugin's writes are
//! on disk), exchange under the per-user lock the caller holds, `fsync` of both parent
//! directories; concurrent commits share each flush (group commit: [`flush_together`]).
//! Stages left by a killed process are removed on start.
//!
//! The old tree of a commit (now at the staging path) may still be open in a reader that
//! opened the user's directory before the exchange. Every such reader holds a
//! [`ReaderTicket`] (each sandbox invocation, host reads of data files): the ticket carries
//! the commit epoch it started in, and an old tree retired in epoch `E` is removed only when
//! no ticket of epoch `E` or older is left and [`OLD_TREE_GRACE`] has passed (a margin for
//! host reads that hold no ticket), so a command running longer than the grace period still
//! reads a complete tree.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cap_std::fs::Dir;
use hearth_sdk::ReturnCode;

use crate::data::DataRoot;
use crate::grant::{Grant, LockScope, Permission};
use crate::runtime::Outcome;

/// The folder of the data root holding stages.
const STAGING_DIR: &str = "staging";

/// How long after its commit an old tree is kept at least, even once no ticketed reader can
/// hold it: a margin for host reads that hold no ticket (a directory listing).
pub const OLD_TREE_GRACE: Duration = Duration::from_secs(120);

/// Commit epochs and the tickets of readers running in each.
#[derive(Default)]
struct Readers {
    epoch: u64,
    running: std::collections::BTreeMap<u64, usize>,
}

fn readers() -> std::sync::MutexGuard<'static, Readers> {
    static READERS: OnceLock<Mutex<Readers>> = OnceLock::new();
    READERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Held by work that may read user directories (a sandbox invocation from before its
/// preopens are opened until its store is gone; a host read of a data file): while it is
/// held, no tree retired by a commit since it was taken is rewritten or removed.
pub struct ReaderTicket(u64);

/// Takes a ticket for the current commit epoch.
pub fn reader_ticket() -> ReaderTicket {
    let mut readers = readers();
    let epoch = readers.epoch;
    *readers.running.entry(epoch).or_default() += 1;
    ReaderTicket(epoch)
}

impl Drop for ReaderTicket {
    fn drop(&mut self) {
        let mut readers = readers();
        if let Some(count) = readers.running.get_mut(&self.0) {
            *count -= 1;
            if *count == 0 {
                readers.running.remove(&self.0);
            }
        }
    }
}

/// Ends the current epoch (after an exchange); returns the epoch the old tree retires in.
fn end_epoch() -> u64 {
    let mut readers = readers();
    readers.epoch += 1;
    readers.epoch - 1
}

/// Whether no reader of `epoch` or older is still running.
fn epoch_drained(epoch: u64) -> bool {
    readers()
        .running
        .first_key_value()
        .is_none_or(|(oldest, _)| *oldest > epoch)
}

/// A data root's old trees waiting for their readers, by name in its `staging/` folder.
#[derive(Default)]
struct RetiredTrees {
    /// Trees swapped out by commits, oldest first: (epoch, when, name).
    retired: VecDeque<(u64, Instant, String)>,
}

impl RetiredTrees {
    /// Takes the retired trees no reader can hold any more: the ones to remove.
    fn settle(&mut self, now: Instant) -> Vec<String> {
        let mut remove = Vec::new();
        while let Some((epoch, at, _)) = self.retired.front() {
            if now.duration_since(*at) < OLD_TREE_GRACE || !epoch_drained(*epoch) {
                break;
            }
            remove.extend(self.retired.pop_front().map(|(_, _, name)| name));
        }
        remove
    }
}

/// The old trees of the data roots this process serves, by data root.
fn retired_trees() -> std::sync::MutexGuard<'static, HashMap<PathBuf, RetiredTrees>> {
    static RETIRED: OnceLock<Mutex<HashMap<PathBuf, RetiredTrees>>> = OnceLock::new();
    RETIRED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Where a user's data directory is mounted in the guest.
const USER_MOUNT: &str = "/user";

/// Why a command's staged view could not be made or committed.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error("not enough disk space to {action}: {source}")]
    DiskFull {
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("could not {action}: {source}")]
    Io {
        action: &'static str,
        #[source]
        source: io::Error,
    },
}

impl StagingError {
    fn new(action: &'static str, source: io::Error) -> Self {
        let full = matches!(
            source.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        ) || source.raw_os_error() == Some(28);
        if full {
            Self::DiskFull { action, source }
        } else {
            Self::Io { action, source }
        }
    }

    /// The Hestia error a staging failure becomes: `E_DISK` (13) for a full disk,
    /// `E_UPDATE` (19) otherwise. Nothing of the command is visible in either case.
    pub fn outcome(&self, command: &str) -> Outcome {
        match self {
            Self::DiskFull { .. } => Outcome {
                code: ReturnCode::Disk.as_u8(),
                output: "Error: not enough disk space".to_string(),
            },
            Self::Io { .. } => Outcome {
                code: ReturnCode::Update.as_u8(),
                output: format!("Error: {command} could not save its changes"),
            },
        }
    }
}

/// Runs blocking file-system work (a copy, a sync, a removal) without stalling the server: on
/// a multi-threaded runtime the worker first hands its other tasks to another thread, so
/// requests keep being served while this one waits for the disk. Elsewhere (`hearth call`,
/// single-threaded tests) the work simply runs.
pub fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

fn rustix_error(error: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(error.raw_os_error())
}

/// Group commit: concurrent commits share flushes. Each caller takes a ticket after its
/// writes are done; the one that gets the lock reads how many tickets there are, flushes
/// once, and so covers every caller up to that count. A caller whose ticket a flush that
/// started after it already covered returns without flushing. One point per flushed object.
#[derive(Default)]
struct FlushPoint {
    requested: AtomicU64,
    covered: Mutex<u64>,
}

/// The flush points by flushed object: (device, inode) of a directory, or (device, 0) for
/// `syncfs` of a filesystem.
type FlushPoints = HashMap<(u64, u64), Arc<FlushPoint>>;

fn flush_points() -> std::sync::MutexGuard<'static, FlushPoints> {
    static POINTS: OnceLock<Mutex<FlushPoints>> = OnceLock::new();
    POINTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Runs `flush` unless a flush of the same object that started after this call began has
/// already finished; a failed flush covers nobody.
fn flush_together(
    object: (u64, u64),
    flush: impl FnOnce() -> rustix::io::Result<()>,
) -> rustix::io::Result<()> {
    let point = flush_points().entry(object).or_default().clone();
    let ticket = point.requested.fetch_add(1, Ordering::SeqCst) + 1;
    let mut covered = point.covered.lock().unwrap_or_else(|e| e.into_inner());
    if *covered >= ticket {
        return Ok(());
    }
    let covering = point.requested.load(Ordering::SeqCst);
    flush()?;
    *covered = covering;
    Ok(())
}

/// `syncfs` of the filesystem `device` holding `fd`, shared with concurrent commits.
fn syncfs_together(fd: &rustix::fd::OwnedFd, device: u64) -> rustix::io::Result<()> {
    flush_together((device, 0), || rustix::fs::syncfs(fd))
}

/// `fsync` of the directory `fd`, shared with concurrent commits.
fn fsync_together(fd: &rustix::fd::OwnedFd) -> rustix::io::Result<()> {
    let stat = rustix::fs::fstat(fd)?;
    flush_together((stat.st_dev, stat.st_ino.max(1)), || rustix::fs::fsync(fd))
}

/// A descriptor of `dir` that `fsync`/`syncfs` accept (cap-std holds `O_PATH` ones).
fn readable(dir: &Dir) -> rustix::io::Result<rustix::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Stages in use, by the real directory they stand for: nested commands of the same user
/// (which run under the caller's lock) are pointed at the caller's stage.
fn active() -> &'static Mutex<HashMap<PathBuf, PathBuf>> {
    static ACTIVE: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    ACTIVE.get_or_init(Default::default)
}

/// One staged copy of a user's data directory.
pub struct Stage {
    users: Dir,
    staging: Dir,
    /// The data root, whose retired trees this stage's old tree joins.
    root: PathBuf,
    user: String,
    name: String,
    real: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    Open,
    /// Exchanged in commit epoch `.0`: the stage path now holds the old tree.
    Committed(u64),
    Failed(StagingError),
    Discarded,
}

impl std::fmt::Debug for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stage")
            .field("user", &self.user)
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for Stage {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Stage {}

/// Copies the tree `source` into a new directory `name` of `parent`, keeping permissions and
/// symlinks as they are (never following them).
fn copy_tree(source: &Dir, parent: &Dir, name: &str) -> io::Result<()> {
    parent.create_dir(name)?;
    let target = parent.open_dir(name)?;
    for entry in source.entries()? {
        let entry = entry?;
        let file_name = entry.file_name();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let child = source.open_dir(&file_name)?;
            copy_tree(&child, &target, &file_name.to_string_lossy())?;
            target.set_permissions(&file_name, child.dir_metadata()?.permissions())?;
        } else if kind.is_symlink() {
            let link = source.read_link_contents(&file_name)?;
            target.symlink_contents(link, &file_name)?;
        } else if kind.is_file() {
            let mut from = source.open(&file_name)?;
            let metadata = from.metadata()?;
            let mut to = target.create(&file_name)?;
            io::copy(&mut from, &mut to)?;
            to.set_permissions(metadata.permissions())?;
        }
    }
    Ok(())
}

impl Stage {
    /// Stages the user directory of `grant` when it is a read-write grant under the user's
    /// lock; returns the grant pointed at the copy and the stage to commit. Other grants
    /// (read-only, system) are returned as they are.
    pub fn prepare(root: &DataRoot, grant: Grant) -> Result<Grant, StagingError> {
        let LockScope::User(user) = grant.lock() else {
            return Ok(grant);
        };
        let Some(index) = grant.preopens().iter().position(|preopen| {
            preopen.guest == USER_MOUNT && preopen.permission == Permission::ReadWrite
        }) else {
            return Ok(grant);
        };
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{}.{}.{user}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let users = root
            .dir()
            .open_dir("data/users")
            .map_err(|e| StagingError::new("open data/users", e))?;
        root.dir()
            .create_dir_all(STAGING_DIR)
            .map_err(|e| StagingError::new("create the staging folder", e))?;
        let staging = root
            .dir()
            .open_dir(STAGING_DIR)
            .map_err(|e| StagingError::new("open the staging folder", e))?;
        let real = grant.preopens()[index].host.clone();
        let stage = Stage {
            users,
            staging,
            root: root.path().to_path_buf(),
            user: user.clone(),
            name,
            real: real.clone(),
            state: Mutex::new(State::Open),
        };
        let source = stage
            .users
            .open_dir(user)
            .map_err(|e| StagingError::new("open the user's folder", e))?;
        if let Err(error) = off_the_workers(|| copy_tree(&source, &stage.staging, &stage.name)) {
            // Dropping the stage removes the partial copy.
            return Err(StagingError::new("stage the user's folder", error));
        }
        let permissions = source
            .dir_metadata()
            .map_err(|e| StagingError::new("stage the user's folder", e))?
            .permissions();
        stage
            .staging
            .set_permissions(&stage.name, permissions)
            .map_err(|e| StagingError::new("stage the user's folder", e))?;
        let path = stage.path();
        active()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(real, path.clone());
        let mut preopens = grant.preopens().to_vec();
        preopens[index].host = path;
        let lock = grant.lock().clone();
        Ok(Grant::new(preopens, lock).with_stage(Arc::new(stage)))
    }

    /// The staged copy's directory on the host.
    pub fn path(&self) -> PathBuf {
        self.root.join(STAGING_DIR).join(&self.name)
    }

    /// Makes the staged tree the user's directory, after syncing it and the filesystems of
    /// `also_sync` (the command's other writable directories, whose syncs were deferred).
    /// Returns whether it did; a failure is kept for [`Stage::failure`] and nothing of the
    /// stage becomes visible.
    pub fn commit(&self, also_sync: &[&Path]) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !matches!(*state, State::Open) {
            return matches!(*state, State::Committed(_));
        }
        match off_the_workers(|| self.exchange(also_sync)) {
            Ok(()) => {
                *state = State::Committed(end_epoch());
                true
            }
            Err(error) => {
                tracing::error!(user = self.user, %error, "could not commit a staged command");
                *state = State::Failed(error);
                false
            }
        }
    }

    fn exchange(&self, also_sync: &[&Path]) -> Result<(), StagingError> {
        let staging = readable(&self.staging)
            .map_err(|e| StagingError::new("open the staging folder", rustix_error(e)))?;
        let to_disk = |e| StagingError::new("write the changes to disk", rustix_error(e));
        let staging_device = rustix::fs::fstat(&staging).map_err(to_disk)?.st_dev;
        for dir in also_sync {
            use rustix::fs::{Mode, OFlags};
            let other = rustix::fs::open(
                *dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(to_disk)?;
            // One `syncfs` per filesystem: the stage's own comes next.
            let device = rustix::fs::fstat(&other).map_err(to_disk)?.st_dev;
            if device != staging_device {
                syncfs_together(&other, device).map_err(to_disk)?;
            }
        }
        syncfs_together(&staging, staging_device).map_err(to_disk)?;
        rustix::fs::renameat_with(
            &self.staging,
            self.name.as_str(),
            &self.users,
            self.user.as_str(),
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .map_err(|e| StagingError::new("swap in the staged folder", rustix_error(e)))?;
        // The exchange is done; a crash from here on leaves the new tree in place and the
        // old one in staging/, which the next start removes.
        let synced = readable(&self.users)
            .and_then(|users| fsync_together(&users))
            .and(fsync_together(&staging));
        if let Err(error) = synced {
            tracing::warn!(user = self.user, %error, "could not sync data/users after a commit");
        }
        Ok(())
    }

    /// Why the commit failed, as the Hestia error to answer with.
    pub fn failure(&self, command: &str) -> Option<Outcome> {
        match &*self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            State::Failed(error) => Some(error.outcome(command)),
            _ => None,
        }
    }

    /// Marks the stage as not to be committed (it is removed when dropped).
    pub fn discard(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*state, State::Open) {
            *state = State::Discarded;
        }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        active()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.real);
        let state = std::mem::replace(
            &mut *self.state.lock().unwrap_or_else(|e| e.into_inner()),
            State::Discarded,
        );
        let now = Instant::now();
        let remove = {
            let mut retired = retired_trees();
            let pool = retired.entry(self.root.clone()).or_default();
            let mut remove = Vec::new();
            match state {
                // Readers may still hold the old tree: it waits for them.
                State::Committed(epoch) => {
                    pool.retired.push_back((epoch, now, self.name.clone()));
                }
                // A failed or abandoned command's copy may hold anything it wrote (a disk
                // filled to the last byte): it goes at once.
                State::Discarded | State::Open | State::Failed(_) => remove.push(self.name.clone()),
            }
            remove.extend(pool.settle(now));
            remove
        };
        self.remove(remove);
    }
}

impl Stage {
    /// Removes trees from the staging folder.
    fn remove(&self, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        off_the_workers(|| {
            for name in names {
                if let Err(error) = self.staging.remove_dir_all(&name)
                    && error.kind() != io::ErrorKind::NotFound
                {
                    tracing::warn!(stage = name, %error, "could not remove a stage");
                }
            }
        });
    }
}

/// Points a nested command's user directory at its caller's stage. Only a caller holding the
/// user's lock (`parent`) can own the stage of that user's directory, so the lookup is safe.
pub fn redirect_nested(grant: Grant, parent: &LockScope) -> Grant {
    if !matches!(parent, LockScope::User(_)) {
        return grant;
    }
    let active = active().lock().unwrap_or_else(|e| e.into_inner());
    if active.is_empty() {
        return grant;
    }
    let mut preopens = grant.preopens().to_vec();
    let mut changed = false;
    for preopen in &mut preopens {
        if let Some(stage) = active.get(&preopen.host) {
            preopen.host = stage.clone();
            changed = true;
        }
    }
    if changed {
        Grant::new(preopens, grant.lock().clone())
    } else {
        grant
    }
}

/// Removes stages left by processes that no longer run (a crash or `kill -9` mid-command):
/// an uncommitted copy, or the old tree of a commit whose clean-up did not happen.
pub fn recover(root: &Path) -> io::Result<()> {
    let Ok(staging) = Dir::open_ambient_dir(root.join(STAGING_DIR), cap_std::ambient_authority())
    else {
        return Ok(());
    };
    for entry in staging.entries()? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .split('.')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
        });
        if !alive {
            let removed = if entry.file_type()?.is_dir() {
                staging.remove_dir_all(&name)
            } else {
                staging.remove_file(&name)
            };
            if let Err(error) = removed {
                tracing::warn!(stage = name, %error, "could not remove a stale stage");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_flushes_are_shared_and_each_caller_waits_for_one_that_started_after_it() {
        // (start, end) of every flush actually run.
        let flushes: Arc<Mutex<Vec<(Instant, Instant)>>> = Arc::default();
        let object = (u64::MAX, u64::MAX);
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let flushes = flushes.clone();
                std::thread::spawn(move || {
                    let called = Instant::now();
                    flush_together(object, || {
                        let started = Instant::now();
                        std::thread::sleep(Duration::from_millis(30));
                        flushes.lock().unwrap().push((started, Instant::now()));
                        Ok(())
                    })
                    .unwrap();
                    (called, Instant::now())
                })
            })
            .collect();
        let calls: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
        let flushes = flushes.lock().unwrap();
        assert!(
            flushes.len() < calls.len(),
            "{} flushes for {} calls",
            flushes.len(),
            calls.len()
        );
        for (called, returned) in calls {
            assert!(
                flushes
                    .iter()
                    .any(|&(start, end)| start >= called && end <= returned),
                "a caller returned without a flush that started after it"
            );
        }
    }

    #[test]
    fn an_old_tree_waits_for_every_reader_that_started_before_its_commit() {
        let before = reader_ticket();
        let epoch = end_epoch();
        let after = reader_ticket();
        assert!(
            !epoch_drained(epoch),
            "a reader from before the commit is running"
        );
        drop(before);
        assert!(
            after.0 > epoch,
            "a reader from after the commit opens the new tree"
        );

        let mut pool = RetiredTrees::default();
        pool.retired
            .push_back((u64::MAX - 1, Instant::now(), "busy".into()));
        assert!(
            pool.settle(Instant::now() + OLD_TREE_GRACE).is_empty(),
            "not removed while readers may hold it"
        );
        drop(after);
    }
}
