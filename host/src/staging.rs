//! Atomic commands: a mutating user command works on a staged copy of `data/users/<USER>/`,
//! which replaces the real directory in one `renameat2(RENAME_EXCHANGE)` when the command
//! returns 0, and is thrown away otherwise (non-zero code, trap, timeout, cancellation).
//!
//! The copy lives in `<data root>/staging/<pid>.<n>.<user>` (same filesystem as the data, so
//! the exchange is one rename). Commit: `syncfs` (the copied files and the plugin's writes are
//! on disk), exchange under the per-user lock the caller holds, `fsync` of both parent
//! directories. The old tree (now at the staging path) is removed only after
//! [`OLD_TREE_GRACE`], so a reader that opened the user's directory before the exchange keeps
//! reading the old, complete tree; one that opens it after reads the new one. Stages left by a
//! killed process are removed on start.

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

/// How long the old tree of a commit is kept: longer than any command that may have opened the
/// user's directory before the exchange can still be running (the default deadline is 10 s).
pub const OLD_TREE_GRACE: Duration = Duration::from_secs(120);

/// Old trees of commits, oldest first, each with when it was swapped out.
fn old_trees() -> &'static Mutex<VecDeque<(Instant, String)>> {
    static OLD_TREES: OnceLock<Mutex<VecDeque<(Instant, String)>>> = OnceLock::new();
    OLD_TREES.get_or_init(Default::default)
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
    user: String,
    name: String,
    real: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    Open,
    Committed,
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
        let path = root.path().join(STAGING_DIR).join(&stage.name);
        active()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(real, path.clone());
        let mut preopens = grant.preopens().to_vec();
        preopens[index].host = path;
        let lock = grant.lock().clone();
        Ok(Grant::new(preopens, lock).with_stage(Arc::new(stage)))
    }

    /// Makes the staged tree the user's directory. Returns whether it did; a failure is kept
    /// for [`Stage::failure`] and nothing of the stage becomes visible.
    pub fn commit(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !matches!(*state, State::Open) {
            return matches!(*state, State::Committed);
        }
        match off_the_workers(|| self.exchange()) {
            Ok(()) => {
                *state = State::Committed;
                true
            }
            Err(error) => {
                tracing::error!(user = self.user, %error, "could not commit a staged command");
                *state = State::Failed(error);
                false
            }
        }
    }

    fn exchange(&self) -> Result<(), StagingError> {
        let staging = readable(&self.staging)
            .map_err(|e| StagingError::new("open the staging folder", rustix_error(e)))?;
        rustix::fs::syncfs(&staging)
            .map_err(|e| StagingError::new("write the changes to disk", rustix_error(e)))?;
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
            .and_then(rustix::fs::fsync)
            .and(rustix::fs::fsync(&staging));
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
        let committed = matches!(
            *self.state.lock().unwrap_or_else(|e| e.into_inner()),
            State::Committed
        );
        let now = Instant::now();
        let mut expired = Vec::new();
        {
            let mut old_trees = old_trees().lock().unwrap_or_else(|e| e.into_inner());
            while old_trees
                .front()
                .is_some_and(|(swapped, _)| now.duration_since(*swapped) >= OLD_TREE_GRACE)
            {
                expired.extend(old_trees.pop_front().map(|(_, name)| name));
            }
            if committed {
                // Readers may still hold the old tree: it goes after the grace period.
                old_trees.push_back((now, self.name.clone()));
            } else {
                expired.push(self.name.clone());
            }
        }
        if expired.is_empty() {
            return;
        }
        off_the_workers(|| {
            for name in expired {
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
