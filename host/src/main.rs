//! The `hearth` command line: `init`, `serve`, `call`, `key` and `plugin`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use hearth::config::Config;
use hearth::service::{Hearth, Options};

mod cli_plugin;

/// mimalloc: faster than glibc malloc on the request path, and it gives freed memory back
/// (glibc kept ~20 MB per thread arena after a load run; see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "HestiaCP's /api/, served by sandboxed WebAssembly plugins"
)]
struct Cli {
    /// The data root.
    #[arg(long, global = true, env = "HEARTH_DATA_DIR", default_value = "./var")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lay out a data root and create the root admin (idempotent).
    Init {
        /// The admin's password; generated and printed once when absent.
        #[arg(long)]
        admin_password: Option<String>,
    },
    /// Serve the API over HTTPS, initialising the data root first when it is missing.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run one command locally as the root admin; the exit status is the Hestia return code.
    Call {
        /// The command, e.g. v-list-users.
        command: String,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Manage access keys.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Install, approve and manage plugins; run one for development.
    Plugin {
        #[command(subcommand)]
        action: cli_plugin::PluginAction,
    },
}

#[derive(Subcommand)]
enum KeyAction {
    /// Create an access key and print ACCESS_KEY_ID:SECRET once (v-add-access-key).
    Add {
        user: String,
        /// Comma-separated permission sets (data/api/<set>); empty means unrestricted for root.
        #[arg(long, default_value = "")]
        permissions: String,
        #[arg(long, default_value = "")]
        comment: String,
        /// Expiry: a number of days, or a UTC date `YYYY-MM-DD[ HH:MM:SS]`.
        #[arg(long, default_value = "")]
        expires: String,
        /// Comma-separated addresses the key may be used from.
        #[arg(long, default_value = "")]
        ip: String,
    },
    /// List access keys, all or one user's (v-list-access-keys); secrets are never shown.
    List {
        user: Option<String>,
        /// Output format: shell or json.
        #[arg(long, default_value = "shell")]
        format: String,
    },
    /// Delete an access key (v-delete-access-key).
    Delete { id: String },
}

const DEFAULT_LISTEN: &str = "0.0.0.0:8083";

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn print_generated_password(password: &Option<String>) {
    if let Some(password) = password {
        println!("admin password: {password}");
    }
}

async fn initialise(data_dir: &Path, admin_password: Option<&str>) -> Result<()> {
    let report = hearth::init::init(data_dir, admin_password)
        .await
        .with_context(|| format!("initialise {}", data_dir.display()))?;
    print_generated_password(&report.generated_password);
    if report.created_admin {
        println!("initialised {}", data_dir.display());
    } else {
        println!("{} is already initialised", data_dir.display());
    }
    Ok(())
}

async fn serve(data_dir: &Path, listen: Option<String>, config: Option<PathBuf>) -> Result<()> {
    let config = match config {
        Some(path) => Config::load(&path)?,
        None => Config::default(),
    };
    if !hearth::init::is_initialised(data_dir) {
        let report = hearth::init::init(data_dir, None).await?;
        print_generated_password(&report.generated_password);
    } else if !data_dir.join("owp/users.conf").is_file() {
        // A data root from before the OWP personality: add its roles and admin.
        hearth::init::init(data_dir, None).await?;
    }
    let listen = listen
        .or(config.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("invalid listen address {listen}"))?;
    let options = Options {
        data_dir: data_dir.to_path_buf(),
        limits: config.limits(),
        password_cache_ttl: config.password_cache_ttl(),
        trusted_proxies: config.trusted_proxies.clone(),
        abuse: config.abuse.clone(),
        plugin_limits: config.plugin_limits(),
        trap_policies: config.trap_policies(),
        memoize_reads: config.memoize_reads.unwrap_or(true),
    };
    let hearth = Arc::new(Hearth::open(&options).await?);
    hearth.start_cluster_worker();
    hearth.start_log_writeback();
    hearth::plugins::watch::start(hearth.clone());
    if let Some(owp_listen) = &config.owp_listen {
        let owp_addr: SocketAddr = owp_listen
            .parse()
            .with_context(|| format!("invalid owp_listen address {owp_listen}"))?;
        hearth::server::serve_owp_http(hearth.clone(), owp_addr).await?;
    }
    hearth::server::serve(hearth, addr, data_dir).await?;
    Ok(())
}

async fn call(data_dir: &Path, command: &str, args: &[String]) -> Result<ExitCode> {
    let hearth = Hearth::open(&Options::new(data_dir)).await?;
    let outcome = hearth.call_local(command, args).await?;
    print!("{}", outcome.output);
    if !outcome.output.is_empty() && !outcome.output.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::from(outcome.code))
}

#[tokio::main]
async fn main() -> Result<ExitCode> {
    // mimalloc asks for transparent huge pages for its arenas (madvise), and a 2 MiB page
    // half used by short-lived request data stays resident: after 30 s of 32 concurrent
    // durable commands the server held 210 MB, 89 MB without THP, with the same throughput.
    // A kernel that does not know the setting leaves THP as it is.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = Cli::parse();
    match cli.command {
        Command::Init { admin_password } => {
            init_tracing("warn");
            initialise(&cli.data_dir, admin_password.as_deref()).await?;
        }
        Command::Serve { listen, config } => {
            init_tracing("info");
            serve(&cli.data_dir, listen, config).await?;
        }
        Command::Call { command, args } => {
            init_tracing("warn");
            return call(&cli.data_dir, &command, &args).await;
        }
        Command::Plugin { action } => {
            init_tracing("warn");
            return cli_plugin::run(&cli.data_dir, action).await;
        }
        Command::Key { action } => {
            init_tracing("warn");
            let (command, args) = match action {
                KeyAction::Add {
                    user,
                    permissions,
                    comment,
                    expires,
                    ip,
                } => (
                    "v-add-access-key",
                    vec![user, permissions, comment, "plain".into(), expires, ip],
                ),
                KeyAction::List { user, format } => {
                    ("v-list-access-keys", vec![user.unwrap_or_default(), format])
                }
                KeyAction::Delete { id } => ("v-delete-access-key", vec![id]),
            };
            return call(&cli.data_dir, command, &args).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}
