//! The outbound half of Hestia's `func/remote.sh`: `send_api_cmd` and `send_api_file` as
//! HTTPS form posts to `https://HOST:PORT/api/` with `returncode=yes`, the body read as the
//! command's exit status. Peers use self-signed certificates; like Hestia's `curl -k`, the
//! certificate is not verified (the credential authenticates the exchange, and the peer list
//! is the admin's). Credentials travel only in the body, never in a URL or a log line.

use std::time::Duration;

use super::peers::{Credential, Peer};

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long connecting may take (a stopped peer answers with a refusal at once).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call produced no exit status.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("could not build the HTTPS client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("{host}:{port} did not answer: {source}")]
    Transport {
        host: String,
        port: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{host}:{port} answered {status} with a body that is no return code")]
    Answer {
        host: String,
        port: String,
        status: u16,
    },
}

/// An HTTPS client for cluster peers.
pub struct PeerClient {
    http: reqwest::Client,
}

impl PeerClient {
    /// A client that accepts self-signed certificates, uses no proxy and keeps no cookies.
    pub fn new() -> Result<Self, CallError> {
        let http = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(CallError::Client)?;
        Ok(Self { http })
    }

    fn url(peer: &Peer) -> String {
        if peer.host.contains(':') {
            format!("https://[{}]:{}/api/", peer.host, peer.port)
        } else {
            format!("https://{}:{}/api/", peer.host, peer.port)
        }
    }

    fn auth_fields(peer: &Peer) -> Vec<(String, String)> {
        match &peer.credential {
            Credential::Hash(hash) => vec![("hash".into(), hash.clone())],
            Credential::Password { user, password } => vec![
                ("user".into(), user.clone()),
                ("password".into(), password.clone()),
            ],
        }
    }

    async fn post(
        &self,
        peer: &Peer,
        fields: Vec<(String, String)>,
        empty_is_ok: bool,
    ) -> Result<u8, CallError> {
        let transport = |source: reqwest::Error| CallError::Transport {
            host: peer.host.clone(),
            port: peer.port.clone(),
            source: source.without_url(),
        };
        let response = self
            .http
            .post(Self::url(peer))
            .form(&fields)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(transport)?;
        let body = body.trim();
        // Legacy v-make-tmp-file answers with an empty body; Hestia's `return $answer`
        // then returns 0.
        if body.is_empty() && empty_is_ok && status == 200 {
            return Ok(0);
        }
        body.parse::<u8>().map_err(|_| CallError::Answer {
            host: peer.host.clone(),
            port: peer.port.clone(),
            status,
        })
    }

    /// `send_api_cmd CMD ARG1..ARG8`: every one of the eight arguments is sent, unused ones
    /// empty.
    pub async fn command(
        &self,
        peer: &Peer,
        command: &str,
        args: &[&str],
    ) -> Result<u8, CallError> {
        let mut fields = Self::auth_fields(peer);
        fields.push(("returncode".into(), "yes".into()));
        fields.push(("cmd".into(), command.into()));
        for n in 0..8 {
            fields.push((
                format!("arg{}", n + 1),
                args.get(n).copied().unwrap_or("").to_string(),
            ));
        }
        self.post(peer, fields, false).await
    }

    /// `send_api_file LOCALFILE REMOTEPATH`: `v-make-tmp-file` with the file's contents
    /// (trailing newlines stripped, as `$(cat FILE)` does) and the remote path.
    pub async fn file(
        &self,
        peer: &Peer,
        contents: &str,
        remote_path: &str,
    ) -> Result<u8, CallError> {
        let mut fields = Self::auth_fields(peer);
        fields.push(("returncode".into(), "yes".into()));
        fields.push(("cmd".into(), "v-make-tmp-file".into()));
        fields.push(("arg1".into(), contents.trim_end_matches('\n').into()));
        fields.push(("arg2".into(), remote_path.into()));
        self.post(peer, fields, true).await
    }
}
