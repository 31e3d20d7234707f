//! The plugin registry: which installed plugins the admin approved, pinned by sha256, with
//! their grants, the commands they win, and the versions kept for rollback.
//!
//! Layout below the data root:
//!   plugins/<name>.wasm                  the active version of an installed plugin
//!   plugins/versions/<name>/<sha>.wasm   every version ever installed (for rollback)
//!   plugins/approvals.json               the approvals (see [`Registry`])
//!
//! A plugin is loaded only when it has an approval, is enabled, and its file's sha256 is the
//! approved one: a changed file is skipped (and logged) until it is approved again.

pub mod install;
pub mod scaffold;
pub mod stats;
pub mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runtime::{Access, LoadedPlugin, PluginSource};

/// A registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid approvals file: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("no plugin named {0} is installed")]
    Unknown(String),
    #[error("plugin {0} has no earlier version to roll back to")]
    NoEarlierVersion(String),
    #[error("the archived version {sha256} of plugin {name} is missing or changed")]
    ArchiveTampered { name: String, sha256: String },
    #[error("{0:?} is not a valid plugin name (letters, digits, '-' and '_', at most 64)")]
    InvalidName(String),
}

/// What a plugin version is allowed: one entry per capability. A version needs a new
/// approval only when its set is not contained in the approved one.
pub type Grants = BTreeSet<String>;

/// One approved version of a plugin.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Version {
    pub sha256: String,
    pub version: String,
    pub grants: Grants,
    /// Seconds since the epoch when it was approved.
    pub approved_at: u64,
}

/// The approval of one installed plugin.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Approval {
    /// The approved, active version.
    pub current: Version,
    /// Earlier versions, newest last; `rollback` returns to the last one.
    #[serde(default)]
    pub history: Vec<Version>,
    pub enabled: bool,
    /// Commands this plugin provides although another plugin does too: the admin said this
    /// one wins.
    #[serde(default)]
    pub wins: BTreeSet<String>,
}

/// `plugins/approvals.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Registry {
    pub plugins: BTreeMap<String, Approval>,
}

/// Whether a plugin name is acceptable (it becomes a file name).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The sha256 of a component, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError + '_ {
    move |source| RegistryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a file through a temporary name and a rename, so readers see old or new.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes).map_err(io_error(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error(path))
}

/// An exclusive hold on the registry: admin commands and the server's trap policy each
/// read, change and write `approvals.json` under it, so no change is lost.
pub struct RegistryLock {
    _file: std::fs::File,
}

/// Waits for and takes the registry lock (`plugins/.lock`, an advisory `flock`).
pub fn lock_registry(data_dir: &Path) -> Result<RegistryLock, RegistryError> {
    let dir = plugins_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let path = dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).map_err(|errno| {
        RegistryError::Io {
            path,
            source: errno.into(),
        }
    })?;
    Ok(RegistryLock { _file: file })
}

/// The folder of installed plugins.
pub fn plugins_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("plugins")
}

/// The active file of plugin `name`.
pub fn active_path(data_dir: &Path, name: &str) -> PathBuf {
    plugins_dir(data_dir).join(format!("{name}.wasm"))
}

/// The archived copy of one version.
pub fn archive_path(data_dir: &Path, name: &str, sha256: &str) -> PathBuf {
    plugins_dir(data_dir)
        .join("versions")
        .join(name)
        .join(format!("{sha256}.wasm"))
}

impl Registry {
    fn path(data_dir: &Path) -> PathBuf {
        plugins_dir(data_dir).join("approvals.json")
    }

    /// Reads the registry; a missing file is an empty registry.
    pub fn load(data_dir: &Path) -> Result<Self, RegistryError> {
        let path = Self::path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| RegistryError::Parse { path, source }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(RegistryError::Io { path, source }),
        }
    }

    /// Writes the registry atomically.
    pub fn save(&self, data_dir: &Path) -> Result<(), RegistryError> {
        let text = serde_json::to_vec_pretty(self).expect("the registry serialises");
        write_atomic(&Self::path(data_dir), &text)
    }

    /// The approval of `name`, or [`RegistryError::Unknown`].
    pub fn get_mut(&mut self, name: &str) -> Result<&mut Approval, RegistryError> {
        self.plugins
            .get_mut(name)
            .ok_or_else(|| RegistryError::Unknown(name.to_string()))
    }
}

/// Why an installed plugin file is not loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// There is no approval for it.
    NotApproved,
    /// The admin disabled it.
    Disabled,
    /// The file's sha256 is not the approved one.
    Changed { approved: String, found: String },
    /// The approved plugin's file is missing.
    Missing,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NotApproved => write!(f, "not approved (run `hearth plugin install` on it)"),
            Skip::Disabled => write!(f, "disabled"),
            Skip::Changed { approved, found } => write!(
                f,
                "changed since approval (approved sha256 {approved}, file has {found}); approve it again with `hearth plugin install`"
            ),
            Skip::Missing => write!(f, "its file is missing"),
        }
    }
}

/// The state of every installed plugin, for `load` and `plugin list`.
pub struct Scan {
    /// Plugins to load.
    pub sources: Vec<PluginSource>,
    /// Command → the plugin the admin said wins it.
    pub winners: HashMap<String, String>,
    /// Plugins not loaded, and why.
    pub skipped: Vec<(String, Skip)>,
}

/// Reads `plugins/`: approved, enabled, unchanged plugins are returned to be loaded; every
/// other file is reported in `skipped`.
pub fn scan(data_dir: &Path) -> Result<Scan, RegistryError> {
    let registry = Registry::load(data_dir)?;
    let dir = plugins_dir(data_dir);
    let mut files = BTreeSet::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let path = entry.map_err(io_error(&dir))?.path();
                if path.extension().is_some_and(|ext| ext == "wasm")
                    && let Some(stem) = path.file_stem()
                {
                    files.insert(stem.to_string_lossy().into_owned());
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(RegistryError::Io { path: dir, source }),
    }
    let mut scan = Scan {
        sources: Vec::new(),
        winners: HashMap::new(),
        skipped: Vec::new(),
    };
    for name in registry.plugins.keys().filter(|n| !files.contains(*n)) {
        scan.skipped.push((name.clone(), Skip::Missing));
    }
    for name in files {
        let Some(approval) = registry.plugins.get(&name) else {
            scan.skipped.push((name, Skip::NotApproved));
            continue;
        };
        if !approval.enabled {
            scan.skipped.push((name, Skip::Disabled));
            continue;
        }
        let path = active_path(data_dir, &name);
        let bytes = std::fs::read(&path).map_err(io_error(&path))?;
        let found = sha256_hex(&bytes);
        if found != approval.current.sha256 {
            scan.skipped.push((
                name,
                Skip::Changed {
                    approved: approval.current.sha256.clone(),
                    found,
                },
            ));
            continue;
        }
        for command in &approval.wins {
            scan.winners.insert(command.clone(), name.clone());
        }
        scan.sources.push(PluginSource { name, bytes });
    }
    Ok(scan)
}

fn access_grants(grants: &mut Grants, prefix: &str, access: Access) {
    match access {
        Access::None => {}
        Access::ReadOnly => {
            grants.insert(format!("{prefix}:read"));
        }
        Access::ReadWrite => {
            grants.insert(format!("{prefix}:read"));
            grants.insert(format!("{prefix}:write"));
        }
    }
}

/// The grants a loaded plugin asks for: its commands, each command's directories and
/// whether it mutates, and the host interfaces it declares and imports.
pub fn grants_of(plugin: &LoadedPlugin) -> Grants {
    let mut grants = Grants::new();
    for spec in &plugin.manifest().commands {
        let name = &spec.name;
        grants.insert(format!("command {name}"));
        if spec.mutating {
            grants.insert(format!("command {name} mutating"));
        }
        access_grants(
            &mut grants,
            &format!("command {name} user"),
            spec.user_access,
        );
        access_grants(
            &mut grants,
            &format!("command {name} home"),
            spec.home_access,
        );
        for dir in &spec.system_dirs {
            access_grants(
                &mut grants,
                &format!("command {name} dir /{}", dir.path),
                dir.access,
            );
        }
    }
    for interface in &plugin.manifest().interfaces {
        grants.insert(format!("interface {}", unversioned(&interface.name)));
    }
    for import in plugin.imports() {
        grants.insert(format!("import {}", unversioned(import)));
    }
    grants
}

fn unversioned(interface: &str) -> &str {
    interface.split('@').next().unwrap_or(interface)
}

/// Seconds since the epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `plugin disable` / `plugin enable`.
pub fn set_enabled(data_dir: &Path, name: &str, enabled: bool) -> Result<(), RegistryError> {
    let _locked = lock_registry(data_dir)?;
    let mut registry = Registry::load(data_dir)?;
    registry.get_mut(name)?.enabled = enabled;
    registry.save(data_dir)
}

/// `plugin remove`: the active file, its archive and its approval.
pub fn remove(data_dir: &Path, name: &str) -> Result<(), RegistryError> {
    let _locked = lock_registry(data_dir)?;
    let mut registry = Registry::load(data_dir)?;
    if registry.plugins.remove(name).is_none() && !active_path(data_dir, name).exists() {
        return Err(RegistryError::Unknown(name.to_string()));
    }
    registry.save(data_dir)?;
    let active = active_path(data_dir, name);
    match std::fs::remove_file(&active) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(RegistryError::Io {
                path: active,
                source,
            });
        }
    }
    let archive = plugins_dir(data_dir).join("versions").join(name);
    let _ = std::fs::remove_dir_all(archive);
    Ok(())
}

/// `plugin rollback`: makes the previous approved version active again (its archived bytes
/// are checked against its sha256 first). Returns the version now active.
pub fn rollback(data_dir: &Path, name: &str) -> Result<Version, RegistryError> {
    let _locked = lock_registry(data_dir)?;
    let mut registry = Registry::load(data_dir)?;
    let approval = registry.get_mut(name)?;
    let previous = approval
        .history
        .last()
        .cloned()
        .ok_or_else(|| RegistryError::NoEarlierVersion(name.to_string()))?;
    let archived = archive_path(data_dir, name, &previous.sha256);
    let bytes = std::fs::read(&archived).map_err(io_error(&archived))?;
    if sha256_hex(&bytes) != previous.sha256 {
        return Err(RegistryError::ArchiveTampered {
            name: name.to_string(),
            sha256: previous.sha256,
        });
    }
    approval.history.pop();
    let replaced = std::mem::replace(&mut approval.current, previous.clone());
    // The replaced version stays archived but leaves the rollback chain.
    let _ = replaced;
    write_atomic(&active_path(data_dir, name), &bytes)?;
    registry.save(data_dir)?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_file_safe() {
        assert!(valid_name("disk-usage_2"));
        assert!(!valid_name("../etc"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
    }

    #[test]
    fn wit_versions_of_another_major_are_incompatible() {
        use crate::runtime::wit_version_compatible;
        assert!(wit_version_compatible("0.1.0"));
        assert!(wit_version_compatible("0.1.7"));
        assert!(!wit_version_compatible("0.2.0"));
        assert!(!wit_version_compatible("1.0.0"));
        assert!(!wit_version_compatible("garbage"));
    }

    #[test]
    fn read_write_contains_read_only() {
        let mut wide = Grants::new();
        access_grants(&mut wide, "command v-x user", Access::ReadWrite);
        let mut narrow = Grants::new();
        access_grants(&mut narrow, "command v-x user", Access::ReadOnly);
        assert!(narrow.is_subset(&wide));
        assert!(!wide.is_subset(&narrow));
    }
}
