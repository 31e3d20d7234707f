//! The cron and package commands through the HTTP API: cron jobs (add, list in every format,
//! suspend, delete, validation, package limit, the rendered crontab and the queued reload),
//! hosting packages (list, add, Hestia's duplicate and missing-copy cases), and the admin's
//! ownership moves of Hestia's `test.bats` (`v-change-domain-owner`,
//! `v-change-database-owner`).

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hearth_sdk::conf::{self, Record};
use support::*;

static SERVER: OnceLock<Server> = OnceLock::new();

/// Hestia's IP of the `test.bats` cases, registered as a shared address of the admin.
const IP: &str = "198.18.0.125";

/// An address dedicated to [`DEDICATED_OWNER`].
const DEDICATED_IP: &str = "198.18.0.126";
const DEDICATED_OWNER: &str = "ipowner";

/// A package allowing one cron job.
const ONE_CRON: &str = "onecron";

/// A package whose name servers hold characters JSON must escape.
const ODD_PACKAGE: &str = "oddns";
const ODD_NS: &str = "a\"b\\c\td";

/// Registers the test address, the database hosts and two extra packages.
fn prepare(data: &Path) {
    std::fs::write(
        data.join("data/ips").join(IP),
        "OWNER='admin'\nSTATUS='shared'\nNAME=''\nU_SYS_USERS=''\nU_WEB_DOMAINS='0'\nINTERFACE='eth0'\nNETMASK='255.255.255.0'\nNAT=''\nTIME='10:00:00'\nDATE='2024-05-01'\n",
    )
    .expect("write data/ips");
    std::fs::write(
        data.join("data/ips").join(DEDICATED_IP),
        format!("OWNER='{DEDICATED_OWNER}'\nSTATUS='dedicated'\nNAME=''\nU_SYS_USERS=''\nU_WEB_DOMAINS='0'\nINTERFACE='eth0'\nNETMASK='255.255.255.0'\nNAT=''\nTIME='10:00:00'\nDATE='2024-05-01'\n"),
    )
    .expect("write data/ips");
    write_db_hosts(data);
    let default =
        std::fs::read_to_string(data.join("data/packages/default.pkg")).expect("read default.pkg");
    let mut package = conf::parse_source(&default).expect("default.pkg parses");
    package.set("CRON_JOBS", "1");
    std::fs::write(
        data.join(format!("data/packages/{ONE_CRON}.pkg")),
        package.to_source().expect("serialise the package"),
    )
    .expect("write the package");
    package.set("NS", ODD_NS);
    std::fs::write(
        data.join(format!("data/packages/{ODD_PACKAGE}.pkg")),
        package.to_source().expect("serialise the package"),
    )
    .expect("write the package");
}

/// The server shared by this file's tests; each test uses its own users.
fn server() -> &'static Server {
    SERVER.get_or_init(|| Server::start_with(&[], prepare))
}

/// `HOME_ROOT` of the data root.
fn home_root(s: &Server) -> PathBuf {
    PathBuf::from(s.conf_value("HOME_ROOT").expect("HOME_ROOT is set"))
}

/// The lines of a user's list file (`cron.conf`, `web.conf`, ...).
fn lines(s: &Server, user: &str, file: &str) -> Vec<Record> {
    conf::parse_list(&s.read(&format!("data/users/{user}/{file}"))).expect("list file parses")
}

/// The user's crontab as hearth renders it for the system cron.
fn crontab(s: &Server, user: &str) -> String {
    std::fs::read_to_string(home_root(s).join(format!("{user}/conf/cron/crontab")))
        .unwrap_or_default()
}

/// The head of a crontab: reports go to the user's contact address (`CRON_REPORTS='yes'`,
/// the default of a new user).
fn mailto(user: &str) -> String {
    format!("MAILTO={user}@hestiacp.com\nCONTENT_TYPE=\"text/plain; charset=utf-8\"\n")
}

/// A list command's JSON (access key, data mode).
#[track_caller]
fn list_json(s: &Server, command: &str, args: &[&str]) -> serde_json::Value {
    let r = s.v2(false, command, args);
    r.expect_status(200, Some("0"));
    r.json()
}

// ---------------------------------------------------------------------------------------
// Cron jobs
// ---------------------------------------------------------------------------------------

#[test]
fn cron_jobs_add_list_and_delete() {
    let s = server();
    let user = "cronuser";
    add_user(s, user);

    // A command with quotes, a tab and a backslash: stored as Hestia does (`'` as
    // `%quote%`, blanks collapsed by its unquoted echo).
    let command = "echo 'it is' \"quoted\"\tand\\back >> /tmp/log";
    ok(
        s,
        "v-add-cron-job",
        &[user, "*/5", "1", "*", "*", "1-5", command],
    );
    ok(
        s,
        "v-add-cron-job",
        &[user, "0", "3", "1", "12", "0", "backup", "7"],
    );
    let jobs = lines(s, user, "cron.conf");
    assert_eq!(jobs.len(), 2);
    let first = &jobs[0];
    let stored = "echo %quote%it is%quote% \"quoted\" and\\back >> /tmp/log";
    let expected = Record::from_pairs([
        ("JOB", "1"),
        ("MIN", "*/5"),
        ("HOUR", "1"),
        ("DAY", "*"),
        ("MONTH", "*"),
        ("WDAY", "1-5"),
        ("CMD", stored),
        ("SUSPENDED", "no"),
        ("TIME", first.value("TIME")),
        ("DATE", first.value("DATE")),
    ]);
    assert_eq!(first, &expected);
    assert_eq!(jobs[1].value("JOB"), "7");
    assert_eq!(user_value(s, user, "U_CRON_JOBS"), "2");

    // The crontab the system cron reads, and the queued reload.
    assert_eq!(
        crontab(s, user),
        format!(
            "{}*/5 1 * * 1-5 echo 'it is' \"quoted\" and\\back >> /tmp/log\n0 3 1 12 0 backup\n",
            mailto(user)
        )
    );
    assert!(
        s.read("data/queue/restart.pipe")
            .lines()
            .any(|line| line == "v-restart-cron now")
    );

    // json: valid, with the real command.
    let r = s.v2(false, "v-list-cron-jobs", &[user, "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = r.json();
    let real = "echo 'it is' \"quoted\" and\\back >> /tmp/log";
    assert_eq!(json["1"]["CMD"], real);
    assert_eq!(json["1"]["WDAY"], "1-5");
    assert_eq!(json["7"]["MONTH"], "12");
    assert_eq!(json["7"]["JOB"], "7");
    assert!(
        r.body
            .starts_with("{\n    \"1\": {\n        \"MIN\": \"*/5\",\n        \"HOUR\": \"1\",\n"),
        "{}",
        r.body
    );
    // Legacy data mode returns the same JSON with a trailing newline.
    let legacy = s.legacy(false, "v-list-cron-jobs", &[user, "json"]);
    assert_eq!(legacy.body, format!("{}\n", r.body));

    // plain, csv and shell: Hestia's layouts, `"` shown as `\"`.
    let shown = "echo 'it is' \\\"quoted\\\" and\\back >> /tmp/log";
    let (time, date) = (first.value("TIME"), first.value("DATE"));
    let (time7, date7) = (jobs[1].value("TIME"), jobs[1].value("DATE"));
    s.v2(false, "v-list-cron-jobs", &[user, "plain"]).expect(
        200,
        Some("0"),
        &format!(
            "1\t*/5\t1\t*\t*\t1-5\t{shown}\tno\t{time}\t{date}\n7\t0\t3\t1\t12\t0\tbackup\tno\t{time7}\t{date7}"
        ),
    );
    s.v2(false, "v-list-cron-jobs", &[user, "csv"]).expect(
        200,
        Some("0"),
        &format!(
            "MIN,HOUR,DAY,WDAY,CMD,SUSPENDED,TIME,DATE\n1,*/5,1,*,*,1-5,\"{shown}\",no,{time},{date}\n7,0,3,1,12,0,\"backup\",no,{time7},{date7}"
        ),
    );
    s.v2(false, "v-list-cron-jobs", &[user]).expect(
        200,
        Some("0"),
        &format!(
            "JOB  MIN  HOUR  DAY  MONTH  WDAY  COMMAND\n---  ---  ----  ---  -----  ----  -------\n1    */5  1     *    *      1-5   {shown}\n7    0    3     1    12     0     backup"
        ),
    );
    let one = list_json(s, "v-list-cron-job", &[user, "1", "json"]);
    assert_eq!(one["1"]["CMD"], real);

    // Suspend: the job leaves the crontab.
    ok(s, "v-suspend-cron-job", &[user, "1"]);
    assert_eq!(user_value(s, user, "SUSPENDED_CRON"), "1");
    assert_eq!(
        crontab(s, user),
        format!("{}0 3 1 12 0 backup\n", mailto(user))
    );
    expect_failure(
        s,
        "v-suspend-cron-job",
        &[user, "1"],
        5,
        "Error: cron 1 is suspended",
    );
    ok(s, "v-unsuspend-cron-job", &[user, "1"]);
    expect_failure(
        s,
        "v-unsuspend-cron-job",
        &[user, "1"],
        6,
        "Error: cron 1 is not suspended",
    );
    assert_eq!(user_value(s, user, "SUSPENDED_CRON"), "0");

    // Delete, then delete missing.
    ok(s, "v-delete-cron-job", &[user, "1"]);
    expect_failure(
        s,
        "v-delete-cron-job",
        &[user, "1"],
        3,
        "Error: cron job 1 doesn't exist",
    );
    assert_eq!(user_value(s, user, "U_CRON_JOBS"), "1");
    assert_eq!(
        crontab(s, user),
        format!("{}0 3 1 12 0 backup\n", mailto(user))
    );
    // The next id follows the highest one.
    ok(
        s,
        "v-add-cron-job",
        &[user, "*", "*", "*", "*", "*", "true"],
    );
    assert_eq!(lines(s, user, "cron.conf")[1].value("JOB"), "8");
    let history = s.read(&format!("data/users/{user}/history.log"));
    assert!(
        history.contains("LEVEL='Info' CATEGORY='Cron Jobs' MESSAGE='Cron job deleted (ID: 1).'"),
        "{history}"
    );
}

#[test]
fn cron_job_refusals() {
    let s = server();
    let user = "cronbad";
    add_user(s, user);
    for (args, message) in [
        (
            ["61", "*", "*", "*", "*"],
            "Error: invalid min format :: 61",
        ),
        (
            ["*", "24", "*", "*", "*"],
            "Error: invalid hour format :: 24",
        ),
        (
            ["*", "*", "32", "*", "*"],
            "Error: invalid day format :: 32",
        ),
        (
            ["*", "*", "*", "13", "*"],
            "Error: invalid month format :: 13",
        ),
        (["*", "*", "*", "*", "8"], "Error: invalid wday format :: 8"),
        (
            ["*/60", "*", "*", "*", "*"],
            "Error: invalid min format :: */60",
        ),
        (
            ["5", "* * * * /bin/evil #", "*", "*", "*"],
            "Error: invalid hour format :: * * * * /bin/evil #",
        ),
    ] {
        let mut full = vec![user];
        full.extend_from_slice(&args);
        full.push("true");
        expect_failure(s, "v-add-cron-job", &full, 2, message);
    }
    expect_failure(
        s,
        "v-add-cron-job",
        &[user, "*", "*", "*", "*", "*", "echo `id`"],
        2,
        "Error: Invalid cron command format",
    );
    expect_failure(
        s,
        "v-add-cron-job",
        &[user, "*", "*", "*", "*", "*", "true", "x1"],
        2,
        "Error: invalid job format :: x1",
    );
    expect_failure(
        s,
        "v-add-cron-job",
        &[user, "*", "*", "*", "*", "*"],
        1,
        "Usage: v-add-cron-job USER MIN HOUR DAY MONTH WDAY CRON_COMMAND [JOB] [RESTART]",
    );
    expect_failure(
        s,
        "v-add-cron-job",
        &["nobody", "*", "*", "*", "*", "*", "true"],
        3,
        "Error: user nobody doesn't exist",
    );
    expect_failure(
        s,
        "v-delete-cron-job",
        &[user, "1x"],
        2,
        "Error: invalid job format :: 1x",
    );
    expect_failure(
        s,
        "v-list-cron-job",
        &[user, "4", "json"],
        3,
        "Error: cron job 4 doesn't exist",
    );
    ok(
        s,
        "v-add-cron-job",
        &[user, "*", "*", "*", "*", "*", "true", "4"],
    );
    expect_failure(
        s,
        "v-add-cron-job",
        &[user, "*", "*", "*", "*", "*", "true", "4"],
        4,
        "Error: JOB=4 already exists",
    );
    assert_eq!(lines(s, user, "cron.conf").len(), 1);
    assert_eq!(user_value(s, user, "U_CRON_JOBS"), "1");

    // An empty user has an empty JSON object (served as text, like Hestia).
    add_user(s, "cronnone");
    s.v2(false, "v-list-cron-jobs", &["cronnone", "json"])
        .expect(200, Some("0"), "{\n}")
        .expect_type(TEXT_HTML);
}

#[test]
fn cron_package_limit() {
    let s = server();
    let user = "cronlimit";
    add_user_with(s, user, &[ONE_CRON]);
    ok(
        s,
        "v-add-cron-job",
        &[user, "0", "0", "*", "*", "*", "true"],
    );
    expect_failure(
        s,
        "v-add-cron-job",
        &[user, "1", "1", "*", "*", "*", "true"],
        8,
        "Error: CRON_JOBS limit is reached :: upgrade user package",
    );
    assert_eq!(lines(s, user, "cron.conf").len(), 1);
    assert_eq!(
        crontab(s, user),
        format!("{}0 0 * * * true\n", mailto(user))
    );
}

// ---------------------------------------------------------------------------------------
// Packages
// ---------------------------------------------------------------------------------------

#[test]
fn package_lists() {
    let s = server();
    let r = s.v2(false, "v-list-user-packages", &["json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = r.json();
    assert_eq!(json["default"]["WEB_DOMAINS"], "unlimited");
    assert_eq!(json[ONE_CRON]["CRON_JOBS"], "1");
    // Quotes, backslashes and tabs in a value stay valid JSON.
    assert_eq!(json[ODD_PACKAGE]["NS"], ODD_NS);
    assert!(
        r.body.contains("        \"CPU_QUOTA\":\"unlimited\",\n"),
        "{}",
        r.body
    );

    let plain = s.v2(false, "v-list-user-packages", &["plain"]);
    plain.expect_status(200, Some("0"));
    let default_row = plain
        .body
        .lines()
        .find(|line| line.starts_with("default\t"))
        .expect("default is listed");
    let cells: Vec<&str> = default_row.split('\t').collect();
    assert_eq!(cells.len(), 23);
    assert_eq!(cells[1], "default");
    assert_eq!(cells[18], "ns1.example.com,ns2.example.com");

    let csv = s.v2(false, "v-list-user-packages", &["csv"]);
    assert!(csv.body.starts_with(
        "PACKAGE,WEB_TEMPLATE,PROXY_TEMPLATE,DNS_TEMPLATE,WEB_DOMAINS,WEB_ALIASES,DNS_DOMAINS,DNS_RECORDS,MAIL_DOMAINS,MAIL_ACCOUNTS,DATABASES,CRON_JOBS,DISK_QUOTA,CPU_QUOTA,CPU_QUOTA_PERIOD,MEMORY_LIMIT,SWAP_LIMIT,BANDWIDTH,NS,SHELL,BACKUPS,TIME,DATE\n"
    ));
    assert!(
        csv.body
            .contains(",\"ns1.example.com,ns2.example.com\",nologin,1,")
    );

    let shell = s.v2(false, "v-list-user-packages", &[]);
    shell.expect_status(200, Some("0"));
    let mut table = shell.body.lines();
    let header: Vec<&str> = table.next().unwrap().split_whitespace().collect();
    assert_eq!(header[..4], ["PKG", "TPL", "WEB", "DNS"]);
    let row = shell
        .body
        .lines()
        .find(|line| line.starts_with("default "))
        .expect("default row");
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[..4],
        ["default", "default", "unlim", "unlim"]
    );

    // Root only: a user's key is refused before the command runs.
    add_user(s, "pkglister");
    let key = s.add_key("pkglister", "purge-nginx-cache");
    s.api(Auth::Key(&key), false, "v-list-user-packages", &["json"])
        .expect(401, Some("10"), &denied(&key, "v-list-user-packages"));
}

#[test]
fn packages_add_copy_delete() {
    let s = server();
    let default = s.read("data/packages/default.pkg");
    let definition = default.replace("WEB_DOMAINS='unlimited'", "WEB_DOMAINS='3'");

    // The definition as the argument (what the host hands over for a spooled /tmp file).
    ok(s, "v-add-user-package", &[&definition, "hestiatest"]);
    let written = conf::parse_source(&s.read("data/packages/hestiatest.pkg")).unwrap();
    assert_eq!(written.value("WEB_DOMAINS"), "3");
    assert_eq!(written.value("SHELL"), "nologin");
    let keys: Vec<&str> = written.iter().map(|(key, _)| key).collect();
    assert_eq!(keys[0], "WEB_TEMPLATE");
    assert_eq!(keys[keys.len() - 2..], ["TIME", "DATE"]);

    // Hestia's test.bats: the duplicate add (its definition comes through v-make-tmp-file).
    s.v2(false, "v-make-tmp-file", &[&definition, "package"])
        .expect(204, Some("0"), "");
    expect_failure(
        s,
        "v-add-user-package",
        &["/tmp/package", "hestiatest"],
        4,
        "Error: package hestiatest already exists.",
    );
    // Hestia's client flow: the definition goes through v-make-tmp-file and the command
    // names `/tmp/<name>`; the host hands it the whole spooled file.
    let spooled = default.replace("WEB_DOMAINS='unlimited'", "WEB_DOMAINS='7'");
    s.v2(false, "v-make-tmp-file", &[&spooled, "gold"])
        .expect(204, Some("0"), "");
    ok(s, "v-add-user-package", &["/tmp/gold", "gold"]);
    let written = conf::parse_source(&s.read("data/packages/gold.pkg")).unwrap();
    assert_eq!(written.value("WEB_DOMAINS"), "7");
    assert_eq!(written.value("SHELL"), "nologin");
    // An invalid limit is refused and nothing is written.
    let bad = default.replace("DATABASES='unlimited'", "DATABASES='lots'");
    expect_failure(
        s,
        "v-add-user-package",
        &[&bad, "badpkg"],
        2,
        "Error: invalid DATABASES format :: lots",
    );
    assert!(!s.path("data/packages/badpkg.pkg").exists());
    // REWRITE=yes updates an existing package.
    let updated = default.replace("BANDWIDTH='unlimited'", "BANDWIDTH='100'");
    ok(s, "v-add-user-package", &[&updated, "hestiatest", "yes"]);
    let written = conf::parse_source(&s.read("data/packages/hestiatest.pkg")).unwrap();
    assert_eq!(written.value("BANDWIDTH"), "100");

    // Hestia's test.bats: copying a package that does not exist.
    expect_failure(
        s,
        "v-copy-user-package",
        &["hestiadoesnotexists", "hestiatest2"],
        3,
        "Error: package hestiadoesnotexists doesn't exist",
    );
    ok(s, "v-copy-user-package", &["hestiatest", "hestiatest2"]);
    assert_eq!(
        s.read("data/packages/hestiatest2.pkg"),
        s.read("data/packages/hestiatest.pkg")
    );
    expect_failure(
        s,
        "v-copy-user-package",
        &["hestiatest", "hestiatest2"],
        4,
        "Error: package hestiatest2 already exists.",
    );

    // Deleting a package in use moves its users to `default`.
    add_user_with(s, "pkguser", &["hestiatest2"]);
    ok(s, "v-delete-user-package", &["hestiatest2"]);
    assert!(!s.path("data/packages/hestiatest2.pkg").exists());
    assert_eq!(user_value(s, "pkguser", "PACKAGE"), "default");
    expect_failure(
        s,
        "v-delete-user-package",
        &["hestiatest2"],
        3,
        "Error: package hestiatest2 doesn't exist",
    );
}

// ---------------------------------------------------------------------------------------
// Ownership moves (Hestia's test.bats)
// ---------------------------------------------------------------------------------------

#[test]
fn test_bats_change_domain_and_database_owner() {
    let s = server();
    let user = "test-5285";
    let user2 = "test-5286";
    let domain = "test-5285.hestiacp.com";
    let database = "test-5285_database";
    let home = home_root(s);
    add_user(s, user);
    add_user(s, user2);
    ok(s, "v-add-web-domain", &[user, domain, IP]);
    ok(s, "v-add-dns-domain", &[user, domain, IP]);
    ok(s, "v-add-mail-domain", &[user, domain]);
    ok(
        s,
        "v-add-mail-account",
        &[user, domain, "test", "t3st-p4ssw0rd"],
    );
    ok(
        s,
        "v-add-web-domain-alias",
        &[user, domain, "alias.hestiacp.com"],
    );
    ok(
        s,
        "v-add-database",
        &[user, "database", "dbuser", "1234", "mysql"],
    );
    let records = lines(s, user, &format!("dns/{domain}.conf")).len();
    assert!(records > 0);

    // v-change-domain-owner $domain $user2
    s.v2(false, "v-change-domain-owner", &[domain, user2]).expect(
        200,
        Some("0"),
        &format!(
            "Moving {domain} from {user} to {user2}, please wait...\n[*] Moving web domain...\n\n[*] Moving DNS zone and records...\n[*] Moving mail domain and accounts..."
        ),
    );

    // The objects are user2's and no longer the user's.
    for (command, present) in [
        ("v-list-web-domains", true),
        ("v-list-dns-domains", true),
        ("v-list-mail-domains", true),
    ] {
        assert_eq!(
            list_json(s, command, &[user2, "json"])
                .get(domain)
                .is_some(),
            present,
            "{command}"
        );
        assert!(
            s.v2(false, command, &[user, "json"])
                .json()
                .get(domain)
                .is_none(),
            "{command}"
        );
    }
    let web = lines(s, user2, "web.conf");
    assert_eq!(web.len(), 1);
    assert_eq!(web[0].value("SUSPENDED"), "no");
    assert!(lines(s, user, "web.conf").is_empty());
    assert_eq!(
        lines(s, user2, &format!("dns/{domain}.conf")).len(),
        records
    );
    assert_eq!(lines(s, user2, &format!("mail/{domain}.conf")).len(), 1);
    assert!(
        !s.path(&format!("data/users/{user}/dns/{domain}.conf"))
            .exists()
    );

    // Files: web root, rendered nginx configuration naming the new home, zone, mail files.
    assert!(
        home.join(format!("{user2}/web/{domain}/public_html"))
            .is_dir()
    );
    assert!(!home.join(format!("{user}/web/{domain}")).exists());
    let nginx = std::fs::read_to_string(home.join(format!("{user2}/conf/web/{domain}/nginx.conf")))
        .expect("the new owner's nginx.conf");
    assert!(
        nginx.contains(&format!(
            "{}/{user2}/web/{domain}/public_html",
            home.display()
        )),
        "{nginx}"
    );
    assert!(!nginx.contains(&format!("/{user}/")), "{nginx}");
    assert!(!home.join(format!("{user}/conf/web/{domain}")).exists());
    assert!(home.join(format!("{user2}/conf/dns/{domain}.db")).is_file());
    assert!(!home.join(format!("{user}/conf/dns/{domain}.db")).exists());
    let passwd = std::fs::read_to_string(home.join(format!("{user2}/conf/mail/{domain}/passwd")))
        .expect("the new owner's passwd");
    assert!(
        passwd.contains(&format!(":{user2}:mail::{}/{user2}:", home.display())),
        "{passwd}"
    );
    assert!(!home.join(format!("{user}/conf/mail/{domain}")).exists());

    // Counters moved with the objects.
    for (key, old, new) in [
        ("U_WEB_DOMAINS", "0", "1"),
        ("U_WEB_ALIASES", "0", "1"),
        ("U_DNS_DOMAINS", "0", "1"),
        ("U_DNS_RECORDS", "0", &records.to_string()),
        ("U_MAIL_DOMAINS", "0", "1"),
        ("U_MAIL_ACCOUNTS", "0", "1"),
        ("SUSPENDED_WEB", "0", "0"),
        ("SUSPENDED_DNS", "0", "0"),
    ] {
        assert_eq!(user_value(s, user, key), old, "{user} {key}");
        assert_eq!(user_value(s, user2, key), new, "{user2} {key}");
    }
    let history = s.read(&format!("data/users/{user2}/history.log"));
    assert!(
        history.contains(&format!(
            "CATEGORY='System' MESSAGE='New domain added to account (Domain: {domain}).'"
        )),
        "{history}"
    );

    // The names moved too: the old owner can no longer claim them...
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, domain, IP],
        4,
        &format!("Error: Web domain {domain} exists"),
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "alias.hestiacp.com", IP],
        4,
        "Error: Web alias alias.hestiacp.com exists",
    );
    // ...and the new owner holds them: after deleting the web domain, the user is still
    // refused because the DNS zone is user2's.
    ok(s, "v-delete-web-domain", &[user2, domain]);
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, domain, IP],
        4,
        &format!("Error: DNS domain {domain} exists"),
    );
    ok(s, "v-add-web-domain", &[user2, domain, IP]);

    // The current owner again: Hestia's message, and success.
    s.v2(false, "v-change-domain-owner", &[domain, user2])
        .expect(
            200,
            Some("0"),
            &format!("ERROR: {domain} is already owned by {user2}."),
        );
    expect_failure(
        s,
        "v-change-domain-owner",
        &["missing.hestiacp.com", user2],
        3,
        "Error: domain missing.hestiacp.com doesn't exist",
    );
    expect_failure(
        s,
        "v-change-domain-owner",
        &[domain, "nobody"],
        3,
        "Error: user nobody doesn't exist",
    );

    // v-change-database-owner $database $user2; v-delete-database $user2 test-5286_database
    ok(s, "v-change-database-owner", &[database, user2]);
    let dbs = lines(s, user2, "db.conf");
    assert_eq!(dbs.len(), 1);
    assert_eq!(dbs[0].value("DB"), "test-5286_database");
    assert_eq!(dbs[0].value("DBUSER"), "test-5286_dbuser");
    assert!(lines(s, user, "db.conf").is_empty());
    assert_eq!(user_value(s, user, "U_DATABASES"), "0");
    assert_eq!(user_value(s, user2, "U_DATABASES"), "1");
    let hosts = conf::parse_list(&s.read("conf/mysql.conf")).unwrap();
    let sys_users = hosts[0].value("U_SYS_USERS");
    assert!(
        sys_users.split(',').any(|name| name == user2),
        "{sys_users}"
    );
    assert!(
        !sys_users.split(',').any(|name| name == user),
        "{sys_users}"
    );
    ok(s, "v-delete-database", &[user2, "test-5286_database"]);
    expect_failure(
        s,
        "v-change-database-owner",
        &[database, user2],
        3,
        &format!("Error: database {database} doesn't exist"),
    );
}

#[test]
fn change_domain_owner_leaves_a_dedicated_address() {
    let s = server();
    let (owner, user) = (DEDICATED_OWNER, "ipnewowner");
    let domain = "dedicated-move.example";
    let home = home_root(s);
    add_user(s, owner);
    add_user(s, user);
    ok(s, "v-add-web-domain", &[owner, domain, DEDICATED_IP]);
    ok(s, "v-add-dns-domain", &[owner, domain, DEDICATED_IP]);
    let address = |ip: &str| conf::parse_source(&s.read(&format!("data/ips/{ip}"))).unwrap();
    assert_eq!(address(DEDICATED_IP).value("U_SYS_USERS"), owner);

    // The new owner may not use the owner's dedicated address: the domain gets the new
    // owner's first address (the admin's shared 127.0.0.1), in web.conf, DNS and the files.
    s.v2(false, "v-change-domain-owner", &[domain, user]).expect(
        200,
        Some("0"),
        &format!(
            "Moving {domain} from {owner} to {user}, please wait...\n[*] Moving web domain...\n[*] IP dedicated to {owner} select new ip address...\n127.0.0.1\n[*] Moving DNS zone and records..."
        ),
    );
    assert_eq!(lines(s, user, "web.conf")[0].value("IP"), "127.0.0.1");
    assert_eq!(lines(s, user, "dns.conf")[0].value("IP"), "127.0.0.1");
    let records = s.read(&format!("data/users/{user}/dns/{domain}.conf"));
    assert!(!records.contains(DEDICATED_IP), "{records}");
    assert!(records.contains("VALUE='127.0.0.1'"), "{records}");
    let zone = std::fs::read_to_string(home.join(format!("{user}/conf/dns/{domain}.db"))).unwrap();
    assert!(
        zone.contains("127.0.0.1") && !zone.contains(DEDICATED_IP),
        "{zone}"
    );
    let nginx =
        std::fs::read_to_string(home.join(format!("{user}/conf/web/{domain}/nginx.conf"))).unwrap();
    assert!(
        nginx.contains("127.0.0.1") && !nginx.contains(DEDICATED_IP),
        "{nginx}"
    );

    // The addresses' counters follow.
    let old = address(DEDICATED_IP);
    assert_eq!(old.value("U_WEB_DOMAINS"), "0");
    assert_eq!(old.value("U_SYS_USERS"), "");
    let new = address("127.0.0.1");
    assert_eq!(new.value("U_WEB_DOMAINS"), "1");
    assert_eq!(new.value("U_SYS_USERS"), user);
}
