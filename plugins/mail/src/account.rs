//! Mail accounts: `v-add-mail-account`, `v-delete-mail-account`, password, quota, and
//! (un)suspending one account or all of a domain's.
//!
//! Hestia logs the (un)suspensions to the system's `activity.log`, which a user-scoped
//! sandbox cannot reach; they leave no history entry here.

use hearth_sdk::{Call, CmdResult, hosting, secrets, validate};

use crate::common::{self, State, Target};
use crate::exim;

/// The arguments every account command starts with: USER, DOMAIN (Hestia's `format_domain`)
/// and ACCOUNT, checked by `is_format_valid 'user' 'domain' 'account'`.
pub struct Names {
    pub user: String,
    pub domain: String,
    pub account: String,
}

impl Names {
    pub fn parse(call: &Call, account: String) -> Result<Self, hearth_sdk::CmdError> {
        let names = Self {
            user: call.arg(1).to_string(),
            domain: hosting::format_domain(call.arg(2)),
            account,
        };
        validate::user(&names.user)?;
        hosting::domain_format(&names.domain)?;
        common::localpart_format("account", &names.account)?;
        Ok(names)
    }

    /// `ACCOUNT@DOMAIN`, as the history names it.
    pub fn address(&self) -> String {
        format!("{}@{}", self.account, self.domain)
    }
}

/// The stored form of a password: dovecot's `{ARGON2ID}` scheme prefix and the host's
/// argon2id PHC string, so the `passwd` line carries it as is.
pub fn password_hash(password: &str) -> String {
    format!("{{ARGON2ID}}{}", secrets::hash_password(password))
}

/// A QUOTA argument as stored: `unlimited`, or the number. Hestia's `[[ $quota -eq 0 ]]`
/// turns an empty or zero quota into `unlimited`.
pub fn stored_quota(quota: &str) -> String {
    if quota == "unlimited" || quota.trim_start_matches('0').is_empty() {
        "unlimited".to_string()
    } else {
        quota.to_string()
    }
}

/// `is_format_valid 'quota'`, unless the quota is `unlimited` (or empty, which Hestia's
/// validator skips).
fn quota_format(quota: &str) -> Result<(), hearth_sdk::CmdError> {
    if quota == "unlimited" || quota.is_empty() {
        Ok(())
    } else {
        crate::validate::quota(quota)
    }
}

/// `v-add-mail-account USER DOMAIN ACCOUNT PASSWORD [QUOTA]`.
pub fn add_mail_account(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_ascii_lowercase())?;
    let password = call.arg(4);
    let quota = call.arg_opt(5).unwrap_or("unlimited");
    quota_format(quota)?;
    let mut target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    hosting::package_allows(
        &target.user_record,
        "MAIL_ACCOUNTS",
        Some(target.accounts.len() as u64),
    )?;
    common::is_mail_new(&target.accounts, &names.account)?;

    let hash = password_hash(password);
    target.accounts.push(common::new_account(
        &names.account,
        &hash,
        &stored_quota(quota),
    ));
    target.save(call)?;
    target.save_count(call)?;
    let idn = hosting::registry_name(&names.domain);
    exim::make_dir(&exim::mail_dir(call, &names.user, &idn).join(&names.account))?;
    hosting::bump_counter(&call.user_path("user.conf"), "U_MAIL_ACCOUNTS", 1)?;
    common::history(
        call,
        "Info",
        &format!("Added new mail account ({}).", names.address()),
    )?;
    Ok(String::new())
}

/// `v-delete-mail-account USER DOMAIN ACCOUNT`: the record, its autoreply message, its
/// rendered lines and its maildir.
pub fn delete_mail_account(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let mut target = Target::open(call, &names.user, &names.domain, false, State::Any)?;
    let index = target.account(&names.account, State::Any)?;
    target.accounts.remove(index);
    exim::remove_file(&common::message_path(call, &names.domain, &names.account))?;
    target.save(call)?;
    target.save_count(call)?;
    let idn = hosting::registry_name(&names.domain);
    exim::remove_tree(&exim::mail_dir(call, &names.user, &idn).join(&names.account))?;
    hosting::bump_counter(&call.user_path("user.conf"), "U_MAIL_ACCOUNTS", -1)?;
    common::history(
        call,
        "Info",
        &format!("Mail account removed (User: {}).", names.address()),
    )?;
    Ok(String::new())
}

/// `v-change-mail-account-password USER DOMAIN ACCOUNT PASSWORD`.
pub fn change_mail_account_password(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let password = call.arg(4);
    let mut target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    let index = target.account(&names.account, State::Active)?;
    target.accounts[index].set("MD5", password_hash(password));
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Mail account password changed (Account: {}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-change-mail-account-quota USER DOMAIN ACCOUNT QUOTA` (megabytes or `unlimited`).
pub fn change_mail_account_quota(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let quota = call.arg(4);
    quota_format(quota)?;
    let mut target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    let index = target.account(&names.account, State::Active)?;
    let quota = stored_quota(quota);
    target.accounts[index].set("QUOTA", quota.as_str());
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Mail account quota changed (Quota: {quota}, Account: {}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-suspend-mail-account USER DOMAIN ACCOUNT`: dovecot sees `SUSPENDED` instead of the
/// hash.
pub fn suspend_mail_account(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let mut target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    let index = target.account(&names.account, State::Active)?;
    target.accounts[index].set("SUSPENDED", "yes");
    target.save(call)?;
    Ok(String::new())
}

/// `v-unsuspend-mail-account USER DOMAIN ACCOUNT`.
pub fn unsuspend_mail_account(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let mut target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    let index = target.account(&names.account, State::Suspended)?;
    target.accounts[index].set("SUSPENDED", "no");
    target.save(call)?;
    Ok(String::new())
}

/// `v-suspend-mail-accounts` / `v-unsuspend-mail-accounts USER DOMAIN`: every account in the
/// other state (Hestia runs the single command for each).
fn set_all(call: &Call, suspend: bool) -> CmdResult {
    let names = Names::parse(call, String::new())?;
    let mut target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    let (from, to) = if suspend {
        ("no", "yes")
    } else {
        ("yes", "no")
    };
    let mut changed = false;
    for account in &mut target.accounts {
        if account.value("SUSPENDED") == from {
            account.set("SUSPENDED", to);
            changed = true;
        }
    }
    if changed {
        target.save(call)?;
    }
    Ok(String::new())
}

/// `v-suspend-mail-accounts USER DOMAIN`.
pub fn suspend_mail_accounts(call: &Call) -> CmdResult {
    set_all(call, true)
}

/// `v-unsuspend-mail-accounts USER DOMAIN`.
pub fn unsuspend_mail_accounts(call: &Call) -> CmdResult {
    set_all(call, false)
}
