//! `v-change-database-owner DATABASE USER`: moves a database record to USER under USER's
//! prefix (`alice_wp` → `bob_wp`), as Hestia does by dumping, re-creating under the new name
//! and deleting the old one. hearth keeps no SQL server (see the databases plugin), so the
//! move is the `db.conf` line, the host's `U_SYS_USERS` and both users' counters.

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::common;

/// `is_database_format_valid`: none of ``!@#$^&*()+={}:,<>?/\"';%` `` or a blank, shorter than
/// 64 characters, one line: `Error: invalid database format :: X` (2).
fn database_format(value: &str) -> Result<(), CmdError> {
    const EXCLUDED: &str = "!@#$^&*()+={}:,<>?/\\\"';%` ";
    if value.chars().any(|c| EXCLUDED.contains(c))
        || value.chars().count() >= 64
        || value.contains(['\n', '\r'])
    {
        Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid database format :: {value}"),
        ))
    } else {
        Ok(())
    }
}

/// `sed "s/'${owner}_/'${usersmall}_/g"` over a `db.conf` line: every value that starts with
/// the old prefix gets the new one.
pub fn renamed(record: &Record, owner: &str, user: &str) -> Record {
    let old = format!("{owner}_");
    let new = format!("{user}_");
    Record::from_pairs(record.iter().map(|(key, value)| {
        let value = match value.strip_prefix(&old) {
            Some(rest) => format!("{new}{rest}"),
            None => value.to_string(),
        };
        (key.to_string(), value)
    }))
}

/// `U_SYS_USERS` of the database's host: `user` added; `owner` removed once it has no other
/// database on that host.
fn move_host_user(
    call: &Call,
    record: &Record,
    owner: &str,
    user: &str,
    owner_keeps: bool,
) -> Result<(), CmdError> {
    let db_type = record.value("TYPE");
    let plain = !db_type.is_empty()
        && db_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plain {
        return Ok(());
    }
    let path = call.system_path(&format!("conf/{db_type}.conf"));
    let mut hosts = hearth_sdk::fs::read_list(&path)?;
    let Some(host) = hosts
        .iter_mut()
        .find(|host| host.value("HOST") == record.value("HOST"))
    else {
        return Ok(());
    };
    let mut users: Vec<String> = host
        .value("U_SYS_USERS")
        .split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    if !owner_keeps {
        users.retain(|name| name != owner);
    }
    if !users.iter().any(|name| name == user) {
        users.push(user.to_string());
    }
    host.set("U_SYS_USERS", users.join(","));
    hearth_sdk::fs::write_list(&path, &hosts)
}

/// `v-change-database-owner`, in Hestia's order: formats (2), `DB_SYSTEM` (11), user exists
/// (3) and is not suspended (5), `Error: database owner doesn't exist` (3, the owner is the
/// name's part before the first `_`), the same owner succeeds silently,
/// `Error: database X doesn't exist` (3), `Error: NEW database exists` (4). The moved
/// database ends unsuspended, as Hestia's re-created one does. Silent.
pub fn change_database_owner(call: &Call) -> CmdResult {
    let database = call.arg(1);
    let user = call.arg(2);
    database_format(database)?;
    validate::user(user)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DB_SYSTEM")?;
    common::active_user(call, user)?;

    let owner = database.split('_').next().unwrap_or("");
    let owner_dir = common::user_dir(call, owner);
    if validate::user(owner).is_err() || !owner_dir.is_dir() {
        return Err(CmdError::new(
            ReturnCode::NotExist,
            "database owner doesn't exist",
        ));
    }
    if owner == user {
        return Ok(String::new());
    }
    let owner_conf = owner_dir.join("db.conf");
    let mut owner_dbs = hearth_sdk::fs::read_list(&owner_conf)?;
    let Some(index) = owner_dbs
        .iter()
        .position(|record| record.value("DB") == database)
    else {
        return Err(CmdError::not_exist("database", database));
    };
    let record = owner_dbs[index].clone();
    let prefix = if record.value("TYPE") == "pgsql" {
        user.to_lowercase()
    } else {
        user.to_string()
    };
    let new_db = match database.strip_prefix(&format!("{owner}_")) {
        Some(rest) => format!("{prefix}_{rest}"),
        None => database.to_string(),
    };
    let user_conf = common::user_dir(call, user).join("db.conf");
    let mut user_dbs = hearth_sdk::fs::read_list(&user_conf)?;
    if user_dbs.iter().any(|record| record.value("DB") == new_db) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("{new_db} database exists"),
        ));
    }
    hosting::check_demo_mode(&settings)?;

    let mut moved = renamed(&record, owner, &prefix);
    moved.set("SUSPENDED", "no");
    owner_dbs.remove(index);
    hearth_sdk::fs::write_list(&owner_conf, &owner_dbs)?;
    user_dbs.push(moved);
    hearth_sdk::fs::write_list(&user_conf, &user_dbs)?;
    let owner_keeps = owner_dbs.iter().any(|other| {
        other.value("HOST") == record.value("HOST") && other.value("TYPE") == record.value("TYPE")
    });
    move_host_user(call, &record, owner, user, owner_keeps)?;
    common::bump(call, owner, "U_DATABASES", -1)?;
    if record.value("SUSPENDED") == "yes" {
        common::bump(call, owner, "SUSPENDED_DB", -1)?;
    }
    common::bump(call, user, "U_DATABASES", 1)?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_renamed() {
        let record = Record::from_pairs([
            ("DB", "alice_wp"),
            ("DBUSER", "alice_wpuser"),
            ("HOST", "localhost"),
            ("CHARSET", "alice_x"),
        ]);
        let moved = renamed(&record, "alice", "bob");
        assert_eq!(moved.value("DB"), "bob_wp");
        assert_eq!(moved.value("DBUSER"), "bob_wpuser");
        assert_eq!(moved.value("HOST"), "localhost");
        assert_eq!(moved.value("CHARSET"), "bob_x");
    }

    #[test]
    fn database_names() {
        assert!(database_format("alice_wp").is_ok());
        assert!(database_format("alice wp").is_err());
        assert!(database_format(&"a".repeat(64)).is_err());
    }
}
