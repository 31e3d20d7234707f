//! `v-add-user-package TMPFILE PACKAGE [REWRITE]`: checks every limit of a package definition
//! and writes it as `data/packages/<PACKAGE>.pkg` in Hestia's key order.
//!
//! Where the definition comes from. Hestia reads the file TMPFILE (older releases:
//! `PKG_DIR/PACKAGE.pkg`); API clients create it first with `v-make-tmp-file CONTENTS NAME`
//! and pass `/tmp/NAME`. hearth has no `/tmp`: the host keeps `v-make-tmp-file` contents in
//! an in-memory spool and hands them to a command in place of its `/tmp/NAME` argument. So
//! the first argument is read as follows:
//!
//! * text that holds a line break or a `KEY='` pair is the definition itself: what the host
//!   substitutes for `/tmp/NAME` (the whole spooled file), or what a client sends inline;
//! * anything else is a path inside this command's sandbox, where `data/packages` is mounted
//!   at `/data/packages`: a directory means `DIR/PACKAGE.pkg` (the older `PKG_DIR` form, e.g.
//!   `/data/packages` with REWRITE=yes re-checks a package in place), a file is read as is, and
//!   anything else — an unsubstituted `/tmp/NAME` included — is Hestia's
//!   `X does not exist` (3).

use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, render, validate};

use crate::common;

/// The keys `v-add-user-package` writes, in its order; `TIME` and `DATE` follow.
const KEYS: &[&str] = &[
    "WEB_TEMPLATE",
    "PROXY_TEMPLATE",
    "BACKEND_TEMPLATE",
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
];

/// Limits that are a number or `unlimited`, checked in this order.
const COUNTED: &[&str] = &[
    "WEB_DOMAINS",
    "WEB_ALIASES",
    "DNS_DOMAINS",
    "DNS_RECORDS",
    "MAIL_DOMAINS",
    "MAIL_ACCOUNTS",
    "DATABASES",
    "CRON_JOBS",
];

/// Login shells a package may name (the sandbox has no `/etc/shells`; these are the lines a
/// Hestia server's `/etc/shells` holds, plus Hestia's `nologin`).
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "rbash", "zsh", "tcsh", "csh", "ksh", "fish", "nologin",
];

fn invalid(message: String) -> CmdError {
    CmdError::new(ReturnCode::Invalid, message)
}

/// `is_int_format_valid VALUE NAME`.
fn int(key: &str, value: &str) -> Result<(), CmdError> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(format!("invalid {key} format :: {value}")))
    }
}

/// A number or `unlimited`.
fn limit(key: &str, value: &str) -> Result<(), CmdError> {
    if value == "unlimited" {
        Ok(())
    } else {
        int(key, value)
    }
}

/// `is_valid_cpu_quota`: `^[1-9][0-9]*%$`.
fn cpu_quota(value: &str) -> Result<(), CmdError> {
    let ok = value.strip_suffix('%').is_some_and(|digits| {
        digits.starts_with(|c: char| ('1'..='9').contains(&c))
            && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("Invalid CPU Quota format: {value}")))
    }
}

/// `is_valid_cpu_quota_period`: `^[0-9]+(ms|s)$`.
fn cpu_quota_period(value: &str) -> Result<(), CmdError> {
    let digits = value
        .strip_suffix("ms")
        .or_else(|| value.strip_suffix('s'))
        .unwrap_or("");
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(format!(
            "Invalid CPU Quota Period format :: {value}"
        )))
    }
}

/// `is_valid_memory_size` / `is_valid_swap_size`: `^[0-9]+[KMGT]?$`.
fn size(label: &str, value: &str) -> Result<(), CmdError> {
    let digits = value.strip_suffix(['K', 'M', 'G', 'T']).unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(format!("Invalid {label} Size format :: {value}")))
    }
}

/// A template file `data/templates/<KIND>/<NAME>.tpl` exists (a name that is not a plain
/// object name names no file).
fn template_exists(call: &Call, kind: &str, name: &str) -> bool {
    validate::object("template", name).is_ok()
        && call
            .system_path(&format!("data/templates/{kind}/{name}.tpl"))
            .is_file()
}

/// `is_format_valid_shell`: the basename of a known shell; `Error: shell X is not valid` (2).
fn shell_name(value: &str) -> Result<&str, CmdError> {
    let name = value.rsplit('/').next().unwrap_or(value);
    let known_dir = !value.contains('/')
        || [
            "/bin/",
            "/usr/bin/",
            "/sbin/",
            "/usr/sbin/",
            "/usr/local/bin/",
        ]
        .iter()
        .any(|dir| value.strip_prefix(dir) == Some(name));
    if known_dir && SHELLS.contains(&name) {
        Ok(name)
    } else {
        Err(invalid(format!("shell {value} is not valid")))
    }
}

/// Hestia's `is_package_consistent`, in its order. Returns the shell name to store.
fn consistent<'a>(
    call: &Call,
    settings: &Record,
    package: &'a Record,
) -> Result<&'a str, CmdError> {
    for key in COUNTED {
        limit(key, package.value(key))?;
    }
    int("RATE_LIMIT", package.value("RATE_LIMIT"))?;
    limit("DISK_QUOTA", package.value("DISK_QUOTA"))?;
    if settings.value("RESOURCES_LIMIT") == "yes" {
        let quota = package.value("CPU_QUOTA");
        if quota != "unlimited" {
            cpu_quota(quota)?;
        }
        let period = package.value("CPU_QUOTA_PERIOD");
        if period != "unlimited" {
            cpu_quota_period(period)?;
        }
        let memory = package.value("MEMORY_LIMIT");
        if memory != "unlimited" {
            size("Memory", memory)?;
        }
        let swap = package.value("SWAP_LIMIT");
        if swap != "unlimited" {
            size("Swap", swap)?;
        }
    }
    limit("BANDWIDTH", package.value("BANDWIDTH"))?;
    int("BACKUPS", package.value("BACKUPS"))?;
    validate::boolean("BACKUPS_INCREMENTAL", package.value("BACKUPS_INCREMENTAL"))?;
    let web = package.value("WEB_TEMPLATE");
    if !web.is_empty()
        && !settings.value("WEB_SYSTEM").is_empty()
        && !template_exists(call, "web", web)
    {
        return Err(template_missing(web, "web"));
    }
    let backend = package.value("BACKEND_TEMPLATE");
    if !backend.is_empty()
        && !settings.value("WEB_BACKEND").is_empty()
        && !template_exists(call, "web", backend)
    {
        return Err(template_missing(backend, "backend"));
    }
    let proxy = package.value("PROXY_TEMPLATE");
    if !proxy.is_empty()
        && !settings.value("PROXY_SYSTEM").is_empty()
        && !template_exists(call, "web", proxy)
    {
        return Err(template_missing(proxy, "proxy"));
    }
    let dns = package.value("DNS_TEMPLATE");
    if !dns.is_empty() && !template_exists(call, "dns", dns) {
        return Err(template_missing(dns, "dns"));
    }
    let ns = package.value("NS");
    if !ns.is_empty() {
        for (index, server) in ns.split(',').enumerate() {
            if validate::domain(server).is_err() {
                return Err(invalid(format!(
                    "invalid ns{} format :: {server}",
                    index + 1
                )));
            }
        }
    }
    shell_name(package.value("SHELL"))
}

/// `Error: X <kind> template doesn't exist` (3).
fn template_missing(name: &str, kind: &str) -> CmdError {
    CmdError::new(
        ReturnCode::NotExist,
        format!("{name} {kind} template doesn't exist"),
    )
}

/// Whether an argument is a package definition rather than a path (see the module doc).
fn is_inline(arg: &str) -> bool {
    arg.contains('\n') || arg.contains("='")
}

/// The definition named by the first argument, or `X does not exist` (3, without `Error: `).
fn definition(source: &str, package: &str) -> Result<Record, CmdError> {
    if is_inline(source) {
        return Ok(hearth_sdk::conf::parse_source(source)?);
    }
    let missing = || CmdError::raw(ReturnCode::NotExist, format!("{source} does not exist"));
    if source.is_empty() {
        return Err(missing());
    }
    let path = Path::new(source);
    let file = if path.is_dir() {
        path.join(format!("{package}.pkg"))
    } else {
        path.to_path_buf()
    };
    match hearth_sdk::fs::read_to_string(&file) {
        Ok(text) => Ok(hearth_sdk::conf::parse_source(&text)?),
        Err(_) => Err(missing()),
    }
}

/// `v-add-user-package`. Silent on success.
pub fn add_user_package(call: &Call) -> CmdResult {
    let source = call.arg(1);
    let package = call.arg(2);
    let rewrite = call.arg(3) == "yes";
    validate::object("package", package)?;
    if rewrite {
        common::package_valid(call, package)?;
    } else {
        common::package_new(call, package)?;
    }
    let definition = definition(source, package)?;
    let settings = hosting::settings(call)?;
    let shell = consistent(call, &settings, &definition)?;
    hosting::check_demo_mode(&settings)?;

    let (date, time) = render::now_date_time();
    let mut record = Record::new();
    for key in KEYS {
        let value = if *key == "SHELL" {
            shell
        } else {
            definition.value(key)
        };
        record.set(*key, value);
    }
    record.set("TIME", time);
    record.set("DATE", date);
    // Hestia's `echo "...DATE='...'\n"` leaves an empty last line.
    let text = format!("{}\n", record.to_source()?);
    hearth_sdk::fs::write_atomic(&common::package_path(call, package), text.as_bytes())?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(cpu_quota("50%").is_ok());
        assert!(cpu_quota("0%").is_err());
        assert!(cpu_quota("50").is_err());
        assert!(cpu_quota_period("100ms").is_ok());
        assert!(cpu_quota_period("1s").is_ok());
        assert!(cpu_quota_period("ms").is_err());
        assert!(size("Memory", "512M").is_ok());
        assert!(size("Memory", "512").is_ok());
        assert_eq!(
            size("Swap", "1X").unwrap_err().output,
            "Error: Invalid Swap Size format :: 1X"
        );
        assert_eq!(shell_name("/bin/bash").unwrap(), "bash");
        assert_eq!(shell_name("nologin").unwrap(), "nologin");
        assert!(shell_name("/tmp/bash").is_err());
        assert!(shell_name("").is_err());
        assert!(is_inline("WEB_DOMAINS='1'"));
        assert!(is_inline("A=1\nB=2"));
        assert!(!is_inline("/tmp/package"));
    }
}
