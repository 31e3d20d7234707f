//! The DNS cluster over Hestia's protocol: the receiving side driven by a replay of
//! Hestia's own client (`func/remote.sh` with curl), and two real hearth instances on
//! loopback keeping each other's zones in sync (full sync, incremental pushes, a peer
//! outage). Zone files are checked with BIND's `named-checkzone`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hearth_sdk::conf::{self, Record};
use support::*;

/// The sync user on a receiving server (Hestia's default `DNS_USER`).
const DNS_USER: &str = "dns-cluster";

/// How long a peer may take to converge.
const CONVERGE: Duration = Duration::from_secs(60);

/// Makes `server` a DNS-cluster peer as Hestia's documentation prescribes: a `dns-cluster`
/// user with that role, and an access key of the root admin limited to `sync-dns-cluster`.
fn prepare_peer(server: &Server) -> Key {
    add_user(server, DNS_USER);
    set_role(server.data_dir(), DNS_USER, "dns-cluster");
    server.add_key("admin", "sync-dns-cluster")
}

fn set_role(data: &Path, user: &str, role: &str) {
    let path = data.join(format!("data/users/{user}/user.conf"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut record = conf::parse_source(&text).unwrap();
    record.set("ROLE", role);
    std::fs::write(&path, record.to_source().unwrap()).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The `dns.conf` lines of a user, by domain.
fn domains(data: &Path, user: &str) -> Vec<Record> {
    conf::parse_list(&read(&data.join(format!("data/users/{user}/dns.conf")))).unwrap()
}

fn records_file(data: &Path, user: &str, domain: &str) -> String {
    read(&data.join(format!("data/users/{user}/dns/{domain}.conf")))
}

fn zone_path(data: &Path, user: &str, domain: &str) -> PathBuf {
    data.join(format!("home/{user}/conf/dns/{domain}.db"))
}

/// `named-checkzone DOMAIN FILE` must accept the zone.
#[track_caller]
fn check_zone(domain: &str, path: &Path) {
    let output = run(Command::new("named-checkzone").arg(domain).arg(path));
    assert_eq!(
        output.code,
        0,
        "named-checkzone {domain} {}: {output:?}\n{}",
        path.display(),
        read(path)
    );
}

/// The fields a peer copies from the master's `dns.conf` line (SRC, TIME and DATE are its
/// own).
fn copied_fields(record: &Record) -> Vec<(String, String)> {
    record
        .iter()
        .filter(|(key, _)| !matches!(*key, "SRC" | "TIME" | "DATE"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The first way in which `peer`'s `dns-cluster` user differs from `master`'s domains of
/// `user`: the `dns.conf` values (SRC = `source`), the records, the zone file (which BIND
/// must accept, unless the zone is suspended and so has no records).
fn mirror_difference(master: &Path, user: &str, peer: &Path, source: &str) -> Option<String> {
    let ours = domains(master, user);
    let theirs = domains(peer, DNS_USER);
    let names = |list: &[Record]| {
        let mut names: Vec<String> = list.iter().map(|r| r.value("DOMAIN").to_string()).collect();
        names.sort();
        names
    };
    if names(&theirs) != names(&ours) {
        return Some(format!(
            "domains differ: {:?} on the peer, {:?} on the master",
            names(&theirs),
            names(&ours)
        ));
    }
    for line in &ours {
        let domain = line.value("DOMAIN");
        let copy = theirs.iter().find(|r| r.value("DOMAIN") == domain)?;
        if copied_fields(copy) != copied_fields(line) {
            return Some(format!("dns.conf of {domain}: {copy} vs {line}"));
        }
        if copy.value("SRC") != source {
            return Some(format!("SRC of {domain}: {}", copy.value("SRC")));
        }
        let (theirs_records, ours_records) = (
            records_file(peer, DNS_USER, domain),
            records_file(master, user, domain),
        );
        if theirs_records != ours_records {
            return Some(format!(
                "records of {domain}:\n{theirs_records}\nvs\n{ours_records}"
            ));
        }
        let zone = zone_path(peer, DNS_USER, domain);
        if read(&zone) != read(&zone_path(master, user, domain)) {
            return Some(format!("zone of {domain}:\n{}", read(&zone)));
        }
        if line.value("SUSPENDED") != "yes" {
            let output = run(Command::new("named-checkzone").arg(domain).arg(&zone));
            if output.code != 0 {
                return Some(format!(
                    "named-checkzone {domain}: {output:?}\n{}",
                    read(&zone)
                ));
            }
        }
    }
    None
}

#[track_caller]
fn assert_mirrors(master: &Path, user: &str, peer: &Path, source: &str) {
    if let Some(difference) = mirror_difference(master, user, peer, source) {
        panic!("the peer does not mirror the master: {difference}");
    }
}

/// Waits until `peer` mirrors `master`.
#[track_caller]
fn wait_for_mirror(master: &Path, user: &str, peer: &Path, source: &str) {
    let deadline = Instant::now() + CONVERGE;
    while Instant::now() < deadline {
        if mirror_difference(master, user, peer, source).is_none() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_mirrors(master, user, peer, source);
}

/// This machine's host name: the SRC a hearth master gives the domains it pushes.
fn hostname() -> String {
    read(Path::new("/proc/sys/kernel/hostname"))
        .trim()
        .to_string()
}

/// The JSON of `v-list-dns-domains USER json` (root key).
fn list_domains(server: &Server, user: &str) -> serde_json::Value {
    server
        .v2(false, "v-list-dns-domains", &[user, "json"])
        .expect_status(200, Some("0"))
        .json()
}

fn list_records(server: &Server, user: &str, domain: &str) -> serde_json::Value {
    server
        .v2(false, "v-list-dns-records", &[user, domain, "json"])
        .expect_status(200, Some("0"))
        .json()
}

/// A master data root (not served) with `alice` and two zones, made by `hearth call`.
fn master_tree() -> PathBuf {
    let base = temp_dir("hearth-master-");
    let data = base.join("data");
    init(&data, Some(ADMIN_PASSWORD));
    let call = |command: &str, args: &[&str]| {
        let output = run(hearth(&data).arg("call").arg(command).args(args));
        assert_eq!(output.code, 0, "{command} {args:?}: {output:?}");
    };
    call(
        "v-add-user",
        &["alice", "t3st-p4ssw0rd", "alice@example.com"],
    );
    call("v-add-dns-domain", &["alice", "alpha.net", "192.0.2.10"]);
    call(
        "v-add-dns-record",
        &["alice", "alpha.net", "host1", "A", "192.0.2.11"],
    );
    call(
        "v-add-dns-record",
        &["alice", "alpha.net", "@", "TXT", "v=spf1 a mx -all"],
    );
    call("v-add-dns-domain", &["alice", "beta.net", "192.0.2.20"]);
    data
}

fn replay(peer: &Server, key: &Key, master: &Path, source: &str) -> Output {
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/cluster/hestia-sync.sh"
    ));
    run(Command::new("bash")
        .arg(script)
        .arg("127.0.0.1")
        .arg(peer.port().to_string())
        .arg(key.pair())
        .arg(DNS_USER)
        .arg(master)
        .arg(source))
}

#[test]
fn hestia_client_full_sync_is_accepted() {
    let peer = Server::start();
    let key = prepare_peer(&peer);
    let master = master_tree();
    let source = "ns1.master.example";

    let output = replay(&peer, &key, &master, source);
    assert_eq!(
        output.code, 0,
        "the replayed Hestia sync failed: {output:?}"
    );
    assert_mirrors(&master, "alice", peer.data_dir(), source);

    // The list output on the peer: both zones, from the master.
    let listed = list_domains(&peer, DNS_USER);
    assert_eq!(listed["alpha.net"]["SRC"], source);
    assert_eq!(listed["alpha.net"]["IP"], "192.0.2.10");
    assert_eq!(listed["beta.net"]["SRC"], source);
    assert_eq!(list_records(&peer, DNS_USER, "alpha.net"), {
        let master_server_view = run(hearth(&master).arg("call").arg("v-list-dns-records").args([
            "alice",
            "alpha.net",
            "json",
        ]));
        serde_json::from_str::<serde_json::Value>(&master_server_view.stdout).unwrap()
    });
    let counters = read(&peer.path(&format!("data/users/{DNS_USER}/user.conf")));
    assert_eq!(conf_value(&counters, "U_DNS_DOMAINS").as_deref(), Some("2"));

    // A second full sync changes nothing and duplicates nothing.
    let before = records_file(peer.data_dir(), DNS_USER, "alpha.net");
    let output = replay(&peer, &key, &master, source);
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(records_file(peer.data_dir(), DNS_USER, "alpha.net"), before);
    assert_eq!(domains(peer.data_dir(), DNS_USER).len(), 2);

    // A zone deleted on the master disappears on the next full sync; the peer's own
    // domains (another SRC) are left alone.
    ok(
        &peer,
        "v-add-dns-domain",
        &[DNS_USER, "local.example", "192.0.2.99"],
    );
    let deleted =
        run(hearth(&master)
            .arg("call")
            .args(["v-delete-dns-domain", "alice", "beta.net"]));
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let output = replay(&peer, &key, &master, source);
    assert_eq!(output.code, 0, "{output:?}");
    let names: Vec<String> = domains(peer.data_dir(), DNS_USER)
        .iter()
        .map(|r| r.value("DOMAIN").to_string())
        .collect();
    assert_eq!(names, ["local.example", "alpha.net"]);
    assert!(!zone_path(peer.data_dir(), DNS_USER, "beta.net").exists());

    // The key cannot do anything outside its set.
    let refused = peer.api(
        Auth::KeyHash(&key),
        true,
        "v-add-user",
        &["x", "y", "z@example.com"],
    );
    refused.expect_status(401, Some("10"));
    let _ = std::fs::remove_dir_all(master.parent().unwrap());
}

#[test]
fn receiving_commands_follow_hestia_conventions() {
    let peer = Server::start();
    let key = prepare_peer(&peer);
    let auth = Auth::KeyHash(&key);
    let line = "DOMAIN='example.net' IP='192.0.2.30' TPL='default' TTL='14400' EXP='2030-01-01' \
                SOA='ns1.example.net' SERIAL='2026010105' SRC='' RECORDS='2' DNSSEC='no' KEY='' \
                SLAVE='no' MASTER='' SUSPENDED='no' TIME='10:00:00' DATE='2026-01-01'";
    // All eight arguments, the FLUSH ' ' trimmed to '' (replace), an empty FORMAT.
    let send = |command: &str, args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.resize(8, "");
        peer.api(auth, true, command, &all).body
    };
    assert_eq!(
        send(
            "v-insert-dns-domain",
            &[DNS_USER, line, "master1", " ", "no"]
        ),
        "0"
    );
    // FLUSH=no on an existing domain: E_EXISTS.
    assert_eq!(
        send(
            "v-insert-dns-domain",
            &[DNS_USER, line, "master1", "no", "no"]
        ),
        "4"
    );
    // The strict parser.
    assert_eq!(
        send(
            "v-insert-dns-domain",
            &[DNS_USER, "DOMAIN='broken", "master1", "", "no"]
        ),
        "2"
    );
    assert_eq!(
        send(
            "v-insert-dns-domain",
            &[DNS_USER, "IP='192.0.2.1'", "master1", "", "no"]
        ),
        "1"
    );
    assert_eq!(
        send(
            "v-insert-dns-domain",
            &[
                DNS_USER,
                "DOMAIN='evil.example' SOA='ns1.x. ; $INCLUDE /etc/passwd'",
                "m",
                "",
                "no"
            ]
        ),
        "2"
    );
    // Records: one at a time (replacing the same ID), then rebuilt with the master's serial.
    let a = "ID='1' RECORD='@' TYPE='A' PRIORITY='' VALUE='192.0.2.30' SUSPENDED='no' TIME='10:00:00' DATE='2026-01-01'";
    let ns = "ID='2' RECORD='@' TYPE='NS' PRIORITY='' VALUE='ns1.example.com.' SUSPENDED='no' TIME='10:00:00' DATE='2026-01-01'";
    assert_eq!(
        send("v-insert-dns-record", &[DNS_USER, "example.net", a, "no"]),
        "0"
    );
    assert_eq!(
        send("v-insert-dns-record", &[DNS_USER, "example.net", ns, "no"]),
        "0"
    );
    assert_eq!(
        send("v-insert-dns-record", &[DNS_USER, "example.net", a, "no"]),
        "0"
    );
    assert_eq!(
        records_file(peer.data_dir(), DNS_USER, "example.net"),
        format!("{a}\n{ns}\n")
    );
    assert_eq!(
        send(
            "v-rebuild-dns-domain",
            &[DNS_USER, "example.net", "yes", "no"]
        ),
        "0"
    );
    let zone = zone_path(peer.data_dir(), DNS_USER, "example.net");
    check_zone("example.net", &zone);
    assert!(read(&zone).contains("2026010105"), "{}", read(&zone));
    // An empty FORMAT prints nothing.
    peer.api(auth, false, "v-list-user", &[DNS_USER, ""])
        .expect(204, Some("0"), "");
    // A records file named but never spooled changes nothing.
    assert_eq!(
        send(
            "v-insert-dns-records",
            &[DNS_USER, "example.net", "/tmp/vst-sync.none", "no"]
        ),
        "0"
    );
    assert_eq!(
        records_file(peer.data_dir(), DNS_USER, "example.net"),
        format!("{a}\n{ns}\n")
    );
    // Another principal cannot use this key's spooled file.
    peer.v2(true, "v-make-tmp-file", &[ns, "vst-sync.example.net"])
        .expect(200, Some("0"), "0");
    assert_eq!(
        send(
            "v-insert-dns-records",
            &[DNS_USER, "example.net", "/tmp/vst-sync.example.net", "no"]
        ),
        "0"
    );
    assert_eq!(
        records_file(peer.data_dir(), DNS_USER, "example.net"),
        format!("{a}\n{ns}\n")
    );
    // An empty SRC would name every local domain: refused.
    assert_eq!(send("v-delete-dns-domains-src", &[DNS_USER, "", "no"]), "2");
    assert_eq!(
        send("v-delete-dns-domains-src", &[DNS_USER, "master1", "no"]),
        "0"
    );
    assert!(domains(peer.data_dir(), DNS_USER).is_empty());
    assert!(!zone.exists());
    // The restart job lands once in the root user's cron jobs.
    assert_eq!(send("v-add-cron-restart-job", &[]), "0");
    assert_eq!(send("v-add-cron-restart-job", &[]), "0");
    let cron = read(&peer.path("data/users/admin/cron.conf"));
    assert_eq!(
        cron.matches("v-update-sys-queue restart").count(),
        1,
        "{cron}"
    );
}

/// `hearth serve` on a data root the test keeps across restarts, on a fixed port.
struct Instance {
    data: PathBuf,
    base: PathBuf,
    child: Option<Child>,
    port: u16,
    root: Key,
}

impl Instance {
    fn new() -> Self {
        let base = temp_dir("hearth-peer-");
        let data = base.join("data");
        init(&data, Some(ADMIN_PASSWORD));
        let root = key_add(&data, "");
        Self {
            data,
            base,
            child: None,
            port: 0,
            root,
        }
    }

    /// Starts serving, on the port of the previous start when there was one.
    fn start(&mut self) {
        let config = write_test_config(&self.base.join("hearth.toml"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.base.join("server.log"))
            .unwrap();
        let mut child = hearth(&self.data)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines.next().expect("serve announced no port").unwrap();
            if let Some(rest) = line.strip_prefix("listening on https://") {
                break rest.rsplit(':').next().unwrap().parse::<u16>().unwrap();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        self.port = port;
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            sigterm(child.id());
            if wait_timeout(&mut child, Duration::from_secs(30)).is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    fn log(&self) -> String {
        read(&self.base.join("server.log"))
    }

    /// A call with the root admin's unrestricted key.
    fn v2(&self, returncode: bool, command: &str, args: &[&str]) -> Response {
        post_form_to(
            self.port,
            &call_fields(Auth::Key(&self.root), returncode, command, args),
        )
    }

    /// A silent command that must succeed.
    #[track_caller]
    fn ok(&self, command: &str, args: &[&str]) {
        self.v2(false, command, args).expect(204, Some("0"), "");
    }

    /// Makes this instance a DNS-cluster peer (see [`prepare_peer`]); returns the
    /// `sync-dns-cluster` key.
    fn prepare_peer(&self) -> Key {
        self.ok(
            "v-add-user",
            &[DNS_USER, "t3st-p4ssw0rd", "dns@example.com"],
        );
        set_role(&self.data, DNS_USER, "dns-cluster");
        key_add(&self.data, "sync-dns-cluster")
    }

    /// The peer list line for the first peer.
    fn peer_line(&self) -> Record {
        conf::parse_list(&read(&self.data.join("conf/dns-cluster.conf"))).unwrap()[0].clone()
    }

    fn queued(&self) -> usize {
        std::fs::read_dir(self.data.join("data/queue/dns-cluster"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".job"))
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("HEARTH_TEST_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }
}

/// `hearth key add admin --permissions SETS`.
fn key_add(data: &Path, sets: &str) -> Key {
    let output = run(hearth(data).args(["key", "add", "admin", "--permissions", sets]));
    assert_eq!(output.code, 0, "{output:?}");
    parse_key(&output.stdout)
}

#[track_caller]
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + CONVERGE;
    while Instant::now() < deadline {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// Registers B on A (`v-add-remote-dns-host 127.0.0.1 PORT ID:SECRET '' api dns-cluster`).
#[track_caller]
fn register(a: &Instance, port: u16, key: &Key) {
    let port = port.to_string();
    let pair = key.pair();
    a.v2(
        true,
        "v-add-remote-dns-host",
        &["127.0.0.1", &port, &pair, "", "api", DNS_USER],
    )
    .expect(200, Some("0"), "0");
}

/// The record ID of `name` in A's zone.
fn record_id(a: &Instance, user: &str, domain: &str, name: &str) -> String {
    a.v2(false, "v-list-dns-records", &[user, domain, "json"])
        .json()
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["RECORD"] == name)
        .map(|(id, _)| id.clone())
        .unwrap()
}

#[test]
fn two_instances_stay_in_sync() {
    let mut a = Instance::new();
    a.start();
    let mut b = Instance::new();
    b.start();
    let b_key = b.prepare_peer();
    a.ok(
        "v-add-user",
        &["alice", "t3st-p4ssw0rd", "alice@example.com"],
    );
    a.ok("v-add-dns-domain", &["alice", "alpha.net", "192.0.2.10"]);
    a.ok(
        "v-add-dns-record",
        &["alice", "alpha.net", "host1", "A", "192.0.2.11"],
    );

    // A peer that does not answer, or refuses the key, is not registered.
    let pair = b_key.pair();
    a.v2(
        true,
        "v-add-remote-dns-host",
        &["127.0.0.1", "1", &pair, "", "api", DNS_USER],
    )
    .expect(200, Some("15"), "15");
    let wrong = format!("{}:{}", b_key.id, "x".repeat(40));
    let port = b.port.to_string();
    a.v2(
        false,
        "v-add-remote-dns-host",
        &["127.0.0.1", &port, &wrong, "", "api", DNS_USER],
    )
    .expect(400, Some("15"), "Error: api connection to 127.0.0.1 failed");
    a.v2(
        false,
        "v-add-remote-dns-host",
        &["127.0.0.1", &port, &pair, "", "api", "nobody"],
    )
    .expect(400, Some("15"), "Error: nobody doesn't exist");
    assert_eq!(read(&a.data.join("conf/dns-cluster.conf")), "");

    // Registration: checks, stores (secret sealed), and syncs in full.
    register(&a, b.port, &b_key);
    let source = hostname();
    assert_mirrors(&a.data, "alice", &b.data, &source);
    let stored = read(&a.data.join("conf/dns-cluster.conf"));
    assert!(stored.contains("HASH='enc:"), "{stored}");
    assert!(!stored.contains(&b_key.secret), "{stored}");
    assert_eq!(
        conf_value(&read(&a.data.join("conf/hestia.conf")), "DNS_CLUSTER").as_deref(),
        Some("yes")
    );
    // The restart job was asked for on B.
    assert!(
        read(&b.data.join("data/users/admin/cron.conf")).contains("v-update-sys-queue restart")
    );
    let listed = a.v2(false, "v-list-remote-dns-hosts", &["json"]).json();
    assert_eq!(listed["127.0.0.1"]["PORT"], b.port.to_string());
    assert_eq!(listed["127.0.0.1"]["TYPE"], "api");
    assert_eq!(listed["127.0.0.1"]["DNS_USER"], DNS_USER);
    assert_eq!(listed["127.0.0.1"]["SUSPENDED"], "no");
    let shell = a.v2(false, "v-list-remote-dns-hosts", &[]).body;
    assert!(shell.starts_with("HOST"), "{shell}");
    assert!(shell.contains(&format!("127.0.0.1  {}", b.port)), "{shell}");
    // Registering it twice: E_EXISTS.
    a.v2(
        true,
        "v-add-remote-dns-host",
        &["127.0.0.1", &port, &pair, "", "api", DNS_USER],
    )
    .expect(200, Some("4"), "4");

    // Incremental pushes: add, change and delete records and domains on A.
    a.ok(
        "v-add-dns-record",
        &["alice", "alpha.net", "mail", "MX", "mx.example.com", "10"],
    );
    a.ok("v-add-dns-domain", &["alice", "beta.net", "192.0.2.20"]);
    wait_for_mirror(&a.data, "alice", &b.data, &source);
    let id = record_id(&a, "alice", "alpha.net", "host1");
    a.ok(
        "v-change-dns-record",
        &["alice", "alpha.net", &id, "host1", "A", "192.0.2.12"],
    );
    a.ok("v-delete-dns-domain", &["alice", "beta.net"]);
    wait_for_mirror(&a.data, "alice", &b.data, &source);
    assert!(records_file(&b.data, DNS_USER, "alpha.net").contains("192.0.2.12"));
    a.ok("v-suspend-dns-domain", &["alice", "alpha.net"]);
    wait_for_mirror(&a.data, "alice", &b.data, &source);
    a.ok("v-unsuspend-dns-domain", &["alice", "alpha.net"]);
    a.ok("v-delete-dns-record", &["alice", "alpha.net", &id]);
    wait_for_mirror(&a.data, "alice", &b.data, &source);
    wait_until("an empty queue", || a.queued() == 0);
    // B's list output shows what A has.
    let on_b = b
        .v2(
            false,
            "v-list-dns-records",
            &[DNS_USER, "alpha.net", "json"],
        )
        .json();
    let on_a = a
        .v2(false, "v-list-dns-records", &["alice", "alpha.net", "json"])
        .json();
    assert_eq!(on_b, on_a);

    // A full sync on demand gives the same picture.
    a.v2(true, "v-sync-dns-cluster", &[])
        .expect(200, Some("0"), "0");
    assert_mirrors(&a.data, "alice", &b.data, &source);

    // No log or audit record holds the key's secret.
    for text in [a.log(), read(&a.data.join("log/audit.jsonl"))] {
        assert!(!text.contains(&b_key.secret));
    }

    // A push the peer refuses (the name belongs to one of B's own users there) is dropped
    // and logged; it holds nothing up and does not suspend B.
    b.ok(
        "v-add-user",
        &["carol", "t3st-p4ssw0rd", "carol@example.com"],
    );
    b.ok("v-add-dns-domain", &["carol", "taken.net", "192.0.2.50"]);
    a.ok("v-add-dns-domain", &["alice", "taken.net", "192.0.2.51"]);
    a.ok(
        "v-add-dns-record",
        &["alice", "alpha.net", "host9", "A", "192.0.2.90"],
    );
    wait_until("the later push", || {
        records_file(&b.data, DNS_USER, "alpha.net").contains("192.0.2.90")
    });
    wait_until("an empty queue", || a.queued() == 0);
    assert_eq!(a.peer_line().value("SUSPENDED"), "no");
    assert!(a.log().contains("refused a push"), "{}", a.log());
    assert_eq!(domains(&b.data, "carol")[0].value("IP"), "192.0.2.50");
    a.ok("v-delete-dns-domain", &["alice", "taken.net"]);
    wait_until("an empty queue", || a.queued() == 0);
    assert_eq!(domains(&b.data, "carol").len(), 1);

    // Deleting the peer removes what was pushed there and the cluster switch.
    a.v2(true, "v-delete-remote-dns-host", &["127.0.0.1"])
        .expect(200, Some("0"), "0");
    assert!(domains(&b.data, DNS_USER).is_empty());
    assert_eq!(
        conf_value(&read(&a.data.join("conf/hestia.conf")), "DNS_CLUSTER"),
        None
    );
    assert_eq!(read(&a.data.join("conf/dns-cluster.conf")), "");
    a.v2(true, "v-delete-remote-dns-host", &["127.0.0.1"])
        .expect(200, Some("11"), "11");
}

#[test]
fn password_peers_take_the_tmp_file_convention() {
    let mut a = Instance::new();
    a.start();
    let mut b = Instance::new();
    b.start();
    b.prepare_peer();
    a.ok(
        "v-add-user",
        &["alice", "t3st-p4ssw0rd", "alice@example.com"],
    );
    a.ok("v-add-dns-domain", &["alice", "alpha.net", "192.0.2.10"]);
    // The admin password through v-make-tmp-file, as billing modules pass passwords.
    a.v2(true, "v-make-tmp-file", &[ADMIN_PASSWORD, "peerpassword"])
        .expect(200, Some("0"), "0");
    let port = b.port.to_string();
    a.v2(
        true,
        "v-add-remote-dns-host",
        &[
            "127.0.0.1",
            &port,
            "admin",
            "/tmp/peerpassword",
            "api",
            DNS_USER,
        ],
    )
    .expect(200, Some("0"), "0");
    let line = a.peer_line();
    assert_eq!(line.value("USER"), "admin");
    assert!(line.value("PASSWORD").starts_with("enc:"));
    assert!(!read(&a.data.join("conf/dns-cluster.conf")).contains(ADMIN_PASSWORD));
    assert_mirrors(&a.data, "alice", &b.data, &hostname());
    let listed = a.v2(false, "v-list-remote-dns-hosts", &["json"]).json();
    assert_eq!(listed["127.0.0.1"]["USER"], "admin");
    for text in [a.log(), read(&a.data.join("log/audit.jsonl"))] {
        assert!(!text.contains(ADMIN_PASSWORD));
    }
}

#[test]
fn peer_outage_loses_and_duplicates_nothing() {
    let mut a = Instance::new();
    a.start();
    let mut b = Instance::new();
    b.start();
    let b_key = b.prepare_peer();
    a.ok(
        "v-add-user",
        &["alice", "t3st-p4ssw0rd", "alice@example.com"],
    );
    a.ok("v-add-dns-domain", &["alice", "alpha.net", "192.0.2.10"]);
    register(&a, b.port, &b_key);
    let source = hostname();
    assert_mirrors(&a.data, "alice", &b.data, &source);

    // B goes away; A keeps changing.
    b.stop();
    a.ok(
        "v-add-dns-record",
        &["alice", "alpha.net", "host1", "A", "192.0.2.11"],
    );
    wait_until("A to suspend B", || {
        a.peer_line().value("SUSPENDED") == "yes"
    });
    a.ok(
        "v-add-dns-record",
        &["alice", "alpha.net", "files", "CNAME", "host1.alpha.net"],
    );
    a.ok("v-add-dns-domain", &["alice", "beta.net", "192.0.2.20"]);
    let listed = a.v2(false, "v-list-remote-dns-hosts", &["json"]).json();
    assert_eq!(listed["127.0.0.1"]["SUSPENDED"], "yes");
    assert!(a.log().contains("suspended"), "{}", a.log());
    // A full sync of the silent peer fails like Hestia's (E_CONNECT); one of all active
    // peers has nothing to do.
    a.v2(false, "v-sync-dns-cluster", &["127.0.0.1"]).expect(
        400,
        Some("15"),
        "Error: 127.0.0.1 connection failed",
    );
    a.v2(true, "v-sync-dns-cluster", &[])
        .expect(200, Some("0"), "0");

    // A restarts too: its queue is on disk.
    a.stop();
    a.start();
    a.ok("v-add-dns-domain", &["alice", "gone.net", "192.0.2.30"]);
    a.ok("v-delete-dns-domain", &["alice", "gone.net"]);
    let id = record_id(&a, "alice", "alpha.net", "host1");
    a.ok(
        "v-change-dns-record",
        &["alice", "alpha.net", &id, "host1", "A", "192.0.2.12"],
    );
    assert!(a.queued() >= 6, "queued {}", a.queued());

    // B comes back on the same port: the queue is delivered, B resumes.
    b.start();
    wait_for_mirror(&a.data, "alice", &b.data, &source);
    wait_until("A to resume B", || a.peer_line().value("SUSPENDED") == "no");
    wait_until("an empty queue", || a.queued() == 0);
    assert_mirrors(&a.data, "alice", &b.data, &source);
    assert!(a.log().contains("resumed"), "{}", a.log());
    // Nothing duplicated: every record once, as on A.
    let ids = |data: &Path, user: &str| -> Vec<String> {
        conf::parse_list(&records_file(data, user, "alpha.net"))
            .unwrap()
            .iter()
            .map(|r| r.value("ID").to_string())
            .collect()
    };
    let on_b = ids(&b.data, DNS_USER);
    let mut unique = on_b.clone();
    unique.dedup();
    assert_eq!(on_b, unique);
    assert_eq!(on_b, ids(&a.data, "alice"));
    assert!(records_file(&b.data, DNS_USER, "alpha.net").contains("192.0.2.12"));
    assert!(
        !b.data
            .join(format!("data/users/{DNS_USER}/dns/gone.net.conf"))
            .exists()
    );
}
