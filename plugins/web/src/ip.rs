//! The server's addresses (`data/ips/<IP>`): which one a user may use, which one a new domain
//! gets by default, and the per-address web-domain counters.

use std::io;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode};

/// `data/ips/<IP>` below the granted system directory.
fn ip_path(call: &Call, ip: &str) -> std::path::PathBuf {
    call.system_path(&format!("data/ips/{ip}"))
}

/// Reads `data/ips/<IP>`, `None` when the address is not registered.
fn read_ip(call: &Call, ip: &str) -> Result<Option<Record>, CmdError> {
    match hearth_sdk::fs::read_to_string(ip_path(call, ip)) {
        Ok(text) => Ok(Some(hearth_sdk::conf::parse_source(&text)?)),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::IsADirectory
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// Hestia's `is_ip_valid IP USER`: `Error: IP X doesn't exist` (3), or
/// `Error: U user can't use IP X` (10) for another user's dedicated address or an address
/// owned by someone other than the user and the root user.
pub fn check_ip(call: &Call, ip: &str, user: &str) -> Result<Record, CmdError> {
    let Some(record) = read_ip(call, ip)? else {
        return Err(CmdError::not_exist("IP", ip));
    };
    let owner = record.value("OWNER");
    let forbidden =
        owner != user && (record.value("STATUS") == "dedicated" || owner != call.root_user());
    if forbidden {
        return Err(CmdError::new(
            ReturnCode::Forbidden,
            format!("{user} user can't use IP {ip}"),
        ));
    }
    Ok(record)
}

/// Every registered address with its record, sorted by name (the shell glob's order).
fn all_ips(call: &Call) -> Result<Vec<(String, Record)>, CmdError> {
    let entries = match std::fs::read_dir(call.system_path("data/ips")) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.parse::<std::net::IpAddr>().is_ok() {
            names.push(name);
        }
    }
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if let Some(record) = read_ip(call, &name)? {
            out.push((name, record));
        }
    }
    Ok(out)
}

/// Hestia's `get_user_ip` over a list of addresses: the first address the user owns, else the
/// first shared address of the root user.
pub fn pick_user_ip(ips: &[(String, Record)], user: &str, root_user: &str) -> Option<String> {
    ips.iter()
        .find(|(_, record)| record.value("OWNER") == user)
        .or_else(|| {
            ips.iter().find(|(_, record)| {
                record.value("OWNER") == root_user && record.value("STATUS") == "shared"
            })
        })
        .map(|(name, _)| name.clone())
}

/// The address a new domain of `user` gets when none is given.
pub fn user_ip(call: &Call, user: &str) -> Result<Option<String>, CmdError> {
    Ok(pick_user_ip(&all_ips(call)?, user, call.root_user()))
}

/// The `NAME` of an address (its host name alias), if it has one.
pub fn ip_name(record: &Record) -> Option<&str> {
    Some(record.value("NAME")).filter(|name| !name.is_empty())
}

/// Hestia's `increase_ip_value` / `decrease_ip_value`: `U_WEB_DOMAINS` by `delta` and the
/// user in `U_SYS_USERS` (added on increase, removed on decrease when `still_used` is false).
/// An address that is not registered is left alone.
pub fn bump_ip(
    call: &Call,
    ip: &str,
    user: &str,
    delta: i64,
    still_used: bool,
) -> Result<(), CmdError> {
    let Some(mut record) = read_ip(call, ip)? else {
        return Ok(());
    };
    let current: i64 = record.value("U_WEB_DOMAINS").trim().parse().unwrap_or(0);
    record.set(
        "U_WEB_DOMAINS",
        current.saturating_add(delta).max(0).to_string(),
    );
    let mut users: Vec<String> = crate::common::split_list(record.value("U_SYS_USERS"));
    if delta > 0 {
        if !users.iter().any(|u| u == user) {
            users.push(user.to_string());
        }
    } else if !still_used {
        users.retain(|u| u != user);
    }
    record.set("U_SYS_USERS", users.join(","));
    hearth_sdk::fs::write_source(&ip_path(call, ip), &record)
}
