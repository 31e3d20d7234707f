//! `v-suspend-user` and `v-unsuspend-user`: the user's `SUSPENDED` flag and the root user's
//! `SUSPENDED_USERS` counter.

use hearth_sdk::{Call, CmdResult, validate};

use crate::common;

/// `v-suspend-user USER [RESTART]`.
pub fn suspend_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    common::user_format(user)?;
    validate::restart(call.arg(2))?;
    let dir = common::system_user_dir(call, user);
    let mut record = common::load_user(&dir, user)?;
    if common::is_suspended(&record) {
        return Err(common::suspended(user));
    }
    if user == call.root_user() {
        return Ok(String::new());
    }
    record.set("SUSPENDED", "yes");
    hearth_sdk::fs::write_source(&dir.join("user.conf"), &record)?;
    let root_conf = common::system_user_dir(call, call.root_user()).join("user.conf");
    common::bump_counter(&root_conf, "SUSPENDED_USERS", true)?;
    Ok(String::new())
}

/// `v-unsuspend-user USER [RESTART]`. Unsuspending a user that is not suspended succeeds,
/// as in Hestia; unlike Hestia, the root user's `SUSPENDED_USERS` only goes down when the user
/// really was suspended.
pub fn unsuspend_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    common::user_format(user)?;
    validate::restart(call.arg(2))?;
    let dir = common::system_user_dir(call, user);
    let mut record = common::load_user(&dir, user)?;
    if user == call.root_user() {
        return Ok(String::new());
    }
    let was_suspended = common::is_suspended(&record);
    if record.get("SUSPENDED").is_some_and(|value| value != "no") {
        record.set("SUSPENDED", "no");
        hearth_sdk::fs::write_source(&dir.join("user.conf"), &record)?;
    }
    if was_suspended {
        let root_conf = common::system_user_dir(call, call.root_user()).join("user.conf");
        common::bump_counter(&root_conf, "SUSPENDED_USERS", false)?;
    }
    Ok(String::new())
}
