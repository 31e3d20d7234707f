//! The sandbox: a wasmtime engine with the pooling allocator, one `InstancePre` per plugin,
//! and a fresh `Store` with exactly the granted preopens for every invocation.

mod bindings;
mod copy_on_write;
mod engine;
mod host_state;
mod nodes;
mod plugin;
mod read_cache;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use arc_swap::ArcSwap;
use std::time::Duration;

use hearth_sdk::ReturnCode;

use wasmtime::Engine;

pub use bindings::hearth::plugin::types::{Access, CommandSpec, DirGrant, Manifest};
pub use engine::{EngineTicker, Limits};
pub use host_state::{HostServices, InvocationScope};
pub use plugin::{LoadedPlugin, PluginSource, WIT_VERSION, wit_version_compatible};

use crate::grant::{Grant, LockScope};
use crate::plugins::stats::StatsRecorder;
use crate::policy;

/// How deep commands may call commands (`v-add-domain` → `v-add-mail-domain` →
/// `v-add-dns-record` is two levels).
const MAX_NESTING: u8 = 3;

/// Why an invocation did not produce an outcome. Every variant becomes a clean Hestia error;
/// the guest's own panic or trap text is only logged.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("plugin exceeded its time limit of {0:?}")]
    Timeout(Duration),
    #[error("plugin exceeded its memory limit of {0} bytes")]
    MemoryLimit(usize),
    #[error("plugin output exceeded {0} bytes")]
    OutputTooLarge(usize),
    #[error("plugin overflowed its stack")]
    StackOverflow(#[source] wasmtime::Error),
    #[error("plugin trapped")]
    Trap(#[source] wasmtime::Error),
    #[error("could not prepare the sandbox")]
    Setup(#[source] wasmtime::Error),
    #[error("too many commands are running")]
    Busy,
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("plugin {name}: {source}")]
    Wasm {
        name: String,
        #[source]
        source: wasmtime::Error,
    },
    #[error("plugin {name}: cache {path}: {source}")]
    Cache {
        name: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin {name} imports {interface}, which its manifest does not declare")]
    UndeclaredImport { name: String, interface: String },
    #[error(
        "plugin {name} was built for {found}, an incompatible major version of the plugin interface; this host implements hearth:plugin@{}.{}.{}",
        plugin::WIT_VERSION.0, plugin::WIT_VERSION.1, plugin::WIT_VERSION.2
    )]
    IncompatibleWit { name: String, found: String },
    #[error("command {command} is provided by both {first} and {second}")]
    DuplicateCommand {
        command: String,
        first: String,
        second: String,
    },
    #[error("plugin {name} declares an invalid command {command}: {reason}")]
    InvalidSpec {
        name: String,
        command: String,
        reason: String,
    },
}

/// The result of running a command: the Hestia return code and the text it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub code: u8,
    pub output: String,
    /// Whether this is a memoized read's answer: given by the read cache, or just kept in
    /// it. Such a run only read files (no host interface, so no secret it was handed), and
    /// the answer stays in memory anyway, so a server may keep what it makes of it.
    pub memoized: bool,
}

impl Outcome {
    /// The answer of a run (or a refusal) that is not a memoized read's.
    pub fn new(code: u8, output: String) -> Self {
        Self {
            code,
            output,
            memoized: false,
        }
    }
}

/// What every invocation needs, shared with the host interfaces so that a command can run
/// another one (`commands` interface).
pub struct Core {
    engine: Engine,
    limits: Limits,
    /// Limits of plugins configured apart (`[plugins.NAME]`); others run under `limits`.
    plugin_limits: HashMap<String, Limits>,
    /// Counts limit hits per plugin and applies the trap policy (a server has one).
    recorder: Option<StatsRecorder>,
    services: Arc<HostServices>,
    /// The command table. Hot swap replaces the whole `Arc` in one atomic store; a call in
    /// flight keeps the plugin it resolved, so it finishes on the version it started with.
    commands: ArcSwap<CommandTable>,
}

/// Command name → (plugin, index of its manifest entry).
type CommandTable = HashMap<String, (Arc<LoadedPlugin>, usize)>;

impl Core {
    fn table(&self) -> Arc<CommandTable> {
        self.commands.load_full()
    }

    /// The limits plugin `name` runs under.
    pub(crate) fn limits_for(&self, name: &str) -> &Limits {
        self.plugin_limits.get(name).unwrap_or(&self.limits)
    }

    /// Notes a sandbox failure of `plugin` (log, counters, trap policy).
    fn record_failure(&self, plugin: &str, command: &str, error: &RuntimeError) {
        if let Some(recorder) = &self.recorder {
            recorder.record(plugin, command, error);
        }
    }
}

/// Per-plugin settings of a server: limits that differ from the global ones, and the
/// recorder of limit hits.
#[derive(Default)]
pub struct PluginSettings {
    pub limits: HashMap<String, Limits>,
    pub recorder: Option<StatsRecorder>,
}

/// Every loaded plugin and the command table they provide.
pub struct Runtime {
    core: Arc<Core>,
    plugins: ArcSwap<Vec<Arc<LoadedPlugin>>>,
    linker: wasmtime::component::Linker<host_state::HostState>,
    cache_dir: PathBuf,
    /// Serialises hot swaps.
    swapping: tokio::sync::Mutex<()>,
    slots: tokio::sync::Semaphore,
    /// Answers of read-only runs, kept while what they read is unchanged.
    read_cache: read_cache::ReadCache,
    /// Whether `read_cache` is used (`memoize_reads` in the configuration).
    memoize_reads: std::sync::atomic::AtomicBool,
    _ticker: EngineTicker,
}

/// A command found in the table: its plugin and its manifest entry.
#[derive(Clone)]
pub struct ResolvedCommand {
    pub plugin: Arc<LoadedPlugin>,
    index: usize,
}

impl ResolvedCommand {
    /// The command's manifest entry.
    pub fn spec(&self) -> &CommandSpec {
        &self.plugin.manifest().commands[self.index]
    }
}

impl Runtime {
    /// Builds the engine and loads every plugin, compiling each once into `cache_dir`.
    pub async fn load(
        sources: Vec<PluginSource>,
        cache_dir: PathBuf,
        limits: Limits,
        services: Arc<HostServices>,
    ) -> Result<Self, LoadError> {
        Self::load_with_winners(sources, cache_dir, limits, services, &HashMap::new()).await
    }

    /// Like [`Runtime::load`], where `winners` (command → plugin name) settles commands that
    /// two plugins provide; any other duplicate is refused.
    pub async fn load_with_winners(
        sources: Vec<PluginSource>,
        cache_dir: PathBuf,
        limits: Limits,
        services: Arc<HostServices>,
        winners: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        Self::load_configured(
            sources,
            cache_dir,
            limits,
            PluginSettings::default(),
            services,
            winners,
        )
        .await
    }

    /// Like [`Runtime::load_with_winners`], with per-plugin limits and a recorder of limit
    /// hits.
    pub async fn load_configured(
        sources: Vec<PluginSource>,
        cache_dir: PathBuf,
        limits: Limits,
        settings: PluginSettings,
        services: Arc<HostServices>,
        winners: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let largest_memory = settings
            .limits
            .values()
            .map(|l| l.memory_bytes)
            .fold(limits.memory_bytes, usize::max);
        let engine = engine::build(&limits, largest_memory).map_err(|source| LoadError::Wasm {
            name: "engine".into(),
            source,
        })?;
        let ticker = EngineTicker::start(&engine);
        let linker = plugin::linker(&engine).map_err(|source| LoadError::Wasm {
            name: "linker".into(),
            source,
        })?;
        let mut plugins = Vec::new();
        for source in sources {
            plugins.push(Arc::new(
                LoadedPlugin::load(&engine, &linker, &cache_dir, source, &limits, &services)
                    .await?,
            ));
        }
        let commands = command_table(&plugins, winners)?;
        Ok(Self {
            slots: tokio::sync::Semaphore::new(limits.max_concurrent),
            core: Arc::new(Core {
                engine,
                limits,
                plugin_limits: settings.limits,
                recorder: settings.recorder,
                services,
                commands: ArcSwap::from_pointee(commands),
            }),
            plugins: ArcSwap::from_pointee(plugins),
            linker,
            cache_dir,
            swapping: tokio::sync::Mutex::new(()),
            read_cache: read_cache::ReadCache::default(),
            memoize_reads: std::sync::atomic::AtomicBool::new(true),
            _ticker: ticker,
        })
    }

    /// The command called `name`, if a plugin provides it.
    pub fn resolve(&self, name: &str) -> Option<ResolvedCommand> {
        self.core
            .commands
            .load()
            .get(name)
            .map(|(plugin, index)| ResolvedCommand {
                plugin: plugin.clone(),
                index: *index,
            })
    }

    /// Turns memoized reads on or off (on by default); off, every command runs its plugin.
    pub fn set_memoize_reads(&self, memoize: bool) {
        self.memoize_reads
            .store(memoize, std::sync::atomic::Ordering::Relaxed);
        if !memoize {
            self.read_cache.clear();
        }
    }

    /// How many answers were given from the read cache instead of running a plugin.
    pub fn memoized_answers(&self) -> u64 {
        self.read_cache.hits()
    }

    /// The limits every invocation runs under.
    pub fn limits(&self) -> &Limits {
        &self.core.limits
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> Arc<Vec<Arc<LoadedPlugin>>> {
        self.plugins.load_full()
    }

    /// Hot swap: makes `sources` the loaded plugins, on the same engine. A plugin whose name
    /// and sha256 are unchanged is kept as it is; others are compiled (or taken from the
    /// cache) and described first, and only then is the command table replaced in one step.
    /// Calls in flight finish on the plugin they resolved. On error nothing changes.
    pub async fn swap(
        &self,
        sources: Vec<PluginSource>,
        winners: &HashMap<String, String>,
    ) -> Result<(), LoadError> {
        let _one_at_a_time = self.swapping.lock().await;
        let current = self.plugins();
        let mut plugins = Vec::new();
        for source in sources {
            let sha256 = plugin::sha256_hex(&source.bytes);
            if let Some(kept) = current
                .iter()
                .find(|p| p.name() == source.name && p.sha256() == sha256)
            {
                plugins.push(kept.clone());
                continue;
            }
            let loaded = LoadedPlugin::load(
                &self.core.engine,
                &self.linker,
                &self.cache_dir,
                source,
                &self.core.limits,
                &self.core.services,
            )
            .await?;
            tracing::info!(
                plugin = loaded.name(),
                sha256 = loaded.sha256(),
                "plugin version swapped in"
            );
            plugins.push(Arc::new(loaded));
        }
        for gone in current
            .iter()
            .filter(|old| !plugins.iter().any(|new| Arc::ptr_eq(old, new)))
        {
            tracing::info!(
                plugin = gone.name(),
                sha256 = gone.sha256(),
                "plugin version swapped out"
            );
        }
        let commands = command_table(&plugins, winners)?;
        self.core.commands.store(Arc::new(commands));
        self.plugins.store(Arc::new(plugins));
        self.read_cache.clear();
        Ok(())
    }

    /// Runs one command in a fresh store holding exactly `grant`'s directories.
    pub async fn invoke(
        &self,
        command: &ResolvedCommand,
        args: &[String],
        root_user: &str,
        grant: &Grant,
    ) -> Result<Outcome, RuntimeError> {
        let memo_key = self
            .memoize_reads
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| {
                read_cache::ReadKey::for_invocation(
                    command.plugin.sha256(),
                    &command.spec().name,
                    args,
                    root_user,
                    grant,
                )
            })
            .flatten();
        if let Some(outcome) = memo_key
            .as_ref()
            .and_then(|key| self.read_cache.lookup(key))
        {
            return Ok(outcome);
        }
        let _slot = self.slots.try_acquire().map_err(|_| RuntimeError::Busy)?;
        // Held until the store is gone: no old tree it might open is removed under it.
        let _reading = crate::staging::reader_ticket();
        let scope = InvocationScope {
            user: policy::user_argument(command.spec(), args).map(str::to_string),
            lock: grant.lock().clone(),
            depth: 0,
            record_reads: memo_key.is_some(),
        };
        let result = command
            .plugin
            .invoke(
                &self.core,
                &command.spec().name,
                args,
                root_user,
                grant,
                scope,
            )
            .await;
        match result {
            Err(error) => {
                self.core
                    .record_failure(command.plugin.name(), &command.spec().name, &error);
                Err(error)
            }
            Ok((mut outcome, reads)) => {
                if let (Some(key), Some(inputs)) = (memo_key, reads) {
                    outcome.memoized = self.read_cache.keep(key, inputs, &outcome);
                }
                Ok(outcome)
            }
        }
    }
}

impl Core {
    /// Runs `command` on behalf of a running command (`parent`), as Hestia scripts call each
    /// other. The callee must name the caller's USER (an admin command that writes system
    /// directories may call anything), and must not need a lock the caller does not hold:
    /// the caller's lock already covers it, so none is taken here.
    pub(crate) fn run_nested<'a>(
        self: &'a Arc<Self>,
        parent: &'a InvocationScope,
        root_user: &'a str,
        command: &'a str,
        args: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>> {
        Box::pin(async move {
            let refuse = |message: String| {
                Outcome::new(ReturnCode::Forbidden.as_u8(), format!("Error: {message}"))
            };
            if parent.depth >= MAX_NESTING {
                return refuse(format!("{command} is nested too deeply"));
            }
            let table = self.table();
            let Some((plugin, index)) = table.get(command) else {
                return refuse(format!("Command {command} not found"));
            };
            let spec = &plugin.manifest().commands[*index];
            let user = policy::user_argument(spec, args);
            let admin = parent.lock == LockScope::Global;
            if !admin && (parent.user.is_none() || user != parent.user.as_deref()) {
                return refuse(format!("{command} may only be called for the same user"));
            }
            let grant = policy::grant_for(&self.services.root, spec, args);
            let grant = crate::staging::redirect_nested(grant, &parent.lock);
            if !(admin || *grant.lock() == LockScope::None || *grant.lock() == parent.lock) {
                return refuse(format!("{command} needs a lock its caller does not hold"));
            }
            let scope = InvocationScope {
                user: user.map(str::to_string),
                lock: grant.lock().clone(),
                depth: parent.depth + 1,
                record_reads: false,
            };
            match plugin
                .invoke(self, command, args, root_user, &grant, scope)
                .await
            {
                Ok((outcome, _)) => outcome,
                Err(error) => {
                    tracing::error!(command, plugin = plugin.name(), %error, "nested command failed in the sandbox");
                    self.record_failure(plugin.name(), command, &error);
                    failure_outcome(command, &error)
                }
            }
        })
    }
}

/// Builds the command table; a command two plugins provide goes to the one `winners` names,
/// and is refused otherwise.
fn command_table(
    plugins: &[Arc<LoadedPlugin>],
    winners: &HashMap<String, String>,
) -> Result<CommandTable, LoadError> {
    let mut commands: CommandTable = HashMap::new();
    for loaded in plugins {
        for (index, spec) in loaded.manifest().commands.iter().enumerate() {
            if let Some((first, _)) = commands.get(&spec.name) {
                match winners.get(&spec.name).map(String::as_str) {
                    Some(winner) if winner == first.name() => continue,
                    Some(winner) if winner == loaded.name() => {
                        commands.insert(spec.name.clone(), (loaded.clone(), index));
                        continue;
                    }
                    _ => {}
                }
                return Err(LoadError::DuplicateCommand {
                    command: spec.name.clone(),
                    first: first.name().to_string(),
                    second: loaded.name().to_string(),
                });
            }
            commands.insert(spec.name.clone(), (loaded.clone(), index));
        }
    }
    Ok(commands)
}

/// The clean Hestia error a sandbox failure becomes. The guest's own message is never part
/// of it.
pub fn failure_outcome(command: &str, error: &RuntimeError) -> Outcome {
    let (code, message) = match error {
        RuntimeError::Busy => (
            ReturnCode::LoadAverage,
            "server is too busy, try again later".to_string(),
        ),
        RuntimeError::Timeout(_) => (
            ReturnCode::LoadAverage,
            format!("{command} exceeded its time limit"),
        ),
        RuntimeError::MemoryLimit(_) => (
            ReturnCode::LoadAverage,
            format!("{command} exceeded its memory limit"),
        ),
        RuntimeError::OutputTooLarge(_) => (
            ReturnCode::LoadAverage,
            format!("{command} exceeded its output limit"),
        ),
        RuntimeError::Trap(_) | RuntimeError::StackOverflow(_) => {
            (ReturnCode::Update, format!("{command} failed unexpectedly"))
        }
        RuntimeError::Setup(_) => (
            ReturnCode::Parsing,
            format!("{command} could not be started"),
        ),
    };
    Outcome::new(code.as_u8(), format!("Error: {message}"))
}
