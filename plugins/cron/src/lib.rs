//! Built-in plugin: Hestia's cron commands.

use hearth_sdk::Command;

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[];

hearth_sdk::plugin!(name: "cron", commands: COMMANDS, interfaces: &[]);
