//! Test-only plugin that tries to leave its sandbox. Every attempt must be refused.
//!
//! It also provides `v-test-sleep MS`, which holds a sandbox slot for MS milliseconds, so
//! tests can fill the concurrency cap deterministically, and probes of the host interfaces:
//! `v-test-claim USER NAME CODE [SERVICE]` claims NAME as a web domain, asks for a reload of
//! SERVICE and then returns CODE (so tests see claims and reloads kept or undone), and
//! `v-test-nested USER COMMAND [ARG...]` runs another command and returns its outcome.
//!
//! `v-test-escape USER VICTIM` runs with read-write access to `data/users/USER/` only and tries
//! to read and write `VICTIM`'s files by `..`, absolute paths, pre-planted symlinks and symlinks
//! it creates itself. It prints one line per attempt, `<attempt>: blocked` or
//! `<attempt>: ESCAPED <detail>`, and returns 0 only when everything was blocked. A first
//! control line proves the plugin can use its own directory.

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

    let output = report.join("\n") + "\n";
    if report.iter().any(|line| line.contains("ESCAPED")) {
        Err(CmdError::raw(ReturnCode::Forbidden, output))
    } else {
        Ok(output)
    }
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
    let code: u8 = call
        .arg(3)
        .parse()
        .map_err(|_| CmdError::new(ReturnCode::Invalid, "invalid code"))?;
    let report = match hearth_sdk::names::claim(call.arg(2), hearth_sdk::names::Kind::Web) {
        Ok(()) => "claimed".to_string(),
        Err(Some(holder)) => format!("taken by {}", holder.user),
        Err(None) => "no user".to_string(),
    };
    if let Some(service) = call.arg_opt(4) {
        hearth_sdk::services::request_reload(service);
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

const COMMANDS: &[Command] = &[
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
