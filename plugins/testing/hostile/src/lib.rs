//! Test-only plugin for the reliability suites: commands that write and then fail in every
//! way a command can fail, and commands that try to exhaust their sandbox.
//!
//! `v-test-stage USER MODE` (read-write on the user's directory) replaces `marker`, appends to
//! `history.log` in place, adds `STAGED='yes'` to `user.conf`, and then ends by MODE: `ok`
//! returns 0, `fail` returns E_UPDATE (19), `trap` panics, `loop` spins until the deadline,
//! `fill` writes until the disk is full (the error becomes E_DISK, 13), `touch` sets the
//! modification time of `cron.conf` (opened read-only, so still a link to the user's live
//! file) and answers whether the sandbox let it (E_UPDATE when not).
//!
//! `v-test-exhaust KIND` holds nothing and tries: `loop` (spin), `loop-host` (spin calling
//! the host), `memory` (grow memory without bound), `recursion` (unbounded recursion),
//! `stdout`/`stderr` (write 1 GB), `output` (return more than the output cap), `huge-arg`
//! (pass a 64 MB string to a host interface), `resources` (take stream handles without bound).

use std::io::Write;

use hearth_sdk::{Access, Call, CmdError, CmdResult, Command, ReturnCode};

fn stage(call: &Call) -> CmdResult {
    let marker = call.user_path("marker");
    hearth_sdk::fs::write_atomic(&marker, b"staged\n")?;
    hearth_sdk::fs::append_line(&call.user_path("history.log"), "STAGED='yes'")?;
    let conf = call.user_path("user.conf");
    let mut record = hearth_sdk::fs::read_source(&conf)?;
    record.set("STAGED", "yes");
    hearth_sdk::fs::write_source(&conf, &record)?;
    match call.arg(2) {
        "ok" => Ok("staged\n".to_string()),
        "fail" => Err(CmdError::new(ReturnCode::Update, "failing on purpose")),
        "trap" => panic!("trapping on purpose"),
        "loop" => spin(),
        "touch" => {
            let file = std::fs::File::open(call.user_path("cron.conf"))?;
            match file.set_modified(std::time::SystemTime::UNIX_EPOCH) {
                Ok(()) => Ok("touched\n".to_string()),
                Err(error) => Err(CmdError::new(
                    ReturnCode::Update,
                    format!("could not touch cron.conf: {error}"),
                )),
            }
        }
        "fill" => {
            let chunk = vec![b'x'; 4 << 20];
            for n in 0.. {
                hearth_sdk::fs::write_atomic(&call.user_path(&format!("filler-{n}")), &chunk)?;
            }
            Ok(String::new())
        }
        _ => Err(CmdError::new(ReturnCode::Invalid, "unknown mode")),
    }
}

#[inline(never)]
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 64]);
    // The guard is never true at any depth a stack allows; it only keeps the compiler from
    // proving the recursion endless.
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(frame[(depth % 64) as usize])
}

fn exhaust(call: &Call) -> CmdResult {
    match call.arg(1) {
        "loop" => spin(),
        "loop-host" => loop {
            let _ = hearth_sdk::names::holders("loop.example.com");
            let _ = std::fs::metadata("/");
            std::hint::black_box(std::time::SystemTime::now());
        },
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 16 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "recursion" => Ok(recurse(0).to_string()),
        "stdout" | "stderr" => {
            let chunk = vec![b'y'; 1 << 20];
            let mut written = 0usize;
            for _ in 0..1024 {
                let result = if call.arg(1) == "stdout" {
                    std::io::stdout().write_all(&chunk)
                } else {
                    std::io::stderr().write_all(&chunk)
                };
                if result.is_err() {
                    break;
                }
                written += chunk.len();
            }
            Ok(format!("wrote {written} bytes\n"))
        }
        "output" => Ok("z".repeat(32 << 20)),
        "huge-arg" => {
            let huge = "a".repeat(64 << 20);
            let taken = hearth_sdk::names::claim(&huge, hearth_sdk::names::Kind::Web);
            Ok(format!("claim answered: {}\n", taken.is_ok()))
        }
        "resources" => flood(),
        _ => Err(CmdError::new(ReturnCode::Invalid, "unknown kind")),
    }
}

/// Takes a new stdout stream handle (one resource-table entry each) until the host refuses.
#[cfg(target_os = "wasi")]
fn flood() -> CmdResult {
    let mut handles = Vec::new();
    loop {
        handles.push(wasip2::cli::stdout::get_stdout());
        std::hint::black_box(&handles);
    }
}

#[cfg(not(target_os = "wasi"))]
fn flood() -> CmdResult {
    Err(CmdError::new(
        ReturnCode::Invalid,
        "only inside the sandbox",
    ))
}

const COMMANDS: &[Command] = &[
    Command {
        name: "v-test-stage",
        usage: "USER MODE",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: stage,
    },
    Command {
        name: "v-test-exhaust",
        usage: "KIND",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: exhaust,
    },
];

hearth_sdk::plugin!(
    name: "hostile",
    commands: COMMANDS,
    interfaces: &[
        ("hearth:plugin/names", "call the host in a loop, pass it a huge string"),
    ],
);
