//! `hearth plugin new`: writes a plugin project (Rust, Python or JavaScript) that builds and passes
//! its own test, from the examples under `plugins/examples` and the WIT contract.

use std::path::{Path, PathBuf};

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0} already exists; choose another NAME or --dir")]
    Exists(PathBuf),
    #[error("invalid plugin name {0:?}: use lowercase letters, digits and '-'")]
    InvalidName(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The languages a project can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    Rust,
    Python,
    Js,
}

const PLUGIN_WIT: &str = include_str!("../../../wit/plugin.wit");
const PLAIN_COMMAND_WIT: &str = include_str!("../../../wit/plain-command.wit");
const TEST_SCRIPT: &str = include_str!("../../templates/test-python.sh");

const RUST_MANIFEST: &str = include_str!("../../templates/rust/Cargo.toml.template");
const RUST_LIB: &str = include_str!("../../templates/rust/lib.rs.template");
const RUST_BUILD: &str = include_str!("../../templates/rust/build.sh.template");
/// The SDK a Rust project depends on: this checkout's `plugins/sdk`.
const SDK_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/sdk");

const PYTHON_APP: &str = include_str!("../../../plugins/examples/python/app.py");
const PYTHON_BUILD: &str = include_str!("../../../plugins/examples/python/build.sh");

const JS_PLUGIN: &str = include_str!("../../../plugins/examples/js/plugin.js");
const JS_PACKAGE: &str = include_str!("../../../plugins/examples/js/package.json");
const JS_LOCK: &str = include_str!("../../../plugins/examples/js/package-lock.json");
const JS_WORLD: &str = include_str!("../../../plugins/examples/js/wit/world.wit");
const WASI_FILESYSTEM: &str =
    include_str!("../../../plugins/examples/js/wit/deps/filesystem/package.wit");
const WASI_IO: &str = include_str!("../../../plugins/examples/js/wit/deps/io/package.wit");
const WASI_CLOCKS: &str = include_str!("../../../plugins/examples/js/wit/deps/clocks/package.wit");

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

/// `test.sh`: builds the project and checks that `command alice csv` prints a line matching
/// the regular expression `expect`.
fn test_script(command: &str, expect: &str) -> String {
    TEST_SCRIPT
        .replace("\"$COMMAND\"", command)
        .replace("\"$EXPECT\"", &format!("'{expect}'"))
}

/// The files of a new project named `name`: (relative path, contents, executable).
fn files(language: Language, name: &str) -> Vec<(&'static str, String, bool)> {
    match language {
        Language::Rust => vec![
            (
                "Cargo.toml",
                RUST_MANIFEST
                    .replace("NAME", name)
                    .replace("SDK_PATH", SDK_PATH),
                false,
            ),
            ("src/lib.rs", RUST_LIB.replace("NAME", name), false),
            (
                "build.sh",
                RUST_BUILD.replace("CRATE", &name.replace('-', "_")),
                true,
            ),
            ("test.sh", test_script("v-list-user-disk", "^site,5000,1$"), true),
            (".gitignore", "plugin.wasm\ntarget/\n".to_string(), false),
        ],
        Language::Python => vec![
            (
                "app.py",
                PYTHON_APP.replace("\"example-python\"", &format!("{name:?}")),
                false,
            ),
            (
                "build.sh",
                PYTHON_BUILD.replace("../../../wit", "wit"),
                true,
            ),
            ("test.sh", test_script("v-list-user-disk", "^site,5000,1$"), true),
            ("wit/plugin.wit", PLUGIN_WIT.to_string(), false),
            ("wit/plain-command.wit", PLAIN_COMMAND_WIT.to_string(), false),
            (".gitignore", "plugin.wasm\n__pycache__/\n".to_string(), false),
        ],
        Language::Js => vec![
            (
                "plugin.js",
                JS_PLUGIN.replace("\"example-js\"", &format!("{name:?}")),
                false,
            ),
            (
                "package.json",
                JS_PACKAGE.replace("hearth-example-js", name),
                false,
            ),
            (
                "package-lock.json",
                JS_LOCK.replace("hearth-example-js", name),
                false,
            ),
            (
                "build.sh",
                "#!/bin/sh\n# Installs the pinned componentize-js and builds plugin.wasm.\nset -eu\ncd \"$(dirname \"$0\")\"\n[ -d node_modules ] || npm ci --silent --no-audit --no-fund\nnpm run build --silent\n".to_string(),
                true,
            ),
            ("test.sh", test_script("v-list-user-largest-files", "^site/big,5000$"), true),
            ("wit/world.wit", JS_WORLD.to_string(), false),
            ("wit/deps/hearth-plugin/plugin.wit", PLUGIN_WIT.to_string(), false),
            (
                "wit/deps/hearth-plugin/plain-command.wit",
                PLAIN_COMMAND_WIT.to_string(),
                false,
            ),
            ("wit/deps/filesystem/package.wit", WASI_FILESYSTEM.to_string(), false),
            ("wit/deps/io/package.wit", WASI_IO.to_string(), false),
            ("wit/deps/clocks/package.wit", WASI_CLOCKS.to_string(), false),
            (".gitignore", "plugin.wasm\nnode_modules/\n".to_string(), false),
        ],
    }
}

/// Writes a new project for `name` in `dir` (default `./NAME`), returning its directory.
pub fn scaffold(
    language: Language,
    name: &str,
    dir: Option<&Path>,
) -> Result<PathBuf, ScaffoldError> {
    if !valid_name(name) {
        return Err(ScaffoldError::InvalidName(name.to_string()));
    }
    let root = dir.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    if root.exists() {
        return Err(ScaffoldError::Exists(root));
    }
    for (relative, contents, executable) in files(language, name) {
        let path = root.join(relative);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, contents)?;
            if executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
            }
            Ok(())
        };
        write().map_err(|source| ScaffoldError::Write {
            path: path.clone(),
            source,
        })?;
    }
    Ok(root)
}
