//! Hestia's `log/auth.log`: the `DATE TIME <who> <ip> <event>` lines fail2ban's `hestia`
//! filter (`.* <HOST> failed to login`) reads.

use std::path::Path;

use time::OffsetDateTime;
use time::macros::format_description;

use crate::log_writeback::AppendLog;

/// Appends auth events; every field is reduced to a safe character set first, so no value can
/// inject a line break or a second address into a line.
pub struct AuthLog {
    file: AppendLog,
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
        Ok(Self {
            file: AppendLog::open(path)?,
        })
    }

    /// The log file, for [`crate::log_writeback::start`].
    pub fn file(&self) -> &AppendLog {
        &self.file
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
        self.file.append(&line);
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
