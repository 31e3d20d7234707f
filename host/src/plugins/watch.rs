//! Hot swap on a running server: watches `plugins/approvals.json` and, when an admin
//! command (`install`, `rollback`, `disable`, `enable`, `remove`) changed it, re-reads the
//! installed plugins and swaps the command table without a restart.
//!
//! Every admin command writes `approvals.json` last (by rename), so when it changes the
//! plugin files it refers to are already in place.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::service::Hearth;

/// How often `approvals.json` is looked at.
const POLL: Duration = Duration::from_millis(250);

fn stamp(data_dir: &Path) -> Option<Vec<u8>> {
    std::fs::read(super::plugins_dir(data_dir).join("approvals.json")).ok()
}

/// Starts the watcher on the current tokio runtime.
pub fn start(hearth: Arc<Hearth>) {
    tokio::spawn(async move {
        let data_dir = hearth.root().path().to_path_buf();
        let mut last = stamp(&data_dir);
        loop {
            tokio::time::sleep(POLL).await;
            let now = stamp(&data_dir);
            if now == last {
                continue;
            }
            last = now;
            match hearth.reload_plugins().await {
                Ok(()) => tracing::info!("plugins reloaded: the new command table is in effect"),
                Err(error) => {
                    tracing::error!(%error, "plugin reload failed; the previous plugins stay in effect")
                }
            }
        }
    });
}
