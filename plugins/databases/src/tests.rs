//! Native tests: the commands run through `hearth_sdk::run_under` against temporary data
//! trees laid out the way the sandbox mounts them (`/user`, `/conf`).
//!
//! The temporary-user commands draw random names from the host, which exists only inside the
//! sandbox; their validation paths are covered here and the rest by the end-to-end tests.

use std::fs;
use std::path::Path;

use hearth_sdk::conf::{self, Record};
use hearth_sdk::render::Format;
use tempfile::TempDir;

use crate::{COMMANDS, hash, hosts, list};

const ROOT: &str = "admin";

const HESTIA_CONF: &str = "DB_SYSTEM='mysql,pgsql'\nDEMO_MODE='no'\n";

const MYSQL_CONF: &str = "HOST='localhost' USER='root' PASSWORD='x' CHARSETS='UTF8' MAX_DB='500' U_SYS_USERS='' U_DB_BASES='0' SUSPENDED='no' TIME='10:00:00' DATE='2024-05-01' PORT='3306'\n";

const PGSQL_CONF: &str = "HOST='localhost' USER='postgres' PASSWORD='x' CHARSETS='UTF8' TPL='template1' MAX_DB='500' U_SYS_USERS='' U_DB_BASES='0' SUSPENDED='no' TIME='10:00:00' DATE='2024-05-01' PORT='5432'\n";

fn user_conf(extra: &[(&str, &str)]) -> String {
    let mut record = Record::from_pairs([
        ("NAME", "Alice"),
        ("PACKAGE", "default"),
        ("DATABASES", "unlimited"),
        ("SUSPENDED", "no"),
        ("SUSPENDED_DB", "0"),
        ("U_DATABASES", "0"),
    ]);
    for (key, value) in extra {
        record.set(*key, *value);
    }
    record.to_source().unwrap()
}

/// A sandbox-shaped tree for the user `alice`.
fn tree(user_extra: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("user")).unwrap();
    fs::create_dir_all(root.join("conf")).unwrap();
    fs::write(root.join("user/user.conf"), user_conf(user_extra)).unwrap();
    fs::write(root.join("user/db.conf"), "").unwrap();
    fs::write(root.join("user/history.log"), "").unwrap();
    fs::write(root.join("conf/hestia.conf"), HESTIA_CONF).unwrap();
    fs::write(root.join("conf/mysql.conf"), MYSQL_CONF).unwrap();
    fs::write(root.join("conf/pgsql.conf"), PGSQL_CONF).unwrap();
    dir
}

fn run(root: &Path, command: &str, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, ROOT, command, args)
}

fn read(root: &Path, relative: &str) -> String {
    fs::read_to_string(root.join(relative)).unwrap_or_default()
}

fn value(root: &Path, relative: &str, key: &str) -> String {
    conf::parse_source(&read(root, relative))
        .unwrap()
        .value(key)
        .to_string()
}

fn databases(root: &Path) -> Vec<Record> {
    conf::parse_list(&read(root, "user/db.conf")).unwrap()
}

fn host(root: &Path, db_type: &str) -> Record {
    conf::parse_list(&read(root, &format!("conf/{db_type}.conf")))
        .unwrap()
        .remove(0)
}

#[test]
fn md5_matches_rfc_1321() {
    for (input, digest) in [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a",
        ),
    ] {
        assert_eq!(hex_of(&hash::md5(input.as_bytes())), digest, "{input}");
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn server_hashes() {
    // MySQL's PASSWORD('1234').
    assert_eq!(
        hash::server_hash("mysql", "alice_db", "1234"),
        "*A4B6157319038724E3560894F7F932C8886EBFCF"
    );
    // PostgreSQL: 'md5' || md5(password || rolname).
    assert_eq!(
        hash::server_hash("pgsql", "test5290_dbuser", "1234ABCD"),
        "md5a27eb880d147661f102bd2d903ef90b9"
    );
    assert_eq!(hash::server_hash("mysql", "alice_db", ""), "");
}

#[test]
fn adds_a_mysql_database_like_hestia() {
    let dir = tree(&[]);
    let root = dir.path();
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "wp", "wpuser", "s3cret-pw"]
        ),
        (0, String::new())
    );
    let list = databases(root);
    assert_eq!(list.len(), 1);
    let keys: Vec<&str> = list[0].iter().map(|(key, _)| key).collect();
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
    assert_eq!(list[0].value("DB"), "alice_wp");
    assert_eq!(list[0].value("DBUSER"), "alice_wpuser");
    assert_eq!(
        list[0].value("MD5"),
        hash::server_hash("mysql", "", "s3cret-pw")
    );
    assert!(list[0].value("MD5").starts_with('*'));
    assert_eq!(list[0].value("HOST"), "localhost");
    assert_eq!(list[0].value("TYPE"), "mysql");
    assert_eq!(list[0].value("CHARSET"), "UTF8MB4");
    assert_eq!(list[0].value("SUSPENDED"), "no");
    assert!(!read(root, "user/db.conf").contains("s3cret-pw"));
    assert_eq!(value(root, "user/user.conf", "U_DATABASES"), "1");
    let mysql = host(root, "mysql");
    assert_eq!(mysql.value("U_DB_BASES"), "1");
    assert_eq!(mysql.value("U_SYS_USERS"), "alice");
    let history = read(root, "user/history.log");
    assert!(
        history.contains(
            "LEVEL='Info' CATEGORY='Databases' MESSAGE='Added new database alice_wp (mysql).'"
        ),
        "{history}"
    );
    assert!(!history.contains("s3cret-pw"));

    // Duplicates: the database name first, then the database user.
    assert_eq!(
        run(root, "v-add-database", &["alice", "wp", "other", "pw"]),
        (4, "Error: DB=alice_wp already exists".to_string())
    );
    assert_eq!(
        run(root, "v-add-database", &["alice", "wp2", "wpuser", "pw"]),
        (4, "Error: DBUSER=alice_wpuser already exists".to_string())
    );
}

#[test]
fn pgsql_names_are_lower_case_and_without_dashes() {
    let dir = tree(&[]);
    let root = dir.path();
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "Shop", "Owner", "1234ABCD", "pgsql", "", "latin1"]
        )
        .0,
        0
    );
    let list = databases(root);
    assert_eq!(list[0].value("DB"), "alice_shop");
    assert_eq!(list[0].value("DBUSER"), "alice_owner");
    assert_eq!(
        list[0].value("MD5"),
        hash::server_hash("pgsql", "alice_owner", "1234ABCD")
    );
    assert_eq!(list[0].value("TYPE"), "pgsql");
    assert_eq!(list[0].value("CHARSET"), "LATIN1");
    assert_eq!(host(root, "pgsql").value("U_DB_BASES"), "1");
    assert_eq!(host(root, "mysql").value("U_DB_BASES"), "0");
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "my-db", "u", "pw", "pgsql"]
        ),
        (2, "Error: invalid database format".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "db", "u-x", "pw", "pgsql"]
        ),
        (2, "Error: invalid database user format".to_string())
    );
    // The same names are fine for MySQL.
    assert_eq!(
        run(root, "v-add-database", &["alice", "my-db", "u-x", "pw"]).0,
        0
    );
}

#[test]
fn validation_order_and_messages() {
    let dir = tree(&[]);
    let root = dir.path();
    assert_eq!(
        run(root, "v-add-database", &["alice", "db", "user"]),
        (
            1,
            "Usage: v-add-database USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]".to_string()
        )
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "db", &"u".repeat(27), "pw"]
        ),
        (
            2,
            "Error: mysql username can be up to 32 characters long".to_string()
        )
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "db", &"u".repeat(26), "pw"]
        )
        .0,
        0
    );
    assert_eq!(
        run(root, "v-add-database", &["alice", "d;b", "u", "pw"]),
        (2, "Error: invalid database format :: alice_d;b".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", &"d".repeat(58), "u", "pw"]
        )
        .1,
        format!("Error: invalid database format :: alice_{}", "d".repeat(58))
    );
    assert_eq!(
        run(root, "v-add-database", &["alice", "db", "u s", "pw"]),
        (2, "Error: invalid dbuser format :: alice_u s".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "x1", "x1", "pw", "mysql", "", "bad*cs"]
        ),
        (2, "Error: invalid charset format :: BAD*CS".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "x1", "x1", "pw", "mongodb"]
        ),
        (2, "Error: mongodb type is invalid".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "x1", "x1", "pw", "mysql", "db9"]
        ),
        (3, "Error: mysql host db9 doesn't exist".to_string())
    );
    fs::write(root.join("conf/hestia.conf"), "DB_SYSTEM='mysql'\n").unwrap();
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "x1", "x1", "pw", "pgsql"]
        ),
        (2, "Error: pgsql type is invalid".to_string())
    );
    fs::write(root.join("conf/hestia.conf"), "DB_SYSTEM=''\n").unwrap();
    assert_eq!(
        run(root, "v-add-database", &["alice", "x1", "x1", "pw"]),
        (11, "Error: DB_SYSTEM is not enabled".to_string())
    );
    fs::write(
        root.join("conf/hestia.conf"),
        "DB_SYSTEM='mysql'\nDEMO_MODE='yes'\n",
    )
    .unwrap();
    assert_eq!(
        run(root, "v-add-database", &["alice", "x1", "x1", "pw"]),
        (
            1,
            "ERROR: Unable to perform operation due to security restrictions that are in place."
                .to_string()
        )
    );
    // Nothing of the refused calls was recorded.
    assert_eq!(databases(root).len(), 1);
}

#[test]
fn user_checks() {
    let dir = tree(&[("SUSPENDED", "yes")]);
    let root = dir.path();
    assert_eq!(
        run(root, "v-add-database", &["alice", "db", "u", "pw"]),
        (5, "Error: user alice is suspended".to_string())
    );
    fs::remove_file(root.join("user/user.conf")).unwrap();
    assert_eq!(
        run(root, "v-add-database", &["alice", "db", "u", "pw"]),
        (3, "Error: user alice doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-list-databases", &["alice"]),
        (3, "Error: user alice doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-add-database", &["-alice", "db", "u", "pw"]),
        (2, "Error: invalid user format :: -alice".to_string())
    );
}

#[test]
fn package_limit() {
    let dir = tree(&[("DATABASES", "1")]);
    let root = dir.path();
    assert_eq!(run(root, "v-add-database", &["alice", "a", "a", "pw"]).0, 0);
    assert_eq!(
        run(root, "v-add-database", &["alice", "b", "b", "pw"]),
        (
            8,
            "Error: DATABASES limit is reached :: upgrade user package".to_string()
        )
    );
}

#[test]
fn host_choice() {
    let parse = |text: &str| conf::parse_list(text).unwrap();
    // One host: taken while below MAX_DB.
    let one = parse("HOST='a' MAX_DB='2' U_DB_BASES='1' SUSPENDED='no'\n");
    assert_eq!(hosts::next_host(&one), "a");
    let full = parse("HOST='a' MAX_DB='2' U_DB_BASES='2' SUSPENDED='no'\n");
    assert_eq!(hosts::next_host(&full), hosts::EMPTY_DB_HOST);
    // Several: the least loaded, suspended ones and full ones never.
    let many = parse(
        "HOST='a' MAX_DB='10' U_DB_BASES='5' SUSPENDED='no'\n\
         HOST='b' MAX_DB='10' U_DB_BASES='1' SUSPENDED='no'\n\
         HOST='c' MAX_DB='10' U_DB_BASES='0' SUSPENDED='yes'\n\
         HOST='d' MAX_DB='4' U_DB_BASES='4' SUSPENDED='no'\n",
    );
    assert_eq!(hosts::next_host(&many), "b");
    assert_eq!(hosts::next_host(&[]), hosts::EMPTY_DB_HOST);
}

#[test]
fn missing_host_file_is_hestias_empty_host() {
    let dir = tree(&[]);
    let root = dir.path();
    fs::remove_file(root.join("conf/mysql.conf")).unwrap();
    assert_eq!(
        run(root, "v-add-database", &["alice", "db", "u", "pw"]),
        (
            3,
            "Error: mysql host EMPTY_DB_HOST doesn't exist".to_string()
        )
    );
    fs::write(
        root.join("conf/mysql.conf"),
        MYSQL_CONF.replace("SUSPENDED='no'", "SUSPENDED='yes'"),
    )
    .unwrap();
    assert_eq!(
        run(root, "v-add-database", &["alice", "db", "u", "pw"]).1,
        "Error: mysql host EMPTY_DB_HOST doesn't exist"
    );
    assert_eq!(
        run(
            root,
            "v-add-database",
            &["alice", "db", "u", "pw", "mysql", "localhost"]
        ),
        (5, "Error: mysql localhost is suspended".to_string())
    );
}

#[test]
fn delete_gives_back_counters() {
    let dir = tree(&[]);
    let root = dir.path();
    assert_eq!(run(root, "v-add-database", &["alice", "a", "a", "pw"]).0, 0);
    assert_eq!(run(root, "v-add-database", &["alice", "b", "b", "pw"]).0, 0);
    assert_eq!(run(root, "v-suspend-database", &["alice", "alice_b"]).0, 0);
    assert_eq!(value(root, "user/user.conf", "SUSPENDED_DB"), "1");
    assert_eq!(host(root, "mysql").value("U_DB_BASES"), "2");

    assert_eq!(
        run(root, "v-delete-database", &["alice", "a"]),
        (3, "Error: db db a doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-delete-database", &["alice", "alice_a"]),
        (0, String::new())
    );
    assert_eq!(host(root, "mysql").value("U_DB_BASES"), "1");
    // alice still has a database on the host.
    assert_eq!(host(root, "mysql").value("U_SYS_USERS"), "alice");
    assert_eq!(value(root, "user/user.conf", "U_DATABASES"), "1");
    assert_eq!(value(root, "user/user.conf", "SUSPENDED_DB"), "1");

    assert_eq!(run(root, "v-delete-database", &["alice", "alice_b"]).0, 0);
    assert_eq!(host(root, "mysql").value("U_DB_BASES"), "0");
    assert_eq!(host(root, "mysql").value("U_SYS_USERS"), "");
    assert_eq!(value(root, "user/user.conf", "U_DATABASES"), "0");
    assert_eq!(value(root, "user/user.conf", "SUSPENDED_DB"), "0");
    assert!(databases(root).is_empty());
    assert!(read(root, "user/history.log").contains("MESSAGE='Deleted database (Name: alice_b).'"));
    assert_eq!(
        run(root, "v-delete-database", &["alice", "alice_b"]),
        (3, "Error: db db alice_b doesn't exist".to_string())
    );
}

#[test]
fn suspend_and_unsuspend() {
    let dir = tree(&[]);
    let root = dir.path();
    assert_eq!(run(root, "v-add-database", &["alice", "a", "a", "pw"]).0, 0);
    assert_eq!(
        run(root, "v-unsuspend-database", &["alice", "alice_a"]),
        (6, "Error: db alice_a is not suspended".to_string())
    );
    assert_eq!(
        run(root, "v-suspend-database", &["alice", "alice_a"]),
        (0, String::new())
    );
    assert_eq!(databases(root)[0].value("SUSPENDED"), "yes");
    assert_eq!(
        run(root, "v-suspend-database", &["alice", "alice_a"]),
        (5, "Error: db alice_a is suspended".to_string())
    );
    assert_eq!(
        run(root, "v-suspend-database", &["alice", "alice_zz"]),
        (3, "Error: db db alice_zz doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-unsuspend-database", &["alice", "alice_a"]),
        (0, String::new())
    );
    assert_eq!(databases(root)[0].value("SUSPENDED"), "no");
    assert_eq!(value(root, "user/user.conf", "SUSPENDED_DB"), "0");
}

fn sample() -> Vec<Record> {
    conf::parse_list(
        "DB='alice_wp' DBUSER='alice_wp' MD5='*X' HOST='localhost' TYPE='mysql' CHARSET='UTF8MB4' U_DISK='0' SUSPENDED='no' TIME='10:23:00' DATE='2024-05-01'\n\
         DB='alice_shop' DBUSER='alice_owner' MD5='md5x' HOST='' TYPE='pgsql' CHARSET='UTF8' U_DISK='12' SUSPENDED='yes' TIME='11:00:00' DATE='2024-05-02'\n",
    )
    .unwrap()
}

#[test]
fn list_layouts() {
    let databases = sample();
    assert_eq!(
        list::render_list(&databases, Format::Json),
        "{\n    \"alice_wp\": {\n        \"DATABASE\": \"alice_wp\",\n        \"DBUSER\": \"alice_wp\",\n        \"HOST\": \"localhost\",\n        \"TYPE\": \"mysql\",\n        \"CHARSET\": \"UTF8MB4\",\n        \"U_DISK\": \"0\",\n        \"SUSPENDED\": \"no\",\n        \"TIME\": \"10:23:00\",\n        \"DATE\": \"2024-05-01\"\n    },\n    \"alice_shop\": {\n        \"DATABASE\": \"alice_shop\",\n        \"DBUSER\": \"alice_owner\",\n        \"HOST\": \"\",\n        \"TYPE\": \"pgsql\",\n        \"CHARSET\": \"UTF8\",\n        \"U_DISK\": \"12\",\n        \"SUSPENDED\": \"yes\",\n        \"TIME\": \"11:00:00\",\n        \"DATE\": \"2024-05-02\"\n    }\n}\n"
    );
    assert_eq!(list::render_list(&[], Format::Json), "{\n}\n");
    assert_eq!(
        list::render_list(&databases, Format::Plain),
        "alice_wp\talice_wp\tlocalhost\tmysql\tUTF8MB4\t0\tno\t10:23:00\t2024-05-01\n\
         alice_shop\talice_owner\t\tpgsql\tUTF8\t12\tyes\t11:00:00\t2024-05-02\n"
    );
    assert_eq!(
        list::render_list(&databases, Format::Csv),
        "DATABASE,DBUSER,HOST,TYPE,CHARSET,U_DISK,SUSPENDED,TIME,DATE\n\
         alice_wp,alice_wp,localhost,mysql,UTF8MB4,0,no,10:23:00,2024-05-01\n\
         alice_shop,alice_owner,,pgsql,UTF8,12,yes,11:00:00,2024-05-02\n"
    );
    // `column -t`: the empty HOST takes no column.
    assert_eq!(
        list::render_list(&databases, Format::Shell),
        "DATABASE    USER         HOST       TYPE   DISK  SPND        DATE\n\
         --------    ----         ----       ----   ----  ----        ----\n\
         alice_wp    alice_wp     localhost  mysql  0     no          2024-05-01\n\
         alice_shop  alice_owner  pgsql      12     yes   2024-05-02\n"
    );
    assert_eq!(
        list::render_one("alice_wp", &databases[0], Format::Shell),
        "DATABASE:       alice_wp\nDB USER:        alice_wp\nHOST:           localhost\nTYPE:           mysql\nCHARSET:        UTF8MB4\nDISK:           0\nSUSPENDED:      no\nTIME:           10:23:00\nDATE:           2024-05-01\n"
    );
    assert_eq!(
        list::render_one("alice_wp", &databases[0], Format::Csv),
        "DATABASE,DBUSER,HOST,TYPE,CHARSET,U_DISK,SUSPENDED,TIME,DATE\n\
         alice_wp,alice_wp,localhost,mysql,UTF8MB4,0,no,10:23:00,2024-05-01\n"
    );
}

#[test]
fn json_stays_valid_with_hostile_values() {
    let databases = conf::parse_list(
        "DB='alice_q\"x' DBUSER='a\\b' MD5='' HOST='h\tt' TYPE='mysql' CHARSET='}{' U_DISK='0' SUSPENDED='no' TIME='' DATE=''\n",
    )
    .unwrap();
    let text = list::render_list(&databases, Format::Json);
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["alice_q\"x"]["DBUSER"], "a\\b");
    assert_eq!(parsed["alice_q\"x"]["HOST"], "h\tt");
    let one: serde_json::Value =
        serde_json::from_str(&list::render_one("alice_q\"x", &databases[0], Format::Json)).unwrap();
    assert_eq!(one["alice_q\"x"]["CHARSET"], "}{");
}

#[test]
fn list_commands_through_dispatch() {
    let dir = tree(&[]);
    let root = dir.path();
    let text = conf::write_list(&sample()).unwrap();
    fs::write(root.join("user/db.conf"), text).unwrap();
    let (code, out) = run(root, "v-list-databases", &["alice", "json"]);
    assert_eq!(code, 0);
    assert_eq!(out, list::render_list(&sample(), Format::Json));
    assert_eq!(
        run(root, "v-list-databases", &["alice"]).1,
        list::render_list(&sample(), Format::Shell)
    );
    assert_eq!(
        run(root, "v-list-databases", &["alice", ""]),
        (0, String::new())
    );
    assert_eq!(
        run(root, "v-list-database", &["alice", "alice_shop", "plain"]),
        (
            0,
            "alice_shop\talice_owner\t\tpgsql\tUTF8\t12\tyes\t11:00:00\t2024-05-02\n".to_string()
        )
    );
    assert_eq!(
        run(root, "v-list-database", &["alice", "alice_none"]),
        (3, "Error: db db alice_none doesn't exist".to_string())
    );
}

#[test]
fn temp_user_checks() {
    let dir = tree(&[]);
    let root = dir.path();
    assert_eq!(
        run(root, "v-add-database-temp-user", &["alice"]),
        (
            1,
            "Usage: v-add-database-temp-user USER DATABASE [TYPE] [HOST]".to_string()
        )
    );
    assert_eq!(
        run(root, "v-add-database-temp-user", &["alice", "alice_none"]),
        (3, "Error: db db alice_none doesn't exist".to_string())
    );
    assert_eq!(run(root, "v-add-database", &["alice", "a", "a", "pw"]).0, 0);
    assert_eq!(
        run(
            root,
            "v-delete-database-temp-user",
            &["alice", "alice_a", "alice_a"]
        ),
        (2, "DBUSER is invalid SSO user".to_string())
    );
    assert_eq!(
        run(
            root,
            "v-delete-database-temp-user",
            &["alice", "alice_a", "hestia_sso_abcdefgh12345678"]
        ),
        (0, String::new())
    );
    assert!(read(root, "user/history.log").contains(
        "CATEGORY='Database' MESSAGE='Revoked user access (Database: alice_a, User: hestia_sso_abcdefgh12345678).'"
    ));
    assert_eq!(run(root, "v-suspend-database", &["alice", "alice_a"]).0, 0);
    assert_eq!(
        run(root, "v-add-database-temp-user", &["alice", "alice_a"]),
        (5, "Error: db alice_a is suspended".to_string())
    );
}
