//! `hearth init`: lays out a data root in Hestia's format and creates the root admin through
//! the same `v-add-user` plugin the API uses. Running it again changes nothing.

use std::path::{Path, PathBuf};

use hearth_sdk::conf::Record;

use crate::data::HESTIA_CONF;
use crate::secrets;
use crate::service::{Hearth, OpenError, Options};

/// Directories every data root has.
const LAYOUT: &[&str] = &[
    "conf",
    "data/users",
    "data/packages",
    "data/keys",
    "data/access-keys",
    "data/api",
    "data/templates",
    "data/ips",
    "data/queue",
    "home",
    "log",
    "ssl",
    "cache",
    "plugins",
    "owp",
];

/// `conf/hestia.conf` of a new data root. The allowlist is explicit: Hestia has no implicit
/// localhost.
const DEFAULT_HESTIA_CONF: &[(&str, &str)] = &[
    ("WEB_SYSTEM", "nginx"),
    ("WEB_PORT", "80"),
    ("WEB_SSL_PORT", "443"),
    ("WEB_SSL", "openssl"),
    ("DNS_SYSTEM", "bind9"),
    ("MAIL_SYSTEM", "exim4"),
    ("IMAP_SYSTEM", "dovecot"),
    ("DB_SYSTEM", "mysql,pgsql"),
    ("CRON_SYSTEM", "cron"),
    ("DISK_QUOTA", "no"),
    ("BACKEND_PORT", "8083"),
    ("LANGUAGE", "en"),
    ("ROOT_USER", "admin"),
    ("API", "yes"),
    ("API_SYSTEM", "1"),
    ("API_ALLOWED_IP", "127.0.0.1,::1"),
    ("SCHEDULED_RESTART", "yes"),
    ("ENFORCE_SUBDOMAIN_OWNERSHIP", "yes"),
    ("POLICY_USER_VIEW_SUSPENDED", "no"),
    ("DEMO_MODE", "no"),
    ("VERSION", env!("CARGO_PKG_VERSION")),
];

/// The address `init` registers in `data/ips/`, shared, so web and DNS domains have an IP
/// to default to. Admins add their public addresses as further `data/ips/<IP>` files.
const DEFAULT_IP_ADDRESS: &str = "127.0.0.1";

/// `data/ips/<IP>` of the default address.
const DEFAULT_IP: &[(&str, &str)] = &[
    ("OWNER", "admin"),
    ("STATUS", "shared"),
    ("NAME", ""),
    ("U_SYS_USERS", ""),
    ("U_WEB_DOMAINS", "0"),
    ("INTERFACE", "lo"),
    ("NETMASK", "255.0.0.0"),
    ("NAT", ""),
];

/// `conf/mysql.conf` and `conf/pgsql.conf`: the local database hosts Hestia's installer
/// registers (one object line each; `TPL` only for PostgreSQL).
const DB_HOSTS: &[(&str, &[(&str, &str)])] = &[
    (
        "conf/mysql.conf",
        &[
            ("HOST", "localhost"),
            ("USER", "root"),
            ("PASSWORD", ""),
            (
                "CHARSETS",
                "UTF8,LATIN1,WIN1250,WIN1251,WIN1252,WIN1256,WIN1258,KOI8",
            ),
            ("MAX_DB", "500"),
            ("U_SYS_USERS", ""),
            ("U_DB_BASES", "0"),
            ("SUSPENDED", "no"),
        ],
    ),
    (
        "conf/pgsql.conf",
        &[
            ("HOST", "localhost"),
            ("USER", "postgres"),
            ("PASSWORD", ""),
            (
                "CHARSETS",
                "UTF8,LATIN1,WIN1250,WIN1251,WIN1252,WIN1256,WIN1258,KOI8",
            ),
            ("TPL", "template1"),
            ("MAX_DB", "500"),
            ("U_SYS_USERS", ""),
            ("U_DB_BASES", "0"),
            ("SUSPENDED", "no"),
        ],
    ),
];

/// Hestia's `default.pkg`.
const DEFAULT_PACKAGE: &[(&str, &str)] = &[
    ("WEB_TEMPLATE", "default"),
    ("PROXY_TEMPLATE", "default"),
    ("BACKEND_TEMPLATE", "default"),
    ("DNS_TEMPLATE", "default"),
    ("WEB_DOMAINS", "unlimited"),
    ("WEB_ALIASES", "unlimited"),
    ("DNS_DOMAINS", "unlimited"),
    ("DNS_RECORDS", "unlimited"),
    ("MAIL_DOMAINS", "unlimited"),
    ("MAIL_ACCOUNTS", "unlimited"),
    ("RATE_LIMIT", "200"),
    ("DATABASES", "unlimited"),
    ("CRON_JOBS", "unlimited"),
    ("DISK_QUOTA", "unlimited"),
    ("CPU_QUOTA", "unlimited"),
    ("CPU_QUOTA_PERIOD", "unlimited"),
    ("MEMORY_LIMIT", "unlimited"),
    ("SWAP_LIMIT", "unlimited"),
    ("BANDWIDTH", "unlimited"),
    ("NS", "ns1.example.com,ns2.example.com"),
    ("SHELL", "nologin"),
    ("BACKUPS", "1"),
    ("BACKUPS_INCREMENTAL", "no"),
];

/// Hestia's permission sets (`install/common/api/*`), with their current command lists.
pub const PERMISSION_SETS: &[(&str, &str, &str)] = &[
    (
        "billing",
        "admin",
        "v-add-user,v-delete-user,v-suspend-user,v-unsuspend-user,v-change-user-shell,v-list-user,v-list-users,v-make-tmp-file,v-add-domain,v-change-user-package,v-make-tmp-file,v-change-user-password",
    ),
    (
        "mail-accounts",
        "user",
        "v-list-mail-domains,v-list-mail-domain,v-list-mail-account,v-list-mail-accounts,v-list-mail-account-autoreply,v-delete-mail-account,v-delete-mail-account-alias,v-delete-mail-account-autoreply,v-delete-mail-account-forward,v-delete-mail-account-fwd-only,v-add-mail-account,v-add-mail-account-alias,v-add-mail-account-autoreply,v-add-mail-account-forward,v-add-mail-account-fwd-only,v-change-mail-account-password,v-change-mail-account-quota,v-suspend-mail-account,v-suspend-mail-accounts,v-unsuspend-mail-account,v-unsuspend-mail-accounts",
    ),
    (
        "phpmyadmin-sso",
        "admin",
        "v-add-database-temp-user,v-delete-database-temp-user",
    ),
    (
        "purge-nginx-cache",
        "user",
        "v-purge-nginx-cache,v-list-web-domains,v-list-web-domain",
    ),
    (
        "sync-dns-cluster",
        "admin",
        "v-list-users,v-list-sys-config,v-list-user,v-add-cron-restart-job,v-delete-dns-domains-src,v-insert-dns-domain,v-insert-dns-record,v-insert-dns-records,v-rebuild-dns-domains,v-rebuild-dns-domain,v-delete-dns-record,v-make-tmp-file,v-insert-dns-domain,v-delete-dns-domain",
    ),
    (
        "update-dns-records",
        "user",
        "v-list-dns-records,v-change-dns-record",
    ),
];

/// Initialising failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("creating the admin failed ({code}): {output}")]
    Admin { code: u8, output: String },
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Owp(#[from] crate::owp::OwpError),
}

/// What `init` did.
#[derive(Debug)]
pub struct InitReport {
    /// The admin's password when `init` generated it (shown once).
    pub generated_password: Option<String>,
    /// Whether the admin was created now.
    pub created_admin: bool,
}

/// Whether `data_dir` already holds a data root.
pub fn is_initialised(data_dir: &Path) -> bool {
    data_dir.join(HESTIA_CONF).is_file()
}

fn write_if_missing(path: &Path, record: &Record) -> Result<(), InitError> {
    if path.exists() {
        return Ok(());
    }
    let text = record
        .to_source()
        .expect("built-in defaults have no line breaks");
    std::fs::write(path, text).map_err(|source| InitError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Lays out the data root and creates the admin. Idempotent.
pub async fn init(data_dir: &Path, admin_password: Option<&str>) -> Result<InitReport, InitError> {
    for dir in LAYOUT {
        let path = data_dir.join(dir);
        std::fs::create_dir_all(&path).map_err(|source| InitError::Io { path, source })?;
    }
    let mut hestia_conf = Record::from_pairs(DEFAULT_HESTIA_CONF.iter().copied());
    let absolute = std::path::absolute(data_dir).map_err(|source| InitError::Io {
        path: data_dir.to_path_buf(),
        source,
    })?;
    hestia_conf.set("HOME_ROOT", absolute.join("home").to_string_lossy());
    write_if_missing(&data_dir.join(HESTIA_CONF), &hestia_conf)?;
    let (date, time) = hearth_sdk::render::now_date_time();
    let mut package = Record::from_pairs(DEFAULT_PACKAGE.iter().copied());
    package.set("TIME", time);
    package.set("DATE", date);
    write_if_missing(&data_dir.join("data/packages/default.pkg"), &package)?;
    for (relative, contents) in crate::embedded::TEMPLATES {
        let path = data_dir.join("data/templates").join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| InitError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        if !path.exists() {
            std::fs::write(&path, contents).map_err(|source| InitError::Io { path, source })?;
        }
    }
    let mut ip = Record::from_pairs(DEFAULT_IP.iter().copied());
    ip.set("TIME", package.value("TIME"));
    ip.set("DATE", package.value("DATE"));
    write_if_missing(&data_dir.join("data/ips").join(DEFAULT_IP_ADDRESS), &ip)?;
    for (relative, fields) in DB_HOSTS {
        let path = data_dir.join(relative);
        if !path.exists() {
            let mut host = Record::from_pairs(fields.iter().copied());
            host.set("TIME", package.value("TIME"));
            host.set("DATE", package.value("DATE"));
            let port = if relative.contains("mysql") {
                "3306"
            } else {
                "5432"
            };
            host.set("PORT", port);
            let line = host
                .to_line()
                .expect("built-in defaults have no line breaks");
            std::fs::write(&path, line + "\n").map_err(|source| InitError::Io { path, source })?;
        }
    }
    for (name, role, commands) in PERMISSION_SETS {
        write_if_missing(
            &data_dir.join("data/api").join(name),
            &Record::from_pairs([("ROLE", *role), ("COMMANDS", *commands)]),
        )?;
    }
    let hearth = Hearth::open(&Options::new(data_dir)).await?;
    let root_user = hearth.settings()?.root_user().to_string();
    if let Some(admin) = hearth.root().user_conf(&root_user)? {
        seed_owp(&hearth, &admin)?;
        return Ok(InitReport {
            generated_password: None,
            created_admin: false,
        });
    }
    let generated = admin_password
        .is_none()
        .then(|| secrets::random_token(16, hearth_sdk::secrets::ALNUM));
    let password = admin_password
        .map(str::to_string)
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let args: Vec<String> = [
        root_user.as_str(),
        password.as_str(),
        "admin@localhost.localdomain",
        "default",
        "System",
        "Administrator",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let outcome = hearth.call_local("v-add-user", &args).await?;
    if outcome.code != 0 {
        return Err(InitError::Admin {
            code: outcome.code,
            output: outcome.output,
        });
    }
    if let Some(admin) = hearth.root().user_conf(&root_user)? {
        seed_owp(&hearth, &admin)?;
    }
    Ok(InitReport {
        generated_password: generated,
        created_admin: true,
    })
}

/// The OWP roles and superadmin `admin`, whose password is the Hestia admin's (its argon2id
/// hash is copied).
fn seed_owp(hearth: &Hearth, admin: &Record) -> Result<(), InitError> {
    crate::owp::seed(
        hearth.root(),
        admin.value("MD5"),
        &crate::owp::now_datetime(),
    )?;
    Ok(())
}
