//! HestiaCP's own PHP and NodeJS API samples (docs "REST API" examples, in `tests/clients/`)
//! run unchanged, with real `php` + php-curl and `node` + axios, against a hearth server.

#[path = "support/mod.rs"]
mod support;

use support::*;

/// The environment a sample gets: where the server is and the admin's credentials.
struct Env {
    vars: Vec<(&'static str, String)>,
}

impl Env {
    fn new(server: &Server) -> Self {
        Env {
            vars: vec![
                ("HEARTH_HOST", "127.0.0.1".to_string()),
                ("HEARTH_PORT", server.port().to_string()),
                ("HEARTH_PASSWORD", ADMIN_PASSWORD.to_string()),
            ],
        }
    }

    fn with(mut self, name: &'static str, value: &str) -> Self {
        self.vars.push((name, value.to_string()));
        self
    }
}

/// Runs a sample with `program` (php or node) in `tests/clients/`, with a time limit.
fn run_sample(program: &str, flags: &[&str], name: &str, env: &Env) -> Output {
    let mut command = clients_command(program, flags);
    command.arg(sample(name));
    for (key, value) in &env.vars {
        command.env(key, value);
    }
    let output = run(&mut command);
    assert_ne!(output.code, 124, "{name} timed out: {output:?}");
    output
}

/// `php` with warnings sent to stderr, so stdout is exactly what the sample echoes.
fn php(name: &str, env: &Env) -> Output {
    let output = run_sample("php", &["-d", "display_errors=stderr"], name, env);
    assert_eq!(output.code, 0, "php {name}: {output:?}");
    output
}

/// `node`, accepting the server's self-signed certificate the only way axios offers.
fn node(name: &str, env: &Env) -> Output {
    let mut vars = Env {
        vars: env.vars.clone(),
    };
    vars.vars
        .push(("NODE_TLS_REJECT_UNAUTHORIZED", "0".to_string()));
    let output = run_sample("node", &[], name, &vars);
    assert_eq!(output.code, 0, "node {name}: {output:?}");
    output
}

/// `v-list-user demo json` over the API: `None` when demo does not exist.
fn demo(s: &Server) -> Option<serde_json::Value> {
    let r = s.v2(false, "v-list-user", &["demo", "json"]);
    match r.status {
        200 => Some(r.json()["demo"].clone()),
        400 => {
            r.expect(400, Some("3"), "Error: user demo doesn't exist");
            None
        }
        _ => panic!("unexpected answer {r:#?}"),
    }
}

#[test]
fn php_samples() {
    require_php();
    let s = Server::start();
    let env = || Env::new(&s);

    // Create User Account: the sample compares the string "0" with the integer 0, so it
    // reports success as an error code.
    let out = php("create_user.php", &env());
    assert_eq!(out.stdout, "Query returned error code: 0\n", "{out:?}");
    let user = demo(&s).expect("demo was created");
    assert_eq!(user["NAME"], "Rust Cohle");
    assert_eq!(user["CONTACT"], "demo@gmail.com");
    assert_eq!(user["PACKAGE"], "default");
    let out = php("create_user.php", &env());
    assert_eq!(out.stdout, "Query returned error code: 4\n", "{out:?}");

    // Check Username and Password.
    let check = |user: &str, password: &str| {
        php(
            "check_password.php",
            &env()
                .with("HEARTH_CHECK_USER", user)
                .with("HEARTH_CHECK_PASSWORD", password),
        )
        .stdout
    };
    assert_eq!(check("demo", "d3m0p4ssw0rd"), "OK: User can login\n");
    assert_eq!(
        check("demo", "wrong-password"),
        "Error: Username or password is incorrect\n"
    );
    assert_eq!(
        check("nobody", "d3m0p4ssw0rd"),
        "Error: Username or password is incorrect\n"
    );
    // With a wrong admin password the API refuses (401) and the sample says so.
    let out = php(
        "check_password.php",
        &Env::new(&s)
            .with("HEARTH_PASSWORD", "not-the-admin-password")
            .with("HEARTH_CHECK_USER", "demo")
            .with("HEARTH_CHECK_PASSWORD", "d3m0p4ssw0rd"),
    );
    assert_eq!(out.stdout, "Error: Username or password is incorrect\n");

    // Delete User Account.
    let out = php("delete_user.php", &env());
    assert_eq!(
        out.stdout, "User account has been successfuly deleted\n",
        "{out:?}"
    );
    assert_eq!(demo(&s), None);
    let out = php("delete_user.php", &env());
    assert_eq!(out.stdout, "Query returned error code: 3\n", "{out:?}");

    // Create user (With API key), with a legacy key from v-generate-api-key. The sample
    // sends the undefined $name as arg5, which http_build_query drops.
    let generated = s.call("v-generate-api-key", &[]);
    assert_eq!(generated.code, 0, "{generated:?}");
    let legacy_key = generated.stdout.trim().to_string();
    let out = php(
        "create_user_with_key.php",
        &env().with("HEARTH_API_KEY", &legacy_key),
    );
    assert_eq!(
        out.stdout, "User account has been successfuly created\n",
        "{out:?}"
    );
    assert!(out.stderr.contains("Undefined variable $name"), "{out:?}");
    let user = demo(&s).expect("demo was created");
    assert_eq!(user["NAME"], "");
    assert_eq!(user["CONTACT"], "demo@gmail.com");
    let out = php(
        "create_user_with_key.php",
        &env().with("HEARTH_API_KEY", &legacy_key),
    );
    assert_eq!(out.stdout, "Query returned error code: 4\n", "{out:?}");
    php("delete_user.php", &env());

    // The same sample with an access key as `ID:SECRET`, as Hestia's docs suggest.
    let key = s.root_key().pair();
    let out = php(
        "create_user_with_key.php",
        &env().with("HEARTH_API_KEY", &key),
    );
    assert_eq!(
        out.stdout, "User account has been successfuly created\n",
        "{out:?}"
    );
    assert!(demo(&s).is_some());
    // A revoked legacy key: the 401 body (the code) is what the sample prints.
    let revoked = s.call("v-revoke-api-key", &[&legacy_key]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    let out = php(
        "create_user_with_key.php",
        &env().with("HEARTH_API_KEY", &legacy_key),
    );
    assert_eq!(out.stdout, "Query returned error code: 9\n", "{out:?}");
}

#[test]
fn node_samples() {
    require_node();
    let s = Server::start();
    let env = || Env::new(&s);
    let ok = |code: u32| format!("{code}\n0 means successful\n");

    // Create User Account.
    let out = node("create_user.js", &env());
    assert_eq!(out.stdout, ok(0), "{out:?}");
    let user = demo(&s).expect("demo was created");
    assert_eq!(user["NAME"], "Rust Cohle");
    assert_eq!(user["CONTACT"], "demo@gmail.com");
    let out = node("create_user.js", &env());
    assert_eq!(out.stdout, ok(4), "{out:?}");

    // Check Username and Password: the sample checks demo/demopassword, which is not the
    // password the create sample set ...
    let out = node("check_password.js", &env());
    assert_eq!(out.stdout, ok(9), "{out:?}");
    // ... until it is.
    s.v2(false, "v-change-user-password", &["demo", "demopassword"])
        .expect(204, Some("0"), "");
    let out = node("check_password.js", &env());
    assert_eq!(out.stdout, ok(0), "{out:?}");

    // Delete User Account.
    let out = node("delete_user.js", &env());
    assert_eq!(out.stdout, ok(0), "{out:?}");
    assert_eq!(demo(&s), None);
    let out = node("delete_user.js", &env());
    assert_eq!(out.stdout, ok(3), "{out:?}");

    // Create user (With API key): an access key as `ID:SECRET` ...
    let key = s.root_key().pair();
    let out = node(
        "create_user_with_key.js",
        &env().with("HEARTH_API_KEY", &key),
    );
    assert_eq!(out.stdout, ok(0), "{out:?}");
    let user = demo(&s).expect("demo was created");
    assert_eq!(user["NAME"], "Rust Cohle");
    let out = node(
        "create_user_with_key.js",
        &env().with("HEARTH_API_KEY", &key),
    );
    assert_eq!(out.stdout, ok(4), "{out:?}");
    node("delete_user.js", &env());

    // ... and a legacy key.
    let generated = s.call("v-generate-api-key", &[]);
    assert_eq!(generated.code, 0, "{generated:?}");
    let legacy_key = generated.stdout.trim().to_string();
    let out = node(
        "create_user_with_key.js",
        &env().with("HEARTH_API_KEY", &legacy_key),
    );
    assert_eq!(out.stdout, ok(0), "{out:?}");
    assert!(demo(&s).is_some());
}
