//! Memoized reads: a read-only command's kept answer is given again only while every file
//! and directory it read (and every name it found missing) is unchanged; runs that asked the
//! clock or a hearth host interface, and commands that may write, are never kept.
//!
//! In-process against a real data root with the test plugin installed, so that the count of
//! answers given from the cache (`Runtime::memoized_answers`) can be watched.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth::runtime::Outcome;
use hearth::service::{Hearth, Options};
use support::*;

fn args(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

/// A data root with the test plugin installed and the user alice.
struct Root {
    _base: tempfile::TempDir,
    data: PathBuf,
}

impl Root {
    fn new() -> Self {
        let base = tempfile::tempdir().expect("temporary folder");
        let data = base.path().join("data");
        assert_eq!(init(&data, Some(ADMIN_PASSWORD)).code, 0);
        let installed = run(hearth(&data)
            .args(["plugin", "install", "--yes", "--name", "escape"])
            .arg(escape_plugin()));
        assert_eq!(installed.code, 0, "{installed:?}");
        Self { _base: base, data }
    }

    async fn open(&self, memoize_reads: bool) -> Hearth {
        let mut options = Options::new(&self.data);
        options.memoize_reads = memoize_reads;
        let hearth = Hearth::open(&options).await.expect("open the data root");
        call(
            &hearth,
            "v-add-user",
            &[
                "alice",
                "alice-password",
                "alice@example.com",
                "default",
                "Alice",
                "Example",
            ],
        )
        .await;
        hearth
    }

    fn alice(&self, name: &str) -> PathBuf {
        self.data.join("data/users/alice").join(name)
    }
}

/// The outcome of a call that must succeed.
async fn succeed(hearth: &Hearth, command: &str, arguments: &[&str]) -> Outcome {
    let outcome = hearth
        .call_local(command, &args(arguments))
        .await
        .expect("call");
    assert_eq!(outcome.code, 0, "{command}: {}", outcome.output);
    outcome
}

async fn call(hearth: &Hearth, command: &str, arguments: &[&str]) -> String {
    succeed(hearth, command, arguments).await.output
}

/// Whether a successful call's answer says it is a memoized read's (given by the read cache
/// or just kept in it), which the API may then keep what it makes of.
async fn answer_is_memoized(hearth: &Hearth, command: &str, arguments: &[&str]) -> bool {
    succeed(hearth, command, arguments).await.memoized
}

fn hits(hearth: &Hearth) -> u64 {
    hearth.runtime().memoized_answers()
}

/// A stamp written this recently is not trusted (the racy-timestamp rule), so answers read
/// from it are not kept; the tests wait it out after laying files down.
fn wait_out_racy_window() {
    std::thread::sleep(Duration::from_millis(2_200));
}

fn rewrite_in_place(path: &Path, contents: &[u8]) {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for writing");
    file.write_all(contents).expect("write in place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_read_is_answered_from_the_cache_and_an_edit_in_place_is_seen_at_once() {
    let root = Root::new();
    let hearth = root.open(true).await;
    std::fs::write(root.alice("note.txt"), "first").unwrap();
    let inode =
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(root.alice("note.txt")).unwrap());
    wait_out_racy_window();

    let before = hits(&hearth);
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "note.txt"]).await,
        "first"
    );
    assert_eq!(hits(&hearth), before, "the first run is the plugin's");
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "note.txt"]).await,
        "first"
    );
    assert_eq!(
        hits(&hearth),
        before + 1,
        "the second answer is the kept one"
    );
    assert!(answer_is_memoized(&hearth, "v-test-read", &["alice", "note.txt"]).await);
    std::fs::write(root.alice("fresh.txt"), "fresh").unwrap();
    assert!(
        !answer_is_memoized(&hearth, "v-test-read", &["alice", "fresh.txt"]).await,
        "a file this fresh is not trusted, so its answer is not kept"
    );

    // Same length, same inode: only the times tell.
    rewrite_in_place(&root.alice("note.txt"), b"again");
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(root.alice("note.txt")).unwrap()),
        inode
    );
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "note.txt"]).await,
        "again"
    );
    assert_eq!(hits(&hearth), before + 2);

    // A built-in read is memoized the same way, and sees a change made by a command.
    let listed = call(&hearth, "v-list-user", &["alice", "json"]).await;
    let kept = hits(&hearth);
    assert_eq!(
        call(&hearth, "v-list-user", &["alice", "json"]).await,
        listed
    );
    assert_eq!(hits(&hearth), kept + 1, "v-list-user is memoized too");
    call(
        &hearth,
        "v-change-user-contact",
        &["alice", "new@example.org"],
    )
    .await;
    let changed = call(&hearth, "v-list-user", &["alice", "json"]).await;
    assert!(changed.contains("\"new@example.org\""), "{changed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_appears_or_is_replaced_or_goes_is_seen() {
    let root = Root::new();
    let hearth = root.open(true).await;
    wait_out_racy_window();

    let before = hits(&hearth);
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "missing"
    );
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "missing"
    );
    assert_eq!(hits(&hearth), before + 1, "a missing name is kept too");

    std::fs::write(root.alice("later.txt"), "here").unwrap();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "here"
    );
    wait_out_racy_window();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "here"
    );
    let kept = hits(&hearth);
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "here"
    );
    assert_eq!(hits(&hearth), kept + 1);

    // Another argument is another answer.
    std::fs::write(root.alice("other.txt"), "other").unwrap();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "other.txt"]).await,
        "other"
    );

    // Replaced by a rename: another inode, maybe the same times and size.
    let temporary = root.alice(".later.tmp");
    std::fs::write(&temporary, "HERE").unwrap();
    std::fs::rename(&temporary, root.alice("later.txt")).unwrap();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "HERE"
    );

    std::fs::remove_file(root.alice("later.txt")).unwrap();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "later.txt"]).await,
        "missing"
    );
    assert_eq!(hits(&hearth), kept + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existence_check_follows_the_name_even_to_a_dangling_link() {
    let root = Root::new();
    let hearth = root.open(true).await;
    wait_out_racy_window();

    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "ghost?"]).await,
        "no"
    );
    let kept = hits(&hearth);
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "ghost?"]).await,
        "no"
    );
    assert_eq!(hits(&hearth), kept + 1, "an existence check is memoized");
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "user.conf?"]).await,
        "yes"
    );

    std::os::unix::fs::symlink("nowhere", root.alice("ghost")).unwrap();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "ghost?"]).await,
        "yes"
    );
    assert_eq!(hits(&hearth), kept + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_listing_follows_its_entries() {
    let root = Root::new();
    let hearth = root.open(true).await;
    std::fs::create_dir(root.alice("box")).unwrap();
    std::fs::write(root.alice("box/a"), "").unwrap();
    wait_out_racy_window();

    let before = hits(&hearth);
    assert_eq!(call(&hearth, "v-test-read", &["alice", "box/"]).await, "a");
    assert_eq!(call(&hearth, "v-test-read", &["alice", "box/"]).await, "a");
    assert_eq!(hits(&hearth), before + 1);
    std::fs::write(root.alice("box/b"), "").unwrap();
    assert_eq!(
        call(&hearth, "v-test-read", &["alice", "box/"]).await,
        "a\nb"
    );
    assert_eq!(hits(&hearth), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_that_ask_the_clock_or_a_host_interface_or_may_write_are_never_kept() {
    let root = Root::new();
    let hearth = root.open(true).await;
    wait_out_racy_window();
    let before = hits(&hearth);

    let first = call(&hearth, "v-test-clock", &[]).await;
    let second = call(&hearth, "v-test-clock", &[]).await;
    assert_ne!(first, second, "each run reads the clock anew");
    assert!(!answer_is_memoized(&hearth, "v-test-clock", &[]).await);

    // A read-only grant, but the names interface has effects of its own.
    for _ in 0..2 {
        call(
            &hearth,
            "v-test-claim",
            &["alice", "claimed.example.com", "0"],
        )
        .await;
    }
    assert!(
        !answer_is_memoized(
            &hearth,
            "v-test-claim",
            &["alice", "claimed.example.com", "0"]
        )
        .await
    );
    // Nested commands go through the commands interface.
    for _ in 0..2 {
        let nested = ["alice", "v-list-user", "alice", "json"];
        assert!(!answer_is_memoized(&hearth, "v-test-nested", &nested).await);
    }
    // A command with a writable grant is never kept.
    for _ in 0..2 {
        let job = ["alice", "*", "*", "*", "*", "*", "true"];
        assert!(!answer_is_memoized(&hearth, "v-add-cron-job", &job).await);
    }
    assert_eq!(hits(&hearth), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_memoization_off_every_request_runs_its_plugin() {
    let root = Root::new();
    let hearth = root.open(false).await;
    std::fs::write(root.alice("note.txt"), "first").unwrap();
    wait_out_racy_window();
    for _ in 0..3 {
        assert_eq!(
            call(&hearth, "v-test-read", &["alice", "note.txt"]).await,
            "first"
        );
        assert!(!answer_is_memoized(&hearth, "v-list-user", &["alice", "json"]).await);
    }
    assert_eq!(hits(&hearth), 0);
}
