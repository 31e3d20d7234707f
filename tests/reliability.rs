//! Atomic commands and no lost updates, against the real server: many concurrent mutating
//! requests (one user, fifty users) with reads in between, commands that write and then fail
//! (code, trap, timeout) leave nothing behind, a full disk gives E_DISK with the store as it
//! was, and `kill -9` at random points never loses an acknowledged command or leaves a file
//! that does not parse.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hearth_sdk::conf;
use support::*;

#[track_caller]
fn add_user(s: &Server, user: &str) {
    let response = s.legacy(
        true,
        "v-add-user",
        &[user, "Pa55-word-x", &format!("{user}@example.com")],
    );
    assert_eq!(response.body, "0", "v-add-user {user}: {response:?}");
}

/// Every file below `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("read a data folder") {
            let entry = entry.expect("a folder entry");
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                pending.push(path);
            } else {
                files.insert(
                    path.strip_prefix(dir).expect("below dir").to_path_buf(),
                    std::fs::read(&path).unwrap_or_default(),
                );
            }
        }
    }
    files
}

/// Asserts that every data file of every user parses: `user.conf` as a source file, the
/// others as object lists.
#[track_caller]
fn assert_store_parses(data: &Path) {
    let users = data.join("data/users");
    for user in std::fs::read_dir(&users).expect("read data/users") {
        let user = user.expect("entry").path();
        for (path, bytes) in snapshot(&user) {
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|_| panic!("{} is not UTF-8", path.display()));
            let name = path.to_string_lossy();
            if name == "user.conf" {
                conf::parse_source(&text)
                    .unwrap_or_else(|e| panic!("{}/{name} does not parse: {e}", user.display()));
            } else if name.ends_with(".conf") || name == "history.log" {
                conf::parse_list(&text)
                    .unwrap_or_else(|e| panic!("{}/{name} does not parse: {e}", user.display()));
            }
        }
    }
}

/// The `CMD` values of a user's cron jobs.
fn cron_commands(data: &Path, user: &str) -> Vec<String> {
    let text = std::fs::read_to_string(data.join(format!("data/users/{user}/cron.conf")))
        .unwrap_or_default();
    conf::parse_list(&text)
        .expect("cron.conf parses")
        .iter()
        .map(|job| job.value("CMD").to_string())
        .collect()
}

fn user_value(data: &Path, user: &str, key: &str) -> String {
    let text = std::fs::read_to_string(data.join(format!("data/users/{user}/user.conf")))
        .expect("read user.conf");
    conf::parse_source(&text)
        .expect("user.conf parses")
        .value(key)
        .to_string()
}

/// Runs `readers` threads calling `v-list-cron-jobs USER json` for users of `users` until
/// `stop`; returns every failure they saw.
fn start_readers(
    s: &'static Server,
    users: Vec<String>,
    readers: usize,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<(usize, Vec<String>)>> {
    (0..readers)
        .map(|reader| {
            let users = users.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let user = &users[(reads + reader) % users.len()];
                    let response = s.legacy(false, "v-list-cron-jobs", &[user, "json"]);
                    reads += 1;
                    let parses = serde_json::from_str::<serde_json::Value>(&response.body).is_ok();
                    if response.status != 200 || !parses {
                        failures.push(format!("{response:?}"));
                    }
                }
                (reads, failures)
            })
        })
        .collect()
}

/// Sends `jobs` (user, command) as concurrent `v-add-cron-job` requests, one thread each.
fn add_jobs_concurrently(s: &'static Server, jobs: Vec<(String, String)>) {
    let threads: Vec<_> = jobs
        .into_iter()
        .map(|(user, command)| {
            std::thread::spawn(move || {
                let response = s.legacy(
                    true,
                    "v-add-cron-job",
                    &[&user, "*", "*", "*", "*", "*", &command],
                );
                (user, command, response)
            })
        })
        .collect();
    for thread in threads {
        let (user, command, response) = thread.join().expect("a writer thread");
        assert_eq!(
            response.body, "0",
            "v-add-cron-job {user} {command}: {response:?}"
        );
    }
}

fn check_readers(readers: Vec<std::thread::JoinHandle<(usize, Vec<String>)>>) {
    let mut total = 0;
    for reader in readers {
        let (reads, failures) = reader.join().expect("a reader thread");
        assert!(failures.is_empty(), "reads failed: {failures:?}");
        total += reads;
    }
    assert!(total > 0, "the readers made no request");
}

#[test]
fn two_hundred_concurrent_writes_to_one_user_all_land() {
    let s = hostile_server();
    add_user(s, "crowd");
    let stop = Arc::new(AtomicBool::new(false));
    let readers = start_readers(s, vec!["crowd".to_string()], 4, stop.clone());
    let jobs = (0..200)
        .map(|n| ("crowd".to_string(), format!("echo job-{n}")))
        .collect();
    add_jobs_concurrently(s, jobs);
    stop.store(true, Ordering::Relaxed);
    check_readers(readers);

    let mut commands = cron_commands(s.data_dir(), "crowd");
    commands.sort();
    let mut expected: Vec<String> = (0..200).map(|n| format!("echo job-{n}")).collect();
    expected.sort();
    assert_eq!(commands, expected, "every job is present exactly once");
    assert_eq!(user_value(s.data_dir(), "crowd", "U_CRON_JOBS"), "200");
    assert_store_parses(s.data_dir());
}

#[test]
fn concurrent_writes_across_fifty_users_all_land() {
    let s = hostile_server();
    let users: Vec<String> = (0..50).map(|n| format!("many{n}")).collect();
    for user in &users {
        add_user(s, user);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let readers = start_readers(s, users.clone(), 4, stop.clone());
    let jobs = users
        .iter()
        .flat_map(|user| (0..4).map(move |n| (user.clone(), format!("echo {user}-{n}"))))
        .collect();
    add_jobs_concurrently(s, jobs);
    stop.store(true, Ordering::Relaxed);
    check_readers(readers);

    for user in &users {
        let mut commands = cron_commands(s.data_dir(), user);
        commands.sort();
        let expected: Vec<String> = (0..4).map(|n| format!("echo {user}-{n}")).collect();
        assert_eq!(commands, expected, "{user}'s jobs");
        assert_eq!(user_value(s.data_dir(), user, "U_CRON_JOBS"), "4");
    }
    assert_store_parses(s.data_dir());
}

#[test]
fn a_failed_command_leaves_nothing_behind() {
    let s = hostile_server();
    add_user(s, "failing");
    let dir = s.path("data/users/failing");
    let before = snapshot(&dir);
    let modified = |path: &Path| std::fs::metadata(path).unwrap().modified().unwrap();
    let cron_modified = modified(&dir.join("cron.conf"));
    for (mode, code, message) in [
        ("fail", "19", "failing on purpose"),
        ("trap", "19", "v-test-stage failed unexpectedly"),
        ("loop", "14", "v-test-stage exceeded its time limit"),
        // A staged file still linked to the live one: its times cannot be set either.
        ("touch", "19", "could not touch cron.conf"),
    ] {
        let response = s.v2(false, "v-test-stage", &["failing", mode]);
        assert_eq!(
            response.exit_code.as_deref(),
            Some(code),
            "{mode}: {response:?}"
        );
        assert!(response.body.contains(message), "{mode}: {response:?}");
        assert_eq!(snapshot(&dir), before, "{mode}: the user's files changed");
        assert_eq!(
            modified(&dir.join("cron.conf")),
            cron_modified,
            "{mode}: the live file's times changed"
        );
    }
    // (Other tests share the server: only this user's stages count.)
    assert!(
        std::fs::read_dir(s.path("staging"))
            .map(|entries| {
                entries
                    .filter(|entry| {
                        let name = entry.as_ref().unwrap().file_name();
                        name.to_string_lossy().ends_with(".failing")
                    })
                    .count()
            })
            .unwrap_or(0)
            == 0,
        "no stage is left behind"
    );

    // The same command returning 0 makes all three changes visible at once.
    let response = s.v2(false, "v-test-stage", &["failing", "ok"]);
    assert_eq!(response.exit_code.as_deref(), Some("0"), "{response:?}");
    assert_eq!(s.read("data/users/failing/marker"), "staged\n");
    assert_eq!(user_value(s.data_dir(), "failing", "STAGED"), "yes");
    assert!(
        s.read("data/users/failing/history.log")
            .ends_with("STAGED='yes'\n")
    );
    assert_store_parses(s.data_dir());
}

/// A tmpfs of `size` mounted at `path`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(Self(path.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` with `dir/ballast` until fewer than `leave` bytes are free.
fn fill(dir: &Path, leave: usize) {
    use std::io::Write;
    let mut file = std::fs::File::create(dir.join("ballast")).expect("create the ballast");
    let chunk = vec![0u8; 64 << 10];
    loop {
        let free = free_bytes(dir);
        if free <= leave {
            break;
        }
        let take = chunk.len().min(free - leave);
        if file.write_all(&chunk[..take]).is_err() {
            break;
        }
    }
    file.sync_all().ok();
}

fn free_bytes(dir: &Path) -> usize {
    let output = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .expect("run df");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .expect("df prints the free bytes")
}

#[test]
fn a_full_disk_gives_e_disk_and_keeps_the_store() {
    let base = temp_dir("hearth-diskfull-");
    let data = base.join("data");
    let mount = match Tmpfs::mount(&data, "24m") {
        Ok(mount) => mount,
        // SAFETY: `geteuid` only reads the process's user ID.
        Err(error) if unsafe { libc::geteuid() } == 0 => {
            panic!("root could not mount a tmpfs: {error}")
        }
        Err(error) => {
            // Without root the disk cannot be filled safely (the server runs as root).
            eprintln!("NOT TESTED: a full disk (cannot mount a tmpfs: {error})");
            return;
        }
    };
    init(&data, Some(ADMIN_PASSWORD));
    // Installed plugins load only once approved: install like an admin would.
    let output = run(hearth(&data)
        .args(["plugin", "install", "--yes", "--name", "hostile"])
        .arg(hostile_plugin()));
    assert_eq!(output.code, 0, "hearth plugin install: {output:?}");
    let config = write_test_config(&base.join("hearth.toml"));
    // Start once so that the compiled plugins are cached, then fill the disk.
    let (mut child, port, _) = spawn_serve(&data, &base.join("server.log"), Some(&config));
    let output = run(hearth(&data).args(["key", "add", "admin", "--permissions", ""]));
    assert_eq!(output.code, 0, "{output:?}");
    let key = parse_key(&output.stdout);
    let call = |command: &str, args: &[&str]| {
        post_form_to(port, &call_fields(Auth::Key(&key), false, command, args))
    };
    let response = call("v-add-user", &["roomy", "Pa55-word-x", "roomy@example.com"]);
    assert_eq!(response.exit_code.as_deref(), Some("0"), "{response:?}");
    let dir = data.join("data/users/roomy");
    let before = snapshot(&dir);

    // Room for the staged copy, not for the plugin's big write.
    fill(&data, 512 << 10);
    let response = call("v-test-stage", &["roomy", "fill"]);
    assert_eq!(response.exit_code.as_deref(), Some("13"), "{response:?}");
    assert_eq!(snapshot(&dir), before, "the store changed");

    // No room even for the staged copy.
    fill(&data, 0);
    let response = call(
        "v-add-cron-job",
        &["roomy", "*", "*", "*", "*", "*", "echo x"],
    );
    assert_eq!(response.exit_code.as_deref(), Some("13"), "{response:?}");
    assert_eq!(response.body, "Error: not enough disk space");
    assert_eq!(snapshot(&dir), before, "the store changed");

    // Space again: the server is healthy and commands work.
    std::fs::remove_file(data.join("ballast")).expect("remove the ballast");
    let response = call(
        "v-add-cron-job",
        &["roomy", "*", "*", "*", "*", "*", "echo x"],
    );
    assert_eq!(response.exit_code.as_deref(), Some("0"), "{response:?}");
    assert_eq!(cron_commands(&data, "roomy"), vec!["echo x".to_string()]);
    let _ = child.kill();
    let _ = child.wait();
    drop(mount);
    let _ = std::fs::remove_dir_all(&base);
}

/// One request that may fail because the server is killed: `Some(exit code)` on an answer.
fn try_call(port: u16, command: &str, args: &[&str]) -> Option<String> {
    let pairs = call_fields(Auth::Admin, true, command, args);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .ok()?;
        let response = client
            .post(format!("https://127.0.0.1:{port}/api/"))
            .form(&pairs)
            .send()
            .await
            .ok()?;
        // returncode=yes: the body is the return code.
        response.text().await.ok()
    })
}

/// A cheap pseudo-random number (no extra dependency): the clock's nanoseconds.
fn jitter(modulo: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    u64::from(nanos) % modulo
}

#[test]
fn kill_nine_twenty_times_loses_no_acknowledged_command() {
    const USERS: &[&str] = &["crash0", "crash1", "crash2"];
    let base = temp_dir("hearth-crash-");
    let data = base.join("data");
    init(&data, Some(ADMIN_PASSWORD));
    for user in USERS {
        let output = run(hearth(&data).args([
            "call",
            "v-add-user",
            user,
            "Pa55-word-x",
            &format!("{user}@example.com"),
        ]));
        assert_eq!(output.code, 0, "{output:?}");
    }
    let config = write_test_config(&base.join("hearth.toml"));
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let started = Instant::now();
    for round in 0..20 {
        let (mut child, port, _) = spawn_serve(&data, &base.join("server.log"), Some(&config));
        // After a restart: nothing staged is left, every acknowledged job is there, once.
        let leftovers = std::fs::read_dir(data.join("staging"))
            .map(|entries| entries.count())
            .unwrap_or(0);
        assert_eq!(leftovers, 0, "round {round}: stages left after a restart");
        assert_store_parses(&data);
        for user in USERS {
            let present = cron_commands(&data, user);
            for (owner, command) in acknowledged.lock().unwrap().iter() {
                if owner == user {
                    let count = present.iter().filter(|c| *c == command).count();
                    assert_eq!(count, 1, "round {round}: {user} {command} present {count}×");
                }
            }
            assert_eq!(
                user_value(&data, user, "U_CRON_JOBS"),
                present.len().to_string(),
                "round {round}: {user}'s counter and cron.conf disagree"
            );
        }

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = USERS
            .iter()
            .enumerate()
            .map(|(thread, user)| {
                let stop = stop.clone();
                let acknowledged = acknowledged.clone();
                let user = user.to_string();
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let command = format!("echo r{round}-t{thread}-n{n}");
                        n += 1;
                        match try_call(
                            port,
                            "v-add-cron-job",
                            &[&user, "*", "*", "*", "*", "*", &command],
                        ) {
                            Some(code) if code == "0" => {
                                acknowledged.lock().unwrap().push((user.clone(), command))
                            }
                            Some(code) => panic!("v-add-cron-job answered {code}"),
                            None => break,
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + jitter(300)));
        child.kill().expect("kill -9 the server");
        child.wait().expect("reap the server");
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.join().expect("a writer thread");
        }
    }
    let (mut child, _, _) = spawn_serve(&data, &base.join("server.log"), Some(&config));
    assert_store_parses(&data);
    let total = acknowledged.lock().unwrap().len();
    for user in USERS {
        let present = cron_commands(&data, user);
        for (owner, command) in acknowledged.lock().unwrap().iter() {
            if owner == user {
                assert!(present.contains(command), "{user} lost {command}");
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(total >= 20, "the load made only {total} commands");
    eprintln!(
        "crash suite: 20 kills, {total} acknowledged commands, {:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_staged_command_cannot_write_through_to_the_users_live_files() {
    use std::os::unix::fs::MetadataExt;
    let s = hostile_server();
    // (way, what its steps must have got): each aims at the live `user.conf`, and would reach
    // it without the check named: `link-at` / `open-at` (second-name), `open-at` (symlink),
    // `link-at` (into-home), `rename-at` (moved-home), `link-at` and the nested command's
    // stage (nested-home), the descriptor's permissions (read-only-tree).
    let ways = [
        ("second-name", "append: done"),
        ("symlink", "truncate: done"),
        ("into-home", "link: done"),
        ("moved-home", "move: done"),
        ("nested-home", "nested: 0 appended"),
        ("read-only-tree", "append: Operation not permitted"),
    ];
    for (way, steps) in ways {
        let user = format!("through{}", way.replace('-', ""));
        add_user(s, &user);
        let live = s.path(&format!("data/users/{user}/user.conf"));
        let before = (
            std::fs::read(&live).unwrap(),
            std::fs::metadata(&live).unwrap(),
        );
        assert!(
            before.0.len() > 100,
            "{way}: user.conf has something to lose"
        );
        let response = s.v2(false, "v-test-write-through", &[&user, way]);
        assert_eq!(
            response.exit_code.as_deref(),
            Some("19"),
            "{way}: {response:?}"
        );
        assert!(response.body.contains(steps), "{way}: {response:?}");
        if matches!(way, "into-home" | "moved-home") {
            // A command with no stage writes what the failed one left in the home.
            let later = s.v2(false, "v-test-home-append", &[&user]);
            assert_eq!(later.exit_code.as_deref(), Some("0"), "{way}: {later:?}");
        }
        let after = std::fs::metadata(&live).unwrap();
        assert_eq!(
            std::fs::read(&live).unwrap(),
            before.0,
            "{way}: user.conf changed"
        );
        assert_eq!(after.ino(), before.1.ino(), "{way}: user.conf was replaced");
        assert_eq!(after.nlink(), 1, "{way}: user.conf got another name");
        assert_eq!(
            after.mtime(),
            before.1.mtime(),
            "{way}: user.conf was touched"
        );
    }
}

#[test]
fn a_users_steady_commands_rewrite_its_files_in_place() {
    // A command's stage starts from the user's tree of two commits ago once no reader can
    // hold it (2 s after it was swapped out); the files changed since are rewritten in that
    // tree in place, and the command writes its files in place too. So the third of three
    // spaced commands leaves `user.conf` and `history.log` in the inodes the first one made
    // them in, with every command's change, and no temporary file anywhere.
    use std::os::unix::fs::MetadataExt;
    let s = hostile_server();
    add_user(s, "steady");
    let dir = s.path("data/users/steady");
    let inodes = || {
        ["user.conf", "history.log"].map(|name| std::fs::metadata(dir.join(name)).unwrap().ino())
    };
    let change_contact = |email: &str| {
        let response = s.legacy(true, "v-change-user-contact", &["steady", email]);
        assert_eq!(response.body, "0", "{email}: {response:?}");
    };
    // Longer than the 2 s after which an old tree may be reused, and than the longest
    // request (the hostile commands' 1.5 s timeout) of another test reading meanwhile.
    let wait = || std::thread::sleep(Duration::from_secs(3));
    // The third address is the shortest: its `user.conf` is cut to its length.
    let emails = [
        "one@example.com",
        "the-second-and-longest@example.com",
        "3@example.com",
    ];
    change_contact(emails[0]);
    let first = inodes();
    wait();
    change_contact(emails[1]);
    let second = inodes();
    assert_ne!(second[0], first[0], "a commit swaps in the other tree");
    wait();
    change_contact(emails[2]);
    assert_eq!(
        inodes(),
        first,
        "the files of two commits ago, rewritten in place"
    );
    assert_eq!(user_value(s.data_dir(), "steady", "CONTACT"), emails[2]);
    let history = std::fs::read_to_string(dir.join("history.log")).unwrap();
    for email in emails {
        assert!(history.contains(email), "{email} in {history}");
    }
    assert_no_temporary_file_and_the_store_parses(s.data_dir(), &dir);
}

#[test]
fn history_entries_are_appended_in_a_stage_until_the_log_is_cut() {
    // A staged command appends its history entry instead of rewriting the log; the bytes are
    // those of a rewrite: every earlier line as it was, the entry with the next ID, and past
    // 300 lines the log cut to its last 250 and the entry, as Hestia keeps it.
    let s = hostile_server();
    add_user(s, "chronicle");
    let path = s.path("data/users/chronicle/history.log");
    let earlier: String = (1..=298)
        .map(|id| {
            format!(
                "ID='{id}' DATE='2026-01-01' TIME='10:00:00' LEVEL='Info' CATEGORY='System' \
                 MESSAGE='entry {id}'\n"
            )
        })
        .collect();
    std::fs::write(&path, &earlier).unwrap();
    let mut expected: Vec<String> = earlier.lines().map(str::to_string).collect();
    for id in 299..=302 {
        let email = format!("contact-{id}@example.com");
        let response = s.legacy(true, "v-change-user-contact", &["chronicle", &email]);
        assert_eq!(response.body, "0", "{email}: {response:?}");
        let history = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = history.lines().collect();
        let entry = lines.last().unwrap();
        assert!(entry.starts_with(&format!("ID='{id}' DATE='")), "{entry}");
        assert!(
            entry.ends_with(&format!(
                "LEVEL='Info' CATEGORY='System' MESSAGE='Email address changed (Value: {email}).'"
            )),
            "{entry}"
        );
        expected.push(entry.to_string());
        if expected.len() > 301 {
            expected.drain(..expected.len() - 251);
        }
        assert_eq!(lines, expected, "after the entry with ID {id}");
        assert!(history.ends_with('\n'));
    }
    assert_eq!(expected.len(), 251);
    assert!(expected[0].starts_with("ID='52' "));
}

/// No temporary file is left under `dir`, and the whole store below `data` parses.
fn assert_no_temporary_file_and_the_store_parses(data: &Path, dir: &Path) {
    let names: Vec<_> = snapshot(dir).into_keys().collect();
    assert!(
        names
            .iter()
            .all(|name| !name.to_string_lossy().contains(".tmp")),
        "{names:?}"
    );
    assert_store_parses(data);
}

/// The trimmed answer of `v-test-stage USER MODE` for a new user, which must succeed.
fn stage_answer(user: &str, mode: &str) -> String {
    let s = hostile_server();
    add_user(s, user);
    let response = s.v2(false, "v-test-stage", &[user, mode]);
    assert_eq!(response.exit_code.as_deref(), Some("0"), "{response:?}");
    response.body.trim().to_string()
}

#[test]
fn only_a_commands_own_stage_is_written_in_place() {
    // A nested command runs in its caller's stage, which its own failure does not throw
    // away: the host does not name that stage to it, so the SDK writes there by rename.
    assert_eq!(
        stage_answer("nesting", "nested-mounts"),
        "own: Some(\"/user\"); nested: 0 mounts: None"
    );
}

#[test]
fn a_read_only_file_is_replaced_by_a_rename_when_the_server_cannot_override_permissions() {
    // Root overrides file permissions, so a 0444 file is read-only only to a server run
    // without CAP_DAC_OVERRIDE. There the SDK's write in place of the stage's copy is
    // refused, and the command still succeeds: it falls back to a temporary file and a
    // rename, which need only the folder to be writable.
    use std::os::unix::fs::PermissionsExt;
    let base = temp_dir("hearth-read-only-");
    let data = base.join("data");
    init(&data, Some(ADMIN_PASSWORD));
    let added = run(hearth(&data).args([
        "call",
        "v-add-user",
        "frozen",
        "Pa55-word-x",
        "frozen@example.com",
    ]));
    assert_eq!(added.code, 0, "{added:?}");
    let dir = data.join("data/users/frozen");
    let user_conf = dir.join("user.conf");
    let mode = || std::fs::metadata(&user_conf).unwrap().permissions().mode() & 0o777;
    // Root drops the capability with `setpriv` (from the inherited set too, which some
    // container runtimes fill); another user never had it.
    let without_override = |program: &str| {
        // SAFETY: `geteuid` only reads the process's user ID.
        let mut command = if unsafe { libc::geteuid() } == 0 {
            let mut command = Command::new("setpriv");
            command
                .arg("--inh-caps=-dac_override,-dac_read_search")
                .arg("--bounding-set=-dac_override,-dac_read_search")
                .arg("--")
                .arg(program);
            command
        } else {
            Command::new(program)
        };
        command.env_remove("HEARTH_DATA_DIR");
        command
    };
    let change_contact = |email: &str| {
        let changed = run(without_override(BIN).arg("--data-dir").arg(&data).args([
            "call",
            "v-change-user-contact",
            "frozen",
            email,
        ]));
        assert_eq!(changed.code, 0, "{email}: {changed:?}");
        assert_eq!(user_value(&data, "frozen", "CONTACT"), email);
    };
    // The command is staged and writes in place: a file written in place keeps its mode,
    // one made by the fallback gets the default.
    std::fs::set_permissions(&user_conf, std::fs::Permissions::from_mode(0o640)).unwrap();
    change_contact("warm@example.com");
    assert_eq!(mode(), 0o640, "user.conf was not rewritten in place");
    // Without the capability a 0444 file cannot be opened for writing, even by root's
    // processes.
    let read_only = std::fs::Permissions::from_mode(0o444);
    let probe = base.join("probe");
    std::fs::write(&probe, "").unwrap();
    std::fs::set_permissions(&probe, read_only.clone()).unwrap();
    let opened = run(without_override("sh")
        .args(["-c", ": >> \"$1\"", "sh"])
        .arg(&probe));
    assert!(
        opened.code != 0 && opened.stderr.contains("Permission denied"),
        "the probe was writable, or setpriv failed: {opened:?}"
    );
    std::fs::set_permissions(&user_conf, read_only).unwrap();
    change_contact("thawed@example.com");
    assert_ne!(mode(), 0o444, "user.conf was not replaced by the fallback");
    let history = std::fs::read_to_string(dir.join("history.log")).unwrap();
    assert!(history.contains("thawed@example.com"), "{history}");
    assert_no_temporary_file_and_the_store_parses(&data, &dir);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_write_in_place_does_not_follow_a_symbolic_link_and_falls_back_to_a_rename() {
    // Inside its own stage the SDK rewrites a file in place; where the path is a symbolic
    // link it neither writes through the link nor fails, but replaces the link itself with
    // a new file by a temporary file and a rename.
    // The SDK tried the write in place: `linked` lies in a staged mount.
    assert_eq!(
        stage_answer("relinking", "relink"),
        "relinked in mounts Some(\"/user\")"
    );
    let s = hostile_server();
    let dir = s.path("data/users/relinking");
    let linked = std::fs::symlink_metadata(dir.join("linked")).unwrap();
    assert!(linked.is_file(), "the link became a file: {linked:?}");
    assert_eq!(std::fs::read(dir.join("linked")).unwrap(), b"relinked\n");
    assert_eq!(
        std::fs::read(dir.join("marker")).unwrap(),
        b"staged\n",
        "the link's target is untouched"
    );
    assert_no_temporary_file_and_the_store_parses(s.data_dir(), &dir);
}
