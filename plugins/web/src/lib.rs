//! Built-in plugin: Hestia's web commands (`v-add-web-domain`, `v-list-web-domains`, ...) and
//! `v-add-domain`, which fans out to the web, DNS and mail families.
//!
//! Each command follows HestiaCP 1.10's `bin/v-*` script: arguments, validation order,
//! messages, return codes, the `web.conf` line and the list layouts. Every change renders the
//! domain's nginx server block from the admin-editable template `data/templates/web/<TPL>.tpl`
//! into `<HOME>/<USER>/conf/web/<DOMAIN>/nginx.conf` and queues a web reload. What a command
//! may touch is declared in the table below; the host mounts only that.

mod add;
mod alias;
mod allow;
mod cache;
mod common;
mod delete;
mod domain;
mod ip;
mod list;
mod nginx;
mod suspend;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Call, CmdResult, Command};

/// `conf/hestia.conf`, read-only: `WEB_SYSTEM`, `HOME_ROOT`, ports, subdomain ownership.
const CONF: (&str, Access) = ("conf", Access::ReadOnly);

/// The stock and admin-edited web templates, read-only.
const TEMPLATES: (&str, Access) = ("data/templates", Access::ReadOnly);

/// The server's addresses: the per-address web-domain counters are written.
const IPS_RW: (&str, Access) = ("data/ips", Access::ReadWrite);

/// A command that changes the user's web data and the domain's files in the user's home.
const fn changing(
    name: &'static str,
    usage: &'static str,
    min_args: u32,
    system_dirs: &'static [(&'static str, Access)],
    handler: fn(&Call) -> CmdResult,
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

/// A command that changes only the user's data directory.
const fn recording(
    name: &'static str,
    usage: &'static str,
    min_args: u32,
    handler: fn(&Call) -> CmdResult,
) -> Command {
    Command {
        name,
        usage,
        min_args,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[CONF],
        mutating: true,
        secret_args: &[],
        handler,
    }
}

/// A list command: reads the user's directory (and `hestia.conf` for the home root).
const fn listing(
    name: &'static str,
    usage: &'static str,
    min_args: u32,
    handler: fn(&Call) -> CmdResult,
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
        name: "v-add-domain",
        usage: "USER DOMAIN [IP] [RESTART]",
        min_args: 2,
        user_arg: 1,
        // Reads the package limits and counts; the children write through their own grants.
        // `data/ips` is granted read-write only for its lock: a nested command runs under its
        // caller's lock, and v-add-web-domain (which writes the address counters) needs the
        // global one.
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[CONF, IPS_RW],
        mutating: true,
        secret_args: &[],
        handler: domain::add_domain,
    },
    // Hestia checks WEB_SYSTEM before the argument count, so the handler prints the usage.
    changing(
        "v-add-web-domain",
        "USER DOMAIN [IP] [RESTART] [ALIASES] [PROXY_EXTENSIONS]",
        0,
        &[CONF, TEMPLATES, IPS_RW],
        add::add_web_domain,
    ),
    changing(
        "v-delete-web-domain",
        "USER DOMAIN [RESTART]",
        2,
        &[CONF, IPS_RW],
        delete::delete_web_domain,
    ),
    changing(
        "v-suspend-web-domain",
        "USER DOMAIN [RESTART]",
        2,
        &[CONF, TEMPLATES],
        suspend::suspend_web_domain,
    ),
    changing(
        "v-unsuspend-web-domain",
        "USER DOMAIN [RESTART]",
        2,
        &[CONF, TEMPLATES],
        suspend::unsuspend_web_domain,
    ),
    changing(
        "v-add-web-domain-alias",
        "USER DOMAIN ALIASES [RESTART]",
        3,
        &[CONF, TEMPLATES],
        alias::add_web_domain_alias,
    ),
    changing(
        "v-delete-web-domain-alias",
        "USER DOMAIN ALIAS [RESTART]",
        3,
        &[CONF, TEMPLATES],
        alias::delete_web_domain_alias,
    ),
    changing(
        "v-purge-nginx-cache",
        "USER DOMAIN",
        2,
        &[CONF],
        cache::purge_nginx_cache,
    ),
    recording(
        "v-add-web-domain-allow-users",
        "USER DOMAIN",
        2,
        allow::add_allow_users,
    ),
    recording(
        "v-delete-web-domain-allow-users",
        "USER DOMAIN",
        2,
        allow::delete_allow_users,
    ),
    listing(
        "v-list-web-domain",
        "USER DOMAIN [FORMAT]",
        2,
        list::list_web_domain,
    ),
    listing(
        "v-list-web-domains",
        "USER [FORMAT]",
        1,
        list::list_web_domains,
    ),
];

hearth_sdk::plugin!(
    name: "web",
    commands: COMMANDS,
    interfaces: &[
        (
            "hearth:plugin/names",
            "web domains and aliases are unique across users (Hestia's is_domain_new), subdomains of another user's domain are refused (ENFORCE_SUBDOMAIN_OWNERSHIP) unless it allows users",
        ),
        (
            "hearth:plugin/services",
            "changed nginx configuration is reloaded (the RESTART argument, Hestia's v-restart-web)",
        ),
        (
            "hearth:plugin/commands",
            "v-add-domain runs v-add-web-domain, v-add-dns-domain and v-add-mail-domain like Hestia",
        ),
    ],
);
