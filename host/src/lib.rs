//! hearth: HestiaCP's `/api/` served over HTTPS, every command run as a sandboxed
//! WebAssembly component that holds only the directories its grant names.
//!
//! The request path: [`api`] parses and renders HTTP; [`auth`] turns credentials into a
//! [`auth::Principal`]; [`policy`] decides what is allowed and builds the [`grant::Grant`];
//! [`runtime`] runs the plugin in a fresh store; [`service::Hearth`] ties them together for
//! the API, the command line and the benchmarks.

pub mod api;
pub mod audit;
pub mod auth;
pub mod authlog;
pub mod cluster;
pub mod config;
pub mod data;
pub mod diagnose;
pub mod grant;
pub mod guard;
pub mod history;
pub mod init;
pub mod locks;
pub mod log_writeback;
pub mod names;
pub mod owp;
pub mod plugins;
pub mod policy;
pub mod reloads;
pub mod runtime;
pub mod secrets;
pub mod server;
pub mod service;
pub mod staging;
pub(crate) mod stamp;
pub mod tls;

/// The built-in plugins, compiled for `wasm32-wasip2` by the build script.
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_plugins.rs"));
    include!(concat!(env!("OUT_DIR"), "/embedded_templates.rs"));
}
