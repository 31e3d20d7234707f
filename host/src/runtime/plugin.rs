//! One loaded plugin: compiled once (cached on disk by content hash and engine), described
//! once, and instantiated per call from its `InstancePre`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

use super::bindings::hearth::plugin::types::{Access, Invocation, Manifest};
use super::bindings::{CommandPlugin, CommandPluginPre};
use super::engine::{EPOCH_TICK, Limits};
use super::host_state::{HostServices, HostState, InvocationScope, Journal, MemoryLimiter};
use super::read_cache::{Input, ReadLog};
use super::{Core, LoadError, Outcome, RuntimeError};
use crate::grant::{Grant, Permission};

/// Host interfaces a plugin may import, besides WASI.
const HEARTH_INTERFACES: &[&str] = &[
    "hearth:plugin/types",
    "hearth:plugin/log",
    "hearth:plugin/secrets",
    "hearth:plugin/auth-log",
    "hearth:plugin/names",
    "hearth:plugin/services",
    "hearth:plugin/commands",
    "hearth:plugin/cluster",
    "hearth:plugin/nodes",
];

/// How much guest stderr is kept for the log per invocation.
const STDERR_CAPTURE: usize = 16 << 10;

/// Directories a system command may ask for, relative to the data root.
pub const SYSTEM_DIRS: &[&str] = &[
    "conf",
    "data/users",
    "data/packages",
    "data/keys",
    "data/access-keys",
    "data/api",
    "data/templates",
    "data/ips",
    "home",
    "owp",
];

/// A plugin's bytes and the name it is known by.
pub struct PluginSource {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A compiled, described plugin ready to instantiate.
pub struct LoadedPlugin {
    name: Arc<str>,
    sha256: String,
    manifest: Manifest,
    imports: Vec<String>,
    pre: CommandPluginPre<HostState>,
}

/// The linker every plugin is instantiated against: WASI 0.2 and the hearth interfaces.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    defer_staged_syncs(&mut linker)?;
    super::copy_on_write::add_to_linker(&mut linker)?;
    super::read_cache::track_reads(&mut linker)?;
    // Every call of a hearth interface passes here; none is covered by file stamps.
    CommandPlugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| {
        state.untracked_input();
        state
    })?;
    Ok(linker)
}

/// The WASI filesystem package the linker serves (semver-compatible with what guests import).
pub(super) const WASI_FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Replaces WASI's `descriptor.sync` and `descriptor.sync-data`: in a staged invocation they
/// succeed without syncing, because nothing it writes in the stage is visible before the
/// commit, and the commit `syncfs`es the filesystems of the stage and of every other writable
/// directory (a home) before the exchange and before the answer (`Stage::commit`). A guest's
/// per-file `fsync` there (the SDK syncs every replaced file) would cost a disk flush per file
/// and add no durability the answer does not already have. Elsewhere they sync.
fn defer_staged_syncs(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime::component::Resource;
    use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
    use wasmtime_wasi::p2::bindings::filesystem::types::{ErrorCode, HostDescriptor};
    linker.allow_shadowing(true);
    let mut types = linker.instance(WASI_FILESYSTEM_TYPES)?;
    for (name, data_only) in [
        ("[method]descriptor.sync", false),
        ("[method]descriptor.sync-data", true),
    ] {
        types.func_wrap_async(
            name,
            move |mut store: wasmtime::StoreContextMut<'_, HostState>,
                  (descriptor,): (Resource<Descriptor>,)| {
                Box::new(async move {
                    let state = store.data_mut();
                    if state.syncs_deferred {
                        // Still an error for a descriptor that does not exist.
                        state.table.get(&descriptor)?;
                        return Ok((Ok::<(), ErrorCode>(()),));
                    }
                    let mut view = state.filesystem();
                    let synced = if data_only {
                        HostDescriptor::sync_data(&mut view, descriptor).await
                    } else {
                        HostDescriptor::sync(&mut view, descriptor).await
                    };
                    Ok((super::read_cache::fs_result(synced)?,))
                })
            },
        )?;
    }
    linker.allow_shadowing(false);
    Ok(())
}

/// The sha256 of component bytes, hex (the pin `LoadedPlugin::sha256` reports).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The engine part of a compile cache key: equal for engines that can share compiled code.
pub(crate) fn engine_fingerprint(engine: &Engine) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The version of the `hearth:plugin` WIT package this host implements.
pub const WIT_VERSION: (u64, u64, u64) = (0, 1, 0);

/// Whether a plugin built for `hearth:plugin@{version}` can run on this host: the same major
/// version (for 0.x, the same minor, as semver treats it).
pub fn wit_version_compatible(version: &str) -> bool {
    let mut parts = version.split(['.', '-', '+']).map(str::parse::<u64>);
    let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) else {
        return false;
    };
    if WIT_VERSION.0 == 0 {
        major == 0 && minor == WIT_VERSION.1
    } else {
        major == WIT_VERSION.0
    }
}

/// Refuses a component whose `hearth:plugin` imports are of an incompatible major version.
fn check_wit_version(name: &str, imports: &[String]) -> Result<(), LoadError> {
    for import in imports {
        if let Some(rest) = import.strip_prefix("hearth:plugin/")
            && let Some((_, version)) = rest.split_once('@')
            && !wit_version_compatible(version)
        {
            return Err(LoadError::IncompatibleWit {
                name: name.to_string(),
                found: format!("hearth:plugin@{version}"),
            });
        }
    }
    Ok(())
}

fn unversioned(interface: &str) -> &str {
    interface.split('@').next().unwrap_or(interface)
}

impl LoadedPlugin {
    /// Compiles (or loads from cache), links, describes and checks a plugin.
    pub async fn load(
        engine: &Engine,
        linker: &Linker<HostState>,
        cache_dir: &Path,
        source: PluginSource,
        limits: &Limits,
        services: &Arc<HostServices>,
    ) -> Result<Self, LoadError> {
        let name = source.name.clone();
        let wasm_error = |source| LoadError::Wasm {
            name: name.clone(),
            source,
        };
        let sha256 = hex::encode(Sha256::digest(&source.bytes));
        let component = load_component(engine, cache_dir, &name, &sha256, &source.bytes)?;
        let imports: Vec<String> = component
            .component_type()
            .imports(engine)
            .map(|(import, _)| import.to_string())
            .collect();
        check_wit_version(&name, &imports)?;
        let pre = CommandPluginPre::new(linker.instantiate_pre(&component).map_err(wasm_error)?)
            .map_err(wasm_error)?;
        let plugin_name: Arc<str> = Arc::from(name.as_str());
        let manifest = describe(engine, &pre, limits, services, &plugin_name)
            .await
            .map_err(wasm_error)?;
        let plugin = Self {
            name: plugin_name,
            sha256,
            manifest,
            imports,
            pre,
        };
        plugin.check()?;
        Ok(plugin)
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sha256 of the component bytes, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// What `describe` returned.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The interfaces the component imports, from its type.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// Refuses undeclared hearth imports and manifest entries the host cannot honour.
    fn check(&self) -> Result<(), LoadError> {
        for import in &self.imports {
            let interface = unversioned(import);
            if !interface.starts_with("hearth:") || interface == "hearth:plugin/types" {
                continue;
            }
            let declared = self
                .manifest
                .interfaces
                .iter()
                .any(|request| unversioned(&request.name) == interface);
            if !declared || !HEARTH_INTERFACES.contains(&interface) {
                return Err(LoadError::UndeclaredImport {
                    name: self.name.to_string(),
                    interface: import.clone(),
                });
            }
        }
        for spec in &self.manifest.commands {
            let invalid = |reason: &str| LoadError::InvalidSpec {
                name: self.name.to_string(),
                command: spec.name.clone(),
                reason: reason.to_string(),
            };
            if !crate::policy::is_command_name(&spec.name) {
                return Err(invalid("the name is not a valid command name"));
            }
            if (spec.user_access != Access::None || spec.home_access != Access::None)
                && spec.user_arg == 0
            {
                return Err(invalid(
                    "user or home access needs a USER argument position",
                ));
            }
            for dir in &spec.system_dirs {
                if !SYSTEM_DIRS.contains(&dir.path.as_str()) {
                    return Err(invalid(&format!("unknown system directory {}", dir.path)));
                }
            }
        }
        Ok(())
    }

    /// Runs one command in a fresh store. What it changed through host interfaces is kept
    /// only when it returns code 0. With `scope.record_reads`, also what it read, when its
    /// answer depends on nothing else (`read_cache`).
    pub(crate) async fn invoke(
        &self,
        core: &Arc<Core>,
        command: &str,
        args: &[String],
        root_user: &str,
        grant: &Grant,
        scope: InvocationScope,
    ) -> Result<(Outcome, Option<Vec<Input>>), RuntimeError> {
        let limits = core.limits_for(&self.name);
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stderr(stderr.clone())
            .allow_blocking_current_thread(true);
        for preopen in grant.preopens() {
            let perms = match preopen.permission {
                Permission::ReadOnly => FsPerms::ReadOnly,
                Permission::ReadWrite => FsPerms::ReadWrite,
            };
            wasi.preopened_dir(&preopen.host, &preopen.guest, perms)
                .map_err(RuntimeError::Setup)?;
        }
        // Only a command's own stage: a nested command that fails mid-write does not throw
        // its caller's stage away, so it writes whole files by rename.
        if grant.stage().is_some() {
            wasi.env(
                hearth_sdk::fs::STAGED_MOUNTS_VARIABLE,
                crate::staging::USER_MOUNT,
            );
        }
        let mut store = new_store(
            &core.engine,
            limits,
            &core.services,
            &self.name,
            command,
            wasi.build(),
        );
        let record_reads = scope.record_reads;
        {
            let state = store.data_mut();
            state.root_user = root_user.to_string();
            state.scope = scope;
            state.core = Some(core.clone());
            state.syncs_deferred = grant.syncs_deferred_to_commit();
            state.stage = grant.writes_into_stage().cloned();
            if record_reads {
                state.reads = Some(ReadLog::new(grant));
            }
        }
        let invocation = Invocation {
            command: command.to_string(),
            args: args.to_vec(),
            root_user: root_user.to_string(),
        };
        let result = tokio::time::timeout(limits.timeout, async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance.call_run(&mut store, &invocation).await
        })
        .await;
        let printed = stderr.contents();
        if !printed.is_empty() {
            tracing::warn!(
                plugin = &*self.name,
                command,
                stderr = %String::from_utf8_lossy(&printed),
                "plugin wrote to stderr"
            );
        }
        let succeeded = matches!(&result, Ok(Ok(outcome))
            if outcome.code == 0 && outcome.output.len() <= limits.output_bytes);
        // A staged user directory becomes visible now, before the journal is applied.
        let succeeded = grant.finish_staged(succeeded);
        store.data_mut().finish(succeeded);
        let reads = store.data_mut().reads.take().and_then(ReadLog::into_inputs);
        let outcome = match result {
            Err(_) => return Err(RuntimeError::Timeout(limits.timeout)),
            Ok(Err(error)) => {
                return Err(if store.data().limiter.hit {
                    RuntimeError::MemoryLimit(limits.memory_bytes)
                } else if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
                    RuntimeError::Timeout(limits.timeout)
                } else if error.downcast_ref::<Trap>() == Some(&Trap::StackOverflow)
                    || (error.downcast_ref::<Trap>() == Some(&Trap::MemoryOutOfBounds)
                        && shadow_stack_overflowed(&mut store, &error, limits.memory_bytes))
                {
                    RuntimeError::StackOverflow(error)
                } else {
                    RuntimeError::Trap(error)
                });
            }
            Ok(Ok(outcome)) => outcome,
        };
        if outcome.output.len() > limits.output_bytes {
            return Err(RuntimeError::OutputTooLarge(limits.output_bytes));
        }
        let outcome = Outcome::new(outcome.code, outcome.output);
        Ok((outcome, reads))
    }
}

/// Whether an out-of-bounds trap was a shadow stack overflowing: languages that keep their
/// stack in linear memory below the data (Rust, C) wrap their stack pointer global past the
/// end of memory when it runs out, and the next push traps.
fn shadow_stack_overflowed(
    store: &mut Store<HostState>,
    error: &wasmtime::Error,
    memory_bytes: usize,
) -> bool {
    let Some(dump) = error.downcast_ref::<wasmtime::WasmCoreDump>() else {
        return false;
    };
    dump.globals().iter().any(|global| {
        global.ty(&*store).mutability() == wasmtime::Mutability::Var
            && matches!(global.get(&mut *store), wasmtime::Val::I32(value)
                if value as u32 as usize > memory_bytes)
    })
}

fn new_store(
    engine: &Engine,
    limits: &Limits,
    services: &Arc<HostServices>,
    plugin: &Arc<str>,
    command: &str,
    wasi: WasiCtx,
) -> Store<HostState> {
    let mut store = Store::new(
        engine,
        HostState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                max_bytes: limits.memory_bytes,
                hit: false,
            },
            services: services.clone(),
            plugin: plugin.clone(),
            command: command.to_string(),
            root_user: String::new(),
            scope: InvocationScope::default(),
            journal: Journal::default(),
            core: None,
            syncs_deferred: false,
            stage: None,
            reads: None,
        },
    );
    store.limiter(|state| &mut state.limiter);
    let ticks = (limits.timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    store
}

async fn describe(
    engine: &Engine,
    pre: &CommandPluginPre<HostState>,
    limits: &Limits,
    services: &Arc<HostServices>,
    name: &Arc<str>,
) -> wasmtime::Result<Manifest> {
    let mut store = new_store(
        engine,
        limits,
        services,
        name,
        "describe",
        WasiCtxBuilder::new().build(),
    );
    let instance = pre.instantiate_async(&mut store).await?;
    instance.call_describe(&mut store).await
}

/// Loads the compiled form from the cache, or compiles and caches it.
fn load_component(
    engine: &Engine,
    cache_dir: &Path,
    name: &str,
    sha256: &str,
    bytes: &[u8],
) -> Result<Component, LoadError> {
    let wasm_error = |source| LoadError::Wasm {
        name: name.to_string(),
        source,
    };
    let cache_error = |path: &PathBuf, source| LoadError::Cache {
        name: name.to_string(),
        path: path.clone(),
        source,
    };
    let path = cache_dir.join(format!("{sha256}-{}.cwasm", engine_fingerprint(engine)));
    if path.is_file() {
        // SAFETY: the cache directory is the host's own; it only ever holds files this
        // function wrote with `Component::serialize` for an engine of the same fingerprint.
        let loaded = if super::engine::perfmap_requested() {
            // Anonymous memory, so that perf resolves guest code through the perf map.
            std::fs::read(&path)
                .map_err(wasmtime::Error::from)
                .and_then(|bytes| unsafe { Component::deserialize(engine, bytes) })
        } else {
            unsafe { Component::deserialize_file(engine, &path) }
        };
        match loaded {
            Ok(component) => return Ok(component),
            Err(error) => tracing::warn!(plugin = name, %error, "recompiling a stale cache entry"),
        }
    }
    tracing::info!(
        plugin = name,
        sha256,
        "compiling plugin (not in the compile cache)"
    );
    let component = Component::new(engine, bytes).map_err(wasm_error)?;
    let serialized = component.serialize().map_err(wasm_error)?;
    std::fs::create_dir_all(cache_dir).map_err(|e| cache_error(&cache_dir.to_path_buf(), e))?;
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, serialized).map_err(|e| cache_error(&temporary, e))?;
    std::fs::rename(&temporary, &path).map_err(|e| cache_error(&path, e))?;
    Ok(component)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compile_cache_key_does_not_depend_on_the_limits() {
        // `plugin install` compiles with the default limits; a server may be configured
        // with others, globally or per plugin, and must still find the compiled code.
        let install = super::super::engine::build(&Limits::default(), 0).unwrap();
        let configured = Limits {
            memory_bytes: 256 << 20,
            timeout: std::time::Duration::from_millis(700),
            output_bytes: 1000,
            max_concurrent: 2,
        };
        let server = super::super::engine::build(&configured, 512 << 20).unwrap();
        assert_eq!(engine_fingerprint(&install), engine_fingerprint(&server));
    }
}
