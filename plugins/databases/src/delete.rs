//! `v-delete-database USER DATABASE`: removes the `db.conf` line and gives back the host,
//! user and suspension counters.

use hearth_sdk::{Call, CmdResult, fs, hosting};

use crate::{common, hosts};

/// `v-delete-database` (DATABASE is the full name, e.g. `alice_wp`). Silent on success.
pub fn delete_database(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let database = call.arg(2);
    common::user_format(user)?;
    common::database_format(database)?;
    let settings = common::db_settings(call)?;
    common::existing_user(call, user)?;
    let db_conf = common::db_conf(call);
    let mut databases = fs::read_list(&db_conf)?;
    let index = common::find_database(&databases, database)?;
    hosting::check_demo_mode(&settings)?;

    let record = databases.remove(index);
    fs::write_list(&db_conf, &databases)?;
    let host = record.value("HOST");
    let db_type = record.value("TYPE");
    let keeps = databases
        .iter()
        .any(|other| other.value("HOST") == host && other.value("TYPE") == db_type);
    hosts::update(call, db_type, host, |entry| {
        hosts::decrease(entry, user, keeps)
    })?;
    let user_conf = call.user_path("user.conf");
    hosting::bump_counter(&user_conf, "U_DATABASES", -1)?;
    if record.value("SUSPENDED") == "yes" {
        hosting::bump_counter(&user_conf, "SUSPENDED_DB", -1)?;
    }
    common::history(
        call,
        "Database",
        &format!("Deleted database (Name: {database})."),
    )?;
    Ok(String::new())
}
