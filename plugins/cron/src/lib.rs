//! Built-in plugin: Hestia's cron commands (`v-add-cron-job`, `v-list-cron-jobs`, ...).
//!
//! Each command follows HestiaCP 1.9's `bin/v-*` script: arguments, validation order,
//! messages, return codes, the `cron.conf` line (`JOB MIN HOUR DAY MONTH WDAY CMD SUSPENDED
//! TIME DATE`, `'` in the command stored as `%quote%`) and the list layouts. Every change
//! renders the user's crontab into `<HOME_ROOT>/<USER>/conf/cron/crontab` (the file the
//! system cron reads in a hearth deployment) and queues a `cron` reload. What a command may
//! touch is declared in the table below; the host mounts only that.

mod common;
mod fields;
mod job;
mod list;

#[cfg(test)]
mod tests;

use hearth_sdk::{Access, Command};

/// `conf/hestia.conf`, read-only: `CRON_SYSTEM`, `DEMO_MODE`.
const CONF: &[(&str, Access)] = &[("conf", Access::ReadOnly)];

/// A command that changes the user's jobs and renders the crontab in the user's home.
const fn changing(
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
        user_access: Access::ReadWrite,
        home_access: Access::ReadWrite,
        system_dirs: CONF,
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
        "v-add-cron-job",
        "USER MIN HOUR DAY MONTH WDAY CRON_COMMAND [JOB] [RESTART]",
        7,
        job::add_cron_job,
    ),
    changing(
        "v-delete-cron-job",
        "USER JOB [RESTART]",
        2,
        job::delete_cron_job,
    ),
    changing(
        "v-suspend-cron-job",
        "USER JOB [RESTART]",
        2,
        job::suspend_cron_job,
    ),
    changing(
        "v-unsuspend-cron-job",
        "USER JOB [RESTART]",
        2,
        job::unsuspend_cron_job,
    ),
    listing("v-list-cron-jobs", "USER [FORMAT]", 1, list::list_cron_jobs),
    listing(
        "v-list-cron-job",
        "USER JOB [FORMAT]",
        2,
        list::list_cron_job,
    ),
];

hearth_sdk::plugin!(
    name: "cron",
    commands: COMMANDS,
    interfaces: &[(
        "hearth:plugin/services",
        "reload cron after a user's crontab changed",
    )],
);
