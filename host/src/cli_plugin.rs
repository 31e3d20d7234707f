//! `hearth plugin ...`: install (with the consent prompt), list, inspect, disable, enable,
//! remove, rollback, and `run` for plugin development.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use hearth::plugins::{self, Registry, Skip, install};
use hearth::runtime::Runtime;
use hearth::service::{Hearth, Options};

#[derive(Subcommand)]
pub enum PluginAction {
    /// Validate a component, show what it asks for and what it imports, and approve it.
    Install {
        /// The component (`.wasm`).
        file: PathBuf,
        /// Approve without asking (for scripts).
        #[arg(long)]
        yes: bool,
        /// The name to install it under (default: the file name without `.wasm`).
        #[arg(long)]
        name: Option<String>,
        /// Let this plugin provide COMMAND although another plugin provides it too.
        #[arg(long = "wins", value_name = "COMMAND")]
        wins: Vec<String>,
    },
    /// List installed plugins and whether they are loaded.
    List,
    /// Show one plugin's approval, versions, commands and interfaces.
    Inspect { name: String },
    /// Stop loading a plugin (kept installed and approved).
    Disable { name: String },
    /// Load a disabled plugin again.
    Enable { name: String },
    /// Remove a plugin, its archived versions and its approval.
    Remove { name: String },
    /// Make the previously approved version active again.
    Rollback { name: String },
    /// Run one command of a component against the data root, without a server or approval.
    Run {
        /// The component (`.wasm`).
        file: PathBuf,
        /// The command, e.g. v-disk-usage.
        command: String,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
        /// Run as this user: a user other than the root admin may only name itself as USER.
        #[arg(long)]
        user: Option<String>,
    },
    /// Write a new plugin project that builds and passes its own test (`./test.sh`).
    New {
        /// The language: python or js.
        #[arg(long)]
        lang: plugins::scaffold::Language,
        /// The plugin's name.
        name: String,
        /// The project directory (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn state(scan: &plugins::Scan, name: &str) -> String {
    if scan.sources.iter().any(|s| s.name == name) {
        return "enabled".to_string();
    }
    match scan.skipped.iter().find(|(n, _)| n == name) {
        Some((_, Skip::Disabled)) => "disabled".to_string(),
        Some((_, Skip::Changed { .. })) => "CHANGED since approval (not loaded)".to_string(),
        Some((_, Skip::NotApproved)) => "not approved (not loaded)".to_string(),
        Some((_, Skip::Missing)) => "file missing (not loaded)".to_string(),
        None => "unknown".to_string(),
    }
}

fn ask(question: &str) -> Result<bool> {
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

pub async fn run(data_dir: &Path, action: PluginAction) -> Result<ExitCode> {
    match action {
        PluginAction::Install {
            file,
            yes,
            name,
            wins,
        } => {
            let hearth = Hearth::open(&Options::new(data_dir)).await?;
            let candidate = install::prepare(&hearth, &file, name.as_deref(), &wins)
                .await
                .with_context(|| format!("cannot install {}", file.display()))?;
            print!("{}", install::describe(&candidate));
            if candidate.needs_approval() {
                if !yes && !ask("\nApprove this plugin?")? {
                    bail!("not approved; nothing was installed");
                }
            } else {
                println!("\nNo new grants: no new approval is needed.");
            }
            install::commit(data_dir, &candidate)?;
            println!("installed {} (sha256 {})", candidate.name, candidate.sha256);
        }
        PluginAction::List => {
            let registry = Registry::load(data_dir)?;
            let scan = plugins::scan(data_dir)?;
            let mut names: Vec<&String> = registry.plugins.keys().collect();
            for (name, _) in &scan.skipped {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            names.sort();
            println!("{:<20} {:<10} {:<14} STATE", "NAME", "VERSION", "SHA256");
            for name in names {
                let (version, sha) = registry
                    .plugins
                    .get(name)
                    .map(|a| (a.current.version.as_str(), &a.current.sha256[..12]))
                    .unwrap_or(("-", "-"));
                println!("{name:<20} {version:<10} {sha:<14} {}", state(&scan, name));
            }
        }
        PluginAction::Inspect { name } => {
            let registry = Registry::load(data_dir)?;
            let scan = plugins::scan(data_dir)?;
            let approval = registry
                .plugins
                .get(&name)
                .with_context(|| format!("no plugin named {name} is installed"))?;
            println!("plugin:   {name}");
            println!("state:    {}", state(&scan, &name));
            println!(
                "approved: version {} sha256 {}",
                approval.current.version, approval.current.sha256
            );
            for old in approval.history.iter().rev() {
                println!("earlier:  version {} sha256 {}", old.version, old.sha256);
            }
            for command in &approval.wins {
                println!("wins:     {command}");
            }
            println!("grants:");
            for grant in &approval.current.grants {
                println!("  {grant}");
            }
            let stats = plugins::stats::PluginStats::load(data_dir, &name);
            let counts: Vec<String> = plugins::stats::LimitKind::ALL
                .iter()
                .map(|kind| {
                    let count = stats.limits_hit.get(kind).copied().unwrap_or(0);
                    format!("{kind}={count}")
                })
                .collect();
            println!("limits hit: {}", counts.join(" "));
            if let Some(disabled) = &stats.auto_disabled {
                println!("auto-disabled: {}", disabled.reason);
            }
        }
        PluginAction::Disable { name } => {
            plugins::set_enabled(data_dir, &name, false)?;
            println!("disabled {name}");
        }
        PluginAction::Enable { name } => {
            plugins::set_enabled(data_dir, &name, true)?;
            plugins::stats::clear_auto_disabled(data_dir, &name)?;
            println!("enabled {name}");
        }
        PluginAction::Remove { name } => {
            plugins::remove(data_dir, &name)?;
            println!("removed {name}");
        }
        PluginAction::Rollback { name } => {
            let version = plugins::rollback(data_dir, &name)?;
            println!(
                "rolled {name} back to version {} (sha256 {})",
                version.version, version.sha256
            );
        }
        PluginAction::Run {
            file,
            command,
            args,
            user,
        } => return run_one(data_dir, &file, &command, &args, user.as_deref()).await,
        PluginAction::New { lang, name, dir } => {
            let root = plugins::scaffold::scaffold(lang, &name, dir.as_deref())?;
            println!(
                "created {}: build with ./build.sh, test with ./test.sh",
                root.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_one(
    data_dir: &Path,
    file: &Path,
    command: &str,
    args: &[String],
    user: Option<&str>,
) -> Result<ExitCode> {
    let hearth = Hearth::open(&Options::new(data_dir)).await?;
    let bytes = std::fs::read(file).with_context(|| format!("read {}", file.display()))?;
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let runtime = Runtime::load(
        vec![hearth::runtime::PluginSource { name, bytes }],
        data_dir.join("cache"),
        hearth.limits().clone(),
        hearth.services().clone(),
    )
    .await?;
    let Some(resolved) = runtime.resolve(command) else {
        bail!("{} does not provide {command}", file.display());
    };
    let root_user = hearth.settings()?.root_user().to_string();
    if let Some(user) = user
        && user != root_user
        && hearth::policy::user_argument(resolved.spec(), args) != Some(user)
    {
        bail!("user {user} may only run {command} for itself (USER argument)");
    }
    let grant = hearth::policy::grant_for(hearth.root(), resolved.spec(), args);
    let outcome = match runtime.invoke(&resolved, args, &root_user, &grant).await {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("{command}: {error}");
            hearth::service::failure_outcome(command, &error)
        }
    };
    print!("{}", outcome.output);
    if !outcome.output.is_empty() && !outcome.output.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::from(outcome.code))
}
