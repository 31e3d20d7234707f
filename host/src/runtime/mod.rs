//! The sandbox: a wasmtime engine with the pooling allocator, one `InstancePre` per plugin,
//! and a fresh `Store` with exactly the granted preopens for every invocation.

mod bindings;
mod engine;
mod host_state;
mod plugin;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::Engine;

pub use bindings::hearth::plugin::types::{Access, CommandSpec, DirGrant, Manifest};
pub use engine::{EngineTicker, Limits};
pub use host_state::HostServices;
pub use plugin::{LoadedPlugin, PluginSource};

use crate::grant::Grant;

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
}

/// Every loaded plugin and the command table they provide.
pub struct Runtime {
    engine: Engine,
    limits: Limits,
    services: Arc<HostServices>,
    commands: HashMap<String, (Arc<LoadedPlugin>, usize)>,
    plugins: Vec<Arc<LoadedPlugin>>,
    slots: tokio::sync::Semaphore,
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
        let engine = engine::build(&limits).map_err(|source| LoadError::Wasm {
            name: "engine".into(),
            source,
        })?;
        let ticker = EngineTicker::start(&engine);
        let linker = plugin::linker(&engine).map_err(|source| LoadError::Wasm {
            name: "linker".into(),
            source,
        })?;
        let mut plugins = Vec::new();
        let mut commands: HashMap<String, (Arc<LoadedPlugin>, usize)> = HashMap::new();
        for source in sources {
            let loaded = Arc::new(
                LoadedPlugin::load(&engine, &linker, &cache_dir, source, &limits, &services)
                    .await?,
            );
            for (index, spec) in loaded.manifest().commands.iter().enumerate() {
                if let Some((first, _)) = commands.get(&spec.name) {
                    return Err(LoadError::DuplicateCommand {
                        command: spec.name.clone(),
                        first: first.name().to_string(),
                        second: loaded.name().to_string(),
                    });
                }
                commands.insert(spec.name.clone(), (loaded.clone(), index));
            }
            plugins.push(loaded);
        }
        Ok(Self {
            slots: tokio::sync::Semaphore::new(limits.max_concurrent),
            engine,
            limits,
            services,
            commands,
            plugins,
            _ticker: ticker,
        })
    }

    /// The command called `name`, if a plugin provides it.
    pub fn resolve(&self, name: &str) -> Option<ResolvedCommand> {
        self.commands
            .get(name)
            .map(|(plugin, index)| ResolvedCommand {
                plugin: plugin.clone(),
                index: *index,
            })
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
    }

    /// Runs one command in a fresh store holding exactly `grant`'s directories.
    pub async fn invoke(
        &self,
        command: &ResolvedCommand,
        args: &[String],
        root_user: &str,
        grant: &Grant,
    ) -> Result<Outcome, RuntimeError> {
        let _slot = self.slots.try_acquire().map_err(|_| RuntimeError::Busy)?;
        command
            .plugin
            .invoke(
                &self.engine,
                &self.limits,
                &self.services,
                &command.spec().name,
                args,
                root_user,
                grant,
            )
            .await
    }
}
