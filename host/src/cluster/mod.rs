//! The DNS cluster, both halves of Hestia's `func/remote.sh` on the sending side: the peer
//! list (`conf/dns-cluster.conf`, credentials sealed), full syncs (`v-sync-dns-cluster`),
//! the durable queue of incremental pushes and the worker that delivers it, and the health
//! check that suspends a silent peer and resumes it when it answers again.
//!
//! This is the only code in hearth that opens outbound connections, and it connects only to
//! peers listed in `conf/dns-cluster.conf` (or, while `v-add-remote-dns-host` checks it, to
//! the one peer being added). Plugins reach it through the `cluster` host interface.

mod client;
mod peers;
mod queue;

use std::collections::HashSet;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cap_std::fs::Dir;
use hearth_sdk::ReturnCode;
use hearth_sdk::conf::{self, Record};

pub use client::{CallError, PeerClient};
pub use peers::{CLUSTER_CONF, Credential, Peer, PeerError, Sealer};
pub use queue::QUEUE_DIR;

use crate::data::{DataRoot, HESTIA_CONF};
use crate::runtime::Outcome;

/// How often the worker looks at the queue when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// How often a suspended peer with pending pushes is asked whether it is back.
const RETRY: Duration = Duration::from_secs(2);
/// How often an idle active peer is checked.
const HEALTH: Duration = Duration::from_secs(60);

/// The role (and Hestia's user name) whose domains are never pushed: they came from peers.
const CLUSTER_ROLE: &str = "dns-cluster";

/// The cluster of one data root.
pub struct Cluster {
    root: Arc<DataRoot>,
    client: Option<PeerClient>,
    /// Serialises writes of `conf/dns-cluster.conf` and deliveries.
    lock: tokio::sync::Mutex<()>,
    wake: tokio::sync::Notify,
}

fn failure(code: ReturnCode, message: String) -> Outcome {
    Outcome::new(code.as_u8(), format!("Error: {message}"))
}

fn store_failure(error: impl std::fmt::Display) -> Outcome {
    tracing::error!(%error, "dns cluster: data store error");
    failure(
        ReturnCode::Parsing,
        "dns cluster configuration is broken".into(),
    )
}

/// The name this server is known by on its peers (the `SRC` of the domains it pushes):
/// Hestia uses `$HOSTNAME`.
fn source_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

impl Cluster {
    /// The cluster of `root`.
    pub fn new(root: Arc<DataRoot>) -> Self {
        let client = match PeerClient::new() {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!(%error, "dns cluster: no HTTPS client; peers cannot be reached");
                None
            }
        };
        Self {
            root,
            client,
            lock: tokio::sync::Mutex::new(()),
            wake: tokio::sync::Notify::new(),
        }
    }

    fn dir(&self) -> &Dir {
        self.root.dir()
    }

    fn sealer(&self) -> Result<Sealer, PeerError> {
        Sealer::load(self.dir())
    }

    /// The peers, credentials opened.
    pub fn peers(&self) -> Result<Vec<Peer>, PeerError> {
        let lines = peers::read_lines(self.dir())?;
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let sealer = self.sealer()?;
        lines
            .iter()
            .map(|line| peers::peer_from_line(&sealer, line))
            .collect()
    }

    /// Sets `SUSPENDED` of a peer in the file.
    fn set_suspended(&self, host: &str, suspended: bool) -> Result<(), PeerError> {
        let mut lines = peers::read_lines(self.dir())?;
        for line in &mut lines {
            if line.value("HOST") == host {
                line.set("SUSPENDED", if suspended { "yes" } else { "no" });
            }
        }
        peers::write_lines(self.dir(), &lines)
    }

    /// Sets or removes `DNS_CLUSTER` in `hestia.conf`. The caller (a command under the global
    /// lock) excludes every other writer of the file.
    fn set_cluster_flag(&self, enabled: bool) -> io::Result<()> {
        let text = self.dir().read_to_string(HESTIA_CONF)?;
        let mut record = conf::parse_source(&text).map_err(io::Error::other)?;
        if enabled {
            record.set("DNS_CLUSTER", "yes");
        } else {
            record.remove("DNS_CLUSTER");
        }
        let text = record.to_source().map_err(io::Error::other)?;
        peers::write_atomic(self.dir(), HESTIA_CONF, text.as_bytes(), 0o644)
    }

    async fn call(&self, peer: &Peer, command: &str, args: &[&str]) -> Result<u8, CallError> {
        let client = self.client.as_ref().ok_or_else(no_client)?;
        let result = client.command(peer, command, args).await;
        if let Err(error) = &result {
            tracing::warn!(host = peer.host, command, %error, "dns cluster call failed");
        }
        result
    }

    /// A call that must answer 0.
    async fn expect_ok(&self, peer: &Peer, command: &str, args: &[&str]) -> Result<(), Failure> {
        match self.call(peer, command, args).await {
            Ok(0) => Ok(()),
            Ok(code) => {
                tracing::warn!(
                    host = peer.host,
                    command,
                    code,
                    "dns cluster peer refused a command"
                );
                Err(Failure::answered(command, code))
            }
            Err(error) => Err(Failure::Unreachable(error.to_string())),
        }
    }

    async fn send_file(&self, peer: &Peer, contents: &str, path: &str) -> Result<(), Failure> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(no_client)
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        match client.file(peer, contents, path).await {
            Ok(0) => Ok(()),
            Ok(code) => Err(Failure::answered("v-make-tmp-file", code)),
            Err(error) => Err(Failure::Unreachable(error.to_string())),
        }
    }

    /// `v-add-remote-dns-host`'s action, after the plugin's checks.
    pub async fn add_peer(
        &self,
        host: &str,
        port: &str,
        user: &str,
        password: &str,
        kind: &str,
        dns_user: &str,
    ) -> Result<(), Outcome> {
        let (date, time) = hearth_sdk::render::now_date_time();
        let peer = Peer {
            host: host.to_string(),
            port: port.to_string(),
            credential: if password.is_empty() {
                Credential::Hash(user.to_string())
            } else {
                Credential::Password {
                    user: user.to_string(),
                    password: password.to_string(),
                }
            },
            dns_user: dns_user.to_string(),
            kind: kind.to_string(),
            suspended: false,
            time,
            date,
        };
        // is_dnshost_alive
        if !matches!(self.call(&peer, "v-list-sys-config", &[]).await, Ok(0)) {
            return Err(failure(
                ReturnCode::Connect,
                format!("{kind} connection to {host} failed"),
            ));
        }
        if !matches!(self.call(&peer, "v-list-user", &[dns_user]).await, Ok(0)) {
            return Err(failure(
                ReturnCode::Connect,
                format!("{dns_user} doesn't exist"),
            ));
        }
        {
            let _guard = self.lock.lock().await;
            let sealer = self.sealer().map_err(store_failure)?;
            let mut lines = peers::read_lines(self.dir()).map_err(store_failure)?;
            if lines.iter().any(|line| line.value("HOST") == host) {
                return Err(failure(
                    ReturnCode::Exists,
                    format!("remote dns host {host} exists"),
                ));
            }
            lines.push(peers::line_for(&sealer, &peer));
            peers::write_lines(self.dir(), &lines).map_err(store_failure)?;
            self.set_cluster_flag(true).map_err(store_failure)?;
        }
        tracing::info!(host, port, dns_user, "dns cluster peer added");
        if self
            .expect_ok(&peer, "v-add-cron-restart-job", &[])
            .await
            .is_err()
        {
            return Err(failure(
                ReturnCode::Connect,
                format!("{host} connection failed"),
            ));
        }
        self.sync(host)
            .await
            .map_err(|_| failure(ReturnCode::Connect, format!("{host} sync failed")))
    }

    /// `v-delete-remote-dns-host`'s action: the domains pushed there are removed there
    /// (best effort, like Hestia's `v-delete-remote-dns-domains`), then the entry and its
    /// queued pushes; the last peer removed clears `DNS_CLUSTER`.
    pub async fn delete_peer(&self, host: &str) -> Result<(), Outcome> {
        let _guard = self.lock.lock().await;
        let peers = self.peers().map_err(store_failure)?;
        let Some(peer) = peers.iter().find(|peer| peer.host == host) else {
            return Err(failure(
                ReturnCode::NotExist,
                format!("dns-cluster host {host} doesn't exist"),
            ));
        };
        let source = source_name();
        if self
            .expect_ok(
                peer,
                "v-delete-dns-domains-src",
                &[&peer.dns_user, &source, "no"],
            )
            .await
            .is_ok()
        {
            let _ = self
                .expect_ok(peer, "v-rebuild-dns-domains", &[&peer.dns_user, "yes"])
                .await;
        }
        let mut lines = peers::read_lines(self.dir()).map_err(store_failure)?;
        lines.retain(|line| line.value("HOST") != host);
        peers::write_lines(self.dir(), &lines).map_err(store_failure)?;
        let jobs = queue::list(self.dir()).map_err(store_failure)?;
        let mine: Vec<&queue::Job> = jobs.iter().filter(|job| job.host == host).collect();
        queue::remove(self.dir(), &mine).map_err(store_failure)?;
        if lines.is_empty() {
            self.set_cluster_flag(false).map_err(store_failure)?;
        }
        tracing::info!(host, "dns cluster peer deleted");
        Ok(())
    }

    /// `v-sync-dns-cluster [HOST]`: the health check of the active peers, then a full sync
    /// of HOST (whatever its state) or of every active peer. A peer synced in full is active
    /// again and its queued pushes are dropped.
    pub async fn sync(&self, host: &str) -> Result<(), Outcome> {
        let _guard = self.lock.lock().await;
        let peers = self.peers().map_err(store_failure)?;
        for peer in peers
            .iter()
            .filter(|peer| !peer.suspended && peer.host != host)
        {
            self.health_check(peer).await;
        }
        let selected: Vec<Peer> = if host.is_empty() {
            self.peers()
                .map_err(store_failure)?
                .into_iter()
                .filter(|peer| !peer.suspended)
                .collect()
        } else {
            peers.into_iter().filter(|peer| peer.host == host).collect()
        };
        for peer in &selected {
            let started = queue::list(self.dir()).map_err(store_failure)?;
            if let Err(reason) = self.full_sync(peer).await {
                tracing::warn!(host = peer.host, %reason, "dns cluster full sync failed");
                return Err(failure(
                    ReturnCode::Connect,
                    format!("{} connection failed", peer.host),
                ));
            }
            let done: Vec<&queue::Job> =
                started.iter().filter(|job| job.host == peer.host).collect();
            queue::remove(self.dir(), &done).map_err(store_failure)?;
            if peer.suspended {
                self.set_suspended(&peer.host, false)
                    .map_err(store_failure)?;
                tracing::info!(
                    host = peer.host,
                    "dns cluster peer resumed after a full sync"
                );
            }
        }
        Ok(())
    }

    /// `remote_dns_health_check` for one peer: `v-list-user DNS_USER` must answer 0, or the
    /// peer is suspended. Returns whether it answered.
    async fn health_check(&self, peer: &Peer) -> bool {
        let alive = matches!(
            self.call(peer, "v-list-user", &[&peer.dns_user]).await,
            Ok(0)
        );
        if alive && peer.suspended {
            match self.set_suspended(&peer.host, false) {
                Ok(()) => {
                    tracing::info!(host = peer.host, "dns cluster peer answers again; resumed")
                }
                Err(error) => {
                    tracing::error!(host = peer.host, %error, "could not resume a dns cluster peer")
                }
            }
        } else if !alive && !peer.suspended {
            match self.set_suspended(&peer.host, true) {
                Ok(()) => tracing::warn!(
                    host = peer.host,
                    "dns cluster peer does not answer; suspended until it does"
                ),
                Err(error) => {
                    tracing::error!(host = peer.host, %error, "could not suspend a dns cluster peer")
                }
            }
        }
        alive
    }

    /// The users whose domains are pushed: every real user directory except the cluster
    /// role's.
    fn local_users(&self) -> io::Result<Vec<String>> {
        let mut users = Vec::new();
        for entry in self.dir().read_dir("data/users")? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if self.pushes_user(&name) {
                users.push(name);
            }
        }
        users.sort();
        Ok(users)
    }

    fn pushes_user(&self, user: &str) -> bool {
        if user == CLUSTER_ROLE || hearth_sdk::validate::user(user).is_err() {
            return false;
        }
        match self.root.user_conf(user) {
            Ok(Some(record)) => record.value("ROLE") != CLUSTER_ROLE,
            _ => false,
        }
    }

    /// The raw `dns.conf` lines of a user.
    fn domain_lines(&self, user: &str) -> io::Result<Vec<String>> {
        let _reading = crate::staging::reader_ticket();
        match self
            .dir()
            .read_to_string(format!("data/users/{user}/dns.conf"))
        {
            Ok(text) => Ok(text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_string)
                .collect()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    fn records_text(&self, user: &str, domain: &str) -> io::Result<String> {
        let _reading = crate::staging::reader_ticket();
        match self
            .dir()
            .read_to_string(format!("data/users/{user}/dns/{domain}.conf"))
        {
            Ok(text) => Ok(text),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(String::new()),
            Err(error) => Err(error),
        }
    }

    /// Sends one domain (its `dns.conf` line and its records) the way `v-sync-dns-cluster`
    /// does.
    async fn send_domain(
        &self,
        peer: &Peer,
        source: &str,
        user: &str,
        line: &str,
        domain: &str,
    ) -> Result<(), Failure> {
        self.expect_ok(
            peer,
            "v-insert-dns-domain",
            &[&peer.dns_user, line, source, " ", "no"],
        )
        .await?;
        let records = self.records_text(user, domain).map_err(Failure::local)?;
        let path = format!("/tmp/vst-sync.{domain}");
        self.send_file(peer, &records, &path).await?;
        self.expect_ok(
            peer,
            "v-insert-dns-records",
            &[&peer.dns_user, domain, &path, "no"],
        )
        .await
    }

    /// Hestia's full sync of one peer.
    async fn full_sync(&self, peer: &Peer) -> Result<(), Failure> {
        let source = source_name();
        self.expect_ok(
            peer,
            "v-delete-dns-domains-src",
            &[&peer.dns_user, &source, "no"],
        )
        .await?;
        for user in self.local_users().map_err(Failure::local)? {
            for line in self.domain_lines(&user).map_err(Failure::local)? {
                let Ok(record) = Record::parse_line(&line) else {
                    continue;
                };
                if record.value("SLAVE") == "yes" {
                    continue;
                }
                let domain = record.value("DOMAIN").to_string();
                self.send_domain(peer, &source, &user, &line, &domain)
                    .await?;
            }
        }
        self.expect_ok(
            peer,
            "v-rebuild-dns-domains",
            &[&peer.dns_user, "yes", "no"],
        )
        .await
    }

    /// One incremental push: the domain's current state, or its deletion.
    async fn push_domain(&self, peer: &Peer, user: &str, domain: &str) -> Result<(), Failure> {
        let source = source_name();
        let lines = self.domain_lines(user).map_err(Failure::local)?;
        let current = lines.iter().find(|line| {
            Record::parse_line(line).is_ok_and(|record| record.value("DOMAIN") == domain)
        });
        match current {
            Some(line) => {
                self.send_domain(peer, &source, user, line, domain).await?;
                self.expect_ok(
                    peer,
                    "v-rebuild-dns-domain",
                    &[&peer.dns_user, domain, "yes", "no"],
                )
                .await
            }
            None => match self
                .call(
                    peer,
                    "v-delete-dns-domain",
                    &[&peer.dns_user, domain, "yes"],
                )
                .await
            {
                // Already gone there is as good as deleted.
                Ok(0) | Ok(3) => Ok(()),
                Ok(code) => Err(Failure::answered("v-delete-dns-domain", code)),
                Err(error) => Err(Failure::Unreachable(error.to_string())),
            },
        }
    }

    /// Queues pushes of `user`'s changed domains to every peer (`DNS_CLUSTER='yes'` only;
    /// a cluster-role user's domains came from peers and are never pushed back).
    pub fn changed(&self, user: &str, domains: &[String]) {
        if domains.is_empty() {
            return;
        }
        let enabled = self
            .root
            .settings()
            .is_ok_and(|settings| settings.value("DNS_CLUSTER") == "yes");
        if !enabled || !self.pushes_user(user) {
            return;
        }
        let peers = match peers::read_lines(self.dir()) {
            Ok(lines) => lines,
            Err(error) => {
                tracing::error!(%error, "dns cluster: cannot read the peer list; change not queued");
                return;
            }
        };
        let mut seen = HashSet::new();
        for domain in domains {
            if !seen.insert(domain) {
                continue;
            }
            for line in &peers {
                if let Err(error) = queue::push(self.dir(), line.value("HOST"), user, domain) {
                    tracing::error!(%error, host = line.value("HOST"), domain, "dns cluster: could not queue a push");
                }
            }
        }
        self.wake.notify_one();
    }

    /// One pass over the queue: for each peer with queued pushes, deliver them in order
    /// (one delivery per domain); a peer that fails is suspended and keeps its queue; a
    /// suspended one is asked first whether it is back. Active idle peers get a health check
    /// every [`HEALTH`].
    async fn deliver(&self, last_health: &mut Instant, last_retry: &mut Instant) {
        let _guard = self.lock.lock().await;
        let peers = match self.peers() {
            Ok(peers) => peers,
            Err(error) => {
                tracing::error!(%error, "dns cluster: cannot read the peer list");
                return;
            }
        };
        if peers.is_empty() {
            return;
        }
        let jobs = match queue::list(self.dir()) {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::error!(%error, "dns cluster: cannot read the queue");
                return;
            }
        };
        let retry_due = last_retry.elapsed() >= RETRY;
        if retry_due {
            *last_retry = Instant::now();
        }
        let health_due = last_health.elapsed() >= HEALTH;
        if health_due {
            *last_health = Instant::now();
        }
        for peer in &peers {
            let pending: Vec<&queue::Job> =
                jobs.iter().filter(|job| job.host == peer.host).collect();
            if peer.suspended {
                // With pushes waiting it is asked every few seconds, otherwise with the
                // periodic health check.
                let due = if pending.is_empty() {
                    health_due
                } else {
                    retry_due
                };
                if !due || !self.health_check(peer).await {
                    continue;
                }
            } else if pending.is_empty() {
                if health_due {
                    self.health_check(peer).await;
                }
                continue;
            }
            let mut done = HashSet::new();
            for job in &pending {
                let key = (job.user.as_str(), job.domain.as_str());
                if done.contains(&key) {
                    continue;
                }
                match self.push_domain(peer, &job.user, &job.domain).await {
                    Ok(()) => {
                        let delivered: Vec<&queue::Job> = pending
                            .iter()
                            .copied()
                            .filter(|other| other.user == job.user && other.domain == job.domain)
                            .collect();
                        if let Err(error) = queue::remove(self.dir(), &delivered) {
                            tracing::error!(%error, "dns cluster: could not remove delivered pushes");
                        }
                        done.insert(key);
                    }
                    Err(Failure::Refused(reason)) => {
                        // The peer answered and said no: the same push would be refused
                        // again. Drop it so later pushes are not held up; a full sync
                        // (v-sync-dns-cluster) sends everything again.
                        tracing::error!(
                            host = peer.host,
                            domain = job.domain,
                            reason,
                            "dns cluster peer refused a push; dropped, run v-sync-dns-cluster"
                        );
                        let refused: Vec<&queue::Job> = pending
                            .iter()
                            .copied()
                            .filter(|other| other.user == job.user && other.domain == job.domain)
                            .collect();
                        if let Err(error) = queue::remove(self.dir(), &refused) {
                            tracing::error!(%error, "dns cluster: could not remove refused pushes");
                        }
                        done.insert(key);
                    }
                    Err(Failure::Local(reason)) => {
                        tracing::error!(
                            domain = job.domain,
                            reason,
                            "dns cluster push not sent: local data unreadable; kept"
                        );
                        break;
                    }
                    Err(Failure::Unreachable(reason)) => {
                        tracing::warn!(
                            host = peer.host,
                            domain = job.domain,
                            reason,
                            "dns cluster peer does not answer; suspended, pushes kept"
                        );
                        if let Err(error) = self.set_suspended(&peer.host, true) {
                            tracing::error!(%error, "could not suspend a dns cluster peer");
                        }
                        break;
                    }
                }
            }
        }
    }

    /// The delivery loop of a serving process.
    pub fn start_worker(self: &Arc<Self>) {
        let cluster = self.clone();
        tokio::spawn(async move {
            let mut last_health = Instant::now();
            let mut last_retry = Instant::now() - RETRY;
            loop {
                cluster.deliver(&mut last_health, &mut last_retry).await;
                let _ = tokio::time::timeout(POLL, cluster.wake.notified()).await;
            }
        });
    }
}

/// Why a push or a sync step failed.
#[derive(Debug)]
enum Failure {
    /// The peer answered with a non-zero code: the same call would be refused again.
    Refused(String),
    /// The peer did not answer, or not with a return code.
    Unreachable(String),
    /// The local data could not be read.
    Local(String),
}

impl Failure {
    fn local(error: io::Error) -> Self {
        Self::Local(error.to_string())
    }

    /// A non-zero answer. Authentication, permission, a disabled API and load (9, 10, 11,
    /// 14, 21) make the peer unusable for now; anything else refuses this call only.
    fn answered(command: &str, code: u8) -> Self {
        let reason = format!("{command} returned {code}");
        if matches!(code, 9 | 10 | 11 | 14 | 21) {
            Self::Unreachable(reason)
        } else {
            Self::Refused(reason)
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(reason) => write!(f, "refused: {reason}"),
            Self::Unreachable(reason) => write!(f, "no answer: {reason}"),
            Self::Local(reason) => write!(f, "local data: {reason}"),
        }
    }
}

fn no_client() -> CallError {
    CallError::Answer {
        host: String::new(),
        port: String::new(),
        status: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_make_a_peer_unusable_suspend_it() {
        for code in [9, 10, 11, 14, 21] {
            assert!(matches!(
                Failure::answered("v-list-user", code),
                Failure::Unreachable(_)
            ));
        }
        for code in [1, 2, 3, 4, 5, 12] {
            assert!(matches!(
                Failure::answered("v-insert-dns-domain", code),
                Failure::Refused(_)
            ));
        }
        assert_eq!(
            Failure::answered("v-insert-dns-domain", 4).to_string(),
            "refused: v-insert-dns-domain returned 4"
        );
    }

    #[test]
    fn the_source_name_is_never_empty() {
        assert!(!source_name().is_empty());
        assert!(!source_name().contains(['\n', ' ', '\'']));
    }
}
