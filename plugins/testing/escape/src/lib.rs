//! Test-only plugin that tries to leave its sandbox. Every attempt must be refused.
//!
//! It also provides `v-test-sleep MS`, which holds a sandbox slot for MS milliseconds, so
//! tests can fill the concurrency cap deterministically, and probes of the host interfaces:
//! `v-test-claim USER NAME CODE [SERVICE]` claims NAME as a web domain, asks for a reload of
//! SERVICE and then returns CODE, traps (`trap`) or runs until the deadline (`hang`), so tests
//! see claims and reloads kept or undone, and
//! `v-test-nested USER COMMAND [ARG...]` runs another command and returns its outcome.
//!
//! Probes of the read cache: `v-test-read USER PATH` prints the file `PATH` under `/user`
//! (`missing` when there is none), with a trailing `/` the sorted names in that directory,
//! with a trailing `?` `yes` or `no` for whether the name exists (`hearth_sdk::fs::exists`);
//! `v-test-clock` prints the wall-clock time in nanoseconds.
//!
//! `v-test-escape USER VICTIM` runs with read-write access to `data/users/USER/` only and tries
//! to read and write `VICTIM`'s files by `..`, absolute paths, pre-planted symlinks and symlinks
//! it creates itself. It prints one line per attempt, `<attempt>: blocked` or
//! `<attempt>: ESCAPED <detail>`, and returns 0 only when everything was blocked. A first
//! control line proves the plugin can use its own directory.
//!
//! `v-test-escape-readonly USER` tries to change its read-only `/user` directly and by moving
//! files into its writable `/home/USER`; `v-test-escape-race USER ROUNDS OUTSIDE` opens paths
//! while the host renames and swaps the directories they go through.

use std::fs;
use std::path::Path;

use hearth_sdk::{Access, Call, CmdError, CmdResult, Command, ReturnCode};

fn attempt(report: &mut Vec<String>, name: &str, result: std::io::Result<String>) {
    match result {
        Ok(detail) => report.push(format!("{name}: ESCAPED {detail}")),
        Err(_) => report.push(format!("{name}: blocked")),
    }
}

fn escape(call: &Call) -> CmdResult {
    let victim = call.arg(2);
    let victim_conf = format!("../{victim}/user.conf");
    let user = call.user_path("");
    let mut report = Vec::new();

    // Control: the plugin can use its own directory, so "blocked" below means refused.
    let own = user.join("own-file");
    let control = fs::write(&own, "mine").and_then(|_| fs::read_to_string(&own));
    match control {
        Ok(text) if text == "mine" => report.push("control-own-directory: ok".to_string()),
        _ => {
            return Err(CmdError::raw(
                ReturnCode::Parsing,
                "control-own-directory: FAILED\n",
            ));
        }
    }

    attempt(
        &mut report,
        "read-dotdot",
        fs::read_to_string(user.join(&victim_conf)),
    );
    attempt(
        &mut report,
        "write-dotdot",
        fs::write(user.join(format!("../{victim}/pwned")), "x").map(|_| "wrote".into()),
    );
    attempt(
        &mut report,
        "read-absolute-data",
        fs::read_to_string(format!("/data/users/{victim}/user.conf")),
    );
    attempt(
        &mut report,
        "read-absolute-etc",
        fs::read_to_string("/etc/passwd"),
    );
    attempt(
        &mut report,
        "list-root",
        fs::read_dir("/").map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",")
        }),
    );
    attempt(
        &mut report,
        "read-planted-symlink",
        fs::read_to_string(user.join("planted/user.conf")),
    );
    attempt(
        &mut report,
        "write-planted-symlink",
        fs::write(user.join("planted/pwned"), "x").map(|_| "wrote".into()),
    );
    attempt(
        &mut report,
        "read-planted-file-symlink",
        fs::read_to_string(user.join("planted-file")),
    );
    let own_link = user.join("own-link");
    attempt(
        &mut report,
        "follow-created-symlink",
        symlink(&format!("../{victim}"), &own_link)
            .and_then(|_| fs::read_to_string(own_link.join("user.conf"))),
    );
    let abs_link = user.join("abs-link");
    attempt(
        &mut report,
        "follow-created-absolute-symlink",
        symlink(&format!("/data/users/{victim}/user.conf"), &abs_link)
            .and_then(|_| fs::read_to_string(&abs_link)),
    );

    // A chain of links, each ending in a slash, whose last hop leaves the directory.
    let chain_first = user.join("chain-first");
    let chain_second = user.join("chain-second");
    attempt(
        &mut report,
        "trailing-slash-symlink-chain",
        symlink("chain-second/", &chain_first)
            .and_then(|_| symlink(&format!("../{victim}/"), &chain_second))
            .and_then(|_| fs::read_to_string(user.join("chain-first/user.conf"))),
    );
    attempt(
        &mut report,
        "trailing-slash-symlink-chain-write",
        fs::write(user.join("chain-first/pwned-chain"), "x").map(|_| "wrote".into()),
    );
    attempt(
        &mut report,
        "read-planted-symlink-trailing-slash",
        fs::read_dir(user.join("planted/")).map(|_| "listed".into()),
    );
    // Links to names that do not exist yet, then a create (O_CREAT) through them.
    let dangling = user.join("dangling");
    attempt(
        &mut report,
        "create-through-dangling-symlink",
        symlink(&format!("../{victim}/pwned-dangling"), &dangling)
            .and_then(|_| fs::write(&dangling, "x"))
            .map(|_| "created".into()),
    );
    let dangling_absolute = user.join("dangling-absolute");
    attempt(
        &mut report,
        "create-through-dangling-absolute-symlink",
        symlink(
            &format!("/data/users/{victim}/pwned-dangling-absolute"),
            &dangling_absolute,
        )
        .and_then(|_| fs::write(&dangling_absolute, "x"))
        .map(|_| "created".into()),
    );
    attempt(
        &mut report,
        "create-through-planted-dangling-symlink",
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(user.join("planted-dangling"))
            .map(|_| "created".into()),
    );
    // The process's own view of the host.
    for path in [
        "/proc/self/environ",
        "/proc/self/root/etc/passwd",
        "/proc/self/cwd",
        "/proc/self/fd",
    ] {
        attempt(
            &mut report,
            &format!("read-{}", path.trim_start_matches('/').replace('/', "-")),
            fs::read(path).map(|bytes| format!("{} bytes", bytes.len())),
        );
    }
    attempt(
        &mut report,
        "read-proc-relative",
        fs::read_to_string(user.join("../../../../proc/self/environ")),
    );
    attempt(
        &mut report,
        "read-planted-proc-symlink",
        fs::read_to_string(user.join("planted-proc/etc/passwd")),
    );

    finish_report(report)
}

/// The report as output: code 0 only when every attempt was refused.
fn finish_report(report: Vec<String>) -> CmdResult {
    let output = report.join("\n") + "\n";
    if report.iter().any(|line| line.contains("ESCAPED")) {
        Err(CmdError::raw(ReturnCode::Forbidden, output))
    } else {
        Ok(output)
    }
}

/// `v-test-escape-readonly USER`: `/user` is read-only, `/home/USER` read-write. Every way of
/// changing the read-only directory, directly or by moving its files into the writable one,
/// must be refused.
fn escape_readonly(call: &Call) -> CmdResult {
    let user = call.user_path("");
    let home = Path::new("/home").join(call.arg(1));
    let conf = user.join("user.conf");
    let mut report = Vec::new();

    let own = home.join("own-file");
    match fs::write(&own, "mine").and_then(|_| fs::read_to_string(&own)) {
        Ok(text) if text == "mine" => report.push("control-writable-directory: ok".to_string()),
        _ => {
            return Err(CmdError::raw(
                ReturnCode::Parsing,
                "control-writable-directory: FAILED\n",
            ));
        }
    }
    match fs::read_to_string(&conf) {
        Ok(text) if !text.is_empty() => report.push("control-read-only-readable: ok".to_string()),
        _ => {
            return Err(CmdError::raw(
                ReturnCode::Parsing,
                "control-read-only-readable: FAILED\n",
            ));
        }
    }

    let open = |options: &mut fs::OpenOptions| options.open(&conf).map(|_| "opened".to_string());
    attempt(
        &mut report,
        "truncate-read-only",
        open(fs::OpenOptions::new().write(true).truncate(true)),
    );
    attempt(
        &mut report,
        "write-read-only",
        open(fs::OpenOptions::new().write(true)),
    );
    attempt(
        &mut report,
        "append-read-only",
        open(fs::OpenOptions::new().append(true)),
    );
    attempt(
        &mut report,
        "set-len-read-only",
        fs::File::open(&conf)
            .and_then(|file| file.set_len(0))
            .map(|_| "truncated".into()),
    );
    attempt(
        &mut report,
        "unlink-read-only",
        fs::remove_file(&conf).map(|_| "removed".into()),
    );
    attempt(
        &mut report,
        "create-in-read-only",
        fs::write(user.join("pwned-readonly"), "x").map(|_| "created".into()),
    );
    attempt(
        &mut report,
        "mkdir-in-read-only",
        fs::create_dir(user.join("pwned-dir")).map(|_| "created".into()),
    );
    attempt(
        &mut report,
        "symlink-in-read-only",
        symlink("user.conf", &user.join("pwned-link")).map(|_| "created".into()),
    );
    attempt(
        &mut report,
        "hard-link-read-only-into-writable",
        fs::hard_link(&conf, home.join("linked.conf")).map(|_| "linked".into()),
    );
    attempt(
        &mut report,
        "rename-read-only-into-writable",
        fs::rename(&conf, home.join("moved.conf")).map(|_| "moved".into()),
    );
    attempt(
        &mut report,
        "rename-writable-over-read-only",
        fs::rename(&own, &conf).map(|_| "replaced".into()),
    );
    finish_report(report)
}

/// `v-test-escape-race USER ROUNDS OUTSIDE`: opens paths below `/home/USER/maze` ROUNDS
/// times while the host moves `maze/inner` out of the directory and back. `OUTSIDE` is the
/// path, relative to where `..` twice from a moved-out `inner` lands, of a victim's
/// directory; reaching it (reading its `user.conf` or creating a file in it) is an escape.
fn escape_race(call: &Call) -> CmdResult {
    let home = Path::new("/home").join(call.arg(1));
    let rounds: u32 = call
        .arg(2)
        .parse()
        .map_err(|_| CmdError::new(ReturnCode::Invalid, "invalid rounds"))?;
    let outside = call.arg(3);
    let mut escaped = Vec::new();
    let mut own_reads = 0u32;
    for round in 0..rounds {
        // Lexically inside /home/USER; only a racing rename could make it point elsewhere.
        let through = home.join(format!("maze/inner/../../{outside}/user.conf"));
        if let Ok(text) = fs::read_to_string(&through)
            && text.contains("CONTACT=")
        {
            escaped.push(format!("read-during-rename: ESCAPED round {round}"));
        }
        let write_through = home.join(format!("maze/inner/../../{outside}/pwned-race"));
        if fs::write(&write_through, "x").is_ok() && !home.join(outside).join("pwned-race").exists()
        {
            escaped.push(format!("write-during-rename: ESCAPED round {round}"));
        }
        let swing = home.join("maze/swing/user.conf");
        if let Ok(text) = fs::read_to_string(&swing)
            && text.contains("CONTACT=")
        {
            escaped.push(format!("read-during-swap: ESCAPED round {round}"));
        }
        if fs::read_to_string(home.join("maze/inner/own")).is_ok() {
            own_reads += 1;
        }
        if escaped.len() > 5 {
            break;
        }
    }
    let mut report = vec![format!("control-own-reads: {own_reads}")];
    if escaped.is_empty() {
        report.push("open-during-rename: blocked".to_string());
    }
    report.extend(escaped);
    finish_report(report)
}

#[cfg(target_os = "wasi")]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    use std::ffi::{CString, c_char, c_int};
    unsafe extern "C" {
        // wasi-libc's symlink(3), resolved against the preopens like every other path.
        fn symlink(target: *const c_char, link: *const c_char) -> c_int;
    }
    let invalid = |_| std::io::Error::from(std::io::ErrorKind::InvalidInput);
    let target = CString::new(target).map_err(invalid)?;
    let link = CString::new(link.to_string_lossy().as_bytes()).map_err(invalid)?;
    // SAFETY: both arguments are valid NUL-terminated strings that outlive the call.
    if unsafe { symlink(target.as_ptr(), link.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

fn sleep(call: &Call) -> CmdResult {
    let millis: u64 = call
        .arg(1)
        .parse()
        .map_err(|_| CmdError::new(ReturnCode::Invalid, "invalid milliseconds"))?;
    std::thread::sleep(std::time::Duration::from_millis(millis));
    Ok(String::new())
}

fn claim(call: &Call) -> CmdResult {
    let ending = call.arg(3);
    let code: u8 = match ending {
        "trap" | "hang" => 0,
        number => number
            .parse()
            .map_err(|_| CmdError::new(ReturnCode::Invalid, "invalid code"))?,
    };
    let report = match hearth_sdk::names::claim(call.arg(2), hearth_sdk::names::Kind::Web) {
        Ok(()) => "claimed".to_string(),
        Err(Some(holder)) => format!("taken by {}", holder.user),
        Err(None) => "no user".to_string(),
    };
    if let Some(service) = call.arg_opt(4) {
        hearth_sdk::services::request_reload(service);
    }
    match ending {
        "trap" => panic!("the claim probe traps after claiming"),
        "hang" => loop {
            std::hint::spin_loop();
        },
        _ => {}
    }
    match ReturnCode::from_u8(code) {
        Some(ReturnCode::Ok) | None => Ok(report),
        Some(code) => Err(CmdError::raw(code, report)),
    }
}

fn nested(call: &Call) -> CmdResult {
    let args: Vec<&str> = call.args()[2..].iter().map(String::as_str).collect();
    let (code, output) = hearth_sdk::commands::run(call.arg(2), &args);
    match ReturnCode::from_u8(code) {
        Some(ReturnCode::Ok) => Ok(output),
        Some(code) => Err(CmdError::raw(code, output)),
        None => Err(CmdError::raw(ReturnCode::Parsing, output)),
    }
}

fn read(call: &Call) -> CmdResult {
    if let Some(name) = call.arg(2).strip_suffix('?') {
        let found = hearth_sdk::fs::exists(&Path::new("/user").join(name));
        return Ok(if found { "yes" } else { "no" }.to_string());
    }
    let path = Path::new("/user").join(call.arg(2));
    if call.arg(2).ends_with('/') {
        let mut names: Vec<String> = fs::read_dir(&path)
            .map_err(|error| CmdError::new(ReturnCode::NotExist, error.to_string()))?
            .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|error| CmdError::new(ReturnCode::Parsing, error.to_string()))?;
        names.sort();
        return Ok(names.join("\n"));
    }
    match hearth_sdk::fs::read_to_string(&path) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok("missing".into()),
        Err(error) => Err(CmdError::new(ReturnCode::Parsing, error.to_string())),
    }
}

fn clock(_call: &Call) -> CmdResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|error| CmdError::new(ReturnCode::Parsing, error.to_string()))?;
    Ok(now.as_nanos().to_string())
}

const COMMANDS: &[Command] = &[
    Command {
        name: "v-test-read",
        usage: "USER PATH",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: read,
    },
    Command {
        name: "v-test-clock",
        usage: "",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: clock,
    },
    Command {
        name: "v-test-escape-readonly",
        usage: "USER",
        min_args: 1,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::ReadWrite,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: escape_readonly,
    },
    Command {
        name: "v-test-escape-race",
        usage: "USER ROUNDS OUTSIDE",
        min_args: 3,
        user_arg: 1,
        user_access: Access::None,
        home_access: Access::ReadWrite,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: escape_race,
    },
    Command {
        name: "v-test-claim",
        usage: "USER NAME CODE [SERVICE]",
        min_args: 3,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: claim,
    },
    Command {
        name: "v-test-nested",
        usage: "USER COMMAND [ARG...]",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadOnly,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: nested,
    },
    Command {
        name: "v-test-sleep",
        usage: "MS",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: &[],
        mutating: false,
        secret_args: &[],
        handler: sleep,
    },
    Command {
        name: "v-test-escape",
        usage: "USER VICTIM",
        min_args: 2,
        user_arg: 1,
        user_access: Access::ReadWrite,
        home_access: Access::None,
        system_dirs: &[],
        mutating: true,
        secret_args: &[],
        handler: escape,
    },
];

hearth_sdk::plugin!(
    name: "escape",
    commands: COMMANDS,
    interfaces: &[
        ("hearth:plugin/names", "probe the name registry"),
        ("hearth:plugin/services", "probe the reload queue"),
        ("hearth:plugin/commands", "probe nested commands"),
    ],
);
