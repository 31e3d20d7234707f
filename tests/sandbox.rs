//! The sandbox seen from outside: a user-scoped plugin that tries every way out of its
//! user's directory (the test-only `v-test-escape`) and user-scoped commands that must only
//! ever see the user they were called for.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::OnceLock;

use support::*;

static SERVER: OnceLock<Server> = OnceLock::new();

/// A server with the escape plugin installed, API_SYSTEM='2', a permission set for the
/// escape command, and users alice, bob, carol and dave.
fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let s = Server::start_with(&[(escape_plugin(), "escape.wasm")], |data| {
            set_conf(data, "API_SYSTEM", "2");
            std::fs::write(
                data.join("data/api/hearth-test-escape"),
                "ROLE='user'\nCOMMANDS='v-list-user,v-test-escape'\n",
            )
            .unwrap();
        });
        s.v2(
            false,
            "v-add-user",
            &[
                "alice",
                "Alice-p4ssw0rd",
                "alice@example.com",
                "default",
                "Alice",
            ],
        )
        .expect(204, Some("0"), "");
        s.v2(
            false,
            "v-add-user",
            &[
                "bob",
                "Bob-p4ssw0rd",
                "bob.victim@example.org",
                "default",
                "Bob",
            ],
        )
        .expect(204, Some("0"), "");
        s.v2(
            false,
            "v-add-user",
            &["carol", "Carol-p4ssw0rd", "carol@example.com"],
        )
        .expect(204, Some("0"), "");
        // dave is used by one test only, so its snapshots see no other test's writes.
        s.v2(
            false,
            "v-add-user",
            &["dave", "Dave-p4ssw0rd", "dave@example.com"],
        )
        .expect(204, Some("0"), "");
        s
    })
}

/// Plants `planted` → victim's directory and `planted-file` → victim's user.conf (absolute
/// paths) in `user`'s directory.
fn plant(s: &Server, user: &str, victim: &str) {
    let dir = s.path(&format!("data/users/{user}"));
    let victim_dir = std::fs::canonicalize(s.path(&format!("data/users/{victim}"))).unwrap();
    for (name, target) in [
        ("planted", victim_dir.clone()),
        ("planted-file", victim_dir.join("user.conf")),
        (
            "planted-dangling",
            victim_dir.join("pwned-planted-dangling"),
        ),
        ("planted-proc", std::path::PathBuf::from("/proc/self/root")),
    ] {
        let link = dir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
    }
}

/// A user directory's files, except `history.log`, which the host appends to on its own
/// (e.g. when the user's access key is used).
fn user_files(s: &Server, user: &str) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = snapshot(&s.path(&format!("data/users/{user}")));
    files.retain(|(path, _)| path != Path::new("history.log"));
    files
}

/// Every `pwned` file below `root` that is not inside `allowed`.
fn pwned_outside(root: &Path, allowed: &Path) -> Vec<String> {
    let mut found = Vec::new();
    walk(root, root, &mut |relative, path| {
        let name = relative.file_name().unwrap_or_default().to_string_lossy();
        if name.contains("pwned") && !path.starts_with(allowed) {
            found.push(relative.display().to_string());
        }
    });
    found
}

/// Asserts the escape report blocked everything.
#[track_caller]
fn assert_all_blocked(body: &str) {
    assert!(!body.contains("ESCAPED"), "the sandbox leaked:\n{body}");
    let blocked = body.lines().filter(|l| l.ends_with(": blocked")).count();
    assert!(
        blocked >= 20,
        "expected at least 20 blocked attempts, got {blocked}:\n{body}"
    );
    // The control line proves the plugin could use its own directory, so "blocked" means
    // refused rather than broken.
    assert!(
        body.lines().any(|l| l == "control-own-directory: ok"),
        "no successful control line:\n{body}"
    );
    for line in body.lines().filter(|l| !l.starts_with("control-")) {
        assert!(
            line.ends_with(": blocked"),
            "unexpected report line {line:?}"
        );
    }
}

#[test]
fn a_plugin_cannot_leave_its_users_directory() {
    let s = server();
    plant(s, "alice", "bob");
    let data = s.data_dir().to_path_buf();
    let before_bob = user_files(s, "bob");
    let before_admin = user_files(s, "admin");
    let before_conf = snapshot(&s.path("conf"));
    assert!(before_bob.iter().any(|(p, _)| p == Path::new("user.conf")));
    assert!(!before_bob.is_empty());

    let r = s.v2(false, "v-test-escape", &["alice", "bob"]);
    assert_all_blocked(&r.body);
    r.expect_status(200, Some("0"));
    // The same through the legacy API, in code mode: exit 0 means everything was blocked.
    s.legacy(true, "v-test-escape", &["alice", "bob"])
        .expect(200, None, "0");
    let legacy = s.legacy(false, "v-test-escape", &["alice", "bob"]);
    legacy.expect_status(200, None);
    assert_all_blocked(&legacy.body);

    assert_eq!(user_files(s, "bob"), before_bob, "bob's files changed");
    assert_eq!(
        user_files(s, "admin"),
        before_admin,
        "admin's files changed"
    );
    assert_eq!(snapshot(&s.path("conf")), before_conf, "conf/ changed");
    let alice_dir = std::fs::canonicalize(s.path("data/users/alice")).unwrap();
    assert_eq!(
        pwned_outside(&data, &alice_dir),
        Vec::<String>::new(),
        "files written outside alice's directory"
    );
    // Nothing escaped into the rest of the file system either.
    let tmp = std::env::temp_dir();
    assert!(!tmp.join("pwned").exists());
    assert!(!Path::new("/pwned").exists());
    for name in ["pwned-dangling", "pwned-planted-dangling", "pwned-chain"] {
        assert!(
            !s.path(&format!("data/users/bob/{name}")).exists(),
            "{name}"
        );
    }
}

/// The home directory of `user` as the server mounts it at `/home/USER`.
fn home_of(s: &Server, user: &str) -> std::path::PathBuf {
    let root = s
        .conf_value("HOME_ROOT")
        .filter(|value| !value.is_empty())
        .map_or_else(|| s.path("home"), std::path::PathBuf::from);
    root.join(user)
}

#[test]
fn a_read_only_directory_stays_unchanged() {
    let s = server();
    let before_dave = user_files(s, "dave");
    let before_bob = user_files(s, "bob");
    let r = s.v2(false, "v-test-escape-readonly", &["dave"]);
    assert!(
        !r.body.contains("ESCAPED"),
        "the sandbox leaked:\n{}",
        r.body
    );
    r.expect_status(200, Some("0"));
    let blocked = r.body.lines().filter(|l| l.ends_with(": blocked")).count();
    assert_eq!(blocked, 11, "{}", r.body);
    assert!(
        r.body.contains("control-writable-directory: ok"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("control-read-only-readable: ok"),
        "{}",
        r.body
    );
    assert_eq!(
        user_files(s, "dave"),
        before_dave,
        "the read-only directory changed"
    );
    assert_eq!(user_files(s, "bob"), before_bob, "bob's files changed");
    let home = home_of(s, "dave");
    for name in ["linked.conf", "moved.conf"] {
        assert!(
            !home.join(name).exists(),
            "{name} in the writable directory"
        );
    }
    // The writable directory did take the control write.
    assert_eq!(
        std::fs::read_to_string(home.join("own-file")).unwrap(),
        "mine"
    );
}

/// Swaps `a` and `b` (both must exist) in one step.
fn exchange(a: &Path, b: &Path) {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        a,
        rustix::fs::CWD,
        b,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .unwrap();
}

#[test]
fn renaming_directories_under_an_open_path_never_leads_out() {
    let s = server();
    let user = "carol";
    // Make sure the home exists (the server creates it on the first call that mounts it).
    s.v2(false, "v-test-escape-race", &[user, "0", "x"])
        .expect_status(200, Some("0"));
    let home = std::fs::canonicalize(home_of(s, user)).unwrap();
    let maze = home.join("maze");
    let _ = std::fs::remove_dir_all(&maze);
    std::fs::create_dir_all(maze.join("inner")).unwrap();
    std::fs::write(maze.join("inner/own"), "own").unwrap();
    std::fs::create_dir_all(maze.join("swing")).unwrap();
    std::fs::write(maze.join("swing/user.conf"), "OWN='yes'\n").unwrap();
    // `..` twice from `inner` moved next to the home lands in the home root's parent.
    let away = home.parent().unwrap().join(format!("{user}-inner-away"));
    let _ = std::fs::remove_dir_all(&away);
    let landing = home.parent().unwrap().parent().unwrap();
    let bob = std::fs::canonicalize(s.path("data/users/bob")).unwrap();
    let outside = bob
        .strip_prefix(landing)
        .expect("the data root and the home root share a parent")
        .display()
        .to_string();
    // `swing-link` → bob's directory, relative and absolute, swapped with `swing` in a loop.
    let depth = maze.strip_prefix(landing).unwrap().components().count();
    let relative = format!("{}{outside}", "../".repeat(depth));
    let swing_link = home.join("swing-link");
    let _ = std::fs::remove_file(&swing_link);
    std::os::unix::fs::symlink(&relative, &swing_link).unwrap();
    // Once swapped into `maze/`, the link resolves to bob's directory (outside the sandbox).
    assert!(
        maze.join(&relative).join("user.conf").exists(),
        "{relative}"
    );

    let before_bob = user_files(s, "bob");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let racer = {
        let stop = stop.clone();
        let (maze, away, swing_link) = (maze.clone(), away.clone(), swing_link.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::rename(maze.join("inner"), &away).unwrap();
                exchange(&maze.join("swing"), &swing_link);
                std::thread::yield_now();
                std::fs::rename(&away, maze.join("inner")).unwrap();
                exchange(&maze.join("swing"), &swing_link);
                swaps += 1;
            }
            swaps
        })
    };
    let r = s.v2(false, "v-test-escape-race", &[user, "20000", &outside]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = racer.join().unwrap();
    assert!(
        !r.body.contains("ESCAPED"),
        "the sandbox leaked:\n{}",
        r.body
    );
    r.expect_status(200, Some("0"));
    assert!(r.body.contains("open-during-rename: blocked"), "{}", r.body);
    assert!(swaps > 20, "the host barely raced: {swaps} swaps");
    // The plugin's own paths resolved in some rounds and not others: the race was real.
    let own_reads: u32 = r
        .body
        .lines()
        .find_map(|l| l.strip_prefix("control-own-reads: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(own_reads > 0, "{}", r.body);
    assert_eq!(user_files(s, "bob"), before_bob, "bob's files changed");
    assert!(!bob.join("pwned-race").exists());
}

#[test]
fn the_victim_can_be_the_root_user() {
    let s = server();
    // carol's directory gets links to the root user's.
    plant(s, "carol", "admin");
    let before_admin = user_files(s, "admin");
    let r = s.v2(false, "v-test-escape", &["carol", "admin"]);
    assert_all_blocked(&r.body);
    r.expect_status(200, Some("0"));
    assert_eq!(user_files(s, "admin"), before_admin);
    let carol_dir = std::fs::canonicalize(s.path("data/users/carol")).unwrap();
    let alice_dir = std::fs::canonicalize(s.path("data/users/alice")).unwrap();
    for found in pwned_outside(s.data_dir(), &carol_dir) {
        assert!(
            s.data_dir().join(&found).starts_with(&alice_dir),
            "pwned file outside the callers' directories: {found}"
        );
    }
}

#[test]
fn a_user_scoped_listing_shows_only_that_user() {
    let s = server();
    let r = s.v2(false, "v-list-user", &["alice", "json"]);
    r.expect_status(200, Some("0"));
    let json = r.json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["alice"]);
    assert_eq!(json["alice"]["CONTACT"], "alice@example.com");
    for format in ["json", "plain", "csv", "shell"] {
        let r = s.v2(false, "v-list-user", &["alice", format]);
        assert!(
            !r.body.contains("bob") && !r.body.contains("System Administrator"),
            "another user's data in alice's listing: {r:#?}"
        );
    }
    // Path tricks in the USER argument never reach another directory.
    for user in ["../bob", "alice/../bob", "/bob", "..", "."] {
        let r = s.v2(false, "v-list-user", &[user, "json"]);
        assert!(r.status >= 400, "{user}: {r:#?}");
        assert!(!r.body.contains("bob.victim"), "{user}: {r:#?}");
    }
    // A symlinked "user" pointing at bob is not a user.
    let link = s.path("data/users/mallory");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(
        std::fs::canonicalize(s.path("data/users/bob")).unwrap(),
        &link,
    )
    .unwrap();
    let r = s.v2(false, "v-list-user", &["mallory", "json"]);
    std::fs::remove_file(&link).unwrap();
    assert!(!r.body.contains("bob.victim"), "{r:#?}");
    r.expect(400, Some("3"), "Error: user mallory doesn't exist");
}

#[test]
fn a_user_key_cannot_reach_another_user() {
    let s = server();
    let key = s.add_key("alice", "hearth-test-escape");
    let r = s.api(Auth::Key(&key), false, "v-list-user", &["alice", "json"]);
    r.expect_status(200, Some("0"));
    let mismatch = format!(
        "Error: Key {} - the \"user\" argument doesn\\'t match the key\\'s user",
        key.id
    );
    s.api(Auth::Key(&key), false, "v-list-user", &["bob", "json"])
        .expect(401, Some("10"), &mismatch);
    s.api(Auth::Key(&key), false, "v-test-escape", &["bob", "alice"])
        .expect(401, Some("10"), &mismatch);
    let r = s.api(Auth::Key(&key), false, "v-test-escape", &["alice", "bob"]);
    assert_all_blocked(&r.body);
    r.expect_status(200, Some("0"));
}

#[test]
fn claims_and_reloads_of_a_failed_command_are_undone() {
    let s = server();
    // A failing command's claim is rolled back: another user can take the name.
    s.v2(
        false,
        "v-test-claim",
        &["alice", "rolled-back.test", "4", "dns"],
    )
    .expect(400, Some("4"), "claimed");
    s.v2(false, "v-test-claim", &["bob", "rolled-back.test", "0"])
        .expect(200, Some("0"), "claimed");
    // A succeeding command's claim stays, and is reported with its holder.
    s.v2(false, "v-test-claim", &["alice", "kept.test", "0", "web"])
        .expect(200, Some("0"), "claimed");
    s.v2(false, "v-test-claim", &["bob", "KEPT.test", "0"])
        .expect(200, Some("0"), "taken by alice");
    // A trap or a timeout after the claim undoes it as well, and drops the reload.
    s.v2(
        false,
        "v-test-claim",
        &["alice", "trapped.test", "trap", "mail"],
    )
    .expect(400, Some("19"), "Error: v-test-claim failed unexpectedly");
    s.v2(false, "v-test-claim", &["bob", "trapped.test", "0"])
        .expect(200, Some("0"), "claimed");
    let r = s.v2(
        false,
        "v-test-claim",
        &["alice", "timed-out.test", "hang", "mail"],
    );
    assert_ne!(r.exit_code.as_deref(), Some("0"), "{r:#?}");
    s.v2(false, "v-test-claim", &["bob", "timed-out.test", "0"])
        .expect(200, Some("0"), "claimed");
    // Only the successful command's reload reached the queue.
    let queue = s.read("data/queue/restart.pipe");
    assert!(queue.lines().any(|l| l == "v-restart-web now"), "{queue}");
    assert!(!queue.contains("v-restart-dns"), "{queue}");
    assert!(!queue.contains("v-restart-mail"), "{queue}");
}

#[test]
fn a_nested_command_stays_with_the_callers_user() {
    let s = server();
    let r = s.v2(
        false,
        "v-test-nested",
        &["alice", "v-list-user", "alice", "json"],
    );
    r.expect_status(200, Some("0"));
    assert!(r.json()["alice"].is_object(), "{r:#?}");
    let r = s.v2(
        false,
        "v-test-nested",
        &["alice", "v-list-user", "bob", "json"],
    );
    r.expect_status(401, Some("10"));
    assert!(!r.body.contains("bob.victim"), "{r:#?}");
    assert!(r.body.contains("same user"), "{r:#?}");
    // The nested call cannot take a lock its caller does not hold.
    let r = s.v2(
        false,
        "v-test-nested",
        &[
            "alice",
            "v-change-user-contact",
            "alice",
            "mallory@example.com",
        ],
    );
    r.expect_status(401, Some("10"));
    assert!(r.body.contains("lock"), "{r:#?}");
    let r = s.v2(false, "v-list-user", &["alice", "json"]);
    assert_eq!(r.json()["alice"]["CONTACT"], "alice@example.com", "{r:#?}");
}
