//! The `nodes` host interface: XML-RPC calls to the OWP hardware-node daemons. A plugin names
//! a node by id; host, port, key and SSL come from `owp/hardware_servers.conf`, so nothing
//! but a registered hardware server can be reached.

use super::bindings::hearth::plugin::nodes;
use super::host_state::HostState;
use crate::owp::xmlrpc::{self, CallError, Daemon, Value};

/// The registered daemon with id `server`.
fn daemon(state: &HostState, server: u32) -> Result<Daemon, nodes::NodeError> {
    let rows = crate::owp::load_table(&state.services.root, "hardware_servers.conf")
        .map_err(|error| nodes::NodeError::Fault(error.to_string()))?;
    let row = rows
        .iter()
        .find(|row| row.value("id") == server.to_string())
        .ok_or(nodes::NodeError::UnknownServer)?;
    Ok(Daemon {
        host: row.value("host").to_string(),
        port: row.value("daemon_port").parse().unwrap_or(7767),
        key: row.value("auth_key").to_string(),
        ssl: row.value("use_ssl") == "true",
    })
}

async fn call(
    daemon: Result<Daemon, nodes::NodeError>,
    method: &str,
    params: &[Value],
) -> Result<Value, nodes::NodeError> {
    let daemon = daemon?;
    tracing::debug!(host = daemon.host, method, "hardware node call");
    xmlrpc::call(&daemon, method, params)
        .await
        .map_err(|error| match error {
            CallError::Unreachable(text) => nodes::NodeError::Unreachable(text),
            CallError::Fault(text) => nodes::NodeError::Fault(text),
        })
}

fn malformed(method: &str) -> nodes::NodeError {
    nodes::NodeError::Fault(format!("malformed reply to {method}"))
}

fn exec_result(value: &Value) -> Option<nodes::ExecResult> {
    Some(nodes::ExecResult {
        exit_code: i32::try_from(value.member("exit_code")?.int()?).ok()?,
        output: value
            .member("output")
            .and_then(Value::text)
            .unwrap_or_default(),
    })
}

impl nodes::Host for HostState {
    async fn version(&mut self, server: u32) -> Result<String, nodes::NodeError> {
        let value = call(daemon(self, server), "hwDaemon.version", &[]).await?;
        value.text().ok_or_else(|| malformed("hwDaemon.version"))
    }

    async fn exec(
        &mut self,
        server: u32,
        command: String,
        args: String,
    ) -> Result<nodes::ExecResult, nodes::NodeError> {
        let params = [Value::Str(command), Value::Str(args)];
        let value = call(daemon(self, server), "hwDaemon.exec", &params).await?;
        exec_result(&value).ok_or_else(|| malformed("hwDaemon.exec"))
    }

    async fn write_file(
        &mut self,
        server: u32,
        path: String,
        content: String,
    ) -> Result<bool, nodes::NodeError> {
        let params = [Value::Str(path), Value::Str(content)];
        let value = call(daemon(self, server), "hwDaemon.write_file", &params).await?;
        value.bool().ok_or_else(|| malformed("hwDaemon.write_file"))
    }

    async fn job(
        &mut self,
        server: u32,
        command: String,
        args: String,
    ) -> Result<String, nodes::NodeError> {
        let params = [Value::Str(command), Value::Str(args)];
        let value = call(daemon(self, server), "hwDaemon.job", &params).await?;
        value
            .member("job_id")
            .and_then(Value::text)
            .ok_or_else(|| malformed("hwDaemon.job"))
    }

    async fn job_status(
        &mut self,
        server: u32,
        job_id: String,
    ) -> Result<nodes::JobState, nodes::NodeError> {
        let value = call(
            daemon(self, server),
            "hwDaemon.job_status",
            &[Value::Str(job_id)],
        )
        .await?;
        Ok(nodes::JobState {
            found: value.member("found").and_then(Value::bool).unwrap_or(false),
            alive: value.member("alive").and_then(Value::bool).unwrap_or(false),
            finished: value.member("result").and_then(exec_result),
        })
    }
}
