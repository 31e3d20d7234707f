//! Helpers shared by the user commands: user checks, counters, history entries, shells.

use std::io;
use std::path::{Path, PathBuf};

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, validate};

/// Hestia keeps at most ~300 history lines: above 300 it keeps the last 250.
const HISTORY_MAX_LINES: usize = 300;
const HISTORY_KEEP_LINES: usize = 250;

/// The shells `v-change-user-shell` accepts. The sandbox has no `/etc/shells`, so this is the
/// list of real login shells a Hestia server normally lists there (Hestia adds `nologin`).
pub const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "rbash", "zsh", "tcsh", "csh", "ksh", "fish", "nologin",
];

/// Directories a shell may be given in when passed as a full path.
const SHELL_DIRS: &[&str] = &[
    "/bin/",
    "/usr/bin/",
    "/sbin/",
    "/usr/sbin/",
    "/usr/local/bin/",
];

/// `is_format_valid 'user'`. Hestia skips empty values (and then silently falls back to the
/// root user); hearth refuses an empty USER instead, so that a sandbox is never opened on
/// `data/users/` itself.
pub fn user_format(user: &str) -> Result<(), CmdError> {
    validate::user(user)
}

/// `Error: user X doesn't exist` (3).
pub fn no_such_user(user: &str) -> CmdError {
    CmdError::not_exist("user", user)
}

/// `Error: user X is suspended` (5), Hestia's `is_object_unsuspended 'user'`.
pub fn suspended(user: &str) -> CmdError {
    CmdError::new(ReturnCode::Suspended, format!("user {user} is suspended"))
}

/// The data directory of `user` through a `data/users` system grant.
pub fn system_user_dir(call: &Call, user: &str) -> PathBuf {
    call.system_path(&format!("data/users/{user}"))
}

/// The caller's user directory through the `/user` grant.
pub fn granted_user_dir(call: &Call) -> PathBuf {
    call.user_path("")
}

/// Hestia's `is_object_valid 'user'`: the user's directory exists. hearth also wants its
/// `user.conf`, which every real user directory has.
pub fn user_exists(dir: &Path) -> bool {
    dir.is_dir() && dir.join("user.conf").is_file()
}

/// Reads `user.conf` of an existing user directory, or `Error: user X doesn't exist` (3).
///
/// It reads directly, without stat calls first: each one is a host call and three syscalls
/// inside the sandbox, and a missing directory or file fails the read the same way.
pub fn load_user(dir: &Path, user: &str) -> Result<Record, CmdError> {
    match hearth_sdk::fs::read_to_string(dir.join("user.conf")) {
        Ok(text) => Ok(hearth_sdk::conf::parse_source(&text)?),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
            ) =>
        {
            Err(no_such_user(user))
        }
        Err(error) => Err(error.into()),
    }
}

/// Whether a user record is suspended.
pub fn is_suspended(record: &Record) -> bool {
    record.value("SUSPENDED") == "yes"
}

/// Changes a counter in a `user.conf` by one, like Hestia's `increase_user_value` /
/// `decrease_user_value`: a missing file or key is left alone, an unparsable value counts as
/// 0, and a decrease never goes below 0.
pub fn bump_counter(conf: &Path, key: &str, increase: bool) -> Result<(), CmdError> {
    let mut record = match hearth_sdk::fs::read_to_string(conf) {
        Ok(text) => hearth_sdk::conf::parse_source(&text)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let Some(old) = record.get(key) else {
        return Ok(());
    };
    let old: i64 = old.trim().parse().unwrap_or(0);
    let new = if increase {
        old.saturating_add(1)
    } else if old <= 1 {
        0
    } else {
        old - 1
    };
    record.set(key, new.to_string());
    hearth_sdk::fs::write_source(conf, &record)
}

/// Hestia's `log_history MESSAGE LEVEL USER CATEGORY` for a user: appends
/// `ID='n' DATE='…' TIME='…' LEVEL='…' CATEGORY='…' MESSAGE='…'` to the user's `history.log`,
/// with `n` one more than the last line's ID, `'` in the message replaced by `´`, and the log
/// cut to its last 250 lines once it is over 300.
pub fn log_history(
    history: &Path,
    level: &str,
    category: &str,
    message: &str,
) -> Result<(), CmdError> {
    let text = match hearth_sdk::fs::read_to_string(history) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error.into()),
    };
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > HISTORY_MAX_LINES {
        lines.drain(..lines.len() - HISTORY_KEEP_LINES);
    }
    let last_id = lines
        .last()
        .filter(|line| line.contains("ID="))
        .and_then(|line| line.split('\'').nth(1))
        .and_then(|id| id.parse::<u64>().ok())
        .unwrap_or(0);
    let (date, time) = hearth_sdk::render::now_date_time();
    let message = message.replace('\'', "´").replace(['\n', '\r'], " ");
    let entry = format!(
        "ID='{}' DATE='{date}' TIME='{time}' LEVEL='{level}' CATEGORY='{category}' MESSAGE='{message}'",
        last_id + 1
    );
    let mut out = String::with_capacity(text.len() + entry.len() + 1);
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&entry);
    out.push('\n');
    hearth_sdk::fs::write_atomic(history, out.as_bytes())
}

/// The shell name to store for a `SHELL` argument (`bash`, `/bin/bash`, ...), or `None` when
/// it is not a known shell. Hestia stores the basename of the matching `/etc/shells` line.
pub fn shell_name(value: &str) -> Option<&str> {
    let name = if value.contains('/') {
        let dir = SHELL_DIRS
            .iter()
            .find(|dir| value.starts_with(**dir) && !value[dir.len()..].contains('/'))?;
        &value[dir.len()..]
    } else {
        value
    };
    SHELLS.contains(&name).then_some(name)
}

/// `is_format_valid_shell`: `Error: shell X is not valid` (2).
pub fn invalid_shell(value: &str) -> CmdError {
    CmdError::new(ReturnCode::Invalid, format!("shell {value} is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn shells() {
        assert_eq!(shell_name("bash"), Some("bash"));
        assert_eq!(shell_name("/usr/sbin/nologin"), Some("nologin"));
        assert_eq!(shell_name("/bin/bash"), Some("bash"));
        assert_eq!(shell_name("/tmp/bash"), None);
        assert_eq!(shell_name("/bin/x/bash"), None);
        assert_eq!(shell_name("python"), None);
        assert_eq!(shell_name(""), None);
    }

    #[test]
    fn history_ids_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.log");
        log_history(&path, "Info", "System", "it's me").unwrap();
        log_history(&path, "Warning", "Security", "Password changed.").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("ID='1' DATE='"));
        assert!(lines[0].ends_with("LEVEL='Info' CATEGORY='System' MESSAGE='it´s me'"));
        assert!(lines[1].starts_with("ID='2' "));
        assert!(
            lines[1].ends_with("LEVEL='Warning' CATEGORY='Security' MESSAGE='Password changed.'")
        );

        let many: String = (1..=301)
            .map(|i| format!("ID='{i}' DATE='2024-01-01' TIME='00:00:00' LEVEL='Info' CATEGORY='System' MESSAGE='x'\n"))
            .collect();
        fs::write(&path, many).unwrap();
        log_history(&path, "Info", "System", "next").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 251);
        assert!(lines[0].starts_with("ID='52' "));
        assert!(lines[250].starts_with("ID='302' "));
    }

    #[test]
    fn counters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.conf");
        fs::write(&path, "U_USERS='2'\nSUSPENDED_USERS='0'\nNAME='x'\n").unwrap();
        bump_counter(&path, "U_USERS", true).unwrap();
        bump_counter(&path, "SUSPENDED_USERS", false).unwrap();
        bump_counter(&path, "MISSING", true).unwrap();
        let record = hearth_sdk::fs::read_source(&path).unwrap();
        assert_eq!(record.value("U_USERS"), "3");
        assert_eq!(record.value("SUSPENDED_USERS"), "0");
        assert!(!record.contains("MISSING"));
        bump_counter(&dir.path().join("absent.conf"), "U_USERS", true).unwrap();
        assert!(!dir.path().join("absent.conf").exists());
    }
}
