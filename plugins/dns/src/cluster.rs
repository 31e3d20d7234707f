//! The receiving side of Hestia's DNS cluster (the `sync-dns-cluster` permission set):
//! `v-insert-dns-domain`, `v-insert-dns-records`, `v-insert-dns-record`,
//! `v-delete-dns-domains-src`, `v-rebuild-dns-domain`, `v-rebuild-dns-domains` and
//! `v-add-cron-restart-job`, with the arguments a master's `func/remote.sh` sends (all eight
//! `argN` always present, many empty).
//!
//! Unlike Hestia, which `eval`s the `dns.conf` line it receives and `mv`s the records file
//! into place unchecked, every line goes through the strict `KEY='value'` parser and the
//! values that end up in a BIND zone are validated.

use hearth_sdk::conf::Record;
use hearth_sdk::names::Kind;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::common;
use crate::domain;
use crate::validate as dns;
use crate::zone;

/// The `dns.conf` keys a master sends, in the order `v-insert-dns-domain` writes them.
const DOMAIN_KEYS: &[&str] = &[
    "DOMAIN",
    "IP",
    "TPL",
    "TTL",
    "EXP",
    "SOA",
    "SERIAL",
    "SRC",
    "RECORDS",
    "DNSSEC",
    "KEY",
    "SLAVE",
    "MASTER",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// The command Hestia's `v-add-cron-restart-job` schedules for the root user.
pub const RESTART_JOB: &str = "sudo /usr/local/hestia/bin/v-update-sys-queue restart";

fn invalid_object(line: &str) -> CmdError {
    CmdError::new(
        ReturnCode::Invalid,
        format!("Invalid object format: {line}"),
    )
}

/// Control characters never belong in a data line (they would end it, or a zone line).
fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Whether `value` has the shape of `pattern`, where `9` stands for any ASCII digit and every
/// other byte for itself.
fn has_shape(value: &str, pattern: &str) -> bool {
    value.len() == pattern.len()
        && value.bytes().zip(pattern.bytes()).all(|(c, p)| {
            if p == b'9' {
                c.is_ascii_digit()
            } else {
                c == p
            }
        })
}

/// `YYYY-MM-DD`.
fn is_date(value: &str) -> bool {
    has_shape(value, "9999-99-99")
}

/// `HH:MM:SS`.
fn is_time(value: &str) -> bool {
    has_shape(value, "99:99:99")
}

fn yes_no(value: &str) -> bool {
    matches!(value, "" | "yes" | "no")
}

/// Parses and checks a `dns.conf` line sent as DATA: the strict parser, then every value
/// that reaches the zone file or the registry.
pub fn parse_domain_line(data: &str) -> Result<Record, CmdError> {
    if has_control(data) {
        return Err(invalid_object(data));
    }
    let record = Record::parse_line(data).map_err(|_| invalid_object(data))?;
    let domain = record.value("DOMAIN");
    if domain.is_empty() {
        return Err(CmdError::new(
            ReturnCode::Args,
            "Domain name missing from DATA",
        ));
    }
    validate::domain(domain)?;
    let bad = |key: &str| {
        CmdError::new(
            ReturnCode::Invalid,
            format!(
                "invalid {} format :: {}",
                key.to_lowercase(),
                record.value(key)
            ),
        )
    };
    let ip = record.value("IP");
    if !ip.is_empty() && validate::ip46(ip).is_err() {
        return Err(bad("IP"));
    }
    for key in ["TTL", "SERIAL", "RECORDS"] {
        let value = record.value(key);
        if !value.is_empty() && !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad(key));
        }
    }
    let soa = record.value("SOA");
    if !soa.is_empty() && validate::domain(soa.trim_end_matches('.')).is_err() {
        return Err(bad("SOA"));
    }
    let tpl = record.value("TPL");
    if !tpl.is_empty() && validate::object("template", tpl).is_err() {
        return Err(bad("TPL"));
    }
    let exp = record.value("EXP");
    if !exp.is_empty() && !is_date(exp) {
        return Err(bad("EXP"));
    }
    for key in ["DNSSEC", "SLAVE", "SUSPENDED"] {
        if !yes_no(record.value(key)) {
            return Err(bad(key));
        }
    }
    let master = record.value("MASTER");
    if !master.is_empty() && validate::ip46(master).is_err() {
        return Err(bad("MASTER"));
    }
    let key = record.value("KEY");
    if key.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == ';') {
        return Err(bad("KEY"));
    }
    Ok(record)
}

/// Parses and checks one record line of `dns/<DOMAIN>.conf`.
pub fn parse_record_line(line: &str) -> Result<Record, CmdError> {
    if has_control(line) {
        return Err(invalid_object(line));
    }
    let record = Record::parse_line(line).map_err(|_| invalid_object(line))?;
    dns::id(record.value("ID"))?;
    dns::common(record.value("RECORD"), "record")?;
    dns::record_type(record.value("TYPE"))?;
    let priority = record.value("PRIORITY");
    if !priority.is_empty() {
        dns::int(priority, "priority")?;
    }
    let value = record.value("VALUE");
    if value.is_empty() {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid value format :: {value}"),
        ));
    }
    let ttl = record.value("TTL");
    if !ttl.is_empty() {
        dns::int(ttl, "ttl")?;
    }
    if !yes_no(record.value("SUSPENDED")) {
        return Err(invalid_object(line));
    }
    let (time, date) = (record.value("TIME"), record.value("DATE"));
    if (!time.is_empty() && !is_time(time)) || (!date.is_empty() && !is_date(date)) {
        return Err(invalid_object(line));
    }
    Ok(record)
}

/// The checks every insert command starts with: formats, `DNS_SYSTEM`, the user exists and
/// is not suspended.
fn receiving_user(call: &Call, user: &str) -> Result<Record, CmdError> {
    validate::user(user)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    hosting::active_user(call, user)?;
    Ok(settings)
}

/// `v-insert-dns-domain USER DATA [SRC] [FLUSH] [RESTART]`.
pub fn insert_dns_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let data = call.arg(2);
    let src = call.arg(3);
    let flush = call.arg(4);
    let restart = call.arg(5);
    validate::user(user)?;
    validate::restart(restart)?;
    if has_control(src) || src.contains(['\'', ' ']) {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid src format :: {src}"),
        ));
    }
    let settings = receiving_user(call, user)?;
    let line = parse_domain_line(data)?;
    let name = line.value("DOMAIN").to_string();
    let mut domains = common::load_domains(call)?;
    let existing = domains.iter().position(|d| d.value("DOMAIN") == name);
    if flush == "no" && existing.is_some() {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("DNS domain {name} exists"),
        ));
    }
    if existing.is_none() {
        hosting::claim_name(&name, Kind::Dns)?;
    }
    hosting::check_demo_mode(&settings)?;

    if flush == "records" || line.value("SLAVE") == "yes" {
        common::save_records(call, &name, &[])?;
    }
    let (date, time) = common::now();
    let mut record = Record::new();
    for key in DOMAIN_KEYS {
        let value = match *key {
            "SRC" => src,
            "TIME" => &time,
            "DATE" => &date,
            _ => line.value(key),
        };
        record.set(*key, value);
    }
    match existing {
        Some(index) => {
            domains.remove(index);
            domains.push(record);
        }
        None => domains.push(record),
    }
    common::save_domains(call, &domains)?;
    hosting::restart(restart, &["dns"])?;
    Ok(String::new())
}

/// The domain's line after the usual checks of the record inserts: user, domain exists.
fn receiving_domain(
    call: &Call,
    user: &str,
    domain: &str,
) -> Result<(Record, Vec<Record>, usize), CmdError> {
    validate::user(user)?;
    hosting::domain_format(domain)?;
    let settings = receiving_user(call, user)?;
    let domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    Ok((settings, domains, index))
}

/// `v-insert-dns-records USER DOMAIN DATA_FILE [RESTART]`. The host hands the whole
/// `v-make-tmp-file` contents in place of the `/tmp/<name>` path (manifest `file-args`);
/// a path whose file does not exist changes nothing, as in Hestia (`[ -e "$data_file" ]`).
pub fn insert_dns_records(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    let data = call.arg(3);
    let restart = call.arg(4);
    validate::restart(restart)?;
    let (settings, _, _) = receiving_domain(call, user, domain)?;
    if data.starts_with("/tmp/") && !data.contains('\n') {
        return Ok(String::new());
    }
    let mut records = Vec::new();
    for line in data.lines().map(str::trim).filter(|l| !l.is_empty()) {
        records.push(parse_record_line(line)?);
    }
    hosting::check_demo_mode(&settings)?;
    common::sort_records(&mut records);
    common::save_records(call, domain, &records)?;
    hosting::restart(restart, &["dns"])?;
    Ok(String::new())
}

/// `v-insert-dns-record USER DOMAIN DATA [RESTART]`. Hestia appends blindly; hearth replaces
/// a record with the same ID, so a push delivered twice leaves one record.
pub fn insert_dns_record(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    let data = call.arg(3);
    let restart = call.arg(4);
    validate::restart(restart)?;
    let (settings, _, _) = receiving_domain(call, user, domain)?;
    let record = parse_record_line(data)?;
    hosting::check_demo_mode(&settings)?;
    let mut records = common::load_records(call, domain)?;
    records.retain(|r| r.value("ID") != record.value("ID"));
    records.push(record);
    common::sort_records(&mut records);
    common::save_records(call, domain, &records)?;
    hosting::restart(restart, &["dns"])?;
    Ok(String::new())
}

/// `v-delete-dns-domains-src USER SRC [RESTART]`: deletes the user's domains that came from
/// SRC (a master's host name). An empty SRC would name every local domain and is refused.
pub fn delete_dns_domains_src(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let src = call.arg(2);
    let restart = call.arg(3);
    validate::user(user)?;
    if src.is_empty() || has_control(src) || src.contains(['\'', ' ']) {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid src format :: {src}"),
        ));
    }
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    hosting::user_record(call, user)?;
    hosting::check_demo_mode(&settings)?;
    loop {
        let mut domains = common::load_domains(call)?;
        let Some(index) = domains.iter().position(|d| d.value("SRC") == src) else {
            break;
        };
        let name = domains[index].value("DOMAIN").to_string();
        domain::remove_domain(call, user, &name, &mut domains, index)?;
    }
    hosting::restart(restart, &["dns"])?;
    Ok(String::new())
}

/// Renders one domain's zone from its records: the serial raised unless `update_serial` is
/// `no`, `RECORDS` recounted. A `SLAVE='yes'` zone comes by transfer and is not rendered.
fn rebuild_one(
    call: &Call,
    user: &str,
    line: &mut Record,
    update_serial: bool,
) -> Result<usize, CmdError> {
    let name = line.value("DOMAIN").to_string();
    let records = common::load_records(call, &name)?;
    if update_serial {
        zone::bump_serial(line);
    }
    hosting::set_before(line, "RECORDS", &records.len().to_string(), "DNSSEC");
    if line.value("SLAVE") != "yes" {
        zone::write(call, user, line, &records)?;
    }
    Ok(records.len())
}

/// Recounts the user's DNS counters from `dns.conf` (Hestia's rebuild updates them).
fn recount(call: &Call, domains: &[Record], records: usize) -> Result<(), CmdError> {
    let user_conf = call.user_path("user.conf");
    let mut user = hearth_sdk::fs::read_source(&user_conf)?;
    let suspended = domains
        .iter()
        .filter(|d| d.value("SUSPENDED") == "yes")
        .count();
    for (key, value) in [
        ("U_DNS_DOMAINS", domains.len()),
        ("U_DNS_RECORDS", records),
        ("SUSPENDED_DNS", suspended),
    ] {
        if user.contains(key) {
            user.set(key, value.to_string());
        }
    }
    hearth_sdk::fs::write_source(&user_conf, &user)
}

/// `v-rebuild-dns-domain USER DOMAIN [RESTART] [UPDATE_SERIAL]`.
pub fn rebuild_dns_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2).to_string();
    let restart = call.arg(3);
    let update_serial = call.arg(4) != "no";
    validate::restart(restart)?;
    let (settings, mut domains, index) = receiving_domain(call, user, &domain)?;
    hosting::check_demo_mode(&settings)?;
    rebuild_one(call, user, &mut domains[index], update_serial)?;
    common::save_domains(call, &domains)?;
    let mut total = 0;
    for line in &domains {
        total += common::load_records(call, line.value("DOMAIN"))?.len();
    }
    recount(call, &domains, total)?;
    hosting::restart(restart, &["dns"])?;
    Ok(String::new())
}

/// `v-rebuild-dns-domains USER [RESTART] [UPDATE_SERIAL]` (UPDATE_SERIAL `${3-no}`: only an
/// absent argument means `no`). A suspended user is left alone and it is no error.
pub fn rebuild_dns_domains(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let restart = call.arg(2);
    let update_serial = call.arg_opt(3).unwrap_or("no") != "no";
    validate::user(user)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    let user_record = hosting::user_record(call, user)?;
    if user_record.value("SUSPENDED") == "yes" {
        return Ok(String::new());
    }
    hosting::check_demo_mode(&settings)?;
    let mut domains = common::load_domains(call)?;
    let mut total = 0;
    for line in &mut domains {
        total += rebuild_one(call, user, line, update_serial)?;
    }
    common::save_domains(call, &domains)?;
    recount(call, &domains, total)?;
    hosting::restart(restart, &["dns"])?;
    Ok(String::new())
}

/// `v-add-cron-restart-job`: with `CRON_SYSTEM` set, adds Hestia's every-minute
/// `v-update-sys-queue restart` job to the root user's cron jobs once (hearth queues reloads
/// in `data/queue/restart.pipe`; the job is what a Hestia master expects to exist).
pub fn add_cron_restart_job(call: &Call) -> CmdResult {
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "CRON_SYSTEM")?;
    let root = call.root_user();
    let jobs =
        hearth_sdk::fs::read_list(&call.system_path(&format!("data/users/{root}/cron.conf")))?;
    if jobs
        .iter()
        .any(|job| job.value("CMD").contains(RESTART_JOB))
    {
        return Ok(String::new());
    }
    let (code, output) = hearth_sdk::commands::run(
        "v-add-cron-job",
        &[root, "*", "*", "*", "*", "*", RESTART_JOB],
    );
    if code != 0 {
        return Err(CmdError::raw(
            ReturnCode::from_u8(code).unwrap_or(ReturnCode::Update),
            output,
        ));
    }
    Ok(String::new())
}

/// The `dns.conf` key order, for the native tests.
#[cfg(test)]
pub fn tests_domain_keys() -> &'static [&'static str] {
    DOMAIN_KEYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_lines_are_checked() {
        let line = "DOMAIN='example.com' IP='192.0.2.1' TPL='default' TTL='14400' EXP='2030-01-01' \
                    SOA='ns1.example.net' SERIAL='2024010101' SRC='' RECORDS='3' DNSSEC='no' KEY='' \
                    SLAVE='no' MASTER='' SUSPENDED='no' TIME='10:00:00' DATE='2024-01-01'";
        let record = parse_domain_line(line).unwrap();
        assert_eq!(record.value("SOA"), "ns1.example.net");
        assert_eq!(
            parse_domain_line("IP='192.0.2.1'").unwrap_err().output,
            "Error: Domain name missing from DATA"
        );
        assert_eq!(
            parse_domain_line("DOMAIN='x.com").unwrap_err().output,
            "Error: Invalid object format: DOMAIN='x.com"
        );
        assert!(parse_domain_line("DOMAIN='x.com' SOA='ns1.x.com. ; evil'").is_err());
        assert!(parse_domain_line("DOMAIN='x.com' TTL='1; rm'").is_err());
        assert!(parse_domain_line("DOMAIN='x.com'\nSOA='a.b'").is_err());
        assert!(parse_domain_line("DOMAIN='../x'").is_err());
    }

    #[test]
    fn record_lines_are_checked() {
        let ok = "ID='1' RECORD='@' TYPE='A' PRIORITY='' VALUE='192.0.2.1' SUSPENDED='no' TIME='10:00:00' DATE='2024-01-01'";
        assert_eq!(parse_record_line(ok).unwrap().value("VALUE"), "192.0.2.1");
        assert!(parse_record_line("ID='x' RECORD='@' TYPE='A' VALUE='1.2.3.4'").is_err());
        assert!(parse_record_line("ID='1' RECORD='@' TYPE='BOGUS' VALUE='1.2.3.4'").is_err());
        assert!(parse_record_line("ID='1' RECORD='a b' TYPE='A' VALUE='1.2.3.4'").is_err());
        assert!(parse_record_line("ID='1' RECORD='@' TYPE='A' VALUE=''").is_err());
    }
}
