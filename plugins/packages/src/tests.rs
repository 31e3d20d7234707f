//! Native tests: the commands run through `hearth_sdk::dispatch` against a temporary data
//! root. Paths that call host interfaces (the registry, nested commands, reloads) are covered
//! by the end-to-end tests; their refusals, which come first, are covered here.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::COMMANDS;

const PACKAGE: &str = "WEB_TEMPLATE='default'\nPROXY_TEMPLATE='default'\nBACKEND_TEMPLATE='default'\n\
DNS_TEMPLATE='default'\nWEB_DOMAINS='unlimited'\nWEB_ALIASES='unlimited'\nDNS_DOMAINS='unlimited'\n\
DNS_RECORDS='unlimited'\nMAIL_DOMAINS='unlimited'\nMAIL_ACCOUNTS='unlimited'\nRATE_LIMIT='200'\n\
DATABASES='unlimited'\nCRON_JOBS='unlimited'\nDISK_QUOTA='unlimited'\nCPU_QUOTA='unlimited'\n\
CPU_QUOTA_PERIOD='unlimited'\nMEMORY_LIMIT='unlimited'\nSWAP_LIMIT='unlimited'\nBANDWIDTH='unlimited'\n\
NS='ns1.example.com,ns2.example.com'\nSHELL='nologin'\nBACKUPS='1'\nBACKUPS_INCREMENTAL='no'\n\
TIME='10:00:00'\nDATE='2024-05-01'\n";

fn user_conf(package: &str, suspended: &str) -> String {
    format!(
        "NAME='x'\nPACKAGE='{package}'\nSUSPENDED='{suspended}'\nU_DATABASES='1'\nSUSPENDED_DB='0'\n"
    )
}

fn root() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in [
        "conf",
        "data/packages",
        "data/templates/web",
        "data/templates/dns",
        "data/ips",
    ] {
        fs::create_dir_all(root.join(sub)).unwrap();
    }
    fs::write(
        root.join("conf/hestia.conf"),
        "ROOT_USER='admin'\nWEB_SYSTEM='nginx'\nDB_SYSTEM='mysql,pgsql'\n",
    )
    .unwrap();
    fs::write(root.join("data/packages/default.pkg"), PACKAGE).unwrap();
    fs::write(root.join("data/templates/web/default.tpl"), "x").unwrap();
    fs::write(root.join("data/templates/dns/default.tpl"), "x").unwrap();
    for (user, suspended) in [
        ("admin", "no"),
        ("alice", "no"),
        ("bob", "no"),
        ("carl", "yes"),
    ] {
        let dir = root.join("data/users").join(user);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("user.conf"), user_conf("default", suspended)).unwrap();
    }
    dir
}

fn run(root: &Path, command: &str, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, "admin", command, args)
}

#[test]
fn add_validates_and_writes_in_hestia_order() {
    let dir = root();
    let root = dir.path();
    let gold = PACKAGE.replace("WEB_DOMAINS='unlimited'", "WEB_DOMAINS='5'");
    assert_eq!(
        run(root, "v-add-user-package", &[&gold, "gold"]),
        (0, String::new())
    );
    let written = fs::read_to_string(root.join("data/packages/gold.pkg")).unwrap();
    let keys: Vec<&str> = written
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| line.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys[..6],
        [
            "WEB_TEMPLATE",
            "PROXY_TEMPLATE",
            "BACKEND_TEMPLATE",
            "DNS_TEMPLATE",
            "WEB_DOMAINS",
            "WEB_ALIASES"
        ]
    );
    assert_eq!(
        keys[keys.len() - 3..],
        ["BACKUPS_INCREMENTAL", "TIME", "DATE"]
    );
    assert!(written.contains("WEB_DOMAINS='5'\n"));
    assert!(written.ends_with("'\n\n"));

    assert_eq!(
        run(root, "v-add-user-package", &["/tmp/package", "gold"]),
        (4, "Error: package gold already exists.".to_string())
    );
    assert_eq!(
        run(root, "v-add-user-package", &["/tmp/package", "silver"]),
        (3, "/tmp/package does not exist".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-add-user-package",
            &["/tmp/package", "silver", "yes"]
        ),
        (3, "Error: package silver doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-add-user-package", &[&gold, "bad name"]),
        (2, "Error: invalid package format :: bad name".to_string())
    );
    assert_eq!(
        run(root, "v-add-user-package", &["x"]),
        (1, "Usage: v-add-user-package PKG_DIR PACKAGE".to_string())
    );
    // The old PKG_DIR form: a directory holding PACKAGE.pkg (here, re-checking in place).
    let data_packages = root.join("data/packages");
    assert_eq!(
        run(
            root,
            "v-add-user-package",
            &[data_packages.to_str().unwrap(), "gold", "yes"]
        )
        .0,
        0
    );

    for (from, to, message) in [
        (
            "WEB_ALIASES='unlimited'",
            "WEB_ALIASES='many'",
            "Error: invalid WEB_ALIASES format :: many",
        ),
        (
            "RATE_LIMIT='200'",
            "RATE_LIMIT='unlimited'",
            "Error: invalid RATE_LIMIT format :: unlimited",
        ),
        (
            "BACKUPS='1'",
            "BACKUPS='-1'",
            "Error: invalid BACKUPS format :: -1",
        ),
        (
            "BACKUPS_INCREMENTAL='no'",
            "BACKUPS_INCREMENTAL='maybe'",
            "Error: invalid BACKUPS_INCREMENTAL format :: maybe",
        ),
        (
            "NS='ns1.example.com,ns2.example.com'",
            "NS='ns1.example.com,bad_ns'",
            "Error: invalid ns2 format :: bad_ns",
        ),
        (
            "SHELL='nologin'",
            "SHELL='/usr/bin/python3'",
            "Error: shell /usr/bin/python3 is not valid",
        ),
    ] {
        let text = PACKAGE.replace(from, to);
        assert_eq!(
            run(root, "v-add-user-package", &[&text, "silver"]),
            (2, message.to_string()),
            "{to}"
        );
    }
    let text = PACKAGE.replace("WEB_TEMPLATE='default'", "WEB_TEMPLATE='../dns/default'");
    assert_eq!(
        run(root, "v-add-user-package", &[&text, "silver"]),
        (
            3,
            "Error: ../dns/default web template doesn't exist".to_string()
        )
    );
    let text = PACKAGE.replace("DNS_TEMPLATE='default'", "DNS_TEMPLATE='gmail'");
    assert_eq!(
        run(root, "v-add-user-package", &[&text, "silver"]),
        (3, "Error: gmail dns template doesn't exist".to_string())
    );
    assert!(!root.join("data/packages/silver.pkg").exists());
}

#[test]
fn list_copy_delete() {
    let dir = root();
    let root = dir.path();
    assert_eq!(
        run(
            root,
            "v-copy-user-package",
            &["hestiadoesnotexists", "hestiatest2"]
        ),
        (
            3,
            "Error: package hestiadoesnotexists doesn't exist".to_string()
        )
    );
    assert_eq!(
        run(root, "v-copy-user-package", &[]),
        (3, "Error: package  doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-copy-user-package", &["default", "default"]),
        (4, "Error: package default already exists.".to_string())
    );
    assert_eq!(
        run(root, "v-copy-user-package", &["default", "x"]),
        (2, "Error: invalid New package format :: x".to_string())
    );
    fs::write(root.join("data/packages/default.sh"), "#!/bin/sh\n").unwrap();
    assert_eq!(
        run(root, "v-copy-user-package", &["default", "copy"]),
        (0, String::new())
    );
    assert_eq!(
        fs::read_to_string(root.join("data/packages/copy.pkg")).unwrap(),
        PACKAGE
    );
    assert!(root.join("data/packages/copy.sh").is_file());

    let (code, json) = run(root, "v-list-user-packages", &["json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["copy"]["NS"], "ns1.example.com,ns2.example.com");
    assert_eq!(value["default"]["RATE_LIMIT"], serde_json::Value::Null);
    let (_, plain) = run(root, "v-list-user-packages", &["plain"]);
    assert_eq!(plain.lines().count(), 2);
    assert_eq!(run(root, "v-list-user-packages", &[""]), (0, String::new()));

    assert_eq!(
        run(root, "v-delete-user-package", &["copy"]),
        (0, String::new())
    );
    assert!(!root.join("data/packages/copy.pkg").exists());
    assert_eq!(
        run(root, "v-delete-user-package", &["copy"]),
        (3, "Error: package copy doesn't exist".to_string())
    );
}

#[test]
fn database_owner() {
    let dir = root();
    let root = dir.path();
    fs::write(
        root.join("data/users/alice/db.conf"),
        "DB='alice_wp' DBUSER='alice_wp' MD5='x' HOST='localhost' TYPE='mysql' CHARSET='UTF8MB4' U_DISK='0' SUSPENDED='yes' TIME='t' DATE='d'\n",
    )
    .unwrap();
    fs::write(
        root.join("conf/mysql.conf"),
        "HOST='localhost' USER='root' U_SYS_USERS='alice' U_DB_BASES='1' SUSPENDED='no'\n",
    )
    .unwrap();
    let change = |args: &[&str]| run(root, "v-change-database-owner", args);
    assert_eq!(
        change(&["nobody_wp", "bob"]),
        (3, "Error: database owner doesn't exist".to_string())
    );
    assert_eq!(change(&["alice_wp", "alice"]), (0, String::new()));
    assert_eq!(
        change(&["alice_other", "bob"]),
        (3, "Error: database alice_other doesn't exist".to_string())
    );
    assert_eq!(
        change(&["alice_wp", "carl"]),
        (5, "Error: user carl is suspended".to_string())
    );
    assert_eq!(
        change(&["alice_wp", "nobody"]),
        (3, "Error: user nobody doesn't exist".to_string())
    );
    assert_eq!(
        change(&["alice wp", "bob"]),
        (2, "Error: invalid database format :: alice wp".to_string())
    );
    fs::write(
        root.join("data/users/bob/db.conf"),
        "DB='bob_wp' DBUSER='bob_wp'\n",
    )
    .unwrap();
    assert_eq!(
        change(&["alice_wp", "bob"]),
        (4, "Error: bob_wp database exists".to_string())
    );
    fs::write(root.join("data/users/bob/db.conf"), "").unwrap();

    assert_eq!(change(&["alice_wp", "bob"]), (0, String::new()));
    assert_eq!(
        fs::read_to_string(root.join("data/users/alice/db.conf")).unwrap(),
        ""
    );
    let moved = fs::read_to_string(root.join("data/users/bob/db.conf")).unwrap();
    assert!(moved.starts_with("DB='bob_wp' DBUSER='bob_wp' MD5='x' HOST='localhost' TYPE='mysql'"));
    assert!(moved.contains("SUSPENDED='no'"));
    let hosts = fs::read_to_string(root.join("conf/mysql.conf")).unwrap();
    assert!(hosts.contains("U_SYS_USERS='bob'"), "{hosts}");
    let alice = fs::read_to_string(root.join("data/users/alice/user.conf")).unwrap();
    assert!(alice.contains("U_DATABASES='0'") && alice.contains("SUSPENDED_DB='0'"));
    let bob = fs::read_to_string(root.join("data/users/bob/user.conf")).unwrap();
    assert!(bob.contains("U_DATABASES='2'"));
}

#[test]
fn domain_owner_refusals() {
    let dir = root();
    let root = dir.path();
    fs::write(
        root.join("data/users/alice/web.conf"),
        "DOMAIN='example.com' IP='198.18.0.1' CUSTOM_DOCROOT='/home/alice/web/other.com/public_html' SUSPENDED='no'\n",
    )
    .unwrap();
    fs::write(
        root.join("conf/hestia.conf"),
        "ROOT_USER='admin'\nHOME_ROOT='/home'\n",
    )
    .unwrap();
    let change = |args: &[&str]| run(root, "v-change-domain-owner", args);
    assert_eq!(
        change(&["missing.com", "bob"]),
        (3, "Error: domain missing.com doesn't exist".to_string())
    );
    assert_eq!(
        change(&["example.com", "alice"]),
        (
            0,
            "ERROR: example.com is already owned by alice.\n".to_string()
        )
    );
    assert_eq!(
        change(&["example.com", "carl"]),
        (5, "Error: user carl is suspended".to_string())
    );
    assert_eq!(
        change(&["bad_domain", "bob"]),
        (2, "Error: invalid domain format :: bad_domain".to_string())
    );
    assert_eq!(
        change(&["example.com", "bob"]),
        (
            3,
            "Moving example.com from alice to bob, please wait...\n[*] Moving web domain...\n\
             Error: Target domain doesn't belong to the new user"
                .to_string()
        )
    );
    // Nothing moved.
    assert!(
        fs::read_to_string(root.join("data/users/alice/web.conf"))
            .unwrap()
            .contains("example.com")
    );
    assert!(!root.join("data/users/bob/web.conf").exists());
}
