//! `v-add-dns-domain`, `v-delete-dns-domain`, `v-suspend-dns-domain` and
//! `v-unsuspend-dns-domain`: the `dns.conf` lines, the records from the zone template, the
//! name registry and the zone file.

use hearth_sdk::conf::Record;
use hearth_sdk::names::Kind;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::common;
use crate::zone;

/// The zone TTL Hestia gives every new domain.
const ZONE_TTL: &str = "14400";

/// Hestia strips leading and trailing dots from name servers (`sed 's/\.*$//; s/^\.*//'`).
fn trim_dots(value: &str) -> &str {
    value.trim_matches('.')
}

/// `is_format_valid 'nsN'`: the domain rules with Hestia's per-argument message.
fn ns_format(value: &str, index: usize) -> Result<(), CmdError> {
    validate::domain(value).map_err(|_| {
        CmdError::new(
            ReturnCode::Invalid,
            format!("invalid ns{index} format :: {value}"),
        )
    })
}

/// The template's records for a new domain: unused `%nsN%` lines removed, placeholders
/// filled in (Hestia's `sed` pipeline).
fn fill_template(
    template: &str,
    ip: &str,
    domain: &str,
    domain_idn: &str,
    ns: &[String; 8],
    time: &str,
    date: &str,
) -> String {
    let mut out = String::new();
    for line in template.trim_end_matches('\n').split('\n') {
        let unused = (3..=8).any(|i| ns[i - 1].is_empty() && line.contains(&format!("%ns{i}%")));
        if unused {
            continue;
        }
        let mut line = line
            .replace("%ip%", ip)
            .replace("%domain_idn%", domain_idn)
            .replace("%domain%", domain);
        for (i, server) in ns.iter().enumerate() {
            line = line.replace(&format!("%ns{}%", i + 1), server);
        }
        line = line.replace("%time%", time).replace("%date%", date);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `v-add-dns-domain USER DOMAIN IP [NS1] [NS2] [NS3] [NS4] [NS5] [NS6] [NS7] [NS8] [RESTART]
/// [DNSSEC]`.
pub fn add_dns_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let ip = call.arg(3);
    let restart = call.arg(12);
    let dnssec = call.arg(13);

    validate::user(user)?;
    validate::domain(&domain)?;
    validate::ipv4(ip)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    let user_record = hosting::active_user(call, user)?;
    validate::restart(restart)?;
    claim(&domain)?;
    hosting::reject_ip_literal(&domain)?;
    if !dnssec.is_empty() {
        validate::boolean("dnssec", dnssec)?;
    }
    let mut domains = common::load_domains(call)?;
    hosting::package_allows(&user_record, "DNS_DOMAINS", Some(domains.len() as u64))?;
    let template_name = user_record.value("DNS_TEMPLATE");
    let template = read_template(call, template_name)?;
    hosting::check_subdomain_owner(&settings, user, &domain)?;
    let mut ns: [String; 8] = Default::default();
    for (i, server) in ns.iter_mut().enumerate() {
        let given = trim_dots(call.arg(4 + i));
        if !given.is_empty() {
            ns_format(given, i + 1)?;
        }
        *server = given.to_string();
    }
    hosting::check_demo_mode(&settings)?;

    // Without a second name server, the user's NS list is used (it replaces NS1 too).
    if ns[1].is_empty() {
        for (i, server) in user_record
            .value("NS")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(8)
            .enumerate()
        {
            ns[i] = server.to_string();
        }
    }
    let domain_idn = hosting::domain_idn(&domain)?;
    let (date, time) = common::now();
    let text = fill_template(&template, ip, &domain, &domain_idn, &ns, &time, &date);
    let records = hearth_sdk::conf::parse_list(&text)?;
    let count = common::line_count(&text);
    common::ensure_dir(&call.user_path("dns"))?;
    hearth_sdk::fs::write_atomic(&common::records_path(call, &domain), text.as_bytes())?;

    let record = Record::from_pairs([
        ("DOMAIN", domain.as_str()),
        ("IP", ip),
        ("TPL", template_name),
        ("TTL", ZONE_TTL),
        ("EXP", &common::next_year(&date)),
        ("SOA", &ns[0]),
        ("SERIAL", &format!("{}01", date.replace('-', ""))),
        ("SRC", ""),
        ("RECORDS", &count.to_string()),
        ("DNSSEC", if dnssec.is_empty() { "no" } else { dnssec }),
        ("KEY", ""),
        ("SLAVE", "no"),
        ("MASTER", ""),
        ("SUSPENDED", "no"),
        ("TIME", &time),
        ("DATE", &date),
    ]);
    zone::write(call, user, &record, &records)?;
    domains.push(record);
    common::save_domains(call, &domains)?;

    common::bump(call, "U_DNS_DOMAINS", 1)?;
    common::bump(call, "U_DNS_RECORDS", count as i64)?;
    hosting::restart(restart, &["dns"])?;
    common::history(call, &format!("Added new DNS domain (Name: {domain})."))?;
    hearth_sdk::cluster::changed(&domain);
    Ok(String::new())
}

/// Hestia's `is_domain_new 'dns'`: the name is claimed in the registry; a holder is
/// reported by its Unicode form, the form Hestia checks first.
fn claim(domain: &str) -> Result<(), CmdError> {
    match hearth_sdk::names::claim(&hosting::registry_name(domain), Kind::Dns) {
        Ok(()) => Ok(()),
        Err(Some(mut holder)) => {
            holder.name = hosting::domain_unicode(&holder.name);
            Err(hosting::taken_message(&holder))
        }
        Err(None) => Err(CmdError::new(
            ReturnCode::Forbidden,
            "this command cannot claim domain names",
        )),
    }
}

/// `is_dns_template_valid`: `data/templates/dns/<TPL>.tpl`, or
/// `Error: <TPL> dns template doesn't exist` (3).
fn read_template(call: &Call, name: &str) -> Result<String, CmdError> {
    let missing = || {
        CmdError::new(
            ReturnCode::NotExist,
            format!("{name} dns template doesn't exist"),
        )
    };
    if validate::object("template", name).is_err() {
        return Err(missing());
    }
    let path = call.system_path(&format!("data/templates/dns/{name}.tpl"));
    hearth_sdk::fs::read_to_string(path).map_err(|_| missing())
}

/// The user, the domain's `dns.conf` lines and the index of `domain`, after Hestia's usual
/// checks: formats, `DNS_SYSTEM`, the user and the domain exist. `restart` is validated with
/// the formats when given.
struct Target {
    settings: Record,
    domains: Vec<Record>,
    index: usize,
}

fn target(
    call: &Call,
    user: &str,
    domain: &str,
    restart: Option<&str>,
) -> Result<Target, CmdError> {
    validate::user(user)?;
    hosting::domain_format(domain)?;
    if let Some(restart) = restart {
        validate::restart(restart)?;
    }
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    hosting::user_record(call, user)?;
    let domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    Ok(Target {
        settings,
        domains,
        index,
    })
}

/// `v-delete-dns-domain USER DOMAIN [RESTART]`.
pub fn delete_dns_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let restart = call.arg(3);
    let Target {
        settings,
        mut domains,
        index,
    } = target(call, user, &domain, Some(restart))?;
    hosting::check_demo_mode(&settings)?;
    remove_domain(call, user, &domain, &mut domains, index)?;
    hosting::restart(restart, &["dns"])?;
    hearth_sdk::cluster::changed(&domain);
    Ok(String::new())
}

/// The action of `v-delete-dns-domain` once every check has passed: the `dns.conf` line,
/// the records file, the zone file, the registry claim, the counters and the history entry.
pub fn remove_domain(
    call: &Call,
    user: &str,
    domain: &str,
    domains: &mut Vec<Record>,
    index: usize,
) -> Result<(), CmdError> {
    let domain = domain.to_string();
    let removed = domains.remove(index);
    let records = match hearth_sdk::fs::read_to_string(common::records_path(call, &domain)) {
        Ok(text) => common::line_count(&text),
        Err(_) => 0,
    };
    zone::remove(call, user, &domain)?;
    common::save_domains(call, domains)?;
    match std::fs::remove_file(common::records_path(call, &domain)) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    hearth_sdk::names::release(&hosting::registry_name(&domain), Kind::Dns);

    common::bump(call, "U_DNS_DOMAINS", -1)?;
    common::bump(call, "U_DNS_RECORDS", -(records as i64))?;
    if removed.value("SUSPENDED") == "yes" {
        common::bump(call, "SUSPENDED_DNS", -1)?;
    }
    common::history(call, &format!("Deleted DNS zone (Name: {domain})."))
}

/// Sets `SUSPENDED` on the domain and every record, bumps the serial and renders the zone
/// (suspended records are left out of it, as in Hestia's `update_domain_zone`).
fn set_suspended(
    call: &Call,
    user: &str,
    domain: &str,
    mut domains: Vec<Record>,
    index: usize,
    suspended: &str,
) -> Result<(), CmdError> {
    let mut records = common::load_records(call, domain)?;
    for record in &mut records {
        if record.contains("SUSPENDED") {
            record.set("SUSPENDED", suspended);
        }
    }
    let line = &mut domains[index];
    line.set("SUSPENDED", suspended);
    zone::bump_serial(line);
    zone::write(call, user, line, &records)?;
    common::save_records(call, domain, &records)?;
    common::save_domains(call, &domains)
}

/// `v-suspend-dns-domain USER DOMAIN [RESTART]`.
pub fn suspend_dns_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let restart = call.arg(3);
    let Target {
        settings,
        domains,
        index,
    } = target(call, user, &domain, Some(restart))?;
    common::domain_unsuspended(&domains[index], &domain)?;
    hosting::check_demo_mode(&settings)?;

    set_suspended(call, user, &domain, domains, index, "yes")?;
    common::bump(call, "SUSPENDED_DNS", 1)?;
    hosting::restart(restart, &["dns"])?;
    hearth_sdk::cluster::changed(&domain);
    Ok(String::new())
}

/// `v-unsuspend-dns-domain USER DOMAIN`. Hestia takes no RESTART here; a third argument is
/// still honoured (`no` skips the reload).
pub fn unsuspend_dns_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let restart = call.arg(3);
    validate::user(user)?;
    hosting::domain_format(&domain)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::check_demo_mode(&settings)?;
    let Target { domains, index, .. } = target(call, user, &domain, None)?;
    common::domain_suspended(&domains[index], &domain)?;

    set_suspended(call, user, &domain, domains, index, "no")?;
    common::bump(call, "SUSPENDED_DNS", -1)?;
    hosting::restart(restart, &["dns"])?;
    hearth_sdk::cluster::changed(&domain);
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_lines_for_missing_name_servers_are_dropped() {
        let template = "ID='1' VALUE='%ns1%.'\nID='2' VALUE='%ns2%.'\nID='3' VALUE='%ns3%.'\n\
                        ID='4' VALUE='%domain%.' IDN='%domain_idn%' IP='%ip%' T='%time%' D='%date%'\n";
        let mut ns: [String; 8] = Default::default();
        ns[0] = "ns1.example.net".into();
        ns[1] = "ns2.example.net".into();
        let text = fill_template(
            template,
            "192.0.2.1",
            "bücher.example",
            "xn--bcher-kva.example",
            &ns,
            "10:00:00",
            "2024-05-01",
        );
        assert_eq!(
            text,
            "ID='1' VALUE='ns1.example.net.'\nID='2' VALUE='ns2.example.net.'\n\
             ID='4' VALUE='bücher.example.' IDN='xn--bcher-kva.example' IP='192.0.2.1' T='10:00:00' D='2024-05-01'\n"
        );
    }

    #[test]
    fn name_servers_are_trimmed_and_named_in_errors() {
        assert_eq!(trim_dots("..ns1.example.com.."), "ns1.example.com");
        assert_eq!(
            ns_format("bad_ns", 3).unwrap_err().output,
            "Error: invalid ns3 format :: bad_ns"
        );
    }
}
