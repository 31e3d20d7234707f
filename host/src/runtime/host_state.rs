//! The per-invocation store data and the host interfaces (`log`, `secrets`, `auth-log`) that
//! plugins may import.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::hearth::plugin::{auth_log, log, secrets as secrets_iface, types};
use crate::authlog::AuthLog;
use crate::secrets;

/// What the host interfaces need from the server, shared by every invocation.
pub struct HostServices {
    pub auth_log: AuthLog,
}

/// Store data for one invocation. Dropped with its store when the command ends.
pub struct HostState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) services: Arc<HostServices>,
    pub(super) plugin: Arc<str>,
    pub(super) command: String,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and remembers whether the cap was hit, so the error can say so
/// (a refused `memory.grow` otherwise surfaces as an anonymous guest abort).
pub struct MemoryLimiter {
    pub(super) max_bytes: usize,
    pub(super) hit: bool,
}

/// Largest table a plugin may grow (function references, resource handles).
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.hit = true;
            Ok(false)
        } else {
            Ok(true)
        }
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

impl types::Host for HostState {}

impl log::Host for HostState {
    async fn write(&mut self, level: log::Level, message: String) {
        let plugin = &*self.plugin;
        let command = &self.command;
        match level {
            log::Level::Debug => tracing::debug!(plugin, command, "{message}"),
            log::Level::Info => tracing::info!(plugin, command, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, command, "{message}"),
            log::Level::Error => tracing::error!(plugin, command, "{message}"),
        }
    }
}

impl secrets_iface::Host for HostState {
    async fn hash_password(&mut self, password: String) -> String {
        // argon2id is deliberately slow: keep it off the async workers.
        tokio::task::spawn_blocking(move || secrets::hash_password(&password))
            .await
            .unwrap_or_default()
    }

    async fn verify_password(&mut self, stored: String, password: String) -> bool {
        tokio::task::spawn_blocking(move || secrets::verify_password(&stored, &password))
            .await
            .unwrap_or(false)
    }

    async fn random_token(&mut self, length: u32, alphabet: String) -> String {
        secrets::random_token(length as usize, &alphabet)
    }

    async fn hash_token(&mut self, token: String) -> String {
        secrets::hash_token(&token)
    }
}

impl auth_log::Host for HostState {
    async fn login(&mut self, who: String, ip: String, success: bool) {
        let event = if success {
            "successfully logged in"
        } else {
            "failed to login"
        };
        self.services.auth_log.record(&who, &ip, event);
    }
}
