//! Built-in plugin: Hestia's database commands (`v-add-database`, `v-list-databases`, ...).
//!
//! Each command follows HestiaCP 1.10's `bin/v-*` script: arguments, validation order,
//! messages, return codes, the `db.conf` line and the list layouts. No SQL server is involved:
//! the commands keep Hestia's records (`db.conf`, the host counters in `conf/mysql.conf` and
//! `conf/pgsql.conf`, the user's counters and history) and queue nothing, as Hestia restarts
//! nothing for databases. `MD5` holds what the SQL server itself would store for the password
//! (MySQL's `*`+SHA1(SHA1) form, PostgreSQL's `md5` form); the password is never written.
//!
//! Deliberately better than Hestia: JSON output is always valid (values are escaped), a host
//! keeps a user in `U_SYS_USERS` while the user still has databases on it, and counters never
//! go below zero. What a command may touch is declared in the table below; the host mounts
//! only that.

mod add;
mod common;
mod delete;
mod hash;
mod hosts;
mod list;
mod suspend;
mod temp;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

/// `conf/hestia.conf` (settings) and the host files `conf/<TYPE>.conf`, whose counters change.
const CONF_WRITE: &[(&str, Access)] = &[("conf", Access::ReadWrite)];
/// `conf/hestia.conf` only.
const CONF_READ: &[(&str, Access)] = &[("conf", Access::ReadOnly)];

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "v-add-database",
        usage: "USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]",
        min_args: 4,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: CONF_WRITE,
        mutating: true,
        secret_args: &[4],
        handler: add::add_database,
    },
    Command {
        name: "v-delete-database",
        usage: "USER DATABASE",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: CONF_WRITE,
        mutating: true,
        secret_args: &[],
        handler: delete::delete_database,
    },
    Command {
        name: "v-list-database",
        usage: "USER DATABASE [FORMAT]",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: list::list_database,
    },
    Command {
        name: "v-list-databases",
        usage: "USER [FORMAT]",
        min_args: 1,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: list::list_databases,
    },
    Command {
        name: "v-suspend-database",
        usage: "USER DATABASE",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: CONF_READ,
        mutating: true,
        secret_args: &[],
        handler: suspend::suspend_database,
    },
    Command {
        name: "v-unsuspend-database",
        usage: "USER DATABASE",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: CONF_READ,
        mutating: true,
        secret_args: &[],
        handler: suspend::unsuspend_database,
    },
    Command {
        name: "v-add-database-temp-user",
        // Hestia's usage line omits TTL, which the options line has.
        usage: "USER DATABASE [TYPE] [HOST]",
        min_args: 2,
        user_arg: 1,
        // Only the user's history changes.
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: CONF_READ,
        mutating: true,
        secret_args: &[],
        handler: temp::add_temp_user,
    },
    Command {
        name: "v-delete-database-temp-user",
        usage: "USER DATABASE DBUSER [TYPE] [HOST]",
        min_args: 3,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: CONF_READ,
        mutating: true,
        secret_args: &[],
        handler: temp::delete_temp_user,
    },
];

hearth_sdk::plugin!(
    name: "databases",
    commands: COMMANDS,
    interfaces: &[(
        "hearth:plugin/secrets",
        "random names and passwords for phpMyAdmin's temporary database users"
    )],
);
