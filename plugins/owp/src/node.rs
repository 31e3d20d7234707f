//! Hardware-node calls through the host's `nodes` interface (`lib/hw_daemon_client.rb`):
//! `exec` fails on a non-zero exit code with OWP's `HwDaemonExecException` text.

use hearth_sdk::bindings::hearth::plugin::nodes;
pub use nodes::NodeError;

/// Why a node command failed, with OWP's message.
#[derive(Debug)]
pub enum Failure {
    /// `Command '<cmd> <args>' execution failed with code N\nOutput: …`.
    Exit { code: i32, message: String },
    /// The daemon could not be reached, refused the key, or faulted.
    Node(NodeError),
}

impl Failure {
    /// The text OWP puts in `<details>` / the event.
    pub fn message(&self) -> String {
        match self {
            Failure::Exit { message, .. } => message.clone(),
            Failure::Node(error) => node_message(error),
        }
    }

    /// The exit code, `-1` for a daemon failure.
    pub fn code(&self) -> i32 {
        match self {
            Failure::Exit { code, .. } => *code,
            Failure::Node(_) => -1,
        }
    }
}

/// `HwDaemonException`'s text.
pub fn node_message(error: &NodeError) -> String {
    match error {
        NodeError::UnknownServer => "XML-RPC call error: unknown hardware server".to_string(),
        NodeError::Unreachable(text) | NodeError::Fault(text) => {
            format!("XML-RPC call error: {text}")
        }
    }
}

fn server_id(id: i64) -> u32 {
    u32::try_from(id).unwrap_or(u32::MAX)
}

/// `hwDaemon.version`.
pub fn version(server: i64) -> Result<String, NodeError> {
    nodes::version(server_id(server))
}

/// `hwDaemon.exec`, the output of a zero exit, or OWP's failure.
pub fn exec(server: i64, command: &str, args: &str) -> Result<String, Failure> {
    let result = nodes::exec(server_id(server), command, args).map_err(Failure::Node)?;
    if result.exit_code != 0 {
        return Err(Failure::Exit {
            code: result.exit_code,
            message: format!(
                "Command '{command} {args}' execution failed with code {}\nOutput: {}",
                result.exit_code, result.output
            ),
        });
    }
    Ok(result.output)
}

/// `hwDaemon.exec`, whatever the exit code: `(exit code, output)`.
pub fn exec_raw(server: i64, command: &str, args: &str) -> Result<(i32, String), NodeError> {
    nodes::exec(server_id(server), command, args).map(|r| (r.exit_code, r.output))
}

/// `hwDaemon.write_file`.
pub fn write_file(server: i64, path: &str, content: &str) -> Result<bool, NodeError> {
    nodes::write_file(server_id(server), path, content)
}

/// `hwDaemon.job`.
pub fn job(server: i64, command: &str, args: &str) -> Result<String, NodeError> {
    nodes::job(server_id(server), command, args)
}

/// `hwDaemon.job_status`: (found, alive, exit code of the finished job).
pub fn job_status(server: i64, id: &str) -> Result<(bool, bool, Option<i32>), NodeError> {
    nodes::job_status(server_id(server), id).map(|status| {
        (
            status.found,
            status.alive,
            status.finished.map(|r| r.exit_code),
        )
    })
}
