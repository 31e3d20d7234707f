//! Native tests of the record and list commands against a temporary data tree. Commands
//! that need the host (the name registry, reloads) run with `RESTART=no` or are covered by
//! the black-box suite.

use std::path::{Path, PathBuf};

use hearth_sdk::conf::{self, Record};

use crate::COMMANDS;

struct Tree {
    _temp: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    fn run(&self, command: &str, args: &[&str]) -> (u8, String) {
        hearth_sdk::run_under(COMMANDS, &self.root, "admin", command, args)
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative)).unwrap_or_default()
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn domain(&self) -> Record {
        conf::parse_list(&self.read("user/dns.conf")).unwrap()[0].clone()
    }

    fn records(&self) -> Vec<Record> {
        conf::parse_list(&self.read("user/dns/example.com.conf")).unwrap()
    }

    fn user_value(&self, key: &str) -> String {
        conf::parse_source(&self.read("user/user.conf"))
            .unwrap()
            .value(key)
            .to_string()
    }
}

/// A user `alice` with `example.com` as `v-add-dns-domain` leaves it.
fn tree() -> Tree {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().to_path_buf();
    let tree = Tree {
        _temp: temp,
        root: root.clone(),
    };
    tree.write(
        "conf/hestia.conf",
        "DNS_SYSTEM='bind9'\nDEMO_MODE='no'\nENFORCE_SUBDOMAIN_OWNERSHIP='yes'\n",
    );
    tree.write(
        "user/user.conf",
        "NAME='Alice'\nDNS_TEMPLATE='default'\nDNS_DOMAINS='unlimited'\nDNS_RECORDS='unlimited'\n\
         NS='ns1.example.net,ns2.example.net'\nSUSPENDED='no'\nSUSPENDED_DNS='0'\n\
         U_DNS_DOMAINS='1'\nU_DNS_RECORDS='3'\n",
    );
    tree.write(
        "user/dns.conf",
        "DOMAIN='example.com' IP='192.0.2.1' TPL='default' TTL='14400' EXP='2030-01-01' \
         SOA='ns1.example.net' SERIAL='2000010101' SRC='' RECORDS='3' DNSSEC='no' KEY='' \
         SLAVE='no' MASTER='' SUSPENDED='no' TIME='10:00:00' DATE='2000-01-01'\n",
    );
    tree.write(
        "user/dns/example.com.conf",
        "ID='1' RECORD='@' TYPE='NS' PRIORITY='' VALUE='ns1.example.net.' SUSPENDED='no' TIME='10:00:00' DATE='2000-01-01'\n\
         ID='2' RECORD='@' TYPE='NS' PRIORITY='' VALUE='ns2.example.net.' SUSPENDED='no' TIME='10:00:00' DATE='2000-01-01'\n\
         ID='3' RECORD='@' TYPE='A' PRIORITY='' VALUE='192.0.2.1' SUSPENDED='no' TIME='10:00:00' DATE='2000-01-01'\n",
    );
    std::fs::create_dir_all(root.join("home/alice")).unwrap();
    tree
}

fn zone_path(root: &Path) -> PathBuf {
    root.join("home/alice/conf/dns/example.com.db")
}

#[test]
fn add_record_appends_bumps_serial_and_renders_zone() {
    let t = tree();
    let (code, out) = t.run(
        "v-add-dns-record",
        &[
            "alice",
            "example.com",
            "www",
            "a",
            "192.0.2.2",
            "",
            "",
            "no",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    let records = t.records();
    assert_eq!(records.len(), 4);
    assert_eq!(records[3].value("ID"), "4");
    assert_eq!(records[3].value("TYPE"), "A");
    let keys: Vec<&str> = records[3].iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "ID",
            "RECORD",
            "TYPE",
            "PRIORITY",
            "VALUE",
            "SUSPENDED",
            "TIME",
            "DATE"
        ]
    );
    let domain = t.domain();
    assert_eq!(domain.value("RECORDS"), "4");
    assert!(domain.value("SERIAL").parse::<u64>().unwrap() > 2000010101);
    assert_eq!(t.user_value("U_DNS_RECORDS"), "4");
    let zone = std::fs::read_to_string(zone_path(&t.root)).unwrap();
    assert!(zone.contains(domain.value("SERIAL")), "{zone}");
    assert!(zone.contains("www\t14400\tIN\tA\t\t192.0.2.2\n"), "{zone}");
    assert!(
        t.read("user/history.log")
            .contains("Added DNS record (Type: A, Value: www, Domain: example.com).")
    );
}

#[test]
fn add_record_failures_follow_hestia() {
    let t = tree();
    let cases: &[(&[&str], u8, &str)] = &[
        (
            &["alice", "example.com", "*", "A", "198.18.0.125", "", "0"],
            2,
            "Error: invalid id format :: 0",
        ),
        (
            &["alice", "example.com", "x", "A", "192.0.2.9", "", "3", "no"],
            4,
            "Error: ID=3 already exists",
        ),
        (
            &["alice", "example.com", "x", "BOGUS", "1"],
            2,
            "Error: invalid dns record type format :: BOGUS",
        ),
        (
            &["alice", "example.com", "x", "A", "300.1.1.1"],
            2,
            "Error: invalid A record format :: 300.1.1.1",
        ),
        (
            &["alice", "example.com", "@", "CNAME", "other.example.net"],
            2,
            "Error: CNAME on root is not allowed",
        ),
        (
            &["alice", "example.com", "a b", "A", "192.0.2.1"],
            2,
            "Error: invalid record format :: a b",
        ),
        (
            &["alice", "missing.com", "x", "A", "192.0.2.1"],
            3,
            "Error: dns domain missing.com doesn't exist",
        ),
        (
            &[
                "alice",
                "example.com",
                "x",
                "A",
                "192.0.2.1",
                "",
                "",
                "bogus",
            ],
            2,
            "Error: invalid restart format :: bogus",
        ),
        (
            &[
                "alice",
                "example.com",
                "x",
                "A",
                "192.0.2.1",
                "",
                "",
                "no",
                "1h",
            ],
            2,
            "Error: invalid ttl format :: 1h",
        ),
        (
            &["alice", "example.com", "x", "CNAME", "www"],
            2,
            "Error: CNAME record www should be a fully qualified domain name (FQDN)",
        ),
        (
            &[
                "alice",
                "example.com",
                "@",
                "NS",
                "ns9.example.com",
                "",
                "",
                "no",
            ],
            3,
            "Error: IN A ns9.example.com does not exist",
        ),
        (
            &["alice", "example.com", "x", "A"],
            1,
            "Usage: v-add-dns-record USER DOMAIN RECORD TYPE VALUE [PRIORITY] [ID] [RESTART] [TTL]",
        ),
    ];
    let before = t.read("user/dns/example.com.conf");
    for (args, code, output) in cases {
        assert_eq!(
            t.run("v-add-dns-record", args),
            (*code, output.to_string()),
            "{args:?}"
        );
    }
    assert_eq!(t.read("user/dns/example.com.conf"), before);
}

#[test]
fn record_limit_and_suspended_domain() {
    let t = tree();
    let conf = t
        .read("user/user.conf")
        .replace("DNS_RECORDS='unlimited'", "DNS_RECORDS='3'");
    t.write("user/user.conf", &conf);
    assert_eq!(
        t.run(
            "v-add-dns-record",
            &["alice", "example.com", "x", "A", "192.0.2.1"]
        ),
        (
            8,
            "Error: DNS_RECORDS limit is reached :: upgrade user package".to_string()
        )
    );
    assert_eq!(
        t.run("v-suspend-dns-domain", &["alice", "example.com", "no"]),
        (0, String::new())
    );
    assert_eq!(
        t.run(
            "v-add-dns-record",
            &["alice", "example.com", "x", "A", "192.0.2.1"]
        ),
        (5, "Error: dns example.com is suspended".to_string())
    );
    assert_eq!(
        t.run("v-suspend-dns-domain", &["alice", "example.com", "no"]),
        (5, "Error: dns example.com is suspended".to_string())
    );
    assert_eq!(t.user_value("SUSPENDED_DNS"), "1");
    assert!(t.records().iter().all(|r| r.value("SUSPENDED") == "yes"));
    let zone = std::fs::read_to_string(zone_path(&t.root)).unwrap();
    assert!(!zone.contains("IN\tA"), "{zone}");
    assert_eq!(
        t.run("v-unsuspend-dns-domain", &["alice", "example.com", "no"]),
        (0, String::new())
    );
    assert_eq!(
        t.run("v-unsuspend-dns-domain", &["alice", "example.com", "no"]),
        (6, "Error: dns example.com is not suspended".to_string())
    );
    assert_eq!(t.user_value("SUSPENDED_DNS"), "0");
    let zone = std::fs::read_to_string(zone_path(&t.root)).unwrap();
    assert!(zone.contains("@\t14400\tIN\tA\t\t192.0.2.1"), "{zone}");
}

#[test]
fn change_record_and_no_pending_changes() {
    let t = tree();
    let args = ["alice", "example.com", "3", "@", "A", "192.0.2.7", "", "no"];
    assert_eq!(t.run("v-change-dns-record", &args), (0, String::new()));
    let serial = t.domain().value("SERIAL").to_string();
    assert_eq!(t.records()[2].value("VALUE"), "192.0.2.7");
    assert_eq!(
        t.run("v-change-dns-record", &args),
        (4, "No pending changes in DNS entry.".to_string())
    );
    assert_eq!(t.domain().value("SERIAL"), serial);
    assert_eq!(
        t.run(
            "v-change-dns-record",
            &["alice", "example.com", "0", "@", "A", "192.0.2.7"]
        ),
        (2, "Error: invalid id format :: 0".to_string())
    );
    assert_eq!(
        t.run(
            "v-change-dns-record",
            &["alice", "example.com", "9", "@", "A", "192.0.2.7"]
        ),
        (3, "Error: example.com id 9 doesn't exist".to_string())
    );
    // An empty TYPE keeps the record's type; a TTL is a change.
    assert_eq!(
        t.run(
            "v-change-dns-record",
            &[
                "alice",
                "example.com",
                "3",
                "@",
                "",
                "192.0.2.7",
                "",
                "no",
                "300"
            ]
        ),
        (0, String::new())
    );
    assert_eq!(t.records()[2].value("TTL"), "300");
    assert!(t.domain().value("SERIAL").parse::<u64>().unwrap() > serial.parse().unwrap());
}

#[test]
fn delete_record_keeps_the_last_a_and_ns() {
    let t = tree();
    assert_eq!(
        t.run("v-delete-dns-record", &["alice", "example.com", "3", "no"]),
        (
            2,
            "Error: at least one A record should remain active".to_string()
        )
    );
    assert_eq!(
        t.run("v-delete-dns-record", &["alice", "example.com", "2", "no"]),
        (0, String::new())
    );
    assert_eq!(
        t.run("v-delete-dns-record", &["alice", "example.com", "2", "no"]),
        (3, "Error: example.com id 2 doesn't exist".to_string())
    );
    assert_eq!(
        t.run("v-delete-dns-record", &["alice", "example.com", "1", "no"]),
        (
            2,
            "Error: at least one NS record should remain active".to_string()
        )
    );
    assert_eq!(t.domain().value("RECORDS"), "2");
    assert_eq!(t.user_value("U_DNS_RECORDS"), "2");
}

#[test]
fn quotes_are_stored_as_hestia_does_and_listed_back() {
    let t = tree();
    let (code, out) = t.run(
        "v-add-dns-record",
        &[
            "alice",
            "example.com",
            "note",
            "TXT",
            "it's a \"test\" \\o/",
            "",
            "",
            "no",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    let stored = t.records()[3].value("VALUE").to_string();
    assert_eq!(stored, "\"it%quote%s a test \\o/\"");
    let (code, json) = t.run("v-list-dns-records", &["alice", "example.com", "json"]);
    assert_eq!(code, 0);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["4"]["VALUE"], "\"it's a test \\o/\"");
    assert_eq!(parsed["4"]["TTL"], "14400");
    let zone = std::fs::read_to_string(zone_path(&t.root)).unwrap();
    assert!(
        zone.contains("note\t14400\tIN\tTXT\t\t\"it's a test \\o/\"\n"),
        "{zone}"
    );
}

#[test]
fn lists_in_every_format() {
    let t = tree();
    let (code, json) = t.run("v-list-dns-domains", &["alice", "json"]);
    assert_eq!(code, 0);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["example.com"]["SERIAL"], "2000010101");
    assert_eq!(parsed["example.com"]["DNSSEC"], "no");
    let keys: Vec<&String> = parsed["example.com"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 12);

    let (_, plain) = t.run("v-list-dns-domains", &["alice", "plain"]);
    assert_eq!(
        plain,
        "example.com\t192.0.2.1\tdefault\t14400\t2030-01-01\tns1.example.net\tno\t2000010101\t\t3\tno\t10:00:00\t2000-01-01\n"
    );
    let (_, csv) = t.run("v-list-dns-domains", &["alice", "csv"]);
    assert_eq!(
        csv,
        "DOMAIN,IP,TPL,TTL,EXP,SOA,SERIAL,SRC,DNSSEC,RECORDS,SUSPENDED,TIME,DATE\n\
         example.com,192.0.2.1,default,14400,2030-01-01,ns1.example.net,2000010101,,no,3,no,10:00:00,2000-01-01\n"
    );
    let (_, shell) = t.run("v-list-dns-domains", &["alice"]);
    assert_eq!(
        shell,
        "DOMAIN       IP         TPL      TTL    DNSSEC  REC  SPND  DATE\n\
         ------       --         ---      ---    ------  ---  ----  ----\n\
         example.com  192.0.2.1  default  14400  no      3    no    2000-01-01\n"
    );
    assert_eq!(
        t.run("v-list-dns-domains", &["alice", ""]),
        (0, String::new())
    );

    let (_, one) = t.run("v-list-dns-domain", &["alice", "example.com", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(parsed["example.com"]["SOA"], "ns1.example.net");
    let (_, shell) = t.run("v-list-dns-domain", &["alice", "example.com"]);
    assert!(shell.starts_with(
        "DOMAIN:         example.com\nIP:             192.0.2.1\nTEMPLATE:       default\n"
    ));
    assert_eq!(
        t.run("v-list-dns-domain", &["alice", "nope.com", "json"]),
        (3, "Error: dns domain nope.com doesn't exist".to_string())
    );

    let (_, plain) = t.run("v-list-dns-records", &["alice", "example.com", "plain"]);
    assert_eq!(
        plain.lines().next().unwrap(),
        "1\t@\tNS\t\tns1.example.net.\tno\t10:00:00\t2000-01-01\t14400"
    );
    let (_, csv) = t.run("v-list-dns-records", &["alice", "example.com", "csv"]);
    assert_eq!(
        csv.lines().take(2).collect::<Vec<_>>(),
        [
            "ID,RECORD,TYPE,PRIORITY,VALUE,SUSPENDED,TIME,DATE,TTL",
            "1,@,NS,,\"ns1.example.net.\",no,10:00:00,2000-01-01,14400"
        ]
    );
    let (_, shell) = t.run("v-list-dns-records", &["alice", "example.com", "shell"]);
    assert_eq!(
        shell.lines().next().unwrap(),
        "ID  RECORD  TYPE  VALUE             DATE        TTL"
    );
    let (_, empty) = t.run("v-list-dns-domains", &["alice", "json"]);
    assert!(empty.starts_with("{\n    \"example.com\": {\n        \"IP\": \"192.0.2.1\",\n"));
}

#[test]
fn quiet_calls_leave_no_history() {
    let t = tree();
    let args = [
        "alice",
        "example.com",
        "mail._domainkey",
        "TXT",
        "v=DKIM1\\; k=rsa\\; p=MIIB",
        "",
        "",
        "no",
        "",
        "yes",
    ];
    assert_eq!(t.run("v-add-dns-record", &args), (0, String::new()));
    let added = t.records()[3].clone();
    assert_eq!(added.value("VALUE"), "\"v=DKIM1\\; k=rsa\\; p=MIIB\"");
    assert_eq!(
        t.run(
            "v-delete-dns-record",
            &["alice", "example.com", added.value("ID"), "no", "yes"]
        ),
        (0, String::new())
    );
    assert_eq!(t.read("user/history.log"), "");
    assert_eq!(t.records().len(), 3);
}

/// The receiving side of the DNS cluster, as a master's `func/remote.sh` calls it: all
/// eight arguments, many empty.
mod cluster {
    use super::*;

    fn run8(t: &Tree, command: &str, args: &[&str]) -> (u8, String) {
        let mut all = args.to_vec();
        all.resize(8, "");
        t.run(command, &all)
    }

    const LINE: &str = "DOMAIN='example.com' IP='192.0.2.9' TPL='default' TTL='3600' EXP='2031-01-01' \
        SOA='ns1.example.net' SERIAL='2030010107' SRC='' RECORDS='1' DNSSEC='no' KEY='' \
        SLAVE='no' MASTER='' SUSPENDED='no' TIME='09:00:00' DATE='2030-01-01'";

    #[test]
    fn insert_domain_replaces_the_line_with_the_masters_values() {
        let t = tree();
        // FLUSH=no on an existing domain: it must be new.
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-domain",
                &["alice", LINE, "master1", "no", "no"]
            ),
            (4, "Error: DNS domain example.com exists".to_string())
        );
        // FLUSH '' (Hestia sends ' ', PHP trims it): the line is replaced.
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-domain",
                &["alice", LINE, "master1", "", "no"]
            ),
            (0, String::new())
        );
        let domain = t.domain();
        assert_eq!(domain.value("IP"), "192.0.2.9");
        assert_eq!(domain.value("SERIAL"), "2030010107");
        assert_eq!(domain.value("SRC"), "master1");
        assert_ne!(domain.value("DATE"), "2030-01-01");
        let keys: Vec<&str> = domain.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, crate::cluster::tests_domain_keys());
        // The records stay until FLUSH=records.
        assert_eq!(t.records().len(), 3);
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-domain",
                &["alice", LINE, "master1", "records", "no"]
            ),
            (0, String::new())
        );
        assert!(t.records().is_empty());
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-domain",
                &["alice", "DOMAIN='example.com", "m", "", "no"]
            ),
            (
                2,
                "Error: Invalid object format: DOMAIN='example.com".to_string()
            )
        );
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-domain",
                &["alice", LINE, "m", "", "bogus"]
            )
            .0,
            2
        );
    }

    #[test]
    fn insert_records_takes_the_whole_file_and_rebuild_keeps_the_serial() {
        let t = tree();
        let file = "ID='2' RECORD='@' TYPE='NS' PRIORITY='' VALUE='ns9.example.net.' SUSPENDED='no' TIME='09:00:00' DATE='2030-01-01'\n\
                    ID='1' RECORD='www' TYPE='A' PRIORITY='' VALUE='192.0.2.77' SUSPENDED='no' TIME='09:00:00' DATE='2030-01-01'\n";
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-records",
                &["alice", "example.com", file, "no"]
            ),
            (0, String::new())
        );
        let ids: Vec<String> = t
            .records()
            .iter()
            .map(|r| r.value("ID").to_string())
            .collect();
        assert_eq!(ids, ["1", "2"]);
        // A path whose file never arrived changes nothing (Hestia's `[ -e FILE ]`).
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-records",
                &["alice", "example.com", "/tmp/vst-sync.x", "no"]
            ),
            (0, String::new())
        );
        assert_eq!(t.records().len(), 2);
        // A bad line refuses the whole file.
        let (code, _) = run8(
            &t,
            "v-insert-dns-records",
            &[
                "alice",
                "example.com",
                "ID='3' RECORD='a b' TYPE='A' VALUE='1.2.3.4'\n",
                "no",
            ],
        );
        assert_eq!(code, 2);
        assert_eq!(t.records().len(), 2);
        // One record, replacing the same ID.
        let changed = "ID='1' RECORD='www' TYPE='A' PRIORITY='' VALUE='192.0.2.78' SUSPENDED='no' TIME='09:00:00' DATE='2030-01-01'";
        assert_eq!(
            run8(
                &t,
                "v-insert-dns-record",
                &["alice", "example.com", changed, "no"]
            ),
            (0, String::new())
        );
        assert_eq!(t.records().len(), 2);
        assert_eq!(t.records()[0].value("VALUE"), "192.0.2.78");
        // UPDATE_SERIAL=no keeps the master's serial; RECORDS and the counters follow.
        assert_eq!(
            run8(
                &t,
                "v-rebuild-dns-domain",
                &["alice", "example.com", "no", "no"]
            ),
            (0, String::new())
        );
        let domain = t.domain();
        assert_eq!(domain.value("SERIAL"), "2000010101");
        assert_eq!(domain.value("RECORDS"), "2");
        assert_eq!(t.user_value("U_DNS_RECORDS"), "2");
        assert_eq!(t.user_value("U_DNS_DOMAINS"), "1");
        let zone = std::fs::read_to_string(zone_path(&t.root)).unwrap();
        assert!(zone.contains("2000010101"), "{zone}");
        assert!(zone.contains("www\t14400\tIN\tA\t\t192.0.2.78\n"), "{zone}");
        // v-rebuild-dns-domains: UPDATE_SERIAL is `${3-no}`: absent keeps it, an empty
        // argument (as a master sends) raises it.
        assert_eq!(
            t.run("v-rebuild-dns-domains", &["alice", "no"]),
            (0, String::new())
        );
        assert_eq!(t.domain().value("SERIAL"), "2000010101");
        assert_eq!(
            run8(&t, "v-rebuild-dns-domains", &["alice", "no"]),
            (0, String::new())
        );
        assert!(t.domain().value("SERIAL").parse::<u64>().unwrap() > 2000010101);
    }

    #[test]
    fn delete_by_source_refuses_an_empty_source() {
        let t = tree();
        assert_eq!(
            run8(&t, "v-delete-dns-domains-src", &["alice", "", "no"]),
            (2, "Error: invalid src format :: ".to_string())
        );
        // No domain from that source: nothing to do.
        assert_eq!(
            run8(&t, "v-delete-dns-domains-src", &["alice", "master9", "no"]),
            (0, String::new())
        );
        assert_eq!(t.records().len(), 3);
    }
}
