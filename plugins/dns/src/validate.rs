//! Hestia's DNS validators: record names (`is_common_format_valid`), IDs, record types and
//! the per-type value checks of `func/internal/dns_record_validator.php`, plus the FQDN and
//! in-zone nameserver checks of `func/domain.sh`.

use std::net::{Ipv4Addr, Ipv6Addr};

use hearth_sdk::conf::Record;
use hearth_sdk::{CmdError, ReturnCode};

/// The record types Hestia accepts.
pub const TYPES: &[&str] = &[
    "A", "AAAA", "NS", "CNAME", "MX", "TXT", "SRV", "DNSKEY", "KEY", "IPSECKEY", "PTR", "SPF",
    "TLSA", "CAA", "DS",
];

/// Types whose value is a host name: it gets a trailing dot and its IDN form.
pub fn is_host_type(rtype: &str) -> bool {
    matches!(rtype, "NS" | "CNAME" | "MX" | "PTR" | "SRV")
}

fn invalid(message: String) -> CmdError {
    CmdError::new(ReturnCode::Invalid, message)
}

/// `is_no_new_line_format`: `Error: invalid value :: X`.
pub fn single_line(value: &str) -> Result<(), CmdError> {
    if value.contains('\n') {
        return Err(invalid(format!("invalid value :: {value}")));
    }
    Ok(())
}

/// `is_common_format_valid VALUE NAME`, used for record names.
pub fn common(value: &str, name: &str) -> Result<(), CmdError> {
    const EXCLUDED: &str = "!|#$^&()+={}:<>?/\\\"';%` ";
    let error = || invalid(format!("invalid {name} format :: {value}"));
    let bytes = value.as_bytes();
    let first = bytes.first().copied().unwrap_or(b'a');
    let last = bytes.last().copied().unwrap_or(b'a');
    let first_ok = first.is_ascii_alphanumeric() || matches!(first, b'_' | b'*' | b'@');
    let last_ok = last.is_ascii_alphanumeric() || matches!(last, b'_' | b'*' | b'@' | b'.');
    let bad = value.chars().any(|c| EXCLUDED.contains(c))
        || value.chars().count() >= 400
        || (value.contains('@') && value.chars().count() > 1)
        || (value.contains('*') && !value.contains("*.") && value != "*")
        || !last_ok
        || value.contains("..")
        || !first_ok
        || value.contains("--")
        || value.contains("__");
    if bad {
        return Err(error());
    }
    single_line(value)
}

/// `is_id_format_valid`: a positive integer without leading zeros.
pub fn id(value: &str) -> Result<(), CmdError> {
    let mut chars = value.chars();
    let ok =
        chars.next().is_some_and(|c| ('1'..='9').contains(&c)) && chars.all(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("invalid id format :: {value}")))
    }
}

/// `is_int_format_valid VALUE NAME`: digits only.
pub fn int(value: &str, name: &str) -> Result<(), CmdError> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(format!("invalid {name} format :: {value}")))
    }
}

/// `is_dns_type_format_valid`.
pub fn record_type(value: &str) -> Result<(), CmdError> {
    if TYPES.contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid dns record type format :: {value}"
        )))
    }
}

/// What the value validator may rewrite: SRV values are normalised to
/// `WEIGHT PORT TARGET` and their priority taken from the value.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub value: Option<String>,
    pub priority: Option<String>,
}

/// `is_dns_record_format_valid`: `Error: <reason> :: VALUE` (2).
pub fn record_value(value: &str, rtype: &str, priority: &str) -> Result<Cleaned, CmdError> {
    single_line(value)?;
    let mut cleaned = Cleaned::default();
    check_value(value, rtype, priority, &mut cleaned)
        .map_err(|reason| invalid(format!("{reason} :: {value}")))?;
    Ok(cleaned)
}

/// The per-type rules of `dns_record_validator.php`: the error message on failure.
fn check_value(
    value: &str,
    rtype: &str,
    priority: &str,
    cleaned: &mut Cleaned,
) -> Result<(), String> {
    match rtype {
        _ if !TYPES.contains(&rtype) => Err(format!("unknown record type for validation: {rtype}")),
        "A" => value
            .parse::<Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| "invalid A record format".to_string()),
        "AAAA" => value
            .parse::<Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| "invalid AAAA record format".to_string()),
        "NS" | "PTR" => {
            if host_name(value) {
                Ok(())
            } else {
                Err(format!("invalid {rtype} record format"))
            }
        }
        "CNAME" => {
            let trimmed = value.trim_end_matches('.');
            if truthy(trimmed) && domain_name(trimmed, false) {
                Ok(())
            } else {
                Err("invalid dns record format".to_string())
            }
        }
        "MX" => {
            if !host_name(value) {
                Err("invalid MX record format".to_string())
            } else if priority.is_empty() {
                Err("MX record priority is required".to_string())
            } else if filter_int(priority, 0, 65535).is_none() {
                Err("invalid MX record priority format (must be between 0 and 65535)".to_string())
            } else {
                Ok(())
            }
        }
        "SRV" => check_srv(value, priority, cleaned),
        "TXT" | "SPF" => {
            if value.is_empty() {
                Err(format!("{rtype} record cannot be empty"))
            } else if value.len() > 65535 {
                Err(format!("{rtype} record exceeds maximum length"))
            } else if value.bytes().any(|b| !(0x20..=0x7e).contains(&b)) {
                Err(format!("{rtype} record contains non-ASCII characters"))
            } else {
                Ok(())
            }
        }
        "DNSKEY" | "KEY" => check_key(value, rtype),
        "IPSECKEY" => check_ipseckey(value),
        "TLSA" => check_tlsa(value),
        "CAA" => check_caa(value),
        "DS" => check_ds(value),
        _ => Err(format!(
            "validation not implemented for record type: {rtype}"
        )),
    }
}

fn check_srv(value: &str, priority: &str, cleaned: &mut Cleaned) -> Result<(), String> {
    let parts = split_ws(value);
    let (priority, weight, port, target) = match parts.as_slice() {
        [p, w, port, t] => (*p, *w, *port, *t),
        [a, port, c] => {
            if srv_target(a) {
                (priority, *c, *port, *a)
            } else if srv_target(c) {
                (priority, *a, *port, *c)
            } else {
                return Err(
                    "invalid SRV record format (expected target with port and weight)".to_string(),
                );
            }
        }
        _ => {
            return Err("invalid SRV record format (must contain priority weight port target or target port weight)".to_string());
        }
    };
    let Some(priority) = filter_int(priority, 0, 65535) else {
        return Err("invalid SRV record priority format (must be between 0 and 65535)".to_string());
    };
    let Some(weight) = filter_int(weight, 0, 65535) else {
        return Err("invalid SRV record weight format (must be between 0 and 65535)".to_string());
    };
    let Some(port) = filter_int(port, 0, 65535) else {
        return Err("invalid SRV record port format (must be between 0 and 65535)".to_string());
    };
    if !srv_target(target) {
        return Err("invalid SRV record target format".to_string());
    }
    cleaned.priority = Some(priority.to_string());
    cleaned.value = Some(format!("{weight} {port} {target}"));
    Ok(())
}

fn check_key(value: &str, rtype: &str) -> Result<(), String> {
    let parts = split_ws(value);
    if parts.len() < 3 {
        return Err(format!(
            "invalid {rtype} record format (expected flags protocol algorithm [public-key])"
        ));
    }
    let (flags, protocol, algorithm) = (parts[0], parts[1], parts[2]);
    let public_key = parts[3..].join(" ");
    let numbers_ok = filter_int(flags, 0, 65535).is_some()
        && filter_int(protocol, 0, 255).is_some()
        && filter_int(algorithm, 0, 255).is_some()
        && (rtype != "DNSKEY" || protocol == "3");
    if !numbers_ok {
        return Err(format!("invalid {rtype} numeric fields"));
    }
    if rtype == "KEY" && algorithm == "0" {
        if !public_key.is_empty() {
            return Err("invalid KEY public key for algorithm 0 (must be empty)".to_string());
        }
        return Ok(());
    }
    if public_key.is_empty() || !base64(&public_key) {
        return Err(format!("invalid {rtype} public key (must be base64)"));
    }
    Ok(())
}

fn check_ipseckey(value: &str) -> Result<(), String> {
    let parts = split_ws(value);
    if parts.len() < 4 {
        return Err("invalid IPSECKEY record format (expected precedence gateway-type algorithm gateway [public-key])".to_string());
    }
    let (precedence, gateway_type, algorithm, gateway) = (parts[0], parts[1], parts[2], parts[3]);
    let public_key = parts[4..].join(" ");
    if filter_int(precedence, 0, 255).is_none()
        || filter_int(gateway_type, 0, 3).is_none()
        || filter_int(algorithm, 0, 255).is_none()
    {
        return Err("invalid IPSECKEY numeric fields".to_string());
    }
    match gateway_type {
        "0" => {
            if gateway != "." && !gateway.is_empty() {
                return Err("invalid IPSECKEY gateway for type 0".to_string());
            }
        }
        "1" => {
            if gateway.parse::<Ipv4Addr>().is_err() {
                return Err("invalid IPSECKEY IPv4 gateway".to_string());
            }
        }
        "2" => {
            if gateway.parse::<Ipv6Addr>().is_err() {
                return Err("invalid IPSECKEY IPv6 gateway".to_string());
            }
        }
        _ => {
            if !host_name(gateway) {
                return Err("invalid IPSECKEY domain gateway".to_string());
            }
        }
    }
    if algorithm == "0" {
        if !public_key.is_empty() {
            return Err("invalid IPSECKEY public key for algorithm 0 (must be empty)".to_string());
        }
    } else if public_key.is_empty() || !base64(&public_key) {
        return Err("invalid IPSECKEY public key (must be base64)".to_string());
    }
    Ok(())
}

fn check_tlsa(value: &str) -> Result<(), String> {
    let parts = split_ws(value);
    if parts.len() < 4 {
        return Err(
            "invalid TLSA record format (expected usage selector matching-type data)".to_string(),
        );
    }
    let data = parts[3..].join(" ");
    let usage = filter_int(parts[0], 0, 3);
    let selector = filter_int(parts[1], 0, 1);
    let matching = filter_int(parts[2], 0, 2);
    let (Some(_), Some(_), Some(matching)) = (usage, selector, matching) else {
        return Err("invalid TLSA numeric fields".to_string());
    };
    if data.is_empty() || !hex(&data) || !data.len().is_multiple_of(2) {
        return Err("invalid TLSA data".to_string());
    }
    if matching == 1 && data.len() != 64 {
        return Err("invalid TLSA data length for matching type 1".to_string());
    }
    if matching == 2 && data.len() != 128 {
        return Err("invalid TLSA data length for matching type 2".to_string());
    }
    Ok(())
}

fn check_caa(value: &str) -> Result<(), String> {
    let trimmed = php_trim(value);
    let mut parts = Vec::new();
    let mut rest = trimmed;
    while parts.len() < 2 {
        match rest.find(is_pcre_space) {
            Some(index) => {
                parts.push(&rest[..index]);
                rest = rest[index..].trim_start_matches(is_pcre_space);
            }
            None => break,
        }
    }
    parts.push(rest);
    if parts.len() < 3 {
        return Err("invalid CAA record format (expected flag tag value)".to_string());
    }
    let (flag, tag, caa_value) = (parts[0], parts[1], parts[2]);
    let tag_ok = (1..=63).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if filter_int(flag, 0, 255).is_none() || !tag_ok {
        return Err("invalid CAA flag or tag".to_string());
    }
    if caa_value.is_empty() {
        return Err("invalid CAA value".to_string());
    }
    Ok(())
}

fn check_ds(value: &str) -> Result<(), String> {
    let parts = split_ws(value);
    if parts.len() < 4 {
        return Err(
            "invalid DS record format (expected keytag algorithm digest-type digest)".to_string(),
        );
    }
    let digest = parts[3..].join(" ");
    let digest_type = filter_int(parts[2], 0, 255);
    if filter_int(parts[0], 0, 65535).is_none()
        || filter_int(parts[1], 0, 255).is_none()
        || digest_type.is_none()
    {
        return Err("invalid DS numeric fields".to_string());
    }
    if digest.is_empty() || !hex(&digest) || !digest.len().is_multiple_of(2) {
        return Err("invalid DS digest".to_string());
    }
    let expected = match digest_type {
        Some(1) => Some(40),
        Some(2) | Some(3) => Some(64),
        Some(4) => Some(96),
        _ => None,
    };
    if expected.is_some_and(|length| digest.len() != length) {
        return Err(format!("invalid DS digest length for type {}", parts[2]));
    }
    Ok(())
}

/// PCRE's `\s`: space, tab, newline, vertical tab, form feed, carriage return.
fn is_pcre_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// PHP's `trim`: spaces, tabs, newlines, carriage returns, NUL and vertical tabs.
fn php_trim(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{0b}'))
}

/// `preg_split("/\s+/", trim($value))`.
fn split_ws(value: &str) -> Vec<&str> {
    let trimmed = php_trim(value);
    if trimmed.is_empty() {
        return vec![""];
    }
    trimmed
        .split(is_pcre_space)
        .filter(|part| !part.is_empty())
        .collect()
}

/// PHP's `FILTER_VALIDATE_INT` with a range: optional sign, no leading zeros, surrounding
/// blanks ignored.
fn filter_int(value: &str, min: i64, max: i64) -> Option<i64> {
    let trimmed = value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\0'));
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    let number: i64 = trimmed.parse().ok()?;
    (min..=max).contains(&number).then_some(number)
}

/// Whether PHP would treat the string as true (`""` and `"0"` are false).
fn truthy(value: &str) -> bool {
    !value.is_empty() && value != "0"
}

/// `filter_var(rtrim($v, "."), FILTER_VALIDATE_DOMAIN, FILTER_FLAG_HOSTNAME)` as a boolean.
fn host_name(value: &str) -> bool {
    let trimmed = value.trim_end_matches('.');
    truthy(trimmed) && domain_name(trimmed, true)
}

/// An SRV target: `.` or a host name.
fn srv_target(value: &str) -> bool {
    value == "." || host_name(value)
}

/// PHP's `_php_filter_validate_domain`.
fn domain_name(value: &str, hostname: bool) -> bool {
    let mut bytes = value.as_bytes();
    if bytes.last() == Some(&b'.') {
        bytes = &bytes[..bytes.len() - 1];
    }
    if bytes.is_empty() || bytes.len() > 253 {
        return false;
    }
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    if bytes[0] == b'.' || (hostname && !alnum(bytes[0])) {
        return false;
    }
    let mut label = 1usize;
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        if b == b'.' {
            let previous = bytes[i - 1];
            if next == Some(b'.') || (hostname && (!alnum(previous) || !next.is_some_and(alnum))) {
                return false;
            }
            label = 1;
        } else {
            let hyphen_inside = b == b'-' && next.is_some();
            if label > 63 || (hostname && !hyphen_inside && !alnum(b)) {
                return false;
            }
            label += 1;
        }
    }
    true
}

fn hex(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// PHP's `base64_decode($value, true) !== false` after the alphabet check.
fn base64(value: &str) -> bool {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return false;
    }
    let body = value.trim_end_matches('=');
    let padding = value.len() - body.len();
    if body.contains('=') || padding > 2 {
        return false;
    }
    if body.len() % 4 == 1 {
        return false;
    }
    padding == 0 || (body.len() + padding).is_multiple_of(4)
}

/// `is_dns_fqnd TYPE VALUE`: host-name values need enough dots to be fully qualified.
pub fn fqdn(rtype: &str, value: &str) -> Result<(), CmdError> {
    if rtype == "SRV" {
        let fields: Vec<&str> = value.split_whitespace().collect();
        if fields.first() == Some(&".") || fields.last() == Some(&".") {
            return Ok(());
        }
    }
    if !is_host_type(rtype) {
        return Ok(());
    }
    let needed = if matches!(rtype, "CNAME" | "MX" | "PTR") {
        2
    } else {
        3
    };
    if value.matches('.').count() < needed {
        let shown = value.split_whitespace().collect::<Vec<_>>().join(" ");
        let shown = shown.strip_suffix('.').unwrap_or(&shown);
        return Err(invalid(format!(
            "{rtype} record {shown} should be a fully qualified domain name (FQDN)"
        )));
    }
    Ok(())
}

/// `is_dns_nameserver_valid`: an NS inside the zone needs its A record there.
pub fn nameserver(
    domain: &str,
    rtype: &str,
    value: &str,
    records: &[Record],
) -> Result<(), CmdError> {
    if rtype != "NS" {
        return Ok(());
    }
    let suffix = format!(".{domain}.");
    let Some(host) = value.strip_suffix(&suffix) else {
        return Ok(());
    };
    let present = records
        .iter()
        .any(|record| record.value("RECORD") == host && record.value("TYPE") == "A");
    if present {
        Ok(())
    } else {
        Err(CmdError::new(
            ReturnCode::NotExist,
            format!("IN A {host}.{domain} does not exist"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(value: &str, rtype: &str, priority: &str) -> String {
        record_value(value, rtype, priority).unwrap_err().output
    }

    #[test]
    fn record_names_follow_common_format() {
        for good in [
            "@",
            "*",
            "*.cdn",
            "www",
            "_dmarc",
            "mail._domainkey",
            "a-b.c",
        ] {
            assert!(common(good, "record").is_ok(), "{good}");
        }
        for bad in [
            "a b", "@x", "a..b", "-a", "a--b", "a__b", "x*", "a'b", "a\\b", "a/b",
        ] {
            assert_eq!(
                common(bad, "record").unwrap_err().output,
                format!("Error: invalid record format :: {bad}"),
            );
        }
        assert_eq!(
            common("a\nb", "record").unwrap_err().output,
            "Error: invalid value :: a\nb"
        );
    }

    #[test]
    fn ids_are_positive() {
        assert!(id("1").is_ok());
        assert!(id("20").is_ok());
        assert_eq!(id("0").unwrap_err().output, "Error: invalid id format :: 0");
        assert!(id("01").is_err());
        assert!(id("-1").is_err());
    }

    #[test]
    fn types() {
        assert!(record_type("CAA").is_ok());
        assert_eq!(
            record_type("SOA").unwrap_err().output,
            "Error: invalid dns record type format :: SOA"
        );
    }

    #[test]
    fn addresses() {
        assert!(record_value("192.0.2.1", "A", "").is_ok());
        assert_eq!(
            reason("192.0.2", "A", ""),
            "Error: invalid A record format :: 192.0.2"
        );
        assert!(record_value("2001:db8::1", "AAAA", "").is_ok());
        assert!(record_value("192.0.2.1", "AAAA", "").is_err());
    }

    #[test]
    fn host_names() {
        assert!(record_value("ns1.example.com.", "NS", "").is_ok());
        assert_eq!(
            reason("ns_1.example.com.", "NS", ""),
            "Error: invalid NS record format :: ns_1.example.com."
        );
        assert!(record_value("_x.example.com.", "CNAME", "").is_ok());
        assert_eq!(
            reason("a..b.", "CNAME", ""),
            "Error: invalid dns record format :: a..b."
        );
        assert!(record_value("mail.example.com.", "MX", "10").is_ok());
        assert_eq!(
            reason("mail.example.com.", "MX", "70000"),
            "Error: invalid MX record priority format (must be between 0 and 65535) :: mail.example.com."
        );
        assert_eq!(
            reason("mail.example.com.", "MX", ""),
            "Error: MX record priority is required :: mail.example.com."
        );
        assert!(domain_name("a-b.example.com", true));
        assert!(!domain_name("a-.example.com", true));
        assert!(!domain_name("-a.example.com", true));
        assert!(!domain_name(&"a".repeat(64), true));
    }

    #[test]
    fn srv_values_are_normalised() {
        let cleaned = record_value("10 5 5060 sip.example.com.", "SRV", "").unwrap();
        assert_eq!(cleaned.priority.as_deref(), Some("10"));
        assert_eq!(cleaned.value.as_deref(), Some("5 5060 sip.example.com."));
        let cleaned = record_value("0 5060 sip.example.com.", "SRV", "20").unwrap();
        assert_eq!(cleaned.priority.as_deref(), Some("20"));
        assert_eq!(cleaned.value.as_deref(), Some("0 5060 sip.example.com."));
        let cleaned = record_value("sip.example.com. 5060 7", "SRV", "1").unwrap();
        assert_eq!(cleaned.value.as_deref(), Some("7 5060 sip.example.com."));
        assert_eq!(
            reason("1 2", "SRV", "1"),
            "Error: invalid SRV record format (must contain priority weight port target or target port weight) :: 1 2"
        );
        assert_eq!(
            reason("1 70000 0 sip.example.com.", "SRV", "1"),
            "Error: invalid SRV record weight format (must be between 0 and 65535) :: 1 70000 0 sip.example.com."
        );
    }

    #[test]
    fn text_records() {
        assert!(record_value("\"v=spf1 a mx -all\"", "TXT", "").is_ok());
        assert!(record_value("a\\b", "TXT", "").is_ok());
        assert_eq!(
            reason("a\tb", "TXT", ""),
            "Error: TXT record contains non-ASCII characters :: a\tb"
        );
        assert_eq!(
            reason("tést", "SPF", ""),
            "Error: SPF record contains non-ASCII characters :: tést"
        );
    }

    #[test]
    fn caa_tlsa_ds_keys() {
        assert!(record_value("0 issue \"letsencrypt.org\"", "CAA", "").is_ok());
        assert!(record_value("128 iodef \"mailto:a@b.c\"", "CAA", "").is_ok());
        assert_eq!(
            reason("0 is_sue x", "CAA", ""),
            "Error: invalid CAA flag or tag :: 0 is_sue x"
        );
        assert_eq!(
            reason("0 issue", "CAA", ""),
            "Error: invalid CAA record format (expected flag tag value) :: 0 issue"
        );
        let sha256 = "ab".repeat(32);
        assert!(record_value(&format!("3 1 1 {sha256}"), "TLSA", "").is_ok());
        assert_eq!(
            reason("3 1 1 abcd", "TLSA", ""),
            "Error: invalid TLSA data length for matching type 1 :: 3 1 1 abcd"
        );
        assert!(record_value(&format!("12345 13 2 {sha256}"), "DS", "").is_ok());
        assert_eq!(
            reason("12345 13 2 abcd", "DS", ""),
            "Error: invalid DS digest length for type 2 :: 12345 13 2 abcd"
        );
        assert!(record_value("257 3 13 AwEAAb+/", "DNSKEY", "").is_ok());
        assert_eq!(
            reason("257 4 13 AwEAAb+/", "DNSKEY", ""),
            "Error: invalid DNSKEY numeric fields :: 257 4 13 AwEAAb+/"
        );
        assert!(record_value("0 3 0", "KEY", "").is_ok());
        assert!(record_value("10 1 2 192.0.2.38 AQNRU3mG", "IPSECKEY", "").is_ok());
        assert!(record_value("10 0 2 . AQNRU3mG", "IPSECKEY", "").is_ok());
        assert!(base64("AQNRU3mG"));
        assert!(base64("AQ=="));
        assert!(!base64("A==="));
        assert!(!base64("A"));
    }

    #[test]
    fn php_integers() {
        assert_eq!(filter_int("0", 0, 10), Some(0));
        assert_eq!(filter_int("+5", 0, 10), Some(5));
        assert_eq!(filter_int("05", 0, 10), None);
        assert_eq!(filter_int("11", 0, 10), None);
        assert_eq!(filter_int(" 7 ", 0, 10), Some(7));
    }

    #[test]
    fn fqdn_and_nameservers() {
        assert!(fqdn("CNAME", "example.com.").is_ok());
        assert_eq!(
            fqdn("CNAME", "www.").unwrap_err().output,
            "Error: CNAME record www should be a fully qualified domain name (FQDN)"
        );
        assert!(fqdn("NS", "ns1.example.com.").is_ok());
        assert!(fqdn("NS", "example.com.").is_err());
        assert!(fqdn("SRV", "0 0 .").is_ok());
        assert!(fqdn("A", "1").is_ok());
        let records = vec![Record::from_pairs([("RECORD", "ns1"), ("TYPE", "A")])];
        assert!(nameserver("example.com", "NS", "ns1.example.com.", &records).is_ok());
        assert_eq!(
            nameserver("example.com", "NS", "ns2.example.com.", &records)
                .unwrap_err()
                .output,
            "Error: IN A ns2.example.com does not exist"
        );
        assert!(nameserver("example.com", "NS", "ns.other.net.", &records).is_ok());
    }
}
