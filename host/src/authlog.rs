//! Hestia's `log/auth.log`: the `DATE TIME <who> <ip> <event>` lines fail2ban's `hestia`
//! filter (`.* <HOST> failed to login`) reads.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use time::OffsetDateTime;
use time::macros::format_description;

/// Appends auth events; every field is reduced to a safe character set first, so no value can
/// inject a line break or a second address into a line.
pub struct AuthLog {
    file: Mutex<File>,
}

/// Keeps `[A-Za-z0-9._:@-]`, replacing anything else with `_`.
pub fn log_safe(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '@' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "-".to_string()
    } else {
        cleaned
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn timestamp() -> String {
    OffsetDateTime::now_utc()
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

impl AuthLog {
    /// Opens (creating) the log file for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Another descriptor of the log file, for [`crate::log_writeback`].
    pub fn writeback_handle(&self) -> std::io::Result<File> {
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_clone()
    }

    /// Writes `DATE TIME who ip event`.
    pub fn record(&self, who: &str, ip: &str, event: &str) {
        let line = format!(
            "{} {} {} {}\n",
            timestamp(),
            log_safe(who),
            log_safe(ip),
            event
        );
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = file.write_all(line.as_bytes()) {
            tracing::error!(%error, "could not write auth.log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_inject_lines_or_addresses() {
        assert_eq!(log_safe("admin"), "admin");
        assert_eq!(log_safe("a\nb 1.2.3.4 failed"), "a_b_1.2.3.4_failed");
        assert_eq!(log_safe("::1"), "::1");
        assert_eq!(log_safe(""), "-");
    }
}
