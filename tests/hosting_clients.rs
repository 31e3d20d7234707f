//! HestiaCP's own PHP and NodeJS API samples for hosting objects ("Add Web/DNS/Mail Domain",
//! "Create Database", "List Web Domains" in the docs' REST API examples, copied to
//! `tests/clients/` with only host, port and credentials changed), run with the real `php`
//! (with php-curl) and `node` (with axios) against a hearth server. What they print is
//! asserted, including what the samples' own bugs make them print.

#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::process::Stdio;

use support::*;

/// Runs `program flags... [script]` in `tests/clients/` with the server's address and the
/// admin's password in the environment, no proxies, a time limit and optional stdin.
fn run_in_clients(
    program: &str,
    flags: &[&str],
    script: Option<&str>,
    server: &Server,
    stdin: &str,
) -> Output {
    let mut command = clients_command(program, flags);
    command
        .env("HEARTH_HOST", "127.0.0.1")
        .env("HEARTH_PORT", server.port().to_string())
        .env("HEARTH_PASSWORD", ADMIN_PASSWORD)
        .env("NODE_TLS_REJECT_UNAUTHORIZED", "0");
    if let Some(script) = script {
        command.arg(sample(script));
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for the client");
    let output = Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(
        output.code, 124,
        "{program} {script:?} timed out: {output:?}"
    );
    assert_eq!(output.code, 0, "{program} {script:?}: {output:?}");
    output
}

/// `php` with warnings sent to stderr, so stdout is exactly what the sample echoes.
fn php(script: &str, s: &Server) -> Output {
    run_in_clients("php", &["-d", "display_errors=stderr"], Some(script), s, "")
}

/// `node`, accepting the server's self-signed certificate the only way axios offers.
fn node(script: &str, s: &Server) -> Output {
    run_in_clients("node", &[], Some(script), s, "")
}

/// The `demo` user the samples work on, created the way the "Create User Account" sample
/// does.
fn add_demo(s: &Server) {
    s.legacy(
        true,
        "v-add-user",
        &[
            "demo",
            "d3m0p4ssw0rd",
            "demo@gmail.com",
            "default",
            "Rust",
            "Cohle",
        ],
    )
    .expect(200, None, "0");
}

/// Whether `data/users/demo/<file>` has a line for `DOMAIN='domain'`.
fn has_domain(s: &Server, file: &str, domain: &str) -> bool {
    s.read(&format!("data/users/demo/{file}"))
        .lines()
        .any(|line| line.starts_with(&format!("DOMAIN='{domain}' ")))
}

/// `v-add-domain` made the web, DNS and mail domain (Hestia: one per enabled subsystem).
#[track_caller]
fn assert_domain_everywhere(s: &Server, domain: &str) {
    for file in ["web.conf", "dns.conf", "mail.conf"] {
        assert!(
            has_domain(s, file, domain),
            "{domain} is not in {file}: {}",
            s.read(&format!("data/users/demo/{file}"))
        );
    }
}

/// The `v-list-web-domain demo demo.hestiacp.com json` answer a legacy admin gets.
fn listed_domain(s: &Server) -> String {
    let r = s.legacy(
        false,
        "v-list-web-domain",
        &["demo", "demo.hestiacp.com", "json"],
    );
    r.expect_status(200, None);
    let json = r.json();
    assert_eq!(json["demo.hestiacp.com"]["IP"], "127.0.0.1", "{r:#?}");
    r.body
}

fn database_exists(s: &Server, name: &str) -> bool {
    s.read("data/users/demo/db.conf")
        .lines()
        .any(|line| line.starts_with(&format!("DB='{name}' ")))
}

#[test]
fn php_hosting_samples() {
    require_php();
    let s = Server::start_with(&[], write_mysql_hosts);
    add_demo(&s);

    // Add Web/DNS/Mail Domain: the sample compares the string "0" with the integer 0, so it
    // reports success as an error code.
    let out = php("add_domain.php", &s);
    assert_eq!(out.stdout, "Query returned error code: 0\n", "{out:?}");
    assert_domain_everywhere(&s, "demo.hestiacp.com");
    let out = php("add_domain.php", &s);
    assert_eq!(out.stdout, "Query returned error code: 4\n", "{out:?}");

    // List Web Domains: print_r of the decoded JSON, exactly what PHP makes of the API's
    // answer.
    let body = listed_domain(&s);
    let expected = run_in_clients(
        "php",
        &[
            "-r",
            "print_r(json_decode(file_get_contents('php://stdin'), true));",
        ],
        None,
        &s,
        &body,
    )
    .stdout;
    let out = php("list_web_domain.php", &s);
    assert_eq!(out.stdout, expected, "{out:?}");
    assert!(
        out.stdout
            .starts_with("Array\n(\n    [demo.hestiacp.com] => Array\n        (\n"),
        "{out:?}"
    );
    assert!(out.stdout.contains("[IP] => 127.0.0.1\n"), "{out:?}");

    // Create Database: the sample's URL is `https://HOST: PORT/api/` (a space after the
    // colon), which curl refuses; curl_exec returns false and nothing reaches the server.
    let out = php("create_database.php", &s);
    assert_eq!(out.stdout, "Query returned error code: \n", "{out:?}");
    assert!(!database_exists(&s, "demo_wordpress"));
    // The request it means to send works.
    s.legacy(
        true,
        "v-add-database",
        &["demo", "wordpress", "wordpress", "wpbl0gp4s"],
    )
    .expect(200, None, "0");
    assert!(database_exists(&s, "demo_wordpress"));
}

#[test]
fn node_hosting_samples() {
    require_node();
    let s = Server::start_with(&[], write_mysql_hosts);
    let ok = |code: &str| format!("{code}\n0 means successful\n");
    add_demo(&s);

    // Add Web/DNS/Mail Domain (the NodeJS sample adds domain.tld).
    let out = node("add_domain.js", &s);
    assert_eq!(out.stdout, ok("0"), "{out:?}");
    assert_domain_everywhere(&s, "domain.tld");
    let out = node("add_domain.js", &s);
    assert_eq!(out.stdout, ok("4"), "{out:?}");

    // List Web Domains: axios parses the JSON answer, the sample prints it compact.
    s.v2(false, "v-add-domain", &["demo", "demo.hestiacp.com"])
        .expect(204, Some("0"), "");
    let body = listed_domain(&s);
    let expected = run_in_clients(
        "node",
        &[
            "-e",
            "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>console.log(JSON.stringify(JSON.parse(t))))",
        ],
        None,
        &s,
        &body,
    )
    .stdout;
    let out = node("list_web_domain.js", &s);
    assert_eq!(out.stdout, expected, "{out:?}");
    let printed: serde_json::Value =
        serde_json::from_str(out.stdout.trim_end()).expect("the sample prints JSON");
    assert_eq!(printed["demo.hestiacp.com"]["IP"], "127.0.0.1");

    // Create Database: the sample's command is misspelt `v-add-databse`, so the server
    // answers with the code for an unknown command, which the sample prints.
    let unknown = s
        .legacy(
            true,
            "v-add-databse",
            &["demo", "wordpress", "wordpress", "wpbl0gp4s"],
        )
        .body;
    assert_ne!(unknown, "0");
    let out = node("create_database.js", &s);
    assert_eq!(out.stdout, ok(&unknown), "{out:?}");
    assert!(!database_exists(&s, "demo_wordpress"));
    // Spelt right, the same request creates the database.
    s.legacy(
        true,
        "v-add-database",
        &["demo", "wordpress", "wordpress", "wpbl0gp4s"],
    )
    .expect(200, None, "0");
    assert!(database_exists(&s, "demo_wordpress"));
}
