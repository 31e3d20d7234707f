//! `v-delete-user`: removes a user's data directory, its access keys and its counters.

use std::fs;
use std::io;
use std::path::Path;

use hearth_sdk::{Call, CmdError, CmdResult, validate};

use crate::common;

/// `v-delete-user USER [RESTART]`.
///
/// Hestia also deletes the user's web/dns/mail/db objects, system account and home through
/// other commands; hearth has no such services, so removing `data/users/USER/` removes all of
/// the user's objects at once.
pub fn delete_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    common::user_format(user)?;
    validate::restart(call.arg(2))?;
    let dir = common::system_user_dir(call, user);
    let record = common::load_user(&dir, user)?;
    if user == call.root_user() {
        return Ok(String::new());
    }

    let root_conf = common::system_user_dir(call, call.root_user()).join("user.conf");

    // Hestia first runs v-unsuspend-user, which lowers the root user's SUSPENDED_USERS.
    // hearth only lowers it when the user really was suspended.
    if common::is_suspended(&record) {
        common::bump_counter(&root_conf, "SUSPENDED_USERS", false)?;
    }

    // Move the directory out of the way first, so a failure half-way never leaves a
    // half-deleted user that still looks valid.
    let trash = call.system_path(&format!("data/users/.{user}.deleted"));
    if hearth_sdk::fs::exists(&trash) {
        fs::remove_dir_all(&trash)?;
    }
    fs::rename(&dir, &trash)?;
    fs::remove_dir_all(&trash)?;

    common::bump_counter(&root_conf, "U_USERS", false)?;
    delete_access_keys(&call.system_path("data/access-keys"), user)?;
    Ok(String::new())
}

/// Deletes every access key file whose `USER` is `user`. Unreadable or malformed files are
/// left alone.
fn delete_access_keys(dir: &Path, user: &str) -> Result<(), CmdError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    for entry in entries {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let Ok(text) = hearth_sdk::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(record) = hearth_sdk::conf::parse_source(&text) else {
            continue;
        };
        if record.get("USER") == Some(user) {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}
