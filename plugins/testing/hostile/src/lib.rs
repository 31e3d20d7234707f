//! Test-only plugin for the reliability suites: commands that write and then fail in every
//! way a command can fail, and commands that try to exhaust their sandbox.
//!
//! `v-test-stage USER MODE` (read-write on the user's directory) replaces `marker`, appends to
//! `history.log` in place, adds `STAGED='yes'` to `user.conf`, and then ends by MODE: `ok`
//! returns 0, `fail` returns E_UPDATE (19), `trap` panics, `loop` spins until the deadline,
//! `fill` writes until the disk is full (the error becomes E_DISK, 13), `touch` sets the
//! modification time of `cron.conf` (opened read-only, so still a link to the user's live
//! file) and answers whether the sandbox let it (E_UPDATE when not), `mounts` answers the
//! staged mounts the host named (`HEARTH_STAGED_MOUNTS`), `nested-mounts` answers its own and
//! those of a nested `v-test-stage USER mounts`, and `relink` makes `linked` a symbolic link
//! to `marker`, replaces `linked` with the SDK's `write_atomic` and answers the staged mounts.
//!
//! `v-test-write-through USER WAY` (read-write on the user's directory and home, read-only on
//! `data/users`) tries to change the user's live `user.conf` through the stage's links, then
//! fails (E_UPDATE, its message saying what each step got): `second-name` (append through a
//! symbolic link to a second hard link), `symlink` (truncate through a symbolic link),
//! `into-home` / `moved-home` (hard-link / move the staged file into the home, where a later
//! `v-test-home-append USER`, which has no stage, appends to `planted`), `nested-home` (the
//! same link, appended to by a nested `v-test-home-append`), `read-only-tree` (open the live
//! file for appending through the read-only `data/users`).
//!
//! `v-test-exhaust KIND` holds nothing and tries: `loop` (spin), `loop-host` (spin calling
//! the host), `memory` (grow memory without bound), `recursion` (unbounded recursion),
//! `stdout`/`stderr` (write 1 GB), `output` (return more than the output cap), `huge-arg`
//! (pass a 64 MB string to a host interface), `resources` (take stream handles without bound).

use std::io::Write;

use hearth_sdk::{Access, Call, CmdError, CmdResult, Command, ReturnCode};

/// `symlink(2)` of wasi-libc (std's WASI symlink is unstable).
fn symlink(target: &str, link: &std::path::Path) -> std::io::Result<()> {
    unsafe extern "C" {
        fn symlink(target: *const std::ffi::c_char, link: *const std::ffi::c_char) -> i32;
    }
    let invalid = |_| std::io::Error::from(std::io::ErrorKind::InvalidInput);
    let target = std::ffi::CString::new(target).map_err(invalid)?;
    let link = link.to_str().ok_or(std::io::ErrorKind::InvalidInput)?;
    let link = std::ffi::CString::new(link).map_err(invalid)?;
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    if unsafe { symlink(target.as_ptr(), link.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What one step of `v-test-write-through` got.
fn outcome<T>(step: &str, result: std::io::Result<T>) -> String {
    match result {
        Ok(_) => format!("{step}: done"),
        Err(error) => format!("{step}: {error}"),
    }
}

fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(text.as_bytes())
}

fn write_through(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let steps = match call.arg(2) {
        "second-name" => vec![
            outcome(
                "link",
                std::fs::hard_link(call.user_path("user.conf"), call.user_path("second")),
            ),
            outcome("symlink", symlink("second", &call.user_path("to-second"))),
            outcome(
                "append",
                append(&call.user_path("to-second"), "WRITTEN='through'\n"),
            ),
        ],
        "symlink" => vec![
            outcome("symlink", symlink("user.conf", &call.user_path("to-user"))),
            outcome(
                "truncate",
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(call.user_path("to-user")),
            ),
        ],
        "into-home" => vec![outcome(
            "link",
            std::fs::hard_link(call.user_path("user.conf"), call.home_path(user, "planted")),
        )],
        "moved-home" => vec![outcome(
            "move",
            std::fs::rename(call.user_path("user.conf"), call.home_path(user, "planted")),
        )],
        "nested-home" => {
            let linked =
                std::fs::hard_link(call.user_path("user.conf"), call.home_path(user, "planted"));
            let (code, output) = hearth_sdk::commands::run("v-test-home-append", &[user]);
            vec![
                outcome("link", linked),
                format!("nested: {code} {}", output.trim()),
            ]
        }
        "read-only-tree" => vec![outcome(
            "append",
            append(
                &call.system_path(&format!("data/users/{user}/user.conf")),
                "WRITTEN='through'\n",
            ),
        )],
        _ => return Err(CmdError::new(ReturnCode::Invalid, "unknown way")),
    };
    Err(CmdError::new(ReturnCode::Update, steps.join("; ")))
}

fn home_append(call: &Call) -> CmdResult {
    append(
        &call.home_path(call.arg(1), "planted"),
        "WRITTEN='through'\n",
    )?;
    Ok("appended\n".to_string())
}

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
        "mounts" => Ok(format!(
            "mounts: {:?}\n",
            std::env::var(hearth_sdk::fs::STAGED_MOUNTS_VARIABLE).ok()
        )),
        "nested-mounts" => {
            let own = std::env::var(hearth_sdk::fs::STAGED_MOUNTS_VARIABLE).ok();
            let (code, output) =
                hearth_sdk::commands::run("v-test-stage", &[call.arg(1), "mounts"]);
            Ok(format!("own: {own:?}; nested: {code} {}", output.trim()))
        }
        "relink" => {
            let linked = call.user_path("linked");
            symlink("marker", &linked)?;
            hearth_sdk::fs::write_atomic(&linked, b"relinked\n")?;
            Ok(format!(
                "relinked in mounts {:?}\n",
                std::env::var(hearth_sdk::fs::STAGED_MOUNTS_VARIABLE).ok()
            ))
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
        name: "v-test-write-through",
        usage: "USER WAY",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::ReadWrite,
        system_dirs: &[("data/users", Access::ReadOnly)],
        mutating: true,
        secret_args: &[],
        handler: write_through,
    },
    Command {
        name: "v-test-home-append",
        usage: "USER",
        min_args: 1,
        user_arg: 1,
        user_access: Access::None,
        home_access: Access::ReadWrite,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: home_append,
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
        ("hearth:plugin/commands", "run a command from a failing one"),
    ],
);
