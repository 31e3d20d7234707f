//! `v-change-user-shell`, `v-change-user-package` and `v-change-user-contact`.

use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, validate};

use crate::common;

/// The `user.conf` layout `v-change-user-package` rewrites the file with.
const PACKAGE_LAYOUT: &[&str] = &[
    "NAME",
    "PACKAGE",
    "WEB_TEMPLATE",
    "BACKEND_TEMPLATE",
    "PROXY_TEMPLATE",
    "DNS_TEMPLATE",
    "WEB_DOMAINS",
    "WEB_ALIASES",
    "DNS_DOMAINS",
    "DNS_RECORDS",
    "MAIL_DOMAINS",
    "MAIL_ACCOUNTS",
    "RATE_LIMIT",
    "DATABASES",
    "CRON_JOBS",
    "DISK_QUOTA",
    "CPU_QUOTA",
    "CPU_QUOTA_PERIOD",
    "MEMORY_LIMIT",
    "SWAP_LIMIT",
    "BANDWIDTH",
    "NS",
    "SHELL",
    "BACKUPS",
    "BACKUPS_INCREMENTAL",
    "CONTACT",
    "CRON_REPORTS",
    "MD5",
    "RKEY",
    "TWOFA",
    "QRCODE",
    "PHPCLI",
    "ROLE",
    "SUSPENDED",
    "SUSPENDED_USERS",
    "SUSPENDED_WEB",
    "SUSPENDED_DNS",
    "SUSPENDED_MAIL",
    "SUSPENDED_DB",
    "SUSPENDED_CRON",
    "IP_AVAIL",
    "IP_OWNED",
    "U_USERS",
    "U_DISK",
    "U_DISK_DIRS",
    "U_DISK_WEB",
    "U_DISK_MAIL",
    "U_DISK_DB",
    "U_BANDWIDTH",
    "U_WEB_DOMAINS",
    "U_WEB_SSL",
    "U_WEB_ALIASES",
    "U_DNS_DOMAINS",
    "U_DNS_RECORDS",
    "U_MAIL_DOMAINS",
    "U_MAIL_DKIM",
    "U_MAIL_ACCOUNTS",
    "U_DATABASES",
    "U_CRON_JOBS",
    "U_BACKUPS",
    "LANGUAGE",
    "THEME",
    "NOTIFICATIONS",
    "PREF_UI_SORT",
    "LOGIN_DISABLED",
    "LOGIN_USE_IPLIST",
    "LOGIN_ALLOW_IPS",
    "TIME",
    "DATE",
];

/// `is_package_available`: (package key, usage key, message). A limit the package does not
/// set counts as 0, except `CRON_JOBS`, which keeps the user's current value.
///
/// Hestia's `MAIL_DOMAINS` check is a no-op (a typo, `"$E_LIMI"T`, makes its `check_result`
/// fail before exiting), so it is left out to answer as Hestia does.
const PACKAGE_LIMITS: &[(&str, &str, &str)] = &[
    ("WEB_DOMAINS", "U_WEB_DOMAINS", "WEB_DOMAIN"),
    ("DNS_DOMAINS", "U_DNS_DOMAINS", "DNS_DOMAIN"),
    ("DATABASES", "U_DATABASES", "DATABASE"),
    ("CRON_JOBS", "U_CRON_JOBS", "CRON"),
    ("DISK_QUOTA", "U_DISK", "DISK"),
    ("BANDWIDTH", "U_BANDWIDTH", "BANDWIDTH"),
];

/// `v-change-user-shell USER SHELL`.
pub fn change_user_shell(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let shell = call.arg(2);
    common::user_format(user)?;
    // Hestia skips an empty SHELL and then stores garbage; hearth refuses it.
    let name = common::shell_name(shell).ok_or_else(|| common::invalid_shell(shell))?;
    let dir = common::granted_user_dir(call);
    let mut record = common::load_user(&dir, user)?;
    if common::is_suspended(&record) {
        return Err(common::suspended(user));
    }
    record.set("SHELL", name);
    hearth_sdk::fs::write_source(&dir.join("user.conf"), &record)?;
    Ok(String::new())
}

/// `v-change-user-contact USER EMAIL`.
pub fn change_user_contact(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let email = call.arg(2);
    common::user_format(user)?;
    if !email.is_empty() {
        validate::email(email)?;
    }
    let dir = common::granted_user_dir(call);
    let mut record = common::load_user(&dir, user)?;
    if common::is_suspended(&record) {
        return Err(common::suspended(user));
    }
    record.set("CONTACT", email);
    hearth_sdk::fs::write_source(&dir.join("user.conf"), &record)?;
    common::log_history(
        &dir.join("history.log"),
        "Info",
        "System",
        &format!("Email address changed (Value: {email})."),
    )?;
    Ok(String::new())
}

/// `v-change-user-package USER PACKAGE [FORCE]`.
///
/// Rewrites `user.conf` in Hestia's fixed layout with the package's limits, then applies the
/// package's `SHELL` as Hestia's nested `v-change-user-shell` call does: that call's error
/// (invalid shell, suspended user) is printed but does not fail the command.
pub fn change_user_package(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let package = call.arg(2);
    let force = call.arg(3) == "yes";
    common::user_format(user)?;
    if !package.is_empty() {
        validate::object("package", package)?;
    }
    let dir = common::granted_user_dir(call);
    let current = common::load_user(&dir, user)?;
    let package_path = call.system_path(&format!("data/packages/{package}.pkg"));
    if !hearth_sdk::fs::exists(&package_path) {
        return Err(CmdError::new(
            ReturnCode::NotExist,
            format!("package {package} doesn't exist"),
        ));
    }
    let limits = hearth_sdk::fs::read_source(&package_path)?;
    if !force {
        check_package_covers_usage(&current, &limits)?;
    }

    let mut record = package_record(&current, &limits, package);
    let mut output = String::new();
    let shell = limits.value("SHELL");
    if !shell.is_empty() {
        match common::shell_name(shell) {
            None => output = format!("{}\n", common::invalid_shell(shell).output),
            Some(_) if common::is_suspended(&record) => {
                output = format!("{}\n", common::suspended(user).output);
            }
            Some(name) => record.set("SHELL", name),
        }
    }
    write_user_conf(&dir, &record)?;
    common::log_history(
        &dir.join("history.log"),
        "Info",
        "System",
        &format!("You have been assigned a new package ({package})."),
    )?;
    Ok(output)
}

fn write_user_conf(dir: &Path, record: &Record) -> Result<(), CmdError> {
    hearth_sdk::fs::write_source(&dir.join("user.conf"), record)
}

/// `is_package_available`: `Error: Package doesn't cover X usage` (8). Values that are not
/// integers are not compared (bash's `[ -lt ]` fails and the check passes).
fn check_package_covers_usage(current: &Record, limits: &Record) -> Result<(), CmdError> {
    for (key, usage, label) in PACKAGE_LIMITS {
        let limit = match limits.get(key) {
            Some(value) => value,
            None if *key == "CRON_JOBS" => current.value(key),
            None => "0",
        };
        if limit == "unlimited" {
            continue;
        }
        let (Ok(limit), Ok(used)) = (
            limit.trim().parse::<i64>(),
            current.value(usage).trim().parse::<i64>(),
        ) else {
            continue;
        };
        if limit < used {
            return Err(CmdError::new(
                ReturnCode::Limit,
                format!("Package doesn't cover {label} usage"),
            ));
        }
    }
    Ok(())
}

/// The new `user.conf`: package values override the user's, `PACKAGE` is the new package,
/// `TIME`/`DATE` keep the user's creation time; keys outside Hestia's layout are dropped, as
/// Hestia does.
fn package_record(current: &Record, limits: &Record, package: &str) -> Record {
    let mut record = Record::new();
    for key in PACKAGE_LAYOUT {
        let value = match *key {
            "PACKAGE" => package,
            "TIME" | "DATE" => current.value(key),
            _ => limits.get(key).unwrap_or_else(|| current.value(key)),
        };
        record.set(*key, value);
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_limits() {
        let user = Record::from_pairs([
            ("U_WEB_DOMAINS", "3"),
            ("U_DNS_DOMAINS", "0"),
            ("U_MAIL_DOMAINS", "9"),
            ("CRON_JOBS", "5"),
            ("U_CRON_JOBS", "2"),
        ]);
        let small = Record::from_pairs([("WEB_DOMAINS", "2")]);
        let error = check_package_covers_usage(&user, &small).unwrap_err();
        assert_eq!(
            error.output,
            "Error: Package doesn't cover WEB_DOMAIN usage"
        );
        assert_eq!(error.code, ReturnCode::Limit);
        let enough = Record::from_pairs([("WEB_DOMAINS", "unlimited"), ("MAIL_DOMAINS", "1")]);
        assert!(check_package_covers_usage(&user, &enough).is_ok());
    }

    #[test]
    fn package_record_layout() {
        let user = Record::from_pairs([
            ("NAME", "Alice"),
            ("PACKAGE", "default"),
            ("WEB_DOMAINS", "unlimited"),
            ("EXTRA", "dropped"),
            ("TIME", "01:02:03"),
            ("DATE", "2024-01-02"),
        ]);
        let limits = Record::from_pairs([
            ("WEB_DOMAINS", "5"),
            ("TIME", "09:09:09"),
            ("DATE", "2030-01-01"),
        ]);
        let record = package_record(&user, &limits, "small");
        assert_eq!(record.len(), PACKAGE_LAYOUT.len());
        assert_eq!(record.value("PACKAGE"), "small");
        assert_eq!(record.value("WEB_DOMAINS"), "5");
        assert_eq!(record.value("NAME"), "Alice");
        assert_eq!(record.value("TIME"), "01:02:03");
        assert!(!record.contains("EXTRA"));
    }
}
