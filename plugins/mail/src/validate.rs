//! The mail validators of Hestia's `func/main.sh` that the SDK does not carry: local parts
//! (accounts and aliases), quotas, autoreply messages and DKIM key sizes.
//!
//! Like Hestia's `is_format_valid`, callers skip empty values.

use hearth_sdk::{CmdError, ReturnCode};

/// The key sizes the host generates. Hestia hands any integer to `openssl genrsa`; hearth
/// refuses sizes it cannot (or should not: 1024 bits is breakable) produce, before anything
/// is written.
pub const DKIM_SIZES: &[u32] = &[2048, 3072, 4096];

fn invalid(kind: &str, value: &str) -> CmdError {
    CmdError::new(
        ReturnCode::Invalid,
        format!("invalid {kind} format :: {value}"),
    )
}

/// `is_localpart_format_valid VALUE KIND 64`: one ASCII alphanumeric, or 2–64 characters of
/// `[A-Za-z0-9_.-]` (current Hestia allows the specials at both ends too).
pub fn localpart(kind: &str, value: &str) -> Result<(), CmdError> {
    let special = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let ok = match value.chars().count() {
        0 => false,
        1 => value.chars().all(|c| c.is_ascii_alphanumeric()),
        n => n <= 64 && value.chars().all(special),
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(kind, value))
    }
}

/// `is_int_format_valid QUOTA 'quota'`: digits only.
pub fn quota(value: &str) -> Result<(), CmdError> {
    if is_digits(value) {
        Ok(())
    } else {
        Err(invalid("quota", value))
    }
}

/// `is_autoreply_format_valid`: fewer than 10240 characters.
pub fn autoreply(value: &str) -> Result<(), CmdError> {
    if value.chars().count() < 10240 {
        Ok(())
    } else {
        Err(invalid("autoreply", value))
    }
}

/// `dkim_size) is_int_format_valid "$arg"`: Hestia passes no name, so its message reads
/// `invalid  format :: X` (two blanks).
pub fn dkim_size(value: &str) -> Result<(), CmdError> {
    if is_digits(value) {
        Ok(())
    } else {
        Err(invalid("", value))
    }
}

/// hearth's own rule for the DKIM key size: one the host can generate.
pub fn dkim_bits(value: &str) -> Result<u32, CmdError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|bits| DKIM_SIZES.contains(bits))
        .ok_or_else(|| invalid("dkim_size", value))
}

fn is_digits(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}
