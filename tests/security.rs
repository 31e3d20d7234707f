//! Scoped access keys, confinement, abuse control and audit (security.md §3–§8): keys shown
//! once and stored hashed, permission sets and API_SYSTEM, indistinguishable key failures,
//! expiry and per-key addresses, USER confinement, a generated authorization matrix, bans,
//! auth.log injection, trusted proxies, the concurrency cap, the audit log and a secret canary.

#[path = "support/mod.rs"]
mod support;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::*;

/// The root user every harness data root has.
const ROOT_USER: &str = "admin";

/// Hestia's six permission sets (reference §3.4) with their roles.
const STOCK_SETS: &[(&str, &str)] = &[
    ("billing", "admin"),
    ("mail-accounts", "user"),
    ("phpmyadmin-sso", "admin"),
    ("purge-nginx-cache", "user"),
    ("sync-dns-cluster", "admin"),
    ("update-dns-records", "user"),
];

/// An admin-made user set (the matrix's custom set).
const SELF_SET: &str = "hearth-test-self";
const SELF_SET_COMMANDS: &[&str] = &["v-list-user", "v-change-user-contact", "v-list-users"];

/// A user set over every family's object commands, to show that naming another user's object
/// through one's own USER finds nothing.
const OBJECTS_SET: &str = "hearth-test-objects";
const OBJECTS_SET_COMMANDS: &str = "v-list-web-domain,v-delete-web-domain,v-suspend-web-domain,v-purge-nginx-cache,v-list-dns-domain,v-list-dns-records,v-delete-dns-domain,v-change-dns-record,v-delete-dns-record,v-list-mail-domain,v-delete-mail-domain,v-add-mail-account,v-list-mail-accounts,v-list-mail-account,v-delete-mail-account,v-change-mail-account-password,v-list-database,v-delete-database,v-suspend-database,v-delete-cron-job";

/// An admin-made user set that (wrongly) hands out system-wide and key-management commands.
const WIDE_SET: &str = "hearth-test-wide";
const WIDE_SET_COMMANDS: &str = "v-list-user,v-list-users,v-list-sys-config,v-add-access-key,v-list-access-keys,v-delete-access-key";

const ALICE_PASSWORD: &str = "Alice-Sec-p4ssw0rd-71";
const BOB_PASSWORD: &str = "Bob-Sec-p4ssw0rd-93";

/// The body of a ban.
const BANNED: &str = "Error: too many failed login attempts from this address, try again later";

/// The body of an allowlist refusal.
const IP_REFUSED: &str = "Error: IP is not allowed to connect with API";

// ---------------------------------------------------------------------------------------
// Secrets registry: every test registers the secrets it uses; every test scans the logs of
// its server for all secrets registered so far.
// ---------------------------------------------------------------------------------------

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static SECRET_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Registers a secret and returns it.
fn secret(value: impl Into<String>) -> String {
    let value = value.into();
    assert!(
        value.len() >= 12,
        "a canary secret must be distinctive: {value:?}"
    );
    SECRETS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(value.clone());
    value
}

/// A fresh, registered secret in the access-key secret alphabet, exactly `len` characters.
fn fresh_secret(tag: &str, len: usize) -> String {
    let n = SECRET_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let mut value = format!("{tag}Cnry{n}x{nanos}y{}", std::process::id());
    value.retain(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '=' | '-'));
    while value.len() < len {
        value.push('Q');
    }
    value.truncate(len);
    secret(value)
}

fn registered_secrets() -> Vec<String> {
    SECRETS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Every regular file below `dir`, read lossily.
fn files_below(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut |_, path| {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
            let bytes = std::fs::read(path).unwrap_or_default();
            out.push((
                path.to_path_buf(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    });
    out
}

/// `(where, secret)` for every secret found in the server's `log/`, `data/access-keys/`, the
/// users' `history.log` files and its stderr.
fn leaks(s: &Server, secrets: &[String]) -> Vec<(String, String)> {
    let mut texts = files_below(&s.path("log"));
    texts.extend(files_below(&s.path("data/access-keys")));
    texts.extend(
        files_below(&s.path("data/users"))
            .into_iter()
            .filter(|(path, _)| path.ends_with("history.log")),
    );
    texts.push((PathBuf::from("<server stderr>"), s.log()));
    let mut found = Vec::new();
    for (path, text) in &texts {
        for secret in secrets {
            if text.contains(secret.as_str()) {
                found.push((path.display().to_string(), secret.clone()));
            }
        }
    }
    found
}

#[track_caller]
fn assert_no_leaks(s: &Server) {
    let found = leaks(s, &registered_secrets());
    assert!(found.is_empty(), "secrets found in logs: {found:#?}");
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Writes the permission set `data/api/<name>`.
fn write_set(data: &Path, name: &str, role: &str, commands: &str) {
    std::fs::write(
        data.join("data/api").join(name),
        format!("ROLE='{role}'\nCOMMANDS='{commands}'\n"),
    )
    .expect("write a permission set");
}

/// `hearth key add USER --permissions SETS OPTIONS...`, asserting success; the secret is
/// registered.
#[track_caller]
fn key_add(s: &Server, user: &str, permissions: &str, options: &[&str]) -> Key {
    let output = run(hearth(s.data_dir())
        .args(["key", "add", user, "--permissions", permissions])
        .args(options));
    assert_eq!(output.code, 0, "hearth key add failed: {output:?}");
    assert_eq!(output.stdout.lines().count(), 1, "{output:?}");
    let key = parse_key(&output.stdout);
    secret(key.secret.clone());
    key
}

/// The root key of a server, its secret registered.
fn root_key(s: &Server) -> Key {
    let key = s.root_key().clone();
    secret(key.secret.clone());
    key
}

/// A data-mode call with an access key.
fn call(s: &Server, key: &Key, command: &str, args: &[&str]) -> Response {
    s.api(Auth::Key(key), false, command, args)
}

/// `sha256:<hex>` of a secret, as the key file stores it.
fn token_hash(secret: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(secret.as_bytes())))
}

/// Rewrites `KEY='...'` in a `KEY='value'` file below the data root (write then rename, so
/// the server never reads half a file). `None` removes the line; a missing key is appended.
fn edit_record(s: &Server, relative: &str, key: &str, value: Option<&str>) {
    let path = s.path(relative);
    let text = std::fs::read_to_string(&path).expect("read the record");
    let prefix = format!("{key}=");
    let mut lines: Vec<String> = Vec::new();
    let mut found = false;
    for line in text.lines() {
        if line.starts_with(&prefix) {
            found = true;
            if let Some(value) = value {
                lines.push(format!("{key}='{value}'"));
            }
        } else {
            lines.push(line.to_string());
        }
    }
    if let (false, Some(value)) = (found, value) {
        lines.push(format!("{key}='{value}'"));
    }
    let temp = path.with_file_name(".hearth-test-edit");
    std::fs::write(&temp, lines.join("\n") + "\n").expect("write the record");
    std::fs::rename(&temp, &path).expect("replace the record");
}

/// `YYYY-MM-DD HH:MM:SS`.
fn is_timestamp(text: &str) -> bool {
    text.len() == 19
        && text.bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\S+) (\S+) (.+)$`: (who, ip, event).
fn auth_line(line: &str) -> Option<(&str, &str, &str)> {
    if !is_timestamp(line.get(..19)?) {
        return None;
    }
    let rest = line.get(19..)?.strip_prefix(' ')?;
    let (who, rest) = rest.split_once(' ')?;
    let (ip, event) = rest.split_once(' ')?;
    let solid = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    (solid(who) && solid(ip) && !event.is_empty() && !event.contains('\n'))
        .then_some((who, ip, event))
}

/// The address fail2ban's stock `hestia` filter (`failregex = .* <HOST> failed to login`)
/// takes from a line: the greedy `.*` makes it the last ` HOST failed to login`.
fn fail2ban_host(line: &str) -> Option<&str> {
    let at = line.rfind(" failed to login")?;
    let (_, host) = line[..at].rsplit_once(' ')?;
    (!host.is_empty()).then_some(host)
}

/// The parsed lines of `log/audit.jsonl`.
fn audit_records(s: &Server) -> Vec<Value> {
    s.read("log/audit.jsonl")
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("audit line {line:?}: {e}"))
        })
        .collect()
}

/// Suspends a user for as long as it lives (unsuspends on drop, even when a test panics).
struct Suspension<'a> {
    server: &'a Server,
    user: &'a str,
}

impl<'a> Suspension<'a> {
    #[track_caller]
    fn new(server: &'a Server, user: &'a str) -> Self {
        server
            .v2(false, "v-suspend-user", &[user])
            .expect(204, Some("0"), "");
        Self { server, user }
    }
}

impl Drop for Suspension<'_> {
    fn drop(&mut self) {
        let r = self.server.v2(false, "v-unsuspend-user", &[self.user]);
        if !std::thread::panicking() {
            r.expect(204, Some("0"), "");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The shared server: alice and bob, API_SYSTEM='2', two admin-made user sets. Tests on it
// run one at a time (they flip hestia.conf, suspend users and count audit lines).
// ---------------------------------------------------------------------------------------

static MAIN: OnceLock<Server> = OnceLock::new();
static MAIN_LOCK: Mutex<()> = Mutex::new(());

fn main_server() -> (MutexGuard<'static, ()>, &'static Server) {
    let guard = MAIN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let s = MAIN.get_or_init(|| {
        let s = Server::start_with(&[], |data| {
            write_set(data, SELF_SET, "user", &SELF_SET_COMMANDS.join(","));
            write_set(data, WIDE_SET, "user", WIDE_SET_COMMANDS);
            write_set(data, OBJECTS_SET, "user", OBJECTS_SET_COMMANDS);
        });
        secret(ADMIN_PASSWORD);
        secret(ALICE_PASSWORD);
        secret(BOB_PASSWORD);
        s.set_conf("API_SYSTEM", "2");
        let root = root_key(&s);
        call(
            &s,
            &root,
            "v-add-user",
            &["alice", ALICE_PASSWORD, "alice@example.com"],
        )
        .expect(204, Some("0"), "");
        call(
            &s,
            &root,
            "v-add-user",
            &["bob", BOB_PASSWORD, "bob@example.com"],
        )
        .expect(204, Some("0"), "");
        s
    });
    s.set_conf("API", "yes");
    s.set_conf("API_SYSTEM", "2");
    s.set_conf("API_ALLOWED_IP", "127.0.0.1,::1");
    (guard, s)
}

// ---------------------------------------------------------------------------------------
// 1. Keys: shown once, stored hashed, listed without secrets, CLI
// ---------------------------------------------------------------------------------------

#[test]
fn a_secret_is_shown_once_and_stored_only_as_its_hash() {
    let (_guard, s) = main_server();
    let root = root_key(s);

    let created = call(
        s,
        &root,
        "v-add-access-key",
        &["alice", SELF_SET, "ci key", "json"],
    );
    created
        .expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let view = created.json();
    let key = Key {
        id: view["ACCESS_KEY_ID"].as_str().unwrap().to_string(),
        secret: secret(view["SECRET_ACCESS_KEY"].as_str().unwrap()),
    };
    assert!(
        key.id.len() == 20 && key.id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{key:?}"
    );
    assert!(
        key.secret.len() == 40
            && key
                .secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'=' | b'-')),
        "{key:?}"
    );
    assert_eq!(view["USER"], "alice");
    assert_eq!(view["PERMISSIONS"], json!([SELF_SET]));
    assert_eq!(view["COMMENT"], "ci key");

    // The key file holds the hash only.
    let file = s.read(&format!("data/access-keys/{}", key.id));
    let hash = token_hash(&key.secret);
    assert!(
        file.lines()
            .any(|line| line == format!("SECRET_ACCESS_KEY_HASH='{hash}'")),
        "{file}"
    );
    assert!(!file.contains(&key.secret), "{file}");
    assert!(!file.contains("SECRET_ACCESS_KEY="), "{file}");
    assert!(file.contains("USER='alice'"), "{file}");

    call(s, &key, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));

    // Never shown again, in any format, to anyone.
    let id = key.id.as_str();
    let listings: Vec<(&str, Vec<&str>)> = vec![
        ("v-list-access-key", vec![id, "json"]),
        ("v-list-access-key", vec![id]),
        ("v-list-access-key", vec![id, "plain"]),
        ("v-list-access-keys", vec!["alice", "json"]),
        ("v-list-access-keys", vec![]),
    ];
    for (command, args) in &listings {
        for response in [
            call(s, &root, command, args),
            s.legacy(false, command, args),
        ] {
            assert!(response.status == 200, "{command} {args:?}: {response:#?}");
            assert!(response.body.contains(id), "{response:#?}");
            assert!(!response.body.contains(&key.secret), "{response:#?}");
            assert!(!response.body.contains("sha256:"), "{response:#?}");
        }
        let local = s.call(command, args);
        assert_eq!(local.code, 0, "{local:?}");
        assert!(!local.stdout.contains(&key.secret) && !local.stdout.contains("sha256:"));
    }
    let one = call(s, &root, "v-list-access-key", &[id, "json"]).json();
    assert_eq!(one["ACCESS_KEY_ID"], id);
    assert!(one.get("SECRET_ACCESS_KEY").is_none(), "{one}");

    // The CLI: ID:SECRET once, options stored, listed without secrets, deleted.
    let cli = key_add(
        s,
        "alice",
        SELF_SET,
        &[
            "--comment",
            "cli key",
            "--expires",
            "30",
            "--ip",
            "127.0.0.1",
        ],
    );
    assert!(cli.id.len() == 20 && cli.secret.len() == 40, "{cli:?}");
    let listed = run(hearth(s.data_dir()).args(["key", "list", "alice", "--format", "json"]));
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(!listed.stdout.contains(&cli.secret) && !listed.stdout.contains(&key.secret));
    assert!(!listed.stdout.contains("sha256:"), "{listed:?}");
    let listed: Value = serde_json::from_str(&listed.stdout).expect("key list json");
    let entry = &listed[cli.id.as_str()];
    assert_eq!(entry["USER"], "alice", "{listed}");
    assert_eq!(entry["COMMENT"], "cli key");
    assert_eq!(entry["IP"], "127.0.0.1");
    assert_eq!(entry["PERMISSIONS"], json!([SELF_SET]));
    let expires = entry["EXPIRES_IN"].as_str().unwrap_or_default();
    let today = entry["DATE"].as_str().unwrap_or_default();
    assert!(
        is_timestamp(expires) && expires > today,
        "EXPIRES_IN {expires:?} after {today:?}"
    );
    assert!(listed.get(key.id.as_str()).is_some(), "{listed}");
    let all = run(hearth(s.data_dir()).args(["key", "list"]));
    assert_eq!(all.code, 0);
    assert!(all.stdout.contains(&cli.id) && !all.stdout.contains(&cli.secret));

    call(s, &cli, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    let deleted = run(hearth(s.data_dir()).args(["key", "delete", &cli.id]));
    assert_eq!(deleted.code, 0, "{deleted:?}");
    call(s, &cli, "v-list-user", &["alice", "json"]).expect(
        401,
        Some("9"),
        &format!("Error: Invalid secret key for key {}", cli.id),
    );
    let after = run(hearth(s.data_dir()).args(["key", "list", "alice", "--format", "json"]));
    assert!(!after.stdout.contains(&cli.id), "{after:?}");

    // Revoking through the API takes effect on the very next request.
    call(s, &root, "v-delete-access-key", &[id]).expect(204, Some("0"), "");
    call(s, &key, "v-list-user", &["alice", "json"]).expect(
        401,
        Some("9"),
        &format!("Error: Invalid secret key for key {id}"),
    );
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 2. Permission sets, roles, API_SYSTEM, suspension, LOGIN_DISABLED, revocation
// ---------------------------------------------------------------------------------------

#[test]
fn permission_sets_roles_and_api_system() {
    let (_guard, s) = main_server();
    let root = root_key(s);

    // Hestia's six sets, plus the admin-made ones, as files and through the API.
    let apis = call(s, &root, "v-list-apis", &["json"]);
    apis.expect_status(200, Some("0"));
    let apis = apis.json();
    for (set, role) in STOCK_SETS {
        assert!(s.path(&format!("data/api/{set}")).is_file(), "{set}");
        assert_eq!(apis[*set]["ROLE"], *role, "{set}: {apis}");
    }
    assert_eq!(apis[SELF_SET]["ROLE"], "user");
    assert_eq!(apis[SELF_SET]["COMMANDS"], json!(SELF_SET_COMMANDS));
    let billing = apis["billing"]["COMMANDS"].as_array().unwrap();
    assert!(billing.contains(&json!("v-add-user")), "{apis}");
    let dns = call(s, &root, "v-list-api", &["update-dns-records", "json"]);
    dns.expect_status(200, Some("0"));
    assert_eq!(
        dns.json(),
        json!({"API": "update-dns-records", "ROLE": "user",
               "COMMANDS": ["v-list-dns-records", "v-change-dns-record"]})
    );

    // Admin-role sets are for the root user only; other users need a list.
    let keys_before = s.call("v-list-access-keys", &["alice", "json"]).stdout;
    for sets in [
        "billing",
        "purge-nginx-cache,sync-dns-cluster",
        "phpmyadmin-sso",
    ] {
        call(s, &root, "v-add-access-key", &["alice", sets]).expect(
            422,
            Some("2"),
            "Error: Only the admin can run this API",
        );
        let cli = run(hearth(s.data_dir()).args(["key", "add", "alice", "--permissions", sets]));
        assert_eq!(
            (cli.code, cli.stdout.as_str()),
            (2, "Error: Only the admin can run this API\n"),
            "{cli:?}"
        );
    }
    call(s, &root, "v-add-access-key", &["alice"]).expect(
        422,
        Some("2"),
        "Error: Non-admin users need a permission list",
    );
    let cli = run(hearth(s.data_dir()).args(["key", "add", "alice"]));
    assert_eq!(
        (cli.code, cli.stdout.as_str()),
        (2, "Error: Non-admin users need a permission list\n"),
        "{cli:?}"
    );
    assert_eq!(
        s.call("v-list-access-keys", &["alice", "json"]).stdout,
        keys_before,
        "a refused key was written"
    );

    // The root key with no sets runs everything; a root key with `billing` only billing.
    for (command, args) in [
        ("v-list-sys-config", vec!["json"]),
        ("v-list-users", vec!["json"]),
        ("v-list-user", vec!["bob", "json"]),
        ("v-list-apis", vec!["json"]),
    ] {
        call(s, &root, command, &args).expect_status(200, Some("0"));
    }
    let billing_key = key_add(s, ROOT_USER, "billing", &[]);
    call(s, &billing_key, "v-list-users", &["json"]).expect_status(200, Some("0"));
    call(s, &billing_key, "v-list-sys-config", &["json"]).expect(
        401,
        Some("10"),
        &format!(
            "Error: Key {} don't have permission to run the command v-list-sys-config",
            billing_key.id
        ),
    );

    // API_SYSTEM.
    let alice = key_add(s, "alice", SELF_SET, &[]);
    let alice_call = || call(s, &alice, "v-list-user", &["alice", "json"]);
    s.set_conf("API_SYSTEM", "0");
    for key in [&root, &alice] {
        call(s, key, "v-list-user", &["alice", "json"]).expect(
            400,
            Some("11"),
            "Error: API has been disabled",
        );
        s.api(Auth::Key(key), true, "v-list-user", &["alice"])
            .expect(400, Some("11"), "11");
    }
    s.set_conf("API_SYSTEM", "1");
    alice_call().expect(401, Some("21"), "Error: API has been disabled");
    s.api(Auth::Key(&alice), true, "v-list-user", &["alice"])
        .expect(401, Some("21"), "21");
    call(s, &root, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    s.set_conf("API_SYSTEM", "2");
    alice_call().expect_status(200, Some("0"));

    // A suspended owner's key fails; it works again on the very next request.
    {
        let _suspended = Suspension::new(s, "alice");
        alice_call().expect(401, Some("9"), "Error: user alice is suspended");
        call(s, &root, "v-unsuspend-user", &["alice"]).expect(204, Some("0"), "");
        alice_call().expect_status(200, Some("0"));
        // (The guard's own unsuspend is a no-op now.)
    }

    // LOGIN_DISABLED does not block keys.
    let conf = "data/users/alice/user.conf";
    edit_record(s, conf, "LOGIN_DISABLED", Some("yes"));
    let answer = alice_call();
    edit_record(s, conf, "LOGIN_DISABLED", None);
    answer.expect_status(200, Some("0"));
    assert_eq!(answer.json()["alice"]["CONTACT"], "alice@example.com");

    // Revocation takes effect on the very next request.
    call(s, &root, "v-delete-access-key", &[&alice.id]).expect(204, Some("0"), "");
    alice_call().expect(
        401,
        Some("9"),
        &format!("Error: Invalid secret key for key {}", alice.id),
    );
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 3. Unknown key and wrong secret: same answer, about the same time
// ---------------------------------------------------------------------------------------

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[test]
fn unknown_key_and_wrong_secret_are_indistinguishable() {
    let (_guard, s) = main_server();
    let root = root_key(s);
    let unknown = Key {
        id: "Zq7Unknown0Key0Id0Zq".into(),
        secret: fresh_secret("unk", 40),
    };
    let wrong = Key {
        id: root.id.clone(),
        secret: fresh_secret("wrg", 40),
    };
    let answer = |key: &Key| format!("Error: Invalid secret key for key {}", key.id);
    for key in [&unknown, &wrong] {
        call(s, key, "v-list-users", &["json"])
            .expect(401, Some("9"), &answer(key))
            .expect_type(TEXT_HTML);
        s.api(Auth::Key(key), true, "v-list-users", &["json"])
            .expect(401, Some("9"), "9");
        s.api(Auth::KeyHash(key), false, "v-list-users", &["json"])
            .expect(401, Some("9"), &answer(key));
    }
    // Whatever the command (even one that does not exist), the key check comes first.
    for key in [&unknown, &wrong] {
        call(s, key, "v-no-such-command", &[]).expect(401, Some("9"), &answer(key));
    }

    let time = |key: &Key| {
        let started = Instant::now();
        let r = call(s, key, "v-list-users", &["json"]);
        let elapsed = started.elapsed();
        r.expect_status(401, Some("9"));
        elapsed
    };
    for _ in 0..5 {
        time(&unknown);
        time(&wrong);
    }
    let (mut unknown_times, mut wrong_times) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        unknown_times.push(time(&unknown));
        wrong_times.push(time(&wrong));
    }
    // Load from other processes only ever adds time, so the fastest of 50 interleaved
    // samples is each path's own cost; the medians are shown too.
    let fastest = |times: &[Duration]| times.iter().min().copied().unwrap_or_default();
    let (a, b) = (fastest(&unknown_times), fastest(&wrong_times));
    let ratio = a.max(b).as_secs_f64() / a.min(b).as_secs_f64();
    assert!(
        ratio <= 3.0,
        "fastest unknown-id {a:?} vs wrong-secret {b:?} (ratio {ratio:.2}; medians {:?} and {:?})",
        median(unknown_times.clone()),
        median(wrong_times.clone()),
    );
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 4. Expiry and per-key addresses
// ---------------------------------------------------------------------------------------

#[test]
fn expired_keys_and_key_addresses() {
    let (_guard, s) = main_server();

    let dated = key_add(s, "alice", SELF_SET, &["--expires", "30"]);
    call(s, &dated, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    let file = format!("data/access-keys/{}", dated.id);
    let stored = conf_value(&s.read(&file), "EXPIRES_IN").unwrap_or_default();
    assert!(is_timestamp(&stored), "EXPIRES_IN {stored:?}");
    let expired = format!("Error: Key {} has expired", dated.id);
    for past in ["2020-01-01", "2020-01-01 00:00:00"] {
        edit_record(s, &file, "EXPIRES_IN", Some(past));
        call(s, &dated, "v-list-user", &["alice", "json"]).expect(401, Some("9"), &expired);
        s.api(Auth::Key(&dated), true, "v-list-user", &["alice"])
            .expect(401, Some("9"), "9");
    }
    // An expired root key is refused just the same.
    let root_dated = key_add(s, ROOT_USER, "", &["--expires", "2099-12-31"]);
    call(s, &root_dated, "v-list-users", &["json"]).expect_status(200, Some("0"));
    edit_record(
        s,
        &format!("data/access-keys/{}", root_dated.id),
        "EXPIRES_IN",
        Some("2020-01-01"),
    );
    call(s, &root_dated, "v-list-users", &["json"]).expect(
        401,
        Some("9"),
        &format!("Error: Key {} has expired", root_dated.id),
    );
    // A date in the past is refused at creation.
    let refused = run(hearth(s.data_dir()).args([
        "key",
        "add",
        "alice",
        "--permissions",
        SELF_SET,
        "--expires",
        "2020-01-01",
    ]));
    assert_eq!(
        (refused.code, refused.stdout.as_str()),
        (2, "Error: invalid expires_in format :: 2020-01-01\n"),
        "{refused:?}"
    );

    // Per-key addresses.
    let far = key_add(s, "alice", SELF_SET, &["--ip", "192.0.2.1"]);
    call(s, &far, "v-list-user", &["alice", "json"]).expect(
        401,
        Some("10"),
        &format!("Error: IP 127.0.0.1 is not allowed to use key {}", far.id),
    );
    let near = key_add(s, "alice", SELF_SET, &["--ip", "127.0.0.1"]);
    call(s, &near, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    let either = key_add(s, "alice", SELF_SET, &["--ip", "192.0.2.1,127.0.0.1"]);
    call(s, &either, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 5. Confinement of user keys
// ---------------------------------------------------------------------------------------

#[test]
fn user_keys_are_confined_to_their_owner() {
    let (_guard, s) = main_server();
    let root = root_key(s);
    let alice = key_add(s, "alice", SELF_SET, &[]);
    let wide = key_add(s, "alice", WIDE_SET, &[]);
    let bob = key_add(s, "bob", SELF_SET, &[]);
    let mismatch = |key: &Key| {
        format!(
            "Error: Key {} - the \"user\" argument doesn\\'t match the key\\'s user",
            key.id
        )
    };
    let denied = |key: &Key, command: &str| {
        format!(
            "Error: Key {} don't have permission to run the command {command}",
            key.id
        )
    };

    let own = call(s, &alice, "v-list-user", &["alice", "json"]);
    own.expect_status(200, Some("0"));
    assert_eq!(
        own.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["alice"]
    );

    // Another user, a differently spelled one, or none at all.
    for args in [
        vec!["bob", "json"],
        vec!["ALICE", "json"],
        vec!["admin"],
        vec![],
    ] {
        call(s, &alice, "v-list-user", &args).expect(401, Some("10"), &mismatch(&alice));
    }
    call(
        s,
        &alice,
        "v-change-user-contact",
        &["bob", "evil@example.net"],
    )
    .expect(401, Some("10"), &mismatch(&alice));
    call(
        s,
        &bob,
        "v-change-user-contact",
        &["alice", "evil@example.net"],
    )
    .expect(401, Some("10"), &mismatch(&bob));
    let contacts = call(s, &root, "v-list-users", &["json"]).json();
    assert_eq!(contacts["bob"]["CONTACT"], "bob@example.com");
    assert_eq!(contacts["alice"]["CONTACT"], "alice@example.com");

    // Commands without a USER argument, even when an admin-made user set lists them.
    for command in ["v-list-users", "v-list-sys-config"] {
        call(s, &wide, command, &["json"]).expect(401, Some("10"), &denied(&wide, command));
    }
    call(s, &alice, "v-list-users", &["json"]).expect(
        401,
        Some("10"),
        &denied(&alice, "v-list-users"),
    );
    // Commands in none of its sets, with its own USER.
    for (command, args) in [
        (
            "v-add-user",
            vec!["alice", "Xx-p4ssw0rd-confined", "a@example.com"],
        ),
        ("v-suspend-user", vec!["alice"]),
        (
            "v-change-user-password",
            vec!["alice", "Xx-p4ssw0rd-confined"],
        ),
        ("v-list-sys-config", vec!["json"]),
        ("v-add-access-key", vec!["alice", SELF_SET]),
    ] {
        call(s, &alice, command, &args).expect(401, Some("10"), &denied(&alice, command));
    }
    secret("Xx-p4ssw0rd-confined");

    // Key management: only for itself, only user-role sets, never another user's keys.
    call(s, &wide, "v-add-access-key", &["bob", SELF_SET]).expect(
        401,
        Some("10"),
        &mismatch(&wide),
    );
    for sets in ["billing", "sync-dns-cluster", "purge-nginx-cache,billing"] {
        call(s, &wide, "v-add-access-key", &["alice", sets]).expect(
            422,
            Some("2"),
            "Error: Only the admin can run this API",
        );
    }
    call(s, &wide, "v-add-access-key", &["alice", ""]).expect(
        422,
        Some("2"),
        "Error: Non-admin users need a permission list",
    );
    let made = call(
        s,
        &wide,
        "v-add-access-key",
        &["alice", SELF_SET, "self made", "json"],
    );
    made.expect_status(200, Some("0"));
    let made = made.json();
    assert_eq!(made["USER"], "alice");
    let made = Key {
        id: made["ACCESS_KEY_ID"].as_str().unwrap().into(),
        secret: secret(made["SECRET_ACCESS_KEY"].as_str().unwrap()),
    };
    call(s, &made, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    call(s, &made, "v-list-user", &["bob", "json"]).expect(401, Some("10"), &mismatch(&made));

    let listed = call(s, &wide, "v-list-access-keys", &["alice", "json"]);
    listed.expect_status(200, Some("0"));
    let listed = listed.json();
    assert!(listed.get(made.id.as_str()).is_some(), "{listed}");
    assert!(listed.get(bob.id.as_str()).is_none(), "{listed}");
    for (_, view) in listed.as_object().unwrap() {
        assert_eq!(view["USER"], "alice", "{listed}");
    }
    for args in [vec!["bob", "json"], vec![]] {
        call(s, &wide, "v-list-access-keys", &args).expect(401, Some("10"), &mismatch(&wide));
    }
    for victim in [&bob, &alice] {
        call(s, &wide, "v-delete-access-key", &[&victim.id]).expect(
            401,
            Some("10"),
            &denied(&wide, "v-delete-access-key"),
        );
    }
    call(s, &bob, "v-list-user", &["bob", "json"]).expect_status(200, Some("0"));
    call(s, &alice, "v-list-user", &["alice", "json"]).expect_status(200, Some("0"));
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 6. The authorization matrix
// ---------------------------------------------------------------------------------------

/// What stands between a key and its command, besides its sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    Good,
    OwnerSuspended,
    Expired,
    Revoked,
    WrongAddress,
}

struct Principal {
    label: &'static str,
    key: Key,
    owner: &'static str,
    sets: &'static [&'static str],
    standing: Standing,
}

struct Case {
    command: &'static str,
    /// 1-based USER position, 0 when the command has none.
    user_arg: usize,
    implemented: bool,
    args: fn(&str) -> Vec<String>,
}

/// The commands of each set the matrix uses (reference §3.4, hearth's current lists).
fn set_commands(set: &str) -> &'static [&'static str] {
    match set {
        "billing" => &[
            "v-add-user",
            "v-delete-user",
            "v-suspend-user",
            "v-unsuspend-user",
            "v-change-user-shell",
            "v-list-user",
            "v-list-users",
            "v-make-tmp-file",
            "v-add-domain",
            "v-change-user-package",
            "v-change-user-password",
        ],
        "mail-accounts" => &[
            "v-list-mail-domains",
            "v-list-mail-domain",
            "v-list-mail-account",
            "v-list-mail-accounts",
            "v-list-mail-account-autoreply",
            "v-delete-mail-account",
            "v-delete-mail-account-alias",
            "v-delete-mail-account-autoreply",
            "v-delete-mail-account-forward",
            "v-delete-mail-account-fwd-only",
            "v-add-mail-account",
            "v-add-mail-account-alias",
            "v-add-mail-account-autoreply",
            "v-add-mail-account-forward",
            "v-add-mail-account-fwd-only",
            "v-change-mail-account-password",
            "v-change-mail-account-quota",
            "v-suspend-mail-account",
            "v-suspend-mail-accounts",
            "v-unsuspend-mail-account",
            "v-unsuspend-mail-accounts",
        ],
        "purge-nginx-cache" => &[
            "v-purge-nginx-cache",
            "v-list-web-domains",
            "v-list-web-domain",
        ],
        "update-dns-records" => &["v-list-dns-records", "v-change-dns-record"],
        SELF_SET => SELF_SET_COMMANDS,
        other => panic!("the matrix does not know set {other}"),
    }
}

const MATRIX_PASSWORD: &str = "Matrix-p4ssw0rd-Never-Used";

fn matrix_cases() -> Vec<Case> {
    vec![
        Case {
            command: "v-list-users",
            user_arg: 0,
            implemented: true,
            args: |_| vec!["json".into()],
        },
        Case {
            command: "v-add-user",
            user_arg: 1,
            implemented: true,
            args: |owner| {
                vec![
                    owner.into(),
                    MATRIX_PASSWORD.into(),
                    format!("{owner}.new@example.com"),
                ]
            },
        },
        Case {
            command: "v-list-sys-config",
            user_arg: 0,
            implemented: true,
            args: |_| vec!["json".into()],
        },
        Case {
            command: "v-delete-user",
            user_arg: 1,
            implemented: true,
            args: |owner| vec![format!("no{owner}")],
        },
        Case {
            command: "v-list-user",
            user_arg: 1,
            implemented: true,
            args: |owner| vec![owner.into(), "json".into()],
        },
        Case {
            command: "v-change-user-contact",
            user_arg: 1,
            implemented: true,
            args: |owner| vec![owner.into(), format!("{owner}@example.com")],
        },
        Case {
            command: "v-list-web-domains",
            user_arg: 1,
            implemented: true,
            args: |owner| vec![owner.into(), "json".into()],
        },
        Case {
            command: "v-update-sys-queue",
            user_arg: 0,
            implemented: false,
            args: |_| vec!["restart".into()],
        },
    ]
}

/// (HTTP status, exit code, body when it is known exactly), from Hestia's rules in
/// `v-check-access-key` order plus the API's USER check, with API_SYSTEM='2'.
fn expected(p: &Principal, c: &Case, args: &[String]) -> (u16, u32, Option<String>) {
    let id = &p.key.id;
    let deny = |code: u32, body: String| (http_status(code), code, Some(body));
    match p.standing {
        Standing::Revoked => return deny(9, format!("Error: Invalid secret key for key {id}")),
        Standing::Expired => return deny(9, format!("Error: Key {id} has expired")),
        Standing::WrongAddress => {
            return deny(
                10,
                format!("Error: IP 127.0.0.1 is not allowed to use key {id}"),
            );
        }
        Standing::Good | Standing::OwnerSuspended => {}
    }
    if !c.implemented {
        return deny(10, format!("Error: Command {} not found", c.command));
    }
    let is_root = p.owner == ROOT_USER;
    let listed = if p.sets.is_empty() {
        is_root
    } else {
        p.sets
            .iter()
            .any(|set| set_commands(set).contains(&c.command))
    };
    // hearth is stricter than Hestia: a user key never runs a command without USER.
    if !listed || (!is_root && c.user_arg == 0) {
        return deny(
            10,
            format!(
                "Error: Key {id} don't have permission to run the command {}",
                c.command
            ),
        );
    }
    if p.standing == Standing::OwnerSuspended {
        return deny(9, format!("Error: user {} is suspended", p.owner));
    }
    if !is_root && args.get(c.user_arg - 1).map(String::as_str) != Some(p.owner) {
        return deny(
            10,
            format!("Error: Key {id} - the \"user\" argument doesn\\'t match the key\\'s user"),
        );
    }
    // The command runs: alice and bob exist, no<owner> does not.
    match c.command {
        "v-add-user" => deny(4, format!("Error: user {} exists", args[0])),
        "v-delete-user" => deny(3, format!("Error: user {} doesn't exist", args[0])),
        "v-change-user-contact" => (204, 0, Some(String::new())),
        _ => (200, 0, None),
    }
}

/// A key of user A that names B's domain, DNS zone, mail domain or database under its own
/// USER gets "doesn't exist" (3): A's sandbox holds only A's files, so B's objects are not
/// there to find. B's objects are untouched afterwards.
#[test]
fn a_users_key_cannot_reach_another_users_objects() {
    let (_guard, s) = main_server();
    for password in [
        "B0b-mail-pw-Canary-1",
        "Stol3n-mail-pw-Canary-2",
        "Intrud3r-pw-Canary-3",
        "Sh0p-db-pw-Canary-4",
    ] {
        secret(password);
    }
    let root = root_key(s);
    let domain = "bob-objects.example.com";
    call(
        s,
        &root,
        "v-add-web-domain",
        &["bob", domain, "127.0.0.1", "no"],
    )
    .expect(204, Some("0"), "");
    call(s, &root, "v-add-dns-domain", &["bob", domain, "127.0.0.1"]).expect(204, Some("0"), "");
    call(s, &root, "v-add-mail-domain", &["bob", domain]).expect(204, Some("0"), "");
    call(
        s,
        &root,
        "v-add-database",
        &["bob", "shop", "shop", "Sh0p-db-pw-Canary-4"],
    )
    .expect(204, Some("0"), "");
    let bob_files = |s: &Server| {
        let mut files = snapshot(&s.path("data/users/bob"));
        files.retain(|(path, _)| !path.ends_with("history.log"));
        files
    };
    let before = bob_files(s);

    let key = key_add(s, "alice", OBJECTS_SET, &[]);
    let web = format!("Error: web domain {domain} doesn't exist");
    let cases: &[(&str, Vec<&str>, &str)] = &[
        ("v-list-web-domain", vec!["alice", domain, "json"], &web),
        ("v-delete-web-domain", vec!["alice", domain], &web),
        ("v-suspend-web-domain", vec!["alice", domain], &web),
        ("v-purge-nginx-cache", vec!["alice", domain], &web),
        ("v-list-dns-domain", vec!["alice", domain, "json"], ""),
        ("v-list-dns-records", vec!["alice", domain, "json"], ""),
        ("v-delete-dns-domain", vec!["alice", domain], ""),
        (
            "v-change-dns-record",
            vec!["alice", domain, "1", "@", "A", "203.0.113.66"],
            "",
        ),
        ("v-delete-dns-record", vec!["alice", domain, "1"], ""),
        ("v-list-mail-domain", vec!["alice", domain, "json"], ""),
        ("v-delete-mail-domain", vec!["alice", domain], ""),
        (
            "v-add-mail-account",
            vec!["alice", domain, "intruder", "Intrud3r-pw-Canary-3"],
            "",
        ),
        ("v-list-mail-accounts", vec!["alice", domain, "json"], ""),
        (
            "v-list-mail-account",
            vec!["alice", domain, "info", "json"],
            "",
        ),
        ("v-delete-mail-account", vec!["alice", domain, "info"], ""),
        (
            "v-change-mail-account-password",
            vec!["alice", domain, "info", "Stol3n-mail-pw-Canary-2"],
            "",
        ),
        ("v-list-database", vec!["alice", "bob_shop", "json"], ""),
        ("v-delete-database", vec!["alice", "bob_shop"], ""),
        ("v-suspend-database", vec!["alice", "bob_shop"], ""),
    ];
    for (command, args, message) in cases {
        let r = call(s, &key, command, args);
        assert_eq!(
            (r.status, r.exit_code.as_deref()),
            (400, Some("3")),
            "{command} {args:?}: {r:#?}"
        );
        assert!(r.body.contains("doesn't exist"), "{command}: {r:#?}");
        if !message.is_empty() {
            assert_eq!(r.body, *message, "{command}");
        }
    }
    // Naming bob directly is refused before any sandbox starts.
    let r = call(s, &key, "v-delete-web-domain", &["bob", domain]);
    assert_eq!(r.exit_code.as_deref(), Some("10"), "{r:#?}");
    assert_eq!(bob_files(s), before, "bob's objects changed");
    call(s, &root, "v-list-web-domain", &["bob", domain, "json"]).expect_status(200, Some("0"));
}

#[test]
fn authorization_matrix() {
    let (_guard, s) = main_server();
    secret(MATRIX_PASSWORD);
    let root = root_key(s);
    let self_key = || key_add(s, "alice", SELF_SET, &[]);

    let expired = self_key();
    edit_record(
        s,
        &format!("data/access-keys/{}", expired.id),
        "EXPIRES_IN",
        Some("2020-01-01"),
    );
    let revoked = self_key();
    call(s, &root, "v-delete-access-key", &[&revoked.id]).expect(204, Some("0"), "");
    let principals = vec![
        Principal {
            label: "root key, no sets",
            key: root.clone(),
            owner: ROOT_USER,
            sets: &[],
            standing: Standing::Good,
        },
        Principal {
            label: "root key, billing",
            key: key_add(s, ROOT_USER, "billing", &[]),
            owner: ROOT_USER,
            sets: &["billing"],
            standing: Standing::Good,
        },
        Principal {
            label: "alice, mail-accounts",
            key: key_add(s, "alice", "mail-accounts", &[]),
            owner: "alice",
            sets: &["mail-accounts"],
            standing: Standing::Good,
        },
        Principal {
            label: "alice, purge-nginx-cache",
            key: key_add(s, "alice", "purge-nginx-cache", &[]),
            owner: "alice",
            sets: &["purge-nginx-cache"],
            standing: Standing::Good,
        },
        Principal {
            label: "alice, update-dns-records",
            key: key_add(s, "alice", "update-dns-records", &[]),
            owner: "alice",
            sets: &["update-dns-records"],
            standing: Standing::Good,
        },
        Principal {
            label: "alice, custom user set",
            key: self_key(),
            owner: "alice",
            sets: &[SELF_SET],
            standing: Standing::Good,
        },
        Principal {
            label: "alice suspended, custom user set",
            key: self_key(),
            owner: "alice",
            sets: &[SELF_SET],
            standing: Standing::OwnerSuspended,
        },
        Principal {
            label: "alice, expired",
            key: expired,
            owner: "alice",
            sets: &[SELF_SET],
            standing: Standing::Expired,
        },
        Principal {
            label: "alice, revoked",
            key: revoked,
            owner: "alice",
            sets: &[SELF_SET],
            standing: Standing::Revoked,
        },
        Principal {
            label: "alice, bound to 192.0.2.1",
            key: key_add(s, "alice", SELF_SET, &["--ip", "192.0.2.1"]),
            owner: "alice",
            sets: &[SELF_SET],
            standing: Standing::WrongAddress,
        },
    ];

    let cases = matrix_cases();
    let mut failures = Vec::new();
    let mut total = 0;
    for p in &principals {
        let _suspension =
            (p.standing == Standing::OwnerSuspended).then(|| Suspension::new(s, p.owner));
        for c in &cases {
            for owner in ["alice", "bob"] {
                total += 1;
                let args = (c.args)(owner);
                let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
                let first = call(s, &p.key, c.command, &arg_refs);
                let second = call(s, &p.key, c.command, &arg_refs);
                let seen = |r: &Response| (r.status, r.exit_code.clone(), r.body.clone());
                let case = format!("[{}] {} {args:?}", p.label, c.command);
                if seen(&first) != seen(&second) {
                    failures.push(format!(
                        "{case}: the two runs differ: {:?} then {:?}",
                        seen(&first),
                        seen(&second)
                    ));
                }
                let (status, code, body) = expected(p, c, &args);
                let code = code.to_string();
                let body_ok = body.as_ref().is_none_or(|b| *b == first.body);
                if first.status != status || first.exit_code.as_deref() != Some(&code) || !body_ok {
                    failures.push(format!(
                        "{case}: expected ({status}, {code}, {body:?}), got ({}, {:?}, {:?})",
                        first.status, first.exit_code, first.body
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} matrix cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(total, principals.len() * cases.len() * 2);
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 10. Audit: one line per request, secrets redacted; API history
// ---------------------------------------------------------------------------------------

#[test]
fn audit_has_one_line_per_request_and_history_records_keys() {
    let (_guard, s) = main_server();
    let root = root_key(s);
    let alice = key_add(s, "alice", SELF_SET, &[]);
    let dora_password = fresh_secret("dora", 24);
    let dora_new_password = fresh_secret("doranew", 24);
    let wrong_password = fresh_secret("wrongadm", 24);
    let spooled = fresh_secret("spool", 24);
    let unknown = Key {
        id: "AuditUnknownKey00000".into(),
        secret: fresh_secret("audunk", 40),
    };
    let before = audit_records(s).len();

    let mut sent = 0;
    let mut send = |r: Response| {
        sent += 1;
        r
    };
    send(s.get("")).expect_status(405, Some("405"));
    send(s.post_raw(None, "")).expect_status(405, Some("405"));
    send(s.legacy(false, "v-list-users", &["json"])).expect_status(200, None);
    send(s.api(
        Auth::AdminPassword(&wrong_password),
        false,
        "v-list-users",
        &["json"],
    ))
    .expect(401, Some("9"), "Error: authentication failed");
    send(call(
        s,
        &root,
        "v-add-user",
        &["dora", &dora_password, "dora@example.com"],
    ))
    .expect(204, Some("0"), "");
    send(call(
        s,
        &root,
        "v-change-user-password",
        &["dora", &dora_new_password],
    ))
    .expect(204, Some("0"), "");
    send(call(s, &alice, "v-list-user", &["alice", "json"])).expect_status(200, Some("0"));
    send(call(s, &alice, "v-list-user", &["bob", "json"])).expect_status(401, Some("10"));
    send(call(s, &unknown, "v-list-users", &[])).expect_status(401, Some("9"));
    send(s.legacy(false, "v-make-tmp-file", &[&spooled, "audit-spool"])).expect(200, None, "OK");
    send(call(s, &root, "v-delete-user", &["dora"])).expect(204, Some("0"), "");

    let records = audit_records(s);
    assert_eq!(
        records.len() - before,
        sent,
        "one audit line per request: {:#?}",
        &records[before..]
    );
    let records = &records[before..];
    for record in records {
        let object = record.as_object().expect("an audit record is an object");
        for field in [
            "time",
            "ip",
            "principal",
            "command",
            "args",
            "code",
            "duration_us",
        ] {
            assert!(object.contains_key(field), "{field} missing: {record}");
        }
        assert!(is_timestamp(record["time"].as_str().unwrap()), "{record}");
        assert_eq!(record["ip"], "127.0.0.1", "{record}");
        assert!(record["duration_us"].is_u64(), "{record}");
        assert!(record["args"].is_array(), "{record}");
    }
    let sha = |record: &Value| record["plugin_sha256"].as_str().map(str::to_string);
    let is_sha = |value: Option<String>| {
        value.is_some_and(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let summary = |record: &Value| {
        (
            record["principal"].as_str().unwrap_or("?").to_string(),
            record["command"].as_str().unwrap_or("?").to_string(),
            record["args"].clone(),
            record["code"].as_u64().unwrap_or(999),
        )
    };
    let expect = |index: usize, principal: &str, command: &str, args: Value, code: u64| {
        assert_eq!(
            summary(&records[index]),
            (principal.to_string(), command.to_string(), args, code),
            "audit record {index}: {}",
            records[index]
        );
    };
    let none: Value = json!([]);
    expect(0, "-", "", none.clone(), 405);
    expect(1, "-", "", none.clone(), 405);
    expect(2, "admin", "v-list-users", json!(["json"]), 0);
    expect(3, "-", "v-list-users", none.clone(), 9);
    expect(
        4,
        &root.id,
        "v-add-user",
        json!(["dora", "******", "dora@example.com"]),
        0,
    );
    expect(
        5,
        &root.id,
        "v-change-user-password",
        json!(["dora", "******"]),
        0,
    );
    expect(6, &alice.id, "v-list-user", json!(["alice", "json"]), 0);
    assert_eq!(records[7]["command"], "v-list-user");
    assert_eq!(records[7]["code"], 10);
    assert!(
        records[7]["principal"] == alice.id.as_str() || records[7]["principal"] == "-",
        "{}",
        records[7]
    );
    expect(8, "-", "v-list-users", none, 9);
    assert_eq!(records[9]["command"], "v-make-tmp-file");
    assert_eq!(records[9]["args"][0], "******", "{}", records[9]);
    expect(10, &root.id, "v-delete-user", json!(["dora"]), 0);
    for executed in [2, 4, 5, 6, 10] {
        assert!(is_sha(sha(&records[executed])), "{}", records[executed]);
    }
    // Same plugin (users), same hash.
    assert_eq!(sha(&records[2]), sha(&records[4]));
    for refused in [0, 1, 3, 8] {
        assert_eq!(sha(&records[refused]), None, "{}", records[refused]);
    }

    // The key owner's history has Hestia's API entry.
    let history = s.read("data/users/alice/history.log");
    let message = format!(
        "MESSAGE='[127.0.0.1] Access key {} successfully launched with command v-list-user'",
        alice.id
    );
    assert!(
        history.lines().any(|line| line.contains(&message)
            && line.contains("LEVEL='Info'")
            && line.contains("CATEGORY='API'")
            && line.starts_with("ID='")),
        "no API entry in alice's history:\n{history}"
    );
    assert_no_leaks(s);
}

// ---------------------------------------------------------------------------------------
// 7. Abuse control: ban, fail2ban lines, expiry, injection
// ---------------------------------------------------------------------------------------

const ABUSE_CONFIG: &str =
    "[abuse]\nmax_failures = 5\nwindow_seconds = 600\nban_seconds = 3\nkey_alert_addresses = 3\n";

#[test]
fn repeated_failures_ban_the_address_then_expire() {
    let s = Server::start_configured(&[], Some(ABUSE_CONFIG), |_| {});
    secret(ADMIN_PASSWORD);
    let root = root_key(&s);
    let wrong = fresh_secret("abusewrong", 24);

    for _ in 0..5 {
        s.api(
            Auth::AdminPassword(&wrong),
            false,
            "v-list-users",
            &["json"],
        )
        .expect(401, Some("9"), "Error: authentication failed");
    }
    // Banned: the right password and a valid key are refused alike.
    s.legacy(false, "v-list-users", &["json"])
        .expect(401, Some("10"), BANNED);
    call(&s, &root, "v-list-users", &["json"]).expect(401, Some("10"), BANNED);
    s.api(Auth::Key(&root), true, "v-list-users", &["json"])
        .expect(401, Some("10"), "10");

    let log = s.read("log/auth.log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 5, "auth.log:\n{log}");
    for line in &lines {
        assert_eq!(
            auth_line(line),
            Some(("admin", "127.0.0.1", "failed to login")),
            "{line:?}"
        );
        assert_eq!(fail2ban_host(line), Some("127.0.0.1"), "{line:?}");
    }

    std::thread::sleep(Duration::from_millis(3500));
    s.legacy(false, "v-list-users", &["json"])
        .expect_status(200, None);
    call(&s, &root, "v-list-users", &["json"]).expect_status(200, Some("0"));

    // Injection attempts: newlines in every logged value.
    let fake = "FAKE 203.0.113.9 failed to login";
    for user in [
        format!("admin\n{fake}"),
        format!("admin\r\n2020-01-01 00:00:00 {fake}"),
    ] {
        let r = s.post_form(&fields(&[
            ("user", &user),
            ("password", &wrong),
            ("returncode", "no"),
            ("cmd", "v-list-users"),
        ]));
        r.expect_status(401, Some("10"));
    }
    let r = s.post_form(&fields(&[
        ("access_key", &format!("AAAAAAAAAA\n{fake}")),
        ("secret_key", &"s".repeat(40)),
        ("cmd", "v-list-users"),
    ]));
    assert_eq!(r.status, 401, "{r:#?}");
    let log = s.read("log/auth.log");
    assert!(!log.contains('\r'), "{log:?}");
    assert!(
        log.lines().count() > 6,
        "the attempts were not logged:\n{log}"
    );
    for line in log.lines() {
        assert!(
            auth_line(line).is_some(),
            "malformed auth.log line {line:?}"
        );
        assert_eq!(fail2ban_host(line).unwrap_or("127.0.0.1"), "127.0.0.1");
    }
    assert_no_leaks(&s);
    let injected: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("203.0.113.9"))
        .collect();
    assert!(
        injected.is_empty(),
        "auth.log lines carry the injected address: {injected:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// 8. Forwarding headers: believed only from trusted proxies
// ---------------------------------------------------------------------------------------

#[test]
fn trusted_proxy_forwarded_address_is_used() {
    let s = Server::start_configured(
        &[],
        Some("trusted_proxies = [\"127.0.0.1\"]\n[abuse]\nmax_failures = 1000000\n"),
        |data| set_conf(data, "API_ALLOWED_IP", "198.51.100.7"),
    );
    secret(ADMIN_PASSWORD);
    let root = root_key(&s);
    let before = audit_records(&s).len();
    let legacy = call_fields(Auth::Admin, false, "v-list-users", &["json"]);
    let keyed = call_fields(Auth::Key(&root), false, "v-list-users", &["json"]);

    s.post_form_with_headers(&legacy, &[("X-Forwarded-For", "198.51.100.7")])
        .expect_status(200, None);
    // The nearest untrusted hop counts, not what the client put first.
    s.post_form_with_headers(&keyed, &[("X-Forwarded-For", "203.0.113.1, 198.51.100.7")])
        .expect_status(200, Some("0"));
    s.post_form(&legacy).expect(401, Some("10"), IP_REFUSED);
    s.post_form_with_headers(&legacy, &[("X-Forwarded-For", "198.51.100.8")])
        .expect(401, Some("10"), IP_REFUSED);
    // Only X-Forwarded-For is read, even from a trusted proxy.
    for header in ["Client-IP", "CF-Connecting-IP", "X-Real-IP"] {
        s.post_form_with_headers(&legacy, &[(header, "198.51.100.7")])
            .expect(401, Some("10"), IP_REFUSED);
    }

    let ips: Vec<String> = audit_records(&s)[before..]
        .iter()
        .map(|r| r["ip"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(
        ips,
        [
            "198.51.100.7",
            "198.51.100.7",
            "127.0.0.1",
            "198.51.100.8",
            "127.0.0.1",
            "127.0.0.1",
            "127.0.0.1"
        ]
    );
    let log = s.read("log/auth.log");
    assert!(
        log.lines()
            .any(|l| auth_line(l) == Some(("admin", "198.51.100.7", "successfully logged in"))),
        "{log}"
    );
    assert_no_leaks(&s);
}

#[test]
fn spoofed_forwarding_headers_change_neither_address_nor_ban() {
    let s = Server::start_configured(
        &[],
        Some("[abuse]\nmax_failures = 4\nwindow_seconds = 600\nban_seconds = 600\n"),
        |data| set_conf(data, "API_ALLOWED_IP", "198.51.100.7"),
    );
    secret(ADMIN_PASSWORD);
    let root = root_key(&s);
    let legacy = call_fields(Auth::Admin, false, "v-list-users", &["json"]);
    let keyed = call_fields(Auth::Key(&root), false, "v-list-users", &["json"]);

    for header in ["X-Forwarded-For", "Client-IP", "CF-Connecting-IP"] {
        s.post_form_with_headers(&legacy, &[(header, "198.51.100.7")])
            .expect(401, Some("10"), IP_REFUSED);
    }
    let log = s.read("log/auth.log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    for line in &lines {
        assert_eq!(
            auth_line(line),
            Some(("admin", "127.0.0.1", "failed to login")),
            "{line:?}"
        );
        assert!(!line.contains("198.51.100.7"), "{line:?}");
    }
    let audit = audit_records(&s);
    assert_eq!(audit.len(), 3, "{audit:#?}");
    for record in &audit {
        assert_eq!(record["ip"], "127.0.0.1", "{record}");
    }

    // The fourth failure, claiming yet another address, bans 127.0.0.1 itself...
    s.post_form_with_headers(&keyed, &[("X-Forwarded-For", "203.0.113.77")])
        .expect(401, Some("10"), IP_REFUSED);
    // ...and no header gets around the ban.
    s.post_form(&legacy).expect(401, Some("10"), BANNED);
    for header in [
        "X-Forwarded-For",
        "Client-IP",
        "CF-Connecting-IP",
        "X-Real-IP",
    ] {
        s.post_form_with_headers(&legacy, &[(header, "198.51.100.7")])
            .expect(401, Some("10"), BANNED);
        s.post_form_with_headers(&keyed, &[(header, "203.0.113.78")])
            .expect(401, Some("10"), BANNED);
    }
    let log = s.read("log/auth.log");
    assert_eq!(log.lines().count(), 4, "{log}");
    for line in log.lines() {
        assert_eq!(fail2ban_host(line), Some("127.0.0.1"), "{line:?}");
    }
    assert!(
        audit_records(&s)
            .iter()
            .all(|record| record["ip"] == "127.0.0.1")
    );
    assert_no_leaks(&s);
}

// 9. The concurrency cap: beyond it a request is refused with E_LA (14), not queued.
#[test]
fn the_concurrency_cap_refuses_with_e_la_instead_of_queueing() {
    let s = Server::start_configured(
        &[(escape_plugin(), "escape.wasm")],
        // A memoized answer takes no sandbox slot: every probe here must run its plugin.
        Some("memoize_reads = false\n[limits]\nmax_concurrent = 1\ntimeout_ms = 10000\n"),
        |_| {},
    );
    let key = s.root_key().clone();
    std::thread::scope(|scope| {
        // The sleeper itself is refused when a probe holds the slot as it arrives: it
        // retries until it runs.
        let holder = scope.spawn(|| {
            loop {
                let answer = s.api(Auth::Key(&key), false, "v-test-sleep", &["8000"]);
                if answer.exit_code.as_deref() != Some("14") {
                    break answer;
                }
            }
        });
        // Retry until the sleeper holds the only slot; while it does (8 s), every other
        // command must be refused. Finishing without one refusal fails the test.
        let refused = loop {
            let answer = s.api(Auth::Key(&key), false, "v-list-users", &["json"]);
            if answer.status == 400 {
                break answer;
            }
            assert!(
                !holder.is_finished(),
                "the cap never refused a second command: {answer:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        refused.expect(
            400,
            Some("14"),
            "Error: server is too busy, try again later",
        );
        s.api(Auth::Key(&key), true, "v-list-users", &["json"])
            .expect(200, Some("14"), "14");
        holder.join().unwrap().expect(204, Some("0"), "");
    });
    // Once the slot is free again, commands run.
    s.api(Auth::Key(&key), true, "v-list-users", &["json"])
        .expect(200, Some("0"), "0");
}

// ---------------------------------------------------------------------------------------
// 11. Canary: a full scenario, then every log and every answer is searched for its secrets
// ---------------------------------------------------------------------------------------

const CANARY_SET: &str = "hearth-test-canary";

#[test]
fn canary_secrets_never_reach_logs_or_answers() {
    let s = Server::start_with(&[], |data| {
        set_conf(data, "API_SYSTEM", "2");
        write_set(
            data,
            CANARY_SET,
            "user",
            "v-list-user,v-change-user-password,v-check-user-password,v-add-access-key,v-list-access-keys",
        );
    });
    let mut secrets = vec![secret(ADMIN_PASSWORD)];
    let mut new = |tag: &str, len: usize| {
        let value = fresh_secret(tag, len);
        secrets.push(value.clone());
        value
    };
    let carol_pw = new("carolpw", 24);
    let carol_pw2 = new("carolpwtwo", 24);
    let dave_pw = new("davepw", 24);
    let dave_spooled = new("davespool", 24);
    let dave_never = new("davenever", 24);
    let wrong_admin = new("wrongadmin", 24);
    let wrong_secret = new("wrongsecret", 40);
    let unknown_secret = new("unknownsecret", 40);
    let wrong_check = new("wrongcheck", 24);
    let wrong_legacy = new("wronglegacy", 32);
    let root = root_key(&s);
    let cli_key = key_add(&s, ROOT_USER, "billing", &[]);
    secrets.extend([root.secret.clone(), cli_key.secret.clone()]);

    let answers: RefCell<Vec<Response>> = RefCell::new(Vec::new());
    let keep = |r: Response| {
        answers.borrow_mut().push(r.clone());
        r
    };
    keep(s.legacy(
        false,
        "v-add-user",
        &["carol", &carol_pw, "carol@example.com"],
    ))
    .expect(200, None, "OK");
    keep(call(
        &s,
        &root,
        "v-add-user",
        &["dave", &dave_pw, "dave@example.com"],
    ))
    .expect(204, Some("0"), "");
    keep(s.post_json(&json!({
        "user": "admin", "password": ADMIN_PASSWORD, "returncode": "yes",
        "cmd": "v-check-user-password", "arg1": "carol", "arg2": carol_pw,
    })))
    .expect(200, None, "0");

    // The one answer that legitimately shows a secret.
    let created = keep(call(
        &s,
        &root,
        "v-add-access-key",
        &["carol", CANARY_SET, "canary key", "json"],
    ));
    let excluded = answers.borrow().len() - 1;
    created.expect_status(200, Some("0"));
    let carol = Key {
        id: created.json()["ACCESS_KEY_ID"].as_str().unwrap().into(),
        secret: secret(created.json()["SECRET_ACCESS_KEY"].as_str().unwrap()),
    };
    secrets.push(carol.secret.clone());

    keep(call(&s, &carol, "v-list-user", &["carol", "json"])).expect_status(200, Some("0"));
    keep(call(
        &s,
        &carol,
        "v-change-user-password",
        &["carol", &carol_pw2],
    ))
    .expect(204, Some("0"), "");
    keep(call(
        &s,
        &carol,
        "v-check-user-password",
        &["carol", &carol_pw2],
    ))
    .expect(204, Some("0"), "");
    keep(call(
        &s,
        &carol,
        "v-check-user-password",
        &["carol", &carol_pw],
    ))
    .expect(401, Some("9"), "Error: password missmatch");
    keep(call(
        &s,
        &carol,
        "v-change-user-password",
        &["dave", &dave_never],
    ))
    .expect_status(401, Some("10"));
    keep(call(&s, &carol, "v-add-access-key", &["carol", "billing"])).expect_status(422, Some("2"));
    keep(call(&s, &carol, "v-list-access-keys", &["carol", "json"])).expect_status(200, Some("0"));
    keep(call(&s, &cli_key, "v-list-user", &["dave", "json"])).expect_status(200, Some("0"));

    // Failures.
    keep(s.api(
        Auth::AdminPassword(&wrong_admin),
        false,
        "v-list-users",
        &[],
    ))
    .expect_status(401, Some("9"));
    keep(s.api(
        Auth::AdminPassword(&wrong_admin),
        true,
        "v-add-user",
        &["eve", &dave_never, "eve@example.com"],
    ))
    .expect_status(401, Some("9"));
    let wrong = Key {
        id: root.id.clone(),
        secret: wrong_secret.clone(),
    };
    keep(call(&s, &wrong, "v-list-users", &[])).expect_status(401, Some("9"));
    keep(s.api(Auth::KeyHash(&wrong), false, "v-list-users", &[])).expect_status(401, Some("9"));
    let unknown = Key {
        id: "CanaryUnknownKey0000".into(),
        secret: unknown_secret.clone(),
    };
    keep(call(&s, &unknown, "v-list-users", &[])).expect_status(401, Some("9"));
    keep(s.api(Auth::LegacyKey(&wrong_legacy), false, "v-list-users", &[]))
        .expect_status(401, Some("9"));
    keep(s.post_multipart(&call_fields(
        Auth::Key(&root),
        false,
        "v-check-user-password",
        &["dave", &wrong_check],
    )))
    .expect(401, Some("9"), "Error: password missmatch");
    // Credentials in a GET query are refused (405) and must not be logged either.
    keep(s.get(&format!(
        "user=admin&password={wrong_admin}&cmd=v-list-users"
    )))
    .expect_status(405, Some("405"));

    // A password passed through v-make-tmp-file.
    keep(s.legacy(false, "v-make-tmp-file", &[&dave_spooled, "canary-pw"])).expect(200, None, "OK");
    keep(s.legacy(false, "v-change-user-password", &["dave", "/tmp/canary-pw"]))
        .expect(200, None, "OK");
    keep(s.legacy(true, "v-check-user-password", &["dave", &dave_spooled])).expect(200, None, "0");

    // The scan.
    let answers = answers.into_inner();
    assert!(!s.read("log/audit.jsonl").is_empty() && !s.read("log/auth.log").is_empty());
    assert_eq!(audit_records(&s).len(), answers.len());
    let mut found = leaks(&s, &secrets);
    for (index, answer) in answers.iter().enumerate() {
        for secret in &secrets {
            if index == excluded && *secret == carol.secret {
                continue;
            }
            if answer.body.contains(secret.as_str()) {
                found.push((format!("answer {index}"), secret.clone()));
            }
        }
    }
    assert!(
        answers[excluded].body.contains(&carol.secret),
        "the new key's secret is shown once"
    );
    let key_files = files_below(&s.path("data/access-keys"));
    assert!(key_files.len() >= 3, "{key_files:?}");
    assert!(
        found.is_empty(),
        "{} secret occurrence(s): {found:#?}",
        found.len()
    );
}
