//! The invocation as a handler sees it: arguments by Hestia position and the guest paths.

use std::path::PathBuf;

/// Where the granted directories are. In a plugin they are the guest's preopens (`/user`,
/// `/conf`, ...); native unit tests point them into a temporary directory instead.
#[derive(Clone, Debug)]
pub struct DataPaths {
    root: PathBuf,
}

impl DataPaths {
    /// The layout inside the sandbox: preopens mounted below `/`.
    pub fn guest() -> Self {
        Self {
            root: PathBuf::from("/"),
        }
    }

    /// A layout below `root`, for running handlers natively in tests.
    pub fn under(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

/// One command call: its name, its positional arguments, and where its directories are.
#[derive(Clone, Debug)]
pub struct Call {
    command: String,
    args: Vec<String>,
    root_user: String,
    paths: DataPaths,
}

impl Call {
    /// A call with the guest's path layout.
    pub fn new(command: String, args: Vec<String>, root_user: String) -> Self {
        Self {
            command,
            args,
            root_user,
            paths: DataPaths::guest(),
        }
    }

    /// The same call with another path layout.
    pub fn with_paths(&self, paths: DataPaths) -> Self {
        Self {
            paths,
            ..self.clone()
        }
    }

    /// The command name.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// All positional arguments.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// Hestia's ROOT_USER.
    pub fn root_user(&self) -> &str {
        &self.root_user
    }

    /// Argument `n` (1-based, like `$1`), or `""` when absent.
    pub fn arg(&self, n: usize) -> &str {
        self.arg_opt(n).unwrap_or("")
    }

    /// Argument `n` (1-based), or `None` when absent. An explicitly empty argument is
    /// `Some("")`: Hestia's `${N-default}` distinguishes the two.
    pub fn arg_opt(&self, n: usize) -> Option<&str> {
        n.checked_sub(1)
            .and_then(|i| self.args.get(i))
            .map(String::as_str)
    }

    /// Argument `n`, or `default` when absent *or empty* (Hestia's `${N:-default}`).
    pub fn arg_or<'a>(&'a self, n: usize, default: &'a str) -> &'a str {
        match self.arg_opt(n) {
            Some(value) if !value.is_empty() => value,
            _ => default,
        }
    }

    /// A path inside the caller's user directory (`/user/...`).
    pub fn user_path(&self, relative: &str) -> PathBuf {
        self.paths.root.join("user").join(relative)
    }

    /// A path inside `user`'s home (`/home/<user>/...`), granted by `home_access`. Rendered
    /// files must name the real location instead: `HOME_ROOT` of `hestia.conf` plus the same
    /// relative path.
    pub fn home_path(&self, user: &str, relative: &str) -> PathBuf {
        self.paths.root.join("home").join(user).join(relative)
    }

    /// A path inside a granted system directory, e.g. `system_path("conf/hestia.conf")`.
    pub fn system_path(&self, relative: &str) -> PathBuf {
        self.paths.root.join(relative)
    }
}
