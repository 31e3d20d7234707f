//! `v-add-user`: creates `data/users/USER/` with its `user.conf` and empty data files.

use std::fs;
use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::secrets;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, validate};

use crate::common;

/// Empty files every user directory starts with.
const EMPTY_FILES: &[&str] = &[
    "backup.conf",
    "history.log",
    "stats.log",
    "web.conf",
    "dns.conf",
    "mail.conf",
    "db.conf",
    "cron.conf",
];

/// Subdirectories every user directory starts with.
const SUBDIRS: &[&str] = &["ssl", "dns", "mail"];

/// The secrets of a new user, computed by the host before anything is written.
struct Credentials {
    md5: String,
    rkey: String,
}

/// `v-add-user USER PASSWORD EMAIL [PACKAGE] [NAME] [LASTNAME]`.
pub fn add_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let password = call.arg(2);
    let email = call.arg(3);
    // `package=${4-default}`: only an absent argument means `default`.
    let package = call.arg_opt(4).unwrap_or("default");
    let mut name = call.arg(5).to_string();
    if !call.arg(6).is_empty() {
        name = format!("{name} {}", call.arg(6));
    }

    // is_format_valid 'user' 'email' 'package' (empty values are skipped, except USER),
    // then 'name'; the reserved-name check comes later, in is_user_free.
    let reserved = match validate::new_user(user) {
        Ok(()) => None,
        Err(error) if error.output.starts_with("Error: The user name") => Some(error),
        Err(error) => return Err(error),
    };
    if !email.is_empty() {
        validate::email(email)?;
    }
    if !package.is_empty() {
        validate::object("package", package)?;
    }
    if !name.is_empty() {
        validate::name(&name)?;
    }

    // is_user_free
    if let Some(error) = reserved {
        return Err(error);
    }
    let user_dir = common::system_user_dir(call, user);
    if hearth_sdk::fs::exists(&user_dir) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("user {user} exists"),
        ));
    }

    // is_package_valid
    let package_path = call.system_path(&format!("data/packages/{package}.pkg"));
    if !hearth_sdk::fs::exists(&package_path) {
        return Err(CmdError::new(
            ReturnCode::NotExist,
            format!("package {package} doesn't exist"),
        ));
    }
    let package_keys = package_data(&package_path)?;

    // chpasswd: hearth refuses an empty password where PAM would decide.
    if password.is_empty() {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            "Password not accepted due to PAM restrictions",
        ));
    }
    let credentials = Credentials {
        md5: secrets::hash_password(password),
        rkey: secrets::random_token(16, secrets::ALNUM),
    };

    let is_root = user == call.root_user();
    let record = user_conf(&name, package, &package_keys, email, &credentials, is_root);

    // Build under a temporary name and rename into place, so a failure leaves nothing.
    let staging = call.system_path(&format!("data/users/.{user}.new"));
    if hearth_sdk::fs::exists(&staging) {
        fs::remove_dir_all(&staging)?;
    }
    let built = build_dir(&staging, &record).and_then(|()| {
        fs::rename(&staging, &user_dir)?;
        Ok(())
    });
    if let Err(error) = built {
        let _ = fs::remove_dir_all(&staging);
        return Err(error);
    }

    // Updating admin counter (the root user's own U_USERS starts at 1).
    if !is_root {
        let root_conf = common::system_user_dir(call, call.root_user()).join("user.conf");
        common::bump_counter(&root_conf, "U_USERS", true)?;
    }
    Ok(String::new())
}

/// The package's keys as `v-add-user` copies them: every line of `PKG.pkg` except those
/// mentioning `TIME` or `DATE` (Hestia's `egrep -v "TIME|DATE"`).
fn package_data(path: &Path) -> Result<Vec<(String, String)>, CmdError> {
    let record = hearth_sdk::fs::read_source(path)?;
    Ok(record
        .iter()
        .filter(|(key, value)| {
            let line = format!("{key}={value}");
            !line.contains("TIME") && !line.contains("DATE")
        })
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect())
}

/// `user.conf` in the order `v-add-user` writes it.
fn user_conf(
    name: &str,
    package: &str,
    package_keys: &[(String, String)],
    email: &str,
    credentials: &Credentials,
    is_root: bool,
) -> Record {
    let mut record = Record::new();
    record.set("NAME", name);
    record.set("PACKAGE", package);
    for (key, value) in package_keys {
        record.set(key.as_str(), value.as_str());
    }
    let (date, time) = hearth_sdk::render::now_date_time();
    let role = if is_root { "admin" } else { "user" };
    // Hestia counts the root user's shared IPs here (`v-list-user-ips`); the data/ips tree is
    // not granted to this command, so a new user starts with 0 like the root user does.
    let ip_avail = "0";
    let u_users = if is_root { "1" } else { "0" };
    let fixed: &[(&str, &str)] = &[
        ("CONTACT", email),
        ("CRON_REPORTS", "yes"),
        ("MD5", &credentials.md5),
        ("RKEY", &credentials.rkey),
        ("TWOFA", ""),
        ("QRCODE", ""),
        ("PHPCLI", ""),
        ("ROLE", role),
        ("SUSPENDED", "no"),
        ("SUSPENDED_USERS", "0"),
        ("SUSPENDED_WEB", "0"),
        ("SUSPENDED_DNS", "0"),
        ("SUSPENDED_MAIL", "0"),
        ("SUSPENDED_DB", "0"),
        ("SUSPENDED_CRON", "0"),
        ("IP_AVAIL", ip_avail),
        ("IP_OWNED", "0"),
        ("U_USERS", u_users),
        ("U_DISK", "0"),
        ("U_DISK_DIRS", "0"),
        ("U_DISK_WEB", "0"),
        ("U_DISK_MAIL", "0"),
        ("U_DISK_DB", "0"),
        ("U_BANDWIDTH", "0"),
        ("U_WEB_DOMAINS", "0"),
        ("U_WEB_SSL", "0"),
        ("U_WEB_ALIASES", "0"),
        ("U_DNS_DOMAINS", "0"),
        ("U_DNS_RECORDS", "0"),
        ("U_MAIL_DOMAINS", "0"),
        ("U_MAIL_DKIM", "0"),
        ("U_MAIL_ACCOUNTS", "0"),
        ("U_MAIL_SSL", "0"),
        ("U_DATABASES", "0"),
        ("U_CRON_JOBS", "0"),
        ("U_BACKUPS", "0"),
        ("LANGUAGE", ""),
        ("THEME", ""),
        ("NOTIFICATIONS", "no"),
        ("PREF_UI_SORT", "name"),
        ("LOGIN_DISABLED", "no"),
        ("LOGIN_USE_IPLIST", "no"),
        ("LOGIN_ALLOW_IPS", ""),
        ("TIME", &time),
        ("DATE", &date),
    ];
    for (key, value) in fixed {
        record.set(*key, *value);
    }
    record
}

/// Creates the user directory tree at `dir`, with the "Welcome!" history entry.
fn build_dir(dir: &Path, record: &Record) -> Result<(), CmdError> {
    fs::create_dir(dir)?;
    for sub in SUBDIRS {
        fs::create_dir(dir.join(sub))?;
    }
    for file in EMPTY_FILES {
        hearth_sdk::fs::write_atomic(&dir.join(file), b"")?;
    }
    hearth_sdk::fs::write_source(&dir.join("user.conf"), record)?;
    common::log_history(&dir.join("history.log"), "Info", "System", "Welcome!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_conf_layout() {
        let credentials = Credentials {
            md5: "$argon2id$x".to_string(),
            rkey: "abcdefghijklmnop".to_string(),
        };
        let package = vec![
            ("WEB_TEMPLATE".to_string(), "default".to_string()),
            ("SHELL".to_string(), "nologin".to_string()),
        ];
        let record = user_conf(
            "Alice A",
            "default",
            &package,
            "a@b.cd",
            &credentials,
            false,
        );
        let keys: Vec<&str> = record.iter().map(|(k, _)| k).collect();
        assert_eq!(
            &keys[..6],
            &[
                "NAME",
                "PACKAGE",
                "WEB_TEMPLATE",
                "SHELL",
                "CONTACT",
                "CRON_REPORTS"
            ]
        );
        assert_eq!(keys[keys.len() - 2..], ["TIME", "DATE"]);
        assert_eq!(record.value("ROLE"), "user");
        assert_eq!(record.value("U_USERS"), "0");
        assert_eq!(record.value("MD5"), "$argon2id$x");
        let root = user_conf("", "default", &package, "", &credentials, true);
        assert_eq!(root.value("ROLE"), "admin");
        assert_eq!(root.value("U_USERS"), "1");
    }

    #[test]
    fn package_filter_drops_time_and_date() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("default.pkg");
        fs::write(
            &path,
            "WEB_TEMPLATE='default'\nNS='ns1.x.tld,ns2.x.tld'\nTIME='10:00:00'\nDATE='2024-01-01'\n",
        )
        .unwrap();
        let keys = package_data(&path).unwrap();
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["WEB_TEMPLATE", "NS"]);
    }
}
