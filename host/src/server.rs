//! HTTPS serving: rustls via axum-server, the real bound address printed, and a graceful
//! shutdown on SIGTERM or Ctrl-C that lets requests in flight finish.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;

use crate::service::Hearth;
use crate::tls::{self, TlsError};

/// How long in-flight requests get after a shutdown signal.
const GRACE: Duration = Duration::from_secs(30);

/// Serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("TLS configuration: {0}")]
    TlsConfig(#[source] std::io::Error),
    #[error("listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Serves `/api/` over HTTPS on `listen` until SIGTERM or Ctrl-C, printing
/// `listening on https://ADDR` with the real bound address.
pub async fn serve(
    hearth: Arc<Hearth>,
    listen: SocketAddr,
    data_dir: &Path,
) -> Result<(), ServeError> {
    serve_with(hearth, listen, data_dir, |addr| {
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "listening on https://{addr}");
        let _ = stdout.flush();
    })
    .await
}

/// Like [`serve`], calling `on_listening` with the bound address instead of printing it.
pub async fn serve_with(
    hearth: Arc<Hearth>,
    listen: SocketAddr,
    data_dir: &Path,
    on_listening: impl FnOnce(SocketAddr) + Send + 'static,
) -> Result<(), ServeError> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (cert, key) = tls::ensure_certificate(data_dir)?;
    let config = RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(ServeError::TlsConfig)?;
    let handle = axum_server::Handle::new();
    let announcer = handle.clone();
    tokio::spawn(async move {
        if let Some(addr) = announcer.listening().await {
            tracing::info!(%addr, "listening");
            on_listening(addr);
        }
    });
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down; finishing requests in flight");
        stopper.graceful_shutdown(Some(GRACE));
    });
    // TCP_NODELAY: an answer written in more than one segment must not wait for the client's
    // delayed ACK (40 ms on Linux) before its last part leaves.
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
        .acceptor(axum_server::accept::NoDelayAcceptor::new());
    axum_server::Server::bind(listen)
        .acceptor(acceptor)
        .handle(handle)
        .serve(crate::api::make_service(hearth))
        .await
        .map_err(|source| ServeError::Listen {
            addr: listen,
            source,
        })
}

/// Serves OWP's Remote API over plain HTTP on `listen` in the background (OWP listens on
/// port 3000 without TLS), printing `owp listening on http://ADDR` with the bound address.
/// It stops on SIGTERM or Ctrl-C like the HTTPS listener.
pub async fn serve_owp_http(
    hearth: Arc<Hearth>,
    listen: SocketAddr,
) -> Result<SocketAddr, ServeError> {
    let listen_error = |source| ServeError::Listen {
        addr: listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "owp listening on http://{addr}");
    let _ = stdout.flush();
    let service =
        crate::api::owp_router(hearth).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
        {
            tracing::error!(%error, "the OWP HTTP listener stopped");
        }
    });
    Ok(addr)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install the SIGTERM handler");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}
