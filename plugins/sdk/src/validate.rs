//! Hestia's argument validators (`func/main.sh` `is_*_format_valid`), with its exact messages.
//!
//! Every validator returns `Err(CmdError)` with code E_INVALID (2) and Hestia's text. Where
//! Hestia's pattern accidentally lets shell metacharacters through (`|` and `\` in user names),
//! hearth is deliberately stricter.

use std::net::{IpAddr, Ipv4Addr};

use crate::{CmdError, ReturnCode};

/// Names `v-add-user` refuses (compared case-insensitively).
pub const RESERVED_USER_NAMES: &[&str] = &[
    "aria",
    "aria_log",
    "mysql",
    "mysql_upgrade",
    "ib",
    "ib_buffer",
    "ddl",
    "ddl_recovery",
    "performance",
    "sudo",
];

fn invalid(message: String) -> CmdError {
    CmdError::new(ReturnCode::Invalid, message)
}

fn format_error(kind: &str, value: &str) -> CmdError {
    invalid(format!("invalid {kind} format :: {value}"))
}

/// `first [middle]{min..=max} last`, each class a predicate; a single character must satisfy
/// `single`.
fn framed(
    value: &str,
    middle_max: usize,
    edge: impl Fn(char) -> bool,
    middle: impl Fn(char) -> bool,
) -> bool {
    let chars: Vec<char> = value.chars().collect();
    match chars.len() {
        0 => false,
        1 => edge(chars[0]),
        n if n - 2 > middle_max => false,
        n => edge(chars[0]) && edge(chars[n - 1]) && chars[1..n - 1].iter().all(|&c| middle(c)),
    }
}

/// `is_user_format_valid`: 1–30 ASCII characters, alphanumeric at both ends, `-._` inside.
pub fn user(value: &str) -> Result<(), CmdError> {
    let ok = value.is_ascii()
        && framed(
            value,
            28,
            |c| c.is_ascii_alphanumeric(),
            |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'),
        );
    if ok {
        Ok(())
    } else {
        Err(format_error("user", value))
    }
}

/// The stricter rule of `v-add-user`: starts with a letter, no dots, at least 2 characters,
/// and not a reserved name.
pub fn new_user(value: &str) -> Result<(), CmdError> {
    user(value)?;
    let chars: Vec<char> = value.chars().collect();
    let ok = chars.len() >= 2
        && chars[0].is_ascii_alphabetic()
        && chars[chars.len() - 1].is_ascii_alphanumeric()
        && chars
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !ok {
        return Err(format_error("user", value));
    }
    if RESERVED_USER_NAMES
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(value))
    {
        return Err(invalid(format!(
            "The user name '{value}' is reserved and cannot be used. List of reserved names: {}",
            RESERVED_USER_NAMES.join(" ")
        )));
    }
    Ok(())
}

/// `is_domain_format_valid`.
pub fn domain(value: &str) -> Result<(), CmdError> {
    const FORBIDDEN: &str = "[]!@#$^&*()+={},<>?_/\\\"|'`;%";
    let bad = value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || FORBIDDEN.contains(c))
        || value.chars().all(|c| c.is_ascii_digit())
        || value.contains("..")
        || value.starts_with(['-', '.'])
        || value.ends_with('-')
        || value.contains(".-")
        || value.contains("-.")
        || value == "www";
    if bad {
        Err(format_error("domain", value))
    } else {
        Ok(())
    }
}

/// `is_email_format_valid`.
pub fn email(value: &str) -> Result<(), CmdError> {
    let valid = (|| {
        let (local, host) = value.split_once('@')?;
        let local_ok = !local.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
        let (name, tld) = host.rsplit_once('.')?;
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let tld_ok = (2..=63).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic())
            || tld.strip_prefix("xn--").is_some_and(|t| {
                (2..=63).contains(&t.len()) && t.chars().all(|c| c.is_alphanumeric())
            });
        Some(local_ok && name_ok && tld_ok)
    })()
    .unwrap_or(false);
    if valid {
        Ok(())
    } else {
        Err(format_error("email", value))
    }
}

/// `is_ip_format_valid` (IPv4 only): `Error: invalid ip :: X`.
pub fn ipv4(value: &str) -> Result<(), CmdError> {
    value
        .parse::<Ipv4Addr>()
        .map(|_| ())
        .map_err(|_| invalid(format!("invalid ip :: {value}")))
}

/// `is_ip46_format_valid`: `Error: invalid IP format :: X`.
pub fn ip46(value: &str) -> Result<(), CmdError> {
    value
        .parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| invalid(format!("invalid IP format :: {value}")))
}

/// `is_object_format_valid` for `package`, `template`, `charset`, `host`, ...:
/// 2–66 characters, alphanumeric at both ends, `-._` inside.
pub fn object(kind: &str, value: &str) -> Result<(), CmdError> {
    let ok = value.chars().count() >= 2
        && framed(
            value,
            64,
            |c| c.is_alphanumeric(),
            |c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_'),
        );
    if ok {
        Ok(())
    } else {
        Err(format_error(kind, value))
    }
}

/// `is_name_format_valid`: no quotes or angle brackets, one line.
pub fn name(value: &str) -> Result<(), CmdError> {
    if value.contains(['\'', '"', '<', '>', '\n', '\r']) {
        Err(invalid(format!(
            "Invalid name contains qoutes (\" or ') :: {value}"
        )))
    } else {
        Ok(())
    }
}

/// `is_comment_format_valid`: 2–66 characters, alphanumeric at both ends, blanks and `._-`
/// inside.
pub fn comment(value: &str) -> Result<(), CmdError> {
    let ok = value.chars().count() >= 2
        && framed(
            value,
            64,
            |c| c.is_alphanumeric(),
            |c| c.is_alphanumeric() || c == ' ' || c == '\t' || matches!(c, '.' | '_' | '-'),
        );
    if ok {
        Ok(())
    } else {
        Err(format_error("comment", value))
    }
}

/// `format`: one of `plain json shell csv`; Hestia's message is `Error: X type is invalid`.
pub fn format(value: &str) -> Result<(), CmdError> {
    if matches!(value, "plain" | "json" | "shell" | "csv") {
        Ok(())
    } else {
        Err(invalid(format!("{value} type is invalid")))
    }
}

/// `RESTART`: `yes no ssl reload updatessl scheduled` or empty.
pub fn restart(value: &str) -> Result<(), CmdError> {
    if matches!(
        value,
        "" | "yes" | "no" | "ssl" | "reload" | "updatessl" | "scheduled"
    ) {
        Ok(())
    } else {
        Err(format_error("restart", value))
    }
}

/// A yes/no switch such as `antispam`: `Error: invalid <name> format :: X`.
pub fn boolean(kind: &str, value: &str) -> Result<(), CmdError> {
    if value == "yes" || value == "no" {
        Ok(())
    } else {
        Err(format_error(kind, value))
    }
}

/// `is_access_key_id_format_valid`: exactly 20 ASCII alphanumerics.
pub fn access_key_id(value: &str) -> Result<(), CmdError> {
    if value.len() == 20 && value.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format_error("access_key_id", value))
    }
}

/// Whether a string is a well-formed secret access key (40 of `[A-Za-z0-9_.+/^~=%-]`).
pub fn is_secret_access_key(value: &str) -> bool {
    value.len() == 40
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+/^~=%-".contains(c))
}

/// `is_hash_format_valid`: 1–80 of `[A-Za-z0-9:=_-]` (a legacy key or `ID:SECRET`).
pub fn hash(value: &str) -> Result<(), CmdError> {
    let ok = (1..=80).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":=_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format_error("hash", value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_follow_checks_bats() {
        assert!(user(&"a".repeat(28)).is_ok());
        assert!(user(&"a".repeat(21)).is_ok());
        assert!(user(&"a".repeat(30)).is_ok());
        assert!(user(&"a".repeat(31)).is_err());
        assert!(user("a-b").is_ok());
        assert!(user("a--b").is_ok());
        assert!(user("-ab").is_err());
        assert!(user("ab-").is_err());
        assert!(user("ab\ncd").is_err());
        assert!(user("a|b").is_err());
        assert!(user("x").is_ok());
    }

    #[test]
    fn new_users_follow_test_bats() {
        for bad in ["jäap", "ëaap", "jaaẞ", "1234", "1aap", "hello.com"] {
            let error = new_user(bad).unwrap_err();
            assert_eq!(error.output, format!("Error: invalid user format :: {bad}"));
            assert_eq!(error.code, ReturnCode::Invalid);
        }
        let reserved = new_user("ib_Buffer").unwrap_err();
        assert!(reserved.output.starts_with("Error: The user name"));
        assert!(new_user("jaap01").is_ok());
        assert!(new_user("buffer").is_ok());
    }

    #[test]
    fn domains() {
        assert!(domain("hestiacp.com").is_ok());
        assert!(domain("mx.hestiacp.com.").is_ok());
        for bad in [
            "www",
            "12345",
            "a..b",
            "bad\ndomain",
            "-a.com",
            "a_b.com",
            "",
        ] {
            assert!(domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(email("alice@example.com").is_ok());
        assert!(email("a.b+c@sub.example.xn--p1ai").is_ok());
        assert!(email("testerhestiacp.com").is_err());
        assert!(email("a@b").is_err());
    }

    #[test]
    fn comments_and_keys() {
        assert!(comment("my key").is_ok());
        assert!(comment("x").is_err());
        assert!(access_key_id("bxDaKPyAfLPRgSkoqlkI").is_ok());
        assert!(access_key_id("bxDaKPyAfLPRgSkoqlk").is_err());
        assert!(access_key_id("bxDaKPyAfLPRgSkoqlk$").is_err());
        assert!(hash("bxDaKPyAfLPRgSkoqlkI:Pc8czGPRECp3GxTNMr3LF6zWc8cjfPrNHy_-=A").is_ok());
    }
}
