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
    AccessKey(KeyFacts),
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
/// and return code. An unknown key and a wrong secret are deliberately the same answer.
#[derive(Debug, thiserror::Error)]
pub enum AccessKeyError {
    #[error("Error: invalid access_key_id format :: {0}")]
    InvalidId(String),
    #[error("Error: invalid secret_access_key format")]
    InvalidSecret,
    /// Unknown id or wrong secret: indistinguishable to the client.
    #[error("Error: Invalid secret key for key {0}")]
    WrongSecret(String),
    #[error("Error: Key {0} has expired")]
    Expired(String),
    #[error("Error: IP {ip} is not allowed to use key {id}")]
    IpNotAllowed { id: String, ip: String },
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
            AccessKeyError::UnknownCommand(_)
            | AccessKeyError::NotPermitted { .. }
            | AccessKeyError::IpNotAllowed { .. } => ReturnCode::Forbidden,
            AccessKeyError::InvalidId(_)
            | AccessKeyError::InvalidSecret
            | AccessKeyError::WrongSecret(_)
            | AccessKeyError::Expired(_)
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
    Ok(admin_password_hash(root, root_user)?
        .is_some_and(|stored| cache.verify(root_user, password, &stored)))
}

/// The root admin's stored password hash (`user.conf` `MD5`), when the admin exists.
pub fn admin_password_hash(root: &DataRoot, root_user: &str) -> Result<Option<String>, DataError> {
    Ok(root
        .user_conf(root_user)?
        .map(|user_conf| user_conf.value("MD5").to_string()))
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
        if let Some(record) = root.read_source_cached(&format!("data/api/{set}"))? {
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

/// A key file, parsed: what authorization needs to know about a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    pub id: String,
    pub user: String,
    pub permissions: Vec<String>,
}

/// What policy knows about the command being called.
#[derive(Clone, Copy, Debug)]
pub struct CommandFacts<'a> {
    pub name: &'a str,
    /// `None` when no plugin provides the command.
    pub user_arg: Option<u32>,
}

/// Whether `key` may run `command`, given the commands its permission sets allow.
///
/// The rules, in Hestia's order: `v-make-tmp-file` needs an unrestricted root key or a set
/// listing it; an unknown command is "not found"; a root key with no sets may run everything;
/// otherwise the command must be in one of its sets. Deliberately stricter than Hestia: a
/// non-root key may only run commands that name a USER argument (which the API then checks
/// is the key's own user), so no custom set can hand a user key a system-wide command.
pub fn authorize(
    key: &KeyFacts,
    root_user: &str,
    command: CommandFacts<'_>,
    permitted: &BTreeSet<String>,
) -> Result<(), AccessKeyError> {
    let not_permitted = || AccessKeyError::NotPermitted {
        id: key.id.clone(),
        command: command.name.to_string(),
    };
    let is_root = key.user == root_user;
    if command.name == "v-make-tmp-file" {
        let unrestricted_root = key.permissions.is_empty() && is_root;
        return if unrestricted_root || permitted.contains(command.name) {
            Ok(())
        } else {
            Err(not_permitted())
        };
    }
    let Some(user_arg) = command.user_arg else {
        return Err(AccessKeyError::UnknownCommand(command.name.to_string()));
    };
    let listed = if key.permissions.is_empty() {
        is_root
    } else {
        permitted.contains(command.name)
    };
    if !listed || (!is_root && user_arg == 0) {
        return Err(not_permitted());
    }
    Ok(())
}

/// Hestia's USER-argument check for a key: a non-root key must name its own user at the
/// command's USER position (a missing argument fails too). A check, never a substitution.
pub fn user_argument_matches(
    key: &KeyFacts,
    root_user: &str,
    user_arg: u32,
    args: &[String],
) -> bool {
    if key.user == root_user || user_arg == 0 {
        return true;
    }
    (user_arg as usize)
        .checked_sub(1)
        .and_then(|index| args.get(index))
        .is_some_and(|arg| *arg == key.user)
}

/// Whether a key's `EXPIRES_IN` (`YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`, UTC) has passed. An
/// unparsable value counts as expired: a key must never outlive a date its admin set.
pub fn is_expired(expires_in: &str, now: time::OffsetDateTime) -> bool {
    use time::macros::format_description;
    let expires_in = expires_in.trim();
    if expires_in.is_empty() {
        return false;
    }
    let at = time::PrimitiveDateTime::parse(
        expires_in,
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    )
    .or_else(|_| {
        time::Date::parse(expires_in, format_description!("[year]-[month]-[day]"))
            .map(|date| date.midnight())
    });
    match at {
        Ok(at) => now >= at.assume_utc(),
        Err(_) => true,
    }
}

/// Whether `client_ip` may use a key whose `IP` field is `allowed` (empty: anyone).
pub fn key_ip_allowed(allowed: &str, client_ip: &str) -> bool {
    allowed.trim().is_empty() || allowed.split(',').any(|ip| ip.trim() == client_ip)
}

/// Authenticates an access key for `command` from `client_ip`, in `v-check-access-key`'s
/// order. An unknown id costs the same hash and comparison as a wrong secret and gets the
/// same answer.
pub fn check_access_key(
    root: &DataRoot,
    root_user: &str,
    id: &str,
    secret: &str,
    command: CommandFacts<'_>,
    client_ip: &str,
) -> Result<KeyFacts, AccessKeyError> {
    hearth_sdk::validate::access_key_id(id)
        .map_err(|_| AccessKeyError::InvalidId(id.to_string()))?;
    if !hearth_sdk::validate::is_secret_access_key(secret) {
        return Err(AccessKeyError::InvalidSecret);
    }
    let key_file = root.read_source_cached(&format!("data/access-keys/{id}"))?;
    let matches = match &key_file {
        Some(key_file) => secret_matches(key_file, secret),
        None => {
            // Spend what a real comparison spends, then fail the same way.
            let dummy = Record::from_pairs([(SECRET_HASH_FIELD, secrets::hash_token(id))]);
            std::hint::black_box(secret_matches(&dummy, secret));
            false
        }
    };
    let Some(key_file) = key_file.filter(|_| matches) else {
        return Err(AccessKeyError::WrongSecret(id.to_string()));
    };
    if is_expired(
        key_file.value("EXPIRES_IN"),
        time::OffsetDateTime::now_utc(),
    ) {
        return Err(AccessKeyError::Expired(id.to_string()));
    }
    if !key_ip_allowed(key_file.value("IP"), client_ip) {
        return Err(AccessKeyError::IpNotAllowed {
            id: id.to_string(),
            ip: client_ip.to_string(),
        });
    }
    let key = KeyFacts {
        id: id.to_string(),
        user: match key_file.value("USER") {
            "" => root_user.to_string(),
            user => user.to_string(),
        },
        permissions: key_file
            .value("PERMISSIONS")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let permitted = permitted_commands(root, &key.permissions)?;
    authorize(&key, root_user, command, &permitted)?;
    let owner = root
        .user_conf(&key.user)?
        .ok_or_else(|| AccessKeyError::OwnerMissing(key.user.clone()))?;
    if owner.value("SUSPENDED") == "yes" {
        return Err(AccessKeyError::OwnerSuspended(key.user));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ROOT: &str = "admin";
    const USERS: &[&str] = &["admin", "alice", "bob"];
    const COMMANDS: &[(&str, Option<u32>)] = &[
        ("v-list-users", Some(0)),
        ("v-add-user", Some(1)),
        ("v-list-user", Some(1)),
        ("v-purge-nginx-cache", Some(1)),
        ("v-list-sys-config", Some(0)),
        ("v-change-dns-record", Some(1)),
        ("v-make-tmp-file", Some(0)),
        ("v-nope", None),
    ];

    /// Permission sets as (name, commands): each a random subset of the command pool.
    fn sets() -> impl Strategy<Value = Vec<(String, BTreeSet<String>)>> {
        proptest::collection::vec(
            proptest::collection::btree_set(
                proptest::sample::select(
                    COMMANDS.iter().map(|c| c.0.to_string()).collect::<Vec<_>>(),
                ),
                0..COMMANDS.len(),
            ),
            1..5,
        )
        .prop_map(|sets| {
            sets.into_iter()
                .enumerate()
                .map(|(i, commands)| (format!("set{i}"), commands))
                .collect()
        })
    }

    fn permitted(sets: &[(String, BTreeSet<String>)], names: &[String]) -> BTreeSet<String> {
        sets.iter()
            .filter(|(name, _)| names.contains(name))
            .flat_map(|(_, commands)| commands.iter().cloned())
            .collect()
    }

    fn allowed(
        key: &KeyFacts,
        sets: &[(String, BTreeSet<String>)],
        command: usize,
        args: &[String],
    ) -> bool {
        let (name, user_arg) = COMMANDS[command];
        authorize(
            key,
            ROOT,
            CommandFacts { name, user_arg },
            &permitted(sets, &key.permissions),
        )
        .is_ok()
            && user_argument_matches(key, ROOT, user_arg.unwrap_or(0), args)
    }

    fn key_strategy() -> impl Strategy<Value = (KeyFacts, Vec<(String, BTreeSet<String>)>)> {
        (
            sets(),
            proptest::sample::select(USERS.to_vec()),
            proptest::collection::vec(0usize..5, 0..5),
        )
            .prop_map(|(sets, user, picks)| {
                let mut permissions: Vec<String> = picks
                    .into_iter()
                    .filter(|i| *i < sets.len())
                    .map(|i| sets[i].0.clone())
                    .collect();
                permissions.dedup();
                (
                    KeyFacts {
                        id: "K".repeat(20),
                        user: user.to_string(),
                        permissions,
                    },
                    sets,
                )
            })
    }

    fn args_strategy() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(
            proptest::sample::select(USERS.to_vec()).prop_map(str::to_string),
            0..3,
        )
    }

    proptest! {
        /// Whatever a non-root key may run, it runs only on its owner's own objects: the
        /// owner's rights bound the key's.
        #[test]
        fn key_rights_are_within_the_owners(
            (key, sets) in key_strategy(),
            command in 0..COMMANDS.len(),
            args in args_strategy(),
        ) {
            if allowed(&key, &sets, command, &args) && key.user != ROOT {
                let user_arg = COMMANDS[command].1.unwrap_or(0);
                prop_assert!(user_arg > 0 || COMMANDS[command].0 == "v-make-tmp-file");
                if user_arg > 0 {
                    prop_assert_eq!(&args[user_arg as usize - 1], &key.user);
                }
            }
        }

        /// Dropping a set from a key (leaving at least one), or a command from a set, never
        /// allows something that was refused.
        #[test]
        fn removing_a_permission_never_grants(
            (key, sets) in key_strategy(),
            command in 0..COMMANDS.len(),
            args in args_strategy(),
            drop_set in 0usize..5,
            drop_command in 0..COMMANDS.len(),
        ) {
            let before = allowed(&key, &sets, command, &args);
            if key.permissions.len() > 1 {
                let mut fewer = key.clone();
                fewer.permissions.remove(drop_set % key.permissions.len());
                prop_assert!(!allowed(&fewer, &sets, command, &args) || before);
            }
            let mut smaller_sets = sets.clone();
            for (_, commands) in &mut smaller_sets {
                commands.remove(COMMANDS[drop_command].0);
            }
            prop_assert!(!allowed(&key, &smaller_sets, command, &args) || before);
        }

        /// An allowed call names only the caller's own user in its USER position, or the
        /// caller is root.
        #[test]
        fn allowed_calls_touch_only_the_callers_objects(
            (key, sets) in key_strategy(),
            command in 0..COMMANDS.len(),
            args in args_strategy(),
        ) {
            if allowed(&key, &sets, command, &args) {
                let user_arg = COMMANDS[command].1.unwrap_or(0) as usize;
                prop_assert!(
                    key.user == ROOT
                        || (user_arg > 0 && args.get(user_arg - 1) == Some(&key.user))
                        || COMMANDS[command].0 == "v-make-tmp-file"
                );
            }
        }
    }

    #[test]
    fn expiry_and_key_addresses() {
        let now = time::macros::datetime!(2026-11-23 12:00:00 UTC);
        assert!(!is_expired("", now));
        assert!(is_expired("2026-11-23 12:00:00", now));
        assert!(!is_expired("2026-11-23 12:00:01", now));
        assert!(is_expired("2026-11-23", now));
        assert!(!is_expired("2026-11-24", now));
        assert!(is_expired("garbage", now));
        assert!(key_ip_allowed("", "203.0.113.5"));
        assert!(key_ip_allowed("192.0.2.1, 203.0.113.5", "203.0.113.5"));
        assert!(!key_ip_allowed("192.0.2.1", "203.0.113.5"));
    }

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
