//! What the hosting-object families (web, DNS, mail, databases, cron) share: server settings,
//! the owning user's record and counters, history entries, domain normalisation, package
//! limits, Hestia's subdomain-ownership rule and `RESTART` handling.

use std::io;
use std::path::Path;

use crate::conf::Record;
use crate::{Call, CmdError, ReturnCode, validate};

/// Hestia keeps at most ~300 history lines: above 300 it keeps the last 250.
const HISTORY_MAX_LINES: usize = 300;
const HISTORY_KEEP_LINES: usize = 250;

/// `conf/hestia.conf`, read through a `conf` read-only system grant.
pub fn settings(call: &Call) -> Result<Record, CmdError> {
    crate::fs::read_source(&call.system_path("conf/hestia.conf"))
}

/// Where users' homes really are (`HOME_ROOT` of `hestia.conf`, Hestia's `/home`). Rendered
/// configuration names paths below it; inside the sandbox the same home is `/home/<user>`.
pub fn home_root(settings: &Record) -> &str {
    match settings.value("HOME_ROOT") {
        "" => "/home",
        root => root.trim_end_matches('/'),
    }
}

/// `is_system_enabled "$WEB_SYSTEM" WEB_SYSTEM`: `Error: WEB_SYSTEM is not enabled` (11).
pub fn system_enabled(settings: &Record, key: &str) -> Result<(), CmdError> {
    match settings.value(key) {
        "" | "no" => Err(CmdError::new(
            ReturnCode::Disabled,
            format!("{key} is not enabled"),
        )),
        _ => Ok(()),
    }
}

/// Reads `user.conf` from a user directory, or `Error: user X doesn't exist` (3). A missing
/// grant (the host mounts nothing for a user that does not exist) fails the same way.
pub fn load_user(dir: &Path, user: &str) -> Result<Record, CmdError> {
    match crate::fs::read_to_string(dir.join("user.conf")) {
        Ok(text) => Ok(crate::conf::parse_source(&text)?),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
            ) =>
        {
            Err(CmdError::not_exist("user", user))
        }
        Err(error) => Err(error.into()),
    }
}

/// Hestia's `is_object_valid 'user' 'USER'` for the `/user` grant (no format check): the
/// user's record, or `Error: user X doesn't exist` (3).
pub fn user_record(call: &Call, user: &str) -> Result<Record, CmdError> {
    load_user(&call.user_path(""), user)
}

/// Hestia's `is_object_valid 'user'` + `is_object_unsuspended 'user'` for the `/user` grant:
/// the user's record, or 3 / `Error: user X is suspended` (5).
pub fn active_user(call: &Call, user: &str) -> Result<Record, CmdError> {
    validate::user(user)?;
    let record = user_record(call, user)?;
    if record.value("SUSPENDED") == "yes" {
        return Err(CmdError::new(
            ReturnCode::Suspended,
            format!("user {user} is suspended"),
        ));
    }
    Ok(record)
}

/// Hestia's `check_hestia_demo_mode`: with `DEMO_MODE='yes'` nothing may change (1).
pub fn check_demo_mode(settings: &Record) -> Result<(), CmdError> {
    if settings.value("DEMO_MODE") == "yes" {
        return Err(CmdError::raw(
            ReturnCode::Args,
            "ERROR: Unable to perform operation due to security restrictions that are in place.",
        ));
    }
    Ok(())
}

/// `is_format_valid 'domain'` (skipped for an empty value, as in Hestia).
pub fn domain_format(domain: &str) -> Result<(), CmdError> {
    if domain.is_empty() {
        return Ok(());
    }
    validate::domain(domain)
}

/// Hestia's `add_object_key ... NEW BEFORE` + `update_object_value`: sets `key` on a record,
/// inserting it right before `before` when it is new (at the end when `before` is missing).
pub fn set_before(record: &mut Record, key: &str, value: &str, before: &str) {
    if record.contains(key) || !record.contains(before) {
        record.set(key, value);
        return;
    }
    let mut rebuilt = Record::new();
    for (k, v) in record.iter() {
        if k == before {
            rebuilt.set(key, value);
        }
        rebuilt.set(k, v);
    }
    *record = rebuilt;
}

/// Changes a counter in a `user.conf` by `delta`, like Hestia's `increase_user_value` /
/// `decrease_user_value`: a missing file or key is left alone, an unparsable value counts
/// as 0, and the result never goes below 0.
pub fn bump_counter(conf: &Path, key: &str, delta: i64) -> Result<(), CmdError> {
    let mut record = match crate::fs::read_to_string(conf) {
        Ok(text) => crate::conf::parse_source(&text)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let Some(old) = record.get(key) else {
        return Ok(());
    };
    let old: i64 = old.trim().parse().unwrap_or(0);
    record.set(key, old.saturating_add(delta).max(0).to_string());
    crate::fs::write_source(conf, &record)
}

/// Hestia's `is_package_full KEY`: when the user's limit `key` (e.g. `WEB_DOMAINS`) is a
/// number and `U_<key>` (or `used`, when given) has reached it,
/// `Error: KEY limit is reached :: upgrade user package` (8).
pub fn package_allows(user: &Record, key: &str, used: Option<u64>) -> Result<(), CmdError> {
    let limit = user.value(key);
    let Ok(limit) = limit.trim().parse::<u64>() else {
        return Ok(());
    };
    let used = used.unwrap_or_else(|| {
        user.value(&format!("U_{key}"))
            .trim()
            .parse::<u64>()
            .unwrap_or(0)
    });
    if used >= limit {
        Err(CmdError::new(
            ReturnCode::Limit,
            format!("{key} limit is reached :: upgrade user package"),
        ))
    } else {
        Ok(())
    }
}

/// Hestia's `log_history MESSAGE LEVEL USER CATEGORY` for a user: appends
/// `ID='n' DATE='…' TIME='…' LEVEL='…' CATEGORY='…' MESSAGE='…'` to the user's `history.log`,
/// with `n` one more than the last line's ID, `'` in the message replaced by `´`, and the log
/// cut to its last 250 lines once it is over 300.
pub fn log_history(
    history: &Path,
    level: &str,
    category: &str,
    message: &str,
) -> Result<(), CmdError> {
    let text = match crate::fs::read_to_string(history) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error.into()),
    };
    let last_id = text
        .lines()
        .next_back()
        .filter(|line| line.contains("ID="))
        .and_then(|line| line.split('\'').nth(1))
        .and_then(|id| id.parse::<u64>().ok())
        .unwrap_or(0);
    let (date, time) = crate::render::now_date_time();
    let message = message.replace('\'', "´").replace(['\n', '\r'], " ");
    let entry = format!(
        "ID='{}' DATE='{date}' TIME='{time}' LEVEL='{level}' CATEGORY='{category}' MESSAGE='{message}'\n",
        last_id + 1
    );
    // A log as this function writes it (each line ending in `\n`, none in `\r`) that needs no
    // cut gets the same bytes by an append as by a rewrite: inside a stage it is appended.
    let as_written = text.is_empty() || (text.ends_with('\n') && !text.contains('\r'));
    if as_written
        && text.matches('\n').count() <= HISTORY_MAX_LINES
        && crate::fs::append_staged(history, entry.as_bytes())?
    {
        return Ok(());
    }
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > HISTORY_MAX_LINES {
        lines.drain(..lines.len() - HISTORY_KEEP_LINES);
    }
    let mut out = String::with_capacity(text.len() + entry.len());
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&entry);
    crate::fs::write_atomic(history, out.as_bytes())
}

/// Hestia's `format_domain`: lower-case, strip a leading `www.`, strip leading and trailing
/// dots and surrounding spaces. Used by the web, DNS and mail add commands before validation.
pub fn format_domain(domain: &str) -> String {
    let mut domain = domain.trim().to_lowercase();
    if let Some(rest) = domain.strip_prefix("www.") {
        domain = rest.to_string();
    }
    domain.trim_matches('.').trim().to_string()
}

/// The ASCII (punycode) form of a domain, Hestia's `domain_idn` (`idn2`). A name that is
/// already ASCII is returned lower-cased.
pub fn domain_idn(domain: &str) -> Result<String, CmdError> {
    if domain.is_ascii() {
        return Ok(domain.to_ascii_lowercase());
    }
    idna::domain_to_ascii(domain).map_err(|_| {
        CmdError::new(
            ReturnCode::Invalid,
            format!("invalid domain format :: {domain}"),
        )
    })
}

/// The Unicode form of a punycode domain (`xn--idn-tst-fya.eu` → `idn-tést.eu`).
pub fn domain_unicode(domain: &str) -> String {
    let (unicode, result) = idna::domain_to_unicode(domain);
    if result.is_ok() {
        unicode
    } else {
        domain.to_string()
    }
}

/// A valid IPv4 address given as a domain: `Error: Invalid domain format. IP address
/// detected as input.` (1).
pub fn reject_ip_literal(domain: &str) -> Result<(), CmdError> {
    if domain.parse::<std::net::Ipv4Addr>().is_ok() {
        Err(CmdError::new(
            ReturnCode::Args,
            "Invalid domain format. IP address detected as input.",
        ))
    } else {
        Ok(())
    }
}

/// The registry's name for a domain: its ASCII form, so that `idn-tést.eu` and
/// `xn--idn-tst-fya.eu` are the same name.
pub fn registry_name(domain: &str) -> String {
    domain_idn(domain).unwrap_or_else(|_| domain.to_ascii_lowercase())
}

/// Hestia's message for a name already held, by the holder's kind.
pub fn taken_message(holder: &crate::names::Holder) -> CmdError {
    use crate::names::Kind;
    let what = match holder.kind {
        Kind::Web => "Web domain",
        Kind::WebAlias => "Web alias",
        Kind::Dns => "DNS domain",
        Kind::Mail => "Mail domain",
    };
    CmdError::new(ReturnCode::Exists, format!("{what} {} exists", holder.name))
}

/// Claims `domain` (already normalised) as `kind` for the invocation's USER, with Hestia's
/// `is_domain_new` messages.
pub fn claim_name(domain: &str, kind: crate::names::Kind) -> Result<(), CmdError> {
    match crate::names::claim(&registry_name(domain), kind) {
        Ok(()) => Ok(()),
        Err(Some(holder)) => Err(taken_message(&holder)),
        Err(None) => Err(CmdError::new(
            ReturnCode::Forbidden,
            "this command cannot claim domain names",
        )),
    }
}

/// Hestia's `get_base_domain`-style parent: the name without its first label, when that
/// still has a dot (`cdn.example.com` → `example.com`; `example.com` → none).
pub fn parent_domain(domain: &str) -> Option<&str> {
    let (_, parent) = domain.split_once('.')?;
    parent.contains('.').then_some(parent)
}

/// Hestia's `is_base_domain_owner` under `ENFORCE_SUBDOMAIN_OWNERSHIP='yes'`: a subdomain
/// whose parent web domain belongs to another user is refused unless that domain has
/// `ALLOW_USERS='yes'`: `Error: Unable to add X. Y belongs to a different user` (4).
pub fn check_subdomain_owner(settings: &Record, user: &str, domain: &str) -> Result<(), CmdError> {
    if settings.value("ENFORCE_SUBDOMAIN_OWNERSHIP") != "yes" {
        return Ok(());
    }
    let Some(parent) = parent_domain(domain) else {
        return Ok(());
    };
    let holders = crate::names::holders(&registry_name(parent));
    let open = holders
        .iter()
        .any(|holder| holder.kind == crate::names::Kind::Web && holder.allow_users);
    if open {
        return Ok(());
    }
    if holders.iter().any(|holder| holder.user != user) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("Unable to add {domain}. {parent} belongs to a different user"),
        ));
    }
    Ok(())
}

/// Hestia's `RESTART` argument: validated (`Error: invalid restart format :: X`, 2); `no`
/// skips the reload; anything else queues a reload of `services` once the command succeeds.
pub fn restart(value: &str, services: &[&str]) -> Result<(), CmdError> {
    validate::restart(value)?;
    if value != "no" {
        for service in services {
            crate::services::request_reload(service);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_domain_follows_hestia() {
        assert_eq!(format_domain(" WWW.Example.COM. "), "example.com");
        assert_eq!(format_domain(".example.org"), "example.org");
        assert_eq!(format_domain("www"), "www");
    }

    #[test]
    fn idn_round_trip() {
        assert_eq!(domain_idn("idn-tést.eu").unwrap(), "xn--idn-tst-fya.eu");
        assert_eq!(domain_unicode("xn--idn-tst-fya.eu"), "idn-tést.eu");
        assert_eq!(registry_name("Example.COM"), "example.com");
    }

    #[test]
    fn parents() {
        assert_eq!(parent_domain("cdn.example.com"), Some("example.com"));
        assert_eq!(parent_domain("example.com"), None);
    }

    #[test]
    fn keys_are_inserted_before_another() {
        let mut record = Record::from_pairs([("DOMAIN", "a.com"), ("RECORDS", "3")]);
        set_before(&mut record, "SERIAL", "2024010101", "RECORDS");
        assert_eq!(
            record.to_line().unwrap(),
            "DOMAIN='a.com' SERIAL='2024010101' RECORDS='3'"
        );
        set_before(&mut record, "SERIAL", "2024010102", "RECORDS");
        assert_eq!(record.value("SERIAL"), "2024010102");
        assert_eq!(record.len(), 3);
        set_before(&mut record, "NEW", "x", "MISSING");
        assert_eq!(record.iter().last().map(|(k, _)| k), Some("NEW"));
    }

    #[test]
    fn demo_mode_refuses_changes() {
        let mut settings = Record::new();
        assert!(check_demo_mode(&settings).is_ok());
        settings.set("DEMO_MODE", "yes");
        assert_eq!(
            check_demo_mode(&settings).unwrap_err().code,
            ReturnCode::Args
        );
    }

    #[test]
    fn package_limits() {
        let mut user = Record::new();
        user.set("WEB_DOMAINS", "1");
        user.set("U_WEB_DOMAINS", "1");
        assert_eq!(
            package_allows(&user, "WEB_DOMAINS", None).unwrap_err().code,
            ReturnCode::Limit
        );
        user.set("WEB_DOMAINS", "unlimited");
        assert!(package_allows(&user, "WEB_DOMAINS", None).is_ok());
    }
}
