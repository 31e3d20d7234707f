//! What hangs off one mail account: aliases, forwards, the forward-only flag and the
//! autoreply message.

use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, validate};

use crate::account::Names;
use crate::common::{self, State, Target};
use crate::exim;

/// `ALIAS` or `FWD` with `item` appended.
fn appended(list: &str, item: &str) -> String {
    if list.is_empty() {
        item.to_string()
    } else {
        format!("{list},{item}")
    }
}

/// `ALIAS` or `FWD` without `item`.
fn without(list: &str, item: &str) -> String {
    common::items(list)
        .filter(|entry| *entry != item)
        .collect::<Vec<_>>()
        .join(",")
}

/// Opens the account the way the add/change commands do: user, domain and account must all
/// be active.
fn open_active(call: &Call, names: &Names) -> Result<(Target, usize), CmdError> {
    let target = Target::open(call, &names.user, &names.domain, true, State::Active)?;
    let index = target.account(&names.account, State::Active)?;
    Ok((target, index))
}

/// Opens the account the way the delete commands do: it only has to exist.
fn open_any(call: &Call, names: &Names) -> Result<(Target, usize), CmdError> {
    let target = Target::open(call, &names.user, &names.domain, false, State::Any)?;
    let index = target.account(&names.account, State::Any)?;
    Ok((target, index))
}

/// `v-add-mail-account-alias USER DOMAIN ACCOUNT ALIAS`.
pub fn add_alias(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let alias = call.arg(4);
    // Hestia skips an empty ALIAS here and then stores a stray comma; hearth refuses it.
    crate::validate::localpart("malias", alias)?;
    let (mut target, index) = open_active(call, &names)?;
    common::is_mail_new(&target.accounts, alias)?;
    let aliases = appended(target.accounts[index].value("ALIAS"), alias);
    target.accounts[index].set("ALIAS", aliases);
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!("Added alias {alias} to mail account {}.", names.address()),
    )?;
    Ok(String::new())
}

/// `v-delete-mail-account-alias USER DOMAIN ACCOUNT ALIAS`.
pub fn delete_alias(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let alias = call.arg(4);
    common::localpart_format("malias", alias)?;
    let (mut target, index) = open_any(call, &names)?;
    let aliases = target.accounts[index].value("ALIAS").to_string();
    if alias.is_empty() || !common::items(&aliases).any(|entry| entry == alias) {
        return Err(CmdError::new(
            ReturnCode::NotExist,
            format!("alias {alias} doesn't exist"),
        ));
    }
    target.accounts[index].set("ALIAS", without(&aliases, alias));
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Mail account alias removed (Alias: {alias}, User: {}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-add-mail-account-forward USER DOMAIN ACCOUNT FORWARD` (an address, or `:blackhole:`).
pub fn add_forward(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let forward = call.arg(4);
    // An empty FORWARD fails the address check (Hestia skips it and stores a stray comma).
    if forward != ":blackhole:" {
        validate::email(forward)?;
    }
    let (mut target, index) = open_active(call, &names)?;
    let forwards = target.accounts[index].value("FWD").to_string();
    if common::items(&forwards).any(|entry| entry == forward) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("forward {forward} exists"),
        ));
    }
    target.accounts[index].set("FWD", appended(&forwards, forward));
    target.save(call)?;
    common::history(
        call,
        "Warning",
        &format!(
            "Mail forwarding on mail account {} enabled (send to: {forward}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-delete-mail-account-forward USER DOMAIN ACCOUNT FORWARD`.
pub fn delete_forward(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let forward = call.arg(4);
    let (mut target, index) = open_any(call, &names)?;
    let forwards = target.accounts[index].value("FWD").to_string();
    if forward.is_empty() || !common::items(&forwards).any(|entry| entry == forward) {
        return Err(CmdError::new(
            ReturnCode::NotExist,
            format!("forward {forward} doesn't exist"),
        ));
    }
    target.accounts[index].set("FWD", without(&forwards, forward));
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Mail account forwarding address removed (User: {}, Send To: {forward}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-add-mail-account-fwd-only USER DOMAIN ACCOUNT`: needs a forward.
pub fn add_fwd_only(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let (mut target, index) = open_active(call, &names)?;
    if target.accounts[index].value("FWD").is_empty() {
        return Err(CmdError::new(ReturnCode::NotExist, "forward doesn't exist"));
    }
    let mut record = common::ensure_key_before(&target.accounts[index], "FWD_ONLY", "MD5");
    record.set("FWD_ONLY", "yes");
    target.accounts[index] = record;
    target.save(call)?;
    common::history(
        call,
        "Warning",
        &format!(
            "Forward-only flag enabled on mail account {}.",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-delete-mail-account-fwd-only USER DOMAIN ACCOUNT`.
pub fn delete_fwd_only(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let (mut target, index) = open_any(call, &names)?;
    let mut record = common::ensure_key_before(&target.accounts[index], "FWD_ONLY", "MD5");
    record.set("FWD_ONLY", "");
    target.accounts[index] = record;
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Mail account forwarding disabled (User: {}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-add-mail-account-autoreply USER DOMAIN ACCOUNT MESSAGE`: the message is stored as
/// Hestia's `echo -e` writes it (escapes interpreted, one line break added).
pub fn add_autoreply(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let message = call.arg(4);
    if !message.is_empty() {
        crate::validate::autoreply(message)?;
    }
    let (mut target, index) = open_active(call, &names)?;
    hearth_sdk::fs::write_atomic(
        &common::message_path(call, &names.domain, &names.account),
        common::echo_e(message).as_bytes(),
    )?;
    target.accounts[index].set("AUTOREPLY", "yes");
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Added auto-reply message for mail account {}.",
            names.address()
        ),
    )?;
    Ok(String::new())
}

/// `v-delete-mail-account-autoreply USER DOMAIN ACCOUNT`: `Error: AUTOREPLY=no doesn't
/// exist` (3) when there is none.
pub fn delete_autoreply(call: &Call) -> CmdResult {
    let names = Names::parse(call, call.arg(3).to_string())?;
    let (mut target, index) = open_any(call, &names)?;
    let autoreply = target.accounts[index].value("AUTOREPLY");
    if autoreply.is_empty() || autoreply == "no" {
        return Err(CmdError::new(
            ReturnCode::NotExist,
            format!("AUTOREPLY={autoreply} doesn't exist"),
        ));
    }
    // Hestia removes `mail/<DOMAIN>/<ACCOUNT>@<DOMAIN>.msg`, a path it never writes, so the
    // message outlives its deletion there; hearth removes the file it wrote.
    exim::remove_file(&common::message_path(call, &names.domain, &names.account))?;
    target.accounts[index].set("AUTOREPLY", "no");
    target.save(call)?;
    common::history(
        call,
        "Info",
        &format!(
            "Mail account auto-reply removed (User: {}).",
            names.address()
        ),
    )?;
    Ok(String::new())
}
