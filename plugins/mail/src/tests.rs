//! Native tests: the commands run through `hearth_sdk::run_under` against temporary data
//! trees, on the paths that need no host interface (adding domains and accounts hashes and
//! claims through the host, so the end-to-end suite covers those).

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::COMMANDS;
use crate::common::echo_e;
use crate::validate;

const ROOT: &str = "admin";
const HASH: &str = "{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

/// A data root for user `alice` with mail domain `example.com` holding accounts `info` and
/// `sales`, and a suspended domain `closed.org`.
fn data_root() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("conf")).unwrap();
    fs::write(
        root.join("conf/hestia.conf"),
        "MAIL_SYSTEM='exim4'\nIMAP_SYSTEM='dovecot'\nWEB_SYSTEM='nginx'\nWEBMAIL_ALIAS='webmail'\nHOME_ROOT='/srv/home'\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("user/mail")).unwrap();
    fs::create_dir_all(root.join("home/alice")).unwrap();
    fs::write(
        root.join("user/user.conf"),
        "NAME='Alice'\nMAIL_DOMAINS='unlimited'\nMAIL_ACCOUNTS='unlimited'\nRATE_LIMIT='200'\nSUSPENDED='no'\nSUSPENDED_MAIL='1'\nU_MAIL_DOMAINS='2'\nU_MAIL_DKIM='1'\nU_MAIL_ACCOUNTS='2'\n",
    )
    .unwrap();
    fs::write(root.join("user/history.log"), "").unwrap();
    fs::write(
        root.join("user/mail.conf"),
        "DOMAIN='example.com' ANTIVIRUS='no' ANTISPAM='no' REJECT='no' DKIM='yes' WEBMAIL='' SSL='no' LETSENCRYPT='no' CATCHALL='' ACCOUNTS='2' RATE_LIMIT='150' U_DISK='0' SUSPENDED='no' TIME='10:24:00' DATE='2024-05-01'\n\
         DOMAIN='closed.org' ANTIVIRUS='no' ANTISPAM='no' REJECT='no' DKIM='no' WEBMAIL='' SSL='no' LETSENCRYPT='no' CATCHALL='' ACCOUNTS='1' RATE_LIMIT='' U_DISK='0' SUSPENDED='yes' TIME='10:25:00' DATE='2024-05-01'\n",
    )
    .unwrap();
    fs::write(
        root.join("user/mail/example.com.conf"),
        format!(
            "ACCOUNT='info' ALIAS='' AUTOREPLY='no' FWD='' FWD_ONLY='' MD5='{HASH}' QUOTA='unlimited' U_DISK='0' SUSPENDED='no' TIME='10:30:00' DATE='2024-05-01'\n\
             ACCOUNT='sales' ALIAS='shop' AUTOREPLY='no' FWD='boss@example.net' MD5='{HASH}' QUOTA='100' U_DISK='3' SUSPENDED='no' TIME='10:31:00' DATE='2024-05-02'\n"
        ),
    )
    .unwrap();
    fs::write(
        root.join("user/mail/closed.org.conf"),
        format!(
            "ACCOUNT='old' ALIAS='' AUTOREPLY='no' FWD='' FWD_ONLY='' MD5='{HASH}' QUOTA='unlimited' U_DISK='0' SUSPENDED='no' TIME='10:30:00' DATE='2024-05-01'\n"
        ),
    )
    .unwrap();
    dir
}

fn run(root: &Path, command: &str, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, ROOT, command, args)
}

#[track_caller]
fn ok(root: &Path, command: &str, args: &[&str]) -> String {
    let (code, output) = run(root, command, args);
    assert_eq!(code, 0, "{command} {args:?} failed: {output}");
    output
}

#[track_caller]
fn fails(root: &Path, command: &str, args: &[&str], code: u8, output: &str) {
    assert_eq!(
        run(root, command, args),
        (code, output.to_string()),
        "{command} {args:?}"
    );
}

fn accounts(root: &Path) -> Vec<hearth_sdk::conf::Record> {
    hearth_sdk::conf::parse_list(
        &fs::read_to_string(root.join("user/mail/example.com.conf")).unwrap(),
    )
    .unwrap()
}

fn account(root: &Path, name: &str) -> hearth_sdk::conf::Record {
    accounts(root)
        .into_iter()
        .find(|record| record.value("ACCOUNT") == name)
        .unwrap()
}

fn rendered(root: &Path, file: &str) -> String {
    fs::read_to_string(root.join("home/alice/conf/mail/example.com").join(file)).unwrap_or_default()
}

#[test]
fn localpart_rules() {
    for good in [
        "a",
        "info",
        "john.doe",
        "a_b-c",
        "-test",
        "x".repeat(64).as_str(),
    ] {
        assert!(validate::localpart("malias", good).is_ok(), "{good}");
    }
    for bad in [
        "test+123",
        "hestia@test",
        "-",
        "é",
        "jäap",
        "a b",
        "x".repeat(65).as_str(),
    ] {
        let error = validate::localpart("malias", bad).unwrap_err();
        assert_eq!(
            error.output,
            format!("Error: invalid malias format :: {bad}")
        );
        assert_eq!(error.code.as_u8(), 2);
    }
}

#[test]
fn number_and_message_rules() {
    assert!(validate::quota("100").is_ok());
    assert_eq!(
        validate::quota("10M").unwrap_err().output,
        "Error: invalid quota format :: 10M"
    );
    assert_eq!(
        validate::dkim_size("big").unwrap_err().output,
        "Error: invalid  format :: big"
    );
    assert_eq!(validate::dkim_bits("4096").unwrap(), 4096);
    assert_eq!(
        validate::dkim_bits("1024").unwrap_err().output,
        "Error: invalid dkim_size format :: 1024"
    );
    assert!(validate::autoreply(&"x".repeat(10239)).is_ok());
    assert!(validate::autoreply(&"x".repeat(10240)).is_err());
}

#[test]
fn echo_e_interprets_like_bash() {
    assert_eq!(echo_e("plain"), "plain\n");
    assert_eq!(echo_e(r"a\nb\tc\\d"), "a\nb\tc\\d\n");
    assert_eq!(echo_e(r"stop\chere"), "stop");
    assert_eq!(echo_e(r"\x41\0102\u00e9"), "ABé\n");
    assert_eq!(echo_e(r"keep \q and \"), "keep \\q and \\\n");
}

#[test]
fn usage_and_disabled_system() {
    let dir = data_root();
    fails(
        dir.path(),
        "v-add-mail-account",
        &["alice", "example.com", "x"],
        1,
        "Usage: v-add-mail-account USER DOMAIN ACCOUNT PASSWORD [QUOTA]",
    );
    fails(
        dir.path(),
        "v-delete-mail-account-autoreply",
        &["alice", "example.com"],
        1,
        "Usage: v-delete-mail-account-autoreply USER DOMAIN ACCOUNT",
    );
    fs::write(dir.path().join("conf/hestia.conf"), "MAIL_SYSTEM=''\n").unwrap();
    fails(
        dir.path(),
        "v-add-mail-account-alias",
        &["alice", "example.com", "info", "hello"],
        11,
        "Error: MAIL_SYSTEM is not enabled",
    );
    // Formats come before the system check.
    fails(
        dir.path(),
        "v-add-mail-account-alias",
        &["alice", "example.com", "info", "hestia@test"],
        2,
        "Error: invalid malias format :: hestia@test",
    );
}

#[test]
fn object_checks_follow_hestia() {
    let dir = data_root();
    let root = dir.path();
    fails(
        root,
        "v-add-mail-account-alias",
        &["alice", "nowhere.com", "info", "hello"],
        3,
        "Error: mail domain nowhere.com doesn't exist",
    );
    fails(
        root,
        "v-add-mail-account-alias",
        &["alice", "example.com", "nobody", "hello"],
        3,
        "Error: example.com account nobody doesn't exist",
    );
    fails(
        root,
        "v-add-mail-account-alias",
        &["alice", "closed.org", "old", "hello"],
        5,
        "Error: mail closed.org is suspended",
    );
    fails(
        root,
        "v-delete-mail-account",
        &["alice", "example.com", "nobody"],
        3,
        "Error: example.com account nobody doesn't exist",
    );
    fails(
        root,
        "v-unsuspend-mail-account",
        &["alice", "example.com", "info"],
        6,
        "Error: example.com info is not suspended",
    );
    // Domains are normalised like Hestia's format_domain.
    ok(
        root,
        "v-suspend-mail-account",
        &["alice", "WWW.Example.COM", "info"],
    );
    fails(
        root,
        "v-suspend-mail-account",
        &["alice", "example.com", "info"],
        5,
        "Error: example.com info is suspended",
    );
    fails(
        root,
        "v-change-mail-account-quota",
        &["alice", "example.com", "info", "10"],
        5,
        "Error: example.com info is suspended",
    );
    assert!(rendered(root, "passwd").starts_with(
        "info:SUSPENDED:alice:mail::/srv/home/alice:0:userdb_quota_rule=*:storage=0M\n"
    ));
    ok(
        root,
        "v-unsuspend-mail-account",
        &["alice", "example.com", "info"],
    );
    assert!(rendered(root, "passwd").starts_with(&format!(
        "info:{HASH}:alice:mail::/srv/home/alice:0:userdb_quota_rule=*:storage=0M\n"
    )));

    let user_conf = root.join("user/user.conf");
    fs::write(
        &user_conf,
        fs::read_to_string(&user_conf)
            .unwrap()
            .replace("SUSPENDED='no'", "SUSPENDED='yes'"),
    )
    .unwrap();
    fails(
        root,
        "v-change-mail-account-quota",
        &["alice", "example.com", "info", "10"],
        5,
        "Error: user alice is suspended",
    );
}

#[test]
fn aliases_are_unique_within_the_domain() {
    let dir = data_root();
    let root = dir.path();
    for (alias, code, message) in [
        (
            "hestiacp-realy-rocks-but-i-want-to-have-feature-xxxx-and-i-want-it-now",
            2,
            "Error: invalid malias format :: hestiacp-realy-rocks-but-i-want-to-have-feature-xxxx-and-i-want-it-now",
        ),
        ("test+123", 2, "Error: invalid malias format :: test+123"),
        (
            "hestia@test",
            2,
            "Error: invalid malias format :: hestia@test",
        ),
        ("sales", 4, "Error: mail account sales already exists"),
        ("shop", 4, "Error: mail alias shop already exists"),
    ] {
        fails(
            root,
            "v-add-mail-account-alias",
            &["alice", "example.com", "info", alias],
            code,
            message,
        );
    }
    ok(
        root,
        "v-add-mail-account-alias",
        &["alice", "example.com", "info", "hello"],
    );
    ok(
        root,
        "v-add-mail-account-alias",
        &["alice", "example.com", "info", "hi"],
    );
    assert_eq!(account(root, "info").value("ALIAS"), "hello,hi");
    assert_eq!(
        rendered(root, "aliases"),
        "hello@example.com:info@example.com\nhi@example.com:info@example.com\n\
         shop@example.com:sales@example.com\nsales@example.com:boss@example.net\n"
    );
    ok(
        root,
        "v-delete-mail-account-alias",
        &["alice", "example.com", "info", "hello"],
    );
    assert_eq!(account(root, "info").value("ALIAS"), "hi");
    fails(
        root,
        "v-delete-mail-account-alias",
        &["alice", "example.com", "info", "hello"],
        3,
        "Error: alias hello doesn't exist",
    );
    let history = fs::read_to_string(root.join("user/history.log")).unwrap();
    assert!(history.contains(
        "CATEGORY='Mail' MESSAGE='Mail account alias removed (Alias: hello, User: info@example.com).'"
    ));
}

#[test]
fn forwards_and_forward_only() {
    let dir = data_root();
    let root = dir.path();
    fails(
        root,
        "v-add-mail-account-fwd-only",
        &["alice", "example.com", "info"],
        3,
        "Error: forward doesn't exist",
    );
    fails(
        root,
        "v-add-mail-account-forward",
        &["alice", "example.com", "info", "not-an-address"],
        2,
        "Error: invalid email format :: not-an-address",
    );
    ok(
        root,
        "v-add-mail-account-forward",
        &["alice", "example.com", "info", "a@example.org"],
    );
    ok(
        root,
        "v-add-mail-account-forward",
        &["alice", "example.com", "info", ":blackhole:"],
    );
    fails(
        root,
        "v-add-mail-account-forward",
        &["alice", "example.com", "info", "a@example.org"],
        4,
        "Error: forward a@example.org exists",
    );
    assert_eq!(
        account(root, "info").value("FWD"),
        "a@example.org,:blackhole:"
    );
    ok(
        root,
        "v-add-mail-account-fwd-only",
        &["alice", "example.com", "info"],
    );
    assert_eq!(rendered(root, "fwd_only"), "info\n");
    // `sales` predates FWD_ONLY: the key is added right before MD5.
    ok(
        root,
        "v-add-mail-account-fwd-only",
        &["alice", "example.com", "sales"],
    );
    let keys: Vec<String> = account(root, "sales")
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(keys[4..6], ["FWD_ONLY".to_string(), "MD5".to_string()]);
    ok(
        root,
        "v-delete-mail-account-fwd-only",
        &["alice", "example.com", "sales"],
    );
    assert_eq!(rendered(root, "fwd_only"), "info\n");
    ok(
        root,
        "v-delete-mail-account-forward",
        &["alice", "example.com", "info", "a@example.org"],
    );
    fails(
        root,
        "v-delete-mail-account-forward",
        &["alice", "example.com", "info", "a@example.org"],
        3,
        "Error: forward a@example.org doesn't exist",
    );
    assert!(rendered(root, "aliases").contains("info@example.com::blackhole:\n"));
}

#[test]
fn quota_suspension_and_deletion() {
    let dir = data_root();
    let root = dir.path();
    fails(
        root,
        "v-change-mail-account-quota",
        &["alice", "example.com", "info", "lots"],
        2,
        "Error: invalid quota format :: lots",
    );
    ok(
        root,
        "v-change-mail-account-quota",
        &["alice", "example.com", "info", "250"],
    );
    assert_eq!(account(root, "info").value("QUOTA"), "250");
    ok(
        root,
        "v-change-mail-account-quota",
        &["alice", "example.com", "info", "0"],
    );
    assert_eq!(account(root, "info").value("QUOTA"), "unlimited");
    assert_eq!(
        rendered(root, "limits"),
        "info@example.com:150\nsales@example.com:150\n"
    );
    assert_eq!(
        rendered(root, "accounts"),
        "info:info:alice:mail:/srv/home/alice\nsales:sales:alice:mail:/srv/home/alice\n"
    );

    ok(root, "v-suspend-mail-accounts", &["alice", "example.com"]);
    assert!(accounts(root).iter().all(|a| a.value("SUSPENDED") == "yes"));
    ok(root, "v-unsuspend-mail-accounts", &["alice", "example.com"]);
    assert!(accounts(root).iter().all(|a| a.value("SUSPENDED") == "no"));

    fs::create_dir_all(root.join("home/alice/mail/example.com/sales/cur")).unwrap();
    ok(
        root,
        "v-delete-mail-account",
        &["alice", "example.com", "sales"],
    );
    fails(
        root,
        "v-delete-mail-account",
        &["alice", "example.com", "sales"],
        3,
        "Error: example.com account sales doesn't exist",
    );
    assert!(!root.join("home/alice/mail/example.com/sales").exists());
    assert_eq!(accounts(root).len(), 1);
    let domains = fs::read_to_string(root.join("user/mail.conf")).unwrap();
    assert!(domains.starts_with("DOMAIN='example.com'") && domains.contains("ACCOUNTS='1'"));
    let user = fs::read_to_string(root.join("user/user.conf")).unwrap();
    assert!(user.contains("U_MAIL_ACCOUNTS='1'"), "{user}");
    assert!(!rendered(root, "aliases").contains("sales"));
}

#[test]
fn autoreply_round_trip() {
    let dir = data_root();
    let root = dir.path();
    fails(
        root,
        "v-delete-mail-account-autoreply",
        &["alice", "example.com", "info"],
        3,
        "Error: AUTOREPLY=no doesn't exist",
    );
    let message = "Away \"until\" Monday\t\\o/\nBye";
    ok(
        root,
        "v-add-mail-account-autoreply",
        &["alice", "example.com", "info", message],
    );
    assert_eq!(account(root, "info").value("AUTOREPLY"), "yes");
    // echo -e: `\o` stays, the real line break stays, one more is added.
    let stored = "Away \"until\" Monday\t\\o/\nBye\n";
    assert_eq!(
        fs::read_to_string(root.join("user/mail/info@example.com.msg")).unwrap(),
        stored
    );
    assert_eq!(rendered(root, "autoreply.info.msg"), stored);

    let json = ok(
        root,
        "v-list-mail-account-autoreply",
        &["alice", "example.com", "info", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["info"]["MSG"], "Away \"until\" Monday\t\\o/\\nBye");
    assert_eq!(
        ok(
            root,
            "v-list-mail-account-autoreply",
            &["alice", "example.com", "info", "csv"]
        ),
        "MSG\nAway \"until\" Monday\t\\o/\\nBye\n"
    );

    ok(
        root,
        "v-delete-mail-account-autoreply",
        &["alice", "example.com", "info"],
    );
    assert!(!root.join("user/mail/info@example.com.msg").exists());
    assert!(
        !root
            .join("home/alice/conf/mail/example.com/autoreply.info.msg")
            .exists()
    );
    assert_eq!(
        ok(
            root,
            "v-list-mail-account-autoreply",
            &["alice", "example.com", "info"]
        ),
        "\n"
    );
}

#[test]
fn domain_lists() {
    let dir = data_root();
    let root = dir.path();
    let json: serde_json::Value =
        serde_json::from_str(&ok(root, "v-list-mail-domains", &["alice", "json"])).unwrap();
    assert_eq!(json["example.com"]["ACCOUNTS"], "2");
    assert_eq!(json["example.com"]["WEBMAIL_ALIAS"], "webmail");
    assert_eq!(json["closed.org"]["SUSPENDED"], "yes");
    assert_eq!(
        ok(root, "v-list-mail-domains", &["alice"]),
        "DOMAIN       ANTIVIRUS  ANTISPAM  DKIM  SSL  ACC  DISK  SPND  DATE\n\
         ------       ---------  --------  ----  ---  ---  ----  ---   ----\n\
         example.com  no         no        yes   no   2    0     no    2024-05-01\n\
         closed.org   no         no        no    no   1    0     yes   2024-05-01\n"
    );
    assert_eq!(
        ok(root, "v-list-mail-domains", &["alice", "plain"])
            .lines()
            .next()
            .unwrap(),
        "example.com\tno\tno\tyes\tno$CATCHALL\t2\t0\tno\t10:24:00\t2024-05-01\twebmail\t"
    );
    assert_eq!(ok(root, "v-list-mail-domains", &["alice", ""]), "");

    let one = ok(
        root,
        "v-list-mail-domain",
        &["alice", "example.com", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(value["example.com"]["WEBMAIL_ALIAS"], "webmail.example.com");
    assert!(one.contains("        \"WEBMAIL\":\"\",\n") && one.ends_with("\"\n        }\n}\n"));
    assert_eq!(
        ok(
            root,
            "v-list-mail-domain",
            &["alice", "example.com", "plain"]
        ),
        "example.com\tno\tno\tyes\t\t2\t0\tno\tno\tno\t10:24:00\t2024-05-01\twebmail.example.com\t\t\n\t\t\t\n"
    );
    fails(
        root,
        "v-list-mail-domain",
        &["alice", "nowhere.com"],
        3,
        "Error: mail domain nowhere.com doesn't exist",
    );
    // Without a mounted user directory (the host mounts none for a missing user).
    fs::remove_dir_all(root.join("user")).unwrap();
    fails(
        root,
        "v-list-mail-domains",
        &["bob"],
        3,
        "Error: user bob doesn't exist",
    );
}

#[test]
fn account_lists_escape_what_hestia_does_not() {
    let dir = data_root();
    let root = dir.path();
    // Values written by hand (or by an old panel) with characters JSON must escape.
    let path = root.join("user/mail/example.com.conf");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("FWD='boss@example.net'", "FWD='say \"hi\"\t\\ here'");
    fs::write(&path, text).unwrap();
    let json = ok(
        root,
        "v-list-mail-accounts",
        &["alice", "example.com", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["sales"]["FWD"], "say \"hi\"\t\\ here");
    assert_eq!(value["sales"]["ALIAS"], "shop");
    assert_eq!(value["info"]["QUOTA"], "unlimited");
    let one: serde_json::Value = serde_json::from_str(&ok(
        root,
        "v-list-mail-account",
        &["alice", "example.com", "sales", "json"],
    ))
    .unwrap();
    assert_eq!(one["sales"]["FWD"], "say \"hi\"\t\\ here");
    assert_eq!(one["sales"]["WEBMAIL_ALIAS"], "webmail.example.com");
    assert_eq!(
        ok(
            root,
            "v-list-mail-accounts",
            &["alice", "example.com", "csv"]
        ),
        "ACCOUNT,ALIAS,FWD,FWD_ONLY,AUTOREPLY,QUOTA,U_DISK,SUSPENDED,TIME,DATE\n\
         info,\"\",\"\",,no,unlimited,0,no,10:30:00,2024-05-01\n\
         sales,\"shop\",\"say \"\"hi\"\"\t\\ here\",,no,100,3,no,10:31:00,2024-05-02\n"
    );
    assert_eq!(
        ok(
            root,
            "v-list-mail-account",
            &["alice", "example.com", "info"]
        ),
        "ACCOUNT:        info\nALIAS:          \nFORWARD:        \nFORWARD_ONLY:   \nAUTOREPLY:      no\n\
         QUOTA:          unlimited\nDISK:           0\nSUSPENDED:      no\nTIME:           10:30:00\n\
         DATE:           2024-05-01\nWEBMAIL_ALIAS:  webmail.example.com\n"
    );
    fails(
        root,
        "v-list-mail-account",
        &["alice", "example.com", "nobody"],
        3,
        "Error: example.com account nobody doesn't exist",
    );
}

#[test]
fn account_shell_list_shortens() {
    let dir = data_root();
    let root = dir.path();
    ok(
        root,
        "v-add-mail-account-forward",
        &[
            "alice",
            "example.com",
            "info",
            "someone.far.away@example.org",
        ],
    );
    assert_eq!(
        ok(root, "v-list-mail-accounts", &["alice", "example.com"]),
        "ACCOUNT  ALIAS  FWD                      DISK  DATE\n\
         -------  -----  ---                      ----  ----\n\
         info     no     someone.far.away@exa...  0     2024-05-01\n\
         sales    shop   boss@example.net         3     2024-05-02\n"
    );
}

#[test]
fn dkim_values_match_hestia() {
    let pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\nBgkqhkiG\n-----END PUBLIC KEY-----\n";
    assert_eq!(crate::dkim::public_key_body(pem), "MIIBIjANBgkqhkiG");
    assert_eq!(
        crate::dkim::selector(pem),
        "\"v=DKIM1\\; k=rsa\\; p=MIIBIjANBgkqhkiG\""
    );
    let zone = hearth_sdk::conf::parse_list(
        "ID='1' RECORD='@' TYPE='A' VALUE='1.2.3.4'\n\
         ID='7' RECORD='_domainkey' TYPE='TXT' VALUE='\"t=y; o=~;\"'\n\
         ID='8' RECORD='mail._domainkey' TYPE='TXT' VALUE='x'\n\
         ID='9' RECORD='mail' TYPE='A' VALUE='1.2.3.4'\n",
    )
    .unwrap();
    assert_eq!(crate::dkim::record_ids(&zone), ["7", "8"]);
}

#[test]
fn catchall_and_account_rate_limits_render() {
    let domain = hearth_sdk::conf::Record::parse_line(
        "DOMAIN='idn-tést.eu' CATCHALL='all@example.org' RATE_LIMIT=''",
    )
    .unwrap();
    let accounts = hearth_sdk::conf::parse_list(
        "ACCOUNT='a' ALIAS='b,c' FWD='' FWD_ONLY='' MD5='h' QUOTA='5' SUSPENDED='no' RATE_LIMIT='20'\n\
         ACCOUNT='d' ALIAS='' FWD='x@example.org' FWD_ONLY='yes' MD5='h' QUOTA='unlimited' SUSPENDED='no'\n",
    )
    .unwrap();
    let settings = hearth_sdk::conf::Record::parse_line("HOME_ROOT='/home/'").unwrap();
    let files = crate::exim::DomainFiles::new(&settings, "alice", &domain, &accounts);
    assert_eq!(
        files.aliases(),
        "*@xn--idn-tst-fya.eu:all@example.org\n\
         b@xn--idn-tst-fya.eu:a@xn--idn-tst-fya.eu\n\
         c@xn--idn-tst-fya.eu:a@xn--idn-tst-fya.eu\n\
         d@xn--idn-tst-fya.eu:x@example.org\n"
    );
    assert_eq!(
        files.limits(),
        "a@xn--idn-tst-fya.eu:20\nd@xn--idn-tst-fya.eu:200\n"
    );
    assert_eq!(
        files.passwd(),
        "a:h:alice:mail::/home/alice:5:userdb_quota_rule=*:storage=5M\n\
         d:h:alice:mail::/home/alice:0:userdb_quota_rule=*:storage=0M\n"
    );
    assert_eq!(files.fwd_only(), "d\n");
}
