//! Built-in plugin: the OpenVZ Web Panel Remote API, one command per controller method
//! (`owp-<controller>-<method>`, e.g. `owp-users-create`).
//!
//! The host authenticates the caller, checks the controller's permission gate, and passes a
//! JSON context as the only argument: the caller (id, login, permissions, backup limit), the
//! request parameters, the client address, the time and the locale. The command reads and
//! writes the OWP tables under `/owp` and prints a typed reply document
//! ([`hearth_sdk::owp::Reply`]) that the host renders as XML or JSON. Nodes are reached only
//! through the host's `nodes` interface.

mod backups;
mod hardware;
mod i18n;
mod ip_pools;
mod logs;
mod node;
mod store;
mod users;
mod virtual_servers;

#[cfg(test)]
mod tests;

use hearth_sdk::owp::Reply;
use hearth_sdk::{Access, Call, CmdError, CmdResult, Command};

type Method = fn(&store::Ctx) -> Result<Reply, CmdError>;

/// Every controller method: (command, handler, whether it writes the OWP tables).
const METHODS: &[(&str, Method, bool)] = &[
    ("owp-hardware_servers-list", hardware::list, false),
    ("owp-hardware_servers-get", hardware::get, false),
    (
        "owp-hardware_servers-get_by_host",
        hardware::get_by_host,
        false,
    ),
    ("owp-hardware_servers-connect", hardware::connect, true),
    ("owp-hardware_servers-update", hardware::update, true),
    (
        "owp-hardware_servers-disconnect",
        hardware::disconnect,
        true,
    ),
    ("owp-hardware_servers-sync", hardware::sync, true),
    (
        "owp-hardware_servers-virtual_servers",
        hardware::virtual_servers,
        false,
    ),
    (
        "owp-hardware_servers-os_templates",
        hardware::os_templates,
        false,
    ),
    (
        "owp-hardware_servers-server_templates",
        hardware::server_templates,
        false,
    ),
    (
        "owp-virtual_servers-own_servers",
        virtual_servers::own_servers,
        false,
    ),
    ("owp-virtual_servers-get", virtual_servers::get, false),
    (
        "owp-virtual_servers-get_by_host",
        virtual_servers::get_by_host,
        false,
    ),
    (
        "owp-virtual_servers-get_advanced_limits",
        virtual_servers::get_advanced_limits,
        false,
    ),
    (
        "owp-virtual_servers-get_stats",
        virtual_servers::get_stats,
        false,
    ),
    ("owp-virtual_servers-start", virtual_servers::start, true),
    ("owp-virtual_servers-stop", virtual_servers::stop, true),
    (
        "owp-virtual_servers-restart",
        virtual_servers::restart,
        true,
    ),
    ("owp-virtual_servers-create", virtual_servers::create, true),
    ("owp-virtual_servers-update", virtual_servers::update, true),
    ("owp-virtual_servers-delete", virtual_servers::delete, true),
    (
        "owp-virtual_servers-reinstall",
        virtual_servers::reinstall,
        true,
    ),
    ("owp-virtual_servers-exec", virtual_servers::exec, false),
    ("owp-users-list", users::list, false),
    ("owp-users-get", users::get, false),
    ("owp-users-get_by_login", users::get_by_login, false),
    ("owp-users-create", users::create, true),
    ("owp-users-update", users::update, true),
    ("owp-users-delete", users::delete, true),
    ("owp-users-enable", users::enable, true),
    ("owp-users-disable", users::disable, true),
    ("owp-roles-list", users::roles_list, false),
    ("owp-roles-get_by_name", users::roles_get_by_name, false),
    ("owp-event_log-list", logs::events, false),
    ("owp-tasks-list", logs::tasks, false),
    ("owp-ip_pools-list", ip_pools::list, false),
    ("owp-ip_pools-get", ip_pools::get, false),
    ("owp-ip_pools-create", ip_pools::create, true),
    ("owp-ip_pools-update", ip_pools::update, true),
    ("owp-ip_pools-delete", ip_pools::delete, true),
    ("owp-backups-list", backups::list, false),
    ("owp-backups-list_data", backups::list, false),
    ("owp-backups-create", backups::create, true),
    ("owp-backups-delete", backups::delete, true),
    ("owp-backups-restore", backups::restore, true),
];

/// Runs the method the command names and prints its reply.
fn run_method(call: &Call) -> CmdResult {
    let ctx = store::Ctx::from_call(call)?;
    let (method, writes) = METHODS
        .iter()
        .find(|(name, _, _)| *name == call.command())
        .map(|(_, method, writes)| (*method, *writes))
        .ok_or_else(|| {
            CmdError::new(
                hearth_sdk::ReturnCode::Forbidden,
                format!("Command {} not found", call.command()),
            )
        })?;
    let reply = method(&ctx)?;
    // OWP logs every internal error as an event (`log_error`); methods that may write the
    // tables do so here too.
    if writes
        && let Reply::Error(reason, Some(details)) = &reply
        && reason == "internal_error"
    {
        ctx.event(store::ERROR, "internal_error", &[("message", details)])?;
    }
    Ok(reply.encode())
}

const fn command(name: &'static str, mutating: bool) -> Command {
    Command {
        name,
        usage: "CONTEXT",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: if mutating {
            &[("owp", Access::ReadWrite)]
        } else {
            &[("owp", Access::ReadOnly)]
        },
        mutating,
        secret_args: &[1],
        handler: run_method,
    }
}

/// The command table, one entry per method.
pub const COMMANDS: &[Command] = &{
    let mut table = [command("", false); METHODS.len()];
    let mut i = 0;
    while i < METHODS.len() {
        table[i] = command(METHODS[i].0, METHODS[i].2);
        i += 1;
    }
    table
};

hearth_sdk::plugin!(
    name: "owp",
    commands: COMMANDS,
    interfaces: &[
        ("hearth:plugin/secrets", "hash OWP user passwords, name temporary command files"),
        ("hearth:plugin/nodes", "drive the registered OpenVZ hardware nodes through their daemons"),
    ],
);
