//! What the mail commands share: Hestia's object checks and messages for users, mail domains
//! and accounts, the `mail.conf` / `mail/<DOMAIN>.conf` records, and history entries.

use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, hosting, render};

/// `Error: mail domain X doesn't exist` (3), `is_object_valid 'mail' 'DOMAIN'`.
pub fn no_domain(domain: &str) -> CmdError {
    CmdError::not_exist("mail domain", domain)
}

/// `Error: <DOMAIN> account <ACCOUNT> doesn't exist` (3): Hestia names the object by the
/// basename of `mail/<DOMAIN>`.
pub fn no_account(domain: &str, account: &str) -> CmdError {
    CmdError::not_exist(&format!("{domain} account"), account)
}

/// `Error: <basename> <name> is suspended` (5).
fn suspended(object: &str, name: &str) -> CmdError {
    CmdError::new(
        ReturnCode::Suspended,
        format!("{object} {name} is suspended"),
    )
}

/// `Error: <basename> <name> is not suspended` (6).
fn not_suspended(object: &str, name: &str) -> CmdError {
    CmdError::new(
        ReturnCode::Unsuspended,
        format!("{object} {name} is not suspended"),
    )
}

/// What a command requires of an object's `SUSPENDED` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// `is_object_valid` only.
    Any,
    /// `is_object_unsuspended` too.
    Active,
    /// `is_object_suspended` too.
    Suspended,
}

fn is_suspended(record: &Record) -> bool {
    record.value("SUSPENDED") == "yes"
}

/// `is_format_valid 'account'` (or `'malias'`): skipped when empty.
pub fn localpart_format(kind: &str, value: &str) -> Result<(), CmdError> {
    if value.is_empty() {
        Ok(())
    } else {
        crate::validate::localpart(kind, value)
    }
}

/// `conf/hestia.conf`.
pub fn settings(call: &Call) -> Result<Record, CmdError> {
    hosting::settings(call)
}

/// The user's record: `is_object_valid 'user'`, and with `active` `is_object_unsuspended`.
pub fn user_record(call: &Call, user: &str, active: bool) -> Result<Record, CmdError> {
    let record = hosting::load_user(&call.user_path(""), user)?;
    if active && is_suspended(&record) {
        return Err(suspended("user", user));
    }
    Ok(record)
}

/// `data/users/<USER>/mail.conf`.
pub fn domains_path(call: &Call) -> PathBuf {
    call.user_path("mail.conf")
}

/// `data/users/<USER>/mail/<DOMAIN>.conf`.
pub fn accounts_path(call: &Call, domain: &str) -> PathBuf {
    call.user_path(&format!("mail/{domain}.conf"))
}

/// `data/users/<USER>/mail/<ACCOUNT>@<DOMAIN>.msg`, the autoreply message.
pub fn message_path(call: &Call, domain: &str, account: &str) -> PathBuf {
    call.user_path(&format!("mail/{account}@{domain}.msg"))
}

/// The user's mail domains.
pub fn load_domains(call: &Call) -> Result<Vec<Record>, CmdError> {
    hearth_sdk::fs::read_list(&domains_path(call))
}

/// The accounts of one mail domain.
pub fn load_accounts(call: &Call, domain: &str) -> Result<Vec<Record>, CmdError> {
    hearth_sdk::fs::read_list(&accounts_path(call, domain))
}

/// The position of `DOMAIN='domain'` in `mail.conf`, checked against `state`.
pub fn find_domain(records: &[Record], domain: &str, state: State) -> Result<usize, CmdError> {
    let index = records
        .iter()
        .position(|record| record.value("DOMAIN") == domain)
        .ok_or_else(|| no_domain(domain))?;
    match state {
        State::Active if is_suspended(&records[index]) => Err(suspended("mail", domain)),
        State::Suspended if !is_suspended(&records[index]) => Err(not_suspended("mail", domain)),
        _ => Ok(index),
    }
}

/// The position of `ACCOUNT='account'` in `mail/<DOMAIN>.conf`, checked against `state`.
pub fn find_account(
    accounts: &[Record],
    domain: &str,
    account: &str,
    state: State,
) -> Result<usize, CmdError> {
    let index = accounts
        .iter()
        .position(|record| record.value("ACCOUNT") == account)
        .ok_or_else(|| no_account(domain, account))?;
    match state {
        State::Active if is_suspended(&accounts[index]) => Err(suspended(domain, account)),
        State::Suspended if !is_suspended(&accounts[index]) => Err(not_suspended(domain, account)),
        _ => Ok(index),
    }
}

/// The comma-separated items of a list value (`ALIAS`, `FWD`).
pub fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').filter(|item| !item.is_empty())
}

/// Hestia's `is_mail_new NAME`: no account of that name and no account with that alias.
pub fn is_mail_new(accounts: &[Record], name: &str) -> Result<(), CmdError> {
    if accounts
        .iter()
        .any(|record| record.value("ACCOUNT") == name)
    {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("mail account {name} already exists"),
        ));
    }
    if accounts
        .iter()
        .any(|record| items(record.value("ALIAS")).any(|alias| alias == name))
    {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("mail alias {name} already exists"),
        ));
    }
    Ok(())
}

/// One mail domain of a user, opened by an account command after Hestia's checks: the
/// settings, the user's record, `mail.conf` and the domain's accounts.
pub struct Target {
    pub user: String,
    pub domain: String,
    pub settings: Record,
    pub user_record: Record,
    pub domains: Vec<Record>,
    pub index: usize,
    pub accounts: Vec<Record>,
}

impl Target {
    /// `is_system_enabled MAIL_SYSTEM`, `is_object_valid 'user'` (and, with `user_active`,
    /// `is_object_unsuspended 'user'`), then the mail domain against `domain_state`.
    pub fn open(
        call: &Call,
        user: &str,
        domain: &str,
        user_active: bool,
        domain_state: State,
    ) -> Result<Self, CmdError> {
        let settings = settings(call)?;
        hosting::system_enabled(&settings, "MAIL_SYSTEM")?;
        let user_record = user_record(call, user, user_active)?;
        let domains = load_domains(call)?;
        let index = find_domain(&domains, domain, domain_state)?;
        let accounts = load_accounts(call, domain)?;
        Ok(Self {
            user: user.to_string(),
            domain: domain.to_string(),
            settings,
            user_record,
            domains,
            index,
            accounts,
        })
    }

    /// The domain's `mail.conf` record.
    pub fn record(&self) -> &Record {
        &self.domains[self.index]
    }

    /// `is_object_valid "mail/$domain" 'ACCOUNT'` and the `state` check.
    pub fn account(&self, account: &str, state: State) -> Result<usize, CmdError> {
        find_account(&self.accounts, &self.domain, account, state)
    }

    /// Writes the accounts and renders the domain's account files.
    pub fn save(&self, call: &Call) -> Result<(), CmdError> {
        hearth_sdk::fs::write_list(&accounts_path(call, &self.domain), &self.accounts)?;
        crate::exim::render_accounts(
            call,
            &self.settings,
            &self.user,
            self.record(),
            &self.accounts,
        )
    }

    /// Sets the domain's `ACCOUNTS` to the number of accounts and writes `mail.conf`.
    pub fn save_count(&mut self, call: &Call) -> Result<(), CmdError> {
        let count = self.accounts.len().to_string();
        self.domains[self.index].set("ACCOUNTS", count);
        hearth_sdk::fs::write_list(&domains_path(call), &self.domains)
    }
}

/// A fresh account record in `v-add-mail-account`'s key order.
pub fn new_account(account: &str, hash: &str, quota: &str) -> Record {
    let (date, time) = render::now_date_time();
    Record::from_pairs([
        ("ACCOUNT", account),
        ("ALIAS", ""),
        ("AUTOREPLY", "no"),
        ("FWD", ""),
        ("FWD_ONLY", ""),
        ("MD5", hash),
        ("QUOTA", quota),
        ("U_DISK", "0"),
        ("SUSPENDED", "no"),
        ("TIME", &time),
        ("DATE", &date),
    ])
}

/// Hestia's `add_object_key ... 'FWD_ONLY' 'MD5'`: records written before the key existed
/// get it, empty, right before `MD5`.
pub fn ensure_key_before(record: &Record, key: &str, before: &str) -> Record {
    if record.contains(key) {
        return record.clone();
    }
    let mut out = Record::new();
    for (k, v) in record.iter() {
        if k == before {
            out.set(key, "");
        }
        out.set(k, v);
    }
    if !out.contains(key) {
        out.set(key, "");
    }
    out
}

/// Hestia's `v-log-action USER LEVEL 'Mail' MESSAGE`: an entry in the user's `history.log`.
pub fn history(call: &Call, level: &str, message: &str) -> Result<(), CmdError> {
    hosting::log_history(&call.user_path("history.log"), level, "Mail", message)
}

/// `echo -e TEXT`: bash's backslash escapes, then a line break. `\c` ends the output there.
pub fn echo_e(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&next) = chars.peek() else {
            out.push('\\');
            break;
        };
        let simple = match next {
            '\\' => Some('\\'),
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            _ => None,
        };
        if let Some(escaped) = simple {
            chars.next();
            out.push(escaped);
            continue;
        }
        match next {
            'c' => return out,
            '0' => {
                chars.next();
                let value = take_digits(&mut chars, 3, 8);
                out.push(char::from_u32(value.unwrap_or(0)).unwrap_or('\0'));
            }
            'x' => {
                chars.next();
                match take_digits(&mut chars, 2, 16) {
                    Some(value) => out.push(char::from_u32(value).unwrap_or('\0')),
                    None => out.push_str("\\x"),
                }
            }
            'u' | 'U' => {
                chars.next();
                let width = if next == 'u' { 4 } else { 8 };
                match take_digits(&mut chars, width, 16) {
                    Some(value) => out.push(char::from_u32(value).unwrap_or('\u{fffd}')),
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            _ => out.push('\\'),
        }
    }
    out.push('\n');
    out
}

/// Up to `max` digits of `radix`; `None` when there is none.
fn take_digits(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    max: usize,
    radix: u32,
) -> Option<u32> {
    let mut value = None;
    for _ in 0..max {
        let Some(digit) = chars.peek().and_then(|c| c.to_digit(radix)) else {
            break;
        };
        chars.next();
        value = Some(value.unwrap_or(0) * radix + digit);
    }
    value
}
