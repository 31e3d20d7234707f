//! The server's append-only logs (`log/audit.jsonl`, `log/auth.log`, `log/alerts.log`) and
//! their steady write-back.
//!
//! Every request appends to both. Left alone, the appended pages stay dirty until the
//! kernel's expiry (`vm.dirty_expire_centisecs`, 30 s), and then about 30 s of appends are
//! written back at once: with ext4's delayed allocation that holds up the appends made
//! meanwhile, which run on request paths, so about 30 s into a load every request stalled for
//! 20–80 ms (reads at c32: p99 25–84 ms instead of 4–5 ms in the row running then). Writing
//! the logs back every second keeps each write-back small.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// A log file that lines are only ever appended to, one whole line per write.
pub struct AppendLog {
    file: Mutex<File>,
    /// The file's name, for the error reported when an append fails.
    name: String,
}

impl AppendLog {
    /// Opens (creating) the log file for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        Ok(Self {
            file: Mutex::new(file),
            name: name.into_owned(),
        })
    }

    /// Appends `line` (which ends with its line break) in one write.
    pub fn append(&self, line: &str) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = file.write_all(line.as_bytes()) {
            tracing::error!(%error, log = self.name, "could not append to a log");
        }
    }

    /// Another descriptor of the log file, for the write-back thread.
    fn writeback_handle(&self) -> std::io::Result<File> {
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_clone()
    }
}

/// How often the logs are written back.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Writes `logs` back to disk (`fdatasync`) every [`INTERVAL`] on a thread of its own, for
/// the life of the process.
pub fn start(logs: &[&AppendLog]) -> std::io::Result<()> {
    let files = logs
        .iter()
        .map(|log| log.writeback_handle())
        .collect::<std::io::Result<Vec<_>>>()?;
    std::thread::Builder::new()
        .name("log-writeback".to_string())
        .spawn(move || {
            loop {
                std::thread::sleep(INTERVAL);
                for file in &files {
                    if let Err(error) = file.sync_data() {
                        tracing::warn!(%error, "could not write a log back to disk");
                    }
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// Pages of `file` the page cache holds dirty (Linux `cachestat`, 6.5 and later).
    fn dirty_pages(file: &File) -> u64 {
        #[repr(C)]
        struct Range {
            offset: u64,
            length: u64,
        }
        #[repr(C)]
        #[derive(Default)]
        struct Stat {
            cache: u64,
            dirty: u64,
            writeback: u64,
            evicted: u64,
            recently_evicted: u64,
        }
        const SYS_CACHESTAT: libc::c_long = 451;
        let range = Range {
            offset: 0,
            length: 0,
        };
        let mut stat = Stat::default();
        // SAFETY: `cachestat(fd, &range, &mut stat, 0)` reads `range` and writes `stat`, both
        // live `repr(C)` values of the kernel's layout for the call's duration.
        let answer = unsafe {
            libc::syscall(
                SYS_CACHESTAT,
                file.as_raw_fd(),
                &range as *const Range,
                &mut stat as *mut Stat,
                0,
            )
        };
        assert_eq!(answer, 0, "cachestat: {}", std::io::Error::last_os_error());
        stat.dirty
    }

    #[test]
    fn appended_log_data_reaches_the_disk_within_seconds() {
        // On a disk (the build directory), not a tmpfs `/tmp`, which never writes back.
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-tmp");
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::tempdir_in(&base).unwrap();
        let log = AppendLog::open(&dir.path().join("audit.jsonl")).unwrap();
        let line = format!("{}\n", "x".repeat(4095));
        for _ in 0..1024 {
            log.append(&line);
        }
        let file = log.writeback_handle().unwrap();
        assert_eq!(file.metadata().unwrap().len(), 4 << 20);
        assert!(
            dirty_pages(&file) > 0,
            "the appended pages wait in the page cache"
        );
        start(&[&log]).unwrap();
        // The kernel alone keeps them dirty for 30 s (`vm.dirty_expire_centisecs`).
        let since = std::time::Instant::now();
        while dirty_pages(&file) > 0 {
            assert!(
                since.elapsed() < INTERVAL * 5,
                "the appended data was not written back"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
