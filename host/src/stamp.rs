//! What tells one version of a file from another, and when that can be trusted: the stamps
//! behind the parsed-file cache (`data.rs`) and the memoized reads (`runtime/read_cache.rs`).

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, SystemTime};

/// A write changes a file's size or its change time, and a file replaced by a rename (or a
/// user directory swapped by a commit) has another inode (or device, for another mount).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// Seconds and nanoseconds, as the filesystem gives them.
    modified: (i64, i64),
    changed: (i64, i64),
    device: u64,
    inode: u64,
    len: u64,
}

/// A file modified this close to when it was read may change again without its stamp
/// changing (timestamps have a coarse tick), so such a stamp is not trusted: the "racy
/// timestamp" rule git uses for its index.
pub(crate) const RACY_WINDOW: Duration = Duration::from_secs(2);

impl Stamp {
    /// The stamp of a file the data root's capability handles opened.
    pub(crate) fn of(metadata: &cap_std::fs::Metadata) -> Self {
        use cap_std::fs::MetadataExt;
        Self {
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
        }
    }

    /// The stamp of a file found by its host path or by an open descriptor.
    pub(crate) fn of_std(metadata: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
        }
    }

    /// The stamp of what `relative` names below `dir` (a link at its end not followed), in
    /// one `newfstatat`. The path is not held beneath `dir` the way a capability open holds
    /// it (a link in a parent folder is followed), so this stamp only confirms a file read
    /// before through a capability, and only a [`Stamp::trustworthy`] one: an equal stamp
    /// has that file's device and inode, and a file that took the inode since was made
    /// after it was read, so its change time is later than the one remembered (as long as
    /// the wall clock does not step back).
    pub(crate) fn at(dir: impl AsFd, relative: &str) -> io::Result<Self> {
        let stat = rustix::fs::statat(dir, relative, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(Self {
            modified: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
            changed: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
            device: stat.st_dev,
            inode: stat.st_ino,
            len: stat.st_size as u64,
        })
    }

    /// Whether the file was last modified and changed long enough before `read_at` that a
    /// later write must show in its stamp.
    pub(crate) fn trustworthy(&self, read_at: SystemTime) -> bool {
        let as_time = |(seconds, nanoseconds): (i64, i64)| {
            u64::try_from(seconds).ok().map(|seconds| {
                SystemTime::UNIX_EPOCH
                    + Duration::new(seconds, nanoseconds.clamp(0, 999_999_999) as u32)
            })
        };
        [as_time(self.modified), as_time(self.changed)]
            .iter()
            .all(|time| {
                time.is_some_and(|time| {
                    read_at
                        .duration_since(time)
                        .is_ok_and(|age| age >= RACY_WINDOW)
                })
            })
    }
}
