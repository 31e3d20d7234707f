//! `v-add-access-key USER [PERMISSIONS] [COMMENT] [FORMAT] [EXPIRES_IN] [IP]`.
//!
//! Hestia's checks, in its order, all before anything is generated: USER, COMMENT and FORMAT
//! formats (then hearth's EXPIRES_IN and IP), the user exists, a non-root user has a
//! permission list, each set exists, and admin-role sets are for the root user only.
//!
//! Deliberately better than Hestia: the id and secret come from the host's CSPRNG instead of
//! bash's `$RANDOM`, and the key file keeps only `SECRET_ACCESS_KEY_HASH` (the host's
//! `hash-token`), so the secret printed here is never shown again. Hestia's history entry
//! ("Access key ID generated") is left to the host, which records API history: this command
//! may only read the user's directory.

use std::fs;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, validate};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::common::{self, KEYS_DIR, KeyView};

/// The key-file field holding the secret's hash (the host's `auth::SECRET_HASH_FIELD`).
pub const SECRET_HASH_FIELD: &str = "SECRET_ACCESS_KEY_HASH";
/// Hestia's id length (`[A-Za-z0-9]`).
const ID_LENGTH: u32 = 20;
/// Hestia's secret length (`[A-Za-z0-9_=-]`).
const SECRET_LENGTH: u32 = 40;
/// Fresh ids tried before giving up; with a CSPRNG the first one is always new.
const ATTEMPTS: usize = 16;
/// The longest lifetime `EXPIRES_IN` may give in days (about ten years).
const MAX_DAYS: i64 = 3650;

/// `v-add-access-key`: creates the key and prints it with its secret, once.
pub fn add_access_key(call: &Call) -> CmdResult {
    use hearth_sdk::secrets::{hash_token, random_token};
    add_with(call, random_token, hash_token)
}

/// The command with its randomness and hashing passed in, so tests can run it natively.
pub fn add_with(
    call: &Call,
    mut keygen: impl FnMut(u32, &str) -> String,
    hash: impl Fn(&str) -> String,
) -> CmdResult {
    let user = call.arg(1);
    let comment = call.arg(3);
    // Hestia's `format=${4-shell}` is passed on to `v-list-access-key`, whose
    // `${2:-shell}` turns an empty value into `shell` as well.
    let format = call.arg_or(4, "shell");

    // Hestia's is_format_valid 'user' skips an empty value; hearth refuses it, like every
    // other user command, so that nothing is ever written for no one.
    validate::user(user)?;
    if !comment.is_empty() {
        validate::comment(comment)?;
    }
    if let Some(value) = call.arg_opt(4).filter(|value| !value.is_empty()) {
        validate::format(value)?;
        // Deliberately stricter than Hestia: `csv` would create a key and print nothing, and
        // since hearth stores only the secret's hash, that key could never be used.
        if value == "csv" {
            return Err(CmdError::new(ReturnCode::Invalid, "csv type is invalid"));
        }
    }
    let expires_in = expires_in(call.arg(5), OffsetDateTime::now_utc())?;
    let ip = ip_list(call.arg(6))?;
    if !common::is_regular_file(&call.user_path("user.conf")) {
        return Err(CmdError::not_exist("user", user));
    }
    let permissions = clean_permissions(call.arg(2));
    check_permissions(call, user, &permissions)?;

    let secret = keygen(SECRET_LENGTH, hearth_sdk::secrets::SECRET);
    let (date, time) = hearth_sdk::render::now_date_time();
    let record = Record::from_pairs([
        (SECRET_HASH_FIELD, hash(&secret)),
        ("USER", user.to_string()),
        ("PERMISSIONS", permissions.join(",")),
        ("COMMENT", comment.to_string()),
        ("TIME", time),
        ("DATE", date),
        ("EXPIRES_IN", expires_in),
        ("IP", ip),
    ]);
    let contents = record.to_source()?;
    let dir = call.system_path(KEYS_DIR);
    fs::create_dir_all(&dir)?;
    let id = store(&dir, contents.as_bytes(), || {
        keygen(ID_LENGTH, hearth_sdk::secrets::ALNUM)
    })?;

    let key = KeyView::new(&id, &record, call.root_user());
    Ok(match format {
        "json" => key.json(Some(&secret)),
        "shell" => key.shell(Some(&secret)),
        _ => format!("{id}:{secret}\n"),
    })
}

/// Writes `contents` as a new key file under the first fresh id from `keygen`; returns the id.
/// The file is created exclusively, so an existing key is never overwritten. It is written in
/// place: until this command prints the secret, a reader seeing a partial file cannot use it.
fn store(
    dir: &Path,
    contents: &[u8],
    mut keygen: impl FnMut() -> String,
) -> Result<String, CmdError> {
    for _ in 0..ATTEMPTS {
        let id = keygen();
        if validate::access_key_id(&id).is_err() {
            continue;
        }
        let path = dir.join(&id);
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error.into()),
        };
        let written = file.write_all(contents).and_then(|()| file.sync_all());
        if let Err(error) = written {
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(error.into());
        }
        return Ok(id);
    }
    Err(CmdError::new(
        ReturnCode::Exists,
        "could not generate a new access key",
    ))
}

/// Hestia's `cleanup_key_permissions`: each comma-separated item `basename`d and trimmed,
/// duplicates dropped. Empty items are dropped too, and so is `*`, which Hestia's duplicate
/// check (`grep ",*,"`) always drops by accident.
pub fn clean_permissions(permissions: &str) -> Vec<String> {
    let mut cleaned: Vec<String> = Vec::new();
    for item in permissions.split(',') {
        let base = item.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let name = base.trim();
        if !name.is_empty() && name != "*" && !cleaned.iter().any(|c| c == name) {
            cleaned.push(name.to_string());
        }
    }
    cleaned
}

/// Hestia's `is_key_permissions_format_valid`, with the root user for its hard-coded `admin`.
/// A set exists when `data/api/<name>` is a regular file with a name the host accepts
/// (`is_object_format_valid`); any other name could never grant anything.
fn check_permissions(call: &Call, user: &str, permissions: &[String]) -> Result<(), CmdError> {
    let is_root = user == call.root_user();
    if !is_root && permissions.is_empty() {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            "Non-admin users need a permission list",
        ));
    }
    for set in permissions {
        let file = validate::object("api", set)
            .ok()
            .and_then(|()| common::api_file(call, set))
            .ok_or_else(|| {
                CmdError::new(ReturnCode::NotExist, format!("API {set} doesn't exist"))
            })?;
        let record = hearth_sdk::fs::read_source(&file)?;
        if record.value("ROLE") == "admin" && !is_root {
            return Err(CmdError::new(
                ReturnCode::Invalid,
                "Only the admin can run this API",
            ));
        }
    }
    Ok(())
}

/// hearth's `EXPIRES_IN`: empty (never), a whole number of days `N` (1..=3650) from `now`, or
/// an absolute UTC `YYYY-MM-DD` / `YYYY-MM-DD HH:MM:SS` in the future. Returns the stored form:
/// empty, or the absolute time (a day count becomes `YYYY-MM-DD HH:MM:SS`).
pub fn expires_in(value: &str, now: OffsetDateTime) -> Result<String, CmdError> {
    let invalid = || {
        CmdError::new(
            ReturnCode::Invalid,
            format!("invalid expires_in format :: {value}"),
        )
    };
    if value.is_empty() {
        return Ok(String::new());
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let days: i64 = value.parse().map_err(|_| invalid())?;
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(invalid());
        }
        let at = now.to_offset(time::UtcOffset::UTC) + Duration::days(days);
        return Ok(format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        ));
    }
    let at = match value.split_once(' ') {
        Some((date, time)) => PrimitiveDateTime::new(
            parse_date(date).ok_or_else(invalid)?,
            parse_time(time).ok_or_else(invalid)?,
        ),
        None => parse_date(value).ok_or_else(invalid)?.midnight(),
    };
    if at.assume_utc() <= now {
        return Err(invalid());
    }
    // The shape was checked digit by digit, so the value is already in its stored form.
    Ok(value.to_string())
}

/// The numbers of `text` split at `separator` into fields of the given widths, all digits.
fn fixed_fields(text: &str, separator: u8, widths: &[usize]) -> Option<Vec<u32>> {
    let expected = widths.iter().sum::<usize>() + widths.len() - 1;
    if text.len() != expected {
        return None;
    }
    let mut fields = Vec::with_capacity(widths.len());
    let mut rest = text.as_bytes();
    for (i, width) in widths.iter().enumerate() {
        if i > 0 {
            if rest.first() != Some(&separator) {
                return None;
            }
            rest = &rest[1..];
        }
        let (digits, after) = rest.split_at(*width);
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        fields.push(std::str::from_utf8(digits).ok()?.parse().ok()?);
        rest = after;
    }
    Some(fields)
}

/// A calendar date `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<Date> {
    let fields = fixed_fields(text, b'-', &[4, 2, 2])?;
    let month = Month::try_from(u8::try_from(fields[1]).ok()?).ok()?;
    Date::from_calendar_date(
        i32::try_from(fields[0]).ok()?,
        month,
        u8::try_from(fields[2]).ok()?,
    )
    .ok()
}

/// A time of day `HH:MM:SS`.
fn parse_time(text: &str) -> Option<Time> {
    let fields = fixed_fields(text, b':', &[2, 2, 2])?;
    Time::from_hms(
        u8::try_from(fields[0]).ok()?,
        u8::try_from(fields[1]).ok()?,
        u8::try_from(fields[2]).ok()?,
    )
    .ok()
}

/// hearth's `IP`: empty (any address) or a comma list of IPv4/IPv6 addresses, each checked
/// with Hestia's `ip46` validator. Stored comma-joined in canonical form (the host compares
/// the client address as text), without duplicates.
pub fn ip_list(value: &str) -> Result<String, CmdError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    let mut ips: Vec<String> = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        validate::ip46(item)?;
        if let Ok(ip) = item.parse::<IpAddr>() {
            let ip = ip.to_string();
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
    }
    Ok(ips.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-03-10 12:30:45 UTC);

    fn invalid(value: &str) -> CmdError {
        CmdError::new(
            ReturnCode::Invalid,
            format!("invalid expires_in format :: {value}"),
        )
    }

    #[test]
    fn permissions_are_cleaned_like_hestia() {
        assert_eq!(
            clean_permissions(" billing, ../etc/billing ,mail-accounts,,*,/x/sets/dns/, a/ "),
            vec![
                "billing".to_string(),
                "mail-accounts".to_string(),
                "dns".to_string()
            ]
        );
        assert!(clean_permissions("*").is_empty());
        assert!(clean_permissions("").is_empty());
    }

    #[test]
    fn expires_in_days() {
        assert_eq!(expires_in("", NOW), Ok(String::new()));
        assert_eq!(expires_in("1", NOW), Ok("2025-03-11 12:30:45".to_string()));
        assert_eq!(expires_in("30", NOW), Ok("2025-04-09 12:30:45".to_string()));
        assert_eq!(
            expires_in("3650", NOW),
            Ok("2035-03-08 12:30:45".to_string())
        );
        for bad in [
            "0",
            "3651",
            "99999999999999999999999",
            "-1",
            "+5",
            "1.5",
            " 5",
        ] {
            assert_eq!(expires_in(bad, NOW), Err(invalid(bad)), "{bad}");
        }
    }

    #[test]
    fn expires_in_absolute() {
        assert_eq!(expires_in("2025-03-11", NOW), Ok("2025-03-11".to_string()));
        assert_eq!(
            expires_in("2025-03-10 12:30:46", NOW),
            Ok("2025-03-10 12:30:46".to_string())
        );
        for bad in [
            "2025-03-10",
            "2025-03-10 12:30:45",
            "2024-12-31",
            "2025-02-30",
            "2025-13-01",
            "2025-3-11",
            "2025-03-11 24:00:00",
            "2025-03-11 1:00:00",
            "2025-03-11T10:00:00",
            "2025-03-11  10:00:00",
            "+2025-03-11",
            "tomorrow",
        ] {
            assert_eq!(expires_in(bad, NOW), Err(invalid(bad)), "{bad}");
        }
    }

    #[test]
    fn ip_lists() {
        assert_eq!(ip_list(""), Ok(String::new()));
        assert_eq!(
            ip_list("192.0.2.1, 2001:DB8:0::1,192.0.2.1"),
            Ok("192.0.2.1,2001:db8::1".to_string())
        );
        assert_eq!(
            ip_list("192.0.2.1,example.com").unwrap_err().output,
            "Error: invalid IP format :: example.com"
        );
        assert_eq!(
            ip_list("192.0.2.1,").unwrap_err().output,
            "Error: invalid IP format :: "
        );
        assert_eq!(ip_list("10.0.0.256").unwrap_err().code, ReturnCode::Invalid);
    }
}
