//! Black-box tests of the mail commands through the HTTP API: Hestia's `test.bats` MAIL cases
//! (§8.2), the `mail.` subdomain and ownership rules, package limits, DKIM keys and records,
//! the rendered exim/dovecot files, the `mail-accounts` permission set, every list format,
//! and passwords kept out of every file and log.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use hearth_sdk::conf::{self, Record};
use serde_json::Value;
use support::*;

static SERVER: OnceLock<Server> = OnceLock::new();

/// The shared server, with `API_SYSTEM='2'` so that users' access keys work too.
fn server() -> &'static Server {
    SERVER.get_or_init(|| Server::start_with(&[], |data| set_conf(data, "API_SYSTEM", "2")))
}

/// The password of every user these tests create (never a mail password).
const USER_PASSWORD: &str = "Us3r-p4ss-Mail-Suite-x81";

/// Mail account passwords: distinctive, so a leak anywhere is found.
const MAIL_PASSWORD: &str = "t3st-p4ssw0rd-Mail-Canary-Q7";
const MAIL_PASSWORD_2: &str = "Second-Mail-Canary-Zz93-pw";
const MAIL_PASSWORD_3: &str = "Third-Mail-Canary-Kk41-pw";

/// Creates a user through the API (root access key).
#[track_caller]
fn add_user(s: &Server, user: &str) {
    let email = format!("{user}@example.com");
    s.v2(false, "v-add-user", &[user, USER_PASSWORD, &email])
        .expect(204, Some("0"), "");
}

/// A failure that changes nothing, checked in all four modes: access key and legacy
/// password, each with `returncode=yes` and `no`.
#[track_caller]
fn expect_failure(s: &Server, command: &str, args: &[&str], code: u32, message: &str) {
    let code_text = code.to_string();
    s.v2(false, command, args)
        .expect(http_status(code), Some(&code_text), message)
        .expect_type(TEXT_HTML);
    s.v2(true, command, args)
        .expect(200, Some(&code_text), &code_text);
    s.legacy(false, command, args)
        .expect(200, None, &format!("{message}\n"));
    s.legacy(true, command, args).expect(200, None, &code_text);
}

/// The records of an object-list file below the data root.
fn records(s: &Server, relative: &str) -> Vec<Record> {
    conf::parse_list(&s.read(relative)).expect("a valid object list")
}

/// One record of an object-list file by its key.
#[track_caller]
fn record(s: &Server, relative: &str, key: &str, value: &str) -> Record {
    records(s, relative)
        .into_iter()
        .find(|r| r.value(key) == value)
        .unwrap_or_else(|| panic!("no {key}='{value}' in {relative}"))
}

/// Sets a value in `user.conf` the way an admin edits it (write, then rename).
fn set_user_value(s: &Server, user: &str, key: &str, value: &str) {
    let path = s.path(&format!("data/users/{user}/user.conf"));
    let mut record = conf::parse_source(&std::fs::read_to_string(&path).unwrap()).unwrap();
    record.set(key, value);
    let temp = path.with_file_name(".user.conf.test-tmp");
    std::fs::write(&temp, record.to_source().unwrap()).unwrap();
    std::fs::rename(&temp, &path).unwrap();
}

/// A JSON answer, checked for status, exit code and content type.
#[track_caller]
fn json(s: &Server, command: &str, args: &[&str]) -> Value {
    let r = s.v2(false, command, args);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    r.json()
}

/// A non-JSON answer's body.
#[track_caller]
fn text(s: &Server, command: &str, args: &[&str]) -> String {
    let r = s.v2(false, command, args);
    r.expect_status(200, Some("0"));
    r.body
}

/// The keys of one JSON object appear in `keys` order, each once (serde_json sorts them, so
/// the order is read off the text).
#[track_caller]
fn assert_key_order(body: &str, keys: &[&str]) {
    let positions: Vec<usize> = keys
        .iter()
        .map(|key| {
            let quoted = format!("\"{key}\":");
            assert_eq!(body.matches(&quoted).count(), 1, "{key} in {body}");
            body.find(&quoted).unwrap()
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys out of order in {body}"
    );
}

/// The rendered mail configuration of a domain.
fn rendered(s: &Server, user: &str, domain: &str, file: &str) -> String {
    s.read(&format!("home/{user}/conf/mail/{domain}/{file}"))
}

/// Every file below the data root and the server's log, searched for `secrets`.
fn leaks(s: &Server, secrets: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut check = |place: String, text: &str| {
        for secret in secrets {
            if text.contains(secret) {
                found.push((place.clone(), secret.to_string()));
            }
        }
    };
    walk(s.data_dir(), s.data_dir(), &mut |relative, path| {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
            let bytes = std::fs::read(path).unwrap_or_default();
            check(
                relative.display().to_string(),
                &String::from_utf8_lossy(&bytes),
            );
        }
    });
    check("<server log>".to_string(), &s.log());
    found
}

/// `openssl pkey` accepts the file as a key (`public` for a SubjectPublicKeyInfo).
fn openssl_accepts(path: &Path, public: bool) -> bool {
    let mut command = Command::new("openssl");
    command.arg("pkey").arg("-noout").arg("-in").arg(path);
    if public {
        command.arg("-pubin");
    } else {
        command.arg("-check");
    }
    command
        .status()
        .unwrap_or_else(|e| panic!("run openssl: {e}"))
        .success()
}

// ---------------------------------------------------------------------------------------
// Hestia's test.bats MAIL cases
// ---------------------------------------------------------------------------------------

#[test]
fn test_bats_mail_cases() {
    let s = server();
    let user = "test-5285";
    let domain = "test-5285.hestiacp.com";
    add_user(s, user);

    // MAIL: Add domain / duplicate.
    ok(s, "v-add-mail-domain", &[user, domain]);
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, domain],
        4,
        &format!("Error: Mail domain {domain} exists"),
    );

    // MAIL: Add account / duplicate.
    ok(
        s,
        "v-add-mail-account",
        &[user, domain, "test", MAIL_PASSWORD],
    );
    expect_failure(
        s,
        "v-add-mail-account",
        &[user, domain, "test", MAIL_PASSWORD],
        4,
        "Error: mail account test already exists",
    );

    // MAIL: alias too long, `test+123`, `hestia@test`.
    let long = "hestiacp-realy-rocks-but-i-want-to-have-feature-xxxx-and-i-want-it-now";
    for alias in [long, "test+123", "hestia@test"] {
        expect_failure(
            s,
            "v-add-mail-account-alias",
            &[user, domain, "test", alias],
            2,
            &format!("Error: invalid malias format :: {alias}"),
        );
    }
    assert_eq!(
        record(
            s,
            &format!("data/users/{user}/mail/{domain}.conf"),
            "ACCOUNT",
            "test"
        )
        .value("ALIAS"),
        ""
    );

    // MAIL: Delete account, then the missing account.
    ok(s, "v-delete-mail-account", &[user, domain, "test"]);
    expect_failure(
        s,
        "v-delete-mail-account",
        &[user, domain, "test"],
        3,
        &format!("Error: {domain} account test doesn't exist"),
    );
    assert_eq!(user_value(s, user, "U_MAIL_ACCOUNTS"), "0");
    assert!(
        leaks(s, &[MAIL_PASSWORD]).is_empty(),
        "{:?}",
        leaks(s, &[MAIL_PASSWORD])
    );
}

#[test]
fn subdomains_of_another_users_domain_are_refused_until_allowed() {
    let s = server();
    let (user, user2) = ("owner-5285", "owner-5286");
    add_user(s, user);
    add_user(s, user2);

    // The parent is another user's mail domain.
    ok(s, "v-add-mail-domain", &[user2, "testhestiacp.com"]);
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "cdn.testhestiacp.com"],
        4,
        "Error: Unable to add cdn.testhestiacp.com. testhestiacp.com belongs to a different user",
    );
    // Its owner may.
    ok(s, "v-add-mail-domain", &[user2, "cdn.testhestiacp.com"]);

    // The parent is another user's DNS domain.
    ok(
        s,
        "v-add-dns-domain",
        &[user2, "dnsowned-hestiacp.com", "198.18.0.125"],
    );
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "cdn.dnsowned-hestiacp.com"],
        4,
        "Error: Unable to add cdn.dnsowned-hestiacp.com. dnsowned-hestiacp.com belongs to a different user",
    );

    // The parent is another user's web domain, until it allows other users.
    ok(s, "v-add-web-domain", &[user2, "webowned-hestiacp.com"]);
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "cdn.webowned-hestiacp.com"],
        4,
        "Error: Unable to add cdn.webowned-hestiacp.com. webowned-hestiacp.com belongs to a different user",
    );
    ok(
        s,
        "v-add-web-domain-allow-users",
        &[user2, "webowned-hestiacp.com"],
    );
    ok(s, "v-add-mail-domain", &[user, "cdn.webowned-hestiacp.com"]);
    assert!(
        s.read(&format!("data/users/{user}/mail.conf"))
            .starts_with("DOMAIN='cdn.webowned-hestiacp.com' ")
    );
}

#[test]
fn mail_subdomain_is_reserved() {
    let s = server();
    let (user, other) = ("reserve-a", "reserve-b");
    add_user(s, user);
    add_user(s, other);
    ok(
        s,
        "v-add-mail-domain",
        &[user, "reserved-example.com", "no", "no", "no"],
    );
    for who in [user, other] {
        expect_failure(
            s,
            "v-add-mail-domain",
            &[who, "mail.reserved-example.com"],
            2,
            "Error: The subdomain \"mail.\" is reserved by \"reserved-example.com\"",
        );
    }
    // The other way round: mail.X first, then X.
    ok(
        s,
        "v-add-mail-domain",
        &[user, "mail.first-example.com", "no", "no", "no"],
    );
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "first-example.com"],
        4,
        "Error: Required subdomain \"mail.first-example.com\" already exists",
    );
    // Once the domain is gone its name is free again, for anyone.
    ok(s, "v-delete-mail-domain", &[user, "reserved-example.com"]);
    ok(
        s,
        "v-add-mail-domain",
        &[other, "reserved-example.com", "no", "no", "no"],
    );
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "reserved-example.com"],
        4,
        "Error: Mail domain reserved-example.com exists",
    );
}

// ---------------------------------------------------------------------------------------
// v-add-mail-domain / v-delete-mail-domain
// ---------------------------------------------------------------------------------------

#[test]
fn add_mail_domain_validation() {
    let s = server();
    let user = "maildomval";
    add_user(s, user);
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user],
        1,
        "Usage: v-add-mail-domain USER DOMAIN [ANTISPAM] [ANTIVIRUS] [DKIM] [DKIM_SIZE] [RESTART] [REJECT_SPAM]",
    );
    for (args, code, message) in [
        (
            vec![user, "bad_domain.com"],
            2,
            "Error: invalid domain format :: bad_domain.com",
        ),
        (
            vec![user, "ok-domain.com", "maybe"],
            2,
            "Error: invalid antispam format :: maybe",
        ),
        (
            vec![user, "ok-domain.com", "yes", "sure"],
            2,
            "Error: invalid antivirus format :: sure",
        ),
        (
            vec![user, "ok-domain.com", "yes", "yes", "1"],
            2,
            "Error: invalid dkim format :: 1",
        ),
        (
            vec![user, "ok-domain.com", "yes", "yes", "yes", "big"],
            2,
            "Error: invalid  format :: big",
        ),
        (
            vec![user, "ok-domain.com", "yes", "yes", "yes", "1024"],
            2,
            "Error: invalid dkim_size format :: 1024",
        ),
        (
            vec![user, "ok-domain.com", "yes", "yes", "yes", "2048", "now"],
            2,
            "Error: invalid restart format :: now",
        ),
        (
            vec![
                user,
                "ok-domain.com",
                "yes",
                "yes",
                "yes",
                "2048",
                "no",
                "x",
            ],
            2,
            "Error: invalid reject format :: x",
        ),
        (
            vec![user, "192.0.2.7"],
            1,
            "Error: Invalid domain format. IP address detected as input.",
        ),
        (
            vec!["nobody-here", "ok-domain.com"],
            3,
            "Error: user nobody-here doesn't exist",
        ),
    ] {
        expect_failure(s, "v-add-mail-domain", &args, code, message);
    }
    assert_eq!(s.read(&format!("data/users/{user}/mail.conf")), "");

    // MAIL_DOMAINS limit.
    set_user_value(s, user, "MAIL_DOMAINS", "1");
    ok(
        s,
        "v-add-mail-domain",
        &[user, "WWW.Limit-One.COM", "no", "no", "no"],
    );
    assert!(
        s.read(&format!("data/users/{user}/mail.conf"))
            .starts_with("DOMAIN='limit-one.com' ")
    );
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "limit-two.com"],
        8,
        "Error: MAIL_DOMAINS limit is reached :: upgrade user package",
    );
    set_user_value(s, user, "MAIL_DOMAINS", "unlimited");

    // A suspended user adds nothing.
    ok(s, "v-suspend-user", &[user]);
    expect_failure(
        s,
        "v-add-mail-domain",
        &[user, "limit-two.com"],
        5,
        &format!("Error: user {user} is suspended"),
    );
    ok(s, "v-unsuspend-user", &[user]);
}

#[test]
fn add_mail_domain_writes_hestia_records_keys_and_exim_files() {
    let s = server();
    let user = "maildomadd";
    let domain = "keys-example.com";
    add_user(s, user);
    ok(s, "v-add-mail-domain", &[user, domain]);

    // mail.conf in Hestia's key order; no antispam/antivirus system, so both are off.
    let line = s.read(&format!("data/users/{user}/mail.conf"));
    let r = conf::parse_list(&line).unwrap().remove(0);
    let keys: Vec<&str> = r.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "DOMAIN",
            "ANTIVIRUS",
            "ANTISPAM",
            "REJECT",
            "DKIM",
            "WEBMAIL",
            "SSL",
            "LETSENCRYPT",
            "CATCHALL",
            "ACCOUNTS",
            "RATE_LIMIT",
            "U_DISK",
            "SUSPENDED",
            "TIME",
            "DATE"
        ]
    );
    for (key, value) in [
        ("DOMAIN", domain),
        ("ANTIVIRUS", "no"),
        ("ANTISPAM", "no"),
        ("REJECT", "no"),
        ("DKIM", "yes"),
        ("ACCOUNTS", "0"),
        ("RATE_LIMIT", "200"),
        ("SUSPENDED", "no"),
    ] {
        assert_eq!(r.value(key), value, "{key}");
    }
    assert_eq!(s.read(&format!("data/users/{user}/mail/{domain}.conf")), "");
    assert_eq!(user_value(s, user, "U_MAIL_DOMAINS"), "1");
    assert_eq!(user_value(s, user, "U_MAIL_DKIM"), "1");

    // DKIM: a real key pair, 2048 bits by default, the private key also where exim reads it.
    let pem = s.path(&format!("data/users/{user}/mail/{domain}.pem"));
    let public = s.path(&format!("data/users/{user}/mail/{domain}.pub"));
    let public_text = std::fs::read_to_string(&public).unwrap();
    assert!(public_text.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(public_text.trim_end().ends_with("-----END PUBLIC KEY-----"));
    assert!(
        openssl_accepts(&public, true),
        "openssl rejects {public_text}"
    );
    assert!(openssl_accepts(&pem, false));
    let bits = Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-text", "-in"])
        .arg(&public)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bits.stdout).contains("(2048 bit)"));
    assert_eq!(
        rendered(s, user, domain, "dkim.pem"),
        std::fs::read_to_string(&pem).unwrap()
    );

    // The exim/dovecot directory: empty account files, the outgoing address, no flags.
    for file in ["passwd", "accounts", "aliases", "fwd_only", "limits"] {
        let path = s.path(&format!("home/{user}/conf/mail/{domain}/{file}"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "{file}");
    }
    assert_eq!(rendered(s, user, domain, "ip"), "127.0.0.1\n");
    for flag in ["antispam", "antivirus", "reject_spam"] {
        assert!(
            !s.path(&format!("home/{user}/conf/mail/{domain}/{flag}"))
                .exists()
        );
    }
    assert!(s.path(&format!("home/{user}/mail/{domain}")).is_dir());
    let history = s.read(&format!("data/users/{user}/history.log"));
    assert!(history.contains(&format!(
        "LEVEL='Info' CATEGORY='Mail' MESSAGE='Added new mail domain ({domain}).'"
    )));

    // A 4096-bit key on request, none without DKIM.
    ok(
        s,
        "v-add-mail-domain",
        &[user, "big-keys.com", "yes", "yes", "yes", "4096", "no"],
    );
    let big = Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-text", "-in"])
        .arg(s.path(&format!("data/users/{user}/mail/big-keys.com.pub")))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&big.stdout).contains("(4096 bit)"));
    ok(
        s,
        "v-add-mail-domain",
        &[user, "no-keys.com", "no", "no", "no"],
    );
    assert!(
        !s.path(&format!("data/users/{user}/mail/no-keys.com.pem"))
            .exists()
    );
    assert!(
        !s.path(&format!("home/{user}/conf/mail/no-keys.com/dkim.pem"))
            .exists()
    );
    assert_eq!(user_value(s, user, "U_MAIL_DOMAINS"), "3");
    assert_eq!(user_value(s, user, "U_MAIL_DKIM"), "2");

    // Delete: records, keys, rendered files, maildirs, counters.
    ok(
        s,
        "v-add-mail-account",
        &[user, domain, "info", MAIL_PASSWORD_3],
    );
    ok(s, "v-delete-mail-domain", &[user, domain]);
    expect_failure(
        s,
        "v-delete-mail-domain",
        &[user, domain],
        3,
        &format!("Error: mail domain {domain} doesn't exist"),
    );
    for gone in [
        format!("data/users/{user}/mail/{domain}.conf"),
        format!("data/users/{user}/mail/{domain}.pem"),
        format!("data/users/{user}/mail/{domain}.pub"),
        format!("home/{user}/conf/mail/{domain}"),
        format!("home/{user}/mail/{domain}"),
    ] {
        assert!(!s.path(&gone).exists(), "{gone} is still there");
    }
    assert!(
        !s.read(&format!("data/users/{user}/mail.conf"))
            .contains(domain)
    );
    assert_eq!(user_value(s, user, "U_MAIL_DOMAINS"), "2");
    assert_eq!(user_value(s, user, "U_MAIL_DKIM"), "1");
    assert_eq!(user_value(s, user, "U_MAIL_ACCOUNTS"), "0");

    // A suspended domain (as v-suspend-mail-domain leaves it) also gives back SUSPENDED_MAIL.
    let mail_conf = s.path(&format!("data/users/{user}/mail.conf"));
    let text = std::fs::read_to_string(&mail_conf).unwrap().replace(
        "DOMAIN='no-keys.com' ANTIVIRUS='no' ANTISPAM='no' REJECT='no' DKIM='no' WEBMAIL='' SSL='no' LETSENCRYPT='no' CATCHALL='' ACCOUNTS='0' RATE_LIMIT='200' U_DISK='0' SUSPENDED='no'",
        "DOMAIN='no-keys.com' ANTIVIRUS='no' ANTISPAM='no' REJECT='no' DKIM='no' WEBMAIL='' SSL='no' LETSENCRYPT='no' CATCHALL='' ACCOUNTS='0' RATE_LIMIT='200' U_DISK='0' SUSPENDED='yes'",
    );
    assert!(text.contains("SUSPENDED='yes'"));
    let temp = mail_conf.with_file_name(".mail.conf.test-tmp");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, &mail_conf).unwrap();
    set_user_value(s, user, "SUSPENDED_MAIL", "1");
    ok(s, "v-delete-mail-domain", &[user, "no-keys.com"]);
    assert_eq!(user_value(s, user, "SUSPENDED_MAIL"), "0");
    assert_eq!(user_value(s, user, "U_MAIL_DOMAINS"), "1");
}

#[test]
fn antispam_and_antivirus_need_their_systems() {
    let s = Server::start_with(&[], |data| {
        set_conf(data, "ANTISPAM_SYSTEM", "spamassassin");
        set_conf(data, "ANTIVIRUS_SYSTEM", "clamav-daemon");
    });
    let user = "spamuser";
    add_user(&s, user);
    // RESTART 'no' queues no reload.
    ok(
        &s,
        "v-add-mail-domain",
        &[user, "guarded.com", "yes", "yes", "no", "", "no", "yes"],
    );
    assert!(!s.read("data/queue/restart.pipe").contains("v-restart-web"));
    let r = record(
        &s,
        &format!("data/users/{user}/mail.conf"),
        "DOMAIN",
        "guarded.com",
    );
    assert_eq!(
        (
            r.value("ANTISPAM"),
            r.value("ANTIVIRUS"),
            r.value("REJECT"),
            r.value("DKIM")
        ),
        ("yes", "yes", "yes", "no")
    );
    for flag in ["antispam", "antivirus", "reject_spam"] {
        assert!(
            s.path(&format!("home/{user}/conf/mail/guarded.com/{flag}"))
                .is_file(),
            "{flag}"
        );
    }
    assert_eq!(user_value(&s, user, "U_MAIL_DKIM"), "0");

    // The same request without the systems: forced off.
    s.set_conf("ANTISPAM_SYSTEM", "");
    s.set_conf("ANTIVIRUS_SYSTEM", "");
    ok(
        &s,
        "v-add-mail-domain",
        &[user, "open.com", "yes", "yes", "no", "", "", "yes"],
    );
    // An empty RESTART queues Hestia's web reload (for the webmail host).
    assert!(
        s.read("data/queue/restart.pipe")
            .lines()
            .any(|line| line == "v-restart-web now")
    );
    let r = record(
        &s,
        &format!("data/users/{user}/mail.conf"),
        "DOMAIN",
        "open.com",
    );
    assert_eq!(
        (r.value("ANTISPAM"), r.value("ANTIVIRUS"), r.value("REJECT")),
        ("no", "no", "no")
    );
    for flag in ["antispam", "antivirus", "reject_spam"] {
        assert!(
            !s.path(&format!("home/{user}/conf/mail/open.com/{flag}"))
                .exists(),
            "{flag}"
        );
    }

    // MAIL_SYSTEM off: 11, for domains and accounts alike.
    s.set_conf("MAIL_SYSTEM", "");
    expect_failure(
        &s,
        "v-add-mail-domain",
        &[user, "late.com"],
        11,
        "Error: MAIL_SYSTEM is not enabled",
    );
    expect_failure(
        &s,
        "v-add-mail-account",
        &[user, "open.com", "info", MAIL_PASSWORD_3],
        11,
        "Error: MAIL_SYSTEM is not enabled",
    );
}

#[test]
fn dkim_records_follow_the_dns_zone() {
    let s = server();
    let user = "dkimdns";
    let domain = "dkim-zone.com";
    add_user(s, user);
    ok(s, "v-add-dns-domain", &[user, domain, "198.18.0.125"]);
    let zone = format!("data/users/{user}/dns/{domain}.conf");
    let before = records(s, &zone).len();
    ok(s, "v-add-mail-domain", &[user, domain]);

    let body: String = s
        .read(&format!("data/users/{user}/mail/{domain}.pub"))
        .lines()
        .filter(|line| !line.contains(" KEY---"))
        .collect();
    let selector = record(s, &zone, "RECORD", "mail._domainkey");
    assert_eq!(selector.value("TYPE"), "TXT");
    assert!(selector.value("VALUE").contains("v=DKIM1"));
    assert!(
        selector.value("VALUE").contains(&format!("p={body}")),
        "{selector:?}"
    );
    let policy = record(s, &zone, "RECORD", "_domainkey");
    assert_eq!(policy.value("TYPE"), "TXT");
    assert!(policy.value("VALUE").contains("t=y; o=~;"));
    assert_eq!(records(s, &zone).len(), before + 2);

    ok(s, "v-delete-mail-domain", &[user, domain]);
    let after = records(s, &zone);
    assert_eq!(after.len(), before);
    assert!(
        after
            .iter()
            .all(|r| !r.value("RECORD").contains("_domainkey"))
    );
}

// ---------------------------------------------------------------------------------------
// Accounts and their extras, and the files exim and dovecot read
// ---------------------------------------------------------------------------------------

#[test]
fn accounts_render_dovecot_and_exim_files() {
    let s = server();
    let user = "acctfiles";
    let domain = "files-example.com";
    add_user(s, user);
    ok(s, "v-add-mail-domain", &[user, domain, "no", "no", "no"]);
    expect_failure(
        s,
        "v-add-mail-account",
        &[user, domain, "x"],
        1,
        "Usage: v-add-mail-account USER DOMAIN ACCOUNT PASSWORD [QUOTA]",
    );
    expect_failure(
        s,
        "v-add-mail-account",
        &[user, domain, "bad+name", MAIL_PASSWORD_2],
        2,
        "Error: invalid account format :: bad+name",
    );
    expect_failure(
        s,
        "v-add-mail-account",
        &[user, domain, "info", MAIL_PASSWORD_2, "10G"],
        2,
        "Error: invalid quota format :: 10G",
    );
    expect_failure(
        s,
        "v-add-mail-account",
        &[user, "missing-example.com", "info", MAIL_PASSWORD_2],
        3,
        "Error: mail domain missing-example.com doesn't exist",
    );

    ok(
        s,
        "v-add-mail-account",
        &[user, domain, "Info", MAIL_PASSWORD_2, "500"],
    );
    ok(
        s,
        "v-add-mail-account",
        &[user, domain, "sales", MAIL_PASSWORD_3],
    );
    let accounts = format!("data/users/{user}/mail/{domain}.conf");
    let info = record(s, &accounts, "ACCOUNT", "info");
    let keys: Vec<&str> = info.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "ACCOUNT",
            "ALIAS",
            "AUTOREPLY",
            "FWD",
            "FWD_ONLY",
            "MD5",
            "QUOTA",
            "U_DISK",
            "SUSPENDED",
            "TIME",
            "DATE"
        ]
    );
    assert!(
        info.value("MD5").starts_with("{ARGON2ID}$argon2id$"),
        "{info:?}"
    );
    assert_eq!(info.value("QUOTA"), "500");
    assert_eq!(
        record(s, &accounts, "ACCOUNT", "sales").value("QUOTA"),
        "unlimited"
    );
    assert_eq!(
        record(s, &format!("data/users/{user}/mail.conf"), "DOMAIN", domain).value("ACCOUNTS"),
        "2"
    );
    assert_eq!(user_value(s, user, "U_MAIL_ACCOUNTS"), "2");
    assert!(s.path(&format!("home/{user}/mail/{domain}/info")).is_dir());

    let home = format!("{}/{user}", s.conf_value("HOME_ROOT").unwrap());
    assert_eq!(
        rendered(s, user, domain, "passwd"),
        format!(
            "info:{}:{user}:mail::{home}:500:userdb_quota_rule=*:storage=500M\n\
             sales:{}:{user}:mail::{home}:0:userdb_quota_rule=*:storage=0M\n",
            info.value("MD5"),
            record(s, &accounts, "ACCOUNT", "sales").value("MD5"),
        )
    );
    assert_eq!(
        rendered(s, user, domain, "accounts"),
        format!("info:info:{user}:mail:{home}\nsales:sales:{user}:mail:{home}\n")
    );
    assert_eq!(
        rendered(s, user, domain, "limits"),
        format!("info@{domain}:200\nsales@{domain}:200\n")
    );

    // Aliases, forwards, forward-only.
    ok(
        s,
        "v-add-mail-account-alias",
        &[user, domain, "info", "hello"],
    );
    expect_failure(
        s,
        "v-add-mail-account-alias",
        &[user, domain, "sales", "hello"],
        4,
        "Error: mail alias hello already exists",
    );
    expect_failure(
        s,
        "v-add-mail-account-alias",
        &[user, domain, "sales", "info"],
        4,
        "Error: mail account info already exists",
    );
    expect_failure(
        s,
        "v-add-mail-account-forward",
        &[user, domain, "info", "not-an-address"],
        2,
        "Error: invalid email format :: not-an-address",
    );
    ok(
        s,
        "v-add-mail-account-forward",
        &[user, domain, "info", "boss@example.net"],
    );
    expect_failure(
        s,
        "v-add-mail-account-forward",
        &[user, domain, "info", "boss@example.net"],
        4,
        "Error: forward boss@example.net exists",
    );
    expect_failure(
        s,
        "v-add-mail-account-fwd-only",
        &[user, domain, "sales"],
        3,
        "Error: forward doesn't exist",
    );
    ok(s, "v-add-mail-account-fwd-only", &[user, domain, "info"]);
    assert_eq!(
        rendered(s, user, domain, "aliases"),
        format!("hello@{domain}:info@{domain}\ninfo@{domain}:boss@example.net\n")
    );
    assert_eq!(rendered(s, user, domain, "fwd_only"), "info\n");

    // Suspension shows in dovecot's file; a suspended account changes nothing more.
    ok(s, "v-suspend-mail-account", &[user, domain, "sales"]);
    assert!(rendered(s, user, domain, "passwd").contains(&format!(
        "sales:SUSPENDED:{user}:mail::{home}:0:userdb_quota_rule=*:storage=0M\n"
    )));
    expect_failure(
        s,
        "v-change-mail-account-password",
        &[user, domain, "sales", MAIL_PASSWORD],
        5,
        &format!("Error: {domain} sales is suspended"),
    );
    expect_failure(
        s,
        "v-suspend-mail-account",
        &[user, domain, "sales"],
        5,
        &format!("Error: {domain} sales is suspended"),
    );
    ok(s, "v-unsuspend-mail-account", &[user, domain, "sales"]);
    expect_failure(
        s,
        "v-unsuspend-mail-account",
        &[user, domain, "sales"],
        6,
        &format!("Error: {domain} sales is not suspended"),
    );

    // A new password is a new hash; quota changes reach dovecot.
    let old = record(s, &accounts, "ACCOUNT", "sales")
        .value("MD5")
        .to_string();
    ok(
        s,
        "v-change-mail-account-password",
        &[user, domain, "sales", MAIL_PASSWORD],
    );
    let new = record(s, &accounts, "ACCOUNT", "sales")
        .value("MD5")
        .to_string();
    assert!(new.starts_with("{ARGON2ID}$argon2id$") && new != old);
    ok(
        s,
        "v-change-mail-account-quota",
        &[user, domain, "sales", "1024"],
    );
    assert!(rendered(s, user, domain, "passwd").contains(&format!(
        "sales:{new}:{user}:mail::{home}:1024:userdb_quota_rule=*:storage=1024M\n"
    )));

    // Deleting the account removes it everywhere.
    ok(s, "v-delete-mail-account", &[user, domain, "info"]);
    for file in ["passwd", "accounts", "aliases", "fwd_only", "limits"] {
        assert!(!rendered(s, user, domain, file).contains("info"), "{file}");
    }
    assert!(!s.path(&format!("home/{user}/mail/{domain}/info")).exists());
    assert_eq!(user_value(s, user, "U_MAIL_ACCOUNTS"), "1");

    // MAIL_ACCOUNTS counts the domain's accounts.
    set_user_value(s, user, "MAIL_ACCOUNTS", "1");
    expect_failure(
        s,
        "v-add-mail-account",
        &[user, domain, "third", MAIL_PASSWORD_3],
        8,
        "Error: MAIL_ACCOUNTS limit is reached :: upgrade user package",
    );
    set_user_value(s, user, "MAIL_ACCOUNTS", "unlimited");

    let found = leaks(s, &[MAIL_PASSWORD, MAIL_PASSWORD_2, MAIL_PASSWORD_3]);
    assert!(found.is_empty(), "passwords found: {found:?}");
}

// ---------------------------------------------------------------------------------------
// The mail-accounts permission set
// ---------------------------------------------------------------------------------------

#[test]
fn mail_accounts_key_is_confined_to_its_user_and_set() {
    let s = server();
    let (alice, bob) = ("keymail-a", "keymail-b");
    let (a_domain, b_domain) = ("alice-mail.com", "bob-mail.com");
    add_user(s, alice);
    add_user(s, bob);
    ok(s, "v-add-mail-domain", &[alice, a_domain, "no", "no", "no"]);
    ok(s, "v-add-mail-domain", &[bob, b_domain, "no", "no", "no"]);
    ok(
        s,
        "v-add-mail-account",
        &[bob, b_domain, "info", MAIL_PASSWORD_3],
    );
    let key = s.add_key(alice, "mail-accounts");
    let call = |command: &str, args: &[&str]| s.api(Auth::Key(&key), false, command, args);
    let mismatch = format!(
        "Error: Key {} - the \"user\" argument doesn\\'t match the key\\'s user",
        key.id
    );
    let denied = |command: &str| {
        format!(
            "Error: Key {} don't have permission to run the command {command}",
            key.id
        )
    };

    // Every command of the set, on alice's own domain.
    let steps: &[(&str, &[&str])] = &[
        (
            "v-add-mail-account",
            &[alice, a_domain, "info", MAIL_PASSWORD],
        ),
        (
            "v-add-mail-account-alias",
            &[alice, a_domain, "info", "hello"],
        ),
        (
            "v-add-mail-account-forward",
            &[alice, a_domain, "info", "boss@example.net"],
        ),
        ("v-add-mail-account-fwd-only", &[alice, a_domain, "info"]),
        (
            "v-add-mail-account-autoreply",
            &[alice, a_domain, "info", "Away"],
        ),
        (
            "v-change-mail-account-password",
            &[alice, a_domain, "info", MAIL_PASSWORD_2],
        ),
        (
            "v-change-mail-account-quota",
            &[alice, a_domain, "info", "100"],
        ),
        ("v-suspend-mail-account", &[alice, a_domain, "info"]),
        ("v-unsuspend-mail-account", &[alice, a_domain, "info"]),
        ("v-suspend-mail-accounts", &[alice, a_domain]),
        ("v-unsuspend-mail-accounts", &[alice, a_domain]),
        ("v-delete-mail-account-fwd-only", &[alice, a_domain, "info"]),
        (
            "v-delete-mail-account-forward",
            &[alice, a_domain, "info", "boss@example.net"],
        ),
        (
            "v-delete-mail-account-autoreply",
            &[alice, a_domain, "info"],
        ),
        (
            "v-delete-mail-account-alias",
            &[alice, a_domain, "info", "hello"],
        ),
    ];
    for (command, args) in steps {
        call(command, args).expect(204, Some("0"), "");
    }
    let lists: &[(&str, &[&str])] = &[
        ("v-list-mail-domains", &[alice, "json"]),
        ("v-list-mail-domain", &[alice, a_domain, "json"]),
        ("v-list-mail-accounts", &[alice, a_domain, "json"]),
        ("v-list-mail-account", &[alice, a_domain, "info", "json"]),
        (
            "v-list-mail-account-autoreply",
            &[alice, a_domain, "info", "json"],
        ),
    ];
    for (command, args) in lists {
        let r = call(command, args);
        r.expect_status(200, Some("0"))
            .expect_type(APPLICATION_JSON);
        r.json();
    }
    call("v-delete-mail-account", &[alice, a_domain, "info"]).expect(204, Some("0"), "");

    // Bob's objects, through alice's key: refused before anything runs.
    for (command, args) in [
        ("v-list-mail-accounts", vec![bob, b_domain, "json"]),
        ("v-delete-mail-account", vec![bob, b_domain, "info"]),
        (
            "v-change-mail-account-password",
            vec![bob, b_domain, "info", MAIL_PASSWORD],
        ),
        (
            "v-add-mail-account",
            vec![bob, b_domain, "evil", MAIL_PASSWORD],
        ),
    ] {
        call(command, &args).expect(401, Some("10"), &mismatch);
    }
    assert_eq!(
        records(s, &format!("data/users/{bob}/mail/{b_domain}.conf")).len(),
        1
    );

    // Commands outside the set, even on alice's own objects.
    for (command, args) in [
        ("v-add-mail-domain", vec![alice, "another-mail.com"]),
        ("v-delete-mail-domain", vec![alice, a_domain]),
        ("v-list-user", vec![alice, "json"]),
    ] {
        call(command, &args).expect(401, Some("10"), &denied(command));
    }
    assert!(
        s.read(&format!("data/users/{alice}/mail.conf"))
            .contains(a_domain)
    );
    let found = leaks(s, &[MAIL_PASSWORD, MAIL_PASSWORD_2]);
    assert!(found.is_empty(), "passwords found: {found:?}");
}

// ---------------------------------------------------------------------------------------
// List formats
// ---------------------------------------------------------------------------------------

#[test]
fn lists_in_every_format_with_hostile_values() {
    let s = server();
    let user = "maillists";
    let domain = "lists-example.com";
    add_user(s, user);
    ok(s, "v-add-mail-domain", &[user, domain, "no", "no", "no"]);
    ok(
        s,
        "v-add-mail-account",
        &[user, domain, "info", MAIL_PASSWORD_2],
    );
    ok(
        s,
        "v-add-mail-account-alias",
        &[user, domain, "info", "hello"],
    );
    ok(s, "v-add-mail-account-alias", &[user, domain, "info", "hi"]);
    ok(
        s,
        "v-add-mail-account-forward",
        &[user, domain, "info", "a@example.net"],
    );
    ok(
        s,
        "v-add-mail-account-forward",
        &[user, domain, "info", "b@example.net"],
    );
    // Quotes, a tab, backslashes, an `echo -e` escape and a real line break.
    let message = "I'm \"away\"\tuntil Monday: C:\\temp\\x41 \\\\o/\nRegards";
    ok(
        s,
        "v-add-mail-account-autoreply",
        &[user, domain, "info", message],
    );

    // Stored the way `echo -e` writes it: `\t` is a tab, `\x41` an A, `\\` one backslash.
    let stored = s.read(&format!("data/users/{user}/mail/info@{domain}.msg"));
    assert_eq!(
        stored,
        "I'm \"away\"\tuntil Monday: C:\tempA \\o/\nRegards\n"
    );
    assert_eq!(rendered(s, user, domain, "autoreply.info.msg"), stored);

    let auto = json(
        s,
        "v-list-mail-account-autoreply",
        &[user, domain, "info", "json"],
    );
    let expected = stored.trim_end_matches('\n').replace('\n', "\\n");
    assert_eq!(auto["info"]["MSG"], expected.as_str());
    assert_eq!(
        text(
            s,
            "v-list-mail-account-autoreply",
            &[user, domain, "info", "plain"]
        ),
        expected
    );

    // v-list-mail-accounts
    let accounts = json(s, "v-list-mail-accounts", &[user, domain, "json"]);
    let info = &accounts["info"];
    assert_eq!(info["ALIAS"], "hello,hi");
    assert_eq!(info["FWD"], "a@example.net,b@example.net");
    assert_eq!(info["AUTOREPLY"], "yes");
    assert_eq!(info["QUOTA"], "unlimited");
    assert_key_order(
        &text(s, "v-list-mail-accounts", &[user, domain, "json"]),
        &[
            "ALIAS",
            "FWD",
            "FWD_ONLY",
            "AUTOREPLY",
            "QUOTA",
            "U_DISK",
            "SUSPENDED",
            "TIME",
            "DATE",
        ],
    );
    let date = info["DATE"].as_str().unwrap().to_string();
    let time = info["TIME"].as_str().unwrap().to_string();
    assert_eq!(
        text(s, "v-list-mail-accounts", &[user, domain, "plain"]),
        format!(
            "info\thello,hi\ta@example.net,b@example.net\t\tyes\tunlimited\t0\tno\t{time}\t{date}"
        )
    );
    assert_eq!(
        text(s, "v-list-mail-accounts", &[user, domain, "csv"]),
        format!(
            "ACCOUNT,ALIAS,FWD,FWD_ONLY,AUTOREPLY,QUOTA,U_DISK,SUSPENDED,TIME,DATE\n\
             info,\"hello,hi\",\"a@example.net,b@example.net\",,yes,unlimited,0,no,{time},{date}"
        )
    );
    // `column -t`: columns as wide as their widest cell, two blanks apart; FWD shortened.
    let row = |cells: [&str; 5]| {
        format!(
            "{:<9}{:<10}{:<25}{:<6}{}",
            cells[0], cells[1], cells[2], cells[3], cells[4]
        )
    };
    assert_eq!(
        text(s, "v-list-mail-accounts", &[user, domain]),
        [
            row(["ACCOUNT", "ALIAS", "FWD", "DISK", "DATE"]),
            row(["-------", "-----", "---", "----", "----"]),
            row(["info", "hello,hi", "a@example.net,b@exam...", "0", &date]),
        ]
        .join("\n")
    );
    // An explicitly empty FORMAT prints nothing.
    s.v2(false, "v-list-mail-accounts", &[user, domain, ""])
        .expect(204, Some("0"), "");

    // v-list-mail-account
    let one = json(s, "v-list-mail-account", &[user, domain, "info", "json"]);
    assert_eq!(
        text(s, "v-list-mail-account", &[user, domain, "info", "json"]),
        format!(
            "{{\n    \"info\": {{\n        \"ALIAS\": \"hello,hi\",\n        \"FWD\": \"a@example.net,b@example.net\",\n        \"FWD_ONLY\": \"\",\n        \"AUTOREPLY\": \"yes\",\n        \"QUOTA\": \"unlimited\",\n        \"RATE_LIMIT\": \"\",\n        \"U_DISK\": \"0\",\n        \"SUSPENDED\": \"no\",\n        \"TIME\": \"{time}\",\n        \"DATE\": \"{date}\",\n        \"WEBMAIL_ALIAS\": \".{domain}\"\n    }}\n}}"
        )
    );
    assert_eq!(one["info"]["WEBMAIL_ALIAS"], format!(".{domain}"));
    assert_eq!(one["info"]["RATE_LIMIT"], "");
    assert!(text(s, "v-list-mail-account", &[user, domain, "info"]).starts_with(
        "ACCOUNT:        info\nALIAS:          hello,hi\nFORWARD:        a@example.net,b@example.net\n"
    ));
    assert_eq!(
        text(s, "v-list-mail-account", &[user, domain, "info", "csv"]),
        format!(
            "ACCOUNT,ALIAS,FWD,FWD_ONLY,AUTOREPLY,QUOTA,U_DISKSUSPENDED,TIME,DATE\n\
             info,\"hello,hi\",\"a@example.net,b@example.net\",,yes,unlimited,0,no,{time},{date}\\t.{domain}"
        )
    );

    // v-list-mail-domains and v-list-mail-domain
    let domains = json(s, "v-list-mail-domains", &[user, "json"]);
    let d = &domains[domain];
    assert_eq!(d["ACCOUNTS"], "1");
    assert_eq!(d["DKIM"], "no");
    assert_key_order(
        &text(s, "v-list-mail-domains", &[user, "json"]),
        &[
            "ANTIVIRUS",
            "ANTISPAM",
            "REJECT",
            "RATE_LIMIT",
            "DKIM",
            "CATCHALL",
            "ACCOUNTS",
            "U_DISK",
            "SSL",
            "SUSPENDED",
            "TIME",
            "DATE",
            "WEBMAIL_ALIAS",
            "WEBMAIL",
        ],
    );
    let shell = text(s, "v-list-mail-domains", &[user]);
    let mut lines = shell.lines();
    let header = format!(
        "{:<19}{:<11}{:<10}{:<6}{:<5}{:<5}{:<6}{:<6}DATE",
        "DOMAIN", "ANTIVIRUS", "ANTISPAM", "DKIM", "SSL", "ACC", "DISK", "SPND"
    );
    assert_eq!(lines.next(), Some(header.as_str()));
    assert_eq!(
        lines
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec![
            domain,
            "no",
            "no",
            "no",
            "no",
            "1",
            "0",
            "no",
            d["DATE"].as_str().unwrap()
        ])
    );
    assert!(text(s, "v-list-mail-domains", &[user, "csv"]).starts_with(
        "DOMAIN,ANTIVIRUS,ANTISPAM,DKIM,SSL,CATCHALL,ACCOUNTS,U_DISK,SUSPENDED,TIME,DATE,WEBMAIL_ALIAS,WEBMAIL\n"
    ));
    assert!(
        text(s, "v-list-mail-domains", &[user, "plain"])
            .starts_with(&format!("{domain}\tno\tno\tno\tno$CATCHALL\t1\t0\tno\t"))
    );

    let single = json(s, "v-list-mail-domain", &[user, domain, "json"]);
    assert_eq!(single[domain]["ACCOUNTS"], "1");
    assert_eq!(single[domain]["U_SMTP_RELAY"], "");
    assert!(
        text(s, "v-list-mail-domain", &[user, domain]).starts_with(&format!(
            "DOMAIN:             {domain}\nANTIVIRUS:          no\n"
        ))
    );
    assert!(text(s, "v-list-mail-domain", &[user, domain, "csv"]).starts_with(
        "DOMAIN,ANTIVIRUS,ANTISPAM,DKIM,CATCHALL,ACCOUNTS,U_DISK,SSL,LETSENCRYPT,SUSPENDED,TIME,DATE,WEBMAIL_ALIAS,WEBMAIL,\nU_SMTP_RELAY,"
    ));
    assert!(
        text(s, "v-list-mail-domain", &[user, domain, "plain"])
            .starts_with(&format!("{domain}\tno\tno\tno\t\t1\t0\t"))
    );

    // Legacy data mode gets the same text plus a line break.
    let legacy = s.legacy(false, "v-list-mail-accounts", &[user, domain, "json"]);
    legacy.expect_status(200, None);
    let parsed: Value = serde_json::from_str(&legacy.body).unwrap();
    assert_eq!(parsed, accounts);

    // Missing objects.
    expect_failure(
        s,
        "v-list-mail-account",
        &[user, domain, "nobody", "json"],
        3,
        &format!("Error: {domain} account nobody doesn't exist"),
    );
    expect_failure(
        s,
        "v-list-mail-domain",
        &[user, "nowhere-example.com", "json"],
        3,
        "Error: mail domain nowhere-example.com doesn't exist",
    );
    expect_failure(
        s,
        "v-list-mail-domains",
        &["no-such-mail-user", "json"],
        3,
        "Error: user no-such-mail-user doesn't exist",
    );
    // An empty user lists an empty object.
    add_user(s, "maillists-empty");
    let r = s.v2(false, "v-list-mail-domains", &["maillists-empty", "json"]);
    r.expect_status(200, Some("0"));
    assert_eq!(r.body, "{\n}");
}
