//! `hearth serve --config FILE`: optional TOML settings; everything has an embedded default.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::plugins::stats::TrapPolicy;
use crate::runtime::Limits;

/// The configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `0.0.0.0:8083`.
    pub listen: Option<String>,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Seconds a verified legacy password stays cached.
    pub password_cache_seconds: Option<u64>,
    /// Peers whose `X-Forwarded-For` is believed. Nobody else's is.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    #[serde(default)]
    pub abuse: crate::guard::AbuseConfig,
    /// Also serve OWP's Remote API (only `/api/<controller>/<method>`) over plain HTTP here,
    /// as OWP does on port 3000, e.g. `127.0.0.1:3000`. Basic auth travels in clear text:
    /// bind it to loopback or put a TLS proxy in front.
    pub owp_listen: Option<String>,
    /// Give the kept answer of a read-only command while nothing it read has changed
    /// (default `true`); `false` runs the plugin for every request.
    pub memoize_reads: Option<bool>,
    /// `[plugins.NAME]`: one plugin's limits and trap policy.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginConfig>,
}

/// `[plugins.NAME]`: limits for one plugin's commands (each defaults to `[limits]`) and the
/// policy that disables it when it keeps failing.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    pub memory_mb: Option<usize>,
    pub timeout_ms: Option<u64>,
    pub output_bytes: Option<usize>,
    /// Disable the plugin after this many sandbox failures (limit hits and traps)...
    pub disable_after_traps: Option<u32>,
    /// ...within this many seconds (default 3600).
    pub trap_window_seconds: Option<u64>,
}

/// `[limits]`: per-command sandbox limits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub memory_mb: Option<usize>,
    pub timeout_ms: Option<u64>,
    pub output_bytes: Option<usize>,
    pub max_concurrent: Option<usize>,
}

/// Reading the configuration failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

impl Config {
    /// Reads a TOML file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The sandbox limits, defaults filled in.
    pub fn limits(&self) -> Limits {
        let defaults = Limits::default();
        Limits {
            memory_bytes: self
                .limits
                .memory_mb
                .map_or(defaults.memory_bytes, |mb| mb << 20),
            timeout: self
                .limits
                .timeout_ms
                .map_or(defaults.timeout, Duration::from_millis),
            output_bytes: self.limits.output_bytes.unwrap_or(defaults.output_bytes),
            max_concurrent: self
                .limits
                .max_concurrent
                .unwrap_or(defaults.max_concurrent),
        }
    }

    /// The limits of each plugin that has a `[plugins.NAME]` section.
    pub fn plugin_limits(&self) -> HashMap<String, Limits> {
        let global = self.limits();
        self.plugins
            .iter()
            .map(|(name, plugin)| {
                let limits = Limits {
                    memory_bytes: plugin.memory_mb.map_or(global.memory_bytes, |mb| mb << 20),
                    timeout: plugin
                        .timeout_ms
                        .map_or(global.timeout, Duration::from_millis),
                    output_bytes: plugin.output_bytes.unwrap_or(global.output_bytes),
                    ..global.clone()
                };
                (name.clone(), limits)
            })
            .collect()
    }

    /// The trap policy of each plugin that sets `disable_after_traps`.
    pub fn trap_policies(&self) -> HashMap<String, TrapPolicy> {
        self.plugins
            .iter()
            .filter_map(|(name, plugin)| {
                let disable_after_traps = plugin.disable_after_traps.filter(|n| *n > 0)?;
                let policy = TrapPolicy {
                    disable_after_traps,
                    window: Duration::from_secs(plugin.trap_window_seconds.unwrap_or(3600)),
                };
                Some((name.clone(), policy))
            })
            .collect()
    }

    /// How long a verified password stays cached.
    pub fn password_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.password_cache_seconds.unwrap_or(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_section_overrides_the_global_limits() {
        let config: Config = toml::from_str(
            "[limits]\ntimeout_ms = 2000\n[plugins.slow]\nmemory_mb = 32\noutput_bytes = 100\ndisable_after_traps = 3\ntrap_window_seconds = 60\n",
        )
        .unwrap();
        let limits = config.plugin_limits();
        let slow = &limits["slow"];
        assert_eq!(slow.memory_bytes, 32 << 20);
        assert_eq!(slow.timeout, Duration::from_millis(2000));
        assert_eq!(slow.output_bytes, 100);
        assert_eq!(
            config.trap_policies()["slow"],
            TrapPolicy {
                disable_after_traps: 3,
                window: Duration::from_secs(60)
            }
        );
        assert!(toml::from_str::<Config>("[plugins.x]\nmemory = 1\n").is_err());
    }
}
