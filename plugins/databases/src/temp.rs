//! phpMyAdmin single sign-on: `v-add-database-temp-user` and `v-delete-database-temp-user`.
//!
//! Hestia creates a MySQL user `hestia_sso_<16 random>` with a random password, granted on one
//! database, prints both as JSON for `hestia-sso.php`, and schedules its removal with `at`
//! after TTL minutes. No data file records the temporary user; only the history does.

use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, fs, hosting, render, secrets};

use crate::common;

/// The prefix of every temporary user's name.
const SSO_PREFIX: &str = "hestia_sso_";

/// Hestia's `generate_password`: 16 characters of `[A-Za-z0-9]`.
fn generate_password() -> String {
    secrets::random_token(16, secrets::ALNUM)
}

/// The checks both commands share, after their format checks: `DB_SYSTEM`, the user
/// (existing, unsuspended) and the database (existing, unsuspended). Returns the settings.
fn check_database(
    call: &Call,
    user: &str,
    database: &str,
) -> Result<hearth_sdk::conf::Record, CmdError> {
    let settings = common::db_settings(call)?;
    hosting::active_user(call, user)?;
    let databases = fs::read_list(&common::db_conf(call))?;
    let index = common::find_database(&databases, database)?;
    common::unsuspended(&databases[index], database)?;
    Ok(settings)
}

/// `v-add-database-temp-user USER DATABASE [TYPE] [HOST] [TTL]`: prints
/// `{"login": {"user": ..., "password": ...}}` in Hestia's layout.
pub fn add_temp_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let database = call.arg(2);
    common::user_format(user)?;
    common::database_format(database)?;
    let settings = check_database(call, user, database)?;
    hosting::check_demo_mode(&settings)?;

    let dbpass = generate_password();
    let dbuser = format!("{SSO_PREFIX}{}", generate_password());
    common::history(
        call,
        "Databases",
        &format!("Granted user {dbuser} access to database {database}."),
    )?;
    Ok(format!(
        "{{\n    \"login\": {{\n        \"user\": {},\n        \"password\": {}\n    }}\n}}\n",
        render::json_string(&dbuser),
        render::json_string(&dbpass)
    ))
}

/// `v-delete-database-temp-user USER DATABASE DBUSER [TYPE] [HOST]`: DBUSER must be an SSO
/// user (`DBUSER is invalid SSO user`, 2, printed without `Error:`). Silent on success.
pub fn delete_temp_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let database = call.arg(2);
    let dbuser = call.arg(3);
    common::user_format(user)?;
    if !dbuser.is_empty() {
        common::dbuser_format(dbuser)?;
    }
    let settings = check_database(call, user, database)?;
    if !dbuser.contains("hestia_sso") {
        return Err(CmdError::raw(
            ReturnCode::Invalid,
            "DBUSER is invalid SSO user",
        ));
    }
    hosting::check_demo_mode(&settings)?;

    common::history(
        call,
        "Database",
        &format!("Revoked user access (Database: {database}, User: {dbuser})."),
    )?;
    Ok(String::new())
}
