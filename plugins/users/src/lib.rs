//! Built-in plugin: Hestia's user commands (`v-add-user`, `v-list-user`, ...).
//!
//! Each command follows HestiaCP 1.10's `bin/v-*` script: arguments, validation order,
//! messages, return codes and output layouts. What a command may touch is declared in the
//! table below; the host mounts only that.

mod add;
mod change;
mod common;
mod delete;
mod list;
mod password;
mod suspend;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "v-add-user",
        usage: "USER PASSWORD EMAIL [PACKAGE] [NAME] ",
        min_args: 3,
        user_arg: 1,
        // The user's directory does not exist yet: it is created through data/users.
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[
            ("data/users", Access::ReadWrite),
            ("data/packages", Access::ReadOnly),
        ],
        mutating: true,
        secret_args: &[2],
        handler: add::add_user,
    },
    Command {
        name: "v-delete-user",
        usage: "USER [RESTART]",
        min_args: 1,
        user_arg: 1,
        // Removes the directory itself and updates the root user's counters.
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[
            ("data/users", Access::ReadWrite),
            ("data/access-keys", Access::ReadWrite),
            ("home", Access::ReadWrite),
        ],
        mutating: true,
        secret_args: &[],
        handler: delete::delete_user,
    },
    Command {
        name: "v-suspend-user",
        usage: "USER [RESTART]",
        min_args: 1,
        user_arg: 1,
        // Also updates the root user's SUSPENDED_USERS.
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[("data/users", Access::ReadWrite)],
        mutating: true,
        secret_args: &[],
        handler: suspend::suspend_user,
    },
    Command {
        name: "v-unsuspend-user",
        usage: "USER [RESTART]",
        min_args: 1,
        user_arg: 1,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[("data/users", Access::ReadWrite)],
        mutating: true,
        secret_args: &[],
        handler: suspend::unsuspend_user,
    },
    Command {
        name: "v-list-users",
        usage: "[FORMAT]",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[("data/users", Access::ReadOnly)],
        mutating: false,
        secret_args: &[],
        handler: list::list_users,
    },
    Command {
        name: "v-list-user",
        usage: "USER [FORMAT]",
        min_args: 1,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: list::list_user,
    },
    Command {
        name: "v-check-user-password",
        usage: "USER PASSWORD [IP] [RETURN_HASH]",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[2],
        handler: password::check_user_password,
    },
    Command {
        name: "v-change-user-password",
        usage: "USER [PASSWORD]",
        min_args: 1,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[],
        mutating: true,
        secret_args: &[2],
        handler: password::change_user_password,
    },
    Command {
        name: "v-change-user-shell",
        usage: "USER SHELL",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: change::change_user_shell,
    },
    Command {
        name: "v-change-user-package",
        usage: "USER PACKAGE [FORCE]",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[("data/packages", Access::ReadOnly)],
        mutating: true,
        secret_args: &[],
        handler: change::change_user_package,
    },
    Command {
        name: "v-change-user-contact",
        usage: "USER EMAIL",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: change::change_user_contact,
    },
];

hearth_sdk::plugin!(
    name: "users",
    commands: COMMANDS,
    interfaces: &[
        ("hearth:plugin/secrets", "hash and verify user passwords, generate password-reset keys"),
        ("hearth:plugin/auth-log", "record password checks for fail2ban"),
        ("hearth:plugin/commands", "delete a user's domains and databases with their own commands"),
    ],
);
