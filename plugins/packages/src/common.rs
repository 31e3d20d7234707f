//! What the package and ownership commands share: package files, user records read through
//! the `data/users` grant, counters and history.

use std::io;
use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, hosting};

/// Whether `name` can name a file directly inside `data/packages` (a name with a path
/// separator, or `.`/`..`, names nothing there).
fn plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\', '\0']) && name != "." && name != ".."
}

/// `data/packages/<NAME>.pkg`.
pub fn package_path(call: &Call, name: &str) -> PathBuf {
    call.system_path(&format!("data/packages/{name}.pkg"))
}

/// Whether the package file exists.
pub fn package_exists(call: &Call, name: &str) -> bool {
    plain_name(name) && package_path(call, name).is_file()
}

/// `is_package_valid NAME`: `Error: package X doesn't exist` (3).
pub fn package_valid(call: &Call, name: &str) -> Result<(), CmdError> {
    if package_exists(call, name) {
        Ok(())
    } else {
        Err(CmdError::not_exist("package", name))
    }
}

/// `is_package_new NAME`: `Error: package X already exists.` (4).
pub fn package_new(call: &Call, name: &str) -> Result<(), CmdError> {
    if package_exists(call, name) {
        Err(CmdError::new(
            ReturnCode::Exists,
            format!("package {name} already exists."),
        ))
    } else {
        Ok(())
    }
}

/// `data/users/<USER>` through the `data/users` grant.
pub fn user_dir(call: &Call, user: &str) -> PathBuf {
    call.system_path(&format!("data/users/{user}"))
}

/// `is_object_valid 'user'` + `is_object_unsuspended 'user'` through the `data/users` grant.
pub fn active_user(call: &Call, user: &str) -> Result<Record, CmdError> {
    let record = hosting::load_user(&user_dir(call, user), user)?;
    if record.value("SUSPENDED") == "yes" {
        return Err(CmdError::new(
            ReturnCode::Suspended,
            format!("user {user} is suspended"),
        ));
    }
    Ok(record)
}

/// Changes a counter in `user`'s `user.conf` (missing keys are left alone).
pub fn bump(call: &Call, user: &str, key: &str, delta: i64) -> Result<(), CmdError> {
    if delta == 0 {
        return Ok(());
    }
    hosting::bump_counter(&user_dir(call, user).join("user.conf"), key, delta)
}

/// `v-log-action USER Info System MESSAGE`.
pub fn history(call: &Call, user: &str, message: &str) -> Result<(), CmdError> {
    hosting::log_history(
        &user_dir(call, user).join("history.log"),
        "Info",
        "System",
        message,
    )
}

/// The names of the directories below `dir`, sorted (a missing directory has none).
pub fn sorted_entries(dir: &std::path::Path) -> Result<Vec<String>, CmdError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    let mut names = Vec::new();
    for entry in entries {
        if let Ok(name) = entry?.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}
