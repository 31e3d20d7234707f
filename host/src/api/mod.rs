//! The HTTP edge: the only layer that knows HTTP, form fields, JSON bodies and XML.

pub mod hestia;
pub mod owp;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::any;

use crate::service::Hearth;

/// Largest request body accepted (Hestia's `post_max_size` is 256M; ours is far smaller).
pub const MAX_BODY_BYTES: usize = 8 << 20;

/// The router: `/api/` and `/api/index.php`, any method (a GET is a 405 from the handler).
pub fn router(hearth: Arc<Hearth>) -> Router {
    Router::new()
        .route("/api/", any(hestia::handle))
        .route("/api/index.php", any(hestia::handle))
        .route("/api", any(hestia::handle))
        .route("/api/{controller}", any(owp::handle))
        .route("/api/{controller}/", any(owp::handle))
        .route("/api/{controller}/{method}", any(owp::handle))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(hearth)
}

/// OWP's Remote API routes alone, for the plain-HTTP listener (`owp_listen`).
pub fn owp_router(hearth: Arc<Hearth>) -> Router {
    Router::new()
        .route("/api/{controller}", any(owp::handle))
        .route("/api/{controller}/", any(owp::handle))
        .route("/api/{controller}/{method}", any(owp::handle))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(hearth)
}

/// The service to hand to a server: the router with the peer address available.
pub fn make_service(
    hearth: Arc<Hearth>,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router(hearth).into_make_service_with_connect_info::<SocketAddr>()
}
