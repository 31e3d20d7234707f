//! `hearth plugin install`: validate and describe a component, show the admin what it asks
//! for next to what it actually imports, and record the approval pinned to its sha256.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    Approval, Grants, Registry, RegistryError, Version, active_path, archive_path, grants_of, now,
    sha256_hex, valid_name, write_atomic,
};
use crate::runtime::{Access, LoadError, LoadedPlugin, PluginSource, Runtime};
use crate::service::Hearth;

/// Why a plugin cannot be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0:?} is not a valid plugin name (letters, digits, '-' and '_'); pass --name")]
    InvalidName(String),
    #[error("the component was rejected: {0}")]
    Rejected(#[from] LoadError),
    #[error(
        "command {command} is already provided by plugin {other}; pass --wins {command} to let {name} provide it"
    )]
    Conflict {
        command: String,
        other: String,
        name: String,
    },
    #[error("--wins {0}: the plugin does not provide that command")]
    WinsUnknown(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// A validated component, ready to be shown to the admin and recorded.
pub struct Candidate {
    pub name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub plugin: Arc<LoadedPlugin>,
    pub grants: Grants,
    pub wins: BTreeSet<String>,
    /// The approval this install replaces, if the plugin is installed already.
    pub previous: Option<Approval>,
}

impl Candidate {
    /// Whether the admin must approve: a new plugin, or one whose grants (or won commands)
    /// grow beyond what was approved.
    pub fn needs_approval(&self) -> bool {
        match &self.previous {
            None => true,
            Some(previous) => {
                !self.grants.is_subset(&previous.current.grants)
                    || !self.wins.is_subset(&previous.wins)
            }
        }
    }

    /// Grants asked for that the approved version did not have.
    pub fn new_grants(&self) -> Vec<&String> {
        match &self.previous {
            None => self.grants.iter().collect(),
            Some(previous) => self.grants.difference(&previous.current.grants).collect(),
        }
    }
}

/// Validates `file` (compiling it into the cache, calling `describe`, checking its imports
/// and WIT version) and checks its commands against the ones `hearth` already serves.
pub async fn prepare(
    hearth: &Hearth,
    file: &Path,
    name: Option<&str>,
    wins: &[String],
) -> Result<Candidate, InstallError> {
    let bytes = std::fs::read(file).map_err(|source| InstallError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let name = match name {
        Some(name) => name.to_string(),
        None => file
            .file_stem()
            .map(|s| {
                s.to_string_lossy()
                    .trim_start_matches("hearth_plugin_")
                    .to_string()
            })
            .unwrap_or_default(),
    };
    if !valid_name(&name) {
        return Err(InstallError::InvalidName(name));
    }
    let data_dir = hearth.root().path().to_path_buf();
    let runtime = Runtime::load(
        vec![PluginSource {
            name: name.clone(),
            bytes: bytes.clone(),
        }],
        data_dir.join("cache"),
        hearth.limits().clone(),
        hearth.services().clone(),
    )
    .await?;
    let plugin = runtime.plugins()[0].clone();
    let provided: BTreeSet<&str> = plugin
        .manifest()
        .commands
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let wins: BTreeSet<String> = wins.iter().cloned().collect();
    if let Some(unknown) = wins.iter().find(|w| !provided.contains(w.as_str())) {
        return Err(InstallError::WinsUnknown(unknown.clone()));
    }
    for command in &provided {
        if let Some(resolved) = hearth.runtime().resolve(command)
            && resolved.plugin.name() != name
            && !wins.contains(*command)
        {
            return Err(InstallError::Conflict {
                command: command.to_string(),
                other: resolved.plugin.name().to_string(),
                name,
            });
        }
    }
    let previous = Registry::load(&data_dir)?.plugins.get(&name).cloned();
    Ok(Candidate {
        sha256: sha256_hex(&bytes),
        grants: grants_of(&plugin),
        name,
        bytes,
        plugin,
        wins,
        previous,
    })
}

fn access(access: Access) -> &'static str {
    match access {
        Access::None => "none",
        Access::ReadOnly => "read-only",
        Access::ReadWrite => "read-write",
    }
}

fn unversioned(interface: &str) -> &str {
    interface.split('@').next().unwrap_or(interface)
}

/// What the admin is shown before approving: the commands with their scope and access, and
/// the host interfaces declared (with reasons) side by side with those actually imported.
pub fn describe(candidate: &Candidate) -> String {
    let plugin = &candidate.plugin;
    let manifest = plugin.manifest();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plugin {} (manifest name {}, version {})\n  sha256 {}",
        candidate.name, manifest.name, manifest.version, candidate.sha256
    );
    let _ = writeln!(out, "\nCommands:");
    for spec in &manifest.commands {
        let scope = if spec.user_arg > 0 {
            format!("user (USER is argument {})", spec.user_arg)
        } else {
            "system".to_string()
        };
        let _ = writeln!(out, "  {} {}", spec.name, spec.usage);
        let _ = writeln!(out, "    scope:       {scope}");
        let _ = writeln!(
            out,
            "    access:      user data {}, home {}, {}",
            access(spec.user_access),
            access(spec.home_access),
            if spec.mutating {
                "mutating"
            } else {
                "read-only command"
            }
        );
        for dir in &spec.system_dirs {
            let _ = writeln!(out, "    system dir:  /{} {}", dir.path, access(dir.access));
        }
        if candidate.wins.contains(&spec.name) {
            let _ = writeln!(
                out,
                "    overrides:   the command of the same name of another plugin"
            );
        }
    }
    let _ = writeln!(out, "\nHost interfaces:");
    let _ = writeln!(
        out,
        "  {:<34} {:<40} imported by the binary",
        "interface", "declared (reason)"
    );
    let mut names: BTreeSet<String> = manifest
        .interfaces
        .iter()
        .map(|i| unversioned(&i.name).to_string())
        .collect();
    for import in plugin.imports() {
        names.insert(unversioned(import).to_string());
    }
    for interface in names {
        let declared = manifest
            .interfaces
            .iter()
            .find(|i| unversioned(&i.name) == interface)
            .map(|i| format!("yes: {}", i.reason))
            .unwrap_or_else(|| {
                if interface.starts_with("wasi:") || interface == "hearth:plugin/types" {
                    "(always available)".to_string()
                } else {
                    "NO".to_string()
                }
            });
        let imported = plugin
            .imports()
            .iter()
            .find(|i| unversioned(i) == interface)
            .map(String::as_str)
            .unwrap_or("no");
        let _ = writeln!(out, "  {interface:<34} {declared:<40} {imported}");
    }
    if let Some(previous) = &candidate.previous {
        let new = candidate.new_grants();
        if new.is_empty() {
            let _ = writeln!(
                out,
                "\nReplaces approved version {} ({}); it asks for nothing more.",
                previous.current.version, previous.current.sha256
            );
        } else {
            let _ = writeln!(
                out,
                "\nReplaces approved version {} ({}); new grants:",
                previous.current.version, previous.current.sha256
            );
            for grant in new {
                let _ = writeln!(out, "  + {grant}");
            }
        }
    }
    out
}

/// Records the approval: archives the bytes, makes them the active file and pins the sha256.
pub fn commit(data_dir: &Path, candidate: &Candidate) -> Result<(), InstallError> {
    write_atomic(
        &archive_path(data_dir, &candidate.name, &candidate.sha256),
        &candidate.bytes,
    )?;
    let version = Version {
        sha256: candidate.sha256.clone(),
        version: candidate.plugin.manifest().version.clone(),
        grants: candidate.grants.clone(),
        approved_at: now(),
    };
    let _locked = super::lock_registry(data_dir)?;
    let mut registry = Registry::load(data_dir)?;
    let approval = match registry.plugins.remove(&candidate.name) {
        Some(mut approval) => {
            if approval.current.sha256 != candidate.sha256 {
                let old = std::mem::replace(&mut approval.current, version);
                approval.history.push(old);
            } else {
                approval.current = version;
            }
            approval.wins.extend(candidate.wins.iter().cloned());
            approval
        }
        None => Approval {
            current: version,
            history: Vec::new(),
            enabled: true,
            wins: candidate.wins.clone(),
        },
    };
    registry.plugins.insert(candidate.name.clone(), approval);
    write_atomic(&active_path(data_dir, &candidate.name), &candidate.bytes)?;
    registry.save(data_dir)?;
    Ok(())
}
