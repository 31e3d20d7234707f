//! Built-in plugin: Hestia's DNS commands (`v-add-dns-domain`, `v-add-dns-record`, ...).
//!
//! Each command follows HestiaCP 1.9's `bin/v-*` script: arguments, validation order,
//! messages, return codes, the `dns.conf` / `dns/<DOMAIN>.conf` lines and the list layouts.
//! Every change renders the user's BIND zone file `<HOME>/conf/dns/<DOMAIN>.db` and queues a
//! DNS reload; what a command may touch is declared in the table below.

mod common;
mod domain;
mod list;
mod record;
mod validate;
mod zone;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

/// `conf/hestia.conf`, read-only: `DNS_SYSTEM`, `DEMO_MODE`, subdomain ownership.
const CONF: (&str, Access) = ("conf", Access::ReadOnly);

/// The stock and admin-edited zone templates, read-only.
const TEMPLATES: (&str, Access) = ("data/templates", Access::ReadOnly);

/// A command that changes the user's DNS data and its zone files.
const fn changing(
    name: &'static str,
    usage: &'static str,
    min_args: u32,
    system_dirs: &'static [(&'static str, Access)],
    handler: fn(&hearth_sdk::Call) -> hearth_sdk::CmdResult,
) -> Command {
    Command {
        name,
        usage,
        min_args,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::ReadWrite,
        system_dirs,
        mutating: true,
        secret_args: &[],
        handler,
    }
}

/// A list command: reads the user's directory only.
const fn listing(
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
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler,
    }
}

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[
    changing(
        "v-add-dns-domain",
        "USER DOMAIN IP [NS1] [NS2] [NS3] [..] [NS8] [RESTART]",
        3,
        &[CONF, TEMPLATES],
        domain::add_dns_domain,
    ),
    changing(
        "v-delete-dns-domain",
        "USER DOMAIN [RESTART]",
        2,
        &[CONF],
        domain::delete_dns_domain,
    ),
    changing(
        "v-suspend-dns-domain",
        "USER DOMAIN [RESTART]",
        2,
        &[CONF],
        domain::suspend_dns_domain,
    ),
    changing(
        "v-unsuspend-dns-domain",
        "USER DOMAIN",
        2,
        &[CONF],
        domain::unsuspend_dns_domain,
    ),
    changing(
        "v-add-dns-record",
        "USER DOMAIN RECORD TYPE VALUE [PRIORITY] [ID] [RESTART] [TTL]",
        5,
        &[CONF],
        record::add_dns_record,
    ),
    changing(
        "v-change-dns-record",
        "USER DOMAIN ID RECORD TYPE VALUE [PRIORITY] [RESTART] [TTL]",
        6,
        &[CONF],
        record::change_dns_record,
    ),
    changing(
        "v-delete-dns-record",
        "USER DOMAIN ID [RESTART]",
        3,
        &[CONF],
        record::delete_dns_record,
    ),
    listing(
        "v-list-dns-domain",
        "USER DOMAIN [FORMAT]",
        2,
        list::list_dns_domain,
    ),
    listing(
        "v-list-dns-domains",
        "USER [FORMAT]",
        1,
        list::list_dns_domains,
    ),
    listing(
        "v-list-dns-records",
        "USER DOMAIN [FORMAT]",
        2,
        list::list_dns_records,
    ),
];

hearth_sdk::plugin!(
    name: "dns",
    commands: COMMANDS,
    interfaces: &[
        (
            "hearth:plugin/names",
            "DNS domains are unique across users (Hestia's is_domain_new) and subdomains of another user's domain are refused (ENFORCE_SUBDOMAIN_OWNERSHIP)",
        ),
        (
            "hearth:plugin/services",
            "changed zones are reloaded in BIND (the RESTART argument, Hestia's v-restart-dns)",
        ),
    ],
);
