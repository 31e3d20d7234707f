//! `v-add-dns-record`, `v-change-dns-record` and `v-delete-dns-record`: the lines of
//! `dns/<DOMAIN>.conf`, the `RECORDS` count, the SOA serial and the zone file.

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::common;
use crate::validate as dns;
use crate::zone;

/// The types whose values are never wrapped in double quotes.
const UNQUOTED_TYPES: &[&str] = &["SRV", "DNSKEY", "DS", "TLSA", "KEY", "IPSECKEY"];

/// Bash's `[[:space:]]`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// `idn2 -d` of a record name, lower-cased (how `v-add-dns-record` stores names).
fn record_unicode(name: &str) -> String {
    let name = if name.to_ascii_lowercase().contains("xn--") {
        hosting::domain_unicode(name)
    } else {
        name.to_string()
    };
    name.to_lowercase()
}

/// `idn2` of a name or of each word of a value: the ASCII form of non-ASCII names.
fn ascii_words(value: &str) -> String {
    if value.is_ascii() {
        return value.to_string();
    }
    value
        .split(' ')
        .map(|word| {
            if word.is_ascii() {
                return word.to_string();
            }
            let (body, dot) = match word.strip_suffix('.') {
                Some(body) => (body, "."),
                None => (word, ""),
            };
            match hosting::domain_idn(body) {
                Ok(ascii) => format!("{ascii}{dot}"),
                Err(_) => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Hestia's value clean-up before validation: host names get a trailing dot and their IDN
/// form, double quotes are dropped (CAA excepted) and values with blanks or `;` are
/// enclosed in double quotes (except for the structured types).
fn clean_value(rtype: &str, value: &str) -> String {
    let mut value = value.to_string();
    if dns::is_host_type(rtype) {
        if !value.ends_with('.') {
            value.push('.');
        }
        value = ascii_words(&value);
    }
    if rtype != "CAA" {
        value = value.replace('"', "");
        if !UNQUOTED_TYPES.contains(&rtype) && value.contains(|c| c == ';' || is_space(c)) {
            value = format!("\"{value}\"");
        }
    }
    value
}

/// `Error: CNAME on root is not allowed` (2).
fn cname_on_root(record: &str, rtype: &str) -> Result<(), CmdError> {
    if record == "@" && rtype == "CNAME" {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            "CNAME on root is not allowed",
        ));
    }
    Ok(())
}

/// `is_format_valid 'record' 'rtype' 'dvalue'`: each checked when not empty. The value
/// validator may rewrite an SRV value and its priority.
fn check_record(
    record: &str,
    rtype: &str,
    value: &mut String,
    priority: &mut String,
) -> Result<(), CmdError> {
    if !record.is_empty() {
        dns::common(record, "record")?;
    }
    if !rtype.is_empty() {
        dns::record_type(rtype)?;
    }
    if !value.is_empty() {
        let cleaned = dns::record_value(value, rtype, priority)?;
        if let Some(new_value) = cleaned.value {
            *value = new_value;
        }
        if let Some(new_priority) = cleaned.priority {
            *priority = new_priority;
        }
    }
    Ok(())
}

/// The domain's `dns.conf` lines and records once the user and the domain have been
/// checked.
struct Zone {
    domains: Vec<Record>,
    index: usize,
    records: Vec<Record>,
    /// Lines of the records file as `wc -l` counts them (Hestia's record count for limits).
    lines: usize,
}

/// The user's domains and the records of `domain`, read once.
fn load_zone(call: &Call, domain: &str) -> Result<Zone, CmdError> {
    let domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    let text = match hearth_sdk::fs::read_to_string(common::records_path(call, domain)) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error.into()),
    };
    Ok(Zone {
        domains,
        index,
        records: hearth_sdk::conf::parse_list(&text)?,
        lines: common::line_count(&text),
    })
}

/// Writes the changed records: sorted by ID, a new serial, the zone file, `RECORDS`.
fn commit(call: &Call, user: &str, domain: &str, zone: &mut Zone) -> Result<(), CmdError> {
    common::sort_records(&mut zone.records);
    common::save_records(call, domain, &zone.records)?;
    let line = &mut zone.domains[zone.index];
    zone::bump_serial(line);
    line.set("RECORDS", zone.records.len().to_string());
    zone::write(call, user, line, &zone.records)?;
    common::save_domains(call, &zone.domains)
}

/// A record line in Hestia's key order.
fn record_line(
    id: &str,
    record: &str,
    rtype: &str,
    priority: &str,
    value: &str,
    ttl: &str,
) -> Record {
    let (date, time) = common::now();
    let mut line = Record::from_pairs([
        ("ID", id),
        ("RECORD", record),
        ("TYPE", rtype),
        ("PRIORITY", priority),
        ("VALUE", &value.replace('\'', "%quote%")),
        ("SUSPENDED", "no"),
        ("TIME", &time),
        ("DATE", &date),
    ]);
    if !ttl.is_empty() {
        line.set("TTL", ttl);
    }
    line
}

/// `get_next_dnsrecord`: one more than the highest ID.
fn next_id(records: &[Record]) -> String {
    let highest = records
        .iter()
        .filter_map(|record| record.value("ID").parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    (highest + 1).to_string()
}

/// `v-add-dns-record USER DOMAIN RECORD TYPE VALUE [PRIORITY] [ID] [RESTART] [TTL]`, plus
/// Hestia's undocumented 10th argument QUIET (`yes`: no history entry), used by the mail
/// commands for DKIM records.
pub fn add_dns_record(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let mut record = record_unicode(call.arg(3));
    let rtype = call.arg(4).to_uppercase();
    let mut priority = call.arg_or(6, "10").to_string();
    let mut id = call.arg(7).to_string();
    let restart = call.arg(8);
    let ttl = call.arg(9);
    if rtype != "MX" && rtype != "SRV" {
        priority.clear();
    }
    let mut value = clean_value(&rtype, call.arg(5));
    if dns::is_host_type(&rtype) {
        record = ascii_words(&record);
    }
    cname_on_root(&record, &rtype)?;
    let domain = hosting::format_domain(call.arg(2));

    validate::user(user)?;
    hosting::domain_format(&domain)?;
    check_record(&record, &rtype, &mut value, &mut priority)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    let user_record = hosting::active_user(call, user)?;
    let mut zone = load_zone(call, &domain)?;
    common::domain_unsuspended(&zone.domains[zone.index], &domain)?;
    hosting::package_allows(&user_record, "DNS_RECORDS", Some(zone.lines as u64))?;
    if id.is_empty() {
        id = next_id(&zone.records);
    }
    dns::id(&id)?;
    if zone.records.iter().any(|r| r.value("ID") == id) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("ID={id} already exists"),
        ));
    }
    dns::fqdn(&rtype, &value)?;
    dns::nameserver(&domain, &rtype, &value, &zone.records)?;
    if !ttl.is_empty() {
        dns::int(ttl, "ttl")?;
    }
    validate::restart(restart)?;
    hosting::check_demo_mode(&settings)?;

    zone.records
        .push(record_line(&id, &record, &rtype, &priority, &value, ttl));
    commit(call, user, &domain, &mut zone)?;
    common::bump(call, "U_DNS_RECORDS", 1)?;
    hosting::restart(restart, &["dns"])?;
    hearth_sdk::cluster::changed(&domain);
    if call.arg(10) != "yes" {
        common::history(
            call,
            &format!("Added DNS record (Type: {rtype}, Value: {record}, Domain: {domain})."),
        )?;
    }
    Ok(String::new())
}

/// Bash's `[[ A -eq B ]]`: both sides as integers (empty is 0); anything else never equal.
fn numeric_eq(a: &str, b: &str) -> bool {
    let number = |s: &str| -> Option<i64> {
        let s = s.trim();
        if s.is_empty() {
            Some(0)
        } else {
            s.parse().ok()
        }
    };
    matches!((number(a), number(b)), (Some(x), Some(y)) if x == y)
}

/// `v-change-dns-record USER DOMAIN ID RECORD TYPE VALUE [PRIORITY] [RESTART] [TTL]`.
pub fn change_dns_record(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let id = call.arg(3);
    let mut record = call.arg(4).to_string();
    let restart = call.arg(8);
    let ttl = call.arg(9);

    validate::user(user)?;
    hosting::domain_format(&domain)?;
    if !id.is_empty() {
        dns::id(id)?;
    }
    if !record.is_empty() {
        dns::common(&record, "record")?;
    }
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    hosting::active_user(call, user)?;
    let mut zone = load_zone(call, &domain)?;
    common::domain_unsuspended(&zone.domains[zone.index], &domain)?;
    let position = common::find_record(&zone.records, &domain, id)?;
    if !ttl.is_empty() {
        dns::int(ttl, "ttl")?;
    }
    hosting::check_demo_mode(&settings)?;
    cname_on_root(&record, call.arg(5))?;

    let current = zone.records[position].clone();
    let rtype = match call.arg(5) {
        "" => current.value("TYPE").to_string(),
        given => given.to_string(),
    };
    let mut priority = match call.arg(7) {
        "" => current.value("PRIORITY").to_string(),
        given => given.to_string(),
    };
    if rtype != "MX" && rtype != "SRV" {
        priority.clear();
    }
    let mut value = clean_value(&rtype, call.arg(6));
    if dns::is_host_type(&rtype) {
        record = ascii_words(&record);
    }
    check_record(&record, &rtype, &mut value, &mut priority)?;
    dns::fqdn(&rtype, &value)?;
    dns::nameserver(&domain, &rtype, &value, &zone.records)?;

    let unchanged = current.value("RECORD") == record
        && current.value("TYPE") == rtype
        && numeric_eq(current.value("PRIORITY"), &priority)
        && current.value("VALUE").replace('\'', "%quote%") == value.replace('\'', "%quote%")
        && current.value("SUSPENDED") == "no"
        && numeric_eq(current.value("TTL"), ttl);
    if unchanged {
        return Err(CmdError::raw(
            ReturnCode::Exists,
            "No pending changes in DNS entry.",
        ));
    }

    zone.records[position] = record_line(id, &record, &rtype, &priority, &value, ttl);
    commit(call, user, &domain, &mut zone)?;
    hosting::restart(restart, &["dns"])?;
    hearth_sdk::cluster::changed(&domain);
    common::history(
        call,
        &format!(
            "DNS record value changed (Type: {rtype}, Record: {record}, Value: {value}, Domain: {domain})."
        ),
    )?;
    Ok(String::new())
}

/// `is_dns_record_critical`: the last A or NS record of a zone stays.
fn critical(records: &[Record], position: usize) -> Result<(), CmdError> {
    let rtype = records[position].value("TYPE");
    if rtype == "A" || rtype == "NS" {
        let same = records.iter().filter(|r| r.value("TYPE") == rtype).count();
        if same <= 1 {
            return Err(CmdError::new(
                ReturnCode::Invalid,
                format!("at least one {rtype} record should remain active"),
            ));
        }
    }
    Ok(())
}

/// `v-delete-dns-record USER DOMAIN ID [RESTART]`, plus Hestia's undocumented 5th argument
/// QUIET.
pub fn delete_dns_record(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let id = call.arg(3);
    let restart = call.arg(4);

    validate::user(user)?;
    hosting::domain_format(&domain)?;
    if !id.is_empty() {
        dns::id(id)?;
    }
    validate::restart(restart)?;
    hosting::user_record(call, user)?;
    let mut zone = load_zone(call, &domain)?;
    let position = common::find_record(&zone.records, &domain, id)?;
    critical(&zone.records, position)?;
    let settings = hosting::settings(call)?;
    hosting::check_demo_mode(&settings)?;

    zone.records.remove(position);
    commit(call, user, &domain, &mut zone)?;
    common::bump(call, "U_DNS_RECORDS", -1)?;
    hosting::restart(restart, &["dns"])?;
    hearth_sdk::cluster::changed(&domain);
    if call.arg(5) != "yes" {
        common::history(
            call,
            &format!("Deleted DNS record (ID: {id}, Domain: {domain})."),
        )?;
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cleaned_like_hestia() {
        assert_eq!(clean_value("CNAME", "example.com"), "example.com.");
        assert_eq!(
            clean_value("MX", "mail.bücher.example"),
            "mail.xn--bcher-kva.example."
        );
        assert_eq!(
            clean_value("TXT", "v=spf1 a mx -all"),
            "\"v=spf1 a mx -all\""
        );
        assert_eq!(clean_value("TXT", "\"quoted\""), "quoted");
        assert_eq!(clean_value("TXT", "a;b"), "\"a;b\"");
        assert_eq!(
            clean_value("CAA", "0 issue \"ca.example\""),
            "0 issue \"ca.example\""
        );
        assert_eq!(
            clean_value("SRV", "0 5060 sip.example.com"),
            "0 5060 sip.example.com."
        );
        assert_eq!(clean_value("TLSA", "3 1 1 ab"), "3 1 1 ab");
    }

    #[test]
    fn record_names() {
        assert_eq!(record_unicode("WWW"), "www");
        assert_eq!(record_unicode("xn--bcher-kva"), "bücher");
        assert_eq!(ascii_words("bücher"), "xn--bcher-kva");
    }

    #[test]
    fn bash_numeric_equality() {
        assert!(numeric_eq("", ""));
        assert!(numeric_eq("10", "10"));
        assert!(!numeric_eq("", "60"));
        assert!(!numeric_eq("0 1", "0 1"));
    }
}
