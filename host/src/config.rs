//! `hearth serve --config FILE`: optional TOML settings; everything has an embedded default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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

    /// How long a verified password stays cached.
    pub fn password_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.password_cache_seconds.unwrap_or(60))
    }
}
