//! The user and system commands through the HTTP API: each command's success and failure
//! codes and texts (Hestia's `test.bats` cases and reference §5.3), in both API modes and
//! both `returncode` modes, plus JSON validity and secrets kept out of the logs.

#[path = "support/mod.rs"]
mod support;

use std::sync::OnceLock;

use support::*;

static SERVER: OnceLock<Server> = OnceLock::new();

fn server() -> &'static Server {
    Server::shared(&SERVER)
}

const ADD_USER_USAGE: &str = "Usage: v-add-user USER PASSWORD EMAIL [PACKAGE] [NAME]";
const RESERVED: &str =
    "aria aria_log mysql mysql_upgrade ib ib_buffer ddl ddl_recovery performance sudo";

/// A call that fails without changing anything, checked in all four modes: access key and
/// legacy password, each with `returncode=yes` and `no`. `message` is the command's output
/// as one trimmed text.
#[track_caller]
fn expect_failure(s: &Server, command: &str, args: &[&str], code: u32, message: &str) {
    let code_text = code.to_string();
    s.v2(false, command, args)
        .expect(http_status(code), Some(&code_text), message)
        .expect_type(TEXT_HTML);
    s.v2(true, command, args)
        .expect(200, Some(&code_text), &code_text);
    let legacy_body = if message.is_empty() {
        "OK".to_string()
    } else {
        format!("{message}\n")
    };
    s.legacy(false, command, args)
        .expect(200, None, &legacy_body)
        .expect_type(TEXT_HTML);
    s.legacy(true, command, args).expect(200, None, &code_text);
}

/// Creates a user through the API (access key, data mode): silent success is 204.
#[track_caller]
fn add_user(s: &Server, user: &str, password: &str, extra: &[&str]) {
    let email = format!("{user}@example.com");
    let mut args = vec![user, password, email.as_str()];
    args.extend_from_slice(extra);
    s.v2(false, "v-add-user", &args).expect(204, Some("0"), "");
}

/// `v-list-user USER json` parsed, through the root key.
#[track_caller]
fn user_json(s: &Server, user: &str) -> serde_json::Value {
    let r = s.v2(false, "v-list-user", &[user, "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = r.json();
    let object = json.as_object().expect("an object");
    assert_eq!(object.len(), 1, "v-list-user lists one user: {r:#?}");
    json[user].clone()
}

// ---------------------------------------------------------------------------------------
// v-add-user
// ---------------------------------------------------------------------------------------

#[test]
fn add_user_rejects_invalid_names() {
    let s = server();
    for name in ["jäap", "ëaap", "jaaẞ", "1234", "1aap", "hello.com"] {
        expect_failure(
            s,
            "v-add-user",
            &[
                name,
                "t3st-p4ssw0rd",
                "test@hestiacp.com",
                "default",
                "Super Test",
            ],
            2,
            &format!("Error: invalid user format :: {name}"),
        );
        assert!(!s.path(&format!("data/users/{name}")).exists());
    }
}

#[test]
fn add_user_rejects_reserved_names() {
    let s = server();
    for name in ["ib_Buffer", "MySQL", "sudo"] {
        expect_failure(
            s,
            "v-add-user",
            &[name, "t3st-p4ssw0rd", "test@hestiacp.com"],
            2,
            &format!(
                "Error: The user name '{name}' is reserved and cannot be used. List of reserved names: {RESERVED}"
            ),
        );
        assert!(!s.path(&format!("data/users/{name}")).exists());
    }
}

#[test]
fn add_user_succeeds_and_refuses_duplicates() {
    let s = server();
    // jaap01 through the legacy API in code mode, buffer through an access key.
    s.legacy(
        true,
        "v-add-user",
        &[
            "jaap01",
            "t3st-p4ssw0rd",
            "jaap@hestiacp.com",
            "default",
            "Super Test",
        ],
    )
    .expect(200, None, "0");
    s.v2(
        false,
        "v-add-user",
        &[
            "buffer",
            "t3st-p4ssw0rd",
            "buffer@hestiacp.com",
            "default",
            "Super",
            "Test",
        ],
    )
    .expect(204, Some("0"), "");

    let jaap = user_json(s, "jaap01");
    assert_eq!(jaap["NAME"], "Super Test");
    assert_eq!(jaap["CONTACT"], "jaap@hestiacp.com");
    assert_eq!(jaap["PACKAGE"], "default");
    assert_eq!(jaap["ROLE"], "user");
    assert_eq!(jaap["SUSPENDED"], "no");
    assert_eq!(jaap["HOME"], "/home/jaap01");
    assert_eq!(user_json(s, "buffer")["NAME"], "Super Test");
    // No password material is ever listed.
    let listed = s.v2(false, "v-list-user", &["jaap01", "json"]).body;
    assert!(!listed.contains("t3st-p4ssw0rd"));

    for user in ["jaap01", "buffer"] {
        expect_failure(
            s,
            "v-add-user",
            &[user, "other-p4ss", "other@hestiacp.com"],
            4,
            &format!("Error: user {user} exists"),
        );
    }
    // The duplicate did not overwrite anything.
    assert_eq!(user_json(s, "jaap01")["CONTACT"], "jaap@hestiacp.com");

    s.legacy(false, "v-delete-user", &["jaap01"])
        .expect(200, None, "OK");
    s.v2(true, "v-delete-user", &["buffer"])
        .expect(200, Some("0"), "0");
    for user in ["jaap01", "buffer"] {
        s.v2(false, "v-list-user", &[user]).expect(
            400,
            Some("3"),
            &format!("Error: user {user} doesn't exist"),
        );
    }
}

#[test]
fn add_user_argument_errors() {
    let s = server();
    expect_failure(
        s,
        "v-add-user",
        &["pkguser", "t3st-p4ssw0rd", "pkg@example.com", "nopkg"],
        3,
        "Error: package nopkg doesn't exist",
    );
    expect_failure(
        s,
        "v-add-user",
        &["mailuser", "t3st-p4ssw0rd", "not-an-email"],
        2,
        "Error: invalid email format :: not-an-email",
    );
    expect_failure(
        s,
        "v-add-user",
        &["mailuser", "t3st-p4ssw0rd", "testerhestiacp.com"],
        2,
        "Error: invalid email format :: testerhestiacp.com",
    );
    // Hestia's usage text ends with a blank, which both modes trim away.
    expect_failure(
        s,
        "v-add-user",
        &["fewargs", "t3st-p4ssw0rd"],
        1,
        ADD_USER_USAGE,
    );
    expect_failure(s, "v-add-user", &[], 1, ADD_USER_USAGE);
    expect_failure(
        s,
        "v-add-user",
        &[
            "nameuser",
            "t3st-p4ssw0rd",
            "name@example.com",
            "default",
            "O\"Brien",
        ],
        2,
        "Error: Invalid name contains qoutes (\" or ') :: O\"Brien",
    );
    for user in ["pkguser", "mailuser", "fewargs", "nameuser"] {
        assert!(!s.path(&format!("data/users/{user}")).exists(), "{user}");
    }
}

// ---------------------------------------------------------------------------------------
// v-delete-user, v-suspend-user, v-unsuspend-user
// ---------------------------------------------------------------------------------------

#[test]
fn delete_user() {
    let s = server();
    add_user(s, "deluser", "t3st-p4ssw0rd", &[]);
    assert!(s.path("data/users/deluser/user.conf").is_file());
    s.v2(false, "v-delete-user", &["deluser"])
        .expect(204, Some("0"), "");
    assert!(!s.path("data/users/deluser").exists());
    expect_failure(
        s,
        "v-delete-user",
        &["deluser"],
        3,
        "Error: user deluser doesn't exist",
    );
    expect_failure(
        s,
        "v-delete-user",
        &["bad user"],
        2,
        "Error: invalid user format :: bad user",
    );
    expect_failure(
        s,
        "v-delete-user",
        &[],
        1,
        "Usage: v-delete-user USER [RESTART]",
    );
    // The root user: exit 0, nothing deleted.
    s.v2(false, "v-delete-user", &["admin"])
        .expect(204, Some("0"), "");
    s.legacy(true, "v-delete-user", &["admin"])
        .expect(200, None, "0");
    assert_eq!(user_json(s, "admin")["ROLE"], "admin");
    assert!(s.path("data/users/admin/user.conf").is_file());
}

#[test]
fn suspend_and_unsuspend_user() {
    let s = server();
    add_user(s, "suspuser", "t3st-p4ssw0rd", &[]);
    s.v2(false, "v-suspend-user", &["suspuser"])
        .expect(204, Some("0"), "");
    assert_eq!(user_json(s, "suspuser")["SUSPENDED"], "yes");
    expect_failure(
        s,
        "v-suspend-user",
        &["suspuser"],
        5,
        "Error: user suspuser is suspended",
    );
    // A suspended user's password cannot be changed.
    expect_failure(
        s,
        "v-change-user-password",
        &["suspuser", "n3w-p4ssw0rd"],
        5,
        "Error: user suspuser is suspended",
    );
    s.legacy(false, "v-unsuspend-user", &["suspuser"])
        .expect(200, None, "OK");
    assert_eq!(user_json(s, "suspuser")["SUSPENDED"], "no");
    // Not suspended is not an error.
    s.v2(false, "v-unsuspend-user", &["suspuser"])
        .expect(204, Some("0"), "");
    s.legacy(true, "v-unsuspend-user", &["suspuser"])
        .expect(200, None, "0");
    assert_eq!(user_json(s, "suspuser")["SUSPENDED"], "no");

    for command in ["v-suspend-user", "v-unsuspend-user"] {
        expect_failure(
            s,
            command,
            &["nosuchuser"],
            3,
            "Error: user nosuchuser doesn't exist",
        );
    }
    // The root user is never suspended.
    s.v2(false, "v-suspend-user", &["admin"])
        .expect(204, Some("0"), "");
    assert_eq!(user_json(s, "admin")["SUSPENDED"], "no");
}

// ---------------------------------------------------------------------------------------
// v-list-users, v-list-user
// ---------------------------------------------------------------------------------------

#[test]
fn list_users_in_every_format() {
    let s = server();
    add_user(s, "listusers1", "t3st-p4ssw0rd", &["default", "Lister"]);

    for legacy in [false, true] {
        let r = if legacy {
            s.legacy(false, "v-list-users", &["json"])
        } else {
            s.v2(false, "v-list-users", &["json"])
        };
        let json = r.json();
        let users = json.as_object().expect("an object keyed by user");
        assert!(users.contains_key("admin"), "{r:#?}");
        assert!(users.contains_key("listusers1"), "{r:#?}");
        assert_eq!(users["listusers1"]["NAME"], "Lister");
        assert_eq!(users["listusers1"]["CONTACT"], "listusers1@example.com");
        assert_eq!(users["admin"]["ROLE"], "admin");
        for user in users.values() {
            assert!(
                user.as_object().unwrap().values().all(|v| v.is_string()),
                "every field is a string: {user}"
            );
        }
    }

    let plain = s.v2(false, "v-list-users", &["plain"]);
    plain.expect_status(200, Some("0"));
    assert!(
        plain.body.lines().any(|l| l.starts_with("admin\t")),
        "{plain:#?}"
    );
    assert!(
        plain
            .body
            .lines()
            .any(|l| l.starts_with("listusers1\tLister\t")),
        "{plain:#?}"
    );

    let csv = s.v2(false, "v-list-users", &["csv"]);
    csv.expect_status(200, Some("0"));
    assert!(csv.body.starts_with("USER,NAME,"), "{csv:#?}");
    assert!(
        csv.body
            .lines()
            .any(|l| l.starts_with("listusers1,\"Lister\","))
    );

    for r in [
        s.v2(false, "v-list-users", &["shell"]),
        s.v2(false, "v-list-users", &[]),
        s.legacy(false, "v-list-users", &[]),
    ] {
        assert!(r.status == 200, "{r:#?}");
        let mut lines = r.body.lines();
        assert!(lines.next().unwrap_or("").starts_with("USER"), "{r:#?}");
        assert!(lines.next().unwrap_or("").starts_with("----"), "{r:#?}");
        assert!(
            r.body.lines().any(|l| l.starts_with("listusers1 ")),
            "{r:#?}"
        );
    }

    let list = s.v2(false, "v-list-users", &["list"]);
    list.expect_status(200, Some("0"));
    let names: Vec<&str> = list.body.lines().collect();
    assert!(
        names.contains(&"admin") && names.contains(&"listusers1"),
        "{list:#?}"
    );

    for format in ["json", "plain", "csv", "shell", "list"] {
        s.v2(true, "v-list-users", &[format])
            .expect(200, Some("0"), "0");
        s.legacy(true, "v-list-users", &[format])
            .expect(200, None, "0");
    }
}

#[test]
fn list_user() {
    let s = server();
    add_user(
        s,
        "listuser2",
        "t3st-p4ssw0rd",
        &["default", "List", "User"],
    );
    let user = user_json(s, "listuser2");
    assert_eq!(user["NAME"], "List User");
    assert_eq!(user["CONTACT"], "listuser2@example.com");
    assert_eq!(user["PACKAGE"], "default");
    assert_eq!(user["SHELL"], "nologin");
    assert!(
        user.get("RKEY").is_some() && user.get("TIME").is_some(),
        "{user}"
    );

    let legacy = s.legacy(false, "v-list-user", &["listuser2", "json"]);
    legacy.expect_status(200, None).expect_type(TEXT_HTML);
    assert_eq!(legacy.json()["listuser2"], user);

    let shell = s.v2(false, "v-list-user", &["listuser2"]);
    shell.expect_status(200, Some("0"));
    assert!(shell.body.starts_with("USERNAME:"), "{shell:#?}");
    assert!(shell.body.contains("listuser2@example.com"), "{shell:#?}");
    for format in ["plain", "csv"] {
        let r = s.v2(false, "v-list-user", &["listuser2", format]);
        r.expect_status(200, Some("0"));
        assert!(r.body.contains("listuser2"), "{r:#?}");
    }

    expect_failure(
        s,
        "v-list-user",
        &["bob"],
        3,
        "Error: user bob doesn't exist",
    );
    expect_failure(
        s,
        "v-list-user",
        &["bob", "json"],
        3,
        "Error: user bob doesn't exist",
    );
    expect_failure(
        s,
        "v-list-user",
        &["bad user"],
        2,
        "Error: invalid user format :: bad user",
    );
    expect_failure(s, "v-list-user", &[], 1, "Usage: v-list-user USER [FORMAT]");
}

// ---------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------

#[test]
fn check_user_password() {
    let s = server();
    add_user(s, "pwuser", "Right-p4ssw0rd", &[]);
    s.legacy(
        false,
        "v-check-user-password",
        &["pwuser", "Right-p4ssw0rd"],
    )
    .expect(200, None, "OK");
    s.legacy(true, "v-check-user-password", &["pwuser", "Right-p4ssw0rd"])
        .expect(200, None, "0");
    s.v2(
        false,
        "v-check-user-password",
        &["pwuser", "Right-p4ssw0rd"],
    )
    .expect(204, Some("0"), "");
    s.v2(
        true,
        "v-check-user-password",
        &["pwuser", "Right-p4ssw0rd", "192.168.2.10", "no"],
    )
    .expect(200, Some("0"), "0");

    expect_failure(
        s,
        "v-check-user-password",
        &["pwuser", "Wrong-p4ssw0rd"],
        9,
        "Error: password missmatch",
    );
    expect_failure(
        s,
        "v-check-user-password",
        &["pwuser", "Wrong-p4ssw0rd", "192.168.2.10", "no"],
        9,
        "Error: password missmatch",
    );
    expect_failure(
        s,
        "v-check-user-password",
        &["nosuchpw", "Right-p4ssw0rd"],
        9,
        "Error: password missmatch",
    );
    expect_failure(
        s,
        "v-check-user-password",
        &["pwuser"],
        1,
        "Usage: v-check-user-password USER PASSWORD [IP] [RETURN_HASH]",
    );
    // Failed logins are logged for fail2ban.
    let auth_log = s.read("log/auth.log");
    assert!(
        auth_log
            .lines()
            .any(|l| l.contains("pwuser") && l.ends_with("failed to login")),
        "{auth_log}"
    );
}

#[test]
fn change_user_password() {
    let s = server();
    add_user(s, "pwuser2", "Old-p4ssw0rd", &[]);
    s.v2(
        false,
        "v-change-user-password",
        &["pwuser2", "New-p4ssw0rd"],
    )
    .expect(204, Some("0"), "");
    s.v2(true, "v-check-user-password", &["pwuser2", "New-p4ssw0rd"])
        .expect(200, Some("0"), "0");
    s.v2(true, "v-check-user-password", &["pwuser2", "Old-p4ssw0rd"])
        .expect(200, Some("9"), "9");
    // Again through the legacy API.
    s.legacy(
        false,
        "v-change-user-password",
        &["pwuser2", "Third-p4ssw0rd"],
    )
    .expect(200, None, "OK");
    s.legacy(
        false,
        "v-check-user-password",
        &["pwuser2", "Third-p4ssw0rd"],
    )
    .expect(200, None, "OK");
    s.legacy(true, "v-check-user-password", &["pwuser2", "New-p4ssw0rd"])
        .expect(200, None, "9");

    expect_failure(
        s,
        "v-change-user-password",
        &["nosuchpw2", "x-p4ssw0rd"],
        3,
        "Error: user nosuchpw2 doesn't exist",
    );
    expect_failure(
        s,
        "v-change-user-password",
        &["bad user", "x-p4ssw0rd"],
        2,
        "Error: invalid user format :: bad user",
    );
    expect_failure(
        s,
        "v-change-user-password",
        &[],
        1,
        "Usage: v-change-user-password USER [PASSWORD]",
    );
}

// ---------------------------------------------------------------------------------------
// Shell, package, contact
// ---------------------------------------------------------------------------------------

#[test]
fn change_user_shell() {
    let s = server();
    add_user(s, "shelluser", "t3st-p4ssw0rd", &[]);
    s.v2(false, "v-change-user-shell", &["shelluser", "bash"])
        .expect(204, Some("0"), "");
    assert_eq!(user_json(s, "shelluser")["SHELL"], "bash");
    s.legacy(false, "v-change-user-shell", &["shelluser", "nologin"])
        .expect(200, None, "OK");
    assert_eq!(user_json(s, "shelluser")["SHELL"], "nologin");

    let r = s.v2(false, "v-change-user-shell", &["shelluser", "python"]);
    r.expect_status(422, Some("2"));
    assert!(
        r.body.starts_with("Error:") && r.body.contains("python"),
        "{r:#?}"
    );
    assert_eq!(user_json(s, "shelluser")["SHELL"], "nologin");
    expect_failure(
        s,
        "v-change-user-shell",
        &["nosuchshell", "bash"],
        3,
        "Error: user nosuchshell doesn't exist",
    );
    expect_failure(
        s,
        "v-change-user-shell",
        &["shelluser"],
        1,
        "Usage: v-change-user-shell USER SHELL",
    );
}

#[test]
fn change_user_package() {
    let s = server();
    add_user(s, "pkguser2", "t3st-p4ssw0rd", &[]);
    // A second package, as an admin would create it.
    let default = s.read("data/packages/default.pkg");
    assert!(!default.is_empty(), "init writes default.pkg");
    std::fs::write(
        s.path("data/packages/gold.pkg"),
        default.replace("SHELL='nologin'", "SHELL='bash'"),
    )
    .unwrap();

    s.v2(false, "v-change-user-package", &["pkguser2", "gold"])
        .expect(204, Some("0"), "");
    let user = user_json(s, "pkguser2");
    assert_eq!(user["PACKAGE"], "gold");
    assert_eq!(user["SHELL"], "bash");
    s.legacy(true, "v-change-user-package", &["pkguser2", "default"])
        .expect(200, None, "0");
    assert_eq!(user_json(s, "pkguser2")["PACKAGE"], "default");

    expect_failure(
        s,
        "v-change-user-package",
        &["pkguser2", "nopkg"],
        3,
        "Error: package nopkg doesn't exist",
    );
    expect_failure(
        s,
        "v-change-user-package",
        &["nosuchpkg", "default"],
        3,
        "Error: user nosuchpkg doesn't exist",
    );
    assert_eq!(user_json(s, "pkguser2")["PACKAGE"], "default");
}

#[test]
fn change_user_contact() {
    let s = server();
    add_user(s, "contactuser", "t3st-p4ssw0rd", &[]);
    expect_failure(
        s,
        "v-change-user-contact",
        &["contactuser", "testerhestiacp.com"],
        2,
        "Error: invalid email format :: testerhestiacp.com",
    );
    assert_eq!(
        user_json(s, "contactuser")["CONTACT"],
        "contactuser@example.com"
    );
    s.v2(
        false,
        "v-change-user-contact",
        &["contactuser", "new.contact@example.org"],
    )
    .expect(204, Some("0"), "");
    assert_eq!(
        user_json(s, "contactuser")["CONTACT"],
        "new.contact@example.org"
    );
    expect_failure(
        s,
        "v-change-user-contact",
        &["nosuchcontact", "a@example.org"],
        3,
        "Error: user nosuchcontact doesn't exist",
    );
}

// ---------------------------------------------------------------------------------------
// System configuration
// ---------------------------------------------------------------------------------------

#[test]
fn list_sys_config() {
    let s = server();
    for r in [
        s.v2(false, "v-list-sys-config", &["json"]),
        s.legacy(false, "v-list-sys-config", &["json"]),
    ] {
        let json = r.json();
        assert_eq!(json["config"]["API"], "yes", "{r:#?}");
        assert_eq!(json["config"]["API_SYSTEM"], "1", "{r:#?}");
        assert_eq!(json["config"]["ROOT_USER"], "admin", "{r:#?}");
    }
    s.v2(true, "v-list-sys-config", &["json"])
        .expect(200, Some("0"), "0");
    let shell = s.v2(false, "v-list-sys-config", &[]);
    shell.expect_status(200, Some("0"));
    assert!(!shell.body.is_empty());
}

#[test]
fn change_sys_config_value() {
    let s = server();
    s.v2(
        false,
        "v-change-sys-config-value",
        &["APP_NAME", "Hearth Test Panel"],
    )
    .expect(204, Some("0"), "");
    assert_eq!(
        s.conf_value("APP_NAME").as_deref(),
        Some("Hearth Test Panel")
    );
    assert!(
        s.read("conf/hestia.conf")
            .contains("APP_NAME='Hearth Test Panel'\n")
    );
    let json = s.v2(false, "v-list-sys-config", &["json"]).json();
    assert_eq!(json["config"]["APP_NAME"], "Hearth Test Panel");
    s.legacy(false, "v-change-sys-config-value", &["APP_NAME", "Hearth"])
        .expect(200, None, "OK");
    assert_eq!(s.conf_value("APP_NAME").as_deref(), Some("Hearth"));

    expect_failure(
        s,
        "v-change-sys-config-value",
        &["APP_NAME"],
        1,
        "Usage: v-change-sys-config-value KEY VALUE",
    );
    let r = s.v2(false, "v-change-sys-config-value", &["APP_NAME", "it's"]);
    r.expect_status(422, Some("2"));
    assert_eq!(s.conf_value("APP_NAME").as_deref(), Some("Hearth"));
    // Everything else is unchanged.
    assert_eq!(s.conf_value("API").as_deref(), Some("yes"));
    assert_eq!(s.conf_value("ROOT_USER").as_deref(), Some("admin"));
}

#[test]
fn add_and_delete_sys_api_ip() {
    let s = server();
    s.v2(false, "v-add-sys-api-ip", &["192.0.2.55"])
        .expect(204, Some("0"), "");
    assert_eq!(
        s.conf_value("API_ALLOWED_IP").as_deref(),
        Some("127.0.0.1,::1,192.0.2.55")
    );
    let json = s.v2(false, "v-list-sys-config", &["json"]).json();
    assert_eq!(json["config"]["API_ALLOWED_IP"], "127.0.0.1,::1,192.0.2.55");
    s.legacy(false, "v-delete-sys-api-ip", &["192.0.2.55"])
        .expect(200, None, "OK");
    assert_eq!(
        s.conf_value("API_ALLOWED_IP").as_deref(),
        Some("127.0.0.1,::1")
    );
    expect_failure(
        s,
        "v-add-sys-api-ip",
        &["nope"],
        2,
        "Error: invalid IP format :: nope",
    );
    expect_failure(s, "v-add-sys-api-ip", &[], 1, "Usage: v-add-sys-api-ip IP");
    assert_eq!(
        s.conf_value("API_ALLOWED_IP").as_deref(),
        Some("127.0.0.1,::1")
    );
    // The server still answers (127.0.0.1 stayed on the list).
    s.legacy(true, "v-list-users", &[]).expect(200, None, "0");
}

#[test]
fn generate_and_revoke_api_keys() {
    let s = server();
    let r = s.v2(false, "v-generate-api-key", &[]);
    r.expect_status(200, Some("0")).expect_type(TEXT_HTML);
    let key = r.body.clone();
    assert_eq!(key.len(), 32, "{r:#?}");
    assert!(
        key.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{key}"
    );
    let legacy = s.legacy(false, "v-generate-api-key", &[]);
    legacy.expect_status(200, None);
    let second = legacy.body.trim_end_matches('\n').to_string();
    assert_eq!(second.len(), 32, "{legacy:#?}");
    assert_ne!(key, second);

    s.api(Auth::LegacyKey(&key), true, "v-list-users", &[])
        .expect(200, None, "0");
    s.api(Auth::LegacyKey(&second), true, "v-list-users", &[])
        .expect(200, None, "0");

    s.legacy(false, "v-revoke-api-key", &[&key])
        .expect(200, None, "OK");
    s.api(Auth::LegacyKey(&key), true, "v-list-users", &[])
        .expect(401, Some("9"), "9");
    // Revoking one key leaves the other.
    s.api(Auth::LegacyKey(&second), true, "v-list-users", &[])
        .expect(200, None, "0");
    // A missing key: code 3 and no output (so legacy data mode says OK).
    expect_failure(s, "v-revoke-api-key", &[&key], 3, "");
    s.v2(true, "v-revoke-api-key", &[&second])
        .expect(200, Some("0"), "0");
    s.api(Auth::LegacyKey(&second), false, "v-list-users", &[])
        .expect(401, Some("9"), "Error: authentication failed");

    // Keys never reach the logs.
    for log in ["log/audit.jsonl", "log/auth.log"] {
        let text = s.read(log);
        assert!(
            !text.contains(&key) && !text.contains(&second),
            "{log}: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// JSON validity and secrets
// ---------------------------------------------------------------------------------------

#[test]
fn json_stays_valid_with_backslashes_and_tabs() {
    let s = server();
    let first = r"Back\slash\\x";
    let last = "Tab\there\\\\";
    add_user(s, "jsonuser", "t3st-p4ssw0rd", &["default", first, last]);
    let expected = format!("{first} {last}");
    assert_eq!(user_json(s, "jsonuser")["NAME"], expected.as_str());
    let legacy = s.legacy(false, "v-list-user", &["jsonuser", "json"]);
    assert_eq!(legacy.json()["jsonuser"]["NAME"], expected.as_str());
    for r in [
        s.v2(false, "v-list-users", &["json"]),
        s.legacy(false, "v-list-users", &["json"]),
    ] {
        assert_eq!(r.json()["jsonuser"]["NAME"], expected.as_str(), "{r:#?}");
    }
    // Quotes are refused by the NAME validator, so they never reach a listing.
    expect_failure(
        s,
        "v-add-user",
        &[
            "jsonuser2",
            "t3st-p4ssw0rd",
            "j@example.com",
            "default",
            "a\\\"b",
        ],
        2,
        "Error: Invalid name contains qoutes (\" or ') :: a\\\"b",
    );
}

#[test]
fn secrets_stay_out_of_the_logs() {
    let s = server();
    let first = "S3cret-Add-9f2c";
    let second = "S3cret-New-7c1d";
    let wrong = "S3cret-Wrong-3b8e";
    add_user(s, "secretuser", first, &[]);
    s.legacy(true, "v-add-user", &["secretusr2", first, "s2@example.com"])
        .expect(200, None, "0");
    s.legacy(false, "v-check-user-password", &["secretuser", first])
        .expect(200, None, "OK");
    s.v2(false, "v-change-user-password", &["secretuser", second])
        .expect(204, Some("0"), "");
    s.legacy(true, "v-change-user-password", &["secretusr2", second])
        .expect(200, None, "0");
    s.v2(true, "v-check-user-password", &["secretuser", second])
        .expect(200, Some("0"), "0");
    s.v2(true, "v-check-user-password", &["secretuser", wrong])
        .expect(200, Some("9"), "9");
    s.legacy(true, "v-check-user-password", &["secretusr2", wrong])
        .expect(200, None, "9");
    s.api(Auth::AdminPassword(wrong), true, "v-list-users", &[])
        .expect(401, Some("9"), "9");

    let audit = s.read("log/audit.jsonl");
    let auth = s.read("log/auth.log");
    // The logs are really written (and audit.jsonl is JSON lines).
    assert!(audit.contains("secretuser"), "{audit}");
    for line in audit.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("audit.jsonl line is not JSON ({e}): {line}"));
    }
    assert!(auth.contains("failed to login"), "{auth}");
    let root_secret = s.root_key().secret.clone();
    for secret in [first, second, wrong, ADMIN_PASSWORD, root_secret.as_str()] {
        assert!(
            !audit.contains(secret),
            "audit.jsonl leaks {secret}: {audit}"
        );
        assert!(!auth.contains(secret), "auth.log leaks {secret}: {auth}");
    }
}
