//! The durable queue of incremental pushes: `data/queue/dns-cluster/`, one small file per
//! (peer, user, domain) change, created by rename and synced, removed only once the peer has
//! taken the domain's state. A push sends the domain as it is at delivery time, so jobs for
//! the same domain collapse into one delivery and a repeated delivery changes nothing.
//! Files (rather than one rewritten list) let `hearth call` and the server append at the same
//! time without losing each other's entries.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cap_std::fs::{Dir, OpenOptions};
use hearth_sdk::conf::Record;

/// The queue directory, relative to the data root.
pub const QUEUE_DIR: &str = "data/queue/dns-cluster";

/// One queued change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The file name, which orders jobs by creation.
    pub file: String,
    pub host: String,
    pub user: String,
    pub domain: String,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Queues a push of `user`'s `domain` to `host`.
pub fn push(root: &Dir, host: &str, user: &str, domain: &str) -> io::Result<()> {
    root.create_dir_all(QUEUE_DIR)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let name = format!("{nanos:024}-{}-{sequence:08}.job", std::process::id());
    let line = Record::from_pairs([("HOST", host), ("USER", user), ("DOMAIN", domain)])
        .to_line()
        .map_err(io::Error::other)?;
    let temporary = format!("{QUEUE_DIR}/.{name}.tmp");
    let mut file = root.open_with(&temporary, OpenOptions::new().write(true).create_new(true))?;
    file.write_all(line.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    root.rename(&temporary, root, format!("{QUEUE_DIR}/{name}"))?;
    if let Ok(dir) = root.open_dir(QUEUE_DIR) {
        // Make the new name durable too.
        let _ = dir.open(".").and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Every queued job, oldest first. Unreadable entries are skipped (and logged).
pub fn list(root: &Dir) -> io::Result<Vec<Job>> {
    let dir = match root.open_dir(QUEUE_DIR) {
        Ok(dir) => dir,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut names = Vec::new();
    for entry in dir.entries()? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".job") && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    let mut jobs = Vec::new();
    for name in names {
        let text = match dir.read_to_string(&name) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        match Record::parse_line(text.trim()) {
            Ok(record) => jobs.push(Job {
                file: name,
                host: record.value("HOST").to_string(),
                user: record.value("USER").to_string(),
                domain: record.value("DOMAIN").to_string(),
            }),
            Err(error) => {
                tracing::error!(file = name, %error, "unreadable dns-cluster queue entry")
            }
        }
    }
    Ok(jobs)
}

/// Removes delivered jobs.
pub fn remove(root: &Dir, jobs: &[&Job]) -> io::Result<()> {
    for job in jobs {
        match root.remove_file(format!("{QUEUE_DIR}/{}", job.file)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    #[test]
    fn jobs_survive_in_order_until_removed() {
        let temp = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap();
        push(&root, "ns2", "alice", "example.com").unwrap();
        push(&root, "ns2", "alice", "example.org").unwrap();
        push(&root, "ns3", "bob", "example.net").unwrap();
        // A fresh handle (a restarted server) sees the same queue.
        let again = Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap();
        let jobs = list(&again).unwrap();
        let domains: Vec<&str> = jobs.iter().map(|j| j.domain.as_str()).collect();
        assert_eq!(domains, ["example.com", "example.org", "example.net"]);
        remove(&again, &[&jobs[0]]).unwrap();
        let left = list(&root).unwrap();
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].domain, "example.org");
    }
}
