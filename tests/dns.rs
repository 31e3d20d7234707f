//! The DNS commands through the HTTP API: Hestia's `test.bats` DNS and allow-users cases,
//! the `dns.conf` / `dns/<DOMAIN>.conf` lines, the BIND zone files checked by the real
//! `named-checkzone` (and a serial that grows with every change), the `update-dns-records`
//! access-key set, and the list formats (valid JSON whatever a TXT record holds).

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hearth_sdk::conf::{self, Record};
use support::*;

static SERVER: OnceLock<Server> = OnceLock::new();

/// The server shared by the tests that keep settings as they are: access keys of users are
/// allowed (`API_SYSTEM='2'`), as for the `update-dns-records` set.
fn server() -> &'static Server {
    SERVER.get_or_init(|| Server::start_with(&[], |dir| set_conf(dir, "API_SYSTEM", "2")))
}

/// Hestia's IP of the `test.bats` cases (DNS commands do not require it in `data/ips`).
const IP: &str = "198.18.0.125";

/// The `dns.conf` line of a domain.
#[track_caller]
fn dns_line(s: &Server, user: &str, domain: &str) -> Record {
    let text = s.read(&format!("data/users/{user}/dns.conf"));
    conf::parse_list(&text)
        .expect("dns.conf parses")
        .into_iter()
        .find(|record| record.value("DOMAIN") == domain)
        .unwrap_or_else(|| panic!("no {domain} in dns.conf: {text}"))
}

/// The record lines of a domain.
fn dns_records(s: &Server, user: &str, domain: &str) -> Vec<Record> {
    conf::parse_list(&s.read(&format!("data/users/{user}/dns/{domain}.conf")))
        .expect("the records file parses")
}

/// The record named `name` (the first one).
#[track_caller]
fn find_record(s: &Server, user: &str, domain: &str, name: &str) -> Record {
    dns_records(s, user, domain)
        .into_iter()
        .find(|r| r.value("RECORD") == name)
        .unwrap_or_else(|| panic!("no record {name} in {domain}"))
}

/// The zone file of a domain below the data root's `HOME_ROOT`.
fn zone_file(s: &Server, user: &str, domain: &str) -> PathBuf {
    s.path(&format!("home/{user}/conf/dns/{domain}.db"))
}

/// The SOA serial of a zone file: the line after the `SOA` line.
#[track_caller]
fn zone_serial(text: &str) -> u64 {
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|line| line.contains(" SOA "))
        .expect("an SOA line");
    lines
        .next()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no serial after the SOA line:\n{text}"))
}

/// `named-checkzone ZONE FILE`.
fn checkzone(zone: &str, file: &Path) -> Output {
    run(Command::new("named-checkzone").arg(zone).arg(file))
}

/// Checks a domain's zone with `named-checkzone` and returns its serial, which must be the
/// one of `dns.conf`.
#[track_caller]
fn checked_serial(s: &Server, user: &str, domain: &str, zone: &str) -> u64 {
    let file = zone_file(s, user, domain);
    let text = std::fs::read_to_string(&file).expect("the zone file exists");
    let serial = zone_serial(&text);
    let line = dns_line(s, user, domain);
    assert_eq!(
        line.value("SERIAL"),
        serial.to_string(),
        "dns.conf and zone agree"
    );
    let checked = checkzone(zone, &file);
    assert_eq!(
        checked.code, 0,
        "named-checkzone failed: {checked:?}\n{text}"
    );
    assert!(
        checked.stdout.contains(&format!("loaded serial {serial}")),
        "{checked:?}"
    );
    serial
}

// ---------------------------------------------------------------------------------------
// Hestia's test.bats cases
// ---------------------------------------------------------------------------------------

#[test]
fn test_bats_dns_cases() {
    let s = server();
    let user = "test-5285";
    let domain = "test-5285.hestiacp.com";
    add_user(s, user);

    // DNS: Add domain / duplicate.
    ok(s, "v-add-dns-domain", &[user, domain, IP]);
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, domain, IP],
        4,
        &format!("Error: DNS domain {domain} exists"),
    );

    // The dns.conf line, in Hestia's key order, with the template's records.
    let line = dns_line(s, user, domain);
    let keys: Vec<&str> = line.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
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
            "DATE"
        ]
    );
    let date = line.value("DATE").to_string();
    let next_year = format!("{}{}", date[..4].parse::<u32>().unwrap() + 1, &date[4..]);
    assert_eq!(line.value("IP"), IP);
    assert_eq!(line.value("TPL"), "default");
    assert_eq!(line.value("TTL"), "14400");
    assert_eq!(line.value("SOA"), "ns1.example.com");
    assert_eq!(line.value("SERIAL"), format!("{}01", date.replace('-', "")));
    if !date.ends_with("02-29") {
        assert_eq!(line.value("EXP"), next_year);
    }
    assert_eq!(line.value("RECORDS"), "15");
    assert_eq!(line.value("DNSSEC"), "no");
    assert_eq!(line.value("SUSPENDED"), "no");
    let records = dns_records(s, user, domain);
    assert_eq!(records.len(), 15);
    assert_eq!(records[0].value("VALUE"), "ns1.example.com.");
    assert_eq!(records[1].value("VALUE"), "ns2.example.com.");
    assert_eq!(records[2].value("ID"), "9");
    assert_eq!(records[2].value("VALUE"), IP);
    assert!(
        records
            .iter()
            .any(|r| r.value("TYPE") == "MX" && r.value("VALUE") == format!("mail.{domain}."))
    );
    assert_eq!(user_value(s, user, "U_DNS_DOMAINS"), "1");
    assert_eq!(user_value(s, user, "U_DNS_RECORDS"), "15");
    checked_serial(s, user, domain, domain);

    // DNS: Add domain record (the 6th argument is a PRIORITY, dropped for A records).
    ok(
        s,
        "v-add-dns-record",
        &[user, domain, "test", "A", IP, "20"],
    );
    let test = find_record(s, user, domain, "test");
    assert_eq!(
        test.value("ID"),
        "22",
        "one more than the template's highest ID"
    );
    assert_eq!(test.value("PRIORITY"), "");
    assert_eq!(user_value(s, user, "U_DNS_RECORDS"), "16");
    assert_eq!(dns_line(s, user, domain).value("RECORDS"), "16");
    // DNS: record with ID 0, then *.domain with ID 30 (and the same ID again).
    expect_failure(
        s,
        "v-add-dns-record",
        &[user, domain, "*", "A", IP, "", "0"],
        2,
        "Error: invalid id format :: 0",
    );
    ok(
        s,
        "v-add-dns-record",
        &[user, domain, "*", "A", IP, "", "30"],
    );
    expect_failure(
        s,
        "v-add-dns-record",
        &[user, domain, "other", "A", IP, "", "30"],
        4,
        "Error: ID=30 already exists",
    );

    // DNS: Change DNS record, then the same change again (no update). ID 20 is the
    // template's `_pop3._tcp` SRV record.
    let change = [user, domain, "20", "test", "A", IP, "", "", "1500"];
    ok(s, "v-change-dns-record", &change);
    expect_failure(
        s,
        "v-change-dns-record",
        &change,
        4,
        "No pending changes in DNS entry.",
    );
    let changed = dns_records(s, user, domain)
        .into_iter()
        .find(|r| r.value("ID") == "20")
        .expect("record 20");
    assert_eq!(
        (
            changed.value("RECORD"),
            changed.value("TYPE"),
            changed.value("VALUE")
        ),
        ("test", "A", IP)
    );
    assert_eq!(changed.value("TTL"), "1500");

    // DNS: Delete domain record, then the missing record.
    ok(s, "v-delete-dns-record", &[user, domain, "20"]);
    expect_failure(
        s,
        "v-delete-dns-record",
        &[user, domain, "20"],
        3,
        &format!("Error: {domain} id 20 doesn't exist"),
    );
    ok(s, "v-delete-dns-record", &[user, domain, "30"]);
    expect_failure(
        s,
        "v-delete-dns-record",
        &[user, domain, "30"],
        3,
        &format!("Error: {domain} id 30 doesn't exist"),
    );
    assert_eq!(user_value(s, user, "U_DNS_RECORDS"), "15");

    // DNS: Add domain record MX / NS / CNAME: the zone gets the FQDN, changes show up.
    let zone = || std::fs::read_to_string(zone_file(s, user, domain)).unwrap();
    for (name, rtype) in [("@", "MX"), ("@", "NS"), ("mail", "CNAME")] {
        ok(
            s,
            "v-add-dns-record",
            &[user, domain, name, rtype, "mx.hestiacp.com", "", "50"],
        );
        assert!(zone().contains("mx.hestiacp.com.\n"), "{rtype}: {}", zone());
        ok(
            s,
            "v-change-dns-record",
            &[user, domain, "50", name, rtype, "mx.hestia.com"],
        );
        assert!(zone().contains("mx.hestia.com.\n"), "{rtype}: {}", zone());
        ok(s, "v-delete-dns-record", &[user, domain, "50"]);
        assert!(!zone().contains("mx.hestia.com."), "{rtype}: {}", zone());
    }

    // DNS: Check txt dns records type1.
    ok(
        s,
        "v-add-dns-record",
        &[
            user,
            domain,
            "test-long-txt",
            "TXT",
            "v=DMARC1; p=quarantine; pct=100",
            "",
            "50",
        ],
    );
    assert!(zone().contains("\"v=DMARC1; p=quarantine; pct=100\""));
    ok(
        s,
        "v-change-dns-record",
        &[
            user,
            domain,
            "50",
            "test-long-txt",
            "TXT",
            "\"v=DMARC1; p=quarantine; pct=90\"",
        ],
    );
    assert!(zone().contains("\"v=DMARC1; p=quarantine; pct=90\""));
    ok(s, "v-delete-dns-record", &[user, domain, "50"]);

    // DNS: Check txt dns records type2: a DKIM key longer than 255 bytes.
    let key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA4+VEVsoTbl6tYLJlhozqAGju3IgpSVdBAS5LMyzpHP8/L0/PlyVRJnm2xECjVk3DRqCmelyIvmraw1VtFz2aH6DRlDhHsZghj1DmGhwN+7NkwIb4hEvmytMVAz1WyiLH6Rm6Iemm/ZCt1RhrAMUYLxHA9mJgky76YCcf8/cX35xC+1vd4a5U6YofAZeVP9DBvVgQ8ung4gVrOrQrXkU8QfVNAoXz5pfJo74GB7woIBFhZXsU6SKho7KnzT5inVCIOtWp7L5hyEnbySWQPHT2vAMCCAe2AY/Vv0N3HW14o8P3b4A6OU920wFB2kA7pkQNzO5OwH+HSttwG0PaIiQxYQIDAQAB";
    let record3 = format!("k=rsa; p={key}");
    let (head, tail) = record3.split_at(255);
    ok(
        s,
        "v-add-dns-record",
        &[user, domain, "test-long-txt", "TXT", &record3, "", "50"],
    );
    assert!(
        zone().contains(&format!("\"{head}\"\"{tail}\"")),
        "{}",
        zone()
    );
    let record4 = format!("{}4", &record3[..record3.len() - 1]);
    ok(
        s,
        "v-change-dns-record",
        &[user, domain, "50", "test-long-txt", "TXT", &record4],
    );
    let (head, tail) = record4.split_at(255);
    assert!(zone().contains(&format!("\"{head}\"\"{tail}\"")));
    ok(s, "v-delete-dns-record", &[user, domain, "50"]);
    checked_serial(s, user, domain, domain);

    // DNS: Suspend / Unsuspend domain.
    ok(s, "v-suspend-dns-domain", &[user, domain]);
    ok(s, "v-unsuspend-dns-domain", &[user, domain]);
    checked_serial(s, user, domain, domain);

    // IDN: the Unicode name is stored, the punycode one is the same domain.
    ok(s, "v-add-dns-domain", &[user, "idn-tést.eu", IP]);
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, "xn--idn-tst-fya.eu", IP],
        4,
        "Error: DNS domain idn-tést.eu exists",
    );
    let idn = dns_line(s, user, "idn-tést.eu");
    assert_eq!(idn.value("SOA"), "ns1.example.com");
    let zone = std::fs::read_to_string(zone_file(s, user, "idn-tést.eu")).unwrap();
    assert!(
        zone.contains("root.xn--idn-tst-fya.eu. ("),
        "the zone names the punycode form:\n{zone}"
    );
    assert!(
        zone.contains("www\t14400\tIN\tCNAME\t\txn--idn-tst-fya.eu.\n"),
        "{zone}"
    );
    checked_serial(s, user, "idn-tést.eu", "xn--idn-tst-fya.eu");
    assert_eq!(user_value(s, user, "U_DNS_DOMAINS"), "2");
}

// ---------------------------------------------------------------------------------------
// Subdomain ownership (ENFORCE_SUBDOMAIN_OWNERSHIP='yes', hearth init's default)
// ---------------------------------------------------------------------------------------

#[test]
fn allow_users_dns_parent_owned_by_another_user() {
    let s = server();
    let (owner, other) = ("test-5286", "test-5287");
    add_user(s, owner);
    add_user(s, other);
    ok(s, "v-add-dns-domain", &[owner, "testhestiacp.com", IP]);
    expect_failure(
        s,
        "v-add-dns-domain",
        &[other, "cdn.testhestiacp.com", IP],
        4,
        "Error: Unable to add cdn.testhestiacp.com. testhestiacp.com belongs to a different user",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[other, "testhestiacp.com", IP],
        4,
        "Error: DNS domain testhestiacp.com exists",
    );
    // The owner's own subdomains are fine.
    ok(s, "v-add-dns-domain", &[owner, "cdn.testhestiacp.com", IP]);
    assert!(
        !s.path(&format!("data/users/{other}/dns/cdn.testhestiacp.com.conf"))
            .exists()
    );

    // Once the owner deletes both zones, the names are free for anyone.
    ok(s, "v-delete-dns-domain", &[owner, "cdn.testhestiacp.com"]);
    ok(s, "v-delete-dns-domain", &[owner, "testhestiacp.com"]);
    ok(s, "v-add-dns-domain", &[other, "cdn.testhestiacp.com", IP]);
}

#[test]
fn allow_users_web_parent_needs_allow_users() {
    let s = server();
    let (owner, other) = ("webowner-5288", "websub-5289");
    let root = "allowusers-hestiacp.com";
    let sub = format!("cdn.{root}");
    add_user(s, owner);
    add_user(s, other);
    ok(s, "v-add-web-domain", &[owner, root]);
    expect_failure(
        s,
        "v-add-dns-domain",
        &[other, &sub, IP],
        4,
        &format!("Error: Unable to add {sub}. {root} belongs to a different user"),
    );
    ok(s, "v-add-web-domain-allow-users", &[owner, root]);
    ok(s, "v-add-dns-domain", &[other, &sub, IP]);
}

// ---------------------------------------------------------------------------------------
// BIND zones: named-checkzone and serials
// ---------------------------------------------------------------------------------------

#[test]
fn zones_pass_named_checkzone_and_serials_grow() {
    let s = server();
    let user = "zoneuser";
    let domain = "zonecheck.com";
    add_user(s, user);
    ok(s, "v-add-dns-domain", &[user, domain, "192.0.2.10"]);
    let mut serial = checked_serial(s, user, domain, domain);

    let dkim = format!(
        "v=DKIM1; k=rsa; p={}",
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".repeat(10)
    );
    let sha256 = "0123456789abcdef".repeat(4);
    let additions: Vec<Vec<String>> = vec![
        vec!["mx2", "MX", "mx2.example.net", "20"],
        vec!["@", "TXT", "google-site-verification=abc123"],
        vec!["quoted", "TXT", "it's \"quoted\" with a \\backslash"],
        vec!["dkim._domainkey", "TXT", &dkim],
        vec!["_sip._tcp", "SRV", "10 5 5060 sip.example.net"],
        vec!["_xmpp-client._tcp", "SRV", "0 5222 xmpp.example.net", "5"],
        vec!["@", "CAA", "0 issue \"letsencrypt.org\""],
        vec!["@", "CAA", "128 iodef \"mailto:security@zonecheck.com\""],
        vec!["v6", "AAAA", "2001:db8::10"],
        vec!["alias", "CNAME", "www.example.net"],
        vec!["_443._tcp.www", "TLSA", &format!("3 1 1 {sha256}")],
        vec!["sub", "NS", "ns1.example.net"],
        vec!["sub", "DS", &format!("12345 13 2 {sha256}")],
        vec!["ptr", "PTR", "host.example.net"],
        vec!["short", "A", "192.0.2.11", "", "", "", "300"],
    ]
    .into_iter()
    .map(|row| row.into_iter().map(str::to_string).collect())
    .collect();
    for addition in &additions {
        let mut args = vec![user, domain];
        args.extend(addition.iter().map(String::as_str));
        ok(s, "v-add-dns-record", &args);
        let next = checked_serial(s, user, domain, domain);
        assert!(next > serial, "{args:?}: serial {next} after {serial}");
        serial = next;
    }

    let zone = std::fs::read_to_string(zone_file(s, user, domain)).unwrap();
    for expected in [
        "mx2\t14400\tIN\tMX\t20\tmx2.example.net.\n",
        "_sip._tcp\t14400\tIN\tSRV\t10\t5 5060 sip.example.net.\n",
        "_xmpp-client._tcp\t14400\tIN\tSRV\t5\t0 5222 xmpp.example.net.\n",
        "@\t14400\tIN\tCAA\t\t0 issue \"letsencrypt.org\"\n",
        "quoted\t14400\tIN\tTXT\t\t\"it's quoted with a \\backslash\"\n",
        "@\t14400\tIN\tTXT\t\t\"google-site-verification=abc123\"\n",
        "alias\t14400\tIN\tCNAME\t\twww.example.net.\n",
        "short\t300\tIN\tA\t\t192.0.2.11\n",
    ] {
        assert!(zone.contains(expected), "missing {expected:?} in\n{zone}");
    }
    // The DKIM key is longer than 255 bytes: it is split into character-strings.
    let dkim_line = zone
        .lines()
        .find(|line| line.starts_with("dkim._domainkey\t"))
        .expect("the DKIM record");
    assert!(dkim_line.contains("\"\""), "{dkim_line}");

    // Change and delete also move the serial on; the zone stays valid.
    let records = dns_records(s, user, domain);
    let short = records
        .iter()
        .find(|r| r.value("RECORD") == "short")
        .expect("the short record")
        .value("ID")
        .to_string();
    ok(
        s,
        "v-change-dns-record",
        &[
            user,
            domain,
            &short,
            "short",
            "A",
            "192.0.2.12",
            "",
            "",
            "600",
        ],
    );
    let next = checked_serial(s, user, domain, domain);
    assert!(next > serial);
    serial = next;
    let zone = std::fs::read_to_string(zone_file(s, user, domain)).unwrap();
    assert!(zone.contains("short\t600\tIN\tA\t\t192.0.2.12\n"), "{zone}");
    ok(s, "v-delete-dns-record", &[user, domain, &short]);
    let next = checked_serial(s, user, domain, domain);
    assert!(next > serial);
    serial = next;
    assert!(
        !std::fs::read_to_string(zone_file(s, user, domain))
            .unwrap()
            .contains("192.0.2.12")
    );

    // Suspension leaves every record out of the zone, with a new serial; unsuspension
    // brings them back.
    ok(s, "v-suspend-dns-domain", &[user, domain]);
    let suspended = std::fs::read_to_string(zone_file(s, user, domain)).unwrap();
    let next = zone_serial(&suspended);
    assert!(next > serial);
    serial = next;
    assert!(!suspended.contains("\tIN\tA\t"), "{suspended}");
    assert!(
        dns_records(s, user, domain)
            .iter()
            .all(|r| r.value("SUSPENDED") == "yes")
    );
    ok(s, "v-unsuspend-dns-domain", &[user, domain]);
    let next = checked_serial(s, user, domain, domain);
    assert!(next > serial);

    // The check is real: a corrupted copy of the zone fails it.
    let good = std::fs::read_to_string(zone_file(s, user, domain)).unwrap();
    let dir = temp_dir("hearth-dns-zone-");
    let broken = dir.join("broken.db");
    std::fs::write(
        &broken,
        format!("{good}broken\t14400\tIN\tA\t\tnot-an-address\n"),
    )
    .unwrap();
    let result = checkzone(domain, &broken);
    assert_ne!(result.code, 0, "a corrupted zone must fail: {result:?}");
    let without_ns: String = good
        .lines()
        .filter(|line| !line.contains("\tIN\tNS\t") || line.starts_with("sub\t"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&broken, without_ns).unwrap();
    let result = checkzone(domain, &broken);
    assert_ne!(
        result.code, 0,
        "a zone without NS records must fail: {result:?}"
    );
    std::fs::write(&broken, &good).unwrap();
    assert_eq!(checkzone(domain, &broken).code, 0, "the intact copy passes");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Validation messages and codes
// ---------------------------------------------------------------------------------------

#[test]
fn add_domain_and_record_validation() {
    let s = server();
    let user = "dnsval";
    let domain = "validation-test.com";
    add_user(s, user);
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, domain],
        1,
        "Usage: v-add-dns-domain USER DOMAIN IP [NS1] [NS2] [NS3] [..] [NS8] [RESTART]",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, domain, "198.18.0"],
        2,
        "Error: invalid ip :: 198.18.0",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, "bad_domain.com", IP],
        2,
        "Error: invalid domain format :: bad_domain.com",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &["nosuchuser", domain, IP],
        3,
        "Error: user nosuchuser doesn't exist",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, "192.0.2.55", IP],
        1,
        "Error: Invalid domain format. IP address detected as input.",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[
            user,
            domain,
            IP,
            "ns1.example.net",
            "ns2.example.net",
            "bad_ns",
        ],
        2,
        "Error: invalid ns3 format :: bad_ns",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, domain, IP, "", "", "", "", "", "", "", "", "bogus"],
        2,
        "Error: invalid restart format :: bogus",
    );
    expect_failure(
        s,
        "v-add-dns-domain",
        &[
            user, domain, IP, "", "", "", "", "", "", "", "", "no", "maybe",
        ],
        2,
        "Error: invalid dnssec format :: maybe",
    );
    // Nothing above left a claim or a file behind.
    assert!(
        !s.path(&format!("data/users/{user}/dns/{domain}.conf"))
            .exists()
    );

    // Given name servers (leading and trailing dots dropped) are used, the first one is SOA.
    ok(
        s,
        "v-add-dns-domain",
        &[
            user,
            "WWW.Validation-Test.com.",
            IP,
            ".ns1.example.org.",
            "ns2.example.org",
            "ns3.example.org",
        ],
    );
    let line = dns_line(s, user, domain);
    assert_eq!(line.value("SOA"), "ns1.example.org");
    let ns: Vec<String> = dns_records(s, user, domain)
        .iter()
        .filter(|r| r.value("TYPE") == "NS")
        .map(|r| r.value("VALUE").to_string())
        .collect();
    assert_eq!(
        ns,
        ["ns1.example.org.", "ns2.example.org.", "ns3.example.org."]
    );
    assert_eq!(line.value("RECORDS"), "16");

    for (args, code, message) in [
        (
            vec!["x", "A"],
            1,
            "Usage: v-add-dns-record USER DOMAIN RECORD TYPE VALUE [PRIORITY] [ID] [RESTART] [TTL]",
        ),
        (
            vec!["x", "SOA", "1"],
            2,
            "Error: invalid dns record type format :: SOA",
        ),
        (
            vec!["x", "A", "300.1.1.1"],
            2,
            "Error: invalid A record format :: 300.1.1.1",
        ),
        (
            vec!["x y", "A", "192.0.2.1"],
            2,
            "Error: invalid record format :: x y",
        ),
        (
            vec!["@", "CNAME", "example.net"],
            2,
            "Error: CNAME on root is not allowed",
        ),
        (
            vec!["x", "CNAME", "www"],
            2,
            "Error: CNAME record www should be a fully qualified domain name (FQDN)",
        ),
        (
            vec!["x", "MX", "mail.example.net", "70000"],
            2,
            "Error: invalid MX record priority format (must be between 0 and 65535) :: mail.example.net.",
        ),
        (
            vec!["x", "CAA", "0 bad_tag x"],
            2,
            "Error: invalid CAA flag or tag :: 0 bad_tag x",
        ),
        (
            vec!["x", "TXT", "caf\u{e9}"],
            2,
            "Error: TXT record contains non-ASCII characters :: caf\u{e9}",
        ),
        (
            vec!["x", "SRV", "1 2"],
            2,
            "Error: invalid SRV record format (must contain priority weight port target or target port weight) :: 1 2.",
        ),
        (
            vec!["@", "NS", "ns9.validation-test.com"],
            3,
            "Error: IN A ns9.validation-test.com does not exist",
        ),
        (
            vec!["x", "A", "192.0.2.1", "", "", "", "1h"],
            2,
            "Error: invalid ttl format :: 1h",
        ),
    ] {
        let mut full = vec![user, domain];
        full.extend(args);
        expect_failure(s, "v-add-dns-record", &full, code, message);
    }
    expect_failure(
        s,
        "v-add-dns-record",
        &[user, "missing-zone.com", "x", "A", "192.0.2.1"],
        3,
        "Error: dns domain missing-zone.com doesn't exist",
    );
    // The last A and NS records stay.
    let a = dns_records(s, user, domain)
        .iter()
        .filter(|r| r.value("TYPE") == "A")
        .map(|r| r.value("ID").to_string())
        .collect::<Vec<_>>();
    assert_eq!(a.len(), 2, "@ and mail");
    ok(s, "v-delete-dns-record", &[user, domain, &a[0]]);
    expect_failure(
        s,
        "v-delete-dns-record",
        &[user, domain, &a[1]],
        2,
        "Error: at least one A record should remain active",
    );
    // The change command validates like the add command.
    expect_failure(
        s,
        "v-change-dns-record",
        &[user, domain, "0", "x", "A", "192.0.2.1"],
        2,
        "Error: invalid id format :: 0",
    );
    expect_failure(
        s,
        "v-change-dns-record",
        &[user, domain, &a[1], "mail", "A", "192.0.2"],
        2,
        "Error: invalid A record format :: 192.0.2",
    );
    expect_failure(
        s,
        "v-change-dns-record",
        &[user, domain, "99", "mail", "A", "192.0.2.1"],
        3,
        &format!("Error: {domain} id 99 doesn't exist"),
    );
}

#[test]
fn suspend_delete_and_counters() {
    let s = server();
    let user = "dnslife";
    let domain = "lifecycle-test.com";
    add_user(s, user);
    ok(s, "v-add-dns-domain", &[user, domain, IP]);
    ok(s, "v-suspend-dns-domain", &[user, domain]);
    assert_eq!(user_value(s, user, "SUSPENDED_DNS"), "1");
    assert_eq!(dns_line(s, user, domain).value("SUSPENDED"), "yes");
    expect_failure(
        s,
        "v-suspend-dns-domain",
        &[user, domain],
        5,
        &format!("Error: dns {domain} is suspended"),
    );
    expect_failure(
        s,
        "v-add-dns-record",
        &[user, domain, "x", "A", "192.0.2.1"],
        5,
        &format!("Error: dns {domain} is suspended"),
    );
    ok(s, "v-unsuspend-dns-domain", &[user, domain]);
    assert_eq!(user_value(s, user, "SUSPENDED_DNS"), "0");
    expect_failure(
        s,
        "v-unsuspend-dns-domain",
        &[user, domain],
        6,
        &format!("Error: dns {domain} is not suspended"),
    );

    // Suspended again, then deleted: every counter goes back.
    ok(s, "v-suspend-dns-domain", &[user, domain]);
    ok(s, "v-delete-dns-domain", &[user, domain]);
    assert_eq!(user_value(s, user, "SUSPENDED_DNS"), "0");
    assert_eq!(user_value(s, user, "U_DNS_DOMAINS"), "0");
    assert_eq!(user_value(s, user, "U_DNS_RECORDS"), "0");
    assert!(!zone_file(s, user, domain).exists());
    assert!(
        !s.path(&format!("data/users/{user}/dns/{domain}.conf"))
            .exists()
    );
    assert!(
        !s.read(&format!("data/users/{user}/dns.conf"))
            .contains(domain)
    );
    expect_failure(
        s,
        "v-delete-dns-domain",
        &[user, domain],
        3,
        &format!("Error: dns domain {domain} doesn't exist"),
    );
    let history = s.read(&format!("data/users/{user}/history.log"));
    assert!(history.contains(&format!(
        "CATEGORY='DNS' MESSAGE='Added new DNS domain (Name: {domain}).'"
    )));
    assert!(history.contains(&format!("MESSAGE='Deleted DNS zone (Name: {domain}).'")));

    // The package limit: DNS_DOMAINS='1'.
    let conf_path = s.path(&format!("data/users/{user}/user.conf"));
    let text = std::fs::read_to_string(&conf_path).unwrap();
    std::fs::write(
        &conf_path,
        text.replace("DNS_DOMAINS='unlimited'", "DNS_DOMAINS='1'"),
    )
    .unwrap();
    ok(s, "v-add-dns-domain", &[user, domain, IP]);
    expect_failure(
        s,
        "v-add-dns-domain",
        &[user, "second-lifecycle-test.com", IP],
        8,
        "Error: DNS_DOMAINS limit is reached :: upgrade user package",
    );
}

// ---------------------------------------------------------------------------------------
// The update-dns-records access key set
// ---------------------------------------------------------------------------------------

#[test]
fn update_dns_records_key_is_confined() {
    let s = server();
    let (a, b) = ("dnskeya", "dnskeyb");
    let (domain_a, domain_b) = ("keya-zone.com", "keyb-zone.com");
    add_user(s, a);
    add_user(s, b);
    ok(s, "v-add-dns-domain", &[a, domain_a, IP]);
    ok(s, "v-add-dns-domain", &[b, domain_b, IP]);
    let key = s.add_key(a, "update-dns-records");
    let call = |command: &str, args: &[&str]| s.api(Auth::Key(&key), false, command, args);

    let listed = call("v-list-dns-records", &[a, domain_a, "json"]);
    listed
        .expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = listed.json();
    assert_eq!(json["9"]["VALUE"], IP);
    call(
        "v-change-dns-record",
        &[a, domain_a, "9", "@", "A", "192.0.2.99"],
    )
    .expect(204, Some("0"), "");
    let json = call("v-list-dns-records", &[a, domain_a, "json"]).json();
    assert_eq!(json["9"]["VALUE"], "192.0.2.99");

    // B's records: refused before the command runs, and nothing changes.
    call("v-list-dns-records", &[b, domain_b, "json"]).expect(401, Some("10"), &mismatch(&key));
    call(
        "v-change-dns-record",
        &[b, domain_b, "9", "@", "A", "192.0.2.99"],
    )
    .expect(401, Some("10"), &mismatch(&key));
    assert_eq!(
        dns_records(s, b, domain_b)
            .iter()
            .find(|r| r.value("ID") == "9")
            .unwrap()
            .value("VALUE"),
        IP
    );
    // B's domain under A's name: A's sandbox has no such zone.
    call("v-list-dns-records", &[a, domain_b, "json"]).expect(
        400,
        Some("3"),
        &format!("Error: dns domain {domain_b} doesn't exist"),
    );
    // Commands outside the set.
    for (command, args) in [
        ("v-add-dns-record", vec![a, domain_a, "x", "A", "192.0.2.1"]),
        ("v-delete-dns-record", vec![a, domain_a, "9"]),
        ("v-add-dns-domain", vec![a, "keya-other.com", IP]),
        ("v-list-dns-domains", vec![a, "json"]),
    ] {
        call(command, &args).expect(401, Some("10"), &denied(&key, command));
    }
    s.api(
        Auth::Key(&key),
        true,
        "v-add-dns-record",
        &[a, domain_a, "x", "A", "192.0.2.1"],
    )
    .expect(401, Some("10"), "10");
}

// ---------------------------------------------------------------------------------------
// List formats
// ---------------------------------------------------------------------------------------

#[test]
fn list_formats_and_json_with_special_values() {
    let s = server();
    let user = "dnslist";
    let domain = "listing-test.com";
    add_user(s, user);
    ok(s, "v-add-dns-domain", &[user, domain, IP]);
    ok(
        s,
        "v-add-dns-record",
        &[user, domain, "txt", "TXT", "say \"hi\" \\ bye", "", "50"],
    );
    // A line as an imported Hestia tree may hold it: tab, quotes, backslashes.
    let tricky = "a\tb \"c\" \\d\\ %quote%e";
    let records_path = s.path(&format!("data/users/{user}/dns/{domain}.conf"));
    let mut text = std::fs::read_to_string(&records_path).unwrap();
    let line = Record::from_pairs([
        ("ID", "60"),
        ("RECORD", "odd"),
        ("TYPE", "TXT"),
        ("PRIORITY", ""),
        ("VALUE", tricky),
        ("SUSPENDED", "no"),
        ("TIME", "10:00:00"),
        ("DATE", "2024-05-01"),
        ("TTL", "60"),
    ]);
    text.push_str(&line.to_line().unwrap());
    text.push('\n');
    std::fs::write(&records_path, text).unwrap();

    let r = s.v2(false, "v-list-dns-records", &[user, domain, "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = r.json();
    assert_eq!(json["50"]["VALUE"], "\"say hi \\ bye\"");
    assert_eq!(json["50"]["RECORD"], "txt");
    assert_eq!(json["50"]["TTL"], "14400");
    assert_eq!(json["60"]["VALUE"], "a\tb \"c\" \\d\\ 'e");
    assert_eq!(json["60"]["TTL"], "60");
    let fields: Vec<&String> = json["50"].as_object().unwrap().keys().collect();
    assert_eq!(fields.len(), 9);
    // The legacy API returns the same text with a final newline.
    let legacy = s.legacy(false, "v-list-dns-records", &[user, domain, "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&legacy.body).expect("legacy JSON");
    assert_eq!(parsed, json);

    let plain = s
        .v2(false, "v-list-dns-records", &[user, domain, "plain"])
        .body;
    assert!(
        plain
            .lines()
            .any(|l| l == "50\ttxt\tTXT\t\t\"say hi \\ bye\"\tno"
                || l.starts_with("50\ttxt\tTXT\t\t\"say hi \\ bye\"\tno\t")),
        "{plain}"
    );
    let csv = s
        .v2(false, "v-list-dns-records", &[user, domain, "csv"])
        .body;
    assert!(
        csv.starts_with("ID,RECORD,TYPE,PRIORITY,VALUE,SUSPENDED,TIME,DATE,TTL\n"),
        "{csv}"
    );
    assert!(csv.contains("\n9,@,A,,\"198.18.0.125\",no,"), "{csv}");
    let shell = s.v2(false, "v-list-dns-records", &[user, domain]).body;
    let mut lines = shell.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("ID  RECORD"), "{shell}");
    assert!(header.ends_with("DATE        TTL"), "{shell}");
    assert!(lines.next().unwrap().starts_with("--  ------"), "{shell}");

    // Domains, in every format.
    let domains = s.v2(false, "v-list-dns-domains", &[user, "json"]);
    domains
        .expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let domains = domains.json();
    let entry = &domains[domain];
    assert_eq!(entry.as_object().unwrap().len(), 12);
    // Field order as Hestia prints it.
    let body = s.v2(false, "v-list-dns-domains", &[user, "json"]).body;
    let order = [
        "IP",
        "TPL",
        "TTL",
        "EXP",
        "SOA",
        "SERIAL",
        "DNSSEC",
        "SRC",
        "RECORDS",
        "SUSPENDED",
        "TIME",
        "DATE",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| {
            body.find(&format!("\"{key}\": "))
                .expect("the key is listed")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
    assert!(
        body.starts_with(&format!("{{\n    \"{domain}\": {{\n        \"IP\": ")),
        "{body}"
    );
    assert_eq!(entry["RECORDS"], "16");
    let line = dns_line(s, user, domain);
    let plain = s.v2(false, "v-list-dns-domains", &[user, "plain"]).body;
    assert_eq!(
        plain,
        [
            domain,
            IP,
            "default",
            "14400",
            line.value("EXP"),
            "ns1.example.com",
            "no",
            line.value("SERIAL"),
            "",
            "16",
            "no",
            line.value("TIME"),
            line.value("DATE"),
        ]
        .join("\t")
    );
    let csv = s.v2(false, "v-list-dns-domains", &[user, "csv"]).body;
    assert_eq!(
        csv.lines().next().unwrap(),
        "DOMAIN,IP,TPL,TTL,EXP,SOA,SERIAL,SRC,DNSSEC,RECORDS,SUSPENDED,TIME,DATE"
    );
    let shell = s.v2(false, "v-list-dns-domains", &[user, "shell"]).body;
    let rows: Vec<Vec<&str>> = shell
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "DOMAIN", "IP", "TPL", "TTL", "DNSSEC", "REC", "SPND", "DATE"
        ]
    );
    assert_eq!(
        rows[2],
        [
            domain,
            IP,
            "default",
            "14400",
            "no",
            "16",
            "no",
            line.value("DATE")
        ]
    );

    let one = s.v2(false, "v-list-dns-domain", &[user, domain, "json"]);
    one.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    assert_eq!(one.json()[domain]["SERIAL"], line.value("SERIAL"));
    let shell = s.v2(false, "v-list-dns-domain", &[user, domain]).body;
    assert!(
        shell.starts_with(&format!("DOMAIN:         {domain}\nIP:             {IP}\n")),
        "{shell}"
    );
    let csv = s
        .v2(false, "v-list-dns-domain", &[user, domain, "csv"])
        .body;
    assert!(
        csv.starts_with("DOMAIN,IP,TPL,TTL,EXP,SOA,SERIAL,DNSSEC,RECORDS,SUSPENDED,TIME,DATE\n")
    );

    // An explicitly empty FORMAT prints nothing; missing objects fail.
    s.v2(false, "v-list-dns-domains", &[user, ""])
        .expect(204, Some("0"), "");
    expect_failure(
        s,
        "v-list-dns-records",
        &[user, "nope-zone.com", "json"],
        3,
        "Error: dns domain nope-zone.com doesn't exist",
    );
    expect_failure(
        s,
        "v-list-dns-domains",
        &["nosuchuser", "json"],
        3,
        "Error: user nosuchuser doesn't exist",
    );
    // A user without DNS domains lists an empty object.
    add_user(s, "dnsempty");
    let empty = s.v2(false, "v-list-dns-domains", &["dnsempty", "json"]);
    assert_eq!(empty.body, "{\n}");
}

// ---------------------------------------------------------------------------------------
// Settings: DNS_SYSTEM, subdomain ownership, templates, reload queue (own server)
// ---------------------------------------------------------------------------------------

#[test]
fn settings_templates_and_reloads() {
    let s = Server::start();
    let (owner, other) = ("setowner", "setother");
    add_user(&s, owner);
    add_user(&s, other);

    // RESTART=no queues nothing; the default queues a DNS reload once.
    ok(
        &s,
        "v-add-dns-domain",
        &[
            owner,
            "settings-test.com",
            IP,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "no",
        ],
    );
    assert!(!s.read("data/queue/restart.pipe").contains("v-restart-dns"));
    ok(
        &s,
        "v-add-dns-record",
        &[owner, "settings-test.com", "x", "A", "192.0.2.1"],
    );
    assert_eq!(
        s.read("data/queue/restart.pipe")
            .lines()
            .filter(|l| *l == "v-restart-dns now")
            .count(),
        1
    );

    // Without ENFORCE_SUBDOMAIN_OWNERSHIP another user's subdomain is allowed.
    expect_failure(
        &s,
        "v-add-dns-domain",
        &[other, "cdn.settings-test.com", IP],
        4,
        "Error: Unable to add cdn.settings-test.com. settings-test.com belongs to a different user",
    );
    s.set_conf("ENFORCE_SUBDOMAIN_OWNERSHIP", "no");
    ok(
        &s,
        "v-add-dns-domain",
        &[other, "cdn.settings-test.com", IP],
    );
    s.set_conf("ENFORCE_SUBDOMAIN_OWNERSHIP", "yes");

    // A missing template.
    let conf_path = s.path(&format!("data/users/{other}/user.conf"));
    let text = std::fs::read_to_string(&conf_path).unwrap();
    std::fs::write(
        &conf_path,
        text.replace("DNS_TEMPLATE='default'", "DNS_TEMPLATE='nope'"),
    )
    .unwrap();
    expect_failure(
        &s,
        "v-add-dns-domain",
        &[other, "template-test.com", IP],
        3,
        "Error: nope dns template doesn't exist",
    );
    // An admin-edited template is used as is.
    std::fs::write(
        s.path("data/templates/dns/nope.tpl"),
        "ID='1' RECORD='@' TYPE='NS' PRIORITY='' VALUE='%ns1%.' SUSPENDED='no' TIME='%time%' DATE='%date%'\n\
         ID='2' RECORD='@' TYPE='NS' PRIORITY='' VALUE='%ns2%.' SUSPENDED='no' TIME='%time%' DATE='%date%'\n\
         ID='3' RECORD='@' TYPE='A' PRIORITY='' VALUE='%ip%' SUSPENDED='no' TIME='%time%' DATE='%date%'\n",
    )
    .unwrap();
    ok(&s, "v-add-dns-domain", &[other, "template-test.com", IP]);
    assert_eq!(
        dns_line(&s, other, "template-test.com").value("TPL"),
        "nope"
    );
    assert_eq!(dns_records(&s, other, "template-test.com").len(), 3);
    checked_serial(&s, other, "template-test.com", "template-test.com");

    // DNS_SYSTEM switched off.
    s.set_conf("DNS_SYSTEM", "");
    expect_failure(
        &s,
        "v-add-dns-domain",
        &[owner, "disabled-test.com", IP],
        11,
        "Error: DNS_SYSTEM is not enabled",
    );
    expect_failure(
        &s,
        "v-add-dns-record",
        &[owner, "settings-test.com", "y", "A", "192.0.2.1"],
        11,
        "Error: DNS_SYSTEM is not enabled",
    );
    s.set_conf("DNS_SYSTEM", "bind9");

    // DEMO_MODE refuses changes.
    s.set_conf("DEMO_MODE", "yes");
    expect_failure(
        &s,
        "v-add-dns-record",
        &[owner, "settings-test.com", "y", "A", "192.0.2.1"],
        1,
        "ERROR: Unable to perform operation due to security restrictions that are in place.",
    );
    s.set_conf("DEMO_MODE", "no");
    ok(
        &s,
        "v-add-dns-record",
        &[owner, "settings-test.com", "y", "A", "192.0.2.1"],
    );
}

#[test]
fn deleting_the_user_deletes_its_zones_and_frees_the_names() {
    let s = server();
    let (user, other) = ("dnsgone", "dnsheir");
    let domain = "deleted-user-zone.com";
    add_user(s, user);
    add_user(s, other);
    ok(s, "v-add-dns-domain", &[user, domain, IP]);
    assert!(zone_file(s, user, domain).exists());
    expect_failure(
        s,
        "v-add-dns-domain",
        &[other, domain, IP],
        4,
        &format!("Error: DNS domain {domain} exists"),
    );
    ok(s, "v-delete-user", &[user]);
    assert!(!zone_file(s, user, domain).exists());
    ok(s, "v-add-dns-domain", &[other, domain, IP]);
    checked_serial(s, other, domain, domain);
}
