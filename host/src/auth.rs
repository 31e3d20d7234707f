//! Credentials to principals: the root admin's password, legacy `data/keys` keys and access
//! keys, with Hestia's check order and messages (`v-check-access-key`, `v-check-api-key`).
//!
//! Secrets are stored only as hashes (`sha256:` for keys, argon2id for passwords) and
//! compared in constant time. Access-key files imported from Hestia with a plaintext
//! `SECRET_ACCESS_KEY` are still accepted.

use std::collections::BTreeSet;

use hearth_sdk::ReturnCode;
use hearth_sdk::conf::Record;

use crate::data::{DataError, DataRoot};
use crate::secrets::{self, PasswordCache};

/// Who is calling, once authenticated. Never handed to a plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The root admin by password, or the local command line.
    Admin { user: String },
    /// A legacy `data/keys` key: acts as the root admin.
    LegacyKey,
    /// An access key of `user`.
    AccessKey(AccessKey),
}

/// An authenticated access key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub user: String,
    pub permissions: Vec<String>,
}

impl Principal {
    /// The name written to logs for this principal.
    pub fn log_name(&self) -> &str {
        match self {
            Principal::Admin { user } => user,
            Principal::LegacyKey => "api",
            Principal::AccessKey(key) => &key.id,
        }
    }
}

/// A rejected access key, in `v-check-access-key`'s order. Each maps to Hestia's exact text
/// and return code.
#[derive(Debug, thiserror::Error)]
pub enum AccessKeyError {
    #[error("Error: invalid access_key_id format :: {0}")]
    InvalidId(String),
    #[error("Error: key {0} doesn't exist")]
    UnknownKey(String),
    #[error("Error: invalid secret_access_key format")]
    InvalidSecret,
    #[error("Error: Invalid secret key for key {0}")]
    WrongSecret(String),
    #[error("Error: Command {0} not found")]
    UnknownCommand(String),
    #[error("Error: Key {id} don't have permission to run the command {command}")]
    NotPermitted { id: String, command: String },
    #[error("Error: user {0} doesn't exist")]
    OwnerMissing(String),
    #[error("Error: user {0} is suspended")]
    OwnerSuspended(String),
    #[error("Error: {0}")]
    Data(#[from] DataError),
}

impl AccessKeyError {
    /// Hestia's return code: 10 for permission problems, 9 for the rest.
    pub fn code(&self) -> ReturnCode {
        match self {
            AccessKeyError::UnknownCommand(_) | AccessKeyError::NotPermitted { .. } => {
                ReturnCode::Forbidden
            }
            AccessKeyError::InvalidId(_)
            | AccessKeyError::UnknownKey(_)
            | AccessKeyError::InvalidSecret
            | AccessKeyError::WrongSecret(_)
            | AccessKeyError::OwnerMissing(_)
            | AccessKeyError::OwnerSuspended(_) => ReturnCode::Password,
            AccessKeyError::Data(_) => ReturnCode::Parsing,
        }
    }

    /// The text the client sees. Data-store failures are not described to clients.
    pub fn client_message(&self) -> String {
        match self {
            AccessKeyError::Data(_) => "Error: Authentication failed".to_string(),
            other => other.to_string(),
        }
    }
}

/// Checks the root admin's password against `user.conf`'s stored hash.
pub fn check_admin_password(
    root: &DataRoot,
    cache: &PasswordCache,
    root_user: &str,
    password: &str,
) -> Result<bool, DataError> {
    let Some(user_conf) = root.user_conf(root_user)? else {
        return Ok(false);
    };
    Ok(cache.verify(root_user, password, user_conf.value("MD5")))
}

/// Checks a legacy key (`hash=`): hearth stores `data/keys/<sha256>.sha256`; an imported
/// Hestia key file named by the key itself (≥ 16 characters) is accepted too.
pub fn check_legacy_key(root: &DataRoot, key: &str) -> bool {
    if hearth_sdk::validate::hash(key).is_err() {
        return false;
    }
    let hashed = format!("data/keys/{}.sha256", secrets::sha256_hex(key.as_bytes()));
    root.is_file(&hashed) || (key.len() >= 16 && root.is_file(&format!("data/keys/{key}")))
}

/// The storage field of a hashed access-key secret.
pub const SECRET_HASH_FIELD: &str = "SECRET_ACCESS_KEY_HASH";

/// Whether `secret` matches a key file, hashed (hearth) or plaintext (imported from Hestia).
fn secret_matches(key_file: &Record, secret: &str) -> bool {
    if let Some(stored) = key_file.get(SECRET_HASH_FIELD) {
        let presented = secrets::hash_token(secret);
        return secrets::constant_time_eq(stored.as_bytes(), presented.as_bytes());
    }
    match key_file.get("SECRET_ACCESS_KEY") {
        Some(stored) if !stored.is_empty() => {
            secrets::constant_time_eq(stored.as_bytes(), secret.as_bytes())
        }
        _ => false,
    }
}

/// The commands a list of permission sets allows (`data/api/<set>` `COMMANDS`).
pub fn permitted_commands(
    root: &DataRoot,
    permissions: &[String],
) -> Result<BTreeSet<String>, DataError> {
    let mut commands = BTreeSet::new();
    for set in permissions {
        if hearth_sdk::validate::object("api", set).is_err() {
            continue;
        }
        if let Some(record) = root.read_source(&format!("data/api/{set}"))? {
            commands.extend(
                record
                    .value("COMMANDS")
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
            );
        }
    }
    Ok(commands)
}

/// Authenticates an access key for `command`, in `v-check-access-key`'s order.
/// `command_exists` tells whether a plugin provides the command.
pub fn check_access_key(
    root: &DataRoot,
    root_user: &str,
    id: &str,
    secret: &str,
    command: &str,
    command_exists: bool,
) -> Result<AccessKey, AccessKeyError> {
    hearth_sdk::validate::access_key_id(id)
        .map_err(|_| AccessKeyError::InvalidId(id.to_string()))?;
    let key_file = root
        .read_source(&format!("data/access-keys/{id}"))?
        .ok_or_else(|| AccessKeyError::UnknownKey(id.to_string()))?;
    if !hearth_sdk::validate::is_secret_access_key(secret) {
        return Err(AccessKeyError::InvalidSecret);
    }
    if !secret_matches(&key_file, secret) {
        return Err(AccessKeyError::WrongSecret(id.to_string()));
    }
    let user = match key_file.value("USER") {
        "" => root_user.to_string(),
        user => user.to_string(),
    };
    let permissions: Vec<String> = key_file
        .value("PERMISSIONS")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let not_permitted = || AccessKeyError::NotPermitted {
        id: id.to_string(),
        command: command.to_string(),
    };
    if command == "v-make-tmp-file" {
        let unrestricted_root = permissions.is_empty() && user == root_user;
        if !unrestricted_root && !permitted_commands(root, &permissions)?.contains(command) {
            return Err(not_permitted());
        }
    } else {
        if !command_exists {
            return Err(AccessKeyError::UnknownCommand(command.to_string()));
        }
        let allowed = if permissions.is_empty() {
            user == root_user
        } else {
            permitted_commands(root, &permissions)?.contains(command)
        };
        if !allowed {
            return Err(not_permitted());
        }
    }
    let owner = root
        .user_conf(&user)?
        .ok_or_else(|| AccessKeyError::OwnerMissing(user.clone()))?;
    if owner.value("SUSPENDED") == "yes" {
        return Err(AccessKeyError::OwnerSuspended(user));
    }
    Ok(AccessKey {
        id: id.to_string(),
        user,
        permissions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_and_plaintext_secrets() {
        let secret = "Bi9ygDL99sOnqZTsgybi6lU8s6raUAqFnwU_9NYo";
        let hashed = Record::from_pairs([(SECRET_HASH_FIELD, secrets::hash_token(secret))]);
        assert!(secret_matches(&hashed, secret));
        assert!(!secret_matches(&hashed, &secret.replace('B', "C")));
        let plain = Record::from_pairs([("SECRET_ACCESS_KEY", secret)]);
        assert!(secret_matches(&plain, secret));
        assert!(!secret_matches(&plain, ""));
        assert!(!secret_matches(&Record::new(), secret));
    }
}
