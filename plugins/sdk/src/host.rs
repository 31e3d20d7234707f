//! Thin wrappers over the `hearth:plugin/*` host interfaces a plugin may import.
//!
//! Only the interfaces a plugin actually calls end up in its component's imports, and the
//! host refuses a plugin that imports one its manifest does not declare.

/// Structured logging into the host's tracing.
pub mod log {
    use crate::bindings::hearth::plugin::log::{Level, write};

    /// Logs at info level.
    pub fn info(message: &str) {
        write(Level::Info, message);
    }

    /// Logs at warn level.
    pub fn warn(message: &str) {
        write(Level::Warn, message);
    }

    /// Logs at error level.
    pub fn error(message: &str) {
        write(Level::Error, message);
    }
}

/// Password hashing, random tokens, token hashing and RSA keys, done by the host.
pub mod secrets {
    pub use crate::bindings::hearth::plugin::secrets::{
        hash_password, hash_token, random_token, rsa_key_pair, verify_password,
    };

    /// `[A-Za-z0-9]`: Hestia's access-key id alphabet.
    pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /// `[A-Za-z0-9_=-]`: Hestia's secret-key alphabet.
    pub const SECRET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_=-";
    /// `[_A-Za-z0-9-]`: Hestia's legacy API key alphabet (`tr -dc _A-Z-a-z-0-9`).
    pub const LEGACY_KEY: &str = "_ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz0123456789";
}

/// Hestia's `log/auth.log`, watched by fail2ban.
pub mod auth_log {
    pub use crate::bindings::hearth::plugin::auth_log::login;
}

/// The global domain-name registry: uniqueness across users and subdomain ownership.
pub mod names {
    pub use crate::bindings::hearth::plugin::names::{
        Holder, Kind, claim, holders, release, set_allow_users, transfer,
    };
}

/// Service reloads, queued by the host (Hestia's scheduled restart).
pub mod services {
    pub use crate::bindings::hearth::plugin::services::request_reload;
}

/// Calling other commands, as Hestia scripts call each other.
pub mod commands {
    use crate::bindings::hearth::plugin::commands::run as run_raw;

    /// Runs `command args...` inside the current invocation: `(return code, output)`.
    pub fn run(command: &str, args: &[&str]) -> (u8, String) {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        let outcome = run_raw(command, &args);
        (outcome.code, outcome.output)
    }
}

/// The DNS cluster: peers of `conf/dns-cluster.conf`, reached only through the host.
pub mod cluster {
    pub use crate::bindings::hearth::plugin::cluster::{Peer, add_peer, delete_peer, peers, sync};

    /// Queues an incremental push of the invocation USER's DNS domain to the cluster once the
    /// command succeeds. Outside the sandbox (native plugin tests) there is no cluster and
    /// nothing happens.
    pub fn changed(domain: &str) {
        #[cfg(target_os = "wasi")]
        crate::bindings::hearth::plugin::cluster::changed(domain);
        #[cfg(not(target_os = "wasi"))]
        let _ = domain;
    }
}
