//! Builds the built-in plugins for `wasm32-wasip2` and embeds them, so `cargo run` needs
//! nothing built by hand first.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// (package, file stem, test-only). Test-only plugins are built but not embedded; the
/// black-box suite finds them through `HEARTH_TEST_PLUGIN_DIR`.
const PLUGINS: &[(&str, &str, bool)] = &[
    ("hearth-plugin-users", "hearth_plugin_users", false),
    ("hearth-plugin-system", "hearth_plugin_system", false),
    ("hearth-plugin-keys", "hearth_plugin_keys", false),
    ("hearth-plugin-web", "hearth_plugin_web", false),
    ("hearth-plugin-dns", "hearth_plugin_dns", false),
    ("hearth-plugin-mail", "hearth_plugin_mail", false),
    ("hearth-plugin-databases", "hearth_plugin_databases", false),
    ("hearth-plugin-cron", "hearth_plugin_cron", false),
    ("hearth-plugin-packages", "hearth_plugin_packages", false),
    ("hearth-plugin-escape", "hearth_plugin_escape", true),
    ("hearth-plugin-hostile", "hearth_plugin_hostile", true),
    ("hearth-plugin-greedy", "hearth_plugin_greedy", true),
    ("hearth-plugin-owp", "hearth_plugin_owp", false),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ lives in the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("plugins").display()
    );
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );

    let selected: Vec<_> = PLUGINS.iter().collect();
    let target_dir = workspace.join("target").join("wasm-plugins");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut build = Command::new(cargo);
    build
        .current_dir(&workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    for (package, _, _) in &selected {
        build.args(["-p", package]);
    }
    // Plugins are instantiated per request: whole-program optimisation makes the guest code
    // faster and smaller, and without debug info the compiled cache loads sooner.
    build
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo");
    // The outer build's wrappers and flags (clippy, coverage) are for the host target only.
    for variable in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_MAKEFLAGS",
    ] {
        build.env_remove(variable);
    }
    let status = build.status().expect("run cargo to build the plugins");
    assert!(
        status.success(),
        "building the wasm32-wasip2 plugins failed (see the compiler output above; the target comes from `rustup target add wasm32-wasip2`)"
    );

    let built_dir = target_dir.join("wasm32-wasip2").join("release");
    println!(
        "cargo:rustc-env=HEARTH_TEST_PLUGIN_DIR={}",
        built_dir.display()
    );
    let mut generated = String::from(
        "/// The built-in plugins: (name, component bytes).\npub const EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    for (_, stem, _) in selected.iter().filter(|(_, _, test_only)| !test_only) {
        let built = built_dir.join(format!("{stem}.wasm"));
        let copy = out_dir.join(format!("{stem}.wasm"));
        fs::copy(&built, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", built.display()));
        let name = stem.trim_start_matches("hearth_plugin_");
        writeln!(
            generated,
            "    ({name:?}, include_bytes!({:?})),",
            copy.display().to_string()
        )
        .expect("write to string");
    }
    generated.push_str("];\n");
    fs::write(out_dir.join("embedded_plugins.rs"), generated).expect("write embedded_plugins.rs");
    embed_templates(&manifest_dir.join("templates"), &out_dir);
}

/// Embeds every file below `host/templates/` as (path relative to `data/templates/`, text),
/// so `hearth init` can install the stock web, DNS and mail templates.
fn embed_templates(templates: &std::path::Path, out_dir: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", templates.display());
    let mut files = Vec::new();
    let mut pending = vec![templates.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut generated = String::from(
        "/// The stock templates: (path below `data/templates/`, contents).\npub const TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let relative = file
            .strip_prefix(templates)
            .expect("below the templates folder")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            generated,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("write to string");
    }
    generated.push_str("];\n");
    fs::write(out_dir.join("embedded_templates.rs"), generated)
        .expect("write embedded_templates.rs");
}
