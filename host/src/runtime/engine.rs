//! The wasmtime engine: pooling allocator, epoch interruption and the resource limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Per-invocation limits, the same for every plugin for now.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Linear memory a plugin may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock and CPU (epoch) limit for one command.
    pub timeout: Duration,
    /// Largest output a command may return, in bytes.
    pub output_bytes: usize,
    /// Commands running at once; beyond it a request is refused with E_LA (14).
    pub max_concurrent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 128 << 20,
            timeout: Duration::from_secs(10),
            output_bytes: 16 << 20,
            max_concurrent: 128,
        }
    }
}

/// `HEARTH_PERFMAP=1` writes /tmp/perf-<pid>.map so that `perf report` names guest
/// functions (a profiling aid; compiled code is then loaded into anonymous memory).
pub fn perfmap_requested() -> bool {
    std::env::var_os("HEARTH_PERFMAP").is_some()
}

/// Builds the engine shared by every plugin; its memory slots hold `largest_memory` bytes
/// (the largest per-plugin memory limit). Neither affects the compiled code, so the compile
/// cache is shared by engines of any limits.
pub fn build(limits: &Limits, largest_memory: usize) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::new();
    // Room for commands that run other commands (up to three levels deep).
    let slots = u32::try_from(limits.max_concurrent.max(1) * 4).unwrap_or(u32::MAX);
    pool.total_component_instances(slots)
        .total_core_instances(slots * 8)
        .total_memories(slots * 2)
        .total_tables(slots * 8)
        .total_stacks(slots)
        .max_memory_size(largest_memory.max(limits.memory_bytes))
        .max_core_instances_per_component(64)
        .max_memories_per_component(8)
        .max_tables_per_component(64)
        .max_component_instance_size(4 << 20)
        .max_core_instance_size(4 << 20)
        // Reset slots in place rather than decommitting them: a decommit is an madvise with
        // TLB-shootdown IPIs on every instance, and PAGEMAP_SCAN resets only dirtied pages.
        .linear_memory_keep_resident(4 << 20)
        .table_keep_resident(256 << 10)
        .pagemap_scan(Enabled::Auto);
    let mut config = Config::new();
    if perfmap_requested() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        // A trap keeps handles to the guest's globals, so that an overflow of a shadow
        // stack in linear memory can be told from another out-of-bounds access.
        .coredump_on_trap(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub struct EngineTicker {
    stop: Arc<AtomicBool>,
}

impl EngineTicker {
    /// Starts the ticker thread; it holds only a weak reference to the engine.
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let flag = stop.clone();
        thread::Builder::new()
            .name("hearth-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("spawn the epoch thread");
        Self { stop }
    }
}

impl Drop for EngineTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
