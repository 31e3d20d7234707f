//! Built-in plugin: Hestia's packages commands.

use hearth_sdk::Command;

/// The command table: manifest entries and handlers.
pub const COMMANDS: &[Command] = &[];

hearth_sdk::plugin!(name: "packages", commands: COMMANDS, interfaces: &[]);
