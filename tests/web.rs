//! The web commands through the HTTP API: Hestia's `test.bats` web and allow-users cases,
//! the `web.conf` lines and counters, suspend/unsuspend/delete codes, aliases, the list
//! formats (valid JSON whatever a value holds), `v-add-domain`'s fan-out to web, DNS and mail,
//! package limits, the `purge-nginx-cache` access-key set, and the rendered nginx server
//! blocks checked by the real `nginx -t`.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hearth_sdk::conf::{self, Record};
use support::*;

static SERVER: OnceLock<Server> = OnceLock::new();

/// Hestia's IP of the `test.bats` cases, registered as a shared address of the admin.
const IP: &str = "198.18.0.125";

/// An address only `suspend_unsuspend_and_delete` uses, so its counters are exact.
const OWN_IP: &str = "198.18.0.126";

/// A package allowing one web, DNS and mail domain.
const SMALL_PACKAGE: &str = "one";

/// Registers the test address and the small package, and allows user access keys.
fn prepare(data: &Path) {
    std::fs::write(
        data.join("data/ips").join(IP),
        "OWNER='admin'\nSTATUS='shared'\nNAME=''\nU_SYS_USERS=''\nU_WEB_DOMAINS='0'\nINTERFACE='eth0'\nNETMASK='255.255.255.0'\nNAT=''\nTIME='10:00:00'\nDATE='2024-05-01'\n",
    )
    .expect("write data/ips");
    std::fs::write(
        data.join("data/ips").join(OWN_IP),
        "OWNER='admin'\nSTATUS='shared'\nNAME=''\nU_SYS_USERS=''\nU_WEB_DOMAINS='0'\nINTERFACE='eth0'\nNETMASK='255.255.255.0'\nNAT=''\nTIME='10:00:00'\nDATE='2024-05-01'\n",
    )
    .expect("write data/ips");
    let default =
        std::fs::read_to_string(data.join("data/packages/default.pkg")).expect("read default.pkg");
    let mut package = conf::parse_source(&default).expect("default.pkg parses");
    for key in ["WEB_DOMAINS", "DNS_DOMAINS", "MAIL_DOMAINS"] {
        package.set(key, "1");
    }
    std::fs::write(
        data.join(format!("data/packages/{SMALL_PACKAGE}.pkg")),
        package.to_source().expect("serialise the package"),
    )
    .expect("write the package");
    set_conf(data, "API_SYSTEM", "2");
}

/// The server shared by this file's tests; each test uses its own users.
fn server() -> &'static Server {
    SERVER.get_or_init(|| Server::start_with(&[], prepare))
}

/// The user's `web.conf` lines.
fn web_lines(s: &Server, user: &str) -> Vec<Record> {
    conf::parse_list(&s.read(&format!("data/users/{user}/web.conf"))).expect("web.conf parses")
}

/// The `web.conf` line of a domain.
#[track_caller]
fn web_line(s: &Server, user: &str, domain: &str) -> Record {
    web_lines(s, user)
        .into_iter()
        .find(|record| record.value("DOMAIN") == domain)
        .unwrap_or_else(|| panic!("no {domain} in {user}'s web.conf"))
}

/// The users' home root of a server (`HOME_ROOT` of its `hestia.conf`).
fn home_root(s: &Server) -> PathBuf {
    PathBuf::from(s.conf_value("HOME_ROOT").expect("HOME_ROOT is set"))
}

/// The rendered nginx configuration of a domain.
fn nginx_conf(s: &Server, user: &str, domain: &str) -> PathBuf {
    home_root(s).join(format!("{user}/conf/web/{domain}/nginx.conf"))
}

/// `v-list-web-domains USER json`, parsed.
#[track_caller]
fn web_domains_json(s: &Server, user: &str) -> serde_json::Value {
    let r = s.v2(false, "v-list-web-domains", &[user, "json"]);
    r.expect_status(200, Some("0"));
    r.json()
}

// ---------------------------------------------------------------------------------------
// Hestia's test.bats web cases
// ---------------------------------------------------------------------------------------

#[test]
fn test_bats_web_cases() {
    let s = server();
    let user = "test-5285";
    let user2 = "test-5286";
    let domain = "test-5285.hestiacp.com";
    let rootdomain = "testhestiacp.com";
    let subdomain = "cdn.testhestiacp.com";
    add_user(s, user);

    // WEB: Add web domain / duplicate.
    s.legacy(true, "v-add-web-domain", &[user, domain, IP])
        .expect(200, None, "0");
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, domain, IP],
        4,
        &format!("Error: Web domain {domain} exists"),
    );
    let line = web_line(s, user, domain);
    assert_eq!(line.value("IP"), IP);
    // A deeper subdomain gets no www alias.
    assert_eq!(line.value("ALIAS"), "");

    // WEB: IDN, stored as given; its punycode form is the same domain.
    ok(s, "v-add-web-domain", &[user, "idn-tést.eu", IP]);
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "xn--idn-tst-fya.eu", IP],
        4,
        "Error: Web domain xn--idn-tst-fya.eu exists",
    );
    let idn = web_line(s, user, "idn-tést.eu");
    assert_eq!(idn.value("ALIAS"), "www.idn-tést.eu");
    let rendered = std::fs::read_to_string(nginx_conf(s, user, "idn-tést.eu")).unwrap();
    assert!(
        rendered.contains("server_name xn--idn-tst-fya.eu www.xn--idn-tst-fya.eu;"),
        "{rendered}"
    );
    assert_eq!(user_value(s, user, "U_WEB_DOMAINS"), "2");
    assert_eq!(user_value(s, user, "U_WEB_ALIASES"), "1");

    // Allow Users: another user's root domain blocks its subdomains, as web domain and alias.
    add_user(s, user2);
    ok(s, "v-add-web-domain", &[user2, rootdomain]);
    let blocked =
        format!("Error: Unable to add {subdomain}. {rootdomain} belongs to a different user");
    expect_failure(s, "v-add-web-domain", &[user, subdomain], 4, &blocked);
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[user, domain, subdomain],
        4,
        &blocked,
    );
    // The root domain's own www alias is taken as well.
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[user, domain, &format!("www.{rootdomain}")],
        4,
        &format!("Error: Web alias www.{rootdomain} exists"),
    );

    // Allow Users: after v-add-web-domain-allow-users both work.
    ok(s, "v-add-web-domain-allow-users", &[user2, rootdomain]);
    assert_eq!(web_line(s, user2, rootdomain).value("ALLOW_USERS"), "yes");
    ok(s, "v-add-web-domain", &[user, subdomain]);
    ok(s, "v-delete-web-domain", &[user, subdomain]);
    ok(s, "v-add-web-domain-alias", &[user, domain, subdomain]);
    assert_eq!(web_line(s, user, domain).value("ALIAS"), subdomain);

    // Taking the permission back blocks new subdomains again; existing ones stay.
    ok(s, "v-delete-web-domain-allow-users", &[user2, rootdomain]);
    assert_eq!(web_line(s, user2, rootdomain).value("ALLOW_USERS"), "no");
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "img.testhestiacp.com"],
        4,
        "Error: Unable to add img.testhestiacp.com. testhestiacp.com belongs to a different user",
    );

    // Delete missing.
    ok(s, "v-delete-web-domain", &[user2, rootdomain]);
    expect_failure(
        s,
        "v-delete-web-domain",
        &[user2, rootdomain],
        3,
        &format!("Error: web domain {rootdomain} doesn't exist"),
    );
    let history = s.read(&format!("data/users/{user2}/history.log"));
    assert!(
        history.contains(&format!(
            "LEVEL='Info' CATEGORY='Web' MESSAGE='Added new web domain (Name: {rootdomain}).'"
        )),
        "{history}"
    );
    assert!(
        history.contains(&format!(
            "CATEGORY='Web' MESSAGE='Deleted web domain (Name: {rootdomain}).'"
        )),
        "{history}"
    );
}

#[test]
fn add_web_domain_argument_errors() {
    let s = server();
    let user = "webargs";
    add_user(s, user);
    expect_failure(
        s,
        "v-add-web-domain",
        &[user],
        1,
        "Usage: v-add-web-domain USER DOMAIN [IP] [RESTART] [ALIASES] [PROXY_EXTENSIONS]",
    );
    for bad in ["www", "12345", "a..b.com", "bad_domain.com", "-a.com"] {
        expect_failure(
            s,
            "v-add-web-domain",
            &[user, bad],
            2,
            &format!("Error: invalid domain format :: {bad}"),
        );
    }
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "192.0.2.7"],
        1,
        "Error: Invalid domain format. IP address detected as input.",
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "args.example", "203.0.113.99"],
        3,
        "Error: IP 203.0.113.99 doesn't exist",
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "args.example", "1.2.3"],
        2,
        "Error: invalid ip :: 1.2.3",
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "args.example", "", "sometimes"],
        2,
        "Error: invalid restart format :: sometimes",
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "args.example", "", "", "a b.example"],
        2,
        "Error: invalid alias format :: a b.example",
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &["nosuchuser", "args.example"],
        3,
        "Error: user nosuchuser doesn't exist",
    );
    assert!(web_lines(s, user).is_empty());

    // Normalised like Hestia: case, a leading www. and dots.
    ok(s, "v-add-web-domain", &[user, "WWW.Args.Example."]);
    let line = web_line(s, user, "args.example");
    assert_eq!(line.value("IP"), "127.0.0.1");
    assert_eq!(line.value("ALIAS"), "www.args.example");
    // The whole web.conf line, in Hestia's key order.
    let keys: Vec<&str> = line.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "DOMAIN",
            "IP",
            "IP6",
            "CUSTOM_DOCROOT",
            "ALIAS",
            "TPL",
            "SSL",
            "SSL_FORCE",
            "SSL_HOME",
            "LETSENCRYPT",
            "FTP_USER",
            "FTP_MD5",
            "BACKEND",
            "PROXY",
            "PROXY_EXT",
            "STATS",
            "STATS_USER",
            "STATS_CRYPT",
            "U_DISK",
            "U_BANDWIDTH",
            "SUSPENDED",
            "TIME",
            "DATE"
        ]
    );
    assert_eq!(line.value("TPL"), "default");
    assert_eq!(line.value("SUSPENDED"), "no");

    // Aliases given explicitly, and `none`.
    ok(
        s,
        "v-add-web-domain",
        &[
            user,
            "alias.example",
            IP,
            "no",
            "B.alias.example,a.alias.example",
        ],
    );
    assert_eq!(
        web_line(s, user, "alias.example").value("ALIAS"),
        "a.alias.example,b.alias.example"
    );
    ok(
        s,
        "v-add-web-domain",
        &[user, "bare.example", IP, "no", "none"],
    );
    assert_eq!(web_line(s, user, "bare.example").value("ALIAS"), "");
    assert_eq!(user_value(s, user, "U_WEB_DOMAINS"), "3");
    assert_eq!(user_value(s, user, "U_WEB_ALIASES"), "3");

    // The web root and its directories exist, with the skeleton.
    let web = home_root(s).join(format!("{user}/web/args.example"));
    for dir in [
        "public_html",
        "document_errors",
        "cgi-bin",
        "private",
        "stats",
        "logs",
    ] {
        assert!(web.join(dir).is_dir(), "{dir} missing");
    }
    let index = std::fs::read_to_string(web.join("public_html/index.html")).unwrap();
    assert!(index.contains("<title>args.example</title>"), "{index}");

    // The address counts its domains and users.
    let address = s.read(&format!("data/ips/{IP}"));
    let listed_users = conf_value(&address, "U_SYS_USERS").unwrap();
    assert!(listed_users.split(',').any(|u| u == user), "{address}");
}

// ---------------------------------------------------------------------------------------
// Suspend, unsuspend, delete
// ---------------------------------------------------------------------------------------

#[test]
fn suspend_unsuspend_and_delete() {
    let s = server();
    let user = "websusp";
    let domain = "susp.example";
    add_user(s, user);
    ok(s, "v-add-web-domain", &[user, domain, OWN_IP]);
    let config = nginx_conf(s, user, domain);
    let active = std::fs::read_to_string(&config).unwrap();
    assert!(active.contains("try_files"), "{active}");
    let address = || s.read(&format!("data/ips/{OWN_IP}"));
    assert_eq!(
        conf_value(&address(), "U_WEB_DOMAINS").as_deref(),
        Some("1")
    );
    assert_eq!(conf_value(&address(), "U_SYS_USERS").as_deref(), Some(user));

    ok(s, "v-suspend-web-domain", &[user, domain]);
    expect_failure(
        s,
        "v-suspend-web-domain",
        &[user, domain],
        5,
        &format!("Error: web {domain} is suspended"),
    );
    assert_eq!(web_line(s, user, domain).value("SUSPENDED"), "yes");
    assert_eq!(user_value(s, user, "SUSPENDED_WEB"), "1");
    let suspended = std::fs::read_to_string(&config).unwrap();
    assert!(suspended.contains("currently suspended"), "{suspended}");
    assert!(!suspended.contains("try_files"), "{suspended}");
    // A suspended domain can't be changed or purged.
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[user, domain, "more.susp.example"],
        5,
        &format!("Error: web {domain} is suspended"),
    );
    expect_failure(
        s,
        "v-purge-nginx-cache",
        &[user, domain],
        5,
        &format!("Error: web {domain} is suspended"),
    );
    let listed = web_domains_json(s, user);
    assert_eq!(listed[domain]["SUSPENDED"], "yes");

    ok(s, "v-unsuspend-web-domain", &[user, domain]);
    expect_failure(
        s,
        "v-unsuspend-web-domain",
        &[user, domain],
        6,
        &format!("Error: web {domain} is not suspended"),
    );
    assert_eq!(user_value(s, user, "SUSPENDED_WEB"), "0");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), active);

    for command in [
        "v-suspend-web-domain",
        "v-unsuspend-web-domain",
        "v-delete-web-domain",
    ] {
        expect_failure(
            s,
            command,
            &[user, "missing.example"],
            3,
            "Error: web domain missing.example doesn't exist",
        );
        expect_failure(
            s,
            command,
            &[user],
            1,
            &format!("Usage: {command} USER DOMAIN [RESTART]"),
        );
    }

    // A suspended domain is deleted too, with every counter taken back.
    ok(s, "v-suspend-web-domain", &[user, domain]);
    ok(s, "v-delete-web-domain", &[user, domain]);
    expect_failure(
        s,
        "v-delete-web-domain",
        &[user, domain],
        3,
        &format!("Error: web domain {domain} doesn't exist"),
    );
    assert!(web_lines(s, user).is_empty());
    assert_eq!(user_value(s, user, "U_WEB_DOMAINS"), "0");
    assert_eq!(user_value(s, user, "U_WEB_ALIASES"), "0");
    assert_eq!(user_value(s, user, "SUSPENDED_WEB"), "0");
    assert!(!config.exists());
    assert!(!home_root(s).join(format!("{user}/web/{domain}")).exists());
    assert!(
        !home_root(s)
            .join(format!("{user}/conf/web/{domain}"))
            .exists()
    );
    assert_eq!(
        conf_value(&address(), "U_WEB_DOMAINS").as_deref(),
        Some("0")
    );
    assert_eq!(conf_value(&address(), "U_SYS_USERS").as_deref(), Some(""));
    // The name is free again, for anyone.
    add_user(s, "websusp2");
    ok(s, "v-add-web-domain", &["websusp2", domain]);
    ok(s, "v-add-web-domain", &["websusp2", "www2.susp.example"]);
}

// ---------------------------------------------------------------------------------------
// Aliases
// ---------------------------------------------------------------------------------------

#[test]
fn aliases_are_unique_and_released() {
    let s = server();
    let (alice, bob) = ("webalice", "webbob");
    add_user(s, alice);
    add_user(s, bob);
    ok(s, "v-add-web-domain", &[alice, "alice-site.example"]);
    ok(s, "v-add-web-domain", &[bob, "bob-site.example"]);

    ok(
        s,
        "v-add-web-domain-alias",
        &[
            alice,
            "alice-site.example",
            "shop.alice-site.example,*.alice-site.example",
        ],
    );
    let line = web_line(s, alice, "alice-site.example");
    assert_eq!(
        line.value("ALIAS"),
        "www.alice-site.example,*.alice-site.example,shop.alice-site.example"
    );
    assert_eq!(user_value(s, alice, "U_WEB_ALIASES"), "3");
    let rendered = std::fs::read_to_string(nginx_conf(s, alice, "alice-site.example")).unwrap();
    assert!(
        rendered.contains("server_name alice-site.example www.alice-site.example *.alice-site.example shop.alice-site.example;"),
        "{rendered}"
    );

    // Already an alias: of the same domain, or for another user as alias or domain.
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[alice, "alice-site.example", "shop.alice-site.example"],
        4,
        "Error: Web alias shop.alice-site.example exists",
    );
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[bob, "bob-site.example", "www.alice-site.example"],
        4,
        "Error: Web alias www.alice-site.example exists",
    );
    expect_failure(
        s,
        "v-add-web-domain",
        &[bob, "shop.alice-site.example"],
        4,
        "Error: Web alias shop.alice-site.example exists",
    );
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[bob, "bob-site.example", "alice-site.example"],
        4,
        "Error: Web domain alice-site.example exists",
    );
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[alice, "nope.example", "x.nope.example"],
        3,
        "Error: web domain nope.example doesn't exist",
    );
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[alice, "alice-site.example"],
        1,
        "Usage: v-add-web-domain-alias USER DOMAIN ALIASES [RESTART]",
    );

    // Delete, then delete again.
    ok(
        s,
        "v-delete-web-domain-alias",
        &[alice, "alice-site.example", "shop.alice-site.example"],
    );
    expect_failure(
        s,
        "v-delete-web-domain-alias",
        &[alice, "alice-site.example", "shop.alice-site.example"],
        3,
        "Error: alias shop.alice-site.example doesn't exist",
    );
    assert_eq!(
        web_line(s, alice, "alice-site.example").value("ALIAS"),
        "www.alice-site.example,*.alice-site.example"
    );
    assert_eq!(user_value(s, alice, "U_WEB_ALIASES"), "2");
    let rendered = std::fs::read_to_string(nginx_conf(s, alice, "alice-site.example")).unwrap();
    assert!(!rendered.contains("shop.alice-site.example"), "{rendered}");

    // The released alias is free: its owner's subdomains still need ALLOW_USERS for bob,
    // but alice herself can use it as a domain.
    ok(s, "v-add-web-domain", &[alice, "shop.alice-site.example"]);

    // Deleting a domain releases its aliases.
    ok(s, "v-delete-web-domain", &[alice, "alice-site.example"]);
    assert_eq!(user_value(s, alice, "U_WEB_ALIASES"), "0");
    ok(
        s,
        "v-add-web-domain-alias",
        &[
            bob,
            "bob-site.example",
            "alice-site.example,www.alice-site.example",
        ],
    );
    assert_eq!(
        web_line(s, bob, "bob-site.example").value("ALIAS"),
        "www.bob-site.example,alice-site.example,www.alice-site.example"
    );
}

// ---------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------

#[test]
fn list_formats_and_json_validity() {
    let s = server();
    let user = "weblist";
    add_user(s, user);
    // Nothing yet: `{` and `}` on two lines, served as text (an empty object).
    s.v2(false, "v-list-web-domains", &[user, "json"])
        .expect(200, Some("0"), "{\n}")
        .expect_type(TEXT_HTML);
    ok(s, "v-add-web-domain", &[user, "list.example", IP]);
    // A line written into the data root directly, with quotes, a tab and backslashes.
    let path = s.path(&format!("data/users/{user}/web.conf"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(concat!(
        "DOMAIN='odd.example' IP='198.18.0.125' IP6='' CUSTOM_DOCROOT='/srv/odd' ",
        "ALIAS='www.odd.example' TPL='default' SSL='no' SSL_FORCE='no' SSL_HOME='same' ",
        "LETSENCRYPT='no' FTP_USER='a\"b' FTP_MD5='' BACKEND='default' PROXY='default' ",
        "PROXY_EXT='' STATS='' STATS_USER='tab\there' STATS_CRYPT='' U_DISK='0' ",
        "U_BANDWIDTH='0' SUSPENDED='no' AUTH_USER='back\\slash \"q\"' TIME='10:20:00' DATE='2024-05-01'\n"
    ));
    std::fs::write(&path, text).unwrap();
    let added = web_line(s, user, "list.example");
    let (time, date) = (added.value("TIME"), added.value("DATE"));
    let docroot = format!(
        "{}/{user}/web/list.example/public_html/",
        home_root(s).display()
    );

    let r = s.v2(false, "v-list-web-domains", &[user, "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let json = r.json();
    assert_eq!(json.as_object().unwrap().len(), 2);
    let odd = &json["odd.example"];
    assert_eq!(odd["FTP_USER"], "a\"b");
    assert_eq!(odd["STATS_USER"], "tab\there");
    assert_eq!(odd["AUTH_USER"], "back\\slash \"q\"");
    assert_eq!(odd["DOCUMENT_ROOT"], "/srv/odd");
    let list = &json["list.example"];
    assert_eq!(list["DOCUMENT_ROOT"], docroot.as_str());
    assert_eq!(list["IP"], IP);
    assert_eq!(list["ALIAS"], "www.list.example");
    assert_eq!(list.as_object().unwrap().len(), 21);
    // Hestia's layout: fields in order, 8-space indent, `},` between objects.
    assert!(
        r.body.starts_with(&format!(
            "{{\n    \"list.example\": {{\n        \"IP\": \"{IP}\",\n        \"IP6\": \"\",\n        \"DOCUMENT_ROOT\": \"{docroot}\",\n        \"U_DISK\": \"0\",\n"
        )),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!(
            "        \"DATE\": \"{date}\"\n    }},\n    \"odd.example\": {{\n"
        )),
        "{}",
        r.body
    );
    assert!(
        r.body
            .ends_with("        \"DATE\": \"2024-05-01\"\n    }\n}"),
        "{}",
        r.body
    );

    // One domain: more fields.
    let r = s.v2(false, "v-list-web-domain", &[user, "odd.example", "json"]);
    r.expect_status(200, Some("0"))
        .expect_type(APPLICATION_JSON);
    let one = r.json();
    assert_eq!(one.as_object().unwrap().len(), 1);
    assert_eq!(one["odd.example"].as_object().unwrap().len(), 28);
    assert_eq!(one["odd.example"]["CUSTOM_DOCROOT"], "/srv/odd");
    assert_eq!(one["odd.example"]["AUTH_USER"], "back\\slash \"q\"");

    // plain: TAB-separated rows, no header (PHP trims trailing blanks of each line).
    let plain = s.v2(false, "v-list-web-domains", &[user, "plain"]);
    plain.expect_status(200, Some("0")).expect_type(TEXT_HTML);
    assert_eq!(
        plain.body.lines().next().unwrap(),
        format!(
            "list.example\t{IP}\t\t{docroot}\t0\t0\tdefault\twww.list.example\t\t\tno\tsame\tno\t\t\t\tdefault\tdefault\t\tno\t{time}\t{date}"
        )
    );

    // csv: header, then rows with the quoted columns.
    let csv = s.v2(false, "v-list-web-domains", &[user, "csv"]).body;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "DOMAIN,IP,IP6,DOCROOT,U_DISK,U_BANDWIDTH,TPL,ALIAS,STATS,STATS_USER,SSL,SSL_HOME,LETSENCRYPT,FTP_USER,FTP_PATH,AUTH_USER,BACKEND,PROXY,PROXY_EXT,SUSPENDED,TIME,DATE"
    );
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "list.example,{IP},,{docroot},0,0,default,\"www.list.example\",,\"\",no,same,no,\"\",\"\",\"\",default,default,\"\",no,{time},{date}"
        )
    );
    assert_eq!(
        lines.next().unwrap(),
        "odd.example,198.18.0.125,,/srv/odd,0,0,default,\"www.odd.example\",,\"tab\there\",no,same,no,\"a\"\"b\",\"\",\"back\\slash \"\"q\"\"\",default,default,\"\",no,10:20:00,2024-05-01"
    );

    // shell: Hestia's unaligned table.
    let shell = s.v2(false, "v-list-web-domains", &[user]).body;
    assert_eq!(
        shell,
        format!(
            "DOMAIN   IP   TPL   SSL   DISK   BW   SPND   DATE\n------   --   ---   ---   ----   --   ----   -----\nlist.example {IP} default no 0 0 no {date}\nodd.example 198.18.0.125 default no 0 0 no 2024-05-01"
        )
    );
    let one_shell = s
        .v2(false, "v-list-web-domain", &[user, "list.example"])
        .body;
    assert_eq!(
        one_shell,
        format!(
            "DOMAIN:           list.example\nALIAS:            www.list.example\nIP:               {IP}\nDOCUMENT_ROOT:    {docroot}\nTEMPLATE:         default\nDISK:             0\nBW:               0\nSUSPENDED:        no\nTIME:             {time}\nDATE:             {date}"
        )
    );
    // An explicitly empty FORMAT prints nothing.
    ok(s, "v-list-web-domains", &[user, ""]);

    expect_failure(
        s,
        "v-list-web-domain",
        &[user, "missing.example", "json"],
        3,
        "Error: web domain missing.example doesn't exist",
    );
    expect_failure(
        s,
        "v-list-web-domains",
        &["nosuchuser", "json"],
        3,
        "Error: user nosuchuser doesn't exist",
    );
    expect_failure(
        s,
        "v-list-web-domains",
        &[],
        1,
        "Usage: v-list-web-domains USER [FORMAT]",
    );
}

// ---------------------------------------------------------------------------------------
// v-add-domain and package limits
// ---------------------------------------------------------------------------------------

#[test]
fn add_domain_fans_out_to_web_dns_and_mail() {
    let s = server();
    let user = "webfan";
    let domain = "fanout.example";
    add_user(s, user);
    ok(s, "v-add-domain", &[user, domain]);

    let web = web_domains_json(s, user);
    assert_eq!(web[domain]["IP"], "127.0.0.1");
    let dns = s.v2(false, "v-list-dns-domains", &[user, "json"]);
    dns.expect_status(200, Some("0"));
    assert_eq!(dns.json()[domain]["IP"], "127.0.0.1");
    let mail = s.v2(false, "v-list-mail-domains", &[user, "json"]);
    mail.expect_status(200, Some("0"));
    assert!(mail.json().get(domain).is_some(), "{}", mail.body);
    assert_eq!(user_value(s, user, "U_WEB_DOMAINS"), "1");
    assert!(nginx_conf(s, user, domain).is_file());

    // With an address; a second time, the web child fails first.
    ok(s, "v-add-domain", &[user, "second.example", IP]);
    assert_eq!(web_domains_json(s, user)["second.example"]["IP"], IP);
    expect_failure(
        s,
        "v-add-domain",
        &[user, domain],
        4,
        &format!("Error: Web domain {domain} exists\nError: can't add web domain"),
    );
    // Argument errors of its own.
    expect_failure(
        s,
        "v-add-domain",
        &[user],
        1,
        "Usage: v-add-domain USER DOMAIN [IP] [RESTART]",
    );
    expect_failure(
        s,
        "v-add-domain",
        &[user, "bad_domain.example"],
        2,
        "Error: invalid domain format :: bad_domain.example",
    );
    expect_failure(
        s,
        "v-add-domain",
        &["nosuchuser", "x.example"],
        3,
        "Error: user nosuchuser doesn't exist",
    );
}

#[test]
fn package_limits() {
    let s = server();
    let user = "webpkg";
    add_user_with(s, user, &[SMALL_PACKAGE]);
    assert_eq!(user_value(s, user, "WEB_DOMAINS"), "1");

    ok(s, "v-add-domain", &[user, "first.example"]);
    expect_failure(
        s,
        "v-add-web-domain",
        &[user, "second.example"],
        8,
        "Error: WEB_DOMAINS limit is reached :: upgrade user package",
    );
    // Web, DNS and mail all full.
    expect_failure(
        s,
        "v-add-domain",
        &[user, "second.example"],
        8,
        "Error: Package limit reached",
    );
    assert_eq!(web_lines(s, user).len(), 1);

    // Aliases per domain.
    let user2 = "webpkg2";
    add_user(s, user2);
    let conf_path = s.path(&format!("data/users/{user2}/user.conf"));
    let text = std::fs::read_to_string(&conf_path).unwrap();
    let mut record = conf::parse_source(&text).unwrap();
    record.set("WEB_ALIASES", "1");
    std::fs::write(&conf_path, record.to_source().unwrap()).unwrap();
    ok(s, "v-add-web-domain", &[user2, "aliased.example"]);
    expect_failure(
        s,
        "v-add-web-domain-alias",
        &[user2, "aliased.example", "more.aliased.example"],
        8,
        "Error: WEB_ALIASES limit is reached :: upgrade user package",
    );
}

// ---------------------------------------------------------------------------------------
// The purge-nginx-cache access key
// ---------------------------------------------------------------------------------------

#[test]
fn purge_nginx_cache_key_is_confined() {
    let s = server();
    let (alice, bob) = ("webcachea", "webcacheb");
    add_user(s, alice);
    add_user(s, bob);
    ok(s, "v-add-web-domain", &[alice, "cache-a.example"]);
    ok(s, "v-add-web-domain", &[bob, "cache-b.example"]);
    let home = home_root(s);
    let cache_a = home.join(format!("{alice}/cache/nginx/cache-a.example"));
    let cache_b = home.join(format!("{bob}/cache/nginx/cache-b.example"));
    for cache in [&cache_a, &cache_b] {
        std::fs::create_dir_all(cache.join("3/7f")).unwrap();
        std::fs::write(cache.join("3/7f/0123abcd"), "cached page").unwrap();
    }
    // The rendered configuration names that directory as the domain's cache.
    let rendered = std::fs::read_to_string(nginx_conf(s, alice, "cache-a.example")).unwrap();
    assert!(
        rendered.contains(&format!("proxy_cache_path {} ", cache_a.display())),
        "{rendered}"
    );

    let key = s.add_key(alice, "purge-nginx-cache");
    let call = |command: &str, args: &[&str]| s.api(Auth::Key(&key), false, command, args);

    call("v-purge-nginx-cache", &[alice, "cache-a.example"]).expect(204, Some("0"), "");
    assert!(cache_a.is_dir());
    assert_eq!(std::fs::read_dir(&cache_a).unwrap().count(), 0);
    assert!(cache_b.join("3/7f/0123abcd").is_file());
    let history = s.read(&format!("data/users/{alice}/history.log"));
    assert!(
        history.contains(
            "LEVEL='Info' CATEGORY='Web' MESSAGE='Cache purged (Domain: cache-a.example).'"
        ),
        "{history}"
    );
    let listed = call("v-list-web-domains", &[alice, "json"]);
    listed.expect_status(200, Some("0"));
    assert!(listed.json().get("cache-a.example").is_some());
    call("v-list-web-domain", &[alice, "cache-a.example", "json"]).expect_status(200, Some("0"));
    call("v-purge-nginx-cache", &[alice, "missing.example"]).expect(
        400,
        Some("3"),
        "Error: web domain missing.example doesn't exist",
    );

    // Another user's domain, or a command outside the set.
    for args in [vec![bob, "cache-b.example"], vec![]] {
        call("v-purge-nginx-cache", &args).expect(401, Some("10"), &mismatch(&key));
    }
    call("v-list-web-domains", &[bob, "json"]).expect(401, Some("10"), &mismatch(&key));
    for (command, args) in [
        ("v-add-web-domain", vec![alice, "new-a.example"]),
        ("v-delete-web-domain", vec![alice, "cache-a.example"]),
        ("v-add-domain", vec![alice, "new-a.example"]),
    ] {
        call(command, &args).expect(401, Some("10"), &denied(&key, command));
    }
    s.api(
        Auth::Key(&key),
        true,
        "v-add-web-domain",
        &[alice, "new-a.example"],
    )
    .expect(401, Some("10"), "10");
    assert!(cache_b.join("3/7f/0123abcd").is_file());
    assert_eq!(web_lines(s, alice).len(), 1);
}

// ---------------------------------------------------------------------------------------
// The rendered nginx configuration, checked by the real nginx
// ---------------------------------------------------------------------------------------

/// `nginx -t` on a main configuration that includes every rendered server block below
/// `home`, with its pid, logs and temporary paths in `dir`: (success, stderr).
fn nginx_test(home: &Path, dir: &Path) -> (bool, String) {
    std::fs::create_dir_all(dir).unwrap();
    let main = dir.join("nginx.conf");
    std::fs::write(
        &main,
        format!(
            "pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{}}\nhttp {{\n    include {home}/*/conf/web/*/nginx.conf;\n}}\n",
            dir = dir.display(),
            home = home.display()
        ),
    )
    .unwrap();
    let output = Command::new("nginx")
        .arg("-t")
        .arg("-c")
        .arg(&main)
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .arg("-e")
        .arg(dir.join("error.log"))
        .output()
        .expect("run nginx -t (is nginx installed?)");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn nginx_accepts_the_rendered_configuration() {
    // Its own server: the test breaks the template. `nginx -t` binds the listening sockets,
    // so the domains use the local default address and a free port as WEB_PORT.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port()
        .to_string();
    let s = Server::start_with(&[], |data| {
        prepare(data);
        set_conf(data, "WEB_PORT", &port);
    });
    add_user(&s, "ngxa");
    add_user(&s, "ngxb");
    ok(&s, "v-add-web-domain", &["ngxa", "site.example"]);
    ok(&s, "v-add-web-domain", &["ngxa", "idn-tést.eu"]);
    ok(
        &s,
        "v-add-web-domain-alias",
        &["ngxa", "site.example", "*.site.example,cdn.site.example"],
    );
    ok(
        &s,
        "v-add-web-domain",
        &["ngxb", "other.example", "", "", "none"],
    );
    ok(&s, "v-add-web-domain", &["ngxb", "paused.example"]);
    ok(&s, "v-suspend-web-domain", &["ngxb", "paused.example"]);
    ok(&s, "v-add-domain", &["ngxb", "fanned.example"]);

    let home = home_root(&s);
    let site = std::fs::read_to_string(nginx_conf(&s, "ngxa", "site.example")).unwrap();
    assert!(
        site.contains(&format!("listen      127.0.0.1:{port};")),
        "{site}"
    );
    let work = temp_dir("hearth-web-nginx-");
    let (passed, stderr) = nginx_test(&home, &work.join("good"));
    assert!(
        passed,
        "nginx -t failed on the rendered configuration:\n{stderr}"
    );
    assert!(stderr.contains("test is successful"), "{stderr}");
    // Every domain is in, each rendered once.
    let mut rendered = Vec::new();
    walk(&home, &home, &mut |relative, _| {
        if relative.ends_with("nginx.conf") {
            rendered.push(relative.display().to_string());
        }
    });
    rendered.sort();
    assert_eq!(
        rendered,
        [
            "ngxa/conf/web/idn-tést.eu/nginx.conf",
            "ngxa/conf/web/site.example/nginx.conf",
            "ngxb/conf/web/fanned.example/nginx.conf",
            "ngxb/conf/web/other.example/nginx.conf",
            "ngxb/conf/web/paused.example/nginx.conf",
        ]
    );
    // Logs live in the user's home, where nginx -t created them.
    assert!(
        home.join("ngxa/web/site.example/logs/site.example.error.log")
            .exists()
    );

    // An admin edit of the template applies to domains rendered afterwards; a broken one
    // is caught by nginx.
    let template = s.path("data/templates/web/default.tpl");
    let stock = std::fs::read_to_string(&template).unwrap();
    assert!(stock.contains("%domain_idn%"));
    std::fs::write(
        &template,
        stock.replace(
            "index       index.html index.htm;",
            "hearth_no_such_directive on;",
        ),
    )
    .unwrap();
    ok(&s, "v-add-web-domain", &["ngxa", "broken.example"]);
    let (passed, stderr) = nginx_test(&home, &work.join("broken"));
    assert!(!passed, "nginx -t accepted a broken template:\n{stderr}");
    assert!(stderr.contains("hearth_no_such_directive"), "{stderr}");

    // Deleting the domain removes its configuration, and nginx is happy again.
    ok(&s, "v-delete-web-domain", &["ngxa", "broken.example"]);
    let (passed, stderr) = nginx_test(&home, &work.join("again"));
    assert!(passed, "{stderr}");
    std::fs::remove_dir_all(&work).ok();
}
