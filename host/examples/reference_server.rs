//! The yardstick for HTTPS reads, measured on the machine at hand: a minimal axum +
//! rustls server (the same axum-server acceptor, `TCP_NODELAY` and allocator as hearth) that
//! parses the posted form, spends a fixed amount of CPU work on each request and answers a
//! body of a given size. `scripts/bench-https … reference` drives it with the same wrk script
//! as hearth's access-key row, so the two figures come from one machine in one state.
//!
//!   reference_server [WORK_MICROSECONDS] [BODY_BYTES]   (defaults: 40, 1200)
//!
//! Prints `listening on https://ADDR` once it accepts connections.

use std::collections::HashMap;
use std::hint::black_box;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Form, State};
use axum::routing::post;
use axum_server::tls_rustls::RustlsConfig;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What every request costs and answers.
#[derive(Clone)]
struct Load {
    work: Duration,
    body: String,
}

/// Spins on arithmetic until `work` has passed, then answers the body.
async fn answer(
    State(load): State<Load>,
    Form(form): Form<HashMap<String, String>>,
) -> ([(&'static str, &'static str); 1], String) {
    let started = Instant::now();
    let mut state = form.len() as u64;
    while started.elapsed() < load.work {
        for _ in 0..64 {
            state = black_box(
                state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1),
            );
        }
    }
    black_box(state);
    ([("content-type", "application/json")], load.body.clone())
}

/// A JSON object naming `alice` (as `v-list-user alice json` does), padded to `bytes`.
fn body_of(bytes: usize) -> String {
    let head = "{\n    \"alice\": {\n        \"NAME\": \"Alice Example\",\n        \"PAD\": \"";
    let tail = "\"\n    }\n}\n";
    let padding = bytes.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(padding))
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let work_us: u64 = args
        .next()
        .map_or(Ok(40), |a| a.parse())
        .context("WORK_MICROSECONDS")?;
    let body_bytes: usize = args
        .next()
        .map_or(Ok(1200), |a| a.parse())
        .context("BODY_BYTES")?;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let config = RustlsConfig::from_pem(
        certified.cert.pem().into_bytes(),
        certified.signing_key.serialize_pem().into_bytes(),
    )
    .await?;
    let load = Load {
        work: Duration::from_micros(work_us),
        body: body_of(body_bytes),
    };
    let app = Router::new().route("/api/", post(answer)).with_state(load);
    let handle = axum_server::Handle::new();
    let announcer = handle.clone();
    tokio::spawn(async move {
        if let Some(addr) = announcer.listening().await {
            let mut stdout = std::io::stdout();
            let _ = writeln!(stdout, "listening on https://{addr}");
            let _ = stdout.flush();
        }
    });
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
        .acceptor(axum_server::accept::NoDelayAcceptor::new());
    let listen: SocketAddr = "127.0.0.1:0".parse()?;
    axum_server::Server::bind(listen)
        .acceptor(acceptor)
        .handle(handle)
        .serve(app.into_make_service())
        .await?;
    Ok(())
}
