//! Test-only plugin that imports `hearth:plugin/secrets` without declaring it in its
//! manifest: `hearth plugin install` must refuse it and name that interface.

use hearth_sdk::{Access, Call, CmdResult, Command};

fn token(_call: &Call) -> CmdResult {
    Ok(hearth_sdk::secrets::random_token(8, hearth_sdk::secrets::ALNUM) + "\n")
}

const COMMANDS: &[Command] = &[Command {
    name: "v-test-greedy-token",
    usage: "",
    min_args: 0,
    user_arg: 0,
    user_access: Access::None,
    home_access: Access::None,
    system_dirs: &[],
    mutating: false,
    secret_args: &[],
    handler: token,
}];

hearth_sdk::plugin!(name: "greedy", commands: COMMANDS, interfaces: &[]);
