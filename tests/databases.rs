//! The database commands through the HTTP API: Hestia's `test.bats` MYSQL and PGSQL cases,
//! the validation messages and codes of `v-add-database`, suspension, the list formats
//! (valid JSON whatever `db.conf` holds), the phpMyAdmin SSO permission set, and database
//! passwords kept out of every output, data file and log.

#[path = "support/mod.rs"]
mod support;

use std::sync::OnceLock;

use support::*;

/// MySQL's `PASSWORD('1234')`: `*` + upper-case hex of SHA1(SHA1('1234')).
const MYSQL_1234: &str = "*A4B6157319038724E3560894F7F932C8886EBFCF";

/// PostgreSQL's `'md5' || md5('1234ABCD' || 'test5290_dbuser')`.
const PGSQL_1234ABCD: &str = "md5a27eb880d147661f102bd2d903ef90b9";

const ADD_USAGE: &str = "Usage: v-add-database USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]";

static SERVER: OnceLock<Server> = OnceLock::new();

/// The server shared by the tests that do not change settings. Each test uses its own users,
/// so only the host files' counters are shared (tests needing exact host counters start
/// their own server).
fn server() -> &'static Server {
    SERVER.get_or_init(|| Server::start_with(&[], write_db_hosts))
}

/// The user's `db.conf` records, each as (key, value) pairs in file order.
fn db_records(s: &Server, user: &str) -> Vec<Vec<(String, String)>> {
    s.read(&format!("data/users/{user}/db.conf"))
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(parse_line)
        .collect()
}

/// Splits a `KEY='value' KEY='value'` line written by hearth (values quoted, `'` as `'\''`).
fn parse_line(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(eq) = rest.find("='") {
        let key = rest[..eq].trim().to_string();
        let mut value = String::new();
        let mut chars = rest[eq + 2..].char_indices();
        let mut end = rest.len();
        while let Some((index, c)) = chars.next() {
            if c == '\'' {
                if rest[eq + 2 + index..].starts_with("'\\''") {
                    value.push('\'');
                    chars.nth(2);
                    continue;
                }
                end = eq + 2 + index + 1;
                break;
            }
            value.push(c);
        }
        out.push((key, value));
        rest = &rest[end..];
    }
    out
}

fn field<'a>(record: &'a [(String, String)], key: &str) -> &'a str {
    record
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {record:?}"))
}

fn find_db<'a>(records: &'a [Vec<(String, String)>], db: &str) -> &'a [(String, String)] {
    records
        .iter()
        .find(|record| field(record, "DB") == db)
        .unwrap_or_else(|| panic!("no database {db} in {records:?}"))
}

/// A key of a source-layout file below the data root.
fn conf_key(s: &Server, relative: &str, key: &str) -> String {
    conf_value(&s.read(relative), key).unwrap_or_else(|| panic!("no {key} in {relative}"))
}

/// A key of the `localhost` line of `conf/<type>.conf`.
fn host_key(s: &Server, db_type: &str, key: &str) -> String {
    let text = s.read(&format!("conf/{db_type}.conf"));
    let line = text
        .lines()
        .find(|line| line.starts_with("HOST='localhost'"))
        .unwrap_or_else(|| panic!("no localhost in conf/{db_type}.conf: {text}"));
    field(&parse_line(line), key).to_string()
}

fn sys_users(s: &Server, db_type: &str) -> Vec<String> {
    host_key(s, db_type, "U_SYS_USERS")
        .split(',')
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .collect()
}

/// Asserts the exact `db.conf` line Hestia writes (TIME and DATE checked for shape).
#[track_caller]
fn assert_db_line(record: &[(String, String)], expected: &[(&str, &str)]) {
    let keys: Vec<&str> = record.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "DB",
            "DBUSER",
            "MD5",
            "HOST",
            "TYPE",
            "CHARSET",
            "U_DISK",
            "SUSPENDED",
            "TIME",
            "DATE"
        ]
    );
    for (key, value) in expected {
        assert_eq!(field(record, key), *value, "{key} of {record:?}");
    }
    let time = field(record, "TIME");
    let date = field(record, "DATE");
    assert!(
        time.len() == 8 && time.as_bytes()[2] == b':' && time.as_bytes()[5] == b':',
        "{time}"
    );
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{date}"
    );
}

// ---------------------------------------------------------------------------------------
// Hestia's test.bats cases
// ---------------------------------------------------------------------------------------

#[test]
fn mysql_add_duplicate_delete_missing() {
    let s = server();
    let user = "test-5285";
    s.legacy(
        true,
        "v-add-user",
        &[
            user,
            user,
            "test-5285@hestiacp.com",
            "default",
            "Super Test",
        ],
    )
    .expect(200, None, "0");

    // MYSQL: Add database.
    s.legacy(
        true,
        "v-add-database",
        &[user, "database", "dbuser", "1234", "mysql"],
    )
    .expect(200, None, "0");
    let records = db_records(s, user);
    assert_eq!(records.len(), 1);
    assert_db_line(
        &records[0],
        &[
            ("DB", "test-5285_database"),
            ("DBUSER", "test-5285_dbuser"),
            ("MD5", MYSQL_1234),
            ("HOST", "localhost"),
            ("TYPE", "mysql"),
            ("CHARSET", "UTF8MB4"),
            ("U_DISK", "0"),
            ("SUSPENDED", "no"),
        ],
    );
    assert_eq!(
        conf_key(s, "data/users/test-5285/user.conf", "U_DATABASES"),
        "1"
    );
    assert!(sys_users(s, "mysql").contains(&user.to_string()));
    let history = s.read("data/users/test-5285/history.log");
    assert!(
        history.contains(
            "LEVEL='Info' CATEGORY='Databases' MESSAGE='Added new database test-5285_database (mysql).'"
        ),
        "{history}"
    );

    // MYSQL: Add database (duplicate), then the same database user for another database.
    expect_failure(
        s,
        "v-add-database",
        &[user, "database", "dbuser", "1234", "mysql"],
        4,
        "Error: DB=test-5285_database already exists",
    );
    expect_failure(
        s,
        "v-add-database",
        &[user, "database2", "dbuser", "1234"],
        4,
        "Error: DBUSER=test-5285_dbuser already exists",
    );
    assert_eq!(db_records(s, user).len(), 1);

    // MYSQL: Delete database.
    s.v2(false, "v-delete-database", &[user, "test-5285_database"])
        .expect(204, Some("0"), "");
    assert!(db_records(s, user).is_empty());
    assert_eq!(
        conf_key(s, "data/users/test-5285/user.conf", "U_DATABASES"),
        "0"
    );
    assert!(!sys_users(s, "mysql").contains(&user.to_string()));
    assert!(
        s.read("data/users/test-5285/history.log")
            .contains("MESSAGE='Deleted database (Name: test-5285_database).'")
    );

    // MYSQL: Delete missing database; the short name never names a database.
    expect_failure(
        s,
        "v-delete-database",
        &[user, "test-5285_database"],
        3,
        "Error: db db test-5285_database doesn't exist",
    );
    expect_failure(
        s,
        "v-delete-database",
        &[user, "database"],
        3,
        "Error: db db database doesn't exist",
    );
}

#[test]
fn pgsql_invalid_user_add_duplicate_delete_missing() {
    let s = server();
    // PGSQL: Add database invalid user (the user name has a `-`).
    add_user(s, "test-5286");
    expect_failure(
        s,
        "v-add-database",
        &["test-5286", "database", "dbuser", "1234ABCD", "pgsql"],
        2,
        "Error: invalid database user format",
    );
    assert!(db_records(s, "test-5286").is_empty());
    // MySQL takes the same names.
    s.legacy(
        true,
        "v-add-database",
        &["test-5286", "database", "dbuser", "1234ABCD", "mysql"],
    )
    .expect(200, None, "0");

    let user = "test5290";
    add_user(s, user);
    // PGSQL: Add database.
    s.legacy(
        true,
        "v-add-database",
        &[user, "database", "dbuser", "1234ABCD", "pgsql"],
    )
    .expect(200, None, "0");
    let records = db_records(s, user);
    assert_db_line(
        find_db(&records, "test5290_database"),
        &[
            ("DBUSER", "test5290_dbuser"),
            ("MD5", PGSQL_1234ABCD),
            ("HOST", "localhost"),
            ("TYPE", "pgsql"),
            ("CHARSET", "UTF8MB4"),
            ("SUSPENDED", "no"),
        ],
    );
    assert!(sys_users(s, "pgsql").contains(&user.to_string()));
    // PGSQL: Add database (duplicate).
    expect_failure(
        s,
        "v-add-database",
        &[user, "database", "dbuser", "1234ABCD", "pgsql"],
        4,
        "Error: DB=test5290_database already exists",
    );
    // Names are lower-cased for PostgreSQL, the charset upper-cased.
    s.v2(
        false,
        "v-add-database",
        &[user, "Shop", "Owner", "1234ABCD", "pgsql", "", "latin1"],
    )
    .expect(204, Some("0"), "");
    let records = db_records(s, user);
    let shop = find_db(&records, "test5290_shop");
    assert_eq!(field(shop, "DBUSER"), "test5290_owner");
    assert_eq!(field(shop, "CHARSET"), "LATIN1");
    // PGSQL: Delete database.
    s.legacy(true, "v-delete-database", &[user, "test5290_database"])
        .expect(200, None, "0");
    // PGSQL: Delete missing database.
    expect_failure(
        s,
        "v-delete-database",
        &[user, "test5290_database"],
        3,
        "Error: db db test5290_database doesn't exist",
    );
    s.legacy(true, "v-delete-database", &[user, "test5290_shop"])
        .expect(200, None, "0");
    assert!(db_records(s, user).is_empty());
    assert!(!sys_users(s, "pgsql").contains(&user.to_string()));
}

#[test]
fn deleting_the_user_deletes_its_databases() {
    let s = server();
    let user = "dbgone";
    add_user(s, user);
    s.v2(false, "v-add-database", &[user, "a", "a", "pw123456"])
        .expect(204, Some("0"), "");
    s.v2(
        false,
        "v-add-database",
        &[user, "b", "b", "pw123456", "pgsql"],
    )
    .expect(204, Some("0"), "");
    assert!(sys_users(s, "mysql").contains(&user.to_string()));
    assert!(sys_users(s, "pgsql").contains(&user.to_string()));
    // v-delete-user runs v-delete-database for each database, which gives the hosts back.
    s.v2(false, "v-delete-user", &[user])
        .expect(204, Some("0"), "");
    assert!(!s.path("data/users/dbgone").exists());
    assert!(!sys_users(s, "mysql").contains(&user.to_string()));
    assert!(!sys_users(s, "pgsql").contains(&user.to_string()));
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

#[test]
fn add_database_validation() {
    let s = server();
    let user = "dbcheck";
    add_user(s, user);
    expect_failure(s, "v-add-database", &[user, "db", "dbuser"], 1, ADD_USAGE);
    // `dbcheck_` + 25 characters is 33: one too many for MySQL.
    let long = "u".repeat(25);
    expect_failure(
        s,
        "v-add-database",
        &[user, "db", &long, "pw123456"],
        2,
        "Error: mysql username can be up to 32 characters long",
    );
    s.v2(
        false,
        "v-add-database",
        &[user, "db", &"u".repeat(24), "pw123456"],
    )
    .expect(204, Some("0"), "");
    expect_failure(
        s,
        "v-add-database",
        &[user, "d;b", "x", "pw123456"],
        2,
        "Error: invalid database format :: dbcheck_d;b",
    );
    expect_failure(
        s,
        "v-add-database",
        &[user, "db2", "x'y", "pw123456"],
        2,
        "Error: invalid dbuser format :: dbcheck_x'y",
    );
    expect_failure(
        s,
        "v-add-database",
        &[user, "db2", "x", "pw123456", "mongodb"],
        2,
        "Error: mongodb type is invalid",
    );
    expect_failure(
        s,
        "v-add-database",
        &[user, "db2", "x", "pw123456", "mysql", "db9.example.com"],
        3,
        "Error: mysql host db9.example.com doesn't exist",
    );
    expect_failure(
        s,
        "v-add-database",
        &["nosuchuser", "db2", "x", "pw123456"],
        3,
        "Error: user nosuchuser doesn't exist",
    );
    expect_failure(
        s,
        "v-add-database",
        &["bad user", "db2", "x", "pw123456"],
        2,
        "Error: invalid user format :: bad user",
    );
    // A suspended user gets no databases.
    add_user(s, "dbsuspended");
    s.v2(false, "v-suspend-user", &["dbsuspended"])
        .expect(204, Some("0"), "");
    expect_failure(
        s,
        "v-add-database",
        &["dbsuspended", "db", "x", "pw123456"],
        5,
        "Error: user dbsuspended is suspended",
    );
    assert!(db_records(s, "dbsuspended").is_empty());
    assert_eq!(db_records(s, user).len(), 1);
}

#[test]
fn package_limit_on_databases() {
    let s = server();
    let user = "dblimit";
    add_user(s, user);
    // Give the user a package limit of one database (as `v-change-user-package` would).
    let path = s.path("data/users/dblimit/user.conf");
    let text = std::fs::read_to_string(&path).expect("read user.conf");
    assert!(text.contains("DATABASES='unlimited'"), "{text}");
    let temp = s.path("data/users/dblimit/.user.conf.test");
    std::fs::write(
        &temp,
        text.replace("DATABASES='unlimited'", "DATABASES='1'"),
    )
    .expect("write user.conf");
    std::fs::rename(&temp, &path).expect("replace user.conf");

    s.v2(false, "v-add-database", &[user, "one", "one", "pw123456"])
        .expect(204, Some("0"), "");
    expect_failure(
        s,
        "v-add-database",
        &[user, "two", "two", "pw123456"],
        8,
        "Error: DATABASES limit is reached :: upgrade user package",
    );
    // Deleting makes room again.
    s.v2(false, "v-delete-database", &[user, "dblimit_one"])
        .expect(204, Some("0"), "");
    s.v2(false, "v-add-database", &[user, "two", "two", "pw123456"])
        .expect(204, Some("0"), "");
}

/// Settings and host files that differ from the shared server's: a server of its own.
#[test]
fn db_system_hosts_and_exact_counters() {
    let s = Server::start_with(&[], |data| {
        std::fs::write(
            data.join("conf/mysql.conf"),
            "HOST='localhost' USER='root' PASSWORD='x' CHARSETS='UTF8' MAX_DB='10' U_SYS_USERS='' U_DB_BASES='5' SUSPENDED='no' TIME='12:00:00' DATE='2024-05-01' PORT='3306'\n\
             HOST='db2.example.com' USER='root' PASSWORD='x' CHARSETS='UTF8' MAX_DB='10' U_SYS_USERS='' U_DB_BASES='1' SUSPENDED='no' TIME='12:00:00' DATE='2024-05-01' PORT='3306'\n\
             HOST='db3.example.com' USER='root' PASSWORD='x' CHARSETS='UTF8' MAX_DB='10' U_SYS_USERS='' U_DB_BASES='0' SUSPENDED='yes' TIME='12:00:00' DATE='2024-05-01' PORT='3306'\n",
        )
        .expect("write mysql.conf");
        // No conf/pgsql.conf, although DB_SYSTEM lists pgsql.
        let _ = std::fs::remove_file(data.join("conf/pgsql.conf"));
    });
    let user = "hosts";
    add_user(&s, user);
    let host_line = |host: &str| -> Vec<(String, String)> {
        let text = s.read("conf/mysql.conf");
        parse_line(
            text.lines()
                .find(|line| line.starts_with(&format!("HOST='{host}'")))
                .unwrap_or_else(|| panic!("no {host}: {text}")),
        )
    };

    // The least loaded unsuspended host takes the database.
    s.v2(false, "v-add-database", &[user, "a", "a", "pw123456"])
        .expect(204, Some("0"), "");
    assert_eq!(
        field(find_db(&db_records(&s, user), "hosts_a"), "HOST"),
        "db2.example.com"
    );
    assert_eq!(field(&host_line("db2.example.com"), "U_DB_BASES"), "2");
    assert_eq!(field(&host_line("db2.example.com"), "U_SYS_USERS"), "hosts");
    assert_eq!(field(&host_line("localhost"), "U_DB_BASES"), "5");
    // An explicit host; a second database keeps the user listed once.
    s.v2(
        false,
        "v-add-database",
        &[user, "b", "b", "pw123456", "mysql", "localhost"],
    )
    .expect(204, Some("0"), "");
    s.v2(
        false,
        "v-add-database",
        &[user, "c", "c", "pw123456", "mysql", "localhost"],
    )
    .expect(204, Some("0"), "");
    assert_eq!(field(&host_line("localhost"), "U_DB_BASES"), "7");
    assert_eq!(field(&host_line("localhost"), "U_SYS_USERS"), "hosts");
    // A suspended host is refused when named.
    expect_failure(
        &s,
        "v-add-database",
        &[user, "d", "d", "pw123456", "mysql", "db3.example.com"],
        5,
        "Error: mysql db3.example.com is suspended",
    );
    // Deleting one of two databases on a host keeps the user there.
    s.v2(false, "v-delete-database", &[user, "hosts_b"])
        .expect(204, Some("0"), "");
    assert_eq!(field(&host_line("localhost"), "U_DB_BASES"), "6");
    assert_eq!(field(&host_line("localhost"), "U_SYS_USERS"), "hosts");
    s.v2(false, "v-delete-database", &[user, "hosts_c"])
        .expect(204, Some("0"), "");
    assert_eq!(field(&host_line("localhost"), "U_DB_BASES"), "5");
    assert_eq!(field(&host_line("localhost"), "U_SYS_USERS"), "");
    assert_eq!(
        conf_key(&s, "data/users/hosts/user.conf", "U_DATABASES"),
        "1"
    );

    // DB_SYSTEM lists pgsql, but there is no host file: Hestia's empty host.
    expect_failure(
        &s,
        "v-add-database",
        &[user, "pg", "pg", "pw123456", "pgsql"],
        3,
        "Error: pgsql host EMPTY_DB_HOST doesn't exist",
    );
    // TYPE must be listed in DB_SYSTEM.
    s.set_conf("DB_SYSTEM", "mysql");
    expect_failure(
        &s,
        "v-add-database",
        &[user, "pg", "pg", "pw123456", "pgsql"],
        2,
        "Error: pgsql type is invalid",
    );
    // Demo mode changes nothing.
    s.set_conf("DEMO_MODE", "yes");
    expect_failure(
        &s,
        "v-add-database",
        &[user, "e", "e", "pw123456"],
        1,
        "ERROR: Unable to perform operation due to security restrictions that are in place.",
    );
    expect_failure(
        &s,
        "v-delete-database",
        &[user, "hosts_a"],
        1,
        "ERROR: Unable to perform operation due to security restrictions that are in place.",
    );
    s.set_conf("DEMO_MODE", "no");
    // No database system at all.
    s.set_conf("DB_SYSTEM", "");
    for (command, args) in [
        ("v-add-database", vec![user, "e", "e", "pw123456"]),
        ("v-delete-database", vec![user, "hosts_a"]),
        ("v-suspend-database", vec![user, "hosts_a"]),
        ("v-unsuspend-database", vec![user, "hosts_a"]),
        ("v-add-database-temp-user", vec![user, "hosts_a"]),
    ] {
        expect_failure(&s, command, &args, 11, "Error: DB_SYSTEM is not enabled");
    }
    assert_eq!(db_records(&s, user).len(), 1);
}

// ---------------------------------------------------------------------------------------
// Suspension
// ---------------------------------------------------------------------------------------

#[test]
fn suspend_and_unsuspend() {
    let s = server();
    let user = "dbsusp";
    add_user(s, user);
    s.v2(false, "v-add-database", &[user, "wp", "wp", "pw123456"])
        .expect(204, Some("0"), "");
    let user_conf = "data/users/dbsusp/user.conf";

    s.v2(false, "v-suspend-database", &[user, "dbsusp_wp"])
        .expect(204, Some("0"), "");
    assert_eq!(field(&db_records(s, user)[0], "SUSPENDED"), "yes");
    assert_eq!(conf_key(s, user_conf, "SUSPENDED_DB"), "1");
    expect_failure(
        s,
        "v-suspend-database",
        &[user, "dbsusp_wp"],
        5,
        "Error: db dbsusp_wp is suspended",
    );
    // A suspended database gets no phpMyAdmin login.
    expect_failure(
        s,
        "v-add-database-temp-user",
        &[user, "dbsusp_wp"],
        5,
        "Error: db dbsusp_wp is suspended",
    );
    let listed = s.v2(false, "v-list-database", &[user, "dbsusp_wp", "json"]);
    assert_eq!(listed.json()["dbsusp_wp"]["SUSPENDED"], "yes");

    s.legacy(true, "v-unsuspend-database", &[user, "dbsusp_wp"])
        .expect(200, None, "0");
    assert_eq!(field(&db_records(s, user)[0], "SUSPENDED"), "no");
    assert_eq!(conf_key(s, user_conf, "SUSPENDED_DB"), "0");
    expect_failure(
        s,
        "v-unsuspend-database",
        &[user, "dbsusp_wp"],
        6,
        "Error: db dbsusp_wp is not suspended",
    );
    for command in ["v-suspend-database", "v-unsuspend-database"] {
        expect_failure(
            s,
            command,
            &[user, "dbsusp_none"],
            3,
            "Error: db db dbsusp_none doesn't exist",
        );
        expect_failure(
            s,
            command,
            &[user],
            1,
            &format!("Usage: {command} USER DATABASE"),
        );
    }

    // Deleting a suspended database gives back SUSPENDED_DB too.
    s.v2(false, "v-suspend-database", &[user, "dbsusp_wp"])
        .expect(204, Some("0"), "");
    assert_eq!(conf_key(s, user_conf, "SUSPENDED_DB"), "1");
    s.v2(false, "v-delete-database", &[user, "dbsusp_wp"])
        .expect(204, Some("0"), "");
    assert_eq!(conf_key(s, user_conf, "SUSPENDED_DB"), "0");
    assert_eq!(conf_key(s, user_conf, "U_DATABASES"), "0");
}

// ---------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------

#[test]
fn list_formats() {
    let s = server();
    let user = "dblist";
    add_user(s, user);
    // No databases: `{` `}`, which is an empty JSON object and so served as text.
    s.v2(false, "v-list-databases", &[user, "json"])
        .expect(200, Some("0"), "{\n}")
        .expect_type(TEXT_HTML);
    s.v2(false, "v-add-database", &[user, "wp", "wpuser", "pw123456"])
        .expect(204, Some("0"), "");
    s.v2(
        false,
        "v-add-database",
        &[user, "shop", "shop", "pw123456", "pgsql", "", "utf8"],
    )
    .expect(204, Some("0"), "");
    let records = db_records(s, user);
    let wp = find_db(&records, "dblist_wp");
    let shop = find_db(&records, "dblist_shop");
    let (wp_time, wp_date) = (field(wp, "TIME"), field(wp, "DATE"));
    let (shop_time, shop_date) = (field(shop, "TIME"), field(shop, "DATE"));

    // json: keyed by database, Hestia's field order.
    let r = s.v2(false, "v-list-databases", &[user, "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let expected = format!(
        "{{\n    \"dblist_wp\": {{\n        \"DATABASE\": \"dblist_wp\",\n        \"DBUSER\": \"dblist_wpuser\",\n        \"HOST\": \"localhost\",\n        \"TYPE\": \"mysql\",\n        \"CHARSET\": \"UTF8MB4\",\n        \"U_DISK\": \"0\",\n        \"SUSPENDED\": \"no\",\n        \"TIME\": \"{wp_time}\",\n        \"DATE\": \"{wp_date}\"\n    }},\n    \"dblist_shop\": {{\n        \"DATABASE\": \"dblist_shop\",\n        \"DBUSER\": \"dblist_shop\",\n        \"HOST\": \"localhost\",\n        \"TYPE\": \"pgsql\",\n        \"CHARSET\": \"UTF8\",\n        \"U_DISK\": \"0\",\n        \"SUSPENDED\": \"no\",\n        \"TIME\": \"{shop_time}\",\n        \"DATE\": \"{shop_date}\"\n    }}\n}}"
    );
    assert_eq!(r.body, expected);
    // Legacy data mode: the same text plus a line break.
    s.legacy(false, "v-list-databases", &[user, "json"]).expect(
        200,
        None,
        &format!("{expected}\n"),
    );
    // returncode=yes: only the code, never the list.
    s.legacy(true, "v-list-databases", &[user, "json"])
        .expect(200, None, "0");

    let wp_plain =
        format!("dblist_wp\tdblist_wpuser\tlocalhost\tmysql\tUTF8MB4\t0\tno\t{wp_time}\t{wp_date}");
    let shop_plain = format!(
        "dblist_shop\tdblist_shop\tlocalhost\tpgsql\tUTF8\t0\tno\t{shop_time}\t{shop_date}"
    );
    s.v2(false, "v-list-databases", &[user, "plain"]).expect(
        200,
        Some("0"),
        &format!("{wp_plain}\n{shop_plain}"),
    );
    s.v2(false, "v-list-databases", &[user, "csv"]).expect(
        200,
        Some("0"),
        &format!(
            "DATABASE,DBUSER,HOST,TYPE,CHARSET,U_DISK,SUSPENDED,TIME,DATE\n\
             dblist_wp,dblist_wpuser,localhost,mysql,UTF8MB4,0,no,{wp_time},{wp_date}\n\
             dblist_shop,dblist_shop,localhost,pgsql,UTF8,0,no,{shop_time},{shop_date}"
        ),
    );
    let shell = format!(
        "DATABASE     USER           HOST       TYPE   DISK  SPND  DATE\n\
         --------     ----           ----       ----   ----  ----  ----\n\
         dblist_wp    dblist_wpuser  localhost  mysql  0     no    {wp_date}\n\
         dblist_shop  dblist_shop    localhost  pgsql  0     no    {shop_date}"
    );
    // shell is the default format.
    s.v2(false, "v-list-databases", &[user])
        .expect(200, Some("0"), &shell);
    s.v2(false, "v-list-databases", &[user, "shell"])
        .expect(200, Some("0"), &shell);
    // An explicitly empty or unknown format prints nothing.
    s.v2(false, "v-list-databases", &[user, ""])
        .expect(204, Some("0"), "");
    s.v2(false, "v-list-databases", &[user, "yaml"])
        .expect(204, Some("0"), "");

    // One database.
    let r = s.v2(false, "v-list-database", &[user, "dblist_shop", "json"]);
    r.expect_type(APPLICATION_JSON).expect(
        200,
        Some("0"),
        &format!(
            "{{\n    \"dblist_shop\": {{\n        \"DATABASE\": \"dblist_shop\",\n        \"DBUSER\": \"dblist_shop\",\n        \"HOST\": \"localhost\",\n        \"TYPE\": \"pgsql\",\n        \"CHARSET\": \"UTF8\",\n        \"U_DISK\": \"0\",\n        \"SUSPENDED\": \"no\",\n        \"TIME\": \"{shop_time}\",\n        \"DATE\": \"{shop_date}\"\n    }}\n}}"
        ),
    );
    s.v2(false, "v-list-database", &[user, "dblist_wp", "plain"])
        .expect(200, Some("0"), &wp_plain);
    s.v2(false, "v-list-database", &[user, "dblist_wp", "csv"])
        .expect(
            200,
            Some("0"),
            &format!(
                "DATABASE,DBUSER,HOST,TYPE,CHARSET,U_DISK,SUSPENDED,TIME,DATE\n\
             dblist_wp,dblist_wpuser,localhost,mysql,UTF8MB4,0,no,{wp_time},{wp_date}"
            ),
        );
    s.v2(false, "v-list-database", &[user, "dblist_wp"]).expect(
        200,
        Some("0"),
        &format!(
            "DATABASE:       dblist_wp\nDB USER:        dblist_wpuser\nHOST:           localhost\nTYPE:           mysql\nCHARSET:        UTF8MB4\nDISK:           0\nSUSPENDED:      no\nTIME:           {wp_time}\nDATE:           {wp_date}"
        ),
    );
    expect_failure(
        s,
        "v-list-database",
        &[user, "dblist_none", "json"],
        3,
        "Error: db db dblist_none doesn't exist",
    );
    expect_failure(
        s,
        "v-list-databases",
        &["nosuchuser", "json"],
        3,
        "Error: user nosuchuser doesn't exist",
    );
    expect_failure(
        s,
        "v-list-databases",
        &[],
        1,
        "Usage: v-list-databases USER [FORMAT]",
    );
}

#[test]
fn json_stays_valid_whatever_db_conf_holds() {
    let s = server();
    let user = "dbhostile";
    add_user(s, user);
    // A db.conf line written by hand (or imported from Hestia) with quotes, a tab,
    // backslashes and braces in its values.
    let line = "DB='dbhostile_q\"x' DBUSER='a\\b\\\\c' MD5='' HOST='h\tt' TYPE='mysql' CHARSET='}{\"' U_DISK='0' SUSPENDED='no' TIME='12:00:00' DATE='2024-05-01'\n";
    std::fs::write(s.path("data/users/dbhostile/db.conf"), line).expect("write db.conf");

    for r in [
        s.v2(false, "v-list-databases", &[user, "json"]),
        s.legacy(false, "v-list-databases", &[user, "json"]),
    ] {
        let json = r.json();
        let db = &json["dbhostile_q\"x"];
        assert_eq!(db["DATABASE"], "dbhostile_q\"x", "{r:#?}");
        assert_eq!(db["DBUSER"], "a\\b\\\\c");
        assert_eq!(db["HOST"], "h\tt");
        assert_eq!(db["CHARSET"], "}{\"");
    }
    let r = s.v2(false, "v-list-database", &[user, "dbhostile_q\"x", "json"]);
    // The `"` in the name is refused by the database validator, like in Hestia.
    r.expect(
        422,
        Some("2"),
        "Error: invalid database format :: dbhostile_q\"x",
    );
    std::fs::write(
        s.path("data/users/dbhostile/db.conf"),
        line.replace("dbhostile_q\"x", "dbhostile_q"),
    )
    .expect("write db.conf");
    let r = s.v2(false, "v-list-database", &[user, "dbhostile_q", "json"]);
    let json = r.json();
    assert_eq!(json["dbhostile_q"]["DBUSER"], "a\\b\\\\c", "{r:#?}");
    assert_eq!(json["dbhostile_q"]["HOST"], "h\tt");
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

#[test]
fn database_passwords_never_leave_the_call() {
    let s = server();
    let user = "dbsecret";
    add_user(s, user);
    let password = "Db-S3cret-4f7a9c";
    let legacy_password = "Db-S3cret-b81e2d";
    s.v2(false, "v-add-database", &[user, "one", "one", password])
        .expect(204, Some("0"), "");
    s.legacy(
        true,
        "v-add-database",
        &[user, "two", "two", legacy_password, "pgsql"],
    )
    .expect(200, None, "0");
    // The /tmp/ password-file convention (v-make-tmp-file, as billing modules use it).
    s.v2(false, "v-make-tmp-file", &[password, "dbsecret-pw"])
        .expect(204, Some("0"), "");
    s.v2(
        false,
        "v-add-database",
        &[user, "three", "three", "/tmp/dbsecret-pw"],
    )
    .expect(204, Some("0"), "");
    // A failing call with a password is not logged with it either.
    s.legacy(false, "v-add-database", &[user, "one", "other", password])
        .expect(200, None, "Error: DB=dbsecret_one already exists\n");

    let records = db_records(s, user);
    let one = find_db(&records, "dbsecret_one");
    let three = find_db(&records, "dbsecret_three");
    // The same password from the file gives the same (unsalted) server hash.
    assert!(field(one, "MD5").starts_with('*'), "{one:?}");
    assert_eq!(field(one, "MD5").len(), 41);
    assert_eq!(field(three, "MD5"), field(one, "MD5"));
    assert!(field(find_db(&records, "dbsecret_two"), "MD5").starts_with("md5"));

    // Not in any output ...
    for format in ["json", "plain", "csv", "shell"] {
        for r in [
            s.v2(false, "v-list-databases", &[user, format]),
            s.legacy(false, "v-list-database", &[user, "dbsecret_one", format]),
        ] {
            assert!(r.status == 200 && !r.body.is_empty(), "{r:#?}");
            for secret in [password, legacy_password] {
                assert!(!r.body.contains(secret), "{format} leaks: {r:#?}");
            }
        }
    }
    // ... nor in any file of the data root (data files, history, audit, auth.log) or the
    // server's log.
    let audit = s.read("log/audit.jsonl");
    assert!(audit.contains("v-add-database"), "{audit}");
    for (path, bytes) in snapshot(s.data_dir()) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in [password, legacy_password] {
            assert!(
                !text.contains(secret),
                "{} leaks the password: {text}",
                path.display()
            );
        }
    }
    let log = s.log();
    for secret in [password, legacy_password] {
        assert!(!log.contains(secret), "server log leaks the password");
    }
}

// ---------------------------------------------------------------------------------------
// phpMyAdmin single sign-on
// ---------------------------------------------------------------------------------------

/// The request `hestia-sso.php` sends: `hash=ID:SECRET`, data mode, four arguments.
fn sso_add(s: &Server, key: &Key, user: &str, database: &str) -> Response {
    s.api(
        Auth::KeyHash(key),
        false,
        "v-add-database-temp-user",
        &[user, database, "mysql", "localhost"],
    )
}

fn is_alnum16(value: &str) -> bool {
    value.len() == 16 && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[test]
fn phpmyadmin_sso_set() {
    let s = server();
    let user = "dbsso";
    add_user(s, user);
    s.v2(false, "v-add-database", &[user, "wp", "wp", "pw123456"])
        .expect(204, Some("0"), "");
    // `v-add-access-key ROOT_USER phpmyadmin-sso phpMyAdmin plain`, as v-add-sys-pma-sso does.
    let key = s.add_key("admin", "phpmyadmin-sso");

    let r = sso_add(s, &key, user, "dbsso_wp");
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = r.json();
    let temp_user = json["login"]["user"].as_str().expect("a user").to_string();
    let temp_password = json["login"]["password"]
        .as_str()
        .expect("a password")
        .to_string();
    assert_eq!(
        r.body,
        format!(
            "{{\n    \"login\": {{\n        \"user\": \"{temp_user}\",\n        \"password\": \"{temp_password}\"\n    }}\n}}"
        )
    );
    let suffix = temp_user
        .strip_prefix("hestia_sso_")
        .unwrap_or_else(|| panic!("not an SSO user: {temp_user}"));
    assert!(is_alnum16(suffix), "{temp_user}");
    assert!(is_alnum16(&temp_password), "{temp_password}");
    // Every login is new.
    let again = sso_add(s, &key, user, "dbsso_wp").json();
    assert_ne!(again["login"]["user"], json["login"]["user"]);
    assert_ne!(again["login"]["password"], json["login"]["password"]);
    let history = s.read("data/users/dbsso/history.log");
    assert!(
        history.contains(&format!(
            "CATEGORY='Databases' MESSAGE='Granted user {temp_user} access to database dbsso_wp.'"
        )),
        "{history}"
    );
    assert!(!history.contains(&temp_password));
    assert!(!s.read("log/audit.jsonl").contains(&temp_password));

    // Logging out: `v-delete-database-temp-user` with returncode=yes.
    s.api(
        Auth::KeyHash(&key),
        true,
        "v-delete-database-temp-user",
        &[user, "dbsso_wp", &temp_user, "mysql", "localhost"],
    )
    .expect(200, Some("0"), "0");
    assert!(s.read("data/users/dbsso/history.log").contains(&format!(
        "CATEGORY='Database' MESSAGE='Revoked user access (Database: dbsso_wp, User: {temp_user}).'"
    )));
    // Only SSO users can be removed this way.
    s.api(
        Auth::KeyHash(&key),
        false,
        "v-delete-database-temp-user",
        &[user, "dbsso_wp", "dbsso_wp"],
    )
    .expect(422, Some("2"), "DBUSER is invalid SSO user");
    s.api(
        Auth::Key(&key),
        false,
        "v-add-database-temp-user",
        &[user, "dbsso_none"],
    )
    .expect(400, Some("3"), "Error: db db dbsso_none doesn't exist");
    s.api(Auth::Key(&key), false, "v-add-database-temp-user", &[user])
        .expect(
            400,
            Some("1"),
            "Usage: v-add-database-temp-user USER DATABASE [TYPE] [HOST]",
        );

    // The set allows nothing else.
    for (command, args) in [
        ("v-add-database", vec![user, "x", "x", "pw123456"]),
        ("v-delete-database", vec![user, "dbsso_wp"]),
        ("v-list-databases", vec![user, "json"]),
    ] {
        s.api(Auth::KeyHash(&key), true, command, &args)
            .expect(401, Some("10"), "10");
    }
    assert_eq!(db_records(s, user).len(), 1);
}
