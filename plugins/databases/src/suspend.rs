//! `v-suspend-database` and `v-unsuspend-database`: the database's `SUSPENDED` flag and the
//! user's `SUSPENDED_DB` counter.
//!
//! Hestia logs these two to its system activity log, not to the user's history; hearth's
//! plugins have no system log, so nothing is logged besides the host's audit record.

use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, fs, hosting};

use crate::common;

/// `v-suspend-database USER DATABASE`. Silent on success.
pub fn suspend_database(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let database = call.arg(2);
    common::user_format(user)?;
    common::database_format(database)?;
    let settings = common::db_settings(call)?;
    hosting::active_user(call, user)?;
    let db_conf = common::db_conf(call);
    let mut databases = fs::read_list(&db_conf)?;
    let index = common::find_database(&databases, database)?;
    common::unsuspended(&databases[index], database)?;
    hosting::check_demo_mode(&settings)?;

    databases[index].set("SUSPENDED", "yes");
    fs::write_list(&db_conf, &databases)?;
    hosting::bump_counter(&call.user_path("user.conf"), "SUSPENDED_DB", 1)?;
    Ok(String::new())
}

/// `v-unsuspend-database USER DATABASE`: a database that is not suspended is
/// `Error: db X is not suspended` (6). Silent on success.
pub fn unsuspend_database(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let database = call.arg(2);
    common::user_format(user)?;
    common::database_format(database)?;
    let settings = common::db_settings(call)?;
    common::existing_user(call, user)?;
    let db_conf = common::db_conf(call);
    let mut databases = fs::read_list(&db_conf)?;
    let index = common::find_database(&databases, database)?;
    if databases[index].value("SUSPENDED") != "yes" {
        return Err(CmdError::new(
            ReturnCode::Unsuspended,
            format!("db {database} is not suspended"),
        ));
    }
    hosting::check_demo_mode(&settings)?;

    databases[index].set("SUSPENDED", "no");
    fs::write_list(&db_conf, &databases)?;
    hosting::bump_counter(&call.user_path("user.conf"), "SUSPENDED_DB", -1)?;
    Ok(String::new())
}
