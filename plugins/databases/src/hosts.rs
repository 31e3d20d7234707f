//! Database hosts (`conf/mysql.conf`, `conf/pgsql.conf`): Hestia's `get_next_dbhost`
//! choice, the host checks of `v-add-database`, and the `U_DB_BASES` / `U_SYS_USERS`
//! counters.

use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode};

/// What `get_next_dbhost` leaves when no host can take another database.
pub const EMPTY_DB_HOST: &str = "EMPTY_DB_HOST";

/// `conf/<TYPE>.conf` inside the sandbox (TYPE is already checked against `DB_SYSTEM`).
pub fn conf_path(call: &Call, db_type: &str) -> PathBuf {
    call.system_path(&format!("conf/{db_type}.conf"))
}

fn number(record: &Record, key: &str) -> Option<i64> {
    record.value(key).trim().parse().ok()
}

/// Hestia's `get_next_dbhost` for an empty or `default` HOST: among the unsuspended hosts,
/// a single one is taken while `MAX_DB` > `U_DB_BASES`; of several, the least loaded one
/// (`U_DB_BASES * 100 / MAX_DB`, integer) below 100 %. Otherwise [`EMPTY_DB_HOST`].
pub fn next_host(hosts: &[Record]) -> String {
    let active: Vec<&Record> = hosts
        .iter()
        .filter(|host| host.value("SUSPENDED") == "no")
        .collect();
    let mut chosen = EMPTY_DB_HOST.to_string();
    if let [host] = active.as_slice() {
        if let (Some(max), Some(used)) = (number(host, "MAX_DB"), number(host, "U_DB_BASES"))
            && max > used
        {
            chosen = host.value("HOST").to_string();
        }
        return chosen;
    }
    let mut best = 100;
    for host in active {
        let (Some(max), Some(used)) = (number(host, "MAX_DB"), number(host, "U_DB_BASES")) else {
            continue;
        };
        if max == 0 {
            continue;
        }
        let weight = used.saturating_mul(100) / max;
        if best > weight {
            chosen = host.value("HOST").to_string();
            best = weight;
        }
    }
    chosen
}

/// `is_object_valid "../../../conf/$type" 'HOST'` and the suspension check: the host's
/// index, `Error: <TYPE> host X doesn't exist` (3) or `Error: <TYPE> X is suspended` (5).
pub fn check_host(db_type: &str, hosts: &[Record], host: &str) -> Result<usize, CmdError> {
    let index = hosts
        .iter()
        .position(|record| record.value("HOST") == host)
        .ok_or_else(|| CmdError::not_exist(&format!("{db_type} host"), host))?;
    if hosts[index].value("SUSPENDED") == "yes" {
        return Err(CmdError::new(
            ReturnCode::Suspended,
            format!("{db_type} {host} is suspended"),
        ));
    }
    Ok(index)
}

fn sys_users(record: &Record) -> Vec<String> {
    record
        .value("U_SYS_USERS")
        .split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// `increase_dbhost_values`: one more database, and `user` listed in `U_SYS_USERS`.
pub fn increase(record: &mut Record, user: &str) {
    let used = number(record, "U_DB_BASES").unwrap_or(0);
    record.set("U_DB_BASES", used.saturating_add(1).to_string());
    let mut users = sys_users(record);
    if !users.iter().any(|name| name == user) {
        users.push(user.to_string());
    }
    record.set("U_SYS_USERS", users.join(","));
}

/// `decrease_dbhost_values`: one database less (never below 0); `user` leaves
/// `U_SYS_USERS` once it has no database left on the host.
pub fn decrease(record: &mut Record, user: &str, user_keeps_databases: bool) {
    let used = number(record, "U_DB_BASES").unwrap_or(0);
    record.set("U_DB_BASES", (used - 1).max(0).to_string());
    if !user_keeps_databases {
        let users: Vec<String> = sys_users(record)
            .into_iter()
            .filter(|name| name != user)
            .collect();
        record.set("U_SYS_USERS", users.join(","));
    }
}

/// Applies `change` to the host `host` of `conf/<TYPE>.conf`, when the file lists it. A TYPE
/// that is not a plain name (from a hand-edited `db.conf`) names no host file.
pub fn update(
    call: &Call,
    db_type: &str,
    host: &str,
    change: impl FnOnce(&mut Record),
) -> Result<(), CmdError> {
    let plain = !db_type.is_empty()
        && db_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plain {
        return Ok(());
    }
    let path = conf_path(call, db_type);
    let mut hosts = hearth_sdk::fs::read_list(&path)?;
    if let Some(record) = hosts.iter_mut().find(|record| record.value("HOST") == host) {
        change(record);
        hearth_sdk::fs::write_list(&path, &hosts)?;
    }
    Ok(())
}
