//! `v-check-user-password` and `v-change-user-password`: the `MD5` (argon2id) and `RKEY` keys.
//!
//! Hestia's `/tmp/<file>` convention (a PASSWORD starting with `/tmp/` names a file holding
//! the password) is not applied here: the PASSWORD argument is marked secret in the manifest
//! and taken literally; resolving such files is left to the host.

use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, auth_log, secrets, validate};

use crate::common;

/// `Error: password missmatch` (9), Hestia's spelling.
fn mismatch() -> CmdError {
    CmdError::new(ReturnCode::Password, "password missmatch")
}

/// `v-check-user-password USER PASSWORD [IP] [RETURN_HASH]`.
///
/// Success is silent, or prints the stored hash when RETURN_HASH is any non-empty value.
/// The attempt goes to the auth log (fail2ban) as in Hestia: failures before the hash
/// comparison always, the comparison's result only when RETURN_HASH is empty.
pub fn check_user_password(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let password = call.arg(2);
    // `ip46=${3-127.0.0.1}`: only an absent argument means localhost.
    let ip = call.arg_opt(3).unwrap_or("127.0.0.1");
    let return_hash = !call.arg(4).is_empty();
    common::user_format(user)?;
    if !ip.is_empty() {
        validate::ip46(ip)?;
    }

    let fail_always = || {
        auth_log::login(user, ip, false);
        mismatch()
    };
    let dir = common::granted_user_dir(call);
    if !common::user_exists(&dir) || password.is_empty() {
        return Err(fail_always());
    }
    let Ok(record) = hearth_sdk::fs::read_source(&dir.join("user.conf")) else {
        return Err(fail_always());
    };
    let stored = record.value("MD5");
    if stored.is_empty() {
        return Err(fail_always());
    }
    if !secrets::verify_password(stored, password) {
        if !return_hash {
            auth_log::login(user, ip, false);
        }
        return Err(mismatch());
    }
    if return_hash {
        Ok(format!("{stored}\n"))
    } else {
        auth_log::login(user, ip, true);
        Ok(String::new())
    }
}

/// `v-change-user-password USER [PASSWORD]`: a new `MD5` and a new 16-character `RKEY`.
pub fn change_user_password(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let password = call.arg(2);
    common::user_format(user)?;
    let dir = common::granted_user_dir(call);
    let mut record = common::load_user(&dir, user)?;
    if common::is_suspended(&record) {
        return Err(common::suspended(user));
    }
    // Hestia reads an empty PASSWORD from stdin and leaves the verdict to PAM; the API has no
    // stdin, so hearth refuses it with PAM's message.
    if password.is_empty() {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            "Password not accepted due to PAM restrictions",
        ));
    }
    let md5 = secrets::hash_password(password);
    let rkey = secrets::random_token(16, secrets::ALNUM);
    record.set("RKEY", rkey);
    record.set("MD5", md5);
    hearth_sdk::fs::write_source(&dir.join("user.conf"), &record)?;
    common::log_history(
        &dir.join("history.log"),
        "Warning",
        "Security",
        "Password changed.",
    )?;
    Ok(String::new())
}
