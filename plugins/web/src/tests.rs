//! Native tests: pure functions (rendering, alias handling, address choice, list layouts)
//! and the commands' paths that run before any host interface is called.
//!
//! Claims, releases, reloads and nested commands need the host; the end-to-end tests through
//! the server cover them (`tests/web.rs`).

use std::fs;
use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::hosting;
use hearth_sdk::render::Format;
use tempfile::TempDir;

use crate::{COMMANDS, add, common, ip, list, nginx};

const ROOT: &str = "admin";

/// A data root with `alice` (two web domains) and a `hestia.conf`.
fn data_root(extra_conf: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("conf")).unwrap();
    fs::write(
        root.join("conf/hestia.conf"),
        format!("WEB_SYSTEM='nginx'\nWEB_PORT='80'\nHOME_ROOT='/srv/home'\n{extra_conf}"),
    )
    .unwrap();
    fs::create_dir_all(root.join("user")).unwrap();
    fs::write(
        root.join("user/user.conf"),
        "NAME='Alice'\nWEB_TEMPLATE='default'\nWEB_DOMAINS='unlimited'\nWEB_ALIASES='unlimited'\nSUSPENDED='no'\nU_WEB_DOMAINS='2'\n",
    )
    .unwrap();
    fs::write(
        root.join("user/web.conf"),
        concat!(
            "DOMAIN='example.com' IP='198.18.0.125' IP6='' CUSTOM_DOCROOT='' ALIAS='www.example.com,a\"b\\\\c' TPL='default' SSL='no' SSL_FORCE='no' SSL_HOME='same' LETSENCRYPT='no' FTP_USER='' FTP_MD5='' BACKEND='default' PROXY='default' PROXY_EXT='' STATS='' STATS_USER='tab\there' STATS_CRYPT='' U_DISK='0' U_BANDWIDTH='0' SUSPENDED='no' TIME='10:20:00' DATE='2024-05-01'\n",
            "DOMAIN='shop.example.org' IP='198.18.0.125' IP6='' CUSTOM_DOCROOT='/srv/custom' ALIAS='' TPL='default' SSL='no' SSL_FORCE='no' SSL_HOME='same' LETSENCRYPT='no' FTP_USER='' FTP_MD5='' BACKEND='default' PROXY='default' PROXY_EXT='' STATS='' STATS_USER='' STATS_CRYPT='' U_DISK='0' U_BANDWIDTH='0' SUSPENDED='yes' TIME='10:21:00' DATE='2024-05-02'\n",
        ),
    )
    .unwrap();
    dir
}

fn run(root: &Path, command: &str, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, ROOT, command, args)
}

#[test]
fn placeholders_are_replaced_once_and_unknown_ones_kept() {
    let values = vec![
        ("domain", "example.com".to_string()),
        ("domain_idn", "xn--x".to_string()),
        ("home", "/home".to_string()),
    ];
    assert_eq!(
        nginx::render(
            "%domain% %domain_idn% %home%/%nope% 100% %%domain%",
            &values
        ),
        "example.com xn--x /home/%nope% 100% %example.com"
    );
    // A replaced value is never scanned again.
    let tricky = vec![("a", "%b%".to_string()), ("b", "x".to_string())];
    assert_eq!(nginx::render("%a%%b%", &tricky), "%b%x");
}

#[test]
fn stock_template_renders_every_placeholder() {
    let template = include_str!("../../../host/templates/web/default.tpl");
    let mut settings = Record::new();
    settings.set("HOME_ROOT", "/srv/home/");
    settings.set("WEB_PORT", "8080");
    let aliases = vec!["www.idn-tést.eu".to_string(), "*.idn-tést.eu".to_string()];
    let site = nginx::Site {
        user: "alice",
        domain: "idn-tést.eu",
        ip: "198.18.0.125",
        aliases: &aliases,
        proxy_ext: "",
        custom_docroot: "",
    };
    let text = nginx::render(template, &nginx::values(&settings, &site).unwrap());
    assert!(!text.contains("%domain"), "{text}");
    assert!(!text.contains("%home%"), "{text}");
    assert!(text.contains("listen      198.18.0.125:8080;"), "{text}");
    assert!(
        text.contains(
            "server_name xn--idn-tst-fya.eu www.xn--idn-tst-fya.eu *.xn--idn-tst-fya.eu;"
        ),
        "{text}"
    );
    assert!(
        text.contains("root        /srv/home/alice/web/idn-tést.eu/public_html;"),
        "{text}"
    );
    assert!(
        text.contains("proxy_cache_path /srv/home/alice/cache/nginx/idn-tést.eu "),
        "{text}"
    );
    assert!(text.contains("keys_zone=xn--idn-tst-fya.eu:10m"), "{text}");
}

#[test]
fn aliases_are_formatted_like_hestia() {
    assert_eq!(
        common::format_aliases("B.example.com,.a.example.com.,a..example.com,,b.example.com"),
        vec!["a.example.com", "b.example.com"]
    );
    assert_eq!(common::format_aliases("none"), vec!["none"]);
    assert!(common::format_aliases("").is_empty());
    assert!(common::alias_format(&["*.example.com".to_string()]).is_ok());
    for bad in [
        "a b.com", "a_b.com", "x.*.com", "a;b.com", "-a.com", "a'b.com",
    ] {
        let error = common::alias_format(&[bad.to_string()]).unwrap_err();
        assert_eq!(
            error.output,
            format!("Error: invalid alias format :: {bad}")
        );
        assert_eq!(error.code.as_u8(), 2);
    }
}

#[test]
fn default_aliases() {
    assert_eq!(
        add::initial_aliases("example.com", &[], None),
        vec!["www.example.com"]
    );
    assert!(add::initial_aliases("cdn.example.com", &[], None).is_empty());
    assert!(add::initial_aliases("example.com", &["none".to_string()], Some("srv")).is_empty());
    assert_eq!(
        add::initial_aliases(
            "example.com",
            &["a.example.com".to_string()],
            Some("srv.net")
        ),
        vec!["a.example.com", "example-com.srv.net"]
    );
}

#[test]
fn user_ip_prefers_own_then_root_shared() {
    let ip = |owner: &str, status: &str| Record::from_pairs([("OWNER", owner), ("STATUS", status)]);
    let ips = vec![
        ("10.0.0.1".to_string(), ip("admin", "dedicated")),
        ("10.0.0.2".to_string(), ip("bob", "shared")),
        ("10.0.0.3".to_string(), ip("admin", "shared")),
        ("10.0.0.4".to_string(), ip("alice", "dedicated")),
    ];
    assert_eq!(
        ip::pick_user_ip(&ips, "alice", "admin").as_deref(),
        Some("10.0.0.4")
    );
    assert_eq!(
        ip::pick_user_ip(&ips, "carol", "admin").as_deref(),
        Some("10.0.0.3")
    );
    assert_eq!(ip::pick_user_ip(&ips[..2], "carol", "admin"), None);
}

#[test]
fn keys_are_inserted_before_time() {
    let mut record = Record::parse_line("DOMAIN='a.com' SUSPENDED='no' TIME='1' DATE='2'").unwrap();
    hosting::set_before(&mut record, "ALLOW_USERS", "yes", "TIME");
    assert_eq!(
        record.to_line().unwrap(),
        "DOMAIN='a.com' SUSPENDED='no' ALLOW_USERS='yes' TIME='1' DATE='2'"
    );
    hosting::set_before(&mut record, "ALLOW_USERS", "no", "TIME");
    assert_eq!(record.value("ALLOW_USERS"), "no");
    assert_eq!(record.len(), 5);
}

#[test]
fn list_json_is_valid_with_quotes_tabs_and_backslashes() {
    let root = data_root("");
    let (code, out) = run(root.path(), "v-list-web-domains", &["alice", "json"]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["example.com"]["ALIAS"], "www.example.com,a\"b\\\\c");
    assert_eq!(json["example.com"]["STATS_USER"], "tab\there");
    assert_eq!(
        json["example.com"]["DOCUMENT_ROOT"],
        "/srv/home/alice/web/example.com/public_html/"
    );
    assert_eq!(json["shop.example.org"]["DOCUMENT_ROOT"], "/srv/custom");
    assert_eq!(json["example.com"].as_object().unwrap().len(), 21);
    // Hestia's layout and field order.
    assert!(
        out.starts_with("{\n    \"example.com\": {\n        \"IP\": \"198.18.0.125\",\n        \"IP6\": \"\",\n        \"DOCUMENT_ROOT\": "),
        "{out}"
    );
    assert!(
        out.ends_with("        \"DATE\": \"2024-05-02\"\n    }\n}\n"),
        "{out}"
    );
    assert!(
        out.contains("\"DATE\": \"2024-05-01\"\n    },\n    \"shop.example.org\": {\n"),
        "{out}"
    );

    let (code, out) = run(
        root.path(),
        "v-list-web-domain",
        &["alice", "example.com", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 1);
    assert_eq!(json["example.com"].as_object().unwrap().len(), 28);
}

#[test]
fn list_layouts() {
    let records = hearth_sdk::conf::parse_list(
        "DOMAIN='example.com' IP='1.2.3.4' ALIAS='www.example.com' TPL='default' SSL='no' U_DISK='0' U_BANDWIDTH='0' SUSPENDED='no' TIME='10:00:00' DATE='2024-05-01'\n",
    )
    .unwrap();
    assert_eq!(
        list::render_domains(&records, "alice", "/home", Format::Shell),
        "DOMAIN   IP   TPL   SSL   DISK   BW   SPND   DATE\n------   --   ---   ---   ----   --   ----   -----\nexample.com 1.2.3.4 default no 0 0 no 2024-05-01\n"
    );
    assert_eq!(
        list::render_domains(&records, "alice", "/home", Format::Plain),
        "example.com\t1.2.3.4\t\t/home/alice/web/example.com/public_html/\t0\t0\tdefault\twww.example.com\t\t\tno\t\t\t\t\t\t\t\t\tno\t10:00:00\t2024-05-01\n"
    );
    let csv = list::render_domains(&records, "alice", "/home", Format::Csv);
    assert_eq!(
        csv.lines().next(),
        Some(
            "DOMAIN,IP,IP6,DOCROOT,U_DISK,U_BANDWIDTH,TPL,ALIAS,STATS,STATS_USER,SSL,SSL_HOME,LETSENCRYPT,FTP_USER,FTP_PATH,AUTH_USER,BACKEND,PROXY,PROXY_EXT,SUSPENDED,TIME,DATE"
        )
    );
    assert_eq!(
        csv.lines().nth(1),
        Some(
            "example.com,1.2.3.4,,/home/alice/web/example.com/public_html/,0,0,default,\"www.example.com\",,\"\",no,,,\"\",\"\",\"\",,,\"\",no,10:00:00,2024-05-01"
        )
    );
    assert_eq!(
        list::render_domains(&[], "alice", "/home", Format::Json),
        "{\n}\n"
    );

    let shell = list::render_domain(&records[0], "alice", "/home", Format::Shell, false, false);
    assert!(shell.starts_with("DOMAIN:           example.com\nALIAS:            www.example.com\nIP:               1.2.3.4\nDOCUMENT_ROOT:    /home/alice/web/example.com/public_html/\nTEMPLATE:         default\n"), "{shell}");
    let plain = list::render_domain(&records[0], "alice", "/home", Format::Plain, false, false);
    assert_eq!(
        plain,
        "example.com\t1.2.3.4\t\t/home/alice/web/example.com/public_html/\t0\t0\tdefault\twww.example.com\t\t\tno\t\t\t\t,\t\t\t\t\t\tno\t10:00:00\t2024-05-01\n"
    );
}

#[test]
fn list_failures() {
    let root = data_root("");
    assert_eq!(
        run(root.path(), "v-list-web-domain", &["alice", "missing.com"]),
        (3, "Error: web domain missing.com doesn't exist".to_string())
    );
    assert_eq!(
        run(root.path(), "v-list-web-domain", &["alice"]),
        (
            1,
            "Usage: v-list-web-domain USER DOMAIN [FORMAT]".to_string()
        )
    );
    assert_eq!(
        run(root.path(), "v-list-web-domains", &["bad user"]),
        (2, "Error: invalid user format :: bad user".to_string())
    );
    // An explicitly empty FORMAT prints nothing.
    assert_eq!(
        run(root.path(), "v-list-web-domains", &["alice", ""]),
        (0, String::new())
    );
}

#[test]
fn add_web_domain_checks_before_claiming() {
    let root = data_root("");
    assert_eq!(
        run(root.path(), "v-add-web-domain", &["alice"]),
        (
            1,
            "Usage: v-add-web-domain USER DOMAIN [IP] [RESTART] [ALIASES] [PROXY_EXTENSIONS]"
                .to_string()
        )
    );
    assert_eq!(
        run(
            root.path(),
            "v-add-web-domain",
            &["alice", "bad_domain.com"]
        ),
        (
            2,
            "Error: invalid domain format :: bad_domain.com".to_string()
        )
    );
    assert_eq!(
        run(root.path(), "v-add-web-domain", &["alice", "1.2.3.4"]),
        (
            1,
            "Error: Invalid domain format. IP address detected as input.".to_string()
        )
    );
    assert_eq!(
        run(
            root.path(),
            "v-add-web-domain",
            &["alice", "new.com", "1.2.3"]
        ),
        (2, "Error: invalid ip :: 1.2.3".to_string())
    );
    fs::write(
        root.path().join("user/user.conf"),
        "WEB_DOMAINS='2'\nSUSPENDED='no'\n",
    )
    .unwrap();
    assert_eq!(
        run(root.path(), "v-add-web-domain", &["alice", "new.com"]),
        (
            8,
            "Error: WEB_DOMAINS limit is reached :: upgrade user package".to_string()
        )
    );
    fs::write(
        root.path().join("user/user.conf"),
        "WEB_DOMAINS='3'\nSUSPENDED='yes'\n",
    )
    .unwrap();
    assert_eq!(
        run(root.path(), "v-add-web-domain", &["alice", "new.com"]),
        (5, "Error: user alice is suspended".to_string())
    );
    // No user directory is mounted for a user that does not exist.
    fs::remove_file(root.path().join("user/user.conf")).unwrap();
    assert_eq!(
        run(root.path(), "v-add-web-domain", &["bob", "new.com"]),
        (3, "Error: user bob doesn't exist".to_string())
    );

    let disabled = data_root("WEB_SYSTEM=''\n");
    assert_eq!(
        run(disabled.path(), "v-add-web-domain", &[]),
        (11, "Error: WEB_SYSTEM is not enabled".to_string())
    );
}

#[test]
fn suspend_and_delete_failures() {
    let root = data_root("");
    assert_eq!(
        run(
            root.path(),
            "v-delete-web-domain",
            &["alice", "missing.com"]
        ),
        (3, "Error: web domain missing.com doesn't exist".to_string())
    );
    assert_eq!(
        run(
            root.path(),
            "v-suspend-web-domain",
            &["alice", "shop.example.org"]
        ),
        (5, "Error: web shop.example.org is suspended".to_string())
    );
    assert_eq!(
        run(
            root.path(),
            "v-unsuspend-web-domain",
            &["alice", "example.com"]
        ),
        (6, "Error: web example.com is not suspended".to_string())
    );
    assert_eq!(
        run(
            root.path(),
            "v-purge-nginx-cache",
            &["alice", "shop.example.org"]
        ),
        (5, "Error: web shop.example.org is suspended".to_string())
    );
    assert_eq!(
        run(
            root.path(),
            "v-delete-web-domain-alias",
            &["alice", "example.com", "nope.example.com"]
        ),
        (3, "Error: alias nope.example.com doesn't exist".to_string())
    );
    assert_eq!(
        run(
            root.path(),
            "v-add-web-domain-alias",
            &["alice", "example.com", "www.example.com"]
        ),
        (4, "Error: Web alias www.example.com exists".to_string())
    );
}
