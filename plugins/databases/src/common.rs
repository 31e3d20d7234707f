//! What the database commands share: Hestia's `database`/`dbuser` validators, the `DB_SYSTEM`
//! type and demo-mode checks, and `db.conf` lookups with Hestia's messages.

use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, hosting, validate};

/// The user's database list.
pub const DB_CONF: &str = "db.conf";

/// Characters Hestia's database and dbuser validators refuse (its bracket expression
/// `[!|@|#|$|^|&|*|(|)|+|=|{|}|:|,|<|>|?|/|\|\"|'|;|%|\`| ]`, whose `|` are members too).
const EXCLUDED: &str = "!|@#$^&*()+={}:,<>?/\\\"';%` ";

fn invalid(message: String) -> CmdError {
    CmdError::new(ReturnCode::Invalid, message)
}

/// `is_no_new_line_format`: `Error: invalid value :: X` (2).
fn single_line(value: &str) -> Result<(), CmdError> {
    if value.contains('\n') {
        Err(invalid(format!("invalid value :: {value}")))
    } else {
        Ok(())
    }
}

/// `is_database_format_valid` (on the prefixed name): none of the excluded characters and
/// shorter than 64 characters, else `Error: invalid database format :: X` (2).
pub fn database_format(value: &str) -> Result<(), CmdError> {
    if value.chars().any(|c| EXCLUDED.contains(c)) || value.chars().count() >= 64 {
        return Err(invalid(format!("invalid database format :: {value}")));
    }
    single_line(value)
}

/// `is_dbuser_format_valid` (on the prefixed name): at most 32 characters
/// (`Error: mysql username can be up to 32 characters long`), then the excluded characters
/// (`Error: invalid dbuser format :: X`), both 2.
pub fn dbuser_format(value: &str) -> Result<(), CmdError> {
    if value.chars().count() >= 33 {
        return Err(invalid(
            "mysql username can be up to 32 characters long".to_string(),
        ));
    }
    if value.chars().any(|c| EXCLUDED.contains(c)) {
        return Err(invalid(format!("invalid dbuser format :: {value}")));
    }
    single_line(value)
}

/// `is_format_valid 'user'`: empty values are not validated.
pub fn user_format(user: &str) -> Result<(), CmdError> {
    if user.is_empty() {
        Ok(())
    } else {
        validate::user(user)
    }
}

/// `conf/hestia.conf` with `DB_SYSTEM` enabled: `Error: DB_SYSTEM is not enabled` (11).
pub fn db_settings(call: &Call) -> Result<Record, CmdError> {
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DB_SYSTEM")?;
    Ok(settings)
}

/// `is_type_valid "$DB_SYSTEM" "$type"`: TYPE must be one of the `DB_SYSTEM` entries, else
/// `Error: <TYPE> type is invalid` (2). A type also names a host file (`conf/<TYPE>.conf`),
/// so only plain names are accepted.
pub fn db_type(settings: &Record, value: &str) -> Result<(), CmdError> {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let listed = settings
        .value("DB_SYSTEM")
        .split(',')
        .any(|entry| entry.trim() == value);
    if plain && listed {
        Ok(())
    } else {
        Err(invalid(format!("{value} type is invalid")))
    }
}

/// The user's `db.conf` inside the sandbox.
pub fn db_conf(call: &Call) -> PathBuf {
    call.user_path(DB_CONF)
}

/// `is_object_valid 'db' 'DB'`: the index of the database, or
/// `Error: db db X doesn't exist` (3).
pub fn find_database(databases: &[Record], name: &str) -> Result<usize, CmdError> {
    databases
        .iter()
        .position(|record| record.value("DB") == name)
        .ok_or_else(|| CmdError::not_exist("db db", name))
}

/// `is_object_unsuspended 'db' 'DB'`: `Error: db X is suspended` (5).
pub fn unsuspended(record: &Record, name: &str) -> Result<(), CmdError> {
    if record.value("SUSPENDED") == "yes" {
        Err(CmdError::new(
            ReturnCode::Suspended,
            format!("db {name} is suspended"),
        ))
    } else {
        Ok(())
    }
}

/// `is_object_valid 'user'` without the suspension check: the user's record or 3.
pub fn existing_user(call: &Call, user: &str) -> Result<Record, CmdError> {
    validate::user(user)?;
    hosting::load_user(&call.user_path(""), user)
}

/// Appends a history entry for the user (`v-log-action USER Info CATEGORY MESSAGE`).
pub fn history(call: &Call, category: &str, message: &str) -> Result<(), CmdError> {
    hosting::log_history(&call.user_path("history.log"), "Info", category, message)
}
