//! The in-process core shared by the HTTP API, `hearth call` and the benchmarks: an open data
//! root, the loaded plugins, and the path from a resolved command to its outcome.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hearth_sdk::ReturnCode;
use std::net::IpAddr;

use crate::guard::{AbuseConfig, Guard, SystemClock};

use crate::audit::AuditLog;
use crate::authlog::AuthLog;
use crate::data::{DataError, DataRoot, Settings};
use crate::locks::Locks;
use crate::names::NameRegistry;
use crate::policy;
use crate::reloads::ReloadQueue;
pub use crate::runtime::failure_outcome;
use crate::runtime::{
    HostServices, Limits, LoadError, Outcome, PluginSource, ResolvedCommand, Runtime,
};
use crate::secrets::PasswordCache;

/// Opening a data root for serving failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("data root {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Plugins(crate::plugins::RegistryError),
}

/// How to open a data root.
#[derive(Clone, Debug)]
pub struct Options {
    pub data_dir: PathBuf,
    pub limits: Limits,
    /// How long a verified legacy password is remembered.
    pub password_cache_ttl: Duration,
    /// Peers whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Ban and alert thresholds.
    pub abuse: AbuseConfig,
    /// Limits of plugins configured apart (`[plugins.NAME]`).
    pub plugin_limits: HashMap<String, Limits>,
    /// Plugins disabled automatically when they keep failing.
    pub trap_policies: HashMap<String, crate::plugins::stats::TrapPolicy>,
    /// Memoized reads (`runtime::Runtime::set_memoize_reads`).
    pub memoize_reads: bool,
}

impl Options {
    /// Defaults for `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            limits: Limits::default(),
            password_cache_ttl: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            abuse: AbuseConfig::default(),
            plugin_limits: HashMap::new(),
            trap_policies: HashMap::new(),
            memoize_reads: true,
        }
    }
}

/// How long a `v-make-tmp-file` entry can be used.
const SPOOL_TTL: Duration = Duration::from_secs(300);

/// `v-make-tmp-file` without `/tmp`: contents kept in memory, visible only to later commands
/// of the same principal, for a few minutes.
#[derive(Default)]
struct Spool {
    entries: Mutex<HashMap<(String, String), (String, Instant)>>,
}

impl Spool {
    fn put(&self, owner: &str, name: &str, contents: String) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (_, at)| now.duration_since(*at) < SPOOL_TTL);
        entries.insert((owner.to_string(), name.to_string()), (contents, now));
    }

    fn first_line(&self, owner: &str, name: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (contents, at) = entries.get(&(owner.to_string(), name.to_string()))?;
        (at.elapsed() < SPOOL_TTL).then(|| contents.lines().next().unwrap_or("").to_string())
    }

    /// The whole file, for a manifest `file-args` position. Like Hestia's `mv` of the file
    /// into place, using it removes it.
    fn take(&self, owner: &str, name: &str) -> Option<String> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (contents, at) = entries.remove(&(owner.to_string(), name.to_string()))?;
        (at.elapsed() < SPOOL_TTL).then_some(contents)
    }
}

/// The spool name a `/tmp/<name>` password argument refers to (Hestia's rule: starts with
/// `/tmp/`, no `../`).
fn spool_name(arg: &str) -> Option<&str> {
    let name = arg.strip_prefix("/tmp/")?;
    (!arg.contains("../") && !name.is_empty() && !name.contains('/')).then_some(name)
}

/// PHP's `basename()` of a `v-make-tmp-file` target.
fn basename(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// An open hearth: data root, plugins, locks and logs.
pub struct Hearth {
    root: Arc<DataRoot>,
    runtime: Runtime,
    passwords: PasswordCache,
    locks: Locks,
    audit: AuditLog,
    services: Arc<HostServices>,
    spool: Spool,
    guard: Guard,
    trusted_proxies: Vec<IpAddr>,
    alerts: crate::authlog::AuthLog,
    history: crate::history::PendingEntries,
}

/// The built-in plugins embedded in the binary.
pub fn builtin_plugins() -> Vec<PluginSource> {
    crate::embedded::EMBEDDED
        .iter()
        .map(|(name, bytes)| PluginSource {
            name: (*name).to_string(),
            bytes: bytes.to_vec(),
        })
        .collect()
}

impl Hearth {
    /// Opens an initialised data root and loads the built-in and installed plugins.
    pub async fn open(options: &Options) -> Result<Self, OpenError> {
        let io_error = |source| OpenError::Io {
            path: options.data_dir.clone(),
            source,
        };
        let root = Arc::new(DataRoot::open(&options.data_dir).map_err(io_error)?);
        crate::staging::recover(root.path()).map_err(io_error)?;
        let log_dir = root.path().join("log");
        std::fs::create_dir_all(&log_dir).map_err(io_error)?;
        let services = Arc::new(HostServices {
            auth_log: AuthLog::open(&log_dir.join("auth.log")).map_err(io_error)?,
            names: NameRegistry::new(root.dir().open_dir("data/users").map_err(io_error)?),
            reloads: ReloadQueue::new(root.dir().try_clone().map_err(io_error)?),
            root: root.clone(),
            cluster: Arc::new(crate::cluster::Cluster::new(root.clone())),
        });
        let audit = AuditLog::open(&log_dir.join("audit.jsonl")).map_err(io_error)?;
        let mut sources = builtin_plugins();
        // Installed plugins load only when approved and unchanged (see `crate::plugins`).
        let installed = crate::plugins::scan(root.path()).map_err(OpenError::Plugins)?;
        for (name, reason) in &installed.skipped {
            tracing::warn!(plugin = name.as_str(), %reason, "installed plugin not loaded");
        }
        sources.extend(installed.sources);
        let settings = crate::runtime::PluginSettings {
            limits: options.plugin_limits.clone(),
            recorder: Some(crate::plugins::stats::StatsRecorder::new(
                root.path().to_path_buf(),
                options.trap_policies.clone(),
            )),
        };
        let runtime = Runtime::load_configured(
            sources,
            root.path().join("cache"),
            options.limits.clone(),
            settings,
            services.clone(),
            &installed.winners,
        )
        .await?;
        runtime.set_memoize_reads(options.memoize_reads);
        Ok(Self {
            root,
            runtime,
            passwords: PasswordCache::new(options.password_cache_ttl),
            locks: Locks::default(),
            audit,
            services,
            spool: Spool::default(),
            guard: Guard::new(options.abuse.clone(), Arc::new(SystemClock)),
            trusted_proxies: options.trusted_proxies.clone(),
            alerts: AuthLog::open(&log_dir.join("alerts.log")).map_err(io_error)?,
            history: Default::default(),
        })
    }

    /// The data root.
    pub fn root(&self) -> &DataRoot {
        &self.root
    }

    /// The loaded plugins.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Re-reads the installed plugins and hot-swaps them in (see `Runtime::swap`): calls in
    /// flight finish on the version they started with; on error nothing changes.
    pub async fn reload_plugins(&self) -> Result<(), OpenError> {
        let installed = crate::plugins::scan(self.root.path()).map_err(OpenError::Plugins)?;
        for (name, reason) in &installed.skipped {
            tracing::warn!(plugin = name.as_str(), %reason, "installed plugin not loaded");
        }
        let mut sources = builtin_plugins();
        sources.extend(installed.sources);
        self.runtime.swap(sources, &installed.winners).await?;
        Ok(())
    }

    /// The host interfaces' shared state (used to validate a plugin being installed).
    pub fn services(&self) -> &Arc<HostServices> {
        &self.services
    }

    /// The sandbox limits this hearth was opened with.
    pub fn limits(&self) -> &Limits {
        self.runtime.limits()
    }

    /// The current `hestia.conf` switches.
    pub fn settings(&self) -> Result<Arc<Settings>, DataError> {
        self.root.settings()
    }

    /// The verified-password cache.
    pub fn passwords(&self) -> &PasswordCache {
        &self.passwords
    }

    /// `log/auth.log`.
    pub fn auth_log(&self) -> &AuthLog {
        &self.services.auth_log
    }

    /// The ban table.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The client address of a request: the TCP peer, or, only when the peer is a trusted
    /// proxy, the nearest untrusted address its `X-Forwarded-For` names.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let Some(chain) = forwarded_for else {
            return peer;
        };
        let mut nearest = peer;
        for hop in chain.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    nearest = ip.to_canonical();
                    if !self.trusted_proxies.contains(&nearest) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        nearest
    }

    /// Records an authentication or permission failure: the `failed to login` line fail2ban
    /// reads, the ban counter, and an alert when one key fails from many addresses.
    pub fn login_failed(&self, who: &str, ip: &str, key: Option<&str>) {
        self.services.auth_log.record(who, ip, "failed to login");
        let effect = self.guard.record_failure(ip, key);
        if effect.banned {
            tracing::warn!(ip, "address banned after repeated failures");
        }
        if let (Some(addresses), Some(key)) = (effect.key_alert, key) {
            tracing::warn!(key, addresses, "alert: key failing from many addresses");
            self.alerts.record(
                key,
                ip,
                &format!("key failed to login from {addresses} addresses"),
            );
        }
    }

    /// Appends a Hestia history entry (`ID='n' DATE=… LEVEL=… CATEGORY=… MESSAGE=…`) to a
    /// user's `history.log`, under the user's lock so no plugin write is lost. Entries queued
    /// while another request holds the lock are written together (`history::PendingEntries`).
    /// A user whose folder is gone or not a real folder gets no file made: that is checked
    /// before the file is opened or cut back, not while an earlier append's descriptor is
    /// still the file at the path (`history::append_all`).
    pub async fn log_history(&self, user: &str, level: &str, category: &str, message: &str) {
        let place = self.history.queue(
            user,
            crate::history::Entry {
                level: level.to_string(),
                category: category.to_string(),
                message: message.to_string(),
            },
        );
        let _guard = self
            .locks
            .acquire(&crate::grant::LockScope::User(user.to_string()))
            .await;
        let Some((entries, upto, known)) = self.history.take(user, place) else {
            return;
        };
        let user_folder_is_real = || self.root.user_dir(user).is_some();
        let known =
            crate::history::append_all(self.root.dir(), user, &entries, known, user_folder_is_real)
                .unwrap_or_else(|error| {
                    tracing::error!(user, %error, "could not write history.log");
                    None
                });
        self.history.written(user, upto, known);
    }

    /// Starts writing `log/audit.jsonl` and `log/auth.log` back to disk every second (serving
    /// processes only: see [`crate::log_writeback`]).
    pub fn start_log_writeback(&self) {
        let started =
            crate::log_writeback::start(&[self.audit.file(), self.services.auth_log.file()]);
        if let Err(error) = started {
            tracing::warn!(%error, "could not start writing the logs back");
        }
    }

    /// Starts delivering the DNS cluster's queued pushes (serving processes only; a
    /// `hearth call` only queues them).
    pub fn start_cluster_worker(&self) {
        self.services.cluster.start_worker();
    }

    /// `log/audit.jsonl`.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// `v-make-tmp-file CONTENTS NAME` for `owner`.
    pub fn make_tmp_file(&self, owner: &str, args: &[String]) {
        let contents = args.first().cloned().unwrap_or_default();
        let name = basename(args.get(1).map(String::as_str).unwrap_or(""));
        if !name.is_empty() {
            self.spool.put(owner, name, contents + "\n");
        }
    }

    /// Runs a resolved command for `owner` (the spool owner: whose `/tmp/` files the secret
    /// arguments may name) in a fresh sandbox under its lock.
    pub async fn execute(
        &self,
        owner: &str,
        command: &ResolvedCommand,
        args: &[String],
        root_user: &str,
    ) -> Outcome {
        let spec = command.spec();
        let mut args = args.to_vec();
        for position in &spec.secret_args {
            let index = (*position as usize).saturating_sub(1);
            if let Some(arg) = args.get_mut(index)
                && let Some(name) = spool_name(arg)
                && let Some(line) = self.spool.first_line(owner, name)
            {
                *arg = line;
            }
        }
        for position in &spec.file_args {
            let index = (*position as usize).saturating_sub(1);
            if let Some(arg) = args.get_mut(index)
                && let Some(name) = spool_name(arg)
                && let Some(contents) = self.spool.take(owner, name)
            {
                *arg = contents;
            }
        }
        let grant = policy::grant_for(&self.root, spec, &args);
        let _guard = self.locks.acquire(grant.lock()).await;
        let grant = match crate::staging::Stage::prepare(&self.root, grant) {
            Ok(grant) => grant,
            Err(error) => {
                tracing::error!(command = spec.name, %error, "could not stage the command");
                return error.outcome(&spec.name);
            }
        };
        let outcome = match self.runtime.invoke(command, &args, root_user, &grant).await {
            Ok(outcome) => match grant.stage().and_then(|stage| stage.failure(&spec.name)) {
                Some(failure) => failure,
                None => outcome,
            },
            Err(error) => {
                tracing::error!(
                    command = spec.name,
                    plugin = command.plugin.name(),
                    error = %error,
                    what = %crate::diagnose::cause(&error),
                    cause = ?std::error::Error::source(&error),
                    "command failed in the sandbox"
                );
                failure_outcome(&spec.name, &error)
            }
        };
        if grant.stage().is_some()
            && let crate::grant::LockScope::User(user) = grant.lock()
        {
            self.history.forget(user);
        }
        outcome
    }

    /// Runs a command as the root admin, as Hestia's `v-*` binaries do from a shell.
    pub async fn call_local(&self, command: &str, args: &[String]) -> Result<Outcome, DataError> {
        let root_user = self.settings()?.root_user().to_string();
        if command == "v-make-tmp-file" {
            self.make_tmp_file(&root_user, args);
            return Ok(Outcome::new(0, String::new()));
        }
        Ok(match self.runtime.resolve(command) {
            Some(resolved) => self.execute(&root_user, &resolved, args, &root_user).await,
            None => Outcome::new(
                ReturnCode::Forbidden.as_u8(),
                format!("Error: Command {command} not found"),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_names_follow_hestia_rules() {
        assert_eq!(spool_name("/tmp/clusterpassword"), Some("clusterpassword"));
        assert_eq!(spool_name("/tmp/../etc/shadow"), None);
        assert_eq!(spool_name("/tmp/a/b"), None);
        assert_eq!(spool_name("secret"), None);
        assert_eq!(basename("/tmp/x"), "x");
        assert_eq!(basename("x"), "x");
    }

    #[test]
    fn spool_is_per_owner() {
        let spool = Spool::default();
        spool.put("admin", "pw", "first\nsecond\n".into());
        assert_eq!(spool.first_line("admin", "pw").as_deref(), Some("first"));
        assert_eq!(spool.first_line("other", "pw"), None);
        assert_eq!(spool.take("other", "pw"), None);
        assert_eq!(
            spool.take("admin", "pw").as_deref(),
            Some("first\nsecond\n")
        );
        assert_eq!(spool.take("admin", "pw"), None);
    }
}
