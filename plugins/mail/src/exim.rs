//! The per-domain files exim and dovecot read, in `/home/<USER>/conf/mail/<DOMAIN>/` (Hestia
//! links that directory as `/etc/exim4/domains/<DOMAIN_IDN>`):
//!
//! * `passwd` — dovecot's passwd-file: `ACCOUNT:{SCHEME}HASH:USER:mail::HOME:QUOTA:userdb_quota_rule=*:storage=QUOTAM`
//!   (`SUSPENDED` instead of the hash for a suspended account);
//! * `accounts` — `ACCOUNT:ACCOUNT:USER:mail:HOME`;
//! * `aliases` — `ALIAS@DOMAIN:ACCOUNT@DOMAIN`, `ACCOUNT@DOMAIN:FORWARDS` and the catch-all
//!   `*@DOMAIN:ADDRESS`;
//! * `fwd_only` — accounts that only forward;
//! * `limits` — `ACCOUNT@DOMAIN:MESSAGES_PER_HOUR`;
//! * `autoreply.<ACCOUNT>.msg` — the autoreply text;
//! * `ip`, `antispam`, `antivirus`, `reject_spam`, `dkim.pem` — written by `v-add-mail-domain`.
//!
//! The account files are rebuilt from the records after every change, like Hestia's
//! `rebuild_mail_domain_conf`, so they never drift from `mail/<DOMAIN>.conf`.

use std::io;
use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, hosting};

/// exim's per-account hourly limit when neither the account nor the domain has one (the
/// content of Hestia's stock `/etc/exim4/limit.conf`).
pub const SYSTEM_RATE_LIMIT: &str = "200";

/// `/home/<USER>/conf/mail/<DOMAIN>` inside the sandbox.
pub fn conf_dir(call: &Call, user: &str, domain: &str) -> PathBuf {
    call.home_path(user, &format!("conf/mail/{domain}"))
}

/// `/home/<USER>/mail/<DOMAIN_IDN>`: the maildirs.
pub fn mail_dir(call: &Call, user: &str, domain_idn: &str) -> PathBuf {
    call.home_path(user, &format!("mail/{domain_idn}"))
}

/// One domain's data, as the rendering needs it.
pub struct DomainFiles<'a> {
    pub user: &'a str,
    /// `HOME_ROOT/USER`, the real home named in the files.
    pub home: String,
    pub domain: &'a Record,
    pub accounts: &'a [Record],
}

impl<'a> DomainFiles<'a> {
    pub fn new(
        settings: &Record,
        user: &'a str,
        domain: &'a Record,
        accounts: &'a [Record],
    ) -> Self {
        Self {
            user,
            home: format!("{}/{user}", hosting::home_root(settings)),
            domain,
            accounts,
        }
    }

    fn name(&self) -> &str {
        self.domain.value("DOMAIN")
    }

    fn idn(&self) -> String {
        hosting::registry_name(self.name())
    }

    /// The `passwd` file.
    pub fn passwd(&self) -> String {
        let mut out = String::new();
        for account in self.accounts {
            let quota = quota_number(account.value("QUOTA"));
            let hash = if account.value("SUSPENDED") == "yes" {
                "SUSPENDED"
            } else {
                account.value("MD5")
            };
            out.push_str(&format!(
                "{}:{hash}:{}:mail::{}:{quota}:userdb_quota_rule=*:storage={quota}M\n",
                account.value("ACCOUNT"),
                self.user,
                self.home,
            ));
        }
        out
    }

    /// The `accounts` file.
    pub fn accounts_file(&self) -> String {
        let mut out = String::new();
        for account in self.accounts {
            let name = account.value("ACCOUNT");
            out.push_str(&format!("{name}:{name}:{}:mail:{}\n", self.user, self.home));
        }
        out
    }

    /// The `aliases` file.
    pub fn aliases(&self) -> String {
        let idn = self.idn();
        let mut out = String::new();
        let catchall = self.domain.value("CATCHALL");
        if !catchall.is_empty() {
            out.push_str(&format!("*@{idn}:{catchall}\n"));
        }
        for account in self.accounts {
            let name = account.value("ACCOUNT");
            for alias in crate::common::items(account.value("ALIAS")) {
                out.push_str(&format!("{alias}@{idn}:{name}@{idn}\n"));
            }
            let forward = account.value("FWD");
            if !forward.is_empty() {
                out.push_str(&format!("{name}@{idn}:{forward}\n"));
            }
        }
        out
    }

    /// The `fwd_only` file.
    pub fn fwd_only(&self) -> String {
        let mut out = String::new();
        for account in self.accounts {
            if account.value("FWD_ONLY") == "yes" {
                out.push_str(account.value("ACCOUNT"));
                out.push('\n');
            }
        }
        out
    }

    /// The `limits` file: the account's own `RATE_LIMIT`, else the domain's, else the
    /// system's.
    pub fn limits(&self) -> String {
        let idn = self.idn();
        let mut out = String::new();
        for account in self.accounts {
            let limit = [
                account.value("RATE_LIMIT"),
                self.domain.value("RATE_LIMIT"),
                SYSTEM_RATE_LIMIT,
            ]
            .into_iter()
            .find(|value| !value.is_empty())
            .unwrap_or(SYSTEM_RATE_LIMIT);
            out.push_str(&format!("{}@{idn}:{limit}\n", account.value("ACCOUNT")));
        }
        out
    }
}

/// exim and dovecot read `unlimited` as 0.
fn quota_number(quota: &str) -> &str {
    match quota {
        "" | "unlimited" => "0",
        other => other,
    }
}

/// Creates a directory and its missing parents.
pub fn make_dir(path: &std::path::Path) -> Result<(), CmdError> {
    std::fs::create_dir_all(path)?;
    Ok(())
}

/// Removes a directory tree; a missing one is fine.
pub fn remove_tree(path: &std::path::Path) -> Result<(), CmdError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Removes a file; a missing one is fine.
pub fn remove_file(path: &std::path::Path) -> Result<(), CmdError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Rewrites the account files of one domain from its records, and its autoreply messages
/// from the user's `mail/<ACCOUNT>@<DOMAIN>.msg` files.
pub fn render_accounts(
    call: &Call,
    settings: &Record,
    user: &str,
    domain: &Record,
    accounts: &[Record],
) -> Result<(), CmdError> {
    let files = DomainFiles::new(settings, user, domain, accounts);
    let name = files.name().to_string();
    let dir = conf_dir(call, user, &name);
    make_dir(&dir)?;
    let write =
        |file: &str, text: String| hearth_sdk::fs::write_atomic(&dir.join(file), text.as_bytes());
    write("passwd", files.passwd())?;
    write("accounts", files.accounts_file())?;
    write("aliases", files.aliases())?;
    write("fwd_only", files.fwd_only())?;
    write("limits", files.limits())?;

    // Autoreply messages: exactly one file per account with AUTOREPLY='yes'.
    let wanted: Vec<&str> = accounts
        .iter()
        .filter(|account| account.value("AUTOREPLY") == "yes")
        .map(|account| account.value("ACCOUNT"))
        .collect();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        if let Some(account) = file
            .strip_prefix("autoreply.")
            .and_then(|rest| rest.strip_suffix(".msg"))
            && !wanted.contains(&account)
        {
            remove_file(&entry.path())?;
        }
    }
    for account in wanted {
        let source = crate::common::message_path(call, &name, account);
        let text = match hearth_sdk::fs::read_to_string(&source) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error.into()),
        };
        write(&format!("autoreply.{account}.msg"), text)?;
    }
    Ok(())
}

/// The files only `v-add-mail-domain` writes: the outgoing address, the protection flags
/// and the DKIM key.
pub struct DomainFlags<'a> {
    pub ip: Option<&'a str>,
    pub antispam: bool,
    pub reject_spam: bool,
    pub antivirus: bool,
    pub dkim_pem: Option<&'a str>,
}

/// Creates `conf/mail/<DOMAIN>/` with its flag files and empty account files, and the
/// domain's maildir.
pub fn create_domain(
    call: &Call,
    settings: &Record,
    user: &str,
    domain: &Record,
    flags: &DomainFlags<'_>,
) -> Result<(), CmdError> {
    let name = domain.value("DOMAIN");
    let dir = conf_dir(call, user, name);
    make_dir(&dir)?;
    make_dir(&mail_dir(call, user, &hosting::registry_name(name)))?;
    if let Some(ip) = flags.ip {
        hearth_sdk::fs::write_atomic(&dir.join("ip"), format!("{ip}\n").as_bytes())?;
    }
    for (file, on) in [
        ("antispam", flags.antispam),
        ("reject_spam", flags.reject_spam),
        ("antivirus", flags.antivirus),
    ] {
        if on {
            hearth_sdk::fs::write_atomic(&dir.join(file), b"")?;
        }
    }
    if let Some(pem) = flags.dkim_pem {
        hearth_sdk::fs::write_atomic(&dir.join("dkim.pem"), pem.as_bytes())?;
    }
    render_accounts(call, settings, user, domain, &[])
}
