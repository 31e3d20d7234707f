//! Native tests: the commands run through `hearth_sdk::dispatch` against temporary data trees.
//!
//! Paths that call host interfaces (secrets, auth-log) cannot run natively; their validation
//! paths are covered here and the rest by the end-to-end tests through the server.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::COMMANDS;

const ROOT: &str = "admin";

fn user_conf(name: &str, role: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("NAME".into(), name.into()),
        ("PACKAGE".into(), "default".into()),
        ("WEB_TEMPLATE".into(), "default".into()),
        ("WEB_DOMAINS".into(), "unlimited".into()),
        ("DNS_DOMAINS".into(), "unlimited".into()),
        ("CRON_JOBS".into(), "unlimited".into()),
        ("NS".into(), "ns1.example.tld,ns2.example.tld".into()),
        ("SHELL".into(), "nologin".into()),
        (
            "CONTACT".into(),
            format!("{}@example.com", name.to_lowercase()),
        ),
        ("RKEY".into(), "AbCdEfGhIjKlMnOp".into()),
        ("ROLE".into(), role.into()),
        ("SUSPENDED".into(), "no".into()),
        ("SUSPENDED_USERS".into(), "0".into()),
        (
            "U_USERS".into(),
            if role == "admin" { "2" } else { "0" }.into(),
        ),
        ("U_WEB_DOMAINS".into(), "1".into()),
        ("U_DNS_DOMAINS".into(), "0".into()),
        ("U_MAIL_DOMAINS".into(), "0".into()),
        ("U_DATABASES".into(), "0".into()),
        ("U_CRON_JOBS".into(), "0".into()),
        ("U_DISK".into(), "10".into()),
        ("U_BANDWIDTH".into(), "0".into()),
        ("TIME".into(), "10:15:30".into()),
        ("DATE".into(), "2024-05-01".into()),
    ];
    for (key, value) in extra {
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value.to_string(),
            None => pairs.push((key.to_string(), value.to_string())),
        }
    }
    let record = hearth_sdk::conf::Record::from_pairs(pairs);
    record.to_source().unwrap()
}

const DEFAULT_PKG: &str = "WEB_TEMPLATE='default'\nWEB_DOMAINS='unlimited'\nDNS_DOMAINS='unlimited'\nCRON_JOBS='unlimited'\nDISK_QUOTA='unlimited'\nBANDWIDTH='unlimited'\nNS='ns1.domain.tld,ns2.domain.tld'\nSHELL='nologin'\nTIME='00:00:00'\nDATE='2024-01-01'\n";

/// A data root with `admin` and `alice`, a `default` package and two access keys.
fn data_root() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (user, name, role) in [
        ("admin", "System Administrator", "admin"),
        ("alice", "Alice", "user"),
    ] {
        let user_dir = root.join("data/users").join(user);
        fs::create_dir_all(&user_dir).unwrap();
        fs::write(user_dir.join("user.conf"), user_conf(name, role, &[])).unwrap();
        fs::write(user_dir.join("history.log"), "").unwrap();
    }
    fs::create_dir_all(root.join("data/packages")).unwrap();
    fs::write(root.join("data/packages/default.pkg"), DEFAULT_PKG).unwrap();
    fs::create_dir_all(root.join("data/access-keys")).unwrap();
    fs::write(
        root.join("data/access-keys/AAAAAAAAAAAAAAAAAAAA"),
        "SECRET_ACCESS_KEY='x'\nUSER='alice'\nPERMISSIONS=''\n",
    )
    .unwrap();
    fs::write(
        root.join("data/access-keys/BBBBBBBBBBBBBBBBBBBB"),
        "SECRET_ACCESS_KEY='y'\nUSER='admin'\nPERMISSIONS=''\n",
    )
    .unwrap();
    dir
}

/// A sandbox as a user-confined command sees it: `/user` is the user's directory.
fn user_sandbox(conf: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let user_dir = dir.path().join("user");
    fs::create_dir_all(&user_dir).unwrap();
    fs::write(user_dir.join("user.conf"), conf).unwrap();
    fs::write(user_dir.join("history.log"), "").unwrap();
    fs::create_dir_all(dir.path().join("data/packages")).unwrap();
    fs::write(dir.path().join("data/packages/default.pkg"), DEFAULT_PKG).unwrap();
    dir
}

fn run(root: &Path, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, ROOT, args[0], &args[1..])
}

fn read_conf(path: &Path) -> hearth_sdk::conf::Record {
    hearth_sdk::fs::read_source(path).unwrap()
}

#[test]
fn list_users_json_layout() {
    let dir = data_root();
    let (code, out) = run(dir.path(), &["v-list-users", "json"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("{\n    \"admin\": {\n        \"NAME\": \"System Administrator\",\n"));
    assert!(out.contains("        \"DATE\": \"2024-05-01\"\n        },\n    \"alice\": {\n"));
    assert!(out.ends_with("        \"DATE\": \"2024-05-01\"\n        }}\n"));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(value["alice"]["CPU_QUOTA"], "");
    assert_eq!(value["admin"]["U_USERS"], "2");
}

#[test]
fn list_users_json_stays_valid_with_odd_values() {
    let dir = data_root();
    fs::write(
        dir.path().join("data/users/alice/user.conf"),
        user_conf("Al \"the\" \\ice\t", "user", &[]),
    )
    .unwrap();
    let (_, out) = run(dir.path(), &["v-list-users", "json"]);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["alice"]["NAME"], "Al \"the\" \\ice\t");
}

#[test]
fn list_users_order_and_skips() {
    let dir = data_root();
    let users = dir.path().join("data/users");
    for name in ["zed", "bob"] {
        fs::create_dir_all(users.join(name)).unwrap();
        fs::write(
            users.join(name).join("user.conf"),
            user_conf(name, "user", &[]),
        )
        .unwrap();
    }
    fs::create_dir_all(users.join(".carol.new")).unwrap();
    fs::write(
        users.join(".carol.new/user.conf"),
        user_conf("c", "user", &[]),
    )
    .unwrap();
    fs::create_dir_all(users.join("noconf")).unwrap();
    fs::write(users.join("stray-file"), "").unwrap();
    let (code, out) = run(dir.path(), &["v-list-users", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out, "admin\nalice\nbob\nzed\n");
}

#[test]
fn list_users_empty_and_unknown_formats() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("data/users")).unwrap();
    assert_eq!(
        run(dir.path(), &["v-list-users", "json"]),
        (0, "{\n}\n".to_string())
    );
    let dir = data_root();
    assert_eq!(run(dir.path(), &["v-list-users", ""]), (0, String::new()));
    assert_eq!(
        run(dir.path(), &["v-list-users", "yaml"]),
        (0, String::new())
    );
}

#[test]
fn list_users_shell_plain_csv() {
    let dir = data_root();
    let (_, shell) = run(dir.path(), &["v-list-users"]);
    assert_eq!(
        shell,
        "USER   ROLE   PKG      WEB  DNS  MAIL  DB  DISK  BW  SPND  DATE\n\
         ----   ----   ---      ---  ---  ---   --  ----  --  ----  ----\n\
         admin  admin  default  1    0    0     0   10    0   no    2024-05-01\n\
         alice  user   default  1    0    0     0   10    0   no    2024-05-01\n"
    );

    let (_, plain) = run(dir.path(), &["v-list-users", "plain"]);
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("admin\tSystem Administrator\tdefault\tdefault\t"));
    assert!(lines[0].ends_with("\t10:15:30\t2024-05-01\t"));
    assert_eq!(lines[0].split('\t').count(), 1 + 57 + 1);

    let (_, csv) = run(dir.path(), &["v-list-users", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("USER,NAME,PACKAGE,"));
    assert!(lines[0].contains(",U_MAIL_ACCOUNTS,U_DATABASESU_CRON_JOBS,U_BACKUPS,"));
    assert!(lines[1].starts_with("admin,\"System Administrator\",default,default,"));
    assert!(lines[1].contains(",\"ns1.example.tld,ns2.example.tld\",/root,nologin,"));
    assert!(lines[1].contains(",\"AbCdEfGhIjKlMnOp\",admin,no,"));
}

#[test]
fn list_user_formats() {
    let dir = user_sandbox(&user_conf("Alice", "user", &[("THEME", "dark")]));
    let (code, json) = run(dir.path(), &["v-list-user", "alice", "json"]);
    assert_eq!(code, 0);
    assert!(json.starts_with("{\n    \"alice\": {\n        \"NAME\": \"Alice\",\n"));
    assert!(json.ends_with("        \"DATE\": \"2024-05-01\"\n        }\n}\n"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["alice"]["HOME"], "/home/alice");
    assert_eq!(value["alice"]["THEME"], "dark");
    assert_eq!(value["alice"].as_object().unwrap().len(), 64);

    let (_, plain) = run(dir.path(), &["v-list-user", "alice", "plain"]);
    assert!(plain.starts_with("alice\tAlice\tdefault\t"));
    assert!(plain.contains("\t/home/alice\tnologin\t"));
    assert!(plain.ends_with("\t0\t'0\t\t\tdark\t10:15:30\t2024-05-01\n"));

    let (_, csv) = run(dir.path(), &["v-list-user", "alice", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0]
            .ends_with("U_DATABASESU_CRON_JOBS,U_BACKUPS,LANGUAGE,THEME,NOTIFICATIONS,TIME,DATE")
    );
    assert!(lines[1].starts_with("alice,\"Alice\",default,"));

    let (_, shell) = run(dir.path(), &["v-list-user", "alice"]);
    let lines: Vec<&str> = shell.lines().collect();
    assert_eq!(lines[0], "USERNAME:      alice");
    assert_eq!(lines[1], "FULL NAME:     Alice");
    assert_eq!(lines[8], "WEB DOMAINS:   1/unlimited");
    assert_eq!(lines[19], "IP ADDRESSES   /");
    assert_eq!(lines.len(), 22);

    assert_eq!(
        run(dir.path(), &["v-list-user", "alice", ""]),
        (0, String::new())
    );
    assert_eq!(
        run(dir.path(), &["v-list-user", "alice", "list"]),
        (0, String::new())
    );
}

#[test]
fn list_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(dir.path(), &["v-list-user"]),
        (1, "Usage: v-list-user USER [FORMAT]".to_string())
    );
    assert_eq!(
        run(dir.path(), &["v-list-user", "bob"]),
        (3, "Error: user bob doesn't exist".to_string())
    );
    assert_eq!(
        run(dir.path(), &["v-list-user", "bad user"]),
        (2, "Error: invalid user format :: bad user".to_string())
    );
    assert_eq!(
        run(dir.path(), &["v-list-user", ""]),
        (2, "Error: invalid user format :: ".to_string())
    );
}

#[test]
fn add_user_validation() {
    let dir = data_root();
    let root = dir.path();
    assert_eq!(
        run(root, &["v-add-user", "bob", "pw"]),
        (
            1,
            "Usage: v-add-user USER PASSWORD EMAIL [PACKAGE] [NAME] ".to_string()
        )
    );
    for bad in ["jäap", "1234", "1aap", "hello.com"] {
        assert_eq!(
            run(root, &["v-add-user", bad, "pw", "a@b.cd"]),
            (2, format!("Error: invalid user format :: {bad}"))
        );
    }
    let (code, out) = run(root, &["v-add-user", "ib_Buffer", "pw", "a@b.cd"]);
    assert_eq!(code, 2);
    assert!(out.starts_with("Error: The user name 'ib_Buffer' is reserved"));
    // The e-mail is validated before the reserved-name check.
    assert_eq!(
        run(root, &["v-add-user", "sudo", "pw", "nope"]),
        (2, "Error: invalid email format :: nope".to_string())
    );
    assert_eq!(
        run(root, &["v-add-user", "bob", "pw", "b@b.cd", "bad pkg"]),
        (2, "Error: invalid package format :: bad pkg".to_string())
    );
    assert_eq!(
        run(
            root,
            &["v-add-user", "bob", "pw", "b@b.cd", "default", "Bob 'B'"]
        ),
        (
            2,
            "Error: Invalid name contains qoutes (\" or ') :: Bob 'B'".to_string()
        )
    );
    assert_eq!(
        run(
            root,
            &["v-add-user", "bob", "pw", "b@b.cd", "default", "Bob", "<x>"]
        ),
        (
            2,
            "Error: Invalid name contains qoutes (\" or ') :: Bob <x>".to_string()
        )
    );
    assert_eq!(
        run(root, &["v-add-user", "alice", "pw", "a@b.cd"]),
        (4, "Error: user alice exists".to_string())
    );
    assert_eq!(
        run(root, &["v-add-user", "bob", "pw", "b@b.cd", "gold"]),
        (3, "Error: package gold doesn't exist".to_string())
    );
    assert_eq!(
        run(root, &["v-add-user", "bob", "pw", "b@b.cd", ""]),
        (3, "Error: package  doesn't exist".to_string())
    );
    assert_eq!(
        run(root, &["v-add-user", "bob", "", "b@b.cd"]),
        (
            2,
            "Error: Password not accepted due to PAM restrictions".to_string()
        )
    );
    assert!(!root.join("data/users/bob").exists());
}

#[test]
fn delete_user() {
    let dir = data_root();
    let root = dir.path();
    assert_eq!(
        run(root, &["v-delete-user", "alice", "maybe"]),
        (2, "Error: invalid restart format :: maybe".to_string())
    );
    assert_eq!(
        run(root, &["v-delete-user", "bob"]),
        (3, "Error: user bob doesn't exist".to_string())
    );
    assert_eq!(run(root, &["v-delete-user", "admin"]), (0, String::new()));
    assert!(root.join("data/users/admin/user.conf").exists());

    assert_eq!(
        run(root, &["v-delete-user", "alice", "no"]),
        (0, String::new())
    );
    assert!(!root.join("data/users/alice").exists());
    assert!(!root.join("data/users/.alice.deleted").exists());
    let admin = read_conf(&root.join("data/users/admin/user.conf"));
    assert_eq!(admin.value("U_USERS"), "1");
    assert!(!root.join("data/access-keys/AAAAAAAAAAAAAAAAAAAA").exists());
    assert!(root.join("data/access-keys/BBBBBBBBBBBBBBBBBBBB").exists());
}

#[test]
fn delete_suspended_user_lowers_suspended_count() {
    let dir = data_root();
    let root = dir.path();
    assert_eq!(run(root, &["v-suspend-user", "alice"]), (0, String::new()));
    let admin = read_conf(&root.join("data/users/admin/user.conf"));
    assert_eq!(admin.value("SUSPENDED_USERS"), "1");
    assert_eq!(run(root, &["v-delete-user", "alice"]), (0, String::new()));
    let admin = read_conf(&root.join("data/users/admin/user.conf"));
    assert_eq!(admin.value("SUSPENDED_USERS"), "0");
    assert_eq!(admin.value("U_USERS"), "1");
}

#[test]
fn suspend_and_unsuspend() {
    let dir = data_root();
    let root = dir.path();
    let alice = root.join("data/users/alice/user.conf");
    let admin = root.join("data/users/admin/user.conf");

    // Unsuspending an active user is not an error and changes nothing.
    assert_eq!(
        run(root, &["v-unsuspend-user", "alice"]),
        (0, String::new())
    );
    assert_eq!(read_conf(&admin).value("SUSPENDED_USERS"), "0");

    assert_eq!(
        run(root, &["v-suspend-user", "alice", "yes"]),
        (0, String::new())
    );
    assert_eq!(read_conf(&alice).value("SUSPENDED"), "yes");
    assert_eq!(read_conf(&admin).value("SUSPENDED_USERS"), "1");
    assert_eq!(
        run(root, &["v-suspend-user", "alice"]),
        (5, "Error: user alice is suspended".to_string())
    );

    assert_eq!(
        run(root, &["v-unsuspend-user", "alice"]),
        (0, String::new())
    );
    assert_eq!(read_conf(&alice).value("SUSPENDED"), "no");
    assert_eq!(read_conf(&admin).value("SUSPENDED_USERS"), "0");

    // The root user is never suspended.
    assert_eq!(run(root, &["v-suspend-user", "admin"]), (0, String::new()));
    assert_eq!(read_conf(&admin).value("SUSPENDED"), "no");

    assert_eq!(
        run(root, &["v-suspend-user", "ghost"]),
        (3, "Error: user ghost doesn't exist".to_string())
    );
    assert_eq!(
        run(root, &["v-unsuspend-user", "alice", "later"]),
        (2, "Error: invalid restart format :: later".to_string())
    );
    assert_eq!(
        run(root, &["v-suspend-user"]),
        (1, "Usage: v-suspend-user USER [RESTART]".to_string())
    );
}

#[test]
fn change_shell() {
    let dir = user_sandbox(&user_conf("Alice", "user", &[]));
    let conf = dir.path().join("user/user.conf");
    assert_eq!(
        run(dir.path(), &["v-change-user-shell", "alice", "bash"]),
        (0, String::new())
    );
    assert_eq!(read_conf(&conf).value("SHELL"), "bash");
    assert_eq!(
        run(
            dir.path(),
            &["v-change-user-shell", "alice", "/usr/bin/zsh"]
        ),
        (0, String::new())
    );
    assert_eq!(read_conf(&conf).value("SHELL"), "zsh");
    assert_eq!(
        run(dir.path(), &["v-change-user-shell", "alice", "python"]),
        (2, "Error: shell python is not valid".to_string())
    );
    assert_eq!(
        run(dir.path(), &["v-change-user-shell", "alice"]),
        (1, "Usage: v-change-user-shell USER SHELL".to_string())
    );

    let suspended = user_sandbox(&user_conf("Alice", "user", &[("SUSPENDED", "yes")]));
    assert_eq!(
        run(suspended.path(), &["v-change-user-shell", "alice", "bash"]),
        (5, "Error: user alice is suspended".to_string())
    );
}

#[test]
fn change_contact() {
    let dir = user_sandbox(&user_conf("Alice", "user", &[]));
    let user_dir = dir.path().join("user");
    assert_eq!(
        run(
            dir.path(),
            &["v-change-user-contact", "alice", "testerhestiacp.com"]
        ),
        (
            2,
            "Error: invalid email format :: testerhestiacp.com".to_string()
        )
    );
    assert_eq!(
        run(
            dir.path(),
            &["v-change-user-contact", "alice", "new@example.org"]
        ),
        (0, String::new())
    );
    assert_eq!(
        read_conf(&user_dir.join("user.conf")).value("CONTACT"),
        "new@example.org"
    );
    let history = fs::read_to_string(user_dir.join("history.log")).unwrap();
    assert!(history.starts_with("ID='1' DATE='"));
    assert!(history.ends_with(
        "LEVEL='Info' CATEGORY='System' MESSAGE='Email address changed (Value: new@example.org).'\n"
    ));
}

#[test]
fn change_package() {
    let dir = user_sandbox(&user_conf("Alice", "user", &[("EXTRA", "x")]));
    let root = dir.path();
    fs::write(
        root.join("data/packages/small.pkg"),
        "WEB_TEMPLATE='small'\nWEB_DOMAINS='0'\nSHELL='bash'\nTIME='01:01:01'\nDATE='2020-01-01'\n",
    )
    .unwrap();
    fs::write(
        root.join("data/packages/weird.pkg"),
        "WEB_DOMAINS='5'\nSHELL='python'\n",
    )
    .unwrap();

    assert_eq!(
        run(root, &["v-change-user-package", "alice", "gold"]),
        (3, "Error: package gold doesn't exist".to_string())
    );
    assert_eq!(
        run(root, &["v-change-user-package", "alice", "small"]),
        (
            8,
            "Error: Package doesn't cover WEB_DOMAIN usage".to_string()
        )
    );
    assert_eq!(
        run(root, &["v-change-user-package", "alice", "small", "yes"]),
        (0, String::new())
    );
    let conf = read_conf(&root.join("user/user.conf"));
    assert_eq!(conf.value("PACKAGE"), "small");
    assert_eq!(conf.value("WEB_TEMPLATE"), "small");
    assert_eq!(conf.value("WEB_DOMAINS"), "0");
    assert_eq!(conf.value("SHELL"), "bash");
    assert_eq!(conf.value("CONTACT"), "alice@example.com");
    assert_eq!(conf.value("TIME"), "10:15:30");
    assert!(!conf.contains("EXTRA"));
    let history = fs::read_to_string(root.join("user/history.log")).unwrap();
    assert!(history.ends_with("MESSAGE='You have been assigned a new package (small).'\n"));

    // A limit the package does not set counts as 0 (DISK_QUOTA here, U_DISK is 10).
    assert_eq!(
        run(root, &["v-change-user-package", "alice", "weird"]),
        (8, "Error: Package doesn't cover DISK usage".to_string())
    );
    // The nested shell change prints its error but the package change succeeds.
    assert_eq!(
        run(root, &["v-change-user-package", "alice", "weird", "yes"]),
        (0, "Error: shell python is not valid\n".to_string())
    );
    assert_eq!(
        read_conf(&root.join("user/user.conf")).value("PACKAGE"),
        "weird"
    );
}

#[test]
fn password_commands_validate_before_touching_secrets() {
    let dir = user_sandbox(&user_conf("Alice", "user", &[]));
    let root = dir.path();
    assert_eq!(
        run(root, &["v-check-user-password", "alice"]),
        (
            1,
            "Usage: v-check-user-password USER PASSWORD [IP] [RETURN_HASH]".to_string()
        )
    );
    assert_eq!(
        run(root, &["v-check-user-password", "a b", "pw"]),
        (2, "Error: invalid user format :: a b".to_string())
    );
    assert_eq!(
        run(
            root,
            &["v-check-user-password", "alice", "pw", "192.168.992.10"]
        ),
        (2, "Error: invalid IP format :: 192.168.992.10".to_string())
    );
    assert_eq!(
        run(root, &["v-change-user-password"]),
        (
            1,
            "Usage: v-change-user-password USER [PASSWORD]".to_string()
        )
    );
    assert_eq!(
        run(root, &["v-change-user-password", "alice", ""]),
        (
            2,
            "Error: Password not accepted due to PAM restrictions".to_string()
        )
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        run(empty.path(), &["v-change-user-password", "bob", "pw"]),
        (3, "Error: user bob doesn't exist".to_string())
    );
    let suspended = user_sandbox(&user_conf("Alice", "user", &[("SUSPENDED", "yes")]));
    assert_eq!(
        run(suspended.path(), &["v-change-user-password", "alice", "pw"]),
        (5, "Error: user alice is suspended".to_string())
    );
}

#[test]
fn manifest_grants() {
    for command in COMMANDS {
        if command.user_access != hearth_sdk::Access::None {
            assert!(command.user_arg > 0, "{}", command.name);
        }
    }
    let list_users = COMMANDS.iter().find(|c| c.name == "v-list-users").unwrap();
    assert_eq!(list_users.user_arg, 0);
    assert!(!list_users.mutating);
}
