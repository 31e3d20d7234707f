//! Built-in plugin: Hestia's mail commands (`v-add-mail-domain`, `v-add-mail-account`, ...).
//!
//! Each command follows HestiaCP's `bin/v-*mail*` script: arguments, validation order,
//! messages, return codes, the `mail.conf` / `mail/<DOMAIN>.conf` lines and the list layouts.
//! The per-domain exim/dovecot files are rendered into `/home/<USER>/conf/mail/<DOMAIN>/`.
//! What a command may touch is declared in the table below; the host mounts only that.

mod account;
mod common;
mod dkim;
mod domain;
mod exim;
mod extras;
mod list;
mod validate;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

/// `conf/hestia.conf`: MAIL_SYSTEM, ANTISPAM_SYSTEM, WEBMAIL_ALIAS, HOME_ROOT, ...
const CONF: (&str, Access) = ("conf", Access::ReadOnly);
/// `data/ips`: the outgoing address of a new mail domain (Hestia's `get_user_ip`).
const IPS: (&str, Access) = ("data/ips", Access::ReadOnly);

/// A command that changes one account (or the accounts) of a mail domain: the user's data
/// and its rendered mail configuration.
const fn account_command(
    name: &'static str,
    usage: &'static str,
    min_args: u32,
    secret_args: &'static [u32],
    handler: fn(&hearth_sdk::Call) -> hearth_sdk::CmdResult,
) -> Command {
    Command {
        name,
        usage,
        min_args,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::ReadWrite,
        system_dirs: &[CONF],
        mutating: true,
        secret_args,
        handler,
    }
}

/// A list command: reads the user's data and `hestia.conf` (WEBMAIL_ALIAS).
const fn list_command(
    name: &'static str,
    usage: &'static str,
    min_args: u32,
    handler: fn(&hearth_sdk::Call) -> hearth_sdk::CmdResult,
) -> Command {
    Command {
        name,
        usage,
        min_args,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[CONF],
        mutating: false,
        secret_args: &[],
        handler,
    }
}

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "v-add-mail-domain",
        usage: "USER DOMAIN [ANTISPAM] [ANTIVIRUS] [DKIM] [DKIM_SIZE] [RESTART] [REJECT_SPAM]",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::ReadWrite,
        system_dirs: &[CONF, IPS],
        mutating: true,
        secret_args: &[],
        handler: domain::add_mail_domain,
    },
    Command {
        name: "v-delete-mail-domain",
        usage: "USER DOMAIN",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::ReadWrite,
        system_dirs: &[CONF],
        mutating: true,
        secret_args: &[],
        handler: domain::delete_mail_domain,
    },
    list_command(
        "v-list-mail-domains",
        "USER [FORMAT]",
        1,
        list::list_mail_domains,
    ),
    list_command(
        "v-list-mail-domain",
        "USER DOMAIN [FORMAT]",
        2,
        list::list_mail_domain,
    ),
    list_command(
        "v-list-mail-accounts",
        "USER DOMAIN [FORMAT]",
        2,
        list::list_mail_accounts,
    ),
    list_command(
        "v-list-mail-account",
        "USER DOMAIN ACCOUNT [FORMAT]",
        3,
        list::list_mail_account,
    ),
    list_command(
        "v-list-mail-account-autoreply",
        "USER DOMAIN ACCOUNT [FORMAT]",
        3,
        list::list_mail_account_autoreply,
    ),
    account_command(
        "v-add-mail-account",
        "USER DOMAIN ACCOUNT PASSWORD [QUOTA]",
        4,
        &[4],
        account::add_mail_account,
    ),
    account_command(
        "v-delete-mail-account",
        "USER DOMAIN ACCOUNT",
        3,
        &[],
        account::delete_mail_account,
    ),
    account_command(
        "v-change-mail-account-password",
        "USER DOMAIN ACCOUNT PASSWORD",
        4,
        &[4],
        account::change_mail_account_password,
    ),
    account_command(
        "v-change-mail-account-quota",
        "USER DOMAIN ACCOUNT QUOTA",
        4,
        &[],
        account::change_mail_account_quota,
    ),
    account_command(
        "v-suspend-mail-account",
        "USER DOMAIN ACCOUNT",
        3,
        &[],
        account::suspend_mail_account,
    ),
    account_command(
        "v-unsuspend-mail-account",
        "USER DOMAIN ACCOUNT",
        3,
        &[],
        account::unsuspend_mail_account,
    ),
    account_command(
        "v-suspend-mail-accounts",
        "USER DOMAIN",
        2,
        &[],
        account::suspend_mail_accounts,
    ),
    account_command(
        "v-unsuspend-mail-accounts",
        "USER DOMAIN",
        2,
        &[],
        account::unsuspend_mail_accounts,
    ),
    account_command(
        "v-add-mail-account-alias",
        "USER DOMAIN ACCOUNT ALIAS",
        4,
        &[],
        extras::add_alias,
    ),
    account_command(
        "v-delete-mail-account-alias",
        "USER DOMAIN ACCOUNT ALIAS",
        4,
        &[],
        extras::delete_alias,
    ),
    account_command(
        "v-add-mail-account-autoreply",
        "USER DOMAIN ACCOUNT MESSAGE",
        4,
        &[],
        extras::add_autoreply,
    ),
    account_command(
        "v-delete-mail-account-autoreply",
        "USER DOMAIN ACCOUNT",
        3,
        &[],
        extras::delete_autoreply,
    ),
    account_command(
        "v-add-mail-account-forward",
        "USER DOMAIN ACCOUNT FORWARD",
        4,
        &[],
        extras::add_forward,
    ),
    account_command(
        "v-delete-mail-account-forward",
        "USER DOMAIN ACCOUNT FORWARD",
        4,
        &[],
        extras::delete_forward,
    ),
    account_command(
        "v-add-mail-account-fwd-only",
        "USER DOMAIN ACCOUNT",
        3,
        &[],
        extras::add_fwd_only,
    ),
    account_command(
        "v-delete-mail-account-fwd-only",
        "USER DOMAIN ACCOUNT",
        3,
        &[],
        extras::delete_fwd_only,
    ),
];

hearth_sdk::plugin!(
    name: "mail",
    commands: COMMANDS,
    interfaces: &[
        (
            "hearth:plugin/names",
            "mail domains are unique across users; subdomain ownership and the reserved `mail.` names",
        ),
        (
            "hearth:plugin/secrets",
            "mail account passwords are stored as argon2id hashes; DKIM keys are RSA pairs",
        ),
        (
            "hearth:plugin/services",
            "v-add-mail-domain reloads the web server like Hestia (RESTART argument)",
        ),
        (
            "hearth:plugin/commands",
            "DKIM records are added to and removed from the user's DNS zone with v-add-dns-record / v-delete-dns-record",
        ),
    ],
);
