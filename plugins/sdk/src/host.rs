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

/// Password hashing, random tokens and token hashing, done by the host.
pub mod secrets {
    pub use crate::bindings::hearth::plugin::secrets::{
        hash_password, hash_token, random_token, verify_password,
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
