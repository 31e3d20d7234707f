//! Fixed batches of in-process dispatches for the instruction-count guard
//! (`scripts/instructions`, run under `valgrind --tool=callgrind`): a read, a list over 100 web
//! domains and a durable mutation.
//!
//! `instructions prepare DIR` lays out a data root (alice with 100 web domains) and fills its
//! compile cache; `instructions batch DIR KIND COUNT` opens it and runs COUNT dispatches of KIND
//! (`read`, `list` or `mutation`). The guard runs each batch with COUNT 0 and COUNT N and divides
//! the difference by N, so startup is not counted. Without arguments (as under
//! `cargo test --all-targets`) it prepares a temporary root and runs two of each.

use std::path::Path;

use hearth::runtime::Limits;
use hearth::service::{Hearth, Options};

mod common;
use common::{add_alice, args};

/// Web domains alice owns, so the list batch lists a realistic number.
const DOMAINS: usize = 100;
const KINDS: [&str; 3] = ["read", "list", "mutation"];

/// One concurrent command is enough here, and keeps the pooling allocator's reservation small
/// enough for valgrind's address space. Reads are not memoized: the guard counts the plugin path.
fn options(data_dir: &Path) -> Options {
    let mut options = Options::new(data_dir);
    options.limits = Limits {
        max_concurrent: 1,
        ..Limits::default()
    };
    options.memoize_reads = false;
    options
}

async fn call(hearth: &Hearth, command: &str, arguments: &[String]) {
    let outcome = hearth.call_local(command, arguments).await.expect("call");
    assert_eq!(outcome.code, 0, "{command}: {}", outcome.output);
}

async fn prepare(data_dir: &Path) {
    hearth::init::init(data_dir, Some("instructions-admin-password"))
        .await
        .expect("init");
    let hearth = Hearth::open(&options(data_dir)).await.expect("open");
    add_alice(&hearth).await;
    for n in 0..DOMAINS {
        let domain = format!("site{n}.example.com");
        call(&hearth, "v-add-web-domain", &args(&["alice", &domain])).await;
    }
}

async fn batch(data_dir: &Path, kind: &str, count: usize) {
    let hearth = Hearth::open(&options(data_dir)).await.expect("open");
    for n in 0..count {
        match kind {
            "read" => call(&hearth, "v-list-user", &args(&["alice", "json"])).await,
            "list" => call(&hearth, "v-list-web-domains", &args(&["alice", "json"])).await,
            "mutation" => {
                let domain = format!("batch{n}.example.net");
                call(&hearth, "v-add-web-domain", &args(&["alice", &domain])).await
            }
            other => panic!("unknown batch {other}: expected one of {KINDS:?}"),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["prepare", dir] => prepare(Path::new(dir)).await,
        ["batch", dir, kind, count] => {
            batch(Path::new(dir), kind, count.parse().expect("COUNT")).await
        }
        _ => {
            // Smoke run (cargo test / cargo bench without the guard's arguments).
            let dir = tempfile::tempdir().expect("temporary data root");
            prepare(dir.path()).await;
            for kind in KINDS {
                batch(dir.path(), kind, 2).await;
            }
        }
    }
}
