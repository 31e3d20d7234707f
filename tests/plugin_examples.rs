//! The third-party examples end to end: `plugins/examples/python` (componentize-py) and
//! `plugins/examples/js` (componentize-js) are built with their real toolchains, installed
//! into a running server with `hearth plugin install --yes`, and called over HTTPS; the
//! reports are checked against the real sizes of files made in the user's home, and another
//! user's home stays out of reach.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::{Auth, Response, Server, hearth, run};

/// The workspace root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// Runs a build step in `dir`, asserting success.
fn build(dir: &Path, program: &Path, args: &[&str]) {
    let out = run(Command::new(program).args(args).current_dir(dir));
    assert_eq!(
        out.code,
        0,
        "{} {args:?} in {} failed (run `scripts/setup --tests`): {out:?}",
        program.display(),
        dir.display()
    );
}

/// Builds the Python example with the componentize-py that `scripts/setup --tests` installs.
fn python_example() -> PathBuf {
    let dir = workspace().join("plugins/examples/python");
    let componentize = std::env::var_os("COMPONENTIZE_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/py-venv/bin/componentize-py"));
    let mut command = Command::new("sh");
    command
        .arg("build.sh")
        .env("COMPONENTIZE_PY", componentize)
        .current_dir(&dir);
    let out = run(&mut command);
    assert_eq!(out.code, 0, "python example build failed: {out:?}");
    dir.join("plugin.wasm")
}

/// Builds the JavaScript example with the componentize-js pinned in its package-lock.json.
fn js_example() -> PathBuf {
    let dir = workspace().join("plugins/examples/js");
    build(&dir, Path::new("npm"), &["run", "build"]);
    dir.join("plugin.wasm")
}

/// The `HOME_ROOT` of the server's data root.
fn home_root(data: &Path) -> PathBuf {
    let conf = std::fs::read_to_string(data.join("conf/hestia.conf")).expect("hestia.conf");
    let line = conf
        .lines()
        .find_map(|l| l.strip_prefix("HOME_ROOT="))
        .expect("HOME_ROOT in hestia.conf");
    PathBuf::from(line.trim_matches('\''))
}

/// A running server with users alice and bob, and files of known sizes in their homes.
fn server_with_homes() -> (Server, PathBuf) {
    let server = Server::start();
    for user in ["alice", "bob"] {
        let added = server.api(
            Auth::Admin,
            true,
            "v-add-user",
            &[user, "Str0ng-pass-word", &format!("{user}@example.com")],
        );
        assert_eq!(added.body, "0", "v-add-user {user}: {added:?}");
    }
    let home = home_root(server.data_dir());
    let alice = home.join("alice");
    std::fs::create_dir_all(alice.join("site/assets")).unwrap();
    std::fs::write(alice.join("site/index.html"), vec![b'a'; 1234]).unwrap();
    std::fs::write(alice.join("site/assets/logo.png"), vec![b'b'; 40_000]).unwrap();
    std::fs::write(alice.join("notes.txt"), vec![b'c'; 77]).unwrap();
    std::fs::create_dir_all(home.join("bob")).unwrap();
    std::fs::write(home.join("bob/bob-secret.txt"), vec![b'd'; 999]).unwrap();
    (server, home)
}

/// Installs `file` into the running server and waits until `command` is served.
fn install_live(server: &Server, file: &Path, name: &str, command: &str) {
    let installed = run(hearth(server.data_dir()).args([
        "plugin",
        "install",
        "--yes",
        "--name",
        name,
        file.to_str().unwrap(),
    ]));
    assert_eq!(installed.code, 0, "install {name}: {installed:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = server.api(Auth::Admin, true, command, &["alice", "json"]);
        if response.body == "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{command} not served after install: {response:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn call(server: &Server, command: &str, args: &[&str]) -> Response {
    server.api(Auth::Admin, false, command, args)
}

#[test]
fn python_disk_report_is_served_over_https_and_sees_only_its_user() {
    let file = python_example();
    let (server, home) = server_with_homes();
    install_live(&server, &file, "example-python", "v-list-user-disk");

    let report = call(&server, "v-list-user-disk", &["alice", "json"]);
    assert_eq!(report.status, 200, "{report:?}");
    let json = report.json();
    let site = &json["site"];
    assert_eq!(site["SIZE"], (1234 + 40_000).to_string(), "{json}");
    assert_eq!(site["FILES"], "2", "{json}");
    assert_eq!(json["notes.txt"]["SIZE"], "77", "{json}");
    assert!(!report.body.contains("bob-secret"), "{report:?}");

    let csv = call(&server, "v-list-user-disk", &["alice", "csv"]);
    assert!(csv.body.starts_with("NAME,SIZE,FILES\n"), "{csv:?}");
    assert!(csv.body.contains("notes.txt,77,1\n"), "{csv:?}");

    // Bob's report is bob's alone, and a path-like USER reaches nothing.
    let bob = call(&server, "v-list-user-disk", &["bob", "plain"]);
    assert!(bob.body.contains("bob-secret.txt\t999\t1"), "{bob:?}");
    assert!(!bob.body.contains("notes.txt"), "{bob:?}");
    let escape = server.api(
        Auth::Admin,
        true,
        "v-list-user-disk",
        &["alice/../bob", "plain"],
    );
    assert_ne!(escape.body, "0", "{escape:?}");
    assert!(home.join("bob/bob-secret.txt").exists());
}

#[test]
fn js_largest_files_report_is_served_over_https_and_sees_only_its_user() {
    let file = js_example();
    let (server, _home) = server_with_homes();
    install_live(&server, &file, "example-js", "v-list-user-largest-files");

    let report = call(&server, "v-list-user-largest-files", &["alice", "json"]);
    assert_eq!(report.status, 200, "{report:?}");
    let json = report.json();
    assert_eq!(json["site/assets/logo.png"]["SIZE"], "40000", "{json}");
    assert_eq!(json["site/index.html"]["SIZE"], "1234", "{json}");
    assert_eq!(json["notes.txt"]["SIZE"], "77", "{json}");
    assert!(!report.body.contains("bob-secret"), "{report:?}");

    // Largest first.
    let csv = call(&server, "v-list-user-largest-files", &["alice", "csv"]);
    assert!(
        csv.body
            .starts_with("PATH,SIZE\nsite/assets/logo.png,40000\nsite/index.html,1234\n"),
        "{csv:?}"
    );
    let escape = server.api(
        Auth::Admin,
        true,
        "v-list-user-largest-files",
        &["alice/../bob", "plain"],
    );
    assert_ne!(escape.body, "0", "{escape:?}");
}

/// `hearth plugin new --lang LANG NAME --dir DIR`, then the project's own `./test.sh`, which
/// builds it and runs its command with `hearth plugin run`.
fn scaffold_builds_and_passes_its_test(lang: &str) {
    let base = support::temp_dir("hearth-scaffold-");
    let dir = base.join(format!("my-{lang}-plugin"));
    let created = run(hearth(&base.join("unused")).args([
        "plugin",
        "new",
        "--lang",
        lang,
        &format!("my-{lang}-plugin"),
        "--dir",
        dir.to_str().unwrap(),
    ]));
    assert_eq!(created.code, 0, "{created:?}");
    let bin_dir = Path::new(support::BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let componentize = workspace().join("target/py-venv/bin/componentize-py");
    let tested = run(Command::new(dir.join("test.sh"))
        .env("PATH", path)
        .env("COMPONENTIZE_PY", componentize)
        // A Rust project reuses the SDK's compiled dependencies across runs.
        .env("CARGO_TARGET_DIR", workspace().join("target/scaffold-rust"))
        .env_remove("HEARTH_DATA_DIR"));
    assert_eq!(tested.code, 0, "{tested:?}");
    assert!(tested.stdout.contains("test passed"), "{tested:?}");
    let again = run(hearth(&base.join("unused")).args([
        "plugin",
        "new",
        "--lang",
        lang,
        "x",
        "--dir",
        dir.to_str().unwrap(),
    ]));
    assert_ne!(again.code, 0, "an existing directory is not overwritten");
}

#[test]
fn plugin_new_rust_builds_and_passes_its_test() {
    scaffold_builds_and_passes_its_test("rust");
}

#[test]
fn plugin_new_python_builds_and_passes_its_test() {
    scaffold_builds_and_passes_its_test("python");
}

#[test]
fn plugin_new_js_builds_and_passes_its_test() {
    scaffold_builds_and_passes_its_test("js");
}
