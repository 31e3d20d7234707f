//! The service reload queue behind the `services` host interface: Hestia's scheduled
//! restart. Requests of a successful command are appended once each to
//! `data/queue/restart.pipe` as `v-restart-<service> now`; whatever restarts services on the
//! machine drains that file. The host itself never runs a shell.

use std::io::{self, Write};
use std::sync::Mutex;

use cap_std::fs::{Dir, OpenOptions};

/// Where the queue lives, relative to the data root.
pub const RESTART_QUEUE: &str = "data/queue/restart.pipe";

/// A service name a plugin may ask for: `[a-z0-9-]{1,32}`.
pub fn is_service_name(service: &str) -> bool {
    (1..=32).contains(&service.len())
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The queue file.
pub struct ReloadQueue {
    root: Dir,
    lock: Mutex<()>,
}

impl ReloadQueue {
    /// The queue of the data root `root`.
    pub fn new(root: Dir) -> Self {
        Self {
            root,
            lock: Mutex::new(()),
        }
    }

    /// Appends `v-restart-<service> now` for each service not already queued.
    pub fn enqueue(&self, services: &[String]) -> io::Result<()> {
        if services.is_empty() {
            return Ok(());
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.root.create_dir_all("data/queue")?;
        let queued = match self.root.read_to_string(RESTART_QUEUE) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(error),
        };
        let mut lines = String::new();
        for service in services {
            let line = format!("v-restart-{service} now");
            if !queued.lines().any(|queued| queued == line) && !lines.contains(&line) {
                lines.push_str(&line);
                lines.push('\n');
            }
        }
        if lines.is_empty() {
            return Ok(());
        }
        let mut file = self
            .root
            .open_with(RESTART_QUEUE, OpenOptions::new().create(true).append(true))?;
        file.write_all(lines.as_bytes())
    }

    /// The queued lines.
    pub fn pending(&self) -> io::Result<Vec<String>> {
        match self.root.read_to_string(RESTART_QUEUE) {
            Ok(text) => Ok(text.lines().map(str::to_string).collect()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    #[test]
    fn requests_are_queued_once() {
        let temp = tempfile::tempdir().unwrap();
        let queue =
            ReloadQueue::new(Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap());
        queue.enqueue(&["web".into(), "web".into()]).unwrap();
        queue.enqueue(&["web".into(), "dns".into()]).unwrap();
        assert_eq!(
            queue.pending().unwrap(),
            ["v-restart-web now", "v-restart-dns now"]
        );
    }

    #[test]
    fn service_names() {
        assert!(is_service_name("web"));
        assert!(is_service_name("php8-fpm"));
        assert!(!is_service_name(""));
        assert!(!is_service_name("web now; rm -rf /"));
        assert!(!is_service_name("Web"));
    }
}
