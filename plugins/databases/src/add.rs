//! `v-add-database USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]`: the `db.conf` line,
//! the host and user counters, and a history entry.

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, fs, hosting, render, validate};

use crate::{common, hash, hosts};

/// `charset=${7-UTF8MB4}`.
const DEFAULT_CHARSET: &str = "UTF8MB4";

/// `v-add-database`. The names become `USER_DATABASE` and `USER_DBUSER` (lower-cased for
/// pgsql); the checks run in Hestia's order. Silent on success.
pub fn add_database(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let db_type = call.arg_opt(5).unwrap_or("mysql");
    let mut database = format!("{user}_{}", call.arg(2));
    let mut dbuser = format!("{user}_{}", call.arg(3));
    if db_type == "pgsql" {
        database.make_ascii_lowercase();
        dbuser.make_ascii_lowercase();
    }
    let password = call.arg(4);
    let host_arg = call.arg(6);
    let charset = call.arg_opt(7).unwrap_or(DEFAULT_CHARSET).to_uppercase();

    common::user_format(user)?;
    common::database_format(&database)?;
    common::dbuser_format(&dbuser)?;
    if !charset.is_empty() {
        validate::object("charset", &charset)?;
    }
    if db_type == "pgsql" {
        // PostgreSQL takes the names unquoted, where `-` is not allowed.
        if dbuser.contains('-') {
            return Err(CmdError::new(
                ReturnCode::Invalid,
                "invalid database user format",
            ));
        }
        if database.contains('-') {
            return Err(CmdError::new(
                ReturnCode::Invalid,
                "invalid database format",
            ));
        }
    }
    let settings = common::db_settings(call)?;
    common::db_type(&settings, db_type)?;
    let user_record = hosting::active_user(call, user)?;
    let db_conf = common::db_conf(call);
    let databases = fs::read_list(&db_conf)?;
    if databases
        .iter()
        .any(|record| record.value("DB") == database)
    {
        return Err(exists("DB", &database));
    }
    if databases
        .iter()
        .any(|record| record.value("DBUSER") == dbuser)
    {
        return Err(exists("DBUSER", &dbuser));
    }
    let host_list = fs::read_list(&hosts::conf_path(call, db_type))?;
    let host = if host_arg.is_empty() || host_arg == "default" {
        hosts::next_host(&host_list)
    } else {
        host_arg.to_string()
    };
    hosts::check_host(db_type, &host_list, &host)?;
    hosting::package_allows(&user_record, "DATABASES", Some(databases.len() as u64))?;
    hosting::check_demo_mode(&settings)?;

    let (date, time) = render::now_date_time();
    let line = Record::from_pairs([
        ("DB", database.as_str()),
        ("DBUSER", dbuser.as_str()),
        (
            "MD5",
            hash::server_hash(db_type, &dbuser, password).as_str(),
        ),
        ("HOST", host.as_str()),
        ("TYPE", db_type),
        ("CHARSET", charset.as_str()),
        ("U_DISK", "0"),
        ("SUSPENDED", "no"),
        ("TIME", time.as_str()),
        ("DATE", date.as_str()),
    ]);
    fs::append_line(&db_conf, &line.to_line()?)?;
    hosts::update(call, db_type, &host, |record| hosts::increase(record, user))?;
    hosting::bump_counter(&call.user_path("user.conf"), "U_DATABASES", 1)?;
    common::history(
        call,
        "Databases",
        &format!("Added new database {database} ({db_type})."),
    )?;
    Ok(String::new())
}

/// `is_object_new`: `Error: KEY=value already exists` (4).
fn exists(key: &str, value: &str) -> CmdError {
    CmdError::new(ReturnCode::Exists, format!("{key}={value} already exists"))
}
