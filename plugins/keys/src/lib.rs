//! Built-in plugin: Hestia's access-key commands (`v-add-access-key`, `v-list-access-keys`,
//! ...) and the permission-set lists (`v-list-apis`, `v-list-api`).
//!
//! Each command follows HestiaCP 1.10's `bin/v-*` script: arguments, validation order,
//! messages, return codes and output layouts. Deliberately better than Hestia:
//!
//! - a secret is drawn from the OS CSPRNG, printed once by `v-add-access-key` and stored only
//!   as its hash (`SECRET_ACCESS_KEY_HASH`); no command ever prints a secret or a hash again,
//!   including plaintext `SECRET_ACCESS_KEY`s of key files imported from Hestia;
//! - `EXPIRES_IN` and `IP`, which Hestia reserves but never fills, can be set at creation and
//!   are enforced by the host;
//! - every value is escaped in JSON output, so the output is always valid JSON.
//!
//! What a command may touch is declared in the table below; the host mounts only that.

mod add;
mod apis;
mod common;
mod delete;
mod list;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

const KEYS_READ: &[(&str, Access)] = &[("data/access-keys", Access::ReadOnly)];
const KEYS_WRITE: &[(&str, Access)] = &[("data/access-keys", Access::ReadWrite)];
const API_READ: &[(&str, Access)] = &[("data/api", Access::ReadOnly)];
const ADD_DIRS: &[(&str, Access)] = &[
    ("data/access-keys", Access::ReadWrite),
    ("data/api", Access::ReadOnly),
];

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "v-add-access-key",
        usage: "USER [PERMISSIONS] [COMMENT] [FORMAT] [EXPIRES_IN] [IP]",
        min_args: 1,
        user_arg: 1,
        // Only to confirm that the user exists (`/user/user.conf`); nothing else is read.
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: ADD_DIRS,
        mutating: true,
        secret_args: &[],
        handler: add::add_access_key,
    },
    Command {
        name: "v-list-access-keys",
        usage: "[USER] [FORMAT]",
        min_args: 0,
        user_arg: 1,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: KEYS_READ,
        mutating: false,
        secret_args: &[],
        handler: list::list_access_keys,
    },
    Command {
        name: "v-list-access-key",
        usage: "ACCESS_KEY_ID [FORMAT]",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: KEYS_READ,
        mutating: false,
        secret_args: &[],
        handler: list::list_access_key,
    },
    Command {
        name: "v-delete-access-key",
        usage: "ACCESS_KEY_ID",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: KEYS_WRITE,
        mutating: true,
        secret_args: &[],
        handler: delete::delete_access_key,
    },
    Command {
        name: "v-list-apis",
        usage: "[FORMAT]",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: API_READ,
        mutating: false,
        secret_args: &[],
        handler: apis::list_apis,
    },
    Command {
        name: "v-list-api",
        usage: "API [FORMAT]",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: API_READ,
        mutating: false,
        secret_args: &[],
        handler: apis::list_api,
    },
];

hearth_sdk::plugin!(
    name: "keys",
    commands: COMMANDS,
    interfaces: &[(
        "hearth:plugin/secrets",
        "generate access keys from the OS CSPRNG and store only their hash",
    )],
);
