//! The plugin platform, black box: `hearth plugin install` with its consent prompt, sha256
//! pinning and tamper detection, undeclared interfaces, duplicate commands, and
//! list/inspect/disable/enable/remove/rollback, all on real components.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{ADMIN_PASSWORD, Auth, Output, Server, escape_plugin, hearth, init, plain_log, run};

const ESCAPE_COMMANDS: &[&str] = &[
    "v-test-read",
    "v-test-clock",
    "v-test-escape-readonly",
    "v-test-escape-race",
    "v-test-claim",
    "v-test-nested",
    "v-test-sleep",
    "v-test-escape",
];

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs `hearth --data-dir DATA ARGS...` with `input` on stdin.
fn hearth_with_input(data: &Path, args: &[&str], input: &str) -> Output {
    let mut child = hearth(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for hearth");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn plugin(data: &Path, args: &[&str]) -> Output {
    run(hearth(data).arg("plugin").args(args))
}

fn call(data: &Path, command: &str, args: &[&str]) -> Output {
    run(hearth(data).arg("call").arg(command).args(args))
}

/// A fresh, initialised data root.
fn data_root() -> std::path::PathBuf {
    let data = support::temp_dir("hearth-plugins-").join("data");
    init(&data, Some(ADMIN_PASSWORD));
    data
}

/// The same component with a custom section appended: valid, identical grants, another
/// sha256 (a "new build" of the plugin).
fn rebuilt(bytes: &[u8], tag: &str) -> Vec<u8> {
    let name = b"hearth-test";
    let payload = tag.as_bytes();
    let size = 1 + name.len() + payload.len();
    assert!(size < 128 && name.len() < 128);
    let mut out = bytes.to_vec();
    out.push(0);
    out.push(size as u8);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(payload);
    out
}

fn approved_sha(data: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(data.join("plugins/approvals.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).expect("approvals.json is JSON");
    value["plugins"][name]["current"]["sha256"]
        .as_str()
        .map(str::to_string)
}

#[test]
fn install_shows_grants_and_imports_and_asks_for_consent() {
    let data = data_root();
    let file = escape_plugin();
    let file_arg = file.to_str().unwrap();

    let refused = hearth_with_input(&data, &["plugin", "install", file_arg], "n\n");
    assert_ne!(refused.code, 0, "{refused:?}");
    for shown in [
        "Commands:",
        "v-test-escape USER VICTIM",
        "scope:       user (USER is argument 1)",
        "user data read-write",
        "v-test-sleep MS",
        "scope:       system",
        "Host interfaces:",
        "declared (reason)",
        "imported by the binary",
        "hearth:plugin/names",
        "wasi:filesystem/preopens",
        "Approve this plugin? [y/N]",
    ] {
        assert!(
            refused.stdout.contains(shown),
            "{shown:?} missing from {}",
            refused.stdout
        );
    }
    assert!(refused.stderr.contains("not approved"), "{refused:?}");
    assert_eq!(approved_sha(&data, "escape"), None);
    assert!(!data.join("plugins/escape.wasm").exists());
    let missing = call(&data, "v-test-sleep", &["1"]);
    assert!(
        missing.stdout.contains("Command v-test-sleep not found"),
        "{missing:?}"
    );

    let approved = hearth_with_input(&data, &["plugin", "install", file_arg], "y\n");
    assert_eq!(approved.code, 0, "{approved:?}");
    let expected = sha256(&std::fs::read(&file).unwrap());
    assert!(
        approved
            .stdout
            .contains(&format!("installed escape (sha256 {expected})")),
        "{approved:?}"
    );
    assert_eq!(
        approved_sha(&data, "escape").as_deref(),
        Some(expected.as_str())
    );
    // Precompiled at install: the cache holds the compiled component.
    let cached = std::fs::read_dir(data.join("cache"))
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(&expected));
    assert!(cached, "no precompiled {expected} in the cache");
    let ran = call(&data, "v-test-sleep", &["1"]);
    assert_eq!(ran.code, 0, "{ran:?}");

    let listed = plugin(&data, &["list"]);
    assert!(
        listed.stdout.contains("escape") && listed.stdout.contains("enabled"),
        "{listed:?}"
    );
    let inspected = plugin(&data, &["inspect", "escape"]);
    assert!(inspected.stdout.contains(&expected), "{inspected:?}");
    assert!(
        inspected
            .stdout
            .contains("command v-test-escape user:write"),
        "{inspected:?}"
    );
}

#[test]
fn a_changed_file_is_not_loaded_until_approved_again() {
    let data = data_root();
    let file = escape_plugin();
    let installed = plugin(&data, &["install", "--yes", file.to_str().unwrap()]);
    assert_eq!(installed.code, 0, "{installed:?}");
    assert_eq!(call(&data, "v-test-sleep", &["1"]).code, 0);

    // Someone replaces the approved file behind the admin's back.
    let tampered = rebuilt(&std::fs::read(&file).unwrap(), "tampered");
    std::fs::write(data.join("plugins/escape.wasm"), &tampered).unwrap();
    let refused = call(&data, "v-test-sleep", &["1"]);
    assert!(
        refused.stdout.contains("Command v-test-sleep not found"),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("changed since approval"),
        "{refused:?}"
    );
    let listed = plugin(&data, &["list"]);
    assert!(
        listed.stdout.contains("CHANGED since approval"),
        "{listed:?}"
    );

    // Approving the new file again: it asks for nothing more, so no prompt is needed (stdin
    // is empty) and it loads.
    let copy = data.parent().unwrap().join("escape.wasm");
    std::fs::write(&copy, &tampered).unwrap();
    let again = hearth_with_input(&data, &["plugin", "install", copy.to_str().unwrap()], "");
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("No new grants"), "{again:?}");
    assert_eq!(approved_sha(&data, "escape"), Some(sha256(&tampered)));
    assert_eq!(call(&data, "v-test-sleep", &["1"]).code, 0);
}

#[test]
fn an_undeclared_interface_is_rejected_by_name() {
    let data = data_root();
    let file = support::test_plugin("hearth_plugin_greedy");
    let refused = plugin(&data, &["install", "--yes", file.to_str().unwrap()]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("imports hearth:plugin/secrets")
            && refused
                .stderr
                .contains("which its manifest does not declare"),
        "{refused:?}"
    );
    assert_eq!(approved_sha(&data, "greedy"), None);
    assert!(!data.join("plugins/greedy.wasm").exists());
}

#[test]
fn two_plugins_claim_a_command_only_when_the_admin_picks_the_winner() {
    let data = data_root();
    let file = escape_plugin();
    let file = file.to_str().unwrap();
    assert_eq!(plugin(&data, &["install", "--yes", file]).code, 0);
    let refused = plugin(&data, &["install", "--yes", "--name", "second", file]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("is already provided by plugin escape"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--wins"), "{refused:?}");

    let mut args = vec!["install", "--yes", "--name", "second"];
    for command in ESCAPE_COMMANDS {
        args.extend(["--wins", command]);
    }
    args.push(file);
    let won = plugin(&data, &args);
    assert_eq!(won.code, 0, "{won:?}");
    let inspected = plugin(&data, &["inspect", "second"]);
    assert!(
        inspected.stdout.contains("wins:     v-test-sleep"),
        "{inspected:?}"
    );
    assert_eq!(call(&data, "v-test-sleep", &["1"]).code, 0);
}

#[test]
fn disable_enable_rollback_and_remove() {
    let data = data_root();
    let v1 = std::fs::read(escape_plugin()).unwrap();
    let v2 = rebuilt(&v1, "v2");
    let dir = data.parent().unwrap();
    std::fs::write(dir.join("escape.wasm"), &v1).unwrap();
    let v2_path = dir.join("v2").join("escape.wasm");
    std::fs::create_dir_all(v2_path.parent().unwrap()).unwrap();
    std::fs::write(&v2_path, &v2).unwrap();
    let v1_arg = dir.join("escape.wasm");
    assert_eq!(
        plugin(&data, &["install", "--yes", v1_arg.to_str().unwrap()]).code,
        0
    );
    assert_eq!(
        plugin(&data, &["install", v2_path.to_str().unwrap()]).code,
        0
    );
    assert_eq!(approved_sha(&data, "escape"), Some(sha256(&v2)));

    let rolled = plugin(&data, &["rollback", "escape"]);
    assert_eq!(rolled.code, 0, "{rolled:?}");
    assert_eq!(approved_sha(&data, "escape"), Some(sha256(&v1)));
    assert_eq!(
        sha256(&std::fs::read(data.join("plugins/escape.wasm")).unwrap()),
        sha256(&v1)
    );
    assert_eq!(call(&data, "v-test-sleep", &["1"]).code, 0);
    let no_more = plugin(&data, &["rollback", "escape"]);
    assert_ne!(no_more.code, 0);
    assert!(no_more.stderr.contains("no earlier version"), "{no_more:?}");

    assert_eq!(plugin(&data, &["disable", "escape"]).code, 0);
    assert!(
        call(&data, "v-test-sleep", &["1"])
            .stdout
            .contains("not found")
    );
    assert!(plugin(&data, &["list"]).stdout.contains("disabled"));
    assert_eq!(plugin(&data, &["enable", "escape"]).code, 0);
    assert_eq!(call(&data, "v-test-sleep", &["1"]).code, 0);

    assert_eq!(plugin(&data, &["remove", "escape"]).code, 0);
    assert!(
        call(&data, "v-test-sleep", &["1"])
            .stdout
            .contains("not found")
    );
    assert!(!data.join("plugins/escape.wasm").exists());
    assert_eq!(approved_sha(&data, "escape"), None);
}

#[test]
fn an_approved_plugin_is_served_over_https() {
    let server = Server::start_with(&[(escape_plugin(), "escape.wasm")], |_| {});
    let response = server.api(Auth::Admin, true, "v-test-sleep", &["1"]);
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "0"),
        "{response:?}"
    );
}

#[test]
fn an_answer_of_just_0_is_empty_to_php_so_v2_sends_204() {
    // Hestia's v2 API: `http_response_code(!empty($cmd_output) ? 200 : 204)`, where PHP's
    // empty("0") is true, and nginx sends no body with a 204. The legacy API looks at the
    // lines instead, and one line "0" is not an empty array.
    let server = Server::start_with(&[(escape_plugin(), "escape.wasm")], |_| {});
    let answer = |contents: &str| {
        std::fs::write(server.path("data/users/admin/answer.txt"), contents).unwrap();
        (
            server.v2(false, "v-test-read", &["admin", "answer.txt"]),
            server.legacy(false, "v-test-read", &["admin", "answer.txt"]),
        )
    };
    let (v2, legacy) = answer("0\n");
    v2.expect(204, Some("0"), "");
    legacy.expect(200, None, "0\n");
    let (v2, legacy) = answer("\n 0 \n");
    v2.expect(204, Some("0"), "");
    legacy.expect(200, None, "\n 0\n");
    let (v2, legacy) = answer("00\n");
    v2.expect(200, Some("0"), "00");
    legacy.expect(200, None, "00\n");
}

#[test]
fn plugin_run_executes_one_command_without_a_server() {
    let data = data_root();
    let file = escape_plugin();
    let file = file.to_str().unwrap();
    let ran = plugin(&data, &["run", file, "v-test-sleep", "1"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let refused = plugin(
        &data,
        &[
            "run",
            "--user",
            "bob",
            file,
            "v-test-claim",
            "admin",
            "x.example",
            "0",
        ],
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("user bob may only run v-test-claim for itself"),
        "{refused:?}"
    );
}

/// Waits until the running server logs that the version `sha` was swapped in; returns when
/// it saw it. The log line is written right before the command table is replaced.
#[track_caller]
fn wait_swapped_in(server: &Server, sha: &str) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = plain_log(server);
        if log
            .lines()
            .any(|line| line.contains("plugin version swapped in") && line.contains(sha))
        {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "version {sha} was never swapped in:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Installs `bytes` as plugin `name` on a data root a server is running on.
#[track_caller]
fn install_bytes(data: &Path, name: &str, tag: &str, bytes: &[u8]) {
    let dir = data.parent().unwrap().join("builds").join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.wasm"));
    std::fs::write(&file, bytes).unwrap();
    let installed = plugin(
        data,
        &["install", "--yes", "--name", name, file.to_str().unwrap()],
    );
    assert_eq!(installed.code, 0, "{installed:?}");
}

#[test]
fn a_hot_swap_under_load_fails_no_request_and_rolls_back() {
    let v1 = std::fs::read(escape_plugin()).unwrap();
    let v2 = rebuilt(&v1, "v2");
    let server = Server::start_with(&[(escape_plugin(), "swap.wasm")], |_| {});
    let data = server.data_dir().to_path_buf();
    server.root_key();
    let stop = AtomicBool::new(false);
    let results = std::thread::scope(|scope| {
        let load: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let (mut ok, mut failed) = (0usize, Vec::new());
                    while !stop.load(Ordering::Relaxed) {
                        let response = server.v2(true, "v-test-sleep", &["2"]);
                        if response.status == 200 && response.body == "0" {
                            ok += 1;
                        } else {
                            failed.push(response);
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        install_bytes(&data, "swap", "v2", &v2);
        wait_swapped_in(&server, &sha256(&v2));
        std::thread::sleep(Duration::from_millis(500));
        let rolled = plugin(&data, &["rollback", "swap"]);
        assert_eq!(rolled.code, 0, "{rolled:?}");
        wait_swapped_in(&server, &sha256(&v1));
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Relaxed);
        load.into_iter()
            .map(|thread| thread.join().unwrap())
            .collect::<Vec<_>>()
    });
    let failed: Vec<_> = results.iter().flat_map(|(_, f)| f).collect();
    assert!(
        failed.is_empty(),
        "requests failed during the swaps: {failed:?}"
    );
    let served: usize = results.iter().map(|(ok, _)| ok).sum();
    assert!(
        results.iter().all(|(ok, _)| *ok > 0),
        "every client was served: {results:?}"
    );
    assert!(served > 40, "only {served} requests were served");
    let log = plain_log(&server);
    assert!(
        log.contains("plugins reloaded") && !log.contains("plugin reload failed"),
        "{log}"
    );
    // The same server process served throughout and still does.
    assert_eq!(
        server.v2(true, "v-test-sleep", &["1"]).body,
        "0",
        "still serving"
    );
}

#[test]
fn a_hot_swap_changes_the_commands_while_a_call_in_flight_finishes_on_the_old_version() {
    let v1 = std::fs::read(escape_plugin()).unwrap();
    let other = std::fs::read(support::hostile_plugin()).unwrap();
    let server = Server::start_with(&[(escape_plugin(), "swap.wasm")], |_| {});
    let data = server.data_dir().to_path_buf();
    server.root_key();
    let missing = server.v2(false, "v-test-exhaust", &["stderr"]);
    assert!(missing.body.contains("not found"), "{missing:?}");

    let (sleeper, swapped_at) = std::thread::scope(|scope| {
        let sleeper = scope.spawn(|| {
            let response = server.v2(true, "v-test-sleep", &["3000"]);
            (response, Instant::now())
        });
        // The sleeper has resolved v-test-sleep on the old version before the swap.
        std::thread::sleep(Duration::from_millis(300));
        install_bytes(&data, "swap", "other", &other);
        let swapped_at = wait_swapped_in(&server, &sha256(&other));
        // The new version answers at once, without a restart.
        let gone = server.v2(false, "v-test-sleep", &["1"]);
        assert!(gone.body.contains("not found"), "{gone:?}");
        let new = server.v2(false, "v-test-exhaust", &["stderr"]);
        assert_eq!(new.body, "wrote 0 bytes", "{new:?}");
        (sleeper.join().unwrap(), swapped_at)
    });
    let (response, finished_at) = sleeper;
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "0"),
        "the call in flight finished on the old version: {response:?}"
    );
    assert!(
        finished_at > swapped_at,
        "the call in flight outlasted the swap"
    );

    let rolled = plugin(&data, &["rollback", "swap"]);
    assert_eq!(rolled.code, 0, "{rolled:?}");
    wait_swapped_in(&server, &sha256(&v1));
    assert_eq!(server.v2(true, "v-test-sleep", &["1"]).body, "0");
    let gone = server.v2(false, "v-test-exhaust", &["stderr"]);
    assert!(gone.body.contains("not found"), "{gone:?}");
}

/// A server with the hostile test plugin installed, under `config`.
fn hostile_server(config: &str) -> Server {
    Server::start_configured(
        &[(support::hostile_plugin(), "hostile.wasm")],
        Some(config),
        |_| {},
    )
}

/// The `limits hit:` line of `hearth plugin inspect NAME`.
fn limits_hit(data: &Path, name: &str) -> String {
    let inspected = plugin(data, &["inspect", name]);
    assert_eq!(inspected.code, 0, "{inspected:?}");
    inspected
        .stdout
        .lines()
        .find(|line| line.starts_with("limits hit:"))
        .unwrap_or_else(|| panic!("no counters in {inspected:?}"))
        .to_string()
}

#[test]
fn each_limit_hit_is_counted_as_what_it_was_under_the_plugins_own_limits() {
    // The global deadline is 10 s; the plugin's own is 700 ms, its memory 64 MB.
    let server = hostile_server(
        "[abuse]\nmax_failures = 1000000\n[plugins.hostile]\ntimeout_ms = 700\nmemory_mb = 64\noutput_bytes = 1000000\n",
    );
    let data = server.data_dir().to_path_buf();
    assert_eq!(
        limits_hit(&data, "hostile"),
        "limits hit: memory=0 time=0 output=0 stack=0 trap=0"
    );
    let cases = [
        (
            "loop",
            "Error: v-test-exhaust exceeded its time limit",
            "time",
        ),
        (
            "memory",
            "Error: v-test-exhaust exceeded its memory limit",
            "memory",
        ),
        (
            "output",
            "Error: v-test-exhaust exceeded its output limit",
            "output",
        ),
        (
            "recursion",
            "Error: v-test-exhaust failed unexpectedly",
            "stack",
        ),
    ];
    for (kind, body, limit) in cases {
        let started = Instant::now();
        let response = server.v2(false, "v-test-exhaust", &[kind]);
        let took = started.elapsed();
        assert_eq!(response.body, body, "{kind}: {response:?}");
        if kind == "loop" {
            assert!(
                took >= Duration::from_millis(650) && took < Duration::from_secs(5),
                "the plugin's own deadline applies: {took:?}"
            );
        }
        let log = plain_log(&server);
        assert!(
            log.lines().any(|line| line.contains("plugin=\"hostile\"")
                && line.contains(&format!("limit={limit}"))),
            "the log names the {limit} limit:\n{log}"
        );
    }
    assert_eq!(
        limits_hit(&data, "hostile"),
        "limits hit: memory=1 time=1 output=1 stack=1 trap=0"
    );
    // A second overflow adds to the same counter; the counters are kept on disk.
    server.v2(false, "v-test-exhaust", &["recursion"]);
    assert_eq!(
        limits_hit(&data, "hostile"),
        "limits hit: memory=1 time=1 output=1 stack=2 trap=0"
    );
    assert!(data.join("plugins/stats/hostile.json").is_file());
}

#[test]
fn a_plugin_that_keeps_trapping_is_disabled_automatically_when_configured() {
    let server = hostile_server(
        "[abuse]\nmax_failures = 1000000\n[plugins.hostile]\ndisable_after_traps = 3\ntrap_window_seconds = 600\n",
    );
    let data = server.data_dir().to_path_buf();
    for attempt in 0..2 {
        let response = server.v2(false, "v-test-exhaust", &["recursion"]);
        assert_eq!(
            response.body, "Error: v-test-exhaust failed unexpectedly",
            "{attempt}: {response:?}"
        );
    }
    // Two failures are below the threshold: still enabled and served.
    assert!(plugin(&data, &["list"]).stdout.contains("enabled"));
    let served = server.v2(false, "v-test-exhaust", &["stderr"]);
    assert_eq!(served.body, "wrote 0 bytes", "{served:?}");

    server.v2(false, "v-test-exhaust", &["output"]);
    let inspected = plugin(&data, &["inspect", "hostile"]);
    assert!(
        inspected.stdout.contains("state:    disabled"),
        "{inspected:?}"
    );
    assert!(
        inspected.stdout.contains(
            "auto-disabled: its commands failed 3 times within 600 s (last: v-test-exhaust hit its output limit)"
        ),
        "{inspected:?}"
    );
    // Swapped out of the running server, like `hearth plugin disable`.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = server.v2(false, "v-test-exhaust", &["stderr"]);
        if response.body.contains("not found") {
            break;
        }
        assert!(Instant::now() < deadline, "still served: {response:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = plain_log(&server);
    assert!(
        log.lines()
            .any(|line| line.contains("plugin disabled automatically")
                && line.contains("failed 3 times within 600 s")),
        "{log}"
    );

    // The admin enables it again: served, and the reason is cleared.
    assert_eq!(plugin(&data, &["enable", "hostile"]).code, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = server.v2(false, "v-test-exhaust", &["stderr"]);
        if response.body == "wrote 0 bytes" {
            break;
        }
        assert!(Instant::now() < deadline, "not served again: {response:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let inspected = plugin(&data, &["inspect", "hostile"]);
    assert!(!inspected.stdout.contains("auto-disabled"), "{inspected:?}");
    // The policy counts afresh and fires again.
    for _ in 0..3 {
        server.v2(false, "v-test-exhaust", &["recursion"]);
    }
    let inspected = plugin(&data, &["inspect", "hostile"]);
    assert!(
        inspected.stdout.contains("state:    disabled"),
        "{inspected:?}"
    );
    assert!(
        inspected.stdout.contains("hit its stack limit)"),
        "{inspected:?}"
    );
}

#[test]
fn an_installed_plugin_is_never_compiled_by_the_server() {
    let file = support::hostile_plugin();
    let sha = sha256(&std::fs::read(&file).unwrap());
    // The server runs with other limits than `plugin install` used, globally and for the
    // plugin: the compiled code is shared all the same.
    let server = hostile_server(
        "[abuse]\nmax_failures = 1000000\n[limits]\nmemory_mb = 256\nmax_concurrent = 16\n[plugins.hostile]\nmemory_mb = 512\n",
    );
    let cached = std::fs::read_dir(server.data_dir().join("cache"))
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(&sha));
    assert!(cached, "install compiled {sha} into the cache");
    let response = server.v2(false, "v-test-exhaust", &["stderr"]);
    assert_eq!(response.body, "wrote 0 bytes", "{response:?}");
    let log = plain_log(&server);
    assert!(
        !log.contains("compiling plugin"),
        "the server compiled:\n{log}"
    );

    // A control: a version missing from the cache (wiped by hand) is compiled by the
    // server, in the background before the swap, and that is logged.
    let data = server.data_dir().to_path_buf();
    let v2 = rebuilt(&std::fs::read(&file).unwrap(), "v2");
    install_bytes(&data, "hostile", "v2", &v2);
    wait_swapped_in(&server, &sha256(&v2));
    for entry in std::fs::read_dir(data.join("cache")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with(&sha) {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    assert_eq!(plugin(&data, &["rollback", "hostile"]).code, 0);
    wait_swapped_in(&server, &sha);
    let log = plain_log(&server);
    assert!(
        log.lines()
            .any(|line| line.contains("compiling plugin") && line.contains(&sha)),
        "{log}"
    );
}
