//! The per-invocation store data and the host interfaces (`log`, `secrets`, `auth-log`,
//! `names`, `services`, `commands`, `cluster`) that plugins may import.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::Core;
use super::bindings::hearth::plugin::{
    auth_log, cluster, commands, log, names, secrets as secrets_iface, services, types,
};
use crate::authlog::AuthLog;
use crate::data::DataRoot;
use crate::grant::LockScope;
use crate::names::{Holder, NameKind, NameRegistry, Undo};
use crate::reloads::{ReloadQueue, is_service_name};
use crate::secrets;

/// What the host interfaces need from the server, shared by every invocation.
pub struct HostServices {
    pub auth_log: AuthLog,
    pub names: NameRegistry,
    pub reloads: ReloadQueue,
    pub root: Arc<DataRoot>,
    pub cluster: Arc<crate::cluster::Cluster>,
}

/// Who an invocation acts for and what it holds: the USER argument the registry uses, the
/// lock it runs under, how deeply it is nested in other commands, and whether its reads are
/// watched.
#[derive(Clone, Debug, Default)]
pub struct InvocationScope {
    pub user: Option<String>,
    pub lock: LockScope,
    pub depth: u8,
    /// Note what the run reads, so that its answer may be memoized (`read_cache`).
    pub record_reads: bool,
}

/// Changes an invocation made through host interfaces, kept until it ends: applied when it
/// succeeds, undone when it fails.
#[derive(Default)]
pub struct Journal {
    pub(super) names: Vec<Undo>,
    pub(super) reloads: Vec<String>,
    /// DNS domains of the USER to push to the cluster.
    pub(super) cluster: Vec<String>,
}

/// Store data for one invocation. Dropped with its store when the command ends.
pub struct HostState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) services: Arc<HostServices>,
    pub(super) plugin: Arc<str>,
    pub(super) command: String,
    pub(super) root_user: String,
    pub(super) scope: InvocationScope,
    pub(super) journal: Journal,
    /// The command table, for `commands.run`; absent while a plugin describes itself.
    pub(super) core: Option<Arc<Core>>,
    /// The invocation is staged: guest syncs are deferred to the commit (see
    /// `plugin::defer_staged_syncs`).
    pub(super) syncs_deferred: bool,
    /// The stage the invocation's user directory points at (its own or its caller's): files
    /// are unshared from the live tree before they are changed in place (`copy_on_write`).
    pub(super) stage: Option<std::sync::Arc<crate::staging::Stage>>,
    /// What the run has read, when its answer may be memoized (`read_cache`).
    pub(super) reads: Option<super::read_cache::ReadLog>,
}

impl HostState {
    /// The run consulted something the read cache cannot watch: its answer is not kept.
    pub(super) fn untracked_input(&mut self) {
        if let Some(reads) = &mut self.reads {
            reads.untracked();
        }
    }

    /// Applies the journal when the invocation succeeded, or undoes it.
    pub(super) fn finish(&mut self, succeeded: bool) {
        let journal = std::mem::take(&mut self.journal);
        if succeeded {
            if let Err(error) = self.services.reloads.enqueue(&journal.reloads) {
                tracing::error!(command = self.command, %error, "could not queue service reloads");
            }
            if let Some(user) = &self.scope.user {
                self.services.cluster.changed(user, &journal.cluster);
            }
        } else {
            for change in journal.names.into_iter().rev() {
                self.services.names.undo(change);
            }
        }
    }

    fn writes_system(&self) -> bool {
        self.scope.lock == LockScope::Global
    }
}

/// A store dropped before its invocation finished (a timeout cancelled it mid-call) undoes
/// its claims.
impl Drop for HostState {
    fn drop(&mut self) {
        for change in std::mem::take(&mut self.journal.names).into_iter().rev() {
            self.services.names.undo(change);
        }
    }
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

    async fn rsa_key_pair(&mut self, bits: u32) -> Result<(String, String), String> {
        tokio::task::spawn_blocking(move || secrets::rsa_key_pair(bits))
            .await
            .unwrap_or_else(|_| Err("key generation failed".to_string()))
    }
}

fn kind_from_wit(kind: names::Kind) -> NameKind {
    match kind {
        names::Kind::Web => NameKind::Web,
        names::Kind::WebAlias => NameKind::WebAlias,
        names::Kind::Dns => NameKind::Dns,
        names::Kind::Mail => NameKind::Mail,
    }
}

fn holder_to_wit(holder: Holder) -> names::Holder {
    names::Holder {
        name: holder.name,
        user: holder.user,
        kind: match holder.kind {
            NameKind::Web => names::Kind::Web,
            NameKind::WebAlias => names::Kind::WebAlias,
            NameKind::Dns => names::Kind::Dns,
            NameKind::Mail => names::Kind::Mail,
        },
        allow_users: holder.allow_users,
    }
}

impl names::Host for HostState {
    async fn holders(&mut self, name: String) -> Vec<names::Holder> {
        self.services
            .names
            .holders(&name)
            .into_iter()
            .map(holder_to_wit)
            .collect()
    }

    async fn claim(
        &mut self,
        name: String,
        kind: names::Kind,
    ) -> Result<(), Option<names::Holder>> {
        let Some(user) = self.scope.user.clone() else {
            return Err(None);
        };
        let change = self
            .services
            .names
            .claim(&user, &name, kind_from_wit(kind))
            .map_err(|holder| Some(holder_to_wit(holder)))?;
        self.journal.names.push(change);
        Ok(())
    }

    async fn release(&mut self, name: String, kind: names::Kind) -> bool {
        let Some(user) = self.scope.user.clone() else {
            return false;
        };
        match self
            .services
            .names
            .release(&user, &name, kind_from_wit(kind))
        {
            Some(change) => {
                self.journal.names.push(change);
                true
            }
            None => false,
        }
    }

    async fn set_allow_users(&mut self, name: String, allow: bool) -> bool {
        let Some(user) = self.scope.user.clone() else {
            return false;
        };
        match self.services.names.set_allow_users(&user, &name, allow) {
            Some(change) => {
                self.journal.names.push(change);
                true
            }
            None => false,
        }
    }

    async fn transfer(&mut self, name: String, user: String) -> bool {
        if !self.writes_system() || hearth_sdk::validate::user(&user).is_err() {
            return false;
        }
        match self.services.names.transfer(&name, &user) {
            Some(change) => {
                self.journal.names.push(change);
                true
            }
            None => false,
        }
    }
}

impl services::Host for HostState {
    async fn request_reload(&mut self, service: String) -> bool {
        if !is_service_name(&service) {
            return false;
        }
        if !self.journal.reloads.contains(&service) {
            self.journal.reloads.push(service);
        }
        true
    }
}

impl commands::Host for HostState {
    async fn run(&mut self, command: String, args: Vec<String>) -> types::Outcome {
        let Some(core) = self.core.clone() else {
            return types::Outcome {
                code: hearth_sdk::ReturnCode::Forbidden.as_u8(),
                output: "Error: commands cannot be run while describing a plugin".to_string(),
            };
        };
        let outcome = core
            .run_nested(&self.scope, &self.root_user, &command, &args)
            .await;
        types::Outcome {
            code: outcome.code,
            output: outcome.output,
        }
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

fn cluster_refusal(command: &str) -> types::Outcome {
    types::Outcome {
        code: hearth_sdk::ReturnCode::Forbidden.as_u8(),
        output: format!("Error: {command} may not manage the dns cluster"),
    }
}

fn to_wit_outcome(outcome: super::Outcome) -> types::Outcome {
    types::Outcome {
        code: outcome.code,
        output: outcome.output,
    }
}

/// The result of a cluster task; a task that panicked is a clean failure.
fn finish_task(
    joined: Result<Result<(), super::Outcome>, tokio::task::JoinError>,
) -> Result<(), types::Outcome> {
    match joined {
        Ok(result) => result.map_err(to_wit_outcome),
        Err(error) => {
            tracing::error!(%error, "dns cluster task failed");
            Err(types::Outcome {
                code: hearth_sdk::ReturnCode::Connect.as_u8(),
                output: "Error: dns cluster task failed".to_string(),
            })
        }
    }
}

impl cluster::Host for HostState {
    async fn peers(&mut self) -> Vec<cluster::Peer> {
        match self.services.cluster.peers() {
            Ok(peers) => peers
                .into_iter()
                .map(|peer| cluster::Peer {
                    user: peer.user().to_string(),
                    host: peer.host,
                    port: peer.port,
                    dns_user: peer.dns_user,
                    type_: peer.kind,
                    suspended: peer.suspended,
                    time: peer.time,
                    date: peer.date,
                })
                .collect(),
            Err(error) => {
                tracing::error!(command = self.command, %error, "dns cluster peers unreadable");
                Vec::new()
            }
        }
    }

    async fn add_peer(
        &mut self,
        host: String,
        port: String,
        user: String,
        password: String,
        type_: String,
        dns_user: String,
    ) -> Result<(), types::Outcome> {
        // Only commands that hold the global lock may change the peer list.
        if !self.writes_system() {
            return Err(cluster_refusal(&self.command));
        }
        // The work runs as its own task: should the command hit its time limit, the
        // registration still completes (and is logged) instead of stopping half-way.
        let cluster = self.services.cluster.clone();
        let task = tokio::spawn(async move {
            cluster
                .add_peer(&host, &port, &user, &password, &type_, &dns_user)
                .await
        });
        finish_task(task.await)
    }

    async fn delete_peer(&mut self, host: String) -> Result<(), types::Outcome> {
        if !self.writes_system() {
            return Err(cluster_refusal(&self.command));
        }
        self.services
            .cluster
            .delete_peer(&host)
            .await
            .map_err(to_wit_outcome)
    }

    async fn sync(&mut self, host: String) -> Result<(), types::Outcome> {
        if !self.writes_system() {
            return Err(cluster_refusal(&self.command));
        }
        let cluster = self.services.cluster.clone();
        let task = tokio::spawn(async move { cluster.sync(&host).await });
        finish_task(task.await)
    }

    async fn changed(&mut self, domain: String) {
        if self.scope.user.is_some() && !self.journal.cluster.contains(&domain) {
            self.journal.cluster.push(domain);
        }
    }
}
