//! The `hearth` command line: `init`, `call`, `key add` and `serve` (initialising a missing
//! data root, graceful SIGTERM, configuration changes picked up without a restart).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::*;

/// A temporary folder removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Self {
        Scratch(temp_dir("hearth-cli-"))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `serve` child that is killed if a test fails before stopping it.
struct Serving(Option<std::process::Child>);

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `v-list-users` in code mode with the admin password.
fn list_users(password: &str) -> Vec<(String, String)> {
    call_fields(Auth::AdminPassword(password), true, "v-list-users", &[])
}

/// Every file below `dir` with its bytes.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    snapshot(dir)
}

#[test]
fn init_lays_out_the_data_root_and_is_idempotent() {
    let scratch = Scratch::new();
    let data = scratch.path().join("root");
    let first = init(&data, Some("First-p4ssw0rd"));
    assert_eq!(first.stdout, format!("initialised {}\n", data.display()));
    assert!(!first.stdout.contains("admin password"));

    let conf = std::fs::read_to_string(data.join("conf/hestia.conf")).unwrap();
    for line in [
        "API='yes'",
        "API_SYSTEM='1'",
        "API_ALLOWED_IP='127.0.0.1,::1'",
        "ROOT_USER='admin'",
    ] {
        assert!(conf.lines().any(|l| l == line), "{line} missing:\n{conf}");
    }
    let admin = std::fs::read_to_string(data.join("data/users/admin/user.conf")).unwrap();
    assert!(admin.lines().any(|l| l == "ROLE='admin'"), "{admin}");
    assert!(admin.lines().any(|l| l == "PACKAGE='default'"), "{admin}");
    assert!(
        !admin.contains("First-p4ssw0rd"),
        "the password is stored hashed"
    );
    assert!(data.join("data/packages/default.pkg").is_file());
    for set in [
        "billing",
        "mail-accounts",
        "phpmyadmin-sso",
        "purge-nginx-cache",
        "sync-dns-cluster",
        "update-dns-records",
    ] {
        let text = std::fs::read_to_string(data.join("data/api").join(set)).unwrap();
        assert!(
            text.contains("ROLE='") && text.contains("COMMANDS='"),
            "{set}: {text}"
        );
    }

    let before = tree(&data);
    let second = init(&data, Some("Other-p4ssw0rd"));
    assert_eq!(
        second.stdout,
        format!("{} is already initialised\n", data.display())
    );
    let third = init(&data, None);
    assert_eq!(
        third.stdout,
        format!("{} is already initialised\n", data.display())
    );
    let after = tree(&data);
    let changed: Vec<_> = before
        .iter()
        .zip(after.iter())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.display().to_string())
        .collect();
    assert_eq!(before.len(), after.len(), "files appeared or vanished");
    assert!(
        changed.is_empty(),
        "files changed by a second init: {changed:?}"
    );

    // The first password still holds.
    let check =
        run(hearth(&data).args(["call", "v-check-user-password", "admin", "First-p4ssw0rd"]));
    assert_eq!(check.code, 0, "{check:?}");
    let check =
        run(hearth(&data).args(["call", "v-check-user-password", "admin", "Other-p4ssw0rd"]));
    assert_eq!(check.code, 9, "{check:?}");
}

#[test]
fn init_without_a_password_prints_one_once() {
    let scratch = Scratch::new();
    let data = scratch.path().join("root");
    let output = init(&data, None);
    let lines: Vec<&str> = output.stdout.lines().collect();
    let passwords: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("admin password: "))
        .collect();
    assert_eq!(passwords.len(), 1, "{output:?}");
    let password = passwords[0];
    assert!(password.len() >= 12, "a strong password: {password:?}");
    assert!(
        lines.contains(&format!("initialised {}", data.display()).as_str()),
        "{output:?}"
    );
    assert!(!output.stderr.contains(password));
    let check = run(hearth(&data).args(["call", "v-check-user-password", "admin", password]));
    assert_eq!(check.code, 0, "{check:?}");
    let again = init(&data, None);
    assert!(!again.stdout.contains("admin password"), "{again:?}");
    // Nothing on disk holds it in clear.
    walk(&data, &data, &mut |relative, path| {
        if path.is_file() {
            let bytes = std::fs::read(path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(password),
                "{} holds the password",
                relative.display()
            );
        }
    });
}

#[test]
fn call_exits_with_the_hestia_return_code() {
    let scratch = Scratch::new();
    let data = scratch.path().join("root");
    init(&data, Some(ADMIN_PASSWORD));
    let missing = run(hearth(&data).args(["call", "v-list-user", "nosuch"]));
    assert_eq!(missing.code, 3, "{missing:?}");
    assert_eq!(missing.stdout, "Error: user nosuch doesn't exist\n");

    let bad = run(hearth(&data).args(["call", "v-list-user", "bad user"]));
    assert_eq!(bad.code, 2, "{bad:?}");
    assert_eq!(bad.stdout, "Error: invalid user format :: bad user\n");

    let usage = run(hearth(&data).args(["call", "v-list-user"]));
    assert_eq!(usage.code, 1, "{usage:?}");
    assert_eq!(usage.stdout, "Usage: v-list-user USER [FORMAT]\n");

    let json = run(hearth(&data).args(["call", "v-list-user", "admin", "json"]));
    assert_eq!(json.code, 0, "{json:?}");
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["admin"]["ROLE"], "admin");

    let added = run(hearth(&data).args([
        "call",
        "v-add-user",
        "cliuser",
        "Cli-p4ssw0rd",
        "cli@example.com",
    ]));
    assert_eq!((added.code, added.stdout.as_str()), (0, ""), "{added:?}");
    let again = run(hearth(&data).args([
        "call",
        "v-add-user",
        "cliuser",
        "Cli-p4ssw0rd",
        "cli@example.com",
    ]));
    assert_eq!(again.code, 4, "{again:?}");
    assert_eq!(again.stdout, "Error: user cliuser exists\n");

    let unknown = run(hearth(&data).args(["call", "v-nope"]));
    assert_eq!(unknown.code, 10, "{unknown:?}");
    assert_eq!(unknown.stdout, "Error: Command v-nope not found\n");
}

#[test]
fn key_add_prints_the_secret_once_and_stores_no_secret() {
    let scratch = Scratch::new();
    let data = scratch.path().join("root");
    init(&data, Some(ADMIN_PASSWORD));
    let output = run(hearth(&data).args(["key", "add", "admin", "--comment", "ci key"]));
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(output.stdout.lines().count(), 1, "{output:?}");
    let key = parse_key(&output.stdout);
    assert_eq!(key.id.len(), 20, "{output:?}");
    assert!(key.id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(key.secret.len(), 40, "{output:?}");

    let stored_path = data.join("data/access-keys").join(&key.id);
    let stored = std::fs::read_to_string(&stored_path).unwrap();
    assert!(
        !stored.contains(&key.secret),
        "the secret is stored: {stored}"
    );
    assert!(stored.lines().any(|l| l == "USER='admin'"), "{stored}");
    assert!(stored.lines().any(|l| l == "COMMENT='ci key'"), "{stored}");
    walk(&data, &data, &mut |relative, path| {
        if path.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
            assert!(
                !text.contains(&key.secret),
                "{} holds the secret",
                relative.display()
            );
        }
    });

    let other = parse_key(&run(hearth(&data).args(["key", "add", "admin"])).stdout);
    assert_ne!(other.id, key.id);
    assert_ne!(other.secret, key.secret);

    // Hestia's refusals (v-add-access-key's texts and codes); no key is printed.
    let refused = |args: &[&str], code: i32, message: &str| {
        let output = run(hearth(&data).arg("key").arg("add").args(args));
        assert_eq!(output.code, code, "{args:?}: {output:?}");
        let printed = format!("{}{}", output.stdout, output.stderr);
        assert_eq!(printed.trim_end(), message, "{args:?}: {output:?}");
    };
    refused(
        &["nosuch", "--permissions", "billing"],
        3,
        "Error: user nosuch doesn't exist",
    );
    refused(
        &["admin", "--permissions", "nosuchset"],
        3,
        "Error: API nosuchset doesn't exist",
    );
    let added = run(hearth(&data).args([
        "call",
        "v-add-user",
        "keyuser",
        "Key-p4ssw0rd",
        "k@example.com",
    ]));
    assert_eq!(added.code, 0, "{added:?}");
    refused(
        &["keyuser"],
        2,
        "Error: Non-admin users need a permission list",
    );
    refused(
        &["keyuser", "--permissions", "billing"],
        2,
        "Error: Only the admin can run this API",
    );
    let user_key = run(hearth(&data).args([
        "key",
        "add",
        "keyuser",
        "--permissions",
        "purge-nginx-cache",
    ]));
    assert_eq!(user_key.code, 0, "{user_key:?}");
    parse_key(&user_key.stdout);
}

#[test]
fn serve_initialises_a_missing_data_root_and_stops_on_sigterm() {
    let scratch = Scratch::new();
    let data = scratch.path().join("fresh/root");
    let (child, port, lines) = spawn_serve(&data, &scratch.path().join("serve.log"), None);
    let mut serving = Serving(Some(child));
    let password = lines
        .iter()
        .find_map(|l| l.strip_prefix("admin password: "))
        .unwrap_or_else(|| panic!("no generated password printed: {lines:?}"))
        .to_string();
    assert!(data.join("conf/hestia.conf").is_file());
    assert!(data.join("data/users/admin/user.conf").is_file());

    post_form_to(port, &list_users(&password)).expect(200, None, "0");
    post_form_to(port, &list_users("wrong-password")).expect(401, Some("9"), "9");

    let child = serving.0.as_mut().unwrap();
    let started = Instant::now();
    sigterm(child.id());
    let status = wait_timeout(child, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("serve did not stop within 10 s of SIGTERM"));
    serving.0 = None;
    assert_eq!(status.code(), Some(0), "serve exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Starting again on the now initialised root prints no password.
    let (child, port, lines) = spawn_serve(&data, &scratch.path().join("serve2.log"), None);
    let mut serving = Serving(Some(child));
    assert!(
        !lines.iter().any(|l| l.starts_with("admin password")),
        "{lines:?}"
    );
    post_form_to(port, &list_users(&password)).expect(200, None, "0");
    let child = serving.0.as_mut().unwrap();
    sigterm(child.id());
    let status = wait_timeout(child, Duration::from_secs(10)).expect("stops on SIGTERM");
    serving.0 = None;
    assert_eq!(status.code(), Some(0));
}

#[test]
fn hestia_conf_changes_apply_without_a_restart() {
    let scratch = Scratch::new();
    let data = scratch.path().join("root");
    init(&data, Some(ADMIN_PASSWORD));
    let (child, port, _) = spawn_serve(&data, &scratch.path().join("serve.log"), None);
    let _serving = Serving(Some(child));
    let list = list_users(ADMIN_PASSWORD);
    post_form_to(port, &list).expect(200, None, "0");
    set_conf(&data, "API_ALLOWED_IP", "192.0.2.1");
    post_form_to(port, &list).expect(401, Some("10"), "10");
    set_conf(&data, "API_ALLOWED_IP", "127.0.0.1");
    post_form_to(port, &list).expect(200, None, "0");
    // Through a command, too.
    let changed = run(hearth(&data).args(["call", "v-delete-sys-api-ip", "127.0.0.1"]));
    assert_eq!(changed.code, 0, "{changed:?}");
    assert_eq!(
        conf_value(
            &std::fs::read_to_string(data.join("conf/hestia.conf")).unwrap(),
            "API_ALLOWED_IP"
        )
        .as_deref(),
        Some("")
    );
    post_form_to(port, &list).expect(401, Some("10"), "10");
    let changed = run(hearth(&data).args(["call", "v-add-sys-api-ip", "127.0.0.1"]));
    assert_eq!(changed.code, 0, "{changed:?}");
    post_form_to(port, &list).expect(200, None, "0");
}
