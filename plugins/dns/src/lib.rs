//! Built-in plugin: Hestia's DNS commands (`v-add-dns-domain`, `v-add-dns-record`, ...).
//!
//! Each command follows HestiaCP 1.9's `bin/v-*` script: arguments, validation order,
//! messages, return codes, the `dns.conf` / `dns/<DOMAIN>.conf` lines and the list layouts.
//! Every change renders the user's BIND zone file `<HOME>/conf/dns/<DOMAIN>.db` and queues a
//! DNS reload; what a command may touch is declared in the table below.

mod cluster;
mod common;
mod domain;
mod list;
mod record;
mod remote;
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

/// A command that changes the cluster: run by the host's `cluster` interface, which alone
/// writes `conf/dns-cluster.conf` and `hestia.conf`'s `DNS_CLUSTER`; the read-write `conf`
/// grant makes it run under the global lock.
const fn cluster_admin(
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
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[("conf", Access::ReadWrite)],
        mutating: true,
        secret_args,
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
    changing(
        "v-insert-dns-domain",
        "USER DATA [SRC] [FLUSH] [RESTART]",
        2,
        &[CONF],
        cluster::insert_dns_domain,
    ),
    changing(
        "v-insert-dns-records",
        "USER DOMAIN DATA_FILE [RESTART]",
        3,
        &[CONF],
        cluster::insert_dns_records,
    ),
    changing(
        "v-insert-dns-record",
        "USER DOMAIN DATA [RESTART]",
        3,
        &[CONF],
        cluster::insert_dns_record,
    ),
    changing(
        "v-delete-dns-domains-src",
        "USER SRC [RESTART]",
        2,
        &[CONF],
        cluster::delete_dns_domains_src,
    ),
    changing(
        "v-rebuild-dns-domain",
        "USER DOMAIN [RESTART] [UPDATE_SERIAL]",
        2,
        &[CONF],
        cluster::rebuild_dns_domain,
    ),
    changing(
        "v-rebuild-dns-domains",
        "USER [RESTART] [UPDATE_SERIAL]",
        1,
        &[CONF],
        cluster::rebuild_dns_domains,
    ),
    Command {
        name: "v-add-cron-restart-job",
        usage: "",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        // Reads the root user's cron jobs and adds one through `v-add-cron-job`, which an
        // admin command may only call under the global lock.
        system_dirs: &[CONF, ("data/users", Access::ReadWrite)],
        mutating: true,
        secret_args: &[],
        handler: cluster::add_cron_restart_job,
    },
    cluster_admin(
        "v-add-remote-dns-host",
        "HOST PORT USER [PASSWORD] [TYPE] [DNS_USER]",
        3,
        &[3, 4],
        remote::add_remote_dns_host,
    ),
    cluster_admin(
        "v-delete-remote-dns-host",
        "HOST",
        1,
        &[],
        remote::delete_remote_dns_host,
    ),
    cluster_admin(
        "v-sync-dns-cluster",
        "[HOST]",
        0,
        &[],
        remote::sync_dns_cluster,
    ),
    Command {
        name: "v-list-remote-dns-hosts",
        usage: "[FORMAT]",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: remote::list_remote_dns_hosts,
    },
];

/// `v-insert-dns-records` takes the records file a master made with `v-make-tmp-file`.
const FILE_ARGS: &[(&str, &[u32])] = &[("v-insert-dns-records", &[3])];

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
        (
            "hearth:plugin/cluster",
            "DNS changes are pushed to the DNS cluster's peers, and the remote-host commands manage them (Hestia's func/remote.sh)",
        ),
        (
            "hearth:plugin/commands",
            "v-add-cron-restart-job adds its job with v-add-cron-job",
        ),
    ],
    file_args: FILE_ARGS,
);
