//! `v-delete-user`: removes a user's hosting objects (through their own delete commands), data
//! directory, home, access keys and counters.

use std::fs;
use std::io;
use std::path::Path;

use hearth_sdk::{Call, CmdError, CmdResult, validate};

use crate::common;

/// `v-delete-user USER [RESTART]`.
///
/// Like Hestia, the user's web, DNS and mail domains and databases are deleted first with
/// their own commands (so their names leave the registry and their service configuration is
/// removed); a failure stops with Hestia's `Error: <object> deletion failed`.
pub fn delete_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    common::user_format(user)?;
    validate::restart(call.arg(2))?;
    let dir = common::system_user_dir(call, user);
    let record = common::load_user(&dir, user)?;
    if user == call.root_user() {
        return Ok(String::new());
    }

    delete_objects(&dir, user)?;
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
    let home = call.system_path(&format!("home/{user}"));
    if fs::symlink_metadata(&home).is_ok_and(|metadata| metadata.is_dir()) {
        fs::remove_dir_all(&home)?;
    }
    Ok(String::new())
}

/// The object lists a user may hold, each with the command that deletes one object, its
/// trailing arguments and the name Hestia's failure message uses.
const OBJECTS: &[(&str, &str, &str, &[&str])] = &[
    ("web.conf", "DOMAIN", "v-delete-web-domain", &["no"]),
    ("dns.conf", "DOMAIN", "v-delete-dns-domain", &["no"]),
    ("mail.conf", "DOMAIN", "v-delete-mail-domain", &[]),
    ("db.conf", "DB", "v-delete-database", &[]),
];

/// Deletes every web, DNS and mail domain and database of `user` with its own command.
fn delete_objects(dir: &Path, user: &str) -> Result<(), CmdError> {
    for (file, key, command, trailing) in OBJECTS {
        for record in hearth_sdk::fs::read_list(&dir.join(file))? {
            let mut args = vec![user, record.value(key)];
            args.extend_from_slice(trailing);
            let (code, output) = hearth_sdk::commands::run(command, &args);
            if code != 0 {
                let what = match *file {
                    "web.conf" => "web domain",
                    "dns.conf" => "dns domain",
                    "mail.conf" => "mail domain",
                    _ => "database",
                };
                return Err(CmdError::new(
                    hearth_sdk::ReturnCode::from_u8(code)
                        .unwrap_or(hearth_sdk::ReturnCode::Parsing),
                    format!("{what} deletion failed"),
                )
                .after(&output));
            }
        }
    }
    Ok(())
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
