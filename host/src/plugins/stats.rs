//! Per-plugin limit counters and the auto-disable policy: which limit a failed command hit
//! (memory, time, output, stack, or another trap), counted per plugin and persisted under
//! `plugins/stats/<name>.json` for `hearth plugin inspect`. Written only when a command
//! fails in the sandbox, never on the path of a successful call.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{RegistryError, plugins_dir, write_atomic};
use crate::runtime::RuntimeError;

/// Which limit stopped a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitKind {
    Memory,
    Time,
    Output,
    Stack,
    /// Any other trap (a panic, an unreachable, a failed host call).
    Trap,
}

impl LimitKind {
    /// Every kind, in the order `plugin inspect` shows them.
    pub const ALL: [LimitKind; 5] = [
        LimitKind::Memory,
        LimitKind::Time,
        LimitKind::Output,
        LimitKind::Stack,
        LimitKind::Trap,
    ];

    /// The limit a sandbox failure was, or `None` for one that is not the plugin's doing
    /// (the server was busy, the sandbox could not be prepared).
    pub fn of(error: &RuntimeError) -> Option<Self> {
        match error {
            RuntimeError::MemoryLimit(_) => Some(Self::Memory),
            RuntimeError::Timeout(_) => Some(Self::Time),
            RuntimeError::OutputTooLarge(_) => Some(Self::Output),
            RuntimeError::StackOverflow(_) => Some(Self::Stack),
            RuntimeError::Trap(_) => Some(Self::Trap),
            RuntimeError::Busy | RuntimeError::Setup(_) => None,
        }
    }

    /// Its name in the log, the stats file and `plugin inspect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Time => "time",
            Self::Output => "output",
            Self::Stack => "stack",
            Self::Trap => "trap",
        }
    }
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `disable_after_traps` within `trap_window`: a plugin whose commands fail that often is
/// disabled, as `hearth plugin disable` would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapPolicy {
    pub disable_after_traps: u32,
    pub window: Duration,
}

/// Why and when a plugin was disabled automatically.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AutoDisabled {
    /// Seconds since the epoch.
    pub at: u64,
    pub reason: String,
}

/// `plugins/stats/<name>.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PluginStats {
    /// Limit → how often a command of this plugin hit it.
    #[serde(default)]
    pub limits_hit: BTreeMap<LimitKind, u64>,
    /// When the most recent failures happened (seconds since the epoch), for the policy.
    #[serde(default)]
    pub recent: VecDeque<u64>,
    #[serde(default)]
    pub auto_disabled: Option<AutoDisabled>,
}

/// The stats file of plugin `name`.
pub fn stats_path(data_dir: &Path, name: &str) -> PathBuf {
    plugins_dir(data_dir)
        .join("stats")
        .join(format!("{name}.json"))
}

impl PluginStats {
    /// Reads a plugin's stats; a missing or unreadable file is empty stats.
    pub fn load(data_dir: &Path, name: &str) -> Self {
        std::fs::read(stats_path(data_dir, name))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, data_dir: &Path, name: &str) -> Result<(), RegistryError> {
        let text = serde_json::to_vec_pretty(self).expect("stats serialise");
        write_atomic(&stats_path(data_dir, name), &text)
    }

    /// Counts one hit at `now`; returns whether `policy` now calls for disabling the plugin.
    pub fn count(&mut self, kind: LimitKind, now: u64, policy: Option<TrapPolicy>) -> bool {
        *self.limits_hit.entry(kind).or_default() += 1;
        let Some(policy) = policy else {
            self.recent.clear();
            return false;
        };
        self.recent.push_back(now);
        let window = policy.window.as_secs();
        while self
            .recent
            .front()
            .is_some_and(|at| now.saturating_sub(*at) >= window.max(1))
        {
            self.recent.pop_front();
        }
        while self.recent.len() > policy.disable_after_traps as usize {
            self.recent.pop_front();
        }
        policy.disable_after_traps > 0 && self.recent.len() >= policy.disable_after_traps as usize
    }
}

/// The server's record of limit hits. Each failure reads and rewrites the plugin's small
/// stats file (so counts survive restarts and an admin's `enable` clears a disable reason);
/// successful calls never touch it.
pub struct StatsRecorder {
    data_dir: PathBuf,
    policies: HashMap<String, TrapPolicy>,
    /// Serialises the read-modify-write of stats files.
    writing: Mutex<()>,
}

impl StatsRecorder {
    pub fn new(data_dir: PathBuf, policies: HashMap<String, TrapPolicy>) -> Self {
        Self {
            data_dir,
            policies,
            writing: Mutex::new(()),
        }
    }

    /// Records that `command` of `plugin` failed with `error`: logs which limit it hit,
    /// counts it, and disables the plugin when its policy says so (the watcher then swaps
    /// it out of the running server).
    pub fn record(&self, plugin: &str, command: &str, error: &RuntimeError) {
        let Some(kind) = LimitKind::of(error) else {
            return;
        };
        tracing::warn!(plugin, command, limit = %kind, "plugin hit its {kind} limit");
        let policy = self.policies.get(plugin).copied();
        let now = super::now();
        let _one_at_a_time = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut stats = PluginStats::load(&self.data_dir, plugin);
        let disable = stats.count(kind, now, policy) && stats.auto_disabled.is_none();
        if disable && let Some(policy) = policy {
            let reason = format!(
                "its commands failed {} times within {} s (last: {command} hit its {kind} limit)",
                policy.disable_after_traps,
                policy.window.as_secs()
            );
            match super::set_enabled(&self.data_dir, plugin, false) {
                Ok(()) => {
                    tracing::error!(plugin, %reason, "plugin disabled automatically");
                    stats.auto_disabled = Some(AutoDisabled { at: now, reason });
                    stats.recent.clear();
                }
                Err(error) => {
                    tracing::error!(plugin, %error, "the trap policy could not disable the plugin")
                }
            }
        }
        if let Err(error) = stats.save(&self.data_dir, plugin) {
            tracing::warn!(plugin, %error, "could not write the plugin's stats");
        }
    }
}

/// Forgets an automatic disable (when the admin enables the plugin again).
pub fn clear_auto_disabled(data_dir: &Path, name: &str) -> Result<(), RegistryError> {
    let mut stats = PluginStats::load(data_dir, name);
    if stats.auto_disabled.take().is_some() {
        stats.save(data_dir, name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_limit_without_a_policy() {
        let mut stats = PluginStats::default();
        assert!(!stats.count(LimitKind::Memory, 10, None));
        assert!(!stats.count(LimitKind::Memory, 11, None));
        assert!(!stats.count(LimitKind::Stack, 12, None));
        assert_eq!(stats.limits_hit[&LimitKind::Memory], 2);
        assert_eq!(stats.limits_hit[&LimitKind::Stack], 1);
        assert!(stats.recent.is_empty());
    }

    #[test]
    fn the_policy_fires_on_the_nth_failure_within_the_window() {
        let policy = Some(TrapPolicy {
            disable_after_traps: 3,
            window: Duration::from_secs(60),
        });
        let mut stats = PluginStats::default();
        assert!(!stats.count(LimitKind::Trap, 0, policy));
        assert!(!stats.count(LimitKind::Time, 30, policy));
        // The first failure has left the window by now.
        assert!(!stats.count(LimitKind::Trap, 61, policy));
        assert!(stats.count(LimitKind::Trap, 62, policy));
    }

    #[test]
    fn stats_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut stats = PluginStats::default();
        stats.count(LimitKind::Output, 5, None);
        stats.save(dir.path(), "p").unwrap();
        assert_eq!(PluginStats::load(dir.path(), "p"), stats);
        assert_eq!(
            PluginStats::load(dir.path(), "missing"),
            PluginStats::default()
        );
    }
}
