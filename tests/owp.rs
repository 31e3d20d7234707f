//! The OpenVZ Web Panel Remote API personality, black-box: the acceptance cases A1–A34 of
//! the OWP reference (§8.2), the WHMCS module's call flow against a test hardware-node
//! daemon on loopback, and OWP's own Ruby and PHP client samples.

#[path = "support/mod.rs"]
mod support;

#[path = "owp_node/mod.rs"]
mod owp_node;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use owp_node::Node;
use support::*;

const ADMIN: (&str, &str) = ("admin", ADMIN_PASSWORD);
const JOHN: (&str, &str) = ("john", "john-pass1");
const MIA: (&str, &str) = ("mia", "mia-pass1");
const XML_TYPE: &str = "application/xml; charset=utf-8";

/// One answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    www_authenticate: Option<String>,
    content_type: Option<String>,
    location: Option<String>,
    body: String,
}

/// Sends one request over HTTPS: a GET with the query in `path`, or a POST of `form`.
fn send(
    port: u16,
    path: &str,
    auth: Option<(&str, &str)>,
    form: Option<&[(&str, &str)]>,
) -> Answer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()
            .expect("build an HTTP client");
        let url = format!("https://127.0.0.1:{port}{path}");
        let mut builder = match form {
            Some(pairs) => client.post(&url).form(pairs),
            None => client.get(&url),
        };
        if let Some((user, password)) = auth {
            builder = builder.basic_auth(user, Some(password));
        }
        let response = builder
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {url} failed: {e:?}"));
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("<not UTF-8>").to_string())
        };
        Answer {
            status: response.status().as_u16(),
            www_authenticate: header("www-authenticate"),
            content_type: header("content-type"),
            location: header("location"),
            body: response.text().await.expect("read the body"),
        }
    })
}

fn get(s: &Server, path: &str, auth: (&str, &str)) -> Answer {
    send(s.port(), path, Some(auth), None)
}

/// A 200 XML answer's body.
#[track_caller]
fn xml_ok(answer: Answer) -> String {
    assert_eq!(answer.status, 200, "{answer:#?}");
    assert_eq!(
        answer.content_type.as_deref(),
        Some(XML_TYPE),
        "{answer:#?}"
    );
    answer.body
}

fn doc(body: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}")
}

fn error(code: &str, message: &str) -> String {
    doc(&format!(
        "<error>\n  <code>{code}</code>\n  <message>{message}</message>\n</error>\n"
    ))
}

fn status(ok: bool) -> String {
    doc(&format!(
        "<result>\n  <status type=\"boolean\">{ok}</status>\n</result>\n"
    ))
}

fn created(id: i64) -> String {
    doc(&format!(
        "<result>\n  <status type=\"boolean\">true</status>\n  <details>\n    <id type=\"integer\">{id}</id>\n  </details>\n</result>\n"
    ))
}

fn invalid(details: &[(&str, &str)]) -> String {
    let mut body = String::from(
        "<result>\n  <status type=\"boolean\">false</status>\n  <details type=\"array\">\n",
    );
    for (field, message) in details {
        body.push_str(&format!(
            "    <detail>\n      <field>{field}</field>\n      <error>{message}</error>\n    </detail>\n"
        ));
    }
    body.push_str("  </details>\n</result>\n");
    doc(&body)
}

/// The id in a `<details><id>` result, asserting success.
#[track_caller]
fn created_id(body: &str) -> i64 {
    let start = body
        .find("<id type=\"integer\">")
        .unwrap_or_else(|| panic!("no id in {body}"))
        + "<id type=\"integer\">".len();
    let id: i64 = body[start..]
        .split('<')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no id in {body}"));
    assert_eq!(body, created(id));
    id
}

/// Text as Builder writes it: non-ASCII characters as decimal references.
fn refs(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("&#{};", u32::from(c))
            }
        })
        .collect()
}

/// Appends OWP rows to a table of a data root.
fn append(data: &Path, table: &str, lines: &[String]) {
    let path = data.join("owp").join(table);
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write an OWP table");
}

/// OWP's fixtures: `john` (ve_admin, owns VE 1), disabled `carol`, node `note.lan`, VEs 1
/// (john's) and 2 (nobody's).
fn fixtures(data: &Path, node_port: u16, node_key: &str) {
    let john = hearth::secrets::hash_password(JOHN.1);
    let carol = hearth::secrets::hash_password("carol-pass1");
    append(
        data,
        "users.conf",
        &[
            format!(
                "id='2' login='john' crypted_password='{john}' role_id='2' enabled='true' contact_name='John' email='john@example.com' created_at='2011-01-19T16:26:26Z' updated_at='2011-01-19T16:26:26Z'"
            ),
            format!(
                "id='3' login='carol' crypted_password='{carol}' role_id='2' enabled='false' created_at='2011-01-19T16:26:26Z'"
            ),
        ],
    );
    append(
        data,
        "hardware_servers.conf",
        &[format!(
            "id='1' host='note.lan' auth_key='{node_key}' daemon_port='{node_port}' description='' default_os_template='centos-5-x86_64' default_server_template='basic' use_ssl='false' vswap='false' backups_dir='/vz/dump' ve_private='/vz/private/$VEID'"
        )],
    );
    append(
        data,
        "virtual_servers.conf",
        &[
            "id='1' identity='101' hardware_server_id='1' ip_address='192.168.100.101' host_name='ve101.lan' state='stopped' start_on_boot='true' diskspace='1024' memory='256' vswap='0' user_id='2' daily_backup='false' orig_os_template='centos-5-x86_64' orig_server_template='basic' nameserver='192.168.0.4' search_domain='lan'".into(),
            "id='2' identity='102' hardware_server_id='1' ip_address='192.168.100.102' host_name='ve102.lan' state='stopped' start_on_boot='true' diskspace='1024' memory='256' vswap='0' user_id='0' daily_backup='false'".into(),
        ],
    );
}

/// The server of the cases that need no node (its node `note.lan` is not listening).
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::start_with(&[], |data| fixtures(data, 7767, "secretkey1")))
}

const VE1: &str = "<virtual_server>\n  <cpu_limit type=\"integer\" nil=\"true\"></cpu_limit>\n  <cpu_units type=\"integer\" nil=\"true\"></cpu_units>\n  <cpus type=\"integer\" nil=\"true\"></cpus>\n  <daily_backup type=\"boolean\">false</daily_backup>\n  <description nil=\"true\"></description>\n  <diskspace type=\"integer\">1024</diskspace>\n  <expiration_date type=\"date\" nil=\"true\"></expiration_date>\n  <hardware_server_id type=\"integer\">1</hardware_server_id>\n  <host_name>ve101.lan</host_name>\n  <id type=\"integer\">1</id>\n  <identity>101</identity>\n  <ip_address>192.168.100.101</ip_address>\n  <memory type=\"integer\">256</memory>\n  <nameserver>192.168.0.4</nameserver>\n  <orig_os_template>centos-5-x86_64</orig_os_template>\n  <orig_server_template>basic</orig_server_template>\n  <search_domain>lan</search_domain>\n  <start_on_boot type=\"boolean\">true</start_on_boot>\n  <state>stopped</state>\n  <user_id type=\"integer\">2</user_id>\n  <vswap type=\"integer\">0</vswap>\n</virtual_server>\n";

#[test]
fn a01_to_a04_basic_authentication() {
    let s = server();
    let denied = |answer: Answer| {
        assert_eq!(answer.status, 401, "{answer:#?}");
        assert_eq!(
            answer.www_authenticate.as_deref(),
            Some("Basic realm=\"Web Password\"")
        );
        assert_eq!(answer.body, "HTTP Basic: Access denied.\n");
    };
    denied(send(s.port(), "/api/hardware_servers/list", None, None));
    denied(get(
        s,
        "/api/hardware_servers/list",
        ("admin", "wrong-password"),
    ));
    denied(get(
        s,
        "/api/hardware_servers/list",
        ("carol", "carol-pass1"),
    ));
    denied(get(
        s,
        "/api/hardware_servers/list",
        ("nobody", "whatever1"),
    ));
    // A4: the login is lowercased before the lookup.
    let body = xml_ok(get(
        s,
        "/api/hardware_servers/list",
        ("ADMIN", ADMIN_PASSWORD),
    ));
    assert!(body.contains("<hardware_servers type=\"array\">"), "{body}");
}

#[test]
fn a05_hardware_servers_hide_their_keys() {
    let body = xml_ok(get(server(), "/api/hardware_servers/list", ADMIN));
    assert_eq!(
        body,
        doc(
            "<hardware_servers type=\"array\">\n  <hardware_server>\n    <daemon_port type=\"integer\">7767</daemon_port>\n    <default_os_template>centos-5-x86_64</default_os_template>\n    <default_server_template>basic</default_server_template>\n    <description></description>\n    <host>note.lan</host>\n    <id type=\"integer\">1</id>\n    <use_ssl type=\"boolean\">false</use_ssl>\n    <vswap type=\"boolean\">false</vswap>\n  </hardware_server>\n</hardware_servers>\n"
        )
    );
}

#[test]
fn a06_to_a12_permissions_and_ownership() {
    let s = server();
    let denied = error("access_denied", "Access denied.");
    let missing = error("object_not_found", "Object not found.");
    assert_eq!(xml_ok(get(s, "/api/hardware_servers/list", JOHN)), denied);
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/get?id=10000", ADMIN)),
        missing
    );
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/get?id=2", JOHN)),
        missing
    );
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/get?id=1", JOHN)),
        doc(VE1)
    );
    let own = VE1.replace('\n', "\n  ");
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/own_servers", JOHN)),
        doc(&format!(
            "<virtual_servers type=\"array\">\n  {}</virtual_servers>\n",
            own.trim_end_matches(' ')
        ))
    );
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/own_servers", ADMIN)),
        doc("<virtual_servers type=\"array\"/>\n")
    );
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/delete?id=1", JOHN)),
        denied
    );
    assert_eq!(
        xml_ok(get(s, "/api/virtual_servers/delete?id=2", JOHN)),
        denied
    );
    assert_eq!(xml_ok(get(s, "/api/users/list", JOHN)), denied);
    assert_eq!(xml_ok(get(s, "/api/backups/list?id=2", JOHN)), missing);
}

#[test]
fn a13_users_show_no_password_hash() {
    let body = xml_ok(get(server(), "/api/users/get?id=2", ADMIN));
    assert_eq!(
        body,
        doc(
            "<user>\n  <contact_name>John</contact_name>\n  <created_at type=\"datetime\">2011-01-19T16:26:26Z</created_at>\n  <email>john@example.com</email>\n  <enabled type=\"boolean\">true</enabled>\n  <id type=\"integer\">2</id>\n  <login>john</login>\n  <role_id type=\"integer\">2</role_id>\n</user>\n"
        )
    );
    let admin = xml_ok(get(server(), "/api/users/get?id=1", ADMIN));
    assert!(
        !admin.contains("crypted_password") && !admin.contains("argon2"),
        "{admin}"
    );
    let at = admin
        .split("<created_at type=\"datetime\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("created_at");
    let bytes = at.as_bytes();
    assert!(
        at.len() == 20 && bytes[4] == b'-' && bytes[10] == b'T' && at.ends_with('Z'),
        "{at}"
    );
}

#[test]
fn a14_to_a16_and_a21_creating_users() {
    let s = server();
    let id = created_id(&xml_ok(get(
        s,
        "/api/users/create?login=Bob&password=secret1&role_id=2",
        ADMIN,
    )));
    let bob = xml_ok(get(s, "/api/users/get_by_login?login=bob", ADMIN));
    assert!(
        bob.contains(&format!("<id type=\"integer\">{id}</id>")),
        "{bob}"
    );
    assert!(bob.contains("<login>bob</login>"), "{bob}");
    assert_eq!(
        xml_ok(get(
            s,
            "/api/users/create?login=Bob&password=secret1&role_id=2",
            ADMIN
        )),
        invalid(&[("login", "User with such login is already exist.")])
    );
    assert_eq!(
        xml_ok(get(s, "/api/users/create?login=a&password=123", ADMIN)),
        invalid(&[
            ("login", "Login is too short (minimum symbols: 2)."),
            ("login", "use only letters, numbers, and .-_@ please."),
            ("password", "Password is too short (minimum symbols: 6)."),
        ])
    );
    // bob logs in with the password given at creation.
    let own = xml_ok(get(
        s,
        "/api/virtual_servers/own_servers",
        ("bob", "secret1"),
    ));
    assert_eq!(own, doc("<virtual_servers type=\"array\"/>\n"));
    let events = xml_ok(get(s, "/api/event_log/list", ADMIN));
    assert!(
        events.starts_with(&doc("<events type=\"array\">\n  <event>\n")),
        "{events}"
    );
    assert!(
        events.contains("    <message>user.created</message>\n    <t_message>User bob was created.</t_message>\n"),
        "{events}"
    );
    assert!(
        events.contains("<ip_address>127.0.0.1</ip_address>"),
        "{events}"
    );
}

#[test]
fn a17_a18_deleting_and_disabling_users() {
    let s = server();
    // users/delete tells the truth: admin cannot be deleted, and stays.
    assert_eq!(
        xml_ok(get(s, "/api/users/delete?id=1", ADMIN)),
        status(false)
    );
    assert!(xml_ok(get(s, "/api/users/get?id=1", ADMIN)).contains("<login>admin</login>"));
    let dave = created_id(&xml_ok(get(
        s,
        "/api/users/create?login=dave&password=dave-pass1&role_id=2",
        ADMIN,
    )));
    assert_eq!(
        xml_ok(get(s, &format!("/api/users/delete?id={dave}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        xml_ok(get(s, &format!("/api/users/get?id={dave}"), ADMIN)),
        error("object_not_found", "Object not found.")
    );
    assert_eq!(
        send(
            s.port(),
            "/api/virtual_servers/own_servers",
            Some(("dave", "dave-pass1")),
            None
        )
        .status,
        401
    );
    let erin = created_id(&xml_ok(get(
        s,
        "/api/users/create?login=erin&password=erin-pass1&role_id=2",
        ADMIN,
    )));
    let erin_auth = ("erin", "erin-pass1");
    assert_eq!(
        get(s, "/api/virtual_servers/own_servers", erin_auth).status,
        200
    );
    assert_eq!(
        xml_ok(get(s, &format!("/api/users/disable?id={erin}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        get(s, "/api/virtual_servers/own_servers", erin_auth).status,
        401
    );
    assert_eq!(
        xml_ok(get(s, &format!("/api/users/enable?id={erin}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        get(s, "/api/virtual_servers/own_servers", erin_auth).status,
        200
    );
}

#[test]
fn a19_a20_roles() {
    let s = server();
    let superadmin = "<built_in type=\"boolean\">true</built_in>\n    <id type=\"integer\">1</id>\n    <limit_backups type=\"integer\">-1</limit_backups>\n    <name>superadmin</name>";
    let ve_admin = "<built_in type=\"boolean\">true</built_in>\n    <id type=\"integer\">2</id>\n    <limit_backups type=\"integer\">3</limit_backups>\n    <name>ve_admin</name>";
    assert_eq!(
        xml_ok(get(s, "/api/roles/list", ADMIN)),
        doc(&format!(
            "<roles type=\"array\">\n  <role>\n    {superadmin}\n  </role>\n  <role>\n    {ve_admin}\n  </role>\n</roles>\n"
        ))
    );
    assert_eq!(
        xml_ok(get(s, "/api/roles/get_by_name?name=ve_admin", ADMIN)),
        doc(&format!(
            "<role>\n  {}\n</role>\n",
            ve_admin.replace("\n    ", "\n  ")
        ))
    );
    assert_eq!(
        xml_ok(get(s, "/api/roles/get_by_name?name=nope", ADMIN)),
        error("object_not_found", "Object not found.")
    );
}

#[test]
fn a22_russian_texts() {
    let s = server();
    created_id(&xml_ok(get(
        s,
        "/api/users/create?login=frank&password=frank-pass1&role_id=2",
        ADMIN,
    )));
    let events = xml_ok(get(s, "/api/event_log/list?locale=ru", ADMIN));
    assert!(
        events.contains(&format!(
            "<t_message>{}</t_message>",
            refs("Пользователь frank был создан.")
        )),
        "{events}"
    );
    assert_eq!(
        xml_ok(get(s, "/api/hardware_servers/list?locale=ru", JOHN)),
        error("access_denied", &refs("Доступ запрещен."))
    );
}

#[test]
fn a23_tasks_need_view_tasks() {
    let s = server();
    assert_eq!(
        xml_ok(get(s, "/api/tasks/list", ADMIN)),
        doc("<tasks type=\"array\"/>\n")
    );
    assert_eq!(
        xml_ok(get(s, "/api/tasks/list", JOHN)),
        error("access_denied", "Access denied.")
    );
}

#[test]
fn a24_a25_ip_pools() {
    let s = server();
    assert_eq!(
        xml_ok(get(
            s,
            "/api/ip_pools/create?first_ip=10.0.0.9&last_ip=10.0.0.1",
            ADMIN
        )),
        invalid(&[("first_ip", "Incorrect IP addresses range.")])
    );
    let id = created_id(&xml_ok(get(
        s,
        "/api/ip_pools/create?first_ip=10.1.0.1&last_ip=10.1.0.10",
        ADMIN,
    )));
    assert_eq!(
        xml_ok(get(s, &format!("/api/ip_pools/get?id={id}"), ADMIN)),
        doc(&format!(
            "<ip_pool>\n  <first_ip>10.1.0.1</first_ip>\n  <hardware_server_id type=\"integer\" nil=\"true\"></hardware_server_id>\n  <id type=\"integer\">{id}</id>\n  <last_ip>10.1.0.10</last_ip>\n</ip_pool>\n"
        ))
    );
    assert_eq!(
        xml_ok(get(s, "/api/ip_pools/list", JOHN)),
        error("access_denied", "Access denied.")
    );
}

#[test]
fn a26_to_a28_method_lists_and_unknown_names() {
    let s = server();
    assert_eq!(
        xml_ok(get(s, "/api/users", ADMIN)),
        doc(
            "<methods>\n  <create></create>\n  <delete></delete>\n  <disable></disable>\n  <enable></enable>\n  <get></get>\n  <get_by_login></get_by_login>\n  <list></list>\n  <update></update>\n</methods>\n"
        )
    );
    assert_eq!(
        xml_ok(get(s, "/api/users/", ADMIN)),
        xml_ok(get(s, "/api/users/index", ADMIN))
    );
    assert_eq!(
        xml_ok(get(s, "/api/users/nosuch", ADMIN)),
        doc(
            "<error>\n  <code>internal_error</code>\n  <message>Internal error.</message>\n  <details>No action responded to nosuch. Actions: create, delete, disable, enable, get, get_by_login, index, list, and update</details>\n</error>\n"
        )
    );
    assert_eq!(
        xml_ok(get(s, "/api/users", JOHN)),
        error("access_denied", "Access denied.")
    );
    let unrouted = get(s, "/api/nosuch/list", ADMIN);
    assert_eq!(unrouted.status, 302, "{unrouted:#?}");
    assert_eq!(unrouted.location.as_deref(), Some("/login"));
    assert!(!unrouted.body.contains("<?xml"), "{unrouted:#?}");
}

#[test]
fn a29_a30_virtual_server_validation_runs_first() {
    let s = server();
    let body = xml_ok(get(
        s,
        "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=x&orig_server_template=none&ip_address=not-an-ip",
        ADMIN,
    ));
    assert!(
        body.starts_with(&doc("<result>\n  <status type=\"boolean\">false</status>\n  <details type=\"array\">\n    <detail>\n      <field>ip_address</field>\n      <error>Incorrect IP address.</error>\n    </detail>\n")),
        "{body}"
    );
    assert_eq!(
        xml_ok(get(
            s,
            "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=x&orig_server_template=none&host_name=bad_name!",
            ADMIN,
        )),
        invalid(&[("host_name", "Hostname is invalid.")])
    );
}

#[test]
fn a31_connect_needs_a_password_or_key() {
    let s = server();
    assert_eq!(
        xml_ok(get(s, "/api/hardware_servers/connect?host=x", ADMIN)),
        invalid(&[("root_password", "This field is required.")])
    );
    let events = xml_ok(get(s, "/api/event_log/list", ADMIN));
    assert!(!events.contains("hardware_server.connect"), "{events}");
}

#[test]
fn json_format_has_real_types_and_forms_work() {
    let s = server();
    let answer = get(s, "/api/users/get?id=2&format=json", ADMIN);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({"user": {
            "contact_name": "John", "created_at": "2011-01-19T16:26:26Z",
            "email": "john@example.com", "enabled": true, "id": 2, "login": "john", "role_id": 2
        }})
    );
    let json: serde_json::Value =
        serde_json::from_str(&get(s, "/api/virtual_servers/get?id=1&format=json", JOHN).body)
            .expect("JSON");
    assert_eq!(json["virtual_server"]["cpus"], serde_json::Value::Null);
    assert_eq!(json["virtual_server"]["identity"], "101");
    let missing: serde_json::Value =
        serde_json::from_str(&get(s, "/api/virtual_servers/get?id=2&format=json", JOHN).body)
            .expect("JSON");
    assert_eq!(
        missing,
        serde_json::json!({"error": {"code": "object_not_found", "message": "Object not found."}})
    );
    // Parameters from a form body, as OWP accepts them.
    let posted = send(
        s.port(),
        "/api/users/get_by_login",
        Some(ADMIN),
        Some(&[("login", "john")]),
    );
    assert!(xml_ok(posted).contains("<login>john</login>"));
}

#[test]
fn owp_methods_are_not_hestia_commands() {
    let s = server();
    // Exactly what an unknown command gets on the Hestia path.
    let nope = s.legacy(false, "v-nope", &[]);
    let owp = s.legacy(false, "owp-users-list", &[]);
    assert_eq!(
        (owp.status, owp.body.as_str()),
        (nope.status, "Error: Command owp-users-list not found\n")
    );
}

/// A server whose node 1 is the test daemon, connected through the API.
fn node_server(key: &str) -> (Server, Node) {
    let node = Node::start(key);
    let server = Server::start_with(&[], |data| {
        let john = hearth::secrets::hash_password(JOHN.1);
        append(
            data,
            "users.conf",
            &[format!(
                "id='2' login='john' crypted_password='{john}' role_id='2' enabled='true' created_at='2011-01-19T16:26:26Z'"
            )],
        );
    });
    let bad = xml_ok(get(
        &server,
        &format!(
            "/api/hardware_servers/connect?host=127.0.0.1&auth_key=wrong&daemon_port={}",
            node.port
        ),
        ADMIN,
    ));
    assert_eq!(
        bad,
        invalid(&[(
            "auth_key",
            "Unable to authorize. Probably incorrect auth key."
        )])
    );
    let id = created_id(&xml_ok(get(
        &server,
        &format!(
            "/api/hardware_servers/connect?host=127.0.0.1&auth_key={key}&daemon_port={}&description=test%20node",
            node.port
        ),
        ADMIN,
    )));
    assert_eq!(id, 1, "the wrong key left no server behind");
    (server, node)
}

/// A `<virtual_server>`'s field.
fn field(body: &str, name: &str) -> String {
    body.split(&format!("<{name}"))
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .to_string()
}

#[test]
fn a32_whmcs_flow_against_a_node() {
    let (s, node) = node_server("whmcs-node-key-0123456789abcdef");
    // ConfigOptions.
    let servers = xml_ok(get(&s, "/api/hardware_servers/list", ADMIN));
    assert!(servers.contains("<host>127.0.0.1</host>"), "{servers}");
    assert!(servers.contains("<default_os_template>centos-5-x86_64</default_os_template>"));
    assert!(
        servers.contains("<vswap type=\"boolean\">true</vswap>"),
        "{servers}"
    );
    let templates = xml_ok(get(
        &s,
        "/api/hardware_servers/server_templates?id=1",
        ADMIN,
    ));
    assert!(
        templates.contains("<name>basic</name>") && templates.contains("<name>light</name>"),
        "{templates}"
    );
    let os = xml_ok(get(&s, "/api/hardware_servers/os_templates?id=1", ADMIN));
    assert!(
        os.contains("<name>centos-5-x86_64</name>\n    <size type=\"integer\">182</size>"),
        "{os}"
    );
    assert!(xml_ok(get(&s, "/api/roles/list", ADMIN)).contains("<name>ve_admin</name>"));

    // CreateAccount.
    assert!(
        xml_ok(get(
            &s,
            "/api/hardware_servers/get_by_host?host=127.0.0.1",
            ADMIN
        ))
        .contains("<id type=\"integer\">1</id>")
    );
    let role = xml_ok(get(&s, "/api/roles/get_by_name?name=ve_admin", ADMIN));
    assert_eq!(field(&role, "id"), "2");
    let user = created_id(&xml_ok(get(
        &s,
        "/api/users/create?login=client7&password=client-pass7&role_id=2&contact_name=Client%20Seven&email=c7%40example.com",
        ADMIN,
    )));
    let ve = created_id(&xml_ok(get(
        &s,
        &format!(
            "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=centos-5-x86_64&orig_server_template=basic&host_name=c7.example.com&ip_address=10.9.0.7&password=rootpw7&user_id={user}"
        ),
        ADMIN,
    )));
    let created = xml_ok(get(&s, &format!("/api/virtual_servers/get?id={ve}"), ADMIN));
    assert_eq!(field(&created, "identity"), "1");
    // The `basic` template's defaults: nameserver, disk (KB → MB), memory (pages → MB), CPU.
    assert_eq!(
        (
            field(&created, "nameserver"),
            field(&created, "diskspace"),
            field(&created, "memory"),
            field(&created, "cpu_units")
        ),
        (
            "8.8.8.8".to_string(),
            "2252".to_string(),
            "272".to_string(),
            "1000".to_string()
        )
    );
    assert_eq!(field(&created, "state"), "stopped");
    let container = node
        .container("1")
        .expect("the container exists on the node");
    assert_eq!(
        (
            container.hostname.as_str(),
            container.ips.clone(),
            container.ostemplate.as_str(),
            container.config.as_str(),
            container.root_password.as_deref(),
            container.running
        ),
        (
            "c7.example.com",
            vec!["10.9.0.7".to_string()],
            "centos-5-x86_64",
            "basic",
            Some("rootpw7"),
            false
        )
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/start?id={ve}"),
            ADMIN
        )),
        status(true)
    );
    assert!(node.container("1").expect("container").running);
    let events = xml_ok(get(&s, "/api/event_log/list", ADMIN));
    assert!(
        events.contains("<t_message>Virtual server 1 was created.</t_message>"),
        "{events}"
    );
    assert!(
        events.contains("<t_message>Physical server 127.0.0.1 was connected.</t_message>"),
        "{events}"
    );

    // Suspend.
    let client = ("client7", "client-pass7");
    assert_eq!(
        get(&s, "/api/virtual_servers/own_servers", client).status,
        200
    );
    assert_eq!(
        field(
            &xml_ok(get(&s, "/api/users/get_by_login?login=client7", ADMIN)),
            "id"
        ),
        user.to_string()
    );
    assert_eq!(
        xml_ok(get(&s, &format!("/api/users/disable?id={user}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        field(
            &xml_ok(get(
                &s,
                "/api/virtual_servers/get_by_host?host=c7.example.com",
                ADMIN
            )),
            "id"
        ),
        ve.to_string()
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/stop?id={ve}"),
            ADMIN
        )),
        status(true)
    );
    assert!(!node.container("1").expect("container").running);
    assert_eq!(
        get(&s, "/api/virtual_servers/own_servers", client).status,
        401
    );

    // Unsuspend.
    assert_eq!(
        xml_ok(get(&s, &format!("/api/users/enable?id={user}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/start?id={ve}"),
            ADMIN
        )),
        status(true)
    );
    assert!(node.container("1").expect("container").running);
    assert!(
        xml_ok(get(&s, "/api/virtual_servers/own_servers", client))
            .contains("<host_name>c7.example.com</host_name>")
    );

    // Terminate.
    assert_eq!(
        xml_ok(get(&s, &format!("/api/users/delete?id={user}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/delete?id={ve}"),
            ADMIN
        )),
        status(true)
    );
    assert_eq!(node.container("1"), None);
    assert_eq!(
        xml_ok(get(&s, &format!("/api/virtual_servers/get?id={ve}"), ADMIN)),
        error("object_not_found", "Object not found.")
    );
    let commands = node.commands();
    let position = |prefix: &str| {
        commands
            .iter()
            .position(|c| c.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in {commands:#?}"))
    };
    assert!(
        position("vzctl create 1 --ostemplate centos-5-x86_64 --config basic")
            < position("vzctl set 1 --applyconfig basic --save")
    );
    assert!(position("vzctl stop 1") < position("vzctl destroy 1"));
    // A node failure is an internal_error with OWP's command text, and an event.
    node.lock().containers.insert(
        "150".into(),
        owp_node::Container {
            hostname: String::new(),
            ips: Vec::new(),
            running: false,
            ostemplate: String::new(),
            config: String::new(),
            root_password: None,
        },
    );
    let message = "Command 'vzctl create 150 --ostemplate centos-5-x86_64 --config basic' execution failed with code 44\nOutput: Container private area /vz/private/150 already exists\n";
    assert_eq!(
        xml_ok(get(
            &s,
            "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=centos-5-x86_64&orig_server_template=basic&identity=150",
            ADMIN,
        )),
        doc(&format!(
            "<error>\n  <code>internal_error</code>\n  <message>Internal error.</message>\n  <details>{message}</details>\n</error>\n"
        ))
    );
    let events = xml_ok(get(&s, "/api/event_log/list", ADMIN));
    assert!(
        events.contains(&format!("<message>internal_error</message>\n    <t_message>Internal error: {message}</t_message>")),
        "{events}"
    );
}

#[test]
fn a33_a34_owners_start_and_run_commands() {
    let (s, node) = node_server("owner-node-key-0123456789abcdef");
    let ve = created_id(&xml_ok(get(
        &s,
        "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=centos-5-x86_64&orig_server_template=basic&identity=101&user_id=2",
        ADMIN,
    )));
    let other = created_id(&xml_ok(get(
        &s,
        "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=centos-5-x86_64&orig_server_template=basic&identity=102",
        ADMIN,
    )));
    // A33.
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/start?id={ve}"),
            JOHN
        )),
        status(true)
    );
    assert_eq!(
        field(
            &xml_ok(get(&s, &format!("/api/virtual_servers/get?id={ve}"), JOHN)),
            "state"
        ),
        "running"
    );
    assert!(node.container("101").expect("container").running);
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/start?id={other}"),
            JOHN
        )),
        error("object_not_found", "Object not found.")
    );
    // A34.
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/exec?id={ve}&command=echo%20hi"),
            JOHN
        )),
        doc(
            "<result>\n  <status>\n    <exit-code type=\"integer\">0</exit-code>\n    <output>hi\n</output>\n  </status>\n</result>\n"
        )
    );
    assert!(node.lock().files.is_empty(), "the script file is removed");
    // A failing command is reported inside <status>, not as an <error>.
    let failed = xml_ok(get(
        &s,
        &format!("/api/virtual_servers/exec?id={ve}&command=false"),
        JOHN,
    ));
    assert!(
        failed.starts_with(&doc(
            "<result>\n  <status>\n    <error>Command 'vzctl runscript 101 /tmp/vecmd_"
        )),
        "{failed}"
    );
    assert!(
        failed.ends_with(
            "' execution failed with code 1\nOutput: </error>\n  </status>\n</result>\n"
        ),
        "{failed}"
    );
    // A failed state change: status false and a change_state_failed event.
    node.lock().containers.remove("101");
    assert_eq!(
        xml_ok(get(&s, &format!("/api/virtual_servers/stop?id={ve}"), JOHN)),
        status(false)
    );
    let events = xml_ok(get(&s, "/api/event_log/list", ADMIN));
    assert!(
        events.contains("<message>virtual_server.change_state_failed</message>\n    <t_message>Failed to change state for virtual server 101; state: stopped; code: 44.</t_message>"),
        "{events}"
    );
    assert!(
        events.contains("<level type=\"integer\">3</level>"),
        "{events}"
    );
}

#[test]
fn backups_are_tasks_and_stay_with_their_owner() {
    let (s, node) = node_server("backup-node-key-0123456789abcdef");
    let ve = created_id(&xml_ok(get(
        &s,
        "/api/virtual_servers/create?hardware_server_id=1&orig_os_template=centos-5-x86_64&orig_server_template=basic&identity=201&user_id=2",
        ADMIN,
    )));
    assert_eq!(
        xml_ok(get(&s, &format!("/api/backups/list?id={ve}"), JOHN)),
        doc("<nil_classes type=\"array\"/>\n")
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/backups/create?id={ve}&description=first"),
            JOHN
        )),
        doc("<hash>\n  <success type=\"boolean\">true</success>\n</hash>\n")
    );
    let list = xml_ok(get(&s, &format!("/api/backups/list?id={ve}"), JOHN));
    assert!(
        list.starts_with(&doc(
            "<records type=\"array\">\n  <record>\n    <archive_date>"
        )),
        "{list}"
    );
    assert!(
        list.contains("<description>first</description>")
            && list.contains("<size type=\"integer\">10</size>"),
        "{list}"
    );
    assert!(
        node.commands()
            .iter()
            .any(|c| c.starts_with("tar -cf /vz/dump/ve-dump.201.")
                && c.ends_with(".tar /vz/private/201")),
        "{:#?}",
        node.commands()
    );
    let tasks = xml_ok(get(&s, "/api/tasks/list", ADMIN));
    assert!(tasks.contains("<description>backups.create</description>\n    <id type=\"integer\">1</id>\n    <status type=\"integer\">0</status>\n    <t_description>Backup of the virtual server 201.</t_description>"), "{tasks}");
    // Another ve_admin cannot delete or restore john's backup.
    created_id(&xml_ok(get(
        &s,
        "/api/users/create?login=mallory&password=mallory-pass1&role_id=2",
        ADMIN,
    )));
    let mallory = ("mallory", "mallory-pass1");
    let missing = error("object_not_found", "Object not found.");
    assert_eq!(
        xml_ok(get(&s, "/api/backups/delete?id=1", mallory)),
        missing
    );
    assert_eq!(
        xml_ok(get(&s, "/api/backups/restore?id=1", mallory)),
        missing
    );
    let success = doc("<hash>\n  <success type=\"boolean\">true</success>\n</hash>\n");
    assert_eq!(xml_ok(get(&s, "/api/backups/restore?id=1", JOHN)), success);
    assert_eq!(xml_ok(get(&s, "/api/backups/delete?id=1", JOHN)), success);
    assert_eq!(
        xml_ok(get(&s, &format!("/api/backups/list?id={ve}"), JOHN)),
        doc("<nil_classes type=\"array\"/>\n")
    );
}

/// A server with OWP's plain-HTTP listener (`owp_listen`) and two nodes: the child, its OWP
/// port, and the folder to remove.
struct HttpServer {
    child: std::process::Child,
    port: u16,
    base: std::path::PathBuf,
}

impl HttpServer {
    fn start() -> Self {
        let base = temp_dir("hearth-owp-http-");
        let data = base.join("data");
        init(&data, Some(ADMIN_PASSWORD));
        fixtures(&data, 7767, "secretkey1");
        append(
            &data,
            "hardware_servers.conf",
            &["id='2' host='rock.lan' auth_key='secretkey2' daemon_port='7767' description='second' use_ssl='true' vswap='false'".into()],
        );
        let config = base.join("hearth.toml");
        std::fs::write(
            &config,
            "owp_listen = \"127.0.0.1:0\"\n[abuse]\nmax_failures = 1000000\n",
        )
        .expect("write the config");
        let (child, _, lines) = spawn_serve(&data, &base.join("server.log"), Some(&config));
        let port = lines
            .iter()
            .find_map(|line| line.strip_prefix("owp listening on http://127.0.0.1:"))
            .and_then(|port| port.trim().parse().ok())
            .unwrap_or_else(|| panic!("no OWP listener announced: {lines:?}"));
        HttpServer { child, port, base }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        sigterm(self.child.id());
        let _ = wait_timeout(&mut self.child, Duration::from_secs(30));
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Runs one of OWP's client samples (`tests/clients/owp/`) against the plain-HTTP listener.
fn run_owp_sample(program: &str, name: &str, server: &HttpServer) -> Output {
    let mut command = clients_command(program, &[]);
    command
        .arg(sample(&format!("owp/{name}")))
        .env("OWP_HOST", "127.0.0.1")
        .env("OWP_PORT", server.port.to_string())
        .env("OWP_USER", ADMIN.0)
        .env("OWP_PASSWORD", ADMIN.1);
    let output = run(&mut command);
    assert_eq!(output.code, 0, "{name} failed: {output:?}");
    output
}

#[test]
fn owp_ruby_and_php_samples_print_the_hosts() {
    let server = HttpServer::start();
    for (program, name) in [("ruby", "client.rb"), ("php", "client.php")] {
        let output = run_owp_sample(program, name, &server);
        assert!(
            output.stdout.starts_with(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hardware_servers type=\"array\">\n"
            ),
            "{name}: {output:?}"
        );
        assert!(
            output
                .stdout
                .ends_with("</hardware_servers>\nserver: note.lan\nserver: rock.lan\n"),
            "{name}: {output:?}"
        );
    }
    // The plain listener serves OWP only, never Hestia's /api/.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .post(format!("http://127.0.0.1:{}/api/", server.port))
            .form(&[
                ("user", "admin"),
                ("password", ADMIN_PASSWORD),
                ("cmd", "v-list-users"),
            ])
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    });
    assert_eq!(status, 404);
}

#[test]
fn users_and_ip_pools_update_and_delete() {
    let s = server();
    let id = created_id(&xml_ok(get(
        s,
        "/api/users/create?login=grace&password=grace-pass1&role_id=2&email=grace%40example.com",
        ADMIN,
    )));
    assert_eq!(
        xml_ok(get(
            s,
            &format!("/api/users/update?id={id}&email=bad&contact_name=G"),
            ADMIN
        )),
        invalid(&[("email", "is invalid")])
    );
    assert_eq!(
        xml_ok(get(
            s,
            &format!("/api/users/update?id={id}&password=grace-pass2&contact_name=Grace%20H"),
            ADMIN
        )),
        created(id)
    );
    assert_eq!(
        get(
            s,
            "/api/virtual_servers/own_servers",
            ("grace", "grace-pass1")
        )
        .status,
        401
    );
    assert_eq!(
        get(
            s,
            "/api/virtual_servers/own_servers",
            ("grace", "grace-pass2")
        )
        .status,
        200
    );
    let user = xml_ok(get(s, &format!("/api/users/get?id={id}"), ADMIN));
    assert!(
        user.contains("<contact_name>Grace H</contact_name>"),
        "{user}"
    );
    let events = xml_ok(get(s, "/api/event_log/list", ADMIN));
    assert!(
        events.contains("<t_message>User grace was updated.</t_message>"),
        "{events}"
    );

    let pool = created_id(&xml_ok(get(
        s,
        "/api/ip_pools/create?first_ip=10.2.0.1&last_ip=10.2.0.5&hardware_server_id=1",
        ADMIN,
    )));
    assert_eq!(
        xml_ok(get(
            s,
            &format!("/api/ip_pools/update?id={pool}&last_ip=nonsense"),
            ADMIN
        )),
        invalid(&[("last_ip", "Incorrect IP address.")])
    );
    assert_eq!(
        xml_ok(get(
            s,
            &format!("/api/ip_pools/update?id={pool}&last_ip=10.2.0.9"),
            ADMIN
        )),
        created(pool)
    );
    let list = xml_ok(get(s, "/api/ip_pools/list", ADMIN));
    assert!(
        list.contains("<last_ip>10.2.0.9</last_ip>")
            && list.contains("<hardware_server_id type=\"integer\">1</hardware_server_id>"),
        "{list}"
    );
    assert_eq!(
        xml_ok(get(s, &format!("/api/ip_pools/delete?id={pool}"), ADMIN)),
        status(true)
    );
    assert_eq!(
        xml_ok(get(s, &format!("/api/ip_pools/get?id={pool}"), ADMIN)),
        error("object_not_found", "Object not found.")
    );
}

#[test]
fn node_methods_sync_limits_reinstall_update_disconnect() {
    let (s, node) = node_server("methods-node-key-0123456789abcdef");
    assert!(
        xml_ok(get(&s, "/api/hardware_servers/get?id=1", ADMIN))
            .contains("<description>test node</description>")
    );
    // A container made on the node itself is imported by sync.
    node.lock().containers.insert(
        "300".into(),
        owp_node::Container {
            hostname: "imported.lan".into(),
            ips: vec!["10.3.0.1".into()],
            running: true,
            ostemplate: "debian-7.0-x86_64".into(),
            config: "basic".into(),
            root_password: None,
        },
    );
    assert_eq!(
        xml_ok(get(&s, "/api/hardware_servers/sync?id=1", ADMIN)),
        status(true)
    );
    let listed = xml_ok(get(&s, "/api/hardware_servers/virtual_servers?id=1", ADMIN));
    assert!(
        listed.contains("<host_name>imported.lan</host_name>")
            && listed.contains("<state>running</state>"),
        "{listed}"
    );
    let ve = field(&listed, "id").parse::<i64>().expect("id");
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/update?id={ve}&host_name=renamed.lan&user_id=2"),
            ADMIN
        )),
        created(ve)
    );
    assert_eq!(
        node.container("300").expect("container").hostname,
        "renamed.lan"
    );
    let limits = xml_ok(get(
        &s,
        &format!("/api/virtual_servers/get_advanced_limits?id={ve}"),
        JOHN,
    ));
    assert!(limits.starts_with(&doc("<limits type=\"array\">\n  <limit>\n    <name>KMEMSIZE</name>\n    <soft_limit>11055923</soft_limit>\n    <hard_limit>11377049</hard_limit>\n  </limit>\n")), "{limits}");
    assert!(limits.contains("<name>NUMPROC</name>\n    <soft_limit>240</soft_limit>\n    <hard_limit>240</hard_limit>"), "{limits}");
    assert!(
        limits.contains(
            "<name>SHMPAGES</name>\n    <soft_limit></soft_limit>\n    <hard_limit></hard_limit>"
        ),
        "{limits}"
    );
    assert_eq!(limits.matches("<limit>").count(), 20);
    let stats = xml_ok(get(
        &s,
        &format!("/api/virtual_servers/get_stats?id={ve}"),
        JOHN,
    ));
    assert!(
        stats.contains("<parameter>cpu_load_average</parameter>\n    <value>-</value>"),
        "{stats}"
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!("/api/virtual_servers/restart?id={ve}"),
            JOHN
        )),
        status(true)
    );
    assert_eq!(
        xml_ok(get(
            &s,
            &format!(
                "/api/virtual_servers/reinstall?id={ve}&password=newroot1&orig_os_template=centos-5-x86_64"
            ),
            JOHN
        )),
        doc("<hash>\n  <success type=\"boolean\">true</success>\n</hash>\n")
    );
    let container = node.container("300").expect("reinstalled");
    assert_eq!(
        (
            container.ostemplate.as_str(),
            container.running,
            container.root_password.as_deref()
        ),
        ("centos-5-x86_64", true, Some("newroot1"))
    );
    // A daemon that does not answer: update keeps the old settings, sync says nil.
    assert_eq!(
        xml_ok(get(
            &s,
            "/api/hardware_servers/update?id=1&daemon_port=1025",
            ADMIN
        )),
        invalid(&[("host", "Connection failed. Maybe daemon is not running.")])
    );
    assert!(
        xml_ok(get(&s, "/api/hardware_servers/get?id=1", ADMIN)).contains(&format!(
            "<daemon_port type=\"integer\">{}</daemon_port>",
            node.port
        ))
    );
    append(
        s.data_dir(),
        "hardware_servers.conf",
        &[
            "id='9' host='127.0.0.1' auth_key='k' daemon_port='1025' use_ssl='false' vswap='false'"
                .into(),
        ],
    );
    assert_eq!(
        xml_ok(get(&s, "/api/hardware_servers/sync?id=9", ADMIN)),
        doc("<result>\n  <status nil=\"true\"></status>\n</result>\n")
    );
    let events = xml_ok(get(&s, "/api/event_log/list", ADMIN));
    assert!(
        events.contains("<message>hardware_server.sync_failed</message>"),
        "{events}"
    );
    assert_eq!(
        xml_ok(get(&s, "/api/hardware_servers/disconnect?id=9", ADMIN)),
        status(true)
    );
    assert_eq!(
        xml_ok(get(&s, "/api/hardware_servers/disconnect?id=1", ADMIN)),
        status(true)
    );
    assert_eq!(
        xml_ok(get(&s, "/api/hardware_servers/list", ADMIN)),
        doc("<hardware_servers type=\"array\"/>\n")
    );
    assert_eq!(
        xml_ok(get(&s, &format!("/api/virtual_servers/get?id={ve}"), ADMIN)),
        error("object_not_found", "Object not found.")
    );
    assert!(
        node.container("300").is_some(),
        "disconnect leaves the node's containers alone"
    );
}

#[test]
fn user_managers_cannot_make_or_touch_superadmins() {
    let server = Server::start_with(&[], |data| {
        fixtures(data, 7767, "secretkey1");
        let mia = hearth::secrets::hash_password(MIA.1);
        append(
            data,
            "users.conf",
            &[format!(
                "id='4' login='mia' crypted_password='{mia}' role_id='3' enabled='true' created_at='2011-01-19T16:26:26Z'"
            )],
        );
        // A custom role (made in OWP's admin UI): it manages users, it is no superadmin.
        append(
            data,
            "roles.conf",
            &["id='3' name='user_manager' built_in='false' limit_backups='0' permissions='manage_users'".into()],
        );
    });
    let s = &server;
    let denied = error("access_denied", "Access denied.");
    assert_eq!(
        xml_ok(get(
            s,
            "/api/users/create?login=eve&password=eve-pass1&role_id=1",
            MIA
        )),
        denied
    );
    let harry = created_id(&xml_ok(get(
        s,
        "/api/users/create?login=harry&password=harry-pass1&role_id=2",
        MIA,
    )));
    assert_eq!(
        xml_ok(get(
            s,
            &format!("/api/users/update?id={harry}&role_id=1"),
            MIA
        )),
        denied
    );
    assert_eq!(
        xml_ok(get(s, "/api/users/update?id=1&password=taken-over1", MIA)),
        denied
    );
    assert_eq!(xml_ok(get(s, "/api/users/disable?id=1", MIA)), denied);
    assert_eq!(xml_ok(get(s, "/api/users/delete?id=1", MIA)), denied);
    assert_eq!(
        get(s, "/api/users/list", ADMIN).status,
        200,
        "admin keeps its password"
    );
    assert_eq!(xml_ok(get(s, "/api/hardware_servers/list", MIA)), denied);
    assert_eq!(
        xml_ok(get(s, &format!("/api/users/disable?id={harry}"), MIA)),
        status(true)
    );
}

#[test]
fn audit_records_and_the_locale_cookie() {
    let s = server();
    created_id(&xml_ok(get(
        s,
        "/api/users/create?login=ivan&password=ivan-secret9&role_id=2",
        ADMIN,
    )));
    let audit = std::fs::read_to_string(s.data_dir().join("log/audit.jsonl")).expect("audit log");
    assert!(
        !audit.contains("ivan-secret9"),
        "a password reached the audit log"
    );
    let record = audit
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|r| {
            r["command"] == "owp-users-create" && r["args"].to_string().contains("login=ivan")
        })
        .expect("an audit record of users/create");
    assert_eq!(record["principal"], "owp:admin");
    assert_eq!(record["code"], 200);
    assert!(
        record["args"].to_string().contains("password=******"),
        "{record}"
    );
    assert_eq!(
        record["plugin_sha256"].as_str().map(str::len),
        Some(64),
        "{record}"
    );
    // OWP's `locale` cookie switches the language like `?locale=`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let body = runtime.block_on(async {
        reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("https://127.0.0.1:{}/api/users/list", s.port()))
            .basic_auth(JOHN.0, Some(JOHN.1))
            .header("cookie", "theme=dark; locale=ru")
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body")
    });
    assert_eq!(body, error("access_denied", &refs("Доступ запрещен.")));
}

#[test]
fn serve_adds_owp_to_an_older_data_root() {
    let base = temp_dir("hearth-owp-upgrade-");
    let data = base.join("data");
    init(&data, Some(ADMIN_PASSWORD));
    std::fs::remove_dir_all(data.join("owp")).expect("remove owp/");
    let config = base.join("hearth.toml");
    std::fs::write(&config, "[abuse]\nmax_failures = 1000000\n").expect("write the config");
    let (mut child, port, _) = spawn_serve(&data, &base.join("server.log"), Some(&config));
    let answer = send(port, "/api/roles/list", Some(ADMIN), None);
    sigterm(child.id());
    let _ = wait_timeout(&mut child, Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&base);
    assert!(xml_ok(answer).contains("<name>ve_admin</name>"));
}

#[test]
fn every_method_is_served_by_the_plugin() {
    let s = server();
    for (controller, method, ..) in hearth::owp::METHODS {
        let body = xml_ok(get(s, &format!("/api/{controller}/{method}"), ADMIN));
        assert!(
            !body.contains("is not installed") && !body.contains("failed unexpectedly"),
            "{controller}/{method}: {body}"
        );
        assert!(
            body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<"),
            "{controller}/{method}: {body}"
        );
    }
}
