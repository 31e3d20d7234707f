//! The hearth plugin SDK: write a Hestia-compatible command as one plain Rust function.
//!
//! A plugin crate lists its commands as [`Command`] values and calls [`plugin!`]; the SDK
//! generates the WIT exports (`describe`, `run`), checks the argument count (Hestia's
//! `check_args`), and turns a handler's `Result` into a Hestia return code and output.
//!
//! ```no_run
//! use hearth_sdk::{Access, Call, CmdResult, Command};
//!
//! fn hello(call: &Call) -> CmdResult {
//!     Ok(format!("hello {}\n", call.arg(1)))
//! }
//!
//! const COMMANDS: &[Command] = &[Command {
//!     name: "v-hello",
//!     usage: "USER",
//!     min_args: 1,
//!     user_arg: 1,
//!     user_access: Access::ReadOnly,
//!     home_access: Access::None,
//!     system_dirs: &[],
//!     mutating: false,
//!     secret_args: &[],
//!     handler: hello,
//! }];
//!
//! hearth_sdk::plugin!(name: "hello", commands: COMMANDS, interfaces: &[]);
//! ```
//!
//! The modules are usable outside a plugin too: the host shares [`conf`] (the `KEY='value'`
//! format) and [`ReturnCode`] with the plugins so both sides read the data root identically.

pub mod conf;
pub mod fs;
pub mod hosting;
pub mod owp;
pub mod render;
pub mod validate;

mod call;
mod code;
mod host;

pub use call::{Call, DataPaths};
pub use code::{CmdError, CmdResult, ReturnCode};
pub use host::{auth_log, cluster, commands, log, names, secrets, services};

/// The bindings generated from `wit/plugin.wit`. Plugin code rarely needs them directly.
pub mod bindings {
    wit_bindgen::generate!({
        world: "command-plugin",
        path: "../../wit",
        pub_export_macro: true,
        default_bindings_module: "hearth_sdk::bindings",
        export_macro_name: "__export_command_plugin",
    });
}

pub use bindings::hearth::plugin::types::Access;
use bindings::hearth::plugin::types::{
    CommandSpec, DirGrant, InterfaceRequest, Invocation, Manifest, Outcome,
};

/// One command a plugin provides: its manifest entry plus the function that runs it.
#[derive(Clone, Copy)]
pub struct Command {
    /// The command name, e.g. `v-list-user`.
    pub name: &'static str,
    /// The text after `Usage: <name> ` printed when too few arguments are given.
    pub usage: &'static str,
    /// Fewer arguments than this returns E_ARGS (1) with the usage line.
    pub min_args: u32,
    /// 1-based position of the USER argument, 0 for none.
    pub user_arg: u32,
    /// Access to `data/users/<USER>/`, mounted at `/user`.
    pub user_access: Access,
    /// Access to the user's home `<HOME_ROOT>/<USER>/`, mounted at `/home/<USER>`.
    pub home_access: Access,
    /// System directories (relative to the data root) mounted at `/<path>`.
    pub system_dirs: &'static [(&'static str, Access)],
    /// Whether the command can change state.
    pub mutating: bool,
    /// 1-based positions of secret arguments (passwords): never logged by the host.
    pub secret_args: &'static [u32],
    /// The implementation.
    pub handler: fn(&Call) -> CmdResult,
}

/// Builds the manifest that `describe` returns.
pub fn describe(
    name: &str,
    version: &str,
    commands: &[Command],
    interfaces: &[(&str, &str)],
) -> Manifest {
    describe_with_files(name, version, commands, interfaces, &[])
}

/// [`describe`] plus, per command name, the 1-based positions of its `/tmp/<name>` file
/// arguments (the manifest's `file-args`): the host passes the whole `v-make-tmp-file`
/// contents there.
pub fn describe_with_files(
    name: &str,
    version: &str,
    commands: &[Command],
    interfaces: &[(&str, &str)],
    file_args: &[(&str, &[u32])],
) -> Manifest {
    Manifest {
        name: name.to_string(),
        version: version.to_string(),
        commands: commands
            .iter()
            .map(|command| CommandSpec {
                name: command.name.to_string(),
                usage: command.usage.to_string(),
                min_args: command.min_args,
                user_arg: command.user_arg,
                user_access: command.user_access,
                home_access: command.home_access,
                system_dirs: command
                    .system_dirs
                    .iter()
                    .map(|(path, access)| DirGrant {
                        path: path.to_string(),
                        access: *access,
                    })
                    .collect(),
                mutating: command.mutating,
                secret_args: command.secret_args.to_vec(),
                file_args: file_args
                    .iter()
                    .find(|(named, _)| *named == command.name)
                    .map(|(_, positions)| positions.to_vec())
                    .unwrap_or_default(),
            })
            .collect(),
        interfaces: interfaces
            .iter()
            .map(|(name, reason)| InterfaceRequest {
                name: name.to_string(),
                reason: reason.to_string(),
            })
            .collect(),
    }
}

/// Runs one invocation against a command table: the body of the `run` export.
pub fn run(commands: &[Command], invocation: Invocation) -> Outcome {
    let call = Call::new(invocation.command, invocation.args, invocation.root_user);
    let (code, output) = dispatch(commands, &call, &DataPaths::guest());
    Outcome { code, output }
}

/// Finds the command, checks its argument count and runs it; shared by [`run`] and tests.
pub fn dispatch(commands: &[Command], call: &Call, paths: &DataPaths) -> (u8, String) {
    let Some(command) = commands.iter().find(|c| c.name == call.command()) else {
        let error = CmdError::new(
            ReturnCode::Forbidden,
            format!("Command {} not found", call.command()),
        );
        return (error.code.as_u8(), error.output);
    };
    if (call.args().len() as u32) < command.min_args {
        return (
            ReturnCode::Args.as_u8(),
            format!("Usage: {} {}", command.name, command.usage),
        );
    }
    let call = call.with_paths(paths.clone());
    match (command.handler)(&call) {
        Ok(output) => (ReturnCode::Ok.as_u8(), output),
        Err(error) => (error.code.as_u8(), error.output),
    }
}

/// Runs `command args...` natively against a data tree below `root`, as `root_user`: the
/// plugin author's test loop (`(return code, output)`, exactly what the host would get).
pub fn run_under(
    commands: &[Command],
    root: &std::path::Path,
    root_user: &str,
    command: &str,
    args: &[&str],
) -> (u8, String) {
    let call = Call::new(
        command.to_string(),
        args.iter().map(|arg| arg.to_string()).collect(),
        root_user.to_string(),
    );
    dispatch(commands, &call, &DataPaths::under(root))
}

/// Declares a plugin: generates the component exports for a command table.
///
/// `interfaces` lists the `hearth:plugin/*` host interfaces the plugin imports, each with the
/// reason shown to the admin at install time.
#[macro_export]
macro_rules! plugin {
    (name: $name:expr, commands: $commands:expr, interfaces: $interfaces:expr $(,)?) => {
        $crate::plugin!(name: $name, commands: $commands, interfaces: $interfaces, file_args: &[]);
    };
    (name: $name:expr, commands: $commands:expr, interfaces: $interfaces:expr, file_args: $files:expr $(,)?) => {
        struct HearthPlugin;

        impl $crate::bindings::Guest for HearthPlugin {
            fn describe() -> $crate::bindings::hearth::plugin::types::Manifest {
                $crate::describe_with_files(
                    $name,
                    env!("CARGO_PKG_VERSION"),
                    $commands,
                    $interfaces,
                    $files,
                )
            }

            fn run(
                invocation: $crate::bindings::hearth::plugin::types::Invocation,
            ) -> $crate::bindings::hearth::plugin::types::Outcome {
                $crate::run($commands, invocation)
            }
        }

        $crate::bindings::__export_command_plugin!(HearthPlugin with_types_in $crate::bindings);
    };
}
