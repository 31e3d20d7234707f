//! Who may do what: the API switches, the IP allowlist, command-name checks, USER-argument
//! confinement, and the Grant (directories and lock) an invocation receives.

use std::net::IpAddr;

use crate::data::{DataRoot, Settings};
use crate::grant::{Grant, LockScope, Permission, Preopen};
use crate::runtime::{Access, CommandSpec};

/// Which personality of the Hestia API a request uses; the allowlist differs slightly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiMode {
    /// Admin password or legacy `data/keys` key.
    Legacy,
    /// Access key (`access_key`/`secret_key` or `hash=ID:SECRET`).
    AccessKey,
}

/// Hestia's `cmd` check: `^[a-zA-Z0-9_-]+$`.
pub fn is_command_name(command: &str) -> bool {
    !command.is_empty()
        && command
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The client address as Hestia compares it: IPv4-mapped IPv6 reduced to IPv4.
pub fn client_ip_string(ip: IpAddr) -> String {
    ip.to_canonical().to_string()
}

/// Hestia's allowlist: exact string membership in `API_ALLOWED_IP` (plus an implicit empty
/// entry), `allow-all` as the whole value, and `0.0.0.0` meaning everyone in access-key mode.
pub fn ip_allowed(settings: &Settings, client_ip: &str, mode: ApiMode) -> bool {
    let allowed = settings.allowed_ips();
    if allowed == "allow-all" {
        return true;
    }
    let mut entries = allowed.split(',');
    entries.any(|entry| entry == client_ip || (mode == ApiMode::AccessKey && entry == "0.0.0.0"))
}

/// The USER argument of a call, by the manifest's position.
pub fn user_argument<'a>(spec: &CommandSpec, args: &'a [String]) -> Option<&'a str> {
    let position = usize::try_from(spec.user_arg).ok()?;
    position
        .checked_sub(1)
        .and_then(|index| args.get(index))
        .map(String::as_str)
}

fn permission(access: Access) -> Option<Permission> {
    match access {
        Access::None => None,
        Access::ReadOnly => Some(Permission::ReadOnly),
        Access::ReadWrite => Some(Permission::ReadWrite),
    }
}

/// The directories and lock for one call of `spec`.
///
/// A user-scoped command gets `data/users/<USER>/` at `/user` only when USER is a well-formed
/// name of an existing, real directory; otherwise nothing is mounted and the plugin reports
/// Hestia's "invalid format" or "doesn't exist" error itself. The user's home
/// (`<HOME_ROOT>/<USER>/`, created on first use) is mounted at `/home/<USER>` under the same
/// condition.
pub fn grant_for(root: &DataRoot, spec: &CommandSpec, args: &[String]) -> Grant {
    let mut preopens = Vec::new();
    let mut lock = LockScope::None;
    if let Some(user_permission) = permission(spec.user_access)
        && let Some(user) = user_argument(spec, args)
        && let Some(host) = root.user_dir(user)
    {
        preopens.push(Preopen {
            host,
            guest: "/user".to_string(),
            permission: user_permission,
        });
        if spec.mutating && user_permission == Permission::ReadWrite {
            lock = LockScope::User(user.to_string());
        }
    }
    if let Some(home_permission) = permission(spec.home_access)
        && let Some(user) = user_argument(spec, args)
        && root.user_dir(user).is_some()
        && let Some(host) = root.user_home(user)
    {
        preopens.push(Preopen {
            host,
            guest: format!("/home/{user}"),
            permission: home_permission,
        });
        if spec.mutating && home_permission == Permission::ReadWrite {
            lock = LockScope::User(user.to_string());
        }
    }
    for dir in &spec.system_dirs {
        if let Some(dir_permission) = permission(dir.access) {
            let host = if dir.path == "home" {
                match root.home_root() {
                    Some(home) => home,
                    None => continue,
                }
            } else {
                root.path().join(&dir.path)
            };
            preopens.push(Preopen {
                host,
                guest: format!("/{}", dir.path),
                permission: dir_permission,
            });
            if spec.mutating && dir_permission == Permission::ReadWrite {
                lock = LockScope::Global;
            }
        }
    }
    Grant::new(preopens, lock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_sdk::conf::Record;

    fn settings(allowed: &str) -> Settings {
        Settings::new(Record::from_pairs([("API_ALLOWED_IP", allowed)]))
    }

    #[test]
    fn allowlist_is_exact_membership() {
        let s = settings("127.0.0.1,::1");
        assert!(ip_allowed(&s, "127.0.0.1", ApiMode::Legacy));
        assert!(ip_allowed(&s, "::1", ApiMode::AccessKey));
        assert!(!ip_allowed(&s, "127.0.0.2", ApiMode::Legacy));
        assert!(!ip_allowed(&s, "127.0.0", ApiMode::Legacy));
    }

    #[test]
    fn allow_all_must_be_the_whole_value() {
        assert!(ip_allowed(
            &settings("allow-all"),
            "203.0.113.9",
            ApiMode::Legacy
        ));
        assert!(!ip_allowed(
            &settings("allow-all,1.2.3.4"),
            "203.0.113.9",
            ApiMode::Legacy
        ));
    }

    #[test]
    fn zero_address_allows_everyone_for_access_keys_only() {
        let s = settings("0.0.0.0");
        assert!(ip_allowed(&s, "203.0.113.9", ApiMode::AccessKey));
        assert!(!ip_allowed(&s, "203.0.113.9", ApiMode::Legacy));
    }

    #[test]
    fn empty_list_rejects_everyone() {
        assert!(!ip_allowed(&settings(""), "127.0.0.1", ApiMode::Legacy));
    }

    #[test]
    fn mapped_addresses_are_reduced() {
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_ip_string(mapped), "192.0.2.1");
    }

    #[test]
    fn command_names() {
        assert!(is_command_name("v-list-users"));
        assert!(!is_command_name("v-list-users;id"));
        assert!(!is_command_name(""));
        assert!(!is_command_name("../bin"));
    }
}
