//! The OpenVZ Web Panel personality below the HTTP layer: the OWP tables under `owp/` as the
//! host reads them (accounts, roles, ownership), the built-in roles and the `admin` account
//! `hearth init` creates, the permission gate of every controller method, and the
//! hardware-node client.

pub mod xmlrpc;

use std::io;

use hearth_sdk::conf::{self, Record};

use crate::data::DataRoot;

/// Reading or writing the OWP tables failed.
#[derive(Debug, thiserror::Error)]
pub enum OwpError {
    #[error("owp/{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("owp/{file}: {source}")]
    Parse {
        file: String,
        #[source]
        source: conf::ConfError,
    },
}

/// Every permission OWP knows (`db/migrate/…create_permissions.rb`).
pub const PERMISSIONS: &[&str] = &[
    "manage_hardware_servers",
    "use_ve_console",
    "backup_ve",
    "reinstall_ve",
    "handle_requests",
    "create_requests",
    "view_tasks",
    "view_logs",
    "manage_logs",
    "manage_users",
    "select_os_on_reinstall",
];

/// The permissions of the built-in `ve_admin` role.
const VE_ADMIN_PERMISSIONS: &[&str] = &[
    "use_ve_console",
    "backup_ve",
    "reinstall_ve",
    "create_requests",
    "select_os_on_reinstall",
];

/// An authenticated OWP user with its role's permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub permissions: Vec<String>,
    pub limit_backups: i64,
}

impl Account {
    /// `can_<permission>?`.
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// `superadmin?` ≡ `can_manage_hardware_servers?`.
    pub fn superadmin(&self) -> bool {
        self.can("manage_hardware_servers")
    }
}

/// Reads one OWP table (`users.conf`, `roles.conf`, ...); a missing file is empty.
pub fn load_table(root: &DataRoot, file: &str) -> Result<Vec<Record>, OwpError> {
    match root.dir().read_to_string(format!("owp/{file}")) {
        Ok(text) => conf::parse_list(&text).map_err(|source| OwpError::Parse {
            file: file.to_string(),
            source,
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(OwpError::Io {
            file: file.to_string(),
            source,
        }),
    }
}

fn int(row: &Record, key: &str) -> Option<i64> {
    row.get(key).and_then(|v| v.parse().ok())
}

/// The enabled user whose login is `login` lowercased, with its stored password hash.
pub fn find_login(root: &DataRoot, login: &str) -> Result<Option<(Record, String)>, OwpError> {
    let login = login.to_lowercase();
    Ok(load_table(root, "users.conf")?
        .into_iter()
        .find(|row| row.value("login") == login && row.value("enabled") == "true")
        .map(|row| {
            let hash = row.value("crypted_password").to_string();
            (row, hash)
        }))
}

/// The account of a user row: its role's permissions and backup limit. A user without an
/// existing role has no permissions.
pub fn account(root: &DataRoot, user: &Record) -> Result<Account, OwpError> {
    let role = int(user, "role_id");
    let role = load_table(root, "roles.conf")?
        .into_iter()
        .find(|r| role.is_some() && int(r, "id") == role);
    Ok(Account {
        id: int(user, "id").unwrap_or(0),
        login: user.value("login").to_string(),
        permissions: role
            .as_ref()
            .map(|r| {
                r.value("permissions")
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        limit_backups: role
            .as_ref()
            .and_then(|r| int(r, "limit_backups"))
            .unwrap_or(-1),
    })
}

/// What a controller method requires before it runs (`before_filter`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Any authenticated user.
    Authenticated,
    /// `superadmin?`.
    Superadmin,
    /// `can_manage_users?`.
    ManageUsers,
    /// `can_view_logs? || can_manage_logs?`.
    ViewLogs,
    /// `can_view_tasks?`.
    ViewTasks,
    /// `can_backup_ve?` (backups are allowed for users, OWP's default).
    BackupVe,
}

impl Gate {
    /// Whether `account` passes.
    pub fn allows(self, account: &Account) -> bool {
        match self {
            Gate::Authenticated => true,
            Gate::Superadmin => account.superadmin(),
            Gate::ManageUsers => account.can("manage_users"),
            Gate::ViewLogs => account.can("view_logs") || account.can("manage_logs"),
            Gate::ViewTasks => account.can("view_tasks"),
            Gate::BackupVe => account.can("backup_ve"),
        }
    }
}

/// Which object a method's `id` names, for the host's ownership check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owned {
    /// Nothing to check.
    Nothing,
    /// `id` is a virtual server the caller must control.
    VirtualServer,
    /// `id` is a backup whose virtual server the caller must control.
    Backup,
}

/// The eight controllers and their methods: (controller, method, gate, ownership).
pub const METHODS: &[(&str, &str, Gate, Owned)] = &[
    ("hardware_servers", "list", Gate::Superadmin, Owned::Nothing),
    ("hardware_servers", "get", Gate::Superadmin, Owned::Nothing),
    (
        "hardware_servers",
        "get_by_host",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "hardware_servers",
        "connect",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "hardware_servers",
        "update",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "hardware_servers",
        "disconnect",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    ("hardware_servers", "sync", Gate::Superadmin, Owned::Nothing),
    (
        "hardware_servers",
        "virtual_servers",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "hardware_servers",
        "os_templates",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "hardware_servers",
        "server_templates",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "virtual_servers",
        "own_servers",
        Gate::Authenticated,
        Owned::Nothing,
    ),
    (
        "virtual_servers",
        "get",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "get_by_host",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "virtual_servers",
        "get_advanced_limits",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "get_stats",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "start",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "stop",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "restart",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "create",
        Gate::Superadmin,
        Owned::Nothing,
    ),
    (
        "virtual_servers",
        "update",
        Gate::Superadmin,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "delete",
        Gate::Superadmin,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "reinstall",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    (
        "virtual_servers",
        "exec",
        Gate::Authenticated,
        Owned::VirtualServer,
    ),
    ("users", "list", Gate::ManageUsers, Owned::Nothing),
    ("users", "get", Gate::ManageUsers, Owned::Nothing),
    ("users", "get_by_login", Gate::ManageUsers, Owned::Nothing),
    ("users", "create", Gate::ManageUsers, Owned::Nothing),
    ("users", "update", Gate::ManageUsers, Owned::Nothing),
    ("users", "delete", Gate::ManageUsers, Owned::Nothing),
    ("users", "enable", Gate::ManageUsers, Owned::Nothing),
    ("users", "disable", Gate::ManageUsers, Owned::Nothing),
    ("roles", "list", Gate::ManageUsers, Owned::Nothing),
    ("roles", "get_by_name", Gate::ManageUsers, Owned::Nothing),
    ("event_log", "list", Gate::ViewLogs, Owned::Nothing),
    ("tasks", "list", Gate::ViewTasks, Owned::Nothing),
    ("ip_pools", "list", Gate::Superadmin, Owned::Nothing),
    ("ip_pools", "get", Gate::Superadmin, Owned::Nothing),
    ("ip_pools", "create", Gate::Superadmin, Owned::Nothing),
    ("ip_pools", "update", Gate::Superadmin, Owned::Nothing),
    ("ip_pools", "delete", Gate::Superadmin, Owned::Nothing),
    ("backups", "list", Gate::BackupVe, Owned::VirtualServer),
    ("backups", "list_data", Gate::BackupVe, Owned::VirtualServer),
    ("backups", "create", Gate::BackupVe, Owned::VirtualServer),
    ("backups", "delete", Gate::BackupVe, Owned::Backup),
    ("backups", "restore", Gate::BackupVe, Owned::Backup),
];

/// The gate of a whole controller (what `index` and unknown methods need first).
pub fn controller_gate(controller: &str) -> Option<Gate> {
    Some(match controller {
        "hardware_servers" | "ip_pools" => Gate::Superadmin,
        "users" | "roles" => Gate::ManageUsers,
        "event_log" => Gate::ViewLogs,
        "tasks" => Gate::ViewTasks,
        "backups" => Gate::BackupVe,
        "virtual_servers" => Gate::Authenticated,
        _ => return None,
    })
}

/// A controller's methods, sorted.
pub fn methods_of(controller: &str) -> Vec<&'static str> {
    let mut methods: Vec<&str> = METHODS
        .iter()
        .filter(|(c, ..)| *c == controller)
        .map(|(_, m, ..)| *m)
        .collect();
    methods.sort_unstable();
    methods
}

/// Whether `account` controls the virtual server with database id `id` (text).
pub fn controls_server(root: &DataRoot, account: &Account, id: &str) -> Result<bool, OwpError> {
    let Ok(id) = id.trim().parse::<i64>() else {
        return Ok(false);
    };
    Ok(load_table(root, "virtual_servers.conf")?
        .iter()
        .find(|row| int(row, "id") == Some(id))
        .is_some_and(|row| account.superadmin() || int(row, "user_id") == Some(account.id)))
}

/// Whether `account` controls the virtual server of the backup with id `id` (text).
pub fn controls_backup(root: &DataRoot, account: &Account, id: &str) -> Result<bool, OwpError> {
    let Ok(id) = id.trim().parse::<i64>() else {
        return Ok(false);
    };
    let Some(server) = load_table(root, "backups.conf")?
        .iter()
        .find(|row| int(row, "id") == Some(id))
        .and_then(|row| row.get("virtual_server_id").map(str::to_string))
    else {
        return Ok(false);
    };
    controls_server(root, account, &server)
}

fn write_table(root: &DataRoot, file: &str, rows: &[Record]) -> Result<(), OwpError> {
    let io_error = |source| OwpError::Io {
        file: file.to_string(),
        source,
    };
    let text = conf::write_list(rows).map_err(|source| OwpError::Parse {
        file: file.to_string(),
        source,
    })?;
    root.dir().create_dir_all("owp").map_err(io_error)?;
    let temporary = format!("owp/.{file}.tmp");
    root.dir().write(&temporary, text).map_err(io_error)?;
    root.dir()
        .rename(&temporary, root.dir(), format!("owp/{file}"))
        .map_err(io_error)
}

/// Creates the built-in roles and the superadmin `admin` (with `password_hash`, the Hestia
/// admin's argon2id hash) when they are missing. Running it again changes nothing.
pub fn seed(root: &DataRoot, password_hash: &str, now: &str) -> Result<(), OwpError> {
    if load_table(root, "roles.conf")?.is_empty() {
        let role = |id: &str, name: &str, limit: &str, permissions: &[&str]| {
            Record::from_pairs([
                ("id", id.to_string()),
                ("name", name.to_string()),
                ("built_in", "true".to_string()),
                ("limit_backups", limit.to_string()),
                ("permissions", permissions.join(",")),
            ])
        };
        write_table(
            root,
            "roles.conf",
            &[
                role("1", "superadmin", "-1", PERMISSIONS),
                role("2", "ve_admin", "3", VE_ADMIN_PERMISSIONS),
            ],
        )?;
    }
    let mut users = load_table(root, "users.conf")?;
    if !users.iter().any(|u| u.value("login") == "admin") {
        let id = users.iter().filter_map(|u| int(u, "id")).max().unwrap_or(0) + 1;
        users.push(Record::from_pairs([
            ("id", id.to_string()),
            ("login", "admin".to_string()),
            ("crypted_password", password_hash.to_string()),
            ("role_id", "1".to_string()),
            ("enabled", "true".to_string()),
            ("created_at", now.to_string()),
            ("updated_at", now.to_string()),
        ]));
        write_table(root, "users.conf", &users)?;
    }
    Ok(())
}

/// Now as Rails writes a UTC datetime: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_datetime() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, DataRoot) {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("conf")).expect("conf");
        std::fs::create_dir_all(dir.path().join("data/users")).expect("users");
        let root = DataRoot::open(dir.path()).expect("open");
        (dir, root)
    }

    #[test]
    fn seeding_twice_changes_nothing() {
        let (_dir, root) = root();
        seed(&root, "$argon2id$hash", "2026-01-01T00:00:00Z").expect("seed");
        let first = load_table(&root, "users.conf").expect("users");
        seed(&root, "$argon2id$other", "2027-01-01T00:00:00Z").expect("seed again");
        assert_eq!(load_table(&root, "users.conf").expect("users"), first);
        let (admin, hash) = find_login(&root, "ADMIN").expect("read").expect("admin");
        assert_eq!(hash, "$argon2id$hash");
        let account = account(&root, &admin).expect("account");
        assert!(account.superadmin() && account.can("manage_users"));
        assert_eq!(account.limit_backups, -1);
        assert_eq!(load_table(&root, "roles.conf").expect("roles").len(), 2);
    }

    #[test]
    fn gates_follow_the_roles() {
        let ve_admin = Account {
            id: 2,
            login: "john".into(),
            permissions: VE_ADMIN_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
            limit_backups: 3,
        };
        assert!(!Gate::Superadmin.allows(&ve_admin));
        assert!(!Gate::ManageUsers.allows(&ve_admin));
        assert!(!Gate::ViewLogs.allows(&ve_admin));
        assert!(Gate::BackupVe.allows(&ve_admin));
        assert_eq!(controller_gate("nosuch"), None);
        assert_eq!(
            methods_of("users"),
            [
                "create",
                "delete",
                "disable",
                "enable",
                "get",
                "get_by_login",
                "list",
                "update"
            ]
        );
        let mut controllers: Vec<&str> = METHODS.iter().map(|(c, ..)| *c).collect();
        controllers.dedup();
        assert_eq!(controllers.len(), 8);
        assert_eq!(METHODS.len(), 45);
    }
}
