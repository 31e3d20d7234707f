//! The OpenVZ Web Panel Remote API personality, black-box.
#[path = "owp_node/mod.rs"]
mod owp_node;
#[path = "support/mod.rs"]
mod support;
