//! Built-in plugin: Hestia's package commands (`v-list-user-packages`, `v-add-user-package`,
//! `v-copy-user-package`, `v-delete-user-package`) and the admin's ownership moves
//! (`v-change-domain-owner`, `v-change-database-owner`).
//!
//! Each command follows HestiaCP 1.9's `bin/v-*` script: arguments, validation order,
//! messages, return codes, the package file's key order and the list layouts. All of them
//! are root-only (no USER argument: a user's access key can never run them), and each is
//! handed only the system directories named in the table below.

mod add;
mod common;
mod copy;
mod database;
mod list;
mod owner;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

/// A root-only command on the system directories `system_dirs`.
const fn admin(
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
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs,
        mutating: true,
        secret_args: &[],
        handler,
    }
}

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "v-list-user-packages",
        usage: "[FORMAT]",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[("data/packages", Access::ReadOnly)],
        mutating: false,
        secret_args: &[],
        handler: list::list_user_packages,
    },
    // `conf` for WEB_SYSTEM, PROXY_SYSTEM, WEB_BACKEND, RESOURCES_LIMIT and DEMO_MODE;
    // `data/templates` to check the package's templates exist.
    admin(
        "v-add-user-package",
        "PKG_DIR PACKAGE",
        2,
        &[
            ("conf", Access::ReadOnly),
            ("data/templates", Access::ReadOnly),
            ("data/packages", Access::ReadWrite),
        ],
        add::add_user_package,
    ),
    // Hestia checks no argument count here.
    admin(
        "v-copy-user-package",
        "PACKAGE NEW_PACKAGE",
        0,
        &[
            ("conf", Access::ReadOnly),
            ("data/packages", Access::ReadWrite),
        ],
        copy::copy_user_package,
    ),
    // `data/users` to find the users still on the package (moved with
    // `v-change-user-package`).
    admin(
        "v-delete-user-package",
        "PACKAGE",
        1,
        &[
            ("conf", Access::ReadOnly),
            ("data/users", Access::ReadOnly),
            ("data/packages", Access::ReadWrite),
        ],
        copy::delete_user_package,
    ),
    // Both owners' data and homes, and the addresses' counters.
    admin(
        "v-change-domain-owner",
        "DOMAIN USER",
        2,
        &[
            ("conf", Access::ReadOnly),
            ("data/users", Access::ReadWrite),
            ("data/ips", Access::ReadWrite),
            ("home", Access::ReadWrite),
        ],
        owner::change_domain_owner,
    ),
    // `conf` read-write: the database hosts' `U_SYS_USERS` in `conf/<TYPE>.conf`.
    admin(
        "v-change-database-owner",
        "DATABASE USER",
        2,
        &[
            ("conf", Access::ReadWrite),
            ("data/users", Access::ReadWrite),
        ],
        database::change_database_owner,
    ),
];

/// `v-add-user-package TMPFILE ...`: a `/tmp/<name>` from `v-make-tmp-file` is handed over as
/// the whole package definition.
const FILE_ARGS: &[(&str, &[u32])] = &[("v-add-user-package", &[1])];

hearth_sdk::plugin!(
    name: "packages",
    commands: COMMANDS,
    interfaces: &[
        ("hearth:plugin/names", "move a domain's name claims to its new owner"),
        ("hearth:plugin/services", "reload web, DNS and mail after a domain changed owner"),
        (
            "hearth:plugin/commands",
            "render a moved domain with the web and DNS commands; move users off a deleted package",
        ),
    ],
    file_args: FILE_ARGS,
);
