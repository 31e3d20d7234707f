//! Helpers shared by the user commands: user checks, counters, history entries, shells.

use std::path::{Path, PathBuf};

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, validate};

pub use hearth_sdk::hosting::{load_user, log_history};

/// Changes a counter in a `user.conf` by one (Hestia's `increase_user_value` /
/// `decrease_user_value`).
pub fn bump_counter(conf: &Path, key: &str, increase: bool) -> Result<(), CmdError> {
    hearth_sdk::hosting::bump_counter(conf, key, if increase { 1 } else { -1 })
}

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

/// Whether a user record is suspended.
pub fn is_suspended(record: &Record) -> bool {
    record.value("SUSPENDED") == "yes"
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
