//! The global domain-name registry behind the `names` host interface: which user holds each
//! web domain, web alias, DNS domain and mail domain. It is built from the users' own
//! `web.conf`, `dns.conf` and `mail.conf` on first use, then kept in memory; plugins change
//! it only through claims, which the host undoes when the claiming command fails.

use std::collections::HashMap;
use std::sync::Mutex;

use cap_std::fs::Dir;
use hearth_sdk::conf;
use hearth_sdk::hosting::registry_name;

/// What a name is held as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    Web,
    WebAlias,
    Dns,
    Mail,
}

impl NameKind {
    /// Web domains and web aliases are one class in Hestia's `is_domain_new`.
    fn class(self) -> u8 {
        match self {
            NameKind::Web | NameKind::WebAlias => 0,
            NameKind::Dns => 1,
            NameKind::Mail => 2,
        }
    }

    fn order(self) -> u8 {
        match self {
            NameKind::Web => 0,
            NameKind::WebAlias => 1,
            NameKind::Dns => 2,
            NameKind::Mail => 3,
        }
    }
}

/// One holder of one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub name: String,
    pub user: String,
    pub kind: NameKind,
    pub allow_users: bool,
}

/// A change to the registry and how to take it back.
#[derive(Clone, Debug)]
pub enum Undo {
    /// A claim was added: remove it.
    Claimed(Holder),
    /// A holder was removed: put it back.
    Released(Holder),
    /// `ALLOW_USERS` changed: restore the old value.
    AllowUsers { holder: Holder, previous: bool },
    /// Claims moved to another user: restore the old holders of the name.
    Transferred { name: String, previous: Vec<Holder> },
}

/// The registry.
pub struct NameRegistry {
    users: Dir,
    names: Mutex<Option<HashMap<String, Vec<Holder>>>>,
}

impl NameRegistry {
    /// A registry over `data/users/`, loaded on first use.
    pub fn new(users: Dir) -> Self {
        Self {
            users,
            names: Mutex::new(None),
        }
    }

    fn with<T>(&self, action: impl FnOnce(&mut HashMap<String, Vec<Holder>>) -> T) -> T {
        let mut guard = self.names.lock().unwrap_or_else(|e| e.into_inner());
        let names = guard.get_or_insert_with(|| scan(&self.users));
        action(names)
    }

    /// Every holder of `name`, web first, then aliases, DNS and mail.
    pub fn holders(&self, name: &str) -> Vec<Holder> {
        let name = registry_name(name);
        self.with(|names| names.get(&name).cloned().unwrap_or_default())
    }

    /// Claims `name` as `kind` for `user` unless it conflicts (Hestia's `is_domain_new`):
    /// same class held by anyone, or anything held by someone else.
    pub fn claim(&self, user: &str, name: &str, kind: NameKind) -> Result<Undo, Holder> {
        let name = registry_name(name);
        self.with(|names| {
            let holders = names.entry(name.clone()).or_default();
            if let Some(conflict) = holders
                .iter()
                .find(|h| h.kind.class() == kind.class() || h.user != user)
            {
                return Err(conflict.clone());
            }
            let holder = Holder {
                name,
                user: user.to_string(),
                kind,
                allow_users: false,
            };
            holders.push(holder.clone());
            holders.sort_by_key(|h| h.kind.order());
            Ok(Undo::Claimed(holder))
        })
    }

    /// Removes `user`'s claim of `name` as `kind`.
    pub fn release(&self, user: &str, name: &str, kind: NameKind) -> Option<Undo> {
        let name = registry_name(name);
        self.with(|names| {
            let holders = names.get_mut(&name)?;
            let index = holders
                .iter()
                .position(|h| h.user == user && h.kind == kind)?;
            let removed = holders.remove(index);
            if holders.is_empty() {
                names.remove(&name);
            }
            Some(Undo::Released(removed))
        })
    }

    /// Sets `ALLOW_USERS` on `user`'s web domain `name`.
    pub fn set_allow_users(&self, user: &str, name: &str, allow: bool) -> Option<Undo> {
        let name = registry_name(name);
        self.with(|names| {
            let holder = names
                .get_mut(&name)?
                .iter_mut()
                .find(|h| h.user == user && h.kind == NameKind::Web)?;
            let previous = holder.allow_users;
            holder.allow_users = allow;
            Some(Undo::AllowUsers {
                holder: holder.clone(),
                previous,
            })
        })
    }

    /// Moves every claim on `name` to `user`.
    pub fn transfer(&self, name: &str, user: &str) -> Option<Undo> {
        let name = registry_name(name);
        self.with(|names| {
            let holders = names.get_mut(&name)?;
            if holders.is_empty() {
                return None;
            }
            let previous = holders.clone();
            for holder in holders.iter_mut() {
                holder.user = user.to_string();
            }
            Some(Undo::Transferred { name, previous })
        })
    }

    /// Takes back one change.
    pub fn undo(&self, change: Undo) {
        self.with(|names| match change {
            Undo::Claimed(holder) => {
                if let Some(holders) = names.get_mut(&holder.name) {
                    holders.retain(|h| !(h.user == holder.user && h.kind == holder.kind));
                    if holders.is_empty() {
                        names.remove(&holder.name);
                    }
                }
            }
            Undo::Released(holder) => {
                let holders = names.entry(holder.name.clone()).or_default();
                holders.push(holder);
                holders.sort_by_key(|h| h.kind.order());
            }
            Undo::AllowUsers { holder, previous } => {
                if let Some(entry) = names.get_mut(&holder.name).and_then(|holders| {
                    holders
                        .iter_mut()
                        .find(|h| h.user == holder.user && h.kind == holder.kind)
                }) {
                    entry.allow_users = previous;
                }
            }
            Undo::Transferred { name, previous } => {
                names.insert(name, previous);
            }
        });
    }

    /// Forgets everything, so the next use re-reads the users' files (after an import).
    pub fn reload(&self) {
        *self.names.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Reads every user's `web.conf`, `dns.conf` and `mail.conf`. Unreadable files are skipped
/// with a warning: a broken line must not stop the server.
fn scan(users: &Dir) -> HashMap<String, Vec<Holder>> {
    let _reading = crate::staging::reader_ticket();
    let mut names: HashMap<String, Vec<Holder>> = HashMap::new();
    let Ok(entries) = users.entries() else {
        return names;
    };
    let mut add = |name: &str, user: &str, kind: NameKind, allow_users: bool| {
        if name.is_empty() {
            return;
        }
        let name = registry_name(name);
        let holders = names.entry(name.clone()).or_default();
        if !holders.iter().any(|h| h.user == user && h.kind == kind) {
            holders.push(Holder {
                name,
                user: user.to_string(),
                kind,
                allow_users,
            });
            holders.sort_by_key(|h| h.kind.order());
        }
    };
    for entry in entries.flatten() {
        let Ok(user) = entry.file_name().into_string() else {
            continue;
        };
        if hearth_sdk::validate::user(&user).is_err()
            || !entry.file_type().is_ok_and(|t| t.is_dir())
        {
            continue;
        }
        for (file, kind) in [
            ("web.conf", NameKind::Web),
            ("dns.conf", NameKind::Dns),
            ("mail.conf", NameKind::Mail),
        ] {
            let path = format!("{user}/{file}");
            let text = match users.read_to_string(&path) {
                Ok(text) => text,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => {
                    tracing::warn!(path, %error, "name registry: unreadable file skipped");
                    continue;
                }
            };
            let records = match conf::parse_list(&text) {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(path, %error, "name registry: unparsable file skipped");
                    continue;
                }
            };
            for record in records {
                let allow = record.value("ALLOW_USERS") == "yes";
                add(record.value("DOMAIN"), &user, kind, allow);
                if kind == NameKind::Web {
                    for alias in record.value("ALIAS").split(',') {
                        add(alias.trim(), &user, NameKind::WebAlias, false);
                    }
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    fn registry() -> (tempfile::TempDir, NameRegistry) {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("alice")).unwrap();
        std::fs::write(
            temp.path().join("alice/web.conf"),
            "DOMAIN='example.com' ALIAS='www.example.com,shop.example.com' ALLOW_USERS='no'\n",
        )
        .unwrap();
        std::fs::write(
            temp.path().join("alice/dns.conf"),
            "DOMAIN='example.com' IP='1.2.3.4'\n",
        )
        .unwrap();
        let dir = Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap();
        (temp, NameRegistry::new(dir))
    }

    #[test]
    fn scans_users_files() {
        let (_temp, names) = registry();
        let holders = names.holders("EXAMPLE.com");
        assert_eq!(holders.len(), 2);
        assert_eq!(holders[0].kind, NameKind::Web);
        assert_eq!(holders[1].kind, NameKind::Dns);
        assert_eq!(
            names.holders("shop.example.com")[0].kind,
            NameKind::WebAlias
        );
    }

    #[test]
    fn conflicts_follow_is_domain_new() {
        let (_temp, names) = registry();
        // Same user, other class: allowed.
        assert!(names.claim("alice", "example.com", NameKind::Mail).is_ok());
        // Same class, same user: taken.
        let taken = names
            .claim("alice", "example.com", NameKind::WebAlias)
            .unwrap_err();
        assert_eq!(taken.kind, NameKind::Web);
        // Another user, any class: taken, first holder reported.
        let taken = names
            .claim("bob", "example.com", NameKind::Dns)
            .unwrap_err();
        assert_eq!(taken.kind, NameKind::Web);
        assert!(names.claim("bob", "other.org", NameKind::Dns).is_ok());
    }

    #[test]
    fn undo_restores_every_change() {
        let (_temp, names) = registry();
        let before = names.holders("example.com");
        let claimed = names.claim("alice", "example.com", NameKind::Mail).unwrap();
        let released = names
            .release("alice", "example.com", NameKind::Dns)
            .unwrap();
        let allowed = names.set_allow_users("alice", "example.com", true).unwrap();
        let moved = names.transfer("example.com", "bob").unwrap();
        for change in [moved, allowed, released, claimed] {
            names.undo(change);
        }
        assert_eq!(names.holders("example.com"), before);
    }

    #[test]
    fn idn_forms_are_one_name() {
        let (_temp, names) = registry();
        names.claim("alice", "idn-tést.eu", NameKind::Web).unwrap();
        assert!(
            names
                .claim("bob", "xn--idn-tst-fya.eu", NameKind::Web)
                .is_err()
        );
    }
}
