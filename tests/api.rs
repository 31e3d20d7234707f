//! The `/api/` protocol matrix (HestiaCP `web/api/index.php`, reference §1.8): body parsing,
//! dispatch precedence, arguments, return-code modes, status codes, headers and error texts.

#[path = "support/mod.rs"]
mod support;

use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::json;
use support::*;

/// Tests that leave `hestia.conf` alone share this server.
static STABLE: OnceLock<Server> = OnceLock::new();

/// Tests that flip `hestia.conf` share this one, one at a time.
static CONFIG: OnceLock<Server> = OnceLock::new();
static CONFIG_LOCK: Mutex<()> = Mutex::new(());

/// bob's keys on the config server: (custom user set with v-list-user, purge-nginx-cache).
static BOB_KEYS: OnceLock<(Key, Key)> = OnceLock::new();

const CUSTOM_SET: &str = "hearth-test-user";

fn stable() -> &'static Server {
    Server::shared(&STABLE)
}

/// The config server, locked and reset to the defaults `hearth init` writes.
fn config() -> (MutexGuard<'static, ()>, &'static Server) {
    let guard = CONFIG_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::shared(&CONFIG);
    server.set_conf("API", "yes");
    server.set_conf("API_SYSTEM", "1");
    server.set_conf("API_ALLOWED_IP", "127.0.0.1,::1");
    (guard, server)
}

/// bob (a standard user) and two keys of his; call with the config lock held.
fn bob(server: &Server) -> &'static (Key, Key) {
    BOB_KEYS.get_or_init(|| {
        server
            .v2(
                true,
                "v-add-user",
                &["bob", "Bob-p4ssw0rd", "bob@example.com"],
            )
            .expect(200, Some("0"), "0");
        // An admin-defined permission set ("Creating own API key profiles").
        std::fs::write(
            server.path(&format!("data/api/{CUSTOM_SET}")),
            "ROLE='user'\nCOMMANDS='v-list-user,v-change-user-contact'\n",
        )
        .unwrap();
        (
            server.add_key("bob", CUSTOM_SET),
            server.add_key("bob", "purge-nginx-cache"),
        )
    })
}

/// A legacy key from `hearth call v-generate-api-key`.
fn legacy_key(server: &Server) -> String {
    let output = server.call("v-generate-api-key", &[]);
    assert_eq!(output.code, 0, "v-generate-api-key: {output:?}");
    let key = output.stdout.trim().to_string();
    assert_eq!(key.len(), 32, "a legacy key has 32 characters: {output:?}");
    key
}

// ---------------------------------------------------------------------------------------
// 405: nothing PHP can parse
// ---------------------------------------------------------------------------------------

#[test]
fn get_requests_are_405_even_with_valid_credentials() {
    let s = stable();
    let query = format!("user=admin&password={ADMIN_PASSWORD}&returncode=yes&cmd=v-list-users");
    s.get(&query)
        .expect(405, Some("405"), NULL_DATA_ERROR)
        .expect_type(TEXT_HTML);
    s.get("").expect(405, Some("405"), NULL_DATA_ERROR);
}

#[test]
fn empty_and_unrecognised_posts_are_405() {
    let s = stable();
    s.post_raw(None, "")
        .expect(405, Some("405"), NULL_DATA_ERROR)
        .expect_type(TEXT_HTML);
    s.post_raw(Some("application/x-www-form-urlencoded"), "")
        .expect(405, Some("405"), NULL_DATA_ERROR);
    // No access_key/user/hash: falls to the JSON branch, which finds nothing.
    s.post_form(&fields(&[("cmd", "v-list-users"), ("returncode", "yes")]))
        .expect(405, Some("405"), NULL_DATA_ERROR);
    s.post_form(&fields(&[("secret_key", "x"), ("cmd", "v-list-users")]))
        .expect(405, Some("405"), NULL_DATA_ERROR);
    // Not JSON objects.
    s.post_raw(Some("application/json"), "[1,2]")
        .expect(405, Some("405"), NULL_DATA_ERROR);
    s.post_raw(Some("application/json"), "{not json")
        .expect(405, Some("405"), NULL_DATA_ERROR);
    s.post_raw(Some("application/json"), "null")
        .expect(405, Some("405"), NULL_DATA_ERROR);
}

#[test]
fn access_key_without_secret_is_405_even_in_code_mode() {
    let s = stable();
    let key = s.root_key().clone();
    s.post_form(&fields(&[
        ("access_key", &key.id),
        ("returncode", "yes"),
        ("cmd", "v-list-users"),
    ]))
    .expect(405, Some("405"), NULL_DATA_ERROR)
    .expect_type(TEXT_HTML);
}

#[test]
fn text_plain_form_body_is_405_but_text_plain_json_works() {
    let s = stable();
    let form = format!("user=admin&password={ADMIN_PASSWORD}&returncode=yes&cmd=v-list-users");
    s.post_raw(Some("text/plain"), form.clone())
        .expect(405, Some("405"), NULL_DATA_ERROR);
    s.post_raw(None, form)
        .expect(405, Some("405"), NULL_DATA_ERROR);
    let body = json!({"user": "admin", "password": ADMIN_PASSWORD, "returncode": "yes", "cmd": "v-list-users"});
    s.post_raw(Some("text/plain"), body.to_string())
        .expect(200, None, "0");
}

// ---------------------------------------------------------------------------------------
// Body shapes
// ---------------------------------------------------------------------------------------

#[test]
fn form_json_and_multipart_bodies_are_equivalent() {
    let s = stable();
    let pairs = call_fields(Auth::Admin, false, "v-list-user", &["admin", "json"]);
    let form = s.post_form(&pairs);
    form.expect_status(200, None).expect_type(TEXT_HTML);
    assert_eq!(form.json()["admin"]["NAME"], "System Administrator");

    let object: serde_json::Map<String, serde_json::Value> =
        pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let object = serde_json::Value::Object(object);
    let as_json = s.post_json(&object);
    as_json.expect(200, None, &form.body).expect_type(TEXT_HTML);
    // Hestia does not look at the content type: a JSON body sent as a form works too.
    s.post_raw(
        Some("application/x-www-form-urlencoded"),
        object.to_string(),
    )
    .expect(200, None, &form.body);
    s.post_multipart(&pairs).expect(200, None, &form.body);

    // The same in access-key mode.
    let key = s.root_key().clone();
    let v2_pairs = call_fields(Auth::Key(&key), false, "v-list-user", &["admin", "json"]);
    let v2_form = s.post_form(&v2_pairs);
    v2_form
        .expect(200, Some("0"), form.body.trim())
        .expect_type(APPLICATION_JSON);
    let v2_object: serde_json::Map<String, serde_json::Value> = v2_pairs
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    s.post_json(&serde_json::Value::Object(v2_object))
        .expect(200, Some("0"), &v2_form.body)
        .expect_type(APPLICATION_JSON);
    s.post_multipart(&v2_pairs)
        .expect(200, Some("0"), &v2_form.body);
}

#[test]
fn json_null_is_unset_and_scalars_are_stringified() {
    let s = stable();
    let expected = s.legacy(false, "v-list-user", &["admin", "json"]);
    expected.expect_status(200, None);
    // arg1 null = unset, so arg2/arg3 become the first two arguments.
    s.post_json(&json!({
        "user": "admin", "password": ADMIN_PASSWORD, "cmd": "v-list-user",
        "arg1": null, "arg2": "admin", "arg3": "json"
    }))
    .expect(200, None, &expected.body);
    // returncode must be exactly "yes": a JSON true is "1", i.e. data mode.
    s.post_json(&json!({
        "user": "admin", "password": ADMIN_PASSWORD, "cmd": "v-list-user",
        "returncode": true, "arg1": "admin", "arg2": "json"
    }))
    .expect(200, None, &expected.body);
    // A number is passed as its decimal text: v-list-user 12345 → no such user.
    s.post_json(&json!({
        "user": "admin", "password": ADMIN_PASSWORD, "cmd": "v-list-user",
        "returncode": "no", "arg1": 12345
    }))
    .expect(200, None, "Error: user 12345 doesn't exist\n");
}

// ---------------------------------------------------------------------------------------
// Dispatch precedence
// ---------------------------------------------------------------------------------------

#[test]
fn access_key_and_secret_win_over_user_and_password() {
    let s = stable();
    let key = s.root_key().clone();
    // Valid key, wrong password: the key flow runs (v2 headers, JSON type).
    let mut pairs = fields(&[("user", "admin"), ("password", "wrong-password")]);
    pairs.extend(call_fields(
        Auth::Key(&key),
        false,
        "v-list-users",
        &["json"],
    ));
    let r = s.post_form(&pairs);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    assert!(r.json().get("admin").is_some(), "{r:#?}");

    // Wrong secret, right password: still the key flow, with its error text.
    let wrong = Key {
        id: key.id.clone(),
        secret: "x".repeat(40),
    };
    let mut pairs = fields(&[("user", "admin"), ("password", ADMIN_PASSWORD)]);
    pairs.extend(call_fields(
        Auth::Key(&wrong),
        false,
        "v-list-users",
        &["json"],
    ));
    s.post_form(&pairs).expect(
        401,
        Some("9"),
        &format!("Error: Invalid secret key for key {}", key.id),
    );
}

#[test]
fn hash_wins_over_user_and_password() {
    let s = stable();
    // A bad hash with the right password: legacy key mode, which fails.
    let mut pairs = fields(&[("user", "admin"), ("password", ADMIN_PASSWORD)]);
    pairs.extend(call_fields(
        Auth::LegacyKey("bogusbogusbogusbogus"),
        false,
        "v-list-users",
        &["plain"],
    ));
    s.post_form(&pairs)
        .expect(401, Some("9"), "Error: authentication failed");

    // A good hash with a wrong user name: the user name is not looked at.
    let key = legacy_key(s);
    let mut pairs = fields(&[("user", "nobody"), ("password", "nothing")]);
    pairs.extend(call_fields(
        Auth::LegacyKey(&key),
        true,
        "v-list-users",
        &["plain"],
    ));
    s.post_form(&pairs).expect(200, None, "0");

    // An empty hash means password mode.
    let mut pairs = fields(&[("hash", "")]);
    pairs.extend(call_fields(Auth::Admin, true, "v-list-users", &["plain"]));
    s.post_form(&pairs).expect(200, None, "0");
}

#[test]
fn hash_with_an_id_secret_pair_switches_to_access_key_mode() {
    let s = stable();
    let key = s.root_key().clone();
    let r = s.api(Auth::KeyHash(&key), false, "v-list-users", &["json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    assert!(r.json().get("admin").is_some());
    s.api(Auth::KeyHash(&key), false, "v-unsuspend-user", &["admin"])
        .expect(204, Some("0"), "");

    // Access-key error texts prove the mode.
    let wrong = Key {
        id: key.id.clone(),
        secret: "y".repeat(40),
    };
    s.api(Auth::KeyHash(&wrong), false, "v-list-users", &["json"])
        .expect(
            401,
            Some("9"),
            &format!("Error: Invalid secret key for key {}", key.id),
        );
    // Not 20:40: a legacy key name, which does not exist.
    let short = format!("{}:{}", &key.id[..19], key.secret);
    s.api(Auth::LegacyKey(&short), false, "v-list-users", &["json"])
        .expect(401, Some("9"), "Error: authentication failed");
    let long = format!("{}:{}x", key.id, key.secret);
    s.api(Auth::LegacyKey(&long), false, "v-list-users", &["json"])
        .expect(401, Some("9"), "Error: authentication failed");
    // With access_key set the pair is not split: legacy key mode again.
    let mut pairs = fields(&[("access_key", &key.id)]);
    pairs.extend(call_fields(
        Auth::KeyHash(&key),
        false,
        "v-list-users",
        &["json"],
    ));
    s.post_form(&pairs)
        .expect(401, Some("9"), "Error: authentication failed");
}

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

#[test]
fn arguments_collapse_gaps_and_are_trimmed() {
    let s = stable();
    let canonical = s.legacy(false, "v-list-user", &["admin", "json"]);
    canonical.expect_status(200, None);
    assert!(canonical.json().get("admin").is_some());

    // arg1 + arg3 without arg2: two arguments; cmd and args trimmed.
    let gap = fields(&[
        ("user", "admin"),
        ("password", ADMIN_PASSWORD),
        ("cmd", " v-list-user\t"),
        ("arg1", " \tadmin\n"),
        ("arg3", " json "),
    ]);
    s.post_form(&gap).expect(200, None, &canonical.body);

    // Only arg2 set: it becomes the first argument.
    let only_second = fields(&[
        ("user", "admin"),
        ("password", ADMIN_PASSWORD),
        ("cmd", "v-list-user"),
        ("arg2", "admin"),
        ("arg5", "json"),
    ]);
    s.post_form(&only_second).expect(200, None, &canonical.body);

    // An empty arg2 is an (empty) argument: FORMAT '' prints nothing.
    let empty = fields(&[
        ("user", "admin"),
        ("password", ADMIN_PASSWORD),
        ("cmd", "v-list-user"),
        ("arg1", "admin"),
        ("arg2", ""),
        ("arg3", "json"),
    ]);
    s.post_form(&empty).expect(200, None, "OK");

    // arg13 is read, arg14 is not: a single argument means the shell format.
    for pairs in [
        fields(&[
            ("user", "admin"),
            ("password", ADMIN_PASSWORD),
            ("cmd", "v-list-user"),
            ("arg13", "admin"),
        ]),
        fields(&[
            ("user", "admin"),
            ("password", ADMIN_PASSWORD),
            ("cmd", "v-list-user"),
            ("arg1", "admin"),
            ("arg14", "json"),
        ]),
    ] {
        let r = s.post_form(&pairs);
        r.expect_status(200, None);
        assert!(
            r.body.starts_with("USERNAME:") && r.body.contains("admin"),
            "expected the shell layout: {r:#?}"
        );
    }

    // The same rules in access-key mode.
    let key = s.root_key().clone();
    let mut v2_gap = fields(&[("access_key", &key.id), ("secret_key", &key.secret)]);
    v2_gap.extend(fields(&[
        ("cmd", "v-list-user "),
        ("arg2", " admin"),
        ("arg4", "json\t"),
    ]));
    s.post_form(&v2_gap)
        .expect(200, Some("0"), canonical.body.trim())
        .expect_type(APPLICATION_JSON);
    let mut v2_empty = fields(&[("access_key", &key.id), ("secret_key", &key.secret)]);
    v2_empty.extend(fields(&[
        ("cmd", "v-list-user"),
        ("arg1", "admin"),
        ("arg2", "  "),
        ("arg3", "json"),
    ]));
    s.post_form(&v2_empty).expect(204, Some("0"), "");
}

// ---------------------------------------------------------------------------------------
// returncode, statuses, headers, content types
// ---------------------------------------------------------------------------------------

#[test]
fn legacy_returncode_modes() {
    let s = stable();
    s.legacy(true, "v-list-users", &["json"])
        .expect(200, None, "0")
        .expect_type(TEXT_HTML);
    s.legacy(true, "v-list-user", &["nosuch"])
        .expect(200, None, "3")
        .expect_type(TEXT_HTML);
    s.legacy(false, "v-list-user", &["nosuch"])
        .expect(200, None, "Error: user nosuch doesn't exist\n")
        .expect_type(TEXT_HTML);
    // Only exactly "yes" selects code mode.
    for other in ["YES", "1", "true", ""] {
        let mut pairs = call_fields(Auth::Admin, false, "v-list-user", &["nosuch"]);
        pairs.retain(|(k, _)| k != "returncode");
        pairs.push(("returncode".into(), other.into()));
        s.post_form(&pairs)
            .expect(200, None, "Error: user nosuch doesn't exist\n");
    }
    let mut pairs = call_fields(Auth::Admin, false, "v-list-user", &["nosuch"]);
    pairs.retain(|(k, _)| k != "returncode");
    s.post_form(&pairs)
        .expect(200, None, "Error: user nosuch doesn't exist\n");
}

#[test]
fn legacy_output_is_lines_plus_newline_and_never_has_the_exit_code_header() {
    let s = stable();
    let r = s.legacy(false, "v-list-users", &["shell"]);
    r.expect_status(200, None).expect_type(TEXT_HTML);
    assert!(
        r.body.ends_with('\n') && !r.body.ends_with("\n\n"),
        "{r:#?}"
    );
    assert!(r.body.starts_with("USER"), "{r:#?}");
    assert!(
        r.body.lines().all(|l| l == l.trim_end()),
        "lines are right-trimmed: {r:#?}"
    );
    let r = s.legacy(false, "v-list-user", &["admin", "json"]);
    r.expect_status(200, None).expect_type(TEXT_HTML);
    assert!(r.body.ends_with("}\n"), "{r:#?}");
    // plain: v-list-users ends every line with a TAB, which PHP's exec() drops.
    let r = s.legacy(false, "v-list-users", &["plain"]);
    r.expect_status(200, None);
    assert!(!r.body.contains("\t\n"), "{r:#?}");
}

#[test]
fn access_key_returncode_modes() {
    let s = stable();
    s.v2(true, "v-list-users", &["json"])
        .expect(200, Some("0"), "0")
        .expect_type(TEXT_HTML);
    s.v2(true, "v-list-user", &["nosuch"])
        .expect(200, Some("3"), "3")
        .expect_type(TEXT_HTML);
    s.v2(false, "v-list-user", &["nosuch"])
        .expect(400, Some("3"), "Error: user nosuch doesn't exist")
        .expect_type(TEXT_HTML);
    s.v2(false, "v-list-user", &["bad user"]).expect(
        422,
        Some("2"),
        "Error: invalid user format :: bad user",
    );
    s.v2(true, "v-list-user", &["bad user"])
        .expect(200, Some("2"), "2");
    s.v2(false, "v-list-user", &[])
        .expect(400, Some("1"), "Usage: v-list-user USER [FORMAT]");
    s.v2(true, "v-list-user", &[]).expect(200, Some("1"), "1");
}

#[test]
fn silent_success_is_204_in_access_key_mode_and_ok_in_legacy_mode() {
    let s = stable();
    // v-unsuspend-user of the root user: exit 0, no output.
    s.v2(false, "v-unsuspend-user", &["admin"])
        .expect(204, Some("0"), "");
    s.v2(true, "v-unsuspend-user", &["admin"])
        .expect(200, Some("0"), "0");
    s.legacy(false, "v-unsuspend-user", &["admin"])
        .expect(200, None, "OK")
        .expect_type(TEXT_HTML);
    s.legacy(true, "v-unsuspend-user", &["admin"])
        .expect(200, None, "0");
    // An unknown FORMAT prints nothing either.
    s.v2(false, "v-list-users", &["yaml"])
        .expect(204, Some("0"), "");
    s.legacy(false, "v-list-users", &["yaml"])
        .expect(200, None, "OK");
}

#[test]
fn content_type_is_json_only_for_non_empty_json_output() {
    let s = stable();
    let r = s.v2(false, "v-list-users", &["json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    assert!(!r.body.ends_with('\n'), "v2 output is trimmed: {r:#?}");
    assert!(r.body.starts_with('{'));
    let r = s.v2(false, "v-list-users", &["plain"]);
    r.expect_status(200, Some("0")).expect_type(TEXT_HTML);
    assert!(r.body.starts_with("admin\t"), "{r:#?}");
    s.v2(false, "v-list-users", &["csv"])
        .expect_status(200, Some("0"))
        .expect_type(TEXT_HTML);
    s.v2(false, "v-list-users", &["shell"])
        .expect_status(200, Some("0"))
        .expect_type(TEXT_HTML);
    s.v2(false, "v-list-sys-config", &["json"])
        .expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    // Legacy mode never sets it.
    s.legacy(false, "v-list-users", &["json"])
        .expect_status(200, None)
        .expect_type(TEXT_HTML);
    // Errors are text.
    s.v2(false, "v-list-user", &["nosuch", "json"])
        .expect_status(400, Some("3"))
        .expect_type(TEXT_HTML);
}

// ---------------------------------------------------------------------------------------
// Error texts
// ---------------------------------------------------------------------------------------

#[test]
fn legacy_authentication_errors() {
    let s = stable();
    s.api(Auth::AdminPassword("wrong"), false, "v-list-users", &[])
        .expect(401, Some("9"), "Error: authentication failed")
        .expect_type(TEXT_HTML);
    s.api(Auth::AdminPassword("wrong"), true, "v-list-users", &[])
        .expect(401, Some("9"), "9");
    // Auth comes before the command check.
    s.post_form(&fields(&[("user", "admin"), ("password", "wrong")]))
        .expect(401, Some("9"), "Error: authentication failed");
    // Not ROOT_USER: code 10.
    s.post_form(&fields(&[
        ("user", "alice"),
        ("password", ADMIN_PASSWORD),
        ("cmd", "v-list-users"),
    ]))
    .expect(401, Some("10"), "Error: authentication failed");
    s.post_form(&fields(&[
        ("user", "alice"),
        ("password", ADMIN_PASSWORD),
        ("returncode", "yes"),
        ("cmd", "v-list-users"),
    ]))
    .expect(401, Some("10"), "10");
    // No password at all: 9.
    s.post_form(&fields(&[("user", "admin"), ("cmd", "v-list-users")]))
        .expect(401, Some("9"), "Error: authentication failed");
    // An unknown legacy key: 9.
    s.api(
        Auth::LegacyKey("0123456789abcdef0123456789abcdef"),
        false,
        "v-list-users",
        &[],
    )
    .expect(401, Some("9"), "Error: authentication failed");
    s.api(
        Auth::LegacyKey("../../conf/hestia.conf"),
        false,
        "v-list-users",
        &[],
    )
    .expect(401, Some("9"), "Error: authentication failed");
}

#[test]
fn access_key_authentication_errors() {
    let s = stable();
    let key = s.root_key().clone();
    // Empty (after trim) secret: capital A.
    s.post_form(&fields(&[
        ("access_key", &key.id),
        ("secret_key", "  "),
        ("cmd", "v-list-users"),
    ]))
    .expect(401, Some("9"), "Error: Authentication failed")
    .expect_type(TEXT_HTML);
    s.post_form(&fields(&[
        ("access_key", ""),
        ("secret_key", &key.secret),
        ("returncode", "yes"),
        ("cmd", "v-list-users"),
    ]))
    .expect(401, Some("9"), "9");
    // Wrong secret.
    let wrong = Key {
        id: key.id.clone(),
        secret: "z".repeat(40),
    };
    s.api(Auth::Key(&wrong), false, "v-list-users", &[]).expect(
        401,
        Some("9"),
        &format!("Error: Invalid secret key for key {}", key.id),
    );
    s.api(Auth::Key(&wrong), true, "v-list-users", &[])
        .expect(401, Some("9"), "9");
    // Malformed id.
    let malformed = Key {
        id: "short".into(),
        secret: key.secret.clone(),
    };
    s.api(Auth::Key(&malformed), false, "v-list-users", &[])
        .expect(
            401,
            Some("9"),
            "Error: invalid access_key_id format :: short",
        );
    // Unknown command: 10.
    s.v2(false, "v-nope", &[])
        .expect(401, Some("10"), "Error: Command v-nope not found");
    s.v2(true, "v-nope", &[]).expect(401, Some("10"), "10");
}

#[test]
fn command_name_errors() {
    let s = stable();
    let key = s.root_key().clone();
    for auth in [Auth::Admin, Auth::Key(&key)] {
        s.api(auth, false, "", &[])
            .expect(422, Some("2"), "Error: Command not provided");
        s.api(auth, true, "", &[]).expect(422, Some("2"), "2");
        s.api(auth, false, "v-list-users;id", &[]).expect(
            422,
            Some("2"),
            "Error: v-list-users;id command invalid",
        );
        s.api(auth, false, "../bin/v-list-users", &[]).expect(
            422,
            Some("2"),
            "Error: ../bin/v-list-users command invalid",
        );
    }
    // No cmd field at all.
    s.post_form(&fields(&[("user", "admin"), ("password", ADMIN_PASSWORD)]))
        .expect(422, Some("2"), "Error: Command not provided");
    // Access-key mode checks the command before the key.
    let wrong = Key {
        id: key.id.clone(),
        secret: "w".repeat(40),
    };
    s.api(Auth::Key(&wrong), false, "", &[])
        .expect(422, Some("2"), "Error: Command not provided");
}

// ---------------------------------------------------------------------------------------
// Legacy keys
// ---------------------------------------------------------------------------------------

#[test]
fn legacy_key_works_until_revoked() {
    let s = stable();
    let key = legacy_key(s);
    let r = s.api(Auth::LegacyKey(&key), false, "v-list-users", &["plain"]);
    r.expect_status(200, None).expect_type(TEXT_HTML);
    assert!(r.body.contains("admin"), "{r:#?}");
    s.api(Auth::LegacyKey(&key), true, "v-list-user", &["nosuch"])
        .expect(200, None, "3");
    s.api(Auth::LegacyKey(&key), false, "v-unsuspend-user", &["admin"])
        .expect(200, None, "OK");

    let revoked = s.call("v-revoke-api-key", &[&key]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    s.api(Auth::LegacyKey(&key), false, "v-list-users", &["plain"])
        .expect(401, Some("9"), "Error: authentication failed");
    s.api(Auth::LegacyKey(&key), true, "v-list-users", &["plain"])
        .expect(401, Some("9"), "9");
}

/// Deliberately better than Hestia (issue: scoped keys): an unknown or deleted key answers
/// exactly like a wrong secret, so key IDs cannot be probed.
#[test]
fn unknown_and_deleted_access_keys_answer_like_a_wrong_secret() {
    let s = stable();
    let key = s.root_key().clone();
    let unknown = Key {
        id: "AAAAAAAAAAAAAAAAAAAA".into(),
        secret: key.secret.clone(),
    };
    let wrong_secret = Key {
        id: key.id.clone(),
        secret: "B".repeat(40),
    };
    s.api(Auth::Key(&unknown), true, "v-list-users", &[])
        .expect(401, Some("9"), "9");
    s.api(Auth::Key(&unknown), false, "v-list-users", &[])
        .expect(
            401,
            Some("9"),
            "Error: Invalid secret key for key AAAAAAAAAAAAAAAAAAAA",
        );
    s.api(Auth::Key(&wrong_secret), false, "v-list-users", &[])
        .expect(
            401,
            Some("9"),
            &format!("Error: Invalid secret key for key {}", key.id),
        );
    let key = s.add_key("admin", "");
    s.api(Auth::Key(&key), true, "v-list-users", &[])
        .expect(200, Some("0"), "0");
    std::fs::remove_file(s.path(&format!("data/access-keys/{}", key.id))).unwrap();
    s.api(Auth::Key(&key), true, "v-list-users", &[])
        .expect(401, Some("9"), "9");
    s.api(Auth::Key(&key), false, "v-list-users", &[]).expect(
        401,
        Some("9"),
        &format!("Error: Invalid secret key for key {}", key.id),
    );
}

// ---------------------------------------------------------------------------------------
// hestia.conf switches (config server)
// ---------------------------------------------------------------------------------------

#[test]
fn api_no_disables_the_legacy_api_only() {
    let (_guard, s) = config();
    s.set_conf("API", "no");
    s.legacy(false, "v-list-users", &[]).expect(
        400,
        Some("11"),
        "Error: API has been disabledError: API Disabled",
    );
    s.legacy(true, "v-list-users", &[])
        .expect(400, Some("11"), "Error: API has been disabled11");
    // Checked before the password.
    s.api(Auth::AdminPassword("wrong"), false, "v-list-users", &[])
        .expect(
            400,
            Some("11"),
            "Error: API has been disabledError: API Disabled",
        );
    // Access keys are governed by API_SYSTEM.
    s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    s.set_conf("API", "yes");
    s.legacy(true, "v-list-users", &[]).expect(200, None, "0");
}

#[test]
fn api_system_0_disables_access_keys_only() {
    let (_guard, s) = config();
    s.set_conf("API_SYSTEM", "0");
    s.v2(false, "v-list-users", &[])
        .expect(400, Some("11"), "Error: API has been disabled")
        .expect_type(TEXT_HTML);
    s.v2(true, "v-list-users", &[])
        .expect(400, Some("11"), "11");
    let key = s.root_key().clone();
    s.api(Auth::KeyHash(&key), false, "v-list-users", &[])
        .expect(400, Some("11"), "Error: API has been disabled");
    s.legacy(true, "v-list-users", &[]).expect(200, None, "0");
    // Non-numeric is 0 too.
    s.set_conf("API_SYSTEM", "yes");
    s.v2(true, "v-list-users", &[])
        .expect(400, Some("11"), "11");
}

#[test]
fn user_keys_get_code_21_unless_api_system_is_2() {
    let (_guard, s) = config();
    let (info, _) = bob(s).clone();
    s.v2(false, "v-unsuspend-user", &["bob"])
        .expect(204, Some("0"), "");
    s.api(Auth::Key(&info), false, "v-list-user", &["bob", "json"])
        .expect(401, Some("21"), "Error: API has been disabled")
        .expect_type(TEXT_HTML);
    s.api(Auth::Key(&info), true, "v-list-user", &["bob", "json"])
        .expect(401, Some("21"), "21");
    s.set_conf("API_SYSTEM", "2");
    let r = s.api(Auth::Key(&info), false, "v-list-user", &["bob", "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    assert_eq!(r.json()["bob"]["CONTACT"], "bob@example.com");
    s.api(
        Auth::Key(&info),
        false,
        "v-change-user-contact",
        &["bob", "bob@example.org"],
    )
    .expect(204, Some("0"), "");
    s.api(
        Auth::Key(&info),
        true,
        "v-change-user-contact",
        &["bob", "bob@example.com"],
    )
    .expect(200, Some("0"), "0");
}

#[test]
fn user_keys_are_confined_to_their_user() {
    let (_guard, s) = config();
    let (info, _) = bob(s).clone();
    s.v2(false, "v-unsuspend-user", &["bob"])
        .expect(204, Some("0"), "");
    let mismatch = format!(
        "Error: Key {} - the \"user\" argument doesn\\'t match the key\\'s user",
        info.id
    );
    // With API_SYSTEM=1 code 21 comes first.
    s.api(Auth::Key(&info), false, "v-list-user", &["admin", "json"])
        .expect(401, Some("21"), "Error: API has been disabled");
    s.set_conf("API_SYSTEM", "2");
    s.api(Auth::Key(&info), false, "v-list-user", &["admin", "json"])
        .expect(401, Some("10"), &mismatch)
        .expect_type(TEXT_HTML);
    s.api(Auth::Key(&info), true, "v-list-user", &["admin", "json"])
        .expect(401, Some("10"), "10");
    // A missing USER argument fails the same way.
    s.api(Auth::Key(&info), false, "v-list-user", &[])
        .expect(401, Some("10"), &mismatch);
    // Gaps collapse before the position is read.
    let mut pairs = fields(&[("access_key", &info.id), ("secret_key", &info.secret)]);
    pairs.extend(fields(&[
        ("cmd", "v-list-user"),
        ("arg2", "bob"),
        ("arg3", "json"),
    ]));
    s.post_form(&pairs).expect_status(200, Some("0"));
    s.api(
        Auth::Key(&info),
        false,
        "v-change-user-contact",
        &["admin", "x@example.com"],
    )
    .expect(401, Some("10"), &mismatch);
    // The admin's contact is unchanged.
    let admin = s.v2(false, "v-list-user", &["admin", "json"]);
    assert_eq!(
        admin.json()["admin"]["CONTACT"],
        "admin@localhost.localdomain"
    );
}

#[test]
fn user_keys_are_limited_to_their_permission_sets() {
    let (_guard, s) = config();
    let (info, purge) = bob(s).clone();
    s.v2(false, "v-unsuspend-user", &["bob"])
        .expect(204, Some("0"), "");
    for api_system in ["1", "2"] {
        s.set_conf("API_SYSTEM", api_system);
        for key in [&info, &purge] {
            s.api(Auth::Key(key), false, "v-list-users", &["json"])
                .expect(
                    401,
                    Some("10"),
                    &format!(
                        "Error: Key {} don't have permission to run the command v-list-users",
                        key.id
                    ),
                );
            s.api(Auth::Key(key), true, "v-list-users", &["json"])
                .expect(401, Some("10"), "10");
        }
        s.api(Auth::Key(&purge), false, "v-list-user", &["bob"])
            .expect(
                401,
                Some("10"),
                &format!(
                    "Error: Key {} don't have permission to run the command v-list-user",
                    purge.id
                ),
            );
    }
}

#[test]
fn a_suspended_key_owner_is_rejected() {
    let (_guard, s) = config();
    let (info, _) = bob(s).clone();
    s.set_conf("API_SYSTEM", "2");
    s.v2(false, "v-suspend-user", &["bob"])
        .expect(204, Some("0"), "");
    let result = s.api(Auth::Key(&info), false, "v-list-user", &["bob", "json"]);
    s.v2(false, "v-unsuspend-user", &["bob"])
        .expect(204, Some("0"), "");
    result.expect(401, Some("9"), "Error: user bob is suspended");
    s.api(Auth::Key(&info), false, "v-list-user", &["bob", "json"])
        .expect_status(200, Some("0"));
}

#[test]
fn clients_outside_the_allowlist_are_rejected() {
    let (_guard, s) = config();
    let ip_error = "Error: IP is not allowed to connect with API";
    // No trimming, no prefix matching, no implicit localhost.
    for list in [
        "192.0.2.1",
        "",
        " 127.0.0.1",
        "127.0.0.10",
        "127.0.0",
        "allow-all,192.0.2.1",
    ] {
        s.set_conf("API_ALLOWED_IP", list);
        s.legacy(false, "v-list-users", &[])
            .expect(401, Some("10"), ip_error)
            .expect_type(TEXT_HTML);
        s.legacy(true, "v-list-users", &[])
            .expect(401, Some("10"), "10");
        s.v2(false, "v-list-users", &[])
            .expect(401, Some("10"), ip_error);
        s.v2(true, "v-list-users", &[])
            .expect(401, Some("10"), "10");
        // Before the password and the command checks.
        s.api(Auth::AdminPassword("wrong"), false, "", &[])
            .expect(401, Some("10"), ip_error);
        s.v2(false, "", &[]).expect(401, Some("10"), ip_error);
    }
    s.set_conf("API_ALLOWED_IP", "192.0.2.1,127.0.0.1");
    s.legacy(true, "v-list-users", &[]).expect(200, None, "0");
    s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    // The disabled checks come first.
    s.set_conf("API_ALLOWED_IP", "192.0.2.1");
    s.set_conf("API", "no");
    s.legacy(false, "v-list-users", &[]).expect(
        400,
        Some("11"),
        "Error: API has been disabledError: API Disabled",
    );
    s.set_conf("API_SYSTEM", "0");
    s.v2(false, "v-list-users", &[])
        .expect(400, Some("11"), "Error: API has been disabled");
}

#[test]
fn allow_all_opens_both_modes_and_zero_address_only_access_keys() {
    let (_guard, s) = config();
    s.set_conf("API_ALLOWED_IP", "allow-all");
    s.legacy(true, "v-list-users", &[]).expect(200, None, "0");
    s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    s.set_conf("API_ALLOWED_IP", "0.0.0.0");
    s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    s.legacy(true, "v-list-users", &[])
        .expect(401, Some("10"), "10");
    s.set_conf("API_ALLOWED_IP", "192.0.2.1,0.0.0.0");
    s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    s.legacy(false, "v-list-users", &[]).expect(
        401,
        Some("10"),
        "Error: IP is not allowed to connect with API",
    );
}

#[test]
fn configuration_changes_apply_to_the_very_next_request() {
    let (_guard, s) = config();
    // Same-length values written back to back.
    for _ in 0..10 {
        s.set_conf("API_SYSTEM", "0");
        s.v2(true, "v-list-users", &[])
            .expect(400, Some("11"), "11");
        s.set_conf("API_SYSTEM", "1");
        s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    }
    for _ in 0..5 {
        s.set_conf("API", "no");
        s.legacy(true, "v-list-users", &[]).expect(
            400,
            Some("11"),
            "Error: API has been disabled11",
        );
        s.set_conf("API", "yes");
        s.legacy(true, "v-list-users", &[]).expect(200, None, "0");
    }
}

/// Two same-size edits can land in one tick of the file system's timestamp clock (a few
/// milliseconds); simulated here by giving the new file the old modification time.
#[test]
fn an_edit_within_one_timestamp_tick_applies_to_the_next_request() {
    let (_guard, s) = config();
    let path = s.path("conf/hestia.conf");
    s.v2(true, "v-list-users", &[]).expect(200, Some("0"), "0");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    s.set_conf("API_SYSTEM", "0");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert!(s.read("conf/hestia.conf").contains("API_SYSTEM='0'\n"));
    s.v2(true, "v-list-users", &[])
        .expect(400, Some("11"), "11");
}
