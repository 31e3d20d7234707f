//! Atomic commands: a mutating user command works on a staged copy of `data/users/<USER>/`,
//! which replaces the real directory in one `renameat2(RENAME_EXCHANGE)` when the command
//! returns 0, and is thrown away otherwise (non-zero code, trap, timeout, cancellation).
//!
//! The copy lives in `<data root>/staging/<pid>.<n>.<user>` (same filesystem as the data, so
//! the exchange is one rename). A fresh stage's directories are new and its files are hard
//! links of the user's files (copied only where a link cannot be made), so it writes no file
//! data. A stage made from an old tree (below) keeps that tree's directories, and the files
//! it alone has held since it was swapped out that changed since are rewritten in place
//! ([`refresh_private_file`]), so a user's steady commands make and free no inode.
//! A linked file is copied before anything may change it in place ([`Stage::unshare`], called
//! by the sandbox before a write-open or a change of times): a stage never writes through to
//! the user's live files. Commit: `syncfs` (the copied files and the plugin's writes are
//! on disk), exchange under the per-user lock the caller holds, `fsync` of both parent
//! directories; concurrent commits share each flush (group commit: [`flush_together`]).
//! Stages left by a process that no longer runs are moved out of `staging/` on start and
//! removed in the background ([`recover`]).
//!
//! The old tree of a commit (now at the staging path) may still be open in a reader that
//! opened the user's directory before the exchange. Every such reader holds a
//! [`ReaderTicket`] (each sandbox invocation, host reads of data files): the ticket carries
//! the commit epoch it started in, and an old tree retired in epoch `E` is removed only when
//! no ticket of epoch `E` or older is left and [`OLD_TREE_GRACE`] has passed (a margin for
//! host reads that hold no ticket), so a command running longer than the grace period still
//! reads a complete tree.

use std::collections::{HashMap, VecDeque};
use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use cap_std::fs::Dir;
use hearth_sdk::ReturnCode;
use rustix::fd::{AsFd, BorrowedFd};

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

/// An old tree waiting for its readers.
#[derive(Clone, Debug, PartialEq)]
struct RetiredTree {
    /// The commit epoch that swapped it out.
    epoch: u64,
    /// When it was retired.
    at: Instant,
    /// Which of its files may be rewritten in place once it is recycled.
    rewritable: Rewritable,
    /// Its name in the `staging/` folder.
    name: String,
}

/// What tells the files of a retired tree that no reader outside the tree's tickets can
/// hold (see [`refresh_private_file`]).
#[derive(Clone, Debug, Default, PartialEq)]
struct Rewritable {
    /// The status change time the exchange that swapped the tree out gave the tree's folder
    /// (or an earlier one), as (seconds, nanoseconds): stamped by the same filesystem and
    /// clock, at the same granularity, as a later change of one of its files would be.
    swapped_out: (i64, u64),
    /// Files of the tree that the committed stage had dropped its only link to (copied on
    /// write): no longer live files at the exchange, whenever their status changed.
    left_the_stage: SharedFiles,
}

/// A data root's old trees waiting for their readers, by name in its `staging/` folder.
#[derive(Default)]
struct RetiredTrees {
    /// Trees swapped out by commits, oldest first.
    retired: VecDeque<RetiredTree>,
    /// The same trees by user, oldest first: a tree no reader can hold any more is the
    /// next stage of its user ([`RetiredTrees::recycle`]). A tree taken from here is
    /// skipped when it reaches the front of `retired`.
    by_user: HashMap<String, VecDeque<RetiredTree>>,
}

impl RetiredTrees {
    fn retire(&mut self, user: &str, tree: RetiredTree) {
        self.retired.push_back(tree.clone());
        self.by_user
            .entry(user.to_string())
            .or_default()
            .push_back(tree);
    }

    /// Takes the retired trees no reader can hold any more: the ones to remove.
    fn settle(&mut self, now: Instant) -> Vec<String> {
        let mut remove = Vec::new();
        while let Some(front) = self.retired.front() {
            if now.duration_since(front.at) < OLD_TREE_GRACE || !epoch_drained(front.epoch) {
                break;
            }
            let Some(tree) = self.retired.pop_front() else {
                break;
            };
            // Not taken by `recycle` since: still at the front of its user's trees. (A
            // recycled tree retires again under the same name, so the whole entry is compared.)
            let user = stage_user(&tree.name);
            if let Some(trees) = self.by_user.get_mut(user)
                && trees.front() == Some(&tree)
            {
                trees.pop_front();
                if trees.is_empty() {
                    self.by_user.remove(user);
                }
                remove.push(tree.name);
            }
        }
        remove
    }

    /// Takes `user`'s oldest retired tree when no reader can hold it any more and it was
    /// retired at least [`RECYCLE_AFTER`] ago: the stage of the user's next command starts
    /// from it, so its directories are not made again (nor its old ones removed).
    fn recycle(&mut self, user: &str, now: Instant) -> Option<RetiredTree> {
        let trees = self.by_user.get_mut(user)?;
        let front = trees.front()?;
        if now.duration_since(front.at) < RECYCLE_AFTER || !epoch_drained(front.epoch) {
            return None;
        }
        let tree = trees.pop_front()?;
        if trees.is_empty() {
            self.by_user.remove(user);
        }
        Some(tree)
    }
}

/// How long after its commit an old tree, once no ticketed reader can hold it, may become
/// its user's next stage. Every reader of a user's tree holds a ticket; this is a margin.
const RECYCLE_AFTER: Duration = Duration::from_secs(2);

/// The user a stage name (`<pid>.<n>.<user>`) belongs to.
fn stage_user(name: &str) -> &str {
    name.splitn(3, '.').nth(2).unwrap_or_default()
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
pub(crate) const USER_MOUNT: &str = "/user";

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
            Self::DiskFull { .. } => Outcome::new(
                ReturnCode::Disk.as_u8(),
                "Error: not enough disk space".to_string(),
            ),
            Self::Io { .. } => Outcome::new(
                ReturnCode::Update.as_u8(),
                format!("Error: {command} could not save its changes"),
            ),
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
fn active() -> &'static Mutex<HashMap<PathBuf, Weak<Stage>>> {
    static ACTIVE: OnceLock<Mutex<HashMap<PathBuf, Weak<Stage>>>> = OnceLock::new();
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
    /// The stage's files that were hard links of the user's live files when it was made, by
    /// (device, inode). Kept for the stage's life, so that every other name or link the
    /// command reaches such a file through is unshared too.
    shared: Mutex<SharedFiles>,
    /// The linked files whose only link in the stage was replaced by a copy
    /// ([`Stage::unshare`]): after the commit, the old tree alone holds them.
    left_the_stage: Mutex<SharedFiles>,
}

/// Linked files of a stage: (device, inode).
type SharedFiles = std::collections::HashSet<(u64, u64)>;

#[derive(Debug)]
enum State {
    Open,
    /// Exchanged in commit epoch `.0`, the old tree's folder stamped `.1` by the exchange
    /// ([`Rewritable::swapped_out`]): the stage path now holds the old tree.
    Committed(u64, (i64, u64)),
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

/// A directory opened for listing and for the `*at` calls of [`mirror_tree`].
fn open_listable(parent: impl AsFd, name: &CStr) -> io::Result<Listing> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(Listing::new(rustix::fs::openat(
        parent,
        name,
        flags,
        Mode::empty(),
    )?)?)
}

/// A directory descriptor that can be listed once.
type Listing = rustix::fs::Dir;

/// An entry of a directory as `getdents` gives it: kind and inode number.
type Listed = (rustix::fs::FileType, u64);

/// The entries of the directory `dir` (without `.` and `..`).
fn list(dir: &mut Listing) -> io::Result<Vec<(CString, Listed)>> {
    let mut entries = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            entries.push((name.to_owned(), (entry.file_type(), entry.ino())));
        }
    }
    Ok(entries)
}

/// Whether the inode numbers `getdents` gives on the filesystem of `dir` are the files' own
/// (`st_ino`), as they are on the filesystems listed; elsewhere (overlayfs among them) each
/// file is asked with `fstatat`.
fn listing_gives_inodes(dir: BorrowedFd<'_>) -> bool {
    const EXT4: i64 = 0xEF53;
    const XFS: i64 = 0x5846_5342;
    const TMPFS: i64 = 0x0102_1994;
    const BTRFS: i64 = 0x9123_683E;
    rustix::fs::fstatfs(dir).is_ok_and(|fs| {
        #[allow(clippy::unnecessary_cast)] // `f_type`'s width differs between targets.
        let kind = fs.f_type as i64;
        matches!(kind, EXT4 | XFS | TMPFS | BTRFS)
    })
}

/// Makes the directory `target` hold what `source` holds:
/// the same directories with the same permissions, the same symbolic links (never
/// followed), and each regular file as a hard link, noted in `shared` by its inode. What
/// `target` already holds is kept where it is the same (a recycled tree: a file linked to
/// the same inode, a directory of that name), rewritten in place where it is a file only
/// `target` holds ([`refresh_private_file`]: not noted in `shared`), and removed otherwise. A
/// file that cannot be linked (another filesystem, too many links, a protected link) is
/// copied.
///
/// Works with directory descriptors and the kinds and inode numbers of the listing, so that
/// a file that stays the same costs no call of its own ([`listing_gives_inodes`]).
fn mirror_tree(
    source: &mut Listing,
    target: &mut Listing,
    rewritable: Option<&Rewritable>,
    shared: &mut SharedFiles,
) -> io::Result<()> {
    let trusted = listing_gives_inodes(target.fd()?);
    mirror_dir(source, target, trusted, rewritable, shared)
}

fn mirror_dir(
    source_listing: &mut Listing,
    target_listing: &mut Listing,
    trusted: bool,
    rewritable: Option<&Rewritable>,
    shared: &mut SharedFiles,
) -> io::Result<()> {
    use rustix::fs::{AtFlags, FileType, Mode};
    let source_entries = list(source_listing)?;
    let target_entries = list(target_listing)?;
    let (source, target) = (source_listing.fd()?, target_listing.fd()?);
    let device = rustix::fs::fstat(target)?.st_dev;
    // Kind and inode of an entry, asked of the entry itself where the listing does not say.
    let identify = |dir: BorrowedFd<'_>, name: &CStr, (kind, ino): Listed| -> io::Result<Listed> {
        if trusted && kind != FileType::Unknown {
            return Ok((kind, ino));
        }
        let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
        Ok((FileType::from_raw_mode(stat.st_mode), stat.st_ino))
    };
    let mut held = HashMap::new();
    for (name, listed) in target_entries {
        let listed = identify(target, &name, listed)?;
        held.insert(name, listed);
    }
    for (name, listed) in source_entries {
        let (kind, ino) = identify(source, &name, listed)?;
        let existing = held.remove(&name);
        match kind {
            FileType::Directory => {
                let mut child = open_listable(source, &name)?;
                let permissions = rustix::fs::fstat(child.fd()?)?.st_mode & 0o7777;
                let kept = matches!(existing, Some((FileType::Directory, _)));
                if let Some(existing) = existing.filter(|_| !kept) {
                    remove_entry(target, &name, existing)?;
                }
                if !kept {
                    rustix::fs::mkdirat(target, &name, Mode::RWXU)?;
                }
                let mut child_target = open_listable(target, &name)?;
                mirror_dir(&mut child, &mut child_target, trusted, rewritable, shared)?;
                let child_target = child_target.fd()?;
                let held_permissions = match kept {
                    true => Some(rustix::fs::fstat(child_target)?.st_mode & 0o7777),
                    false => None,
                };
                if held_permissions != Some(permissions) {
                    rustix::fs::fchmod(child_target, Mode::from_raw_mode(permissions))?;
                }
            }
            FileType::RegularFile => {
                if let Some(existing) = existing {
                    if existing == (FileType::RegularFile, ino) {
                        shared.insert((device, ino));
                        continue;
                    }
                    if existing.0 == FileType::RegularFile
                        && let Some(rewritable) = rewritable
                        && refresh_private_file(source, target, &name, rewritable)
                    {
                        continue;
                    }
                    remove_entry(target, &name, existing)?;
                }
                match rustix::fs::linkat(source, &name, target, &name, AtFlags::empty()) {
                    Ok(()) => {
                        shared.insert((device, ino));
                    }
                    Err(error) if link_refused(error) => {
                        let name = Path::new(std::ffi::OsStr::from_bytes(name.to_bytes()));
                        copy_file_to(&as_dir(source)?, name, &as_dir(target)?, name)?;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            _ => {
                if let Some(existing) = existing {
                    remove_entry(target, &name, existing)?;
                }
                if kind == FileType::Symlink {
                    let contents = rustix::fs::readlinkat(source, &name, Vec::new())?;
                    rustix::fs::symlinkat(&contents, target, &name)?;
                }
            }
        }
    }
    for (name, existing) in held {
        remove_entry(target, &name, existing)?;
    }
    Ok(())
}

/// Rewrites the file `name` of a recycled tree's `target` in place with the contents,
/// permissions and times of the user's file `name` in `source`, when only this tree holds
/// it (one link) and it was no live file since the tree was swapped out: the committed
/// stage had dropped its only link to it, or its status (which every link added or removed
/// changes) last changed before the exchange stamped the tree's folder (strictly earlier: a
/// change in the same tick, or second on a filesystem of coarser times, is taken as later).
/// A wall clock stepped back between the two breaks the second test. Then every reader that
/// may have opened it held a ticket of an epoch the recycling waited for. A file that left
/// the live tree later (replaced by a host write outside a stage, or by another process) is
/// left to its readers. Returns whether it did; `false` (also on any error, which the link
/// that replaces the file does not depend on) leaves the entry to be replaced by a link.
///
/// On ext4 a new inode and a freed one cost more than the copy: allocating scans the inode
/// bitmap past recently deleted inodes, and without a journal a freed extent is discarded
/// before `unlink` returns. A staged command writes its files in place (the SDK, told by
/// [`hearth_sdk::fs::STAGED_MOUNTS_VARIABLE`]), so a steady stream of commands of a user
/// makes and frees no inode: its stage's files were last version's, rewritten here.
fn refresh_private_file(
    source: BorrowedFd<'_>,
    target: BorrowedFd<'_>,
    name: &CStr,
    rewritable: &Rewritable,
) -> bool {
    use rustix::fs::{AtFlags, Mode, OFlags};
    // Asked before opening it for writing, which a file with other links must not see.
    let Ok(held) = rustix::fs::statat(target, name, AtFlags::SYMLINK_NOFOLLOW) else {
        return false;
    };
    let key = (held.st_dev, held.st_ino);
    let left_the_stage = rewritable.left_the_stage.contains(&key);
    let changed_before = (held.st_ctime, held.st_ctime_nsec) < rewritable.swapped_out;
    let regular = rustix::fs::FileType::from_raw_mode(held.st_mode).is_file();
    if held.st_nlink != 1 || !regular || !(left_the_stage || changed_before) {
        return false;
    }
    let flags = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let Ok(writer) = rustix::fs::openat(target, name, OFlags::WRONLY | flags, Mode::empty()) else {
        return false;
    };
    // The same file (the user's lock keeps hearth's writers out; another process might not).
    match rustix::fs::fstat(&writer) {
        Ok(opened) if (opened.st_dev, opened.st_ino) == key && opened.st_nlink == 1 => {}
        _ => return false,
    }
    let Ok(reader) = rustix::fs::openat(source, name, OFlags::RDONLY | flags, Mode::empty()) else {
        return false;
    };
    copy_contents(
        &mut std::fs::File::from(reader),
        &mut std::fs::File::from(writer),
    )
    .is_ok()
}

/// A `cap_std` directory of the descriptor `dir` (a duplicate).
fn as_dir(dir: BorrowedFd<'_>) -> io::Result<Dir> {
    Ok(Dir::from_std_file(std::fs::File::from(
        dir.try_clone_to_owned()?,
    )))
}

/// Removes the entry `name` of `dir` (a whole tree for a directory).
fn remove_entry(dir: BorrowedFd<'_>, name: &CStr, (kind, _): Listed) -> io::Result<()> {
    if kind == rustix::fs::FileType::Directory {
        let name = std::ffi::OsStr::from_bytes(name.to_bytes());
        as_dir(dir)?.remove_dir_all(name)
    } else {
        Ok(rustix::fs::unlinkat(
            dir,
            name,
            rustix::fs::AtFlags::empty(),
        )?)
    }
}

/// Whether a hard link failed for a reason a copy does not have: another filesystem
/// (`EXDEV`), the file's link limit (`EMLINK`: the old trees of many recent commits still
/// hold it), `fs.protected_hardlinks` (`EPERM`).
fn link_refused(error: rustix::io::Errno) -> bool {
    use rustix::io::Errno;
    matches!(error, Errno::XDEV | Errno::MLINK | Errno::PERM)
}

/// Copies the file `from` of `source` to a new file `to` of `target`, with its permissions
/// and times.
fn copy_file_to(source: &Dir, from: &Path, target: &Dir, to: &Path) -> io::Result<()> {
    let reader = source.open(from)?;
    let writer = target.open_with(
        to,
        cap_std::fs::OpenOptions::new().write(true).create_new(true),
    )?;
    copy_contents(&mut reader.into_std(), &mut writer.into_std())
}

/// Makes `writer` (a new file, or an older version rewritten in place) hold what `reader`
/// holds: its contents from the start, cut to their length, its permissions (set-user and
/// set-group ID too, which a write by a process without `CAP_FSETID` clears) and its times.
fn copy_contents(reader: &mut std::fs::File, writer: &mut std::fs::File) -> io::Result<()> {
    let metadata = reader.metadata()?;
    let length = io::copy(reader, writer)?;
    writer.set_len(length)?;
    writer.set_permissions(metadata.permissions())?;
    let times = std::fs::FileTimes::new()
        .set_accessed(metadata.accessed()?)
        .set_modified(metadata.modified()?);
    writer.set_times(times)
}

/// Replaces the file at `path` under `dir` with a copy of itself (a new inode with the same
/// contents and permissions), through a temporary name beside it and a rename.
fn replace_with_copy(dir: &Dir, path: &Path) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(".unshared");
    let temporary = path.with_file_name(temporary_name);
    match dir.remove_file(&temporary) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    copy_file_to(dir, path, dir, &temporary)?;
    dir.rename(&temporary, dir, path)
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
        // Taken last: from here on, a failure drops the stage, which removes the tree.
        let recycled = retired_trees()
            .get_mut(root.path())
            .and_then(|pool| pool.recycle(user, Instant::now()));
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = recycled
            .as_ref()
            .map(|tree| tree.name.clone())
            .unwrap_or_else(|| {
                format!(
                    "{}.{}.{user}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                )
            });
        let real = grant.preopens()[index].host.clone();
        let stage = Stage {
            users,
            staging,
            root: root.path().to_path_buf(),
            user: user.clone(),
            name,
            real: real.clone(),
            state: Mutex::new(State::Open),
            shared: Mutex::default(),
            left_the_stage: Mutex::default(),
        };
        let names = CString::new(user.as_str()).and_then(|user| {
            let stage_name = CString::new(stage.name.as_str())?;
            Ok((user, stage_name))
        });
        let (user_name, stage_name) =
            names.map_err(|e| StagingError::new("open the user's folder", e.into()))?;
        let mut source = open_listable(&stage.users, &user_name)
            .map_err(|e| StagingError::new("open the user's folder", e))?;
        let mut shared = SharedFiles::new();
        let staged = off_the_workers(|| {
            if recycled.is_none() {
                rustix::fs::mkdirat(&stage.staging, &stage_name, rustix::fs::Mode::RWXU)?;
            }
            let mut target = open_listable(&stage.staging, &stage_name)?;
            let rewritable = recycled.as_ref().map(|tree| &tree.rewritable);
            mirror_tree(&mut source, &mut target, rewritable, &mut shared)?;
            // The stage's own permissions are the user's folder's.
            let permissions = rustix::fs::fstat(source.fd()?)?.st_mode & 0o7777;
            rustix::fs::fchmod(target.fd()?, rustix::fs::Mode::from_raw_mode(permissions))?;
            io::Result::Ok(())
        });
        if let Err(error) = staged {
            // Dropping the stage removes the partial copy.
            return Err(StagingError::new("stage the user's folder", error));
        }
        *stage.shared.lock().unwrap_or_else(|e| e.into_inner()) = shared;
        let mut preopens = grant.preopens().to_vec();
        preopens[index].host = stage.path();
        let stage = Arc::new(stage);
        active()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(real, Arc::downgrade(&stage));
        let lock = grant.lock().clone();
        Ok(Grant::new(preopens, lock).with_stage(stage))
    }

    /// Called before the sandbox lets a command change the file at `path` under `dir` in
    /// place (open it for writing, set its times, link or move it; `follow`: the path's last
    /// link is followed): when that file is one of the stage's links to the user's live
    /// files, it is first replaced, at the name the path resolves to, by a copy of itself, so
    /// that the change reaches only the stage. `PermissionDenied` when the path cannot be
    /// resolved inside `dir` to the file it names.
    pub fn unshare(&self, dir: impl AsFd, path: &str, follow: bool) -> io::Result<()> {
        use cap_std::fs::MetadataExt;
        // Nothing there (the open creates it, or answers the error itself), or not a link.
        let Some(key) = self.linked_file_at(&dir, path, follow) else {
            return Ok(());
        };
        let dir = as_dir(dir.as_fd())?;
        // The name the file has: every link on the way (and the last one, with `follow`)
        // resolved inside `dir`, as the sandbox resolves it.
        let path = Path::new(path);
        let resolved = match (follow, path.file_name()) {
            (false, Some(name)) => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) => dir.canonicalize(parent)?.join(name),
                None => PathBuf::from(name),
            },
            _ => dir.canonicalize(path)?,
        };
        let held = dir
            .symlink_metadata(&resolved)
            .ok()
            .filter(|m| (m.dev(), m.ino()) == key);
        let Some(held) = held else {
            return Err(io::ErrorKind::PermissionDenied.into());
        };
        replace_with_copy(&dir, &resolved)?;
        // Two links, the live tree's and this one: the stage holds it no more.
        if held.nlink() == 2 {
            self.left_the_stage
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
        }
        Ok(())
    }

    /// The (device, inode) of the regular file `path` under `dir` names when it is one of the
    /// stage's links to the user's live files: one `fstatat`, resolved by the kernel without
    /// the sandbox's confinement. Wherever the confined resolution reaches a file, this one
    /// reaches the same file, so `None` means the sandbox cannot reach a linked file through
    /// `path` either; a linked file found only by escaping `dir` makes [`Stage::unshare`]
    /// refuse, as its confined resolution does not reach it.
    fn linked_file_at(
        &self,
        dir: impl rustix::fd::AsFd,
        path: &str,
        follow: bool,
    ) -> Option<(u64, u64)> {
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if shared.is_empty() {
            return None;
        }
        let flags = if follow {
            rustix::fs::AtFlags::empty()
        } else {
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW
        };
        let found = rustix::fs::statat(dir, path, flags).ok()?;
        let key = (found.st_dev, found.st_ino);
        let regular = rustix::fs::FileType::from_raw_mode(found.st_mode).is_file();
        (regular && shared.contains(&key)).then_some(key)
    }

    /// Whether an open file (by its metadata) is one of the stage's links to the user's live
    /// files.
    pub fn shares(&self, metadata: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&(metadata.dev(), metadata.ino()))
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
            return matches!(*state, State::Committed(..));
        }
        match off_the_workers(|| self.exchange(also_sync)) {
            Ok(swapped_out) => {
                *state = State::Committed(end_epoch(), swapped_out);
                true
            }
            Err(error) => {
                tracing::error!(user = self.user, %error, "could not commit a staged command");
                *state = State::Failed(error);
                false
            }
        }
    }

    /// Syncs and swaps the stage in; returns the status change time of the old tree's
    /// folder after the exchange ([`Rewritable::swapped_out`]).
    fn exchange(&self, also_sync: &[&Path]) -> Result<(i64, u64), StagingError> {
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
        // Filesystems set the status change time of a renamed inode; one that does not
        // leaves an earlier time, which only rewrites fewer files in place.
        let swapped_out = rustix::fs::statat(
            &self.staging,
            self.name.as_str(),
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_or((i64::MIN, 0), |stat| (stat.st_ctime, stat.st_ctime_nsec));
        // The exchange is done; a crash from here on leaves the new tree in place and the
        // old one in staging/, which the next start removes.
        let synced = readable(&self.users)
            .and_then(|users| fsync_together(&users))
            .and(fsync_together(&staging));
        if let Err(error) = synced {
            tracing::warn!(user = self.user, %error, "could not sync data/users after a commit");
        }
        Ok(swapped_out)
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
        {
            // Only this stage's entry: a later stage of the same user may have replaced it.
            let mut active = active().lock().unwrap_or_else(|e| e.into_inner());
            if active
                .get(&self.real)
                .is_some_and(|stage| stage.strong_count() == 0)
            {
                active.remove(&self.real);
            }
        }
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
                State::Committed(epoch, swapped_out) => {
                    let left_the_stage = std::mem::take(
                        &mut *self
                            .left_the_stage
                            .lock()
                            .unwrap_or_else(|e| e.into_inner()),
                    );
                    let rewritable = Rewritable {
                        swapped_out,
                        left_the_stage,
                    };
                    let tree = RetiredTree {
                        epoch,
                        at: now,
                        rewritable,
                        name: self.name.clone(),
                    };
                    pool.retire(&self.user, tree);
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

/// Points a nested command's user directory at its caller's stage, and has it unshare
/// whatever it changes in place as that stage does ([`Grant::within_stage`]), even when it
/// is not handed that directory. Only the caller holding the user's lock (`parent`) can own
/// a stage of that user, so the lookup finds the caller's.
pub fn redirect_nested(grant: Grant, parent: &LockScope) -> Grant {
    let LockScope::User(user) = parent else {
        return grant;
    };
    let active = active().lock().unwrap_or_else(|e| e.into_inner());
    if active.is_empty() {
        return grant;
    }
    let Some(stage) = active
        .values()
        .filter_map(Weak::upgrade)
        .find(|stage| stage.user == *user)
    else {
        return grant;
    };
    let mut preopens = grant.preopens().to_vec();
    for preopen in &mut preopens {
        if preopen.host == stage.real {
            preopen.host = stage.path();
        }
    }
    Grant::new(preopens, grant.lock().clone()).within_stage(stage)
}

/// The folder of the data root where stages of processes that no longer run wait to be
/// removed, off the start-up path.
const LEFTOVERS_DIR: &str = "staging-leftovers";

/// Clears stages left by processes that no longer run (a crash or `kill -9` mid-command, or
/// the old trees a stopped server still kept): each is moved out of `staging/` at once (one
/// rename) and removed by a background thread, so a start after a busy period does not wait
/// for thousands of removals. What a previous start did not finish removing goes too.
pub fn recover(root: &Path) -> io::Result<()> {
    let Ok(staging) = Dir::open_ambient_dir(root.join(STAGING_DIR), cap_std::ambient_authority())
    else {
        return Ok(());
    };
    let root_dir = Dir::open_ambient_dir(root, cap_std::ambient_authority())?;
    root_dir.create_dir_all(LEFTOVERS_DIR)?;
    let leftovers = root_dir.open_dir(LEFTOVERS_DIR)?;
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
        if alive {
            continue;
        }
        // Another start may be clearing the same leftovers: whoever renames first owns it.
        let moved = staging.rename(&name, &leftovers, &name);
        if let Err(error) = moved
            && error.kind() != io::ErrorKind::NotFound
        {
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
    std::thread::Builder::new()
        .name("stage-leftovers".to_string())
        .spawn(move || {
            let Ok(entries) = leftovers.entries() else {
                return;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let removed = match entry.file_type() {
                    Ok(kind) if kind.is_dir() => leftovers.remove_dir_all(&name),
                    _ => leftovers.remove_file(&name),
                };
                if let Err(error) = removed
                    && error.kind() != io::ErrorKind::NotFound
                {
                    tracing::warn!(stage = ?name, %error, "could not remove a stale stage");
                }
            }
        })?;
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

    /// A data root with the user `alice`: `user.conf`, `dns/a.conf`, `gone/x`, `old.txt`
    /// and a link `link` → `user.conf`; and a read-write grant of her directory.
    fn alice_root() -> (tempfile::TempDir, DataRoot, Grant) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("conf")).unwrap();
        let user = dir.path().join("data/users/alice");
        std::fs::create_dir_all(user.join("dns")).unwrap();
        std::fs::create_dir_all(user.join("gone")).unwrap();
        std::fs::write(user.join("user.conf"), "NAME='Alice'\n").unwrap();
        std::fs::write(user.join("dns/a.conf"), "ID='1'\n").unwrap();
        std::fs::write(user.join("gone/x"), "x").unwrap();
        std::fs::write(user.join("old.txt"), "old").unwrap();
        std::os::unix::fs::symlink("user.conf", user.join("link")).unwrap();
        let root = DataRoot::open(dir.path()).unwrap();
        let grant = Grant::new(
            vec![crate::grant::Preopen {
                host: root.path().join("data/users/alice"),
                guest: USER_MOUNT.to_string(),
                permission: Permission::ReadWrite,
            }],
            LockScope::User("alice".to_string()),
        );
        (dir, root, grant)
    }

    /// The directory at `path`, opened for listing.
    fn listing(path: &Path) -> Listing {
        let name = CString::new(path.file_name().unwrap().as_bytes()).unwrap();
        open_listable(std::fs::File::open(path.parent().unwrap()).unwrap(), &name).unwrap()
    }

    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).unwrap().ino()
    }

    /// Every entry under `dir`: (kind and permissions, contents or link target, inode of a
    /// file; directories and links are the stage's own).
    fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, (u32, Vec<u8>, u64)> {
        use std::os::unix::fs::MetadataExt;
        let mut entries = std::collections::BTreeMap::new();
        let mut pending = vec![PathBuf::new()];
        while let Some(relative) = pending.pop() {
            for entry in std::fs::read_dir(dir.join(&relative)).unwrap() {
                let entry = entry.unwrap();
                let path = relative.join(entry.file_name());
                let metadata = std::fs::symlink_metadata(dir.join(&path)).unwrap();
                let contents = if metadata.is_dir() {
                    pending.push(path.clone());
                    Vec::new()
                } else if metadata.is_symlink() {
                    std::fs::read_link(dir.join(&path))
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes()
                } else {
                    std::fs::read(dir.join(&path)).unwrap()
                };
                let file_inode = if metadata.is_file() {
                    metadata.ino()
                } else {
                    0
                };
                entries.insert(path, (metadata.mode(), contents, file_inode));
            }
        }
        entries
    }

    #[test]
    fn a_mirror_that_asks_every_file_for_its_inode_builds_the_same_tree() {
        // Where the listing's inode numbers are not trusted (an unlisted filesystem), each
        // entry is asked with `fstatat`: the same tree and the same record of linked files.
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let (source, target) = (dir.path().join("source"), dir.path().join("target"));
        std::fs::create_dir_all(source.join("dns")).unwrap();
        std::fs::write(source.join("user.conf"), "NAME='Alice'\n").unwrap();
        std::fs::write(source.join("dns/a.conf"), "ID='1'\n").unwrap();
        std::fs::set_permissions(source.join("dns"), std::fs::Permissions::from_mode(0o750))
            .unwrap();
        std::os::unix::fs::symlink("user.conf", source.join("link")).unwrap();
        std::fs::create_dir_all(target.join("user.conf")).unwrap();
        std::fs::write(target.join("stale"), "stale").unwrap();
        std::fs::write(target.join("dns"), "a file where the folder goes").unwrap();
        let mut shared = SharedFiles::new();
        mirror_dir(
            &mut listing(&source),
            &mut listing(&target),
            false,
            None,
            &mut shared,
        )
        .unwrap();
        assert_eq!(tree(&target), tree(&source));
        let inode = |path: &Path| {
            let metadata = std::fs::metadata(path).unwrap();
            (metadata.dev(), metadata.ino())
        };
        let expected = [
            inode(&source.join("user.conf")),
            inode(&source.join("dns/a.conf")),
        ];
        assert_eq!(shared, expected.into_iter().collect());
    }

    #[test]
    fn only_a_file_that_was_no_live_file_since_the_exchange_is_rewritten_in_place() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let (source, target) = (dir.path().join("source"), dir.path().join("target"));
        std::fs::create_dir_all(&source).unwrap();
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(source.join("f"), "live\n").unwrap();
        let (source_dir, target_dir) = (
            std::fs::File::open(&source).unwrap(),
            std::fs::File::open(&target).unwrap(),
        );
        let name = CString::new("f").unwrap();
        let refresh = |rewritable: &Rewritable| {
            refresh_private_file(source_dir.as_fd(), target_dir.as_fd(), &name, rewritable)
        };
        let held = || std::fs::read_to_string(target.join("f")).unwrap();
        // The old tree's version: (device, inode) and status change time.
        let stale = |contents: &str| {
            std::fs::write(target.join("f"), contents).unwrap();
            let metadata = std::fs::metadata(target.join("f")).unwrap();
            let status = (metadata.ctime(), metadata.ctime_nsec() as u64);
            ((metadata.dev(), metadata.ino()), status)
        };
        let rewritable = |swapped_out, left: &[(u64, u64)]| Rewritable {
            swapped_out,
            left_the_stage: left.iter().copied().collect(),
        };

        let (key, status) = stale("an older, longer version\n");
        assert!(
            !refresh(&rewritable(status, &[])),
            "changed at the exchange's time: maybe after it"
        );
        assert_eq!(held(), "an older, longer version\n");
        assert!(
            refresh(&rewritable((i64::MIN, 0), &[key])),
            "the stage dropped its link"
        );
        assert_eq!(held(), "live\n");
        assert_eq!(inode(&target.join("f")), key.1, "in place");

        let (key, status) = stale("older again\n");
        assert!(
            refresh(&rewritable((status.0 + 1, status.1), &[])),
            "changed before the exchange"
        );
        assert_eq!((held(), inode(&target.join("f"))), ("live\n".into(), key.1));

        let (key, _) = stale("linked\n");
        std::fs::hard_link(target.join("f"), dir.path().join("second")).unwrap();
        assert!(
            !refresh(&rewritable((i64::MAX, 0), &[key])),
            "held under another name"
        );
        assert_eq!(held(), "linked\n");
    }

    /// A tmpfs of `size` mounted at `path`, unmounted when dropped.
    struct SmallFilesystem(PathBuf);

    impl SmallFilesystem {
        fn mount(path: &Path, size: &str) -> Result<Self, String> {
            std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
            let output = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(path)
                .output()
                .map_err(|e| e.to_string())?;
            match output.status.success() {
                true => Ok(Self(path.to_path_buf())),
                false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
            }
        }
    }

    impl Drop for SmallFilesystem {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }

    #[test]
    fn a_rewrite_in_place_that_runs_out_of_room_midway_leaves_a_link_to_the_live_file() {
        // A recycled tree's private file whose rewrite fails partway (here the disk fills)
        // is not left half-written: the mirror replaces it by a link to the live file, which
        // needs no room.
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        let _mount = match SmallFilesystem::mount(&small, "1m") {
            Ok(mount) => mount,
            // SAFETY: `geteuid` only reads the process's user ID.
            Err(error) if unsafe { libc::geteuid() } == 0 => {
                panic!("root could not mount a tmpfs: {error}")
            }
            Err(error) => {
                // Without root no disk can be filled safely (the server runs as root).
                eprintln!("NOT TESTED: a rewrite that runs out of room ({error})");
                return;
            }
        };
        let (source, target) = (small.join("source"), small.join("target"));
        std::fs::create_dir_all(&source).unwrap();
        std::fs::create_dir_all(&target).unwrap();
        let live: Vec<u8> = (0..768 << 10).map(|n: u32| n as u8).collect();
        std::fs::write(source.join("f"), &live).unwrap();
        std::fs::write(target.join("f"), "old\n").unwrap();
        // Fill the filesystem, then give back 64 KiB: room for the start of the copy only.
        let mut ballast = std::fs::File::create(small.join("ballast")).unwrap();
        let chunk = vec![0u8; 16 << 10];
        while ballast.write_all(&chunk).is_ok() {}
        let filled = ballast.metadata().unwrap().len();
        assert!(
            filled > 64 << 10,
            "the tmpfs had too little room: {filled} bytes"
        );
        ballast.set_len(filled - (64 << 10)).unwrap();
        let rewritable = Rewritable {
            swapped_out: (i64::MAX, 0),
            left_the_stage: SharedFiles::new(),
        };
        let (source_dir, target_dir) = (
            std::fs::File::open(&source).unwrap(),
            std::fs::File::open(&target).unwrap(),
        );
        let name = CString::new("f").unwrap();
        assert!(
            !refresh_private_file(source_dir.as_fd(), target_dir.as_fd(), &name, &rewritable),
            "the rewrite cannot fit"
        );
        let written = std::fs::metadata(target.join("f")).unwrap().len();
        assert!(
            written > 4 && written < live.len() as u64,
            "it failed midway: {written} bytes"
        );

        let mut shared = SharedFiles::new();
        mirror_tree(
            &mut listing(&source),
            &mut listing(&target),
            Some(&rewritable),
            &mut shared,
        )
        .unwrap();
        assert_eq!(std::fs::read(target.join("f")).unwrap(), live);
        assert_eq!(
            inode(&target.join("f")),
            inode(&source.join("f")),
            "a link to the live file"
        );
        assert_eq!(shared.len(), 1, "noted as shared: {shared:?}");
    }

    #[test]
    fn a_stage_links_the_users_files_and_a_write_reaches_only_the_stage() {
        let (_dir, root, grant) = alice_root();
        let live = root.path().join("data/users/alice");
        let staged = Stage::prepare(&root, grant).unwrap();
        let stage = staged.writes_into_stage().unwrap().clone();
        let path = stage.path();
        assert_eq!(
            inode(&path.join("user.conf")),
            inode(&live.join("user.conf"))
        );
        assert_eq!(
            tree(&path),
            tree(&live),
            "the stage is the user's tree, linked"
        );

        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority()).unwrap();
        // Through its own name: replaced by a copy before the write.
        stage.unshare(&dir, "user.conf", false).unwrap();
        assert_ne!(
            inode(&path.join("user.conf")),
            inode(&live.join("user.conf"))
        );
        std::fs::write(path.join("user.conf"), "NAME='Changed'\n").unwrap();
        assert_eq!(
            std::fs::read(live.join("user.conf")).unwrap(),
            b"NAME='Alice'\n"
        );
        // Through a second name the command gave a linked file.
        std::fs::hard_link(path.join("dns/a.conf"), path.join("second")).unwrap();
        stage.unshare(&dir, "second", false).unwrap();
        assert_ne!(inode(&path.join("second")), inode(&live.join("dns/a.conf")));
        // Through a symbolic link: the file is copied at the name the link leads to, with
        // its contents and times; the link stays a link.
        let modified = std::fs::metadata(live.join("dns/a.conf"))
            .unwrap()
            .modified()
            .unwrap();
        std::os::unix::fs::symlink("dns/a.conf", path.join("to-a")).unwrap();
        stage.unshare(&dir, "to-a", true).unwrap();
        assert_ne!(
            inode(&path.join("dns/a.conf")),
            inode(&live.join("dns/a.conf"))
        );
        assert_eq!(std::fs::read(path.join("dns/a.conf")).unwrap(), b"ID='1'\n");
        let copied = std::fs::metadata(path.join("dns/a.conf")).unwrap();
        assert_eq!(copied.modified().unwrap(), modified);
        assert!(
            std::fs::symlink_metadata(path.join("to-a"))
                .unwrap()
                .is_symlink()
        );
        // Not following the last link: the link itself is no shared file.
        std::fs::rename(path.join("old.txt"), path.join("moved.txt")).unwrap();
        std::os::unix::fs::symlink("moved.txt", path.join("to-moved")).unwrap();
        stage.unshare(&dir, "to-moved", false).unwrap();
        assert_eq!(inode(&path.join("moved.txt")), inode(&live.join("old.txt")));
        // A linked file given another name, reached through a link to that name.
        stage.unshare(&dir, "to-moved", true).unwrap();
        assert_ne!(inode(&path.join("moved.txt")), inode(&live.join("old.txt")));
        // A file the command made itself, or nothing at all: nothing to do.
        std::fs::write(path.join("new.txt"), "new").unwrap();
        let new_inode = inode(&path.join("new.txt"));
        stage.unshare(&dir, "new.txt", false).unwrap();
        stage.unshare(&dir, "missing", false).unwrap();
        assert_eq!(inode(&path.join("new.txt")), new_inode);

        staged.finish_staged(false);
        drop((staged, stage));
        assert_eq!(
            std::fs::read(live.join("user.conf")).unwrap(),
            b"NAME='Alice'\n"
        );
        assert!(!path.exists(), "a discarded stage is removed");
    }

    #[test]
    fn a_recycled_old_tree_mirrors_the_users_tree_exactly() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, root, grant) = alice_root();
        let live = root.path().join("data/users/alice");
        std::fs::write(live.join("dns/b.conf"), "ID='b'\n").unwrap();
        std::fs::write(live.join("dns/c.conf"), "ID='c'\n").unwrap();
        let staged = Stage::prepare(&root, grant.clone()).unwrap();
        let first = staged.stage().unwrap().path();
        // The command replaces two files: their old versions are the old tree's own from
        // before it is swapped out, and the old `dns/b.conf` has a second name outside.
        std::fs::hard_link(first.join("dns/b.conf"), dir.path().join("held")).unwrap();
        for (name, contents) in [
            ("user.conf", "NAME='Committed'\n"),
            ("dns/b.conf", "ID='c'\n"),
        ] {
            std::fs::remove_file(first.join(name)).unwrap();
            std::fs::write(first.join(name), contents).unwrap();
        }
        // Past the clock tick those removals were stamped in (10 ms at the lowest `HZ`).
        std::thread::sleep(Duration::from_millis(20));
        // A write through copy-on-write, which drops the stage's only link.
        let old_c = {
            use std::os::unix::fs::MetadataExt;
            let metadata = std::fs::metadata(live.join("dns/c.conf")).unwrap();
            (metadata.dev(), metadata.ino())
        };
        let stage_dir = Dir::open_ambient_dir(&first, cap_std::ambient_authority()).unwrap();
        staged
            .stage()
            .unwrap()
            .unshare(&stage_dir, "dns/c.conf", false)
            .unwrap();
        std::fs::write(first.join("dns/c.conf"), "ID='C'\n").unwrap();
        assert!(staged.finish_staged(true));
        drop(staged);
        assert_eq!(
            std::fs::read(live.join("user.conf")).unwrap(),
            b"NAME='Committed'\n"
        );
        assert!(first.exists(), "the old tree waits in staging/");
        let retired = retired_trees()
            .get(root.path())
            .and_then(|pool| pool.by_user.get("alice"))
            .and_then(|trees| trees.front())
            .map(|tree| tree.rewritable.left_the_stage.clone());
        assert_eq!(retired, Some([old_c].into_iter().collect()));

        // Later changes of the user's tree: every kind of difference the old tree now has.
        std::fs::remove_dir_all(live.join("gone")).unwrap();
        std::fs::write(live.join("gone"), "a file where a folder was").unwrap();
        std::fs::remove_file(live.join("old.txt")).unwrap();
        std::fs::create_dir(live.join("old.txt")).unwrap();
        std::fs::write(live.join("old.txt/inside"), "a folder where a file was").unwrap();
        std::fs::write(live.join("new.txt"), "new").unwrap();
        std::fs::create_dir(live.join("mail")).unwrap();
        std::fs::write(live.join("mail/box"), "box").unwrap();
        std::fs::set_permissions(live.join("dns"), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::remove_file(live.join("link")).unwrap();
        std::os::unix::fs::symlink("dns/a.conf", live.join("link")).unwrap();
        std::fs::write(live.join("dns/.a.tmp"), "ID='2'\n").unwrap();
        std::fs::rename(live.join("dns/.a.tmp"), live.join("dns/a.conf")).unwrap();

        // The old tree's `user.conf` is its own since before the exchange, and is rewritten
        // in place (with the live file's shorter contents, mode and time); its `dns/b.conf`
        // has a second name outside, and its `dns/a.conf` was a live file until the rename
        // above: both are replaced by links.
        let private = inode(&first.join("user.conf"));
        std::fs::write(live.join("user.conf"), "NAME='A'\n").unwrap();
        let times = std::fs::FileTimes::new()
            .set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
        let user_conf = std::fs::File::options()
            .write(true)
            .open(live.join("user.conf"))
            .unwrap();
        user_conf.set_times(times).unwrap();
        std::fs::set_permissions(
            live.join("user.conf"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();

        std::thread::sleep(RECYCLE_AFTER + Duration::from_millis(100));
        let staged = Stage::prepare(&root, grant).unwrap();
        let stage = staged.stage().unwrap();
        let second = stage.path();
        assert_eq!(second, first, "the old tree became the next stage");
        let mut expected = tree(&live);
        expected.get_mut(Path::new("user.conf")).unwrap().2 = private;
        expected.get_mut(Path::new("dns/c.conf")).unwrap().2 = old_c.1;
        assert_eq!(
            tree(&second),
            expected,
            "same names, kinds, modes, contents; inodes of the live files but the one rewritten"
        );
        let rewritten = std::fs::metadata(second.join("user.conf")).unwrap();
        assert_eq!(
            rewritten.modified().unwrap(),
            std::fs::metadata(live.join("user.conf"))
                .unwrap()
                .modified()
                .unwrap()
        );
        assert!(
            !stage.shares(&rewritten),
            "a rewritten file is the stage's own"
        );
        for name in ["dns/a.conf", "dns/b.conf"] {
            let linked = std::fs::metadata(second.join(name)).unwrap();
            assert!(stage.shares(&linked), "{name}");
        }
        staged.finish_staged(false);
    }

    /// Waits for the readers other tests in this process may hold in `epoch` to finish.
    fn wait_until_drained(epoch: u64) {
        let since = Instant::now();
        while !epoch_drained(epoch) {
            assert!(
                since.elapsed() < Duration::from_secs(10),
                "a reader never ended"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_recycled_tree_retired_again_waits_for_its_own_readers() {
        let ended = end_epoch();
        let reader = reader_ticket();
        wait_until_drained(ended);
        let start = Instant::now();
        let mut pool = RetiredTrees::default();
        let tree = |epoch, at| RetiredTree {
            epoch,
            at,
            rewritable: Rewritable::default(),
            name: "1.0.alice".into(),
        };
        pool.retire("alice", tree(ended, start));
        assert_eq!(
            pool.recycle("bob", start + RECYCLE_AFTER),
            None,
            "another user's"
        );
        assert_eq!(pool.recycle("alice", start), None, "retired too recently");
        let later = start + RECYCLE_AFTER;
        assert_eq!(
            pool.recycle("alice", later)
                .map(|tree| tree.name)
                .as_deref(),
            Some("1.0.alice")
        );
        // Committed again, under the same name, in an epoch `reader` may still hold.
        pool.retire("alice", tree(reader.0, later));
        assert!(
            pool.settle(start + OLD_TREE_GRACE).is_empty(),
            "the first retirement's turn does not remove the second"
        );
        assert_eq!(
            pool.recycle("alice", later + RECYCLE_AFTER),
            None,
            "held by a reader"
        );
        let held = reader.0;
        drop(reader);
        wait_until_drained(held);
        assert_eq!(
            pool.settle(later + OLD_TREE_GRACE),
            vec!["1.0.alice".to_string()]
        );
    }

    #[test]
    fn leftovers_of_dead_processes_leave_staging_at_once_and_are_removed_after() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join(STAGING_DIR);
        // A process that runs (this one's parent) and one that cannot (pid 0).
        let live = format!("{}.1.alice", std::os::unix::process::parent_id());
        std::fs::create_dir_all(staging.join(&live)).unwrap();
        for dead in ["0.1.alice", "0.2.bob"] {
            std::fs::create_dir_all(staging.join(dead).join("dns")).unwrap();
            std::fs::write(staging.join(dead).join("dns/a.conf"), "x").unwrap();
        }
        recover(dir.path()).unwrap();
        let left: Vec<_> = std::fs::read_dir(&staging)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            [std::ffi::OsString::from(&live)],
            "only the live stage stays"
        );
        let leftovers = dir.path().join(LEFTOVERS_DIR);
        let since = Instant::now();
        while std::fs::read_dir(&leftovers).unwrap().count() > 0 {
            assert!(since.elapsed() < Duration::from_secs(10), "never removed");
            std::thread::sleep(Duration::from_millis(5));
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
        pool.retired.push_back(RetiredTree {
            epoch: u64::MAX - 1,
            at: Instant::now(),
            rewritable: Rewritable::default(),
            name: "busy".into(),
        });
        assert!(
            pool.settle(Instant::now() + OLD_TREE_GRACE).is_empty(),
            "not removed while readers may hold it"
        );
        drop(after);
    }
}
