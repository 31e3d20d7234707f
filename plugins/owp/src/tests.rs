//! Native tests of the controllers that need no host interface: validation, typecasting,
//! rendering and the tables.

use std::fs;

use hearth_sdk::owp::{Reply, Value};
use tempfile::TempDir;

use crate::store::{self, Caller, Ctx};
use crate::{ip_pools, users, virtual_servers};

fn admin() -> Caller {
    Caller {
        id: 1,
        permissions: vec!["manage_hardware_servers".into(), "manage_users".into()],
        limit_backups: -1,
    }
}

fn john() -> Caller {
    Caller {
        id: 2,
        permissions: vec!["backup_ve".into()],
        limit_backups: 3,
    }
}

fn tree() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    fs::write(
        dir.path().join("users.conf"),
        "id='1' login='admin' enabled='true' role_id='1' created_at='2026-01-01T00:00:00Z' crypted_password='x'\n",
    )
    .expect("write users");
    fs::write(
        dir.path().join("virtual_servers.conf"),
        "id='1' identity='101' hardware_server_id='1' user_id='2' state='stopped' ip_address='192.168.100.101'\n\
         id='2' identity='102' hardware_server_id='1' user_id='0' state='stopped'\n",
    )
    .expect("write servers");
    dir
}

fn details(reply: &Reply) -> Vec<(String, String)> {
    let Reply::Document(root, Value::Hash(pairs)) = reply else {
        panic!("not a result: {reply:?}");
    };
    assert_eq!(root, "result");
    assert_eq!(pairs[0], ("status".to_string(), Value::Bool(false)));
    let Value::Array(item, items) = &pairs[1].1 else {
        panic!("no details: {pairs:?}");
    };
    assert_eq!(item, "detail");
    items
        .iter()
        .map(|detail| {
            let Value::Hash(fields) = detail else {
                panic!("detail is not a hash")
            };
            let text = |v: &Value| match v {
                Value::Str(s) => s.clone(),
                other => panic!("not text: {other:?}"),
            };
            (text(&fields[0].1), text(&fields[1].1))
        })
        .collect()
}

#[test]
fn short_login_and_password_are_rejected_before_hashing() {
    let dir = tree();
    let ctx = Ctx::for_tests(
        dir.path().into(),
        admin(),
        &[("login", "a"), ("password", "123")],
    );
    let reply = users::create(&ctx).expect("create");
    assert_eq!(
        details(&reply),
        vec![
            (
                "login".into(),
                "Login is too short (minimum symbols: 2).".into()
            ),
            (
                "login".into(),
                "use only letters, numbers, and .-_@ please.".into()
            ),
            (
                "password".into(),
                "Password is too short (minimum symbols: 6).".into()
            ),
        ]
    );
    let taken = Ctx::for_tests(
        dir.path().into(),
        admin(),
        &[("login", "ADMIN"), ("password", "secret1")],
    );
    assert_eq!(
        details(&users::create(&taken).expect("create")),
        vec![(
            "login".into(),
            "User with such login is already exist.".into()
        )]
    );
}

#[test]
fn ip_pool_ranges_must_ascend() {
    let dir = tree();
    let ctx = Ctx::for_tests(
        dir.path().into(),
        admin(),
        &[("first_ip", "10.0.0.9"), ("last_ip", "10.0.0.1")],
    );
    assert_eq!(
        details(&ip_pools::create(&ctx).expect("create")),
        vec![("first_ip".into(), "Incorrect IP addresses range.".into())]
    );
    let ok = Ctx::for_tests(
        dir.path().into(),
        admin(),
        &[("first_ip", "10.1.0.1"), ("last_ip", "10.1.0.10")],
    );
    let Reply::Document(_, Value::Hash(pairs)) = ip_pools::create(&ok).expect("create") else {
        panic!("no result");
    };
    assert_eq!(pairs[0].1, Value::Bool(true));
    assert_eq!(ip_pools::free_ips(&ok, 1).expect("free").len(), 10);
}

#[test]
fn servers_of_others_do_not_exist() {
    let dir = tree();
    let mine = Ctx::for_tests(dir.path().into(), john(), &[("id", "1")]);
    let Reply::Document(root, Value::Hash(fields)) = virtual_servers::get(&mine).expect("get")
    else {
        panic!("no server");
    };
    assert_eq!(root, "virtual_server");
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "fields are alphabetical");
    assert!(fields.contains(&("cpus".into(), Value::Nil(Some("integer".into())))));
    assert!(fields.contains(&("identity".into(), Value::Str("101".into()))));
    let other = Ctx::for_tests(dir.path().into(), john(), &[("id", "2")]);
    assert_eq!(
        virtual_servers::get(&other).expect("get"),
        store::not_found()
    );
}

#[test]
fn invalid_addresses_and_host_names_are_reported() {
    let dir = tree();
    let ctx = Ctx::for_tests(
        dir.path().into(),
        admin(),
        &[
            ("hardware_server_id", "1"),
            ("ip_address", "not-an-ip"),
            ("host_name", "bad_name!"),
        ],
    );
    assert_eq!(
        details(&virtual_servers::create(&ctx).expect("create")),
        vec![
            ("ip_address".into(), "Incorrect IP address.".into()),
            ("host_name".into(), "Hostname is invalid.".into()),
        ]
    );
}

#[test]
fn rails_typecasts() {
    assert_eq!(
        store::cast("TRUE", store::Kind::Bool).as_deref(),
        Some("true")
    );
    assert_eq!(
        store::cast("yes", store::Kind::Bool).as_deref(),
        Some("false")
    );
    assert_eq!(store::cast("", store::Kind::Int), None);
    assert_eq!(
        store::cast("12abc", store::Kind::Int).as_deref(),
        Some("12")
    );
    assert_eq!(store::cast("abc", store::Kind::Int).as_deref(), Some("0"));
    assert_eq!(virtual_servers::shell_word("vps.basic"), "vps.basic");
    assert_eq!(virtual_servers::shell_word("x; rm -rf /"), "'x; rm -rf /'");
}
