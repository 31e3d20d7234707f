//! Shared harness of the black-box suite: runs the real `hearth` binary on temporary data
//! roots and talks HTTPS to it the way Hestia API clients do.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_hearth");

/// The root admin's password in every data root the harness initialises.
pub const ADMIN_PASSWORD: &str = "Adm1n-Test-p4ss";

/// The body of Hestia's 405 answer.
pub const NULL_DATA_ERROR: &str = "Error: data received is null or invalid, check https://hestiacp.com/docs/server-administration/rest-api.html";

/// PHP's default content type.
pub const TEXT_HTML: &str = "text/html; charset=UTF-8";

/// The content type of a v2 answer whose body decodes to non-empty JSON.
pub const APPLICATION_JSON: &str = "application/json; charset=utf-8";

/// How long a server may take to announce its port.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// How long one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The test-only plugin that tries to leave its sandbox.
pub fn escape_plugin() -> PathBuf {
    PathBuf::from(concat!(
        env!("HEARTH_TEST_PLUGIN_DIR"),
        "/hearth_plugin_escape.wasm"
    ))
}

/// The test-only plugin that stages writes and then fails, or exhausts a resource.
pub fn hostile_plugin() -> PathBuf {
    test_plugin("hearth_plugin_hostile")
}

/// One shared server per test binary with the hostile plugin installed, a deadline of 1.5 s
/// (so timeouts take about a second), the default 128 MB memory limit, and no ban for the
/// many failures the hostile commands cause.
pub fn hostile_server() -> &'static Server {
    const CONFIG: &str = "[abuse]\nmax_failures = 1000000\n[limits]\ntimeout_ms = 1500\n";
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        Server::start_configured(&[(hostile_plugin(), "hostile.wasm")], Some(CONFIG), |_| {})
    })
}

/// A server log without terminal colours.
pub fn plain_log(server: &Server) -> String {
    let log = server.log();
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A test-only plugin built by `host/build.rs`, by file stem (e.g. `hearth_plugin_greedy`).
pub fn test_plugin(stem: &str) -> PathBuf {
    PathBuf::from(env!("HEARTH_TEST_PLUGIN_DIR")).join(format!("{stem}.wasm"))
}

/// The folder holding the PHP and NodeJS client samples.
pub fn clients_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/clients"))
}

/// A new temporary folder that outlives its handle (the caller removes it).
pub fn temp_dir(prefix: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("create a temporary folder")
        .keep()
}

/// `hearth --data-dir DIR` with nothing inherited that could point elsewhere.
pub fn hearth(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("HEARTH_DATA_DIR")
        .arg("--data-dir")
        .arg(data_dir);
    command
}

/// What a finished process printed and how it ended.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit status (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to completion.
#[track_caller]
pub fn run(command: &mut Command) -> Output {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `hearth init --data-dir DIR --admin-password PW`, asserting success.
#[track_caller]
pub fn init(data_dir: &Path, password: Option<&str>) -> Output {
    let mut command = hearth(data_dir);
    command.arg("init");
    if let Some(password) = password {
        command.arg("--admin-password").arg(password);
    }
    let output = run(&mut command);
    assert_eq!(output.code, 0, "hearth init failed: {output:?}");
    output
}

/// An access key: `ACCESS_KEY_ID` and its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

impl Key {
    /// `ID:SECRET`, the form `hash=` accepts.
    pub fn pair(&self) -> String {
        format!("{}:{}", self.id, self.secret)
    }
}

/// Parses `hearth key add`'s `ID:SECRET` line.
#[track_caller]
pub fn parse_key(stdout: &str) -> Key {
    let line = stdout.trim_end_matches('\n');
    let (id, secret) = line
        .split_once(':')
        .unwrap_or_else(|| panic!("`key add` printed no ID:SECRET: {stdout:?}"));
    Key {
        id: id.to_string(),
        secret: secret.to_string(),
    }
}

/// One HTTP answer as a Hestia client sees it.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// The `Hestia-Exit-Code` header.
    pub exit_code: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Response {
    /// Asserts status, `Hestia-Exit-Code` and the exact body.
    #[track_caller]
    pub fn expect(&self, status: u16, exit_code: Option<&str>, body: &str) -> &Self {
        assert_eq!(
            (self.status, self.exit_code.as_deref(), self.body.as_str()),
            (status, exit_code, body),
            "unexpected answer: {self:#?}"
        );
        self
    }

    /// Asserts status and `Hestia-Exit-Code` only.
    #[track_caller]
    pub fn expect_status(&self, status: u16, exit_code: Option<&str>) -> &Self {
        assert_eq!(
            (self.status, self.exit_code.as_deref()),
            (status, exit_code),
            "unexpected answer: {self:#?}"
        );
        self
    }

    /// Asserts the `Content-Type` header.
    #[track_caller]
    pub fn expect_type(&self, content_type: &str) -> &Self {
        assert_eq!(
            self.content_type.as_deref(),
            Some(content_type),
            "unexpected content type: {self:#?}"
        );
        self
    }

    /// The body parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not valid JSON ({e}): {self:#?}"))
    }
}

/// Hestia's `exit_code_to_http_code` (§1.7).
pub fn http_status(code: u32) -> u16 {
    match code {
        0 => 200,
        2 => 422,
        5 | 6 | 9 | 10 | 21 => 401,
        _ => 400,
    }
}

/// Form fields from string pairs.
pub fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Who a request authenticates as.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// Legacy `user=admin&password=...`.
    Admin,
    /// Legacy `user=admin` with another password.
    AdminPassword(&'a str),
    /// Legacy key: `hash=KEY`.
    LegacyKey(&'a str),
    /// Access key: `access_key=ID&secret_key=SECRET`.
    Key(&'a Key),
    /// Access key as `hash=ID:SECRET`.
    KeyHash(&'a Key),
}

/// The fields of an API call: credentials, `returncode`, `cmd` and `arg1..argN`.
pub fn call_fields(
    auth: Auth<'_>,
    returncode: bool,
    command: &str,
    args: &[&str],
) -> Vec<(String, String)> {
    let mut out = match auth {
        Auth::Admin => fields(&[("user", "admin"), ("password", ADMIN_PASSWORD)]),
        Auth::AdminPassword(password) => fields(&[("user", "admin"), ("password", password)]),
        Auth::LegacyKey(key) => fields(&[("hash", key)]),
        Auth::Key(key) => fields(&[("access_key", &key.id), ("secret_key", &key.secret)]),
        Auth::KeyHash(key) => fields(&[("hash", &key.pair())]),
    };
    out.push((
        "returncode".into(),
        if returncode { "yes" } else { "no" }.into(),
    ));
    out.push(("cmd".into(), command.into()));
    for (index, arg) in args.iter().enumerate() {
        out.push((format!("arg{}", index + 1), arg.to_string()));
    }
    out
}

/// A `multipart/form-data` body and its content type.
pub fn multipart(pairs: &[(String, String)]) -> (String, Vec<u8>) {
    let boundary = "----hearth-test-boundary-7d0c1f";
    let mut body = String::new();
    for (name, value) in pairs {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

/// A request to send.
enum Outgoing {
    Form(Vec<(String, String)>),
    /// Form fields with extra request headers (e.g. `X-Forwarded-For`).
    FormWithHeaders {
        pairs: Vec<(String, String)>,
        headers: Vec<(String, String)>,
    },
    Raw {
        content_type: Option<String>,
        body: Vec<u8>,
    },
    Get(String),
}

/// Sends one request to `url` on a fresh client and runtime (the harness shares servers
/// between tests, which each run on their own thread).
fn send(url: &str, request: Outgoing) -> Response {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(0)
            .build()
            .expect("build an HTTP client");
        let builder = match request {
            Outgoing::Form(pairs) => client.post(url).form(&pairs),
            Outgoing::FormWithHeaders { pairs, headers } => headers
                .iter()
                .fold(client.post(url).form(&pairs), |builder, (name, value)| {
                    builder.header(name.as_str(), value.as_str())
                }),
            Outgoing::Raw { content_type, body } => {
                let builder = client.post(url).body(body);
                match content_type {
                    Some(content_type) => builder.header("content-type", content_type),
                    None => builder,
                }
            }
            Outgoing::Get(query) => client.get(format!("{url}?{query}")),
        };
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
        let status = response.status().as_u16();
        let exit_code = header("hestia-exit-code");
        let content_type = header("content-type");
        let body = response.text().await.expect("read the body");
        Response {
            status,
            exit_code,
            content_type,
            body,
        }
    })
}

/// POSTs form fields to `https://127.0.0.1:PORT/api/` (for servers the harness did not
/// start).
pub fn post_form_to(port: u16, pairs: &[(String, String)]) -> Response {
    send(
        &format!("https://127.0.0.1:{port}/api/"),
        Outgoing::Form(pairs.to_vec()),
    )
}

/// Starts `hearth serve --listen 127.0.0.1:0` directly (no watchdog): the caller owns the
/// child and must stop it. Returns the child, the port and every stdout line before the
/// `listening on` one.
pub fn spawn_serve(
    data_dir: &Path,
    stderr_log: &Path,
    config: Option<&Path>,
) -> (Child, u16, Vec<String>) {
    let log = std::fs::File::create(stderr_log).expect("create the server log");
    let mut command = hearth(data_dir);
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("spawn hearth serve");
    let stdout = child.stdout.take().expect("piped stdout");
    match wait_for_port(stdout) {
        Ok((port, lines)) => (child, port, lines),
        Err(lines) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "hearth serve announced no port; stdout {lines:?}; stderr:\n{}",
                std::fs::read_to_string(stderr_log).unwrap_or_default()
            );
        }
    }
}

/// Reads stdout lines until `listening on https://127.0.0.1:PORT`; keeps draining it after.
fn wait_for_port(stdout: impl Read + Send + 'static) -> Result<(u16, Vec<String>), Vec<String>> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                // Nobody listens any more; keep draining so the server never blocks.
                continue;
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = receiver.recv_timeout(left) else {
            return Err(lines);
        };
        if let Some(rest) = line.strip_prefix("listening on https://") {
            let port = rest
                .rsplit(':')
                .next()
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or_else(|| panic!("unparsable announcement {line:?}"));
            return Ok((port, lines));
        }
        lines.push(line);
    }
}

/// Sends SIGTERM to a process.
pub fn sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid} failed");
}

/// Waits for a child for at most `limit`.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `serve --config` file for protocol tests: they send many deliberate authentication
/// failures from 127.0.0.1, which hearth's abuse guard (not part of Hestia) would otherwise
/// answer with a ban.
pub fn write_test_config(path: &Path) -> PathBuf {
    std::fs::write(path, "[abuse]\nmax_failures = 1000000\n").expect("write the config");
    path.to_path_buf()
}

/// The watchdog around `hearth serve`: when the test process goes away (or the harness
/// closes stdin), the server gets SIGTERM, is waited for, and the folder is removed.
const WATCHDOG: &str = r#"
"$1" --data-dir "$2" serve --listen 127.0.0.1:0 --config "$5" 2>>"$3" &
pid=$!
cat >/dev/null
kill -TERM "$pid" 2>/dev/null
wait "$pid"
status=$?
if [ -n "$4" ]; then rm -rf "$4"; fi
exit $status
"#;

/// A running `hearth serve` on its own temporary data root, initialised with
/// [`ADMIN_PASSWORD`]. Dropping it stops the server (SIGTERM, then wait).
pub struct Server {
    base: PathBuf,
    data: PathBuf,
    port: u16,
    child: Mutex<Option<(Child, Option<ChildStdin>)>>,
    root_key: OnceLock<Key>,
}

impl Server {
    /// Initialises a data root and starts a server on it.
    pub fn start() -> Self {
        Self::start_with(&[], |_| {})
    }

    /// Like [`Server::start`], installing and approving each (plugin file, installed name)
    /// with `hearth plugin install --yes` and running `prepare` on the data root before serving.
    pub fn start_with(plugins: &[(PathBuf, &str)], prepare: impl FnOnce(&Path)) -> Self {
        Self::start_configured(plugins, None, prepare)
    }

    /// Like [`Server::start_with`], serving with `config` as the `--config` file's text
    /// instead of [`write_test_config`]'s.
    pub fn start_configured(
        plugins: &[(PathBuf, &str)],
        config: Option<&str>,
        prepare: impl FnOnce(&Path),
    ) -> Self {
        let base = temp_dir("hearth-test-");
        let data = base.join("data");
        init(&data, Some(ADMIN_PASSWORD));
        for (source, name) in plugins {
            // Installed plugins load only once approved: install like an admin would.
            let stem = name.trim_end_matches(".wasm");
            let output = run(hearth(&data)
                .args(["plugin", "install", "--yes", "--name", stem])
                .arg(source));
            assert_eq!(
                output.code,
                0,
                "hearth plugin install {} (is the test plugin built?): {output:?}",
                source.display()
            );
        }
        prepare(&data);
        let log = base.join("server.log");
        let config = match config {
            Some(text) => {
                let path = base.join("hearth.toml");
                std::fs::write(&path, text).expect("write the config");
                path
            }
            None => write_test_config(&base.join("hearth.toml")),
        };
        let keep = std::env::var_os("HEARTH_TEST_KEEP").is_some();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("hearth-watchdog")
            .arg(BIN)
            .arg(&data)
            .arg(&log)
            .arg(if keep { Path::new("") } else { base.as_path() })
            .arg(&config)
            .env_remove("HEARTH_DATA_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the server watchdog");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let port = match wait_for_port(stdout) {
            Ok((port, _)) => port,
            Err(lines) => {
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                drop(stdin);
                let _ = wait_timeout(&mut child, Duration::from_secs(30));
                panic!("hearth serve announced no port; stdout {lines:?}; stderr:\n{log_text}");
            }
        };
        if keep {
            eprintln!(
                "hearth test server on port {port}, data root {}",
                data.display()
            );
        }
        Server {
            base,
            data,
            port,
            child: Mutex::new(Some((child, stdin))),
            root_key: OnceLock::new(),
        }
    }

    /// A server shared by the tests of one file, started on first use. It stops when the
    /// test process exits.
    pub fn shared(cell: &'static OnceLock<Server>) -> &'static Server {
        cell.get_or_init(Server::start)
    }

    /// The data root.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The server's stderr log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.base.join("server.log")).unwrap_or_default()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:PORT/api/`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/api/", self.port)
    }

    /// POSTs form fields (`application/x-www-form-urlencoded`).
    pub fn post_form(&self, pairs: &[(String, String)]) -> Response {
        send(&self.url(), Outgoing::Form(pairs.to_vec()))
    }

    /// POSTs form fields with extra request headers.
    pub fn post_form_with_headers(
        &self,
        pairs: &[(String, String)],
        headers: &[(&str, &str)],
    ) -> Response {
        send(
            &self.url(),
            Outgoing::FormWithHeaders {
                pairs: pairs.to_vec(),
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
        )
    }

    /// POSTs a raw body with the given content type (none when `None`).
    pub fn post_raw(&self, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Response {
        self.post_raw_to(&self.url(), content_type, body)
    }

    /// POSTs a raw body to another URL.
    pub fn post_raw_to(
        &self,
        url: &str,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        send(
            url,
            Outgoing::Raw {
                content_type: content_type.map(str::to_string),
                body: body.into(),
            },
        )
    }

    /// POSTs a JSON body as `application/json`.
    pub fn post_json(&self, value: &serde_json::Value) -> Response {
        self.post_raw(Some("application/json"), value.to_string())
    }

    /// POSTs fields as `multipart/form-data`.
    pub fn post_multipart(&self, pairs: &[(String, String)]) -> Response {
        let (content_type, body) = multipart(pairs);
        self.post_raw(Some(&content_type), body)
    }

    /// GETs `/api/?QUERY`.
    pub fn get(&self, query: &str) -> Response {
        send(&self.url(), Outgoing::Get(query.to_string()))
    }

    /// An API call with the given credentials.
    pub fn api(&self, auth: Auth<'_>, returncode: bool, command: &str, args: &[&str]) -> Response {
        self.post_form(&call_fields(auth, returncode, command, args))
    }

    /// A legacy call as the root admin with its password.
    pub fn legacy(&self, returncode: bool, command: &str, args: &[&str]) -> Response {
        self.api(Auth::Admin, returncode, command, args)
    }

    /// An access-key call with the root admin's unrestricted key.
    pub fn v2(&self, returncode: bool, command: &str, args: &[&str]) -> Response {
        let key = self.root_key().clone();
        self.api(Auth::Key(&key), returncode, command, args)
    }

    /// The root admin's unrestricted access key (created on first use).
    pub fn root_key(&self) -> &Key {
        self.root_key.get_or_init(|| self.add_key("admin", ""))
    }

    /// `hearth key add USER --permissions SETS`, asserting success.
    #[track_caller]
    pub fn add_key(&self, user: &str, permissions: &str) -> Key {
        let output =
            run(hearth(&self.data).args(["key", "add", user, "--permissions", permissions]));
        assert_eq!(output.code, 0, "hearth key add failed: {output:?}");
        parse_key(&output.stdout)
    }

    /// `hearth call CMD ARGS...` on this data root.
    pub fn call(&self, command: &str, args: &[&str]) -> Output {
        run(hearth(&self.data).arg("call").arg(command).args(args))
    }

    /// A file below the data root.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.data.join(relative)
    }

    /// Reads a file below the data root ("" when missing).
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_default()
    }

    /// The value of `KEY` in `conf/hestia.conf`.
    pub fn conf_value(&self, key: &str) -> Option<String> {
        conf_value(&self.read("conf/hestia.conf"), key)
    }

    /// Sets `KEY='value'` in `conf/hestia.conf` (replacing or appending), atomically.
    pub fn set_conf(&self, key: &str, value: &str) {
        set_conf(&self.data, key, value);
    }

    /// Stops the server: SIGTERM (through the watchdog), then wait. Returns its status.
    pub fn stop(&self) -> Option<ExitStatus> {
        let taken = self.child.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (mut child, stdin) = taken?;
        drop(stdin);
        match wait_timeout(&mut child, Duration::from_secs(60)) {
            Some(status) => Some(status),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The value of `KEY` in a `KEY='value'` file.
pub fn conf_value(text: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    text.lines().find_map(|line| {
        line.strip_prefix(&prefix)
            .map(|value| value.trim_matches('\'').to_string())
    })
}

/// Sets `KEY='value'` in `DIR/conf/hestia.conf`, writing a new file and renaming it over the
/// old one so the server never reads a half-written file.
pub fn set_conf(data_dir: &Path, key: &str, value: &str) {
    let path = data_dir.join("conf/hestia.conf");
    let text = std::fs::read_to_string(&path).expect("read hestia.conf");
    let prefix = format!("{key}=");
    let line = format!("{key}='{value}'");
    let mut found = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&prefix) {
                found = true;
                line.clone()
            } else {
                l.to_string()
            }
        })
        .collect();
    if !found {
        lines.push(line);
    }
    let temp = data_dir.join("conf/.hestia.conf.test-tmp");
    std::fs::write(&temp, lines.join("\n") + "\n").expect("write hestia.conf");
    std::fs::rename(&temp, &path).expect("replace hestia.conf");
}

/// Every regular file below `dir` (not following symlinks) with its bytes, by relative path.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut |relative, path| {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            let bytes = if meta.is_file() {
                std::fs::read(path).unwrap_or_default()
            } else if meta.file_type().is_symlink() {
                format!(
                    "symlink -> {}",
                    std::fs::read_link(path).unwrap_or_default().display()
                )
                .into_bytes()
            } else {
                b"dir".to_vec()
            };
            out.push((relative.to_path_buf(), bytes));
        }
    });
    out.sort();
    out
}

/// Calls `visit(relative, absolute)` for every entry below `dir`, not following symlinks.
pub fn walk(root: &Path, dir: &Path, visit: &mut dyn FnMut(&Path, &Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        visit(&relative, &path);
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(root, &path, visit);
        }
    }
}

/// The user argument mismatch answer of an access key.
pub fn mismatch(key: &Key) -> String {
    format!(
        "Error: Key {} - the \"user\" argument doesn\\'t match the key\\'s user",
        key.id
    )
}

/// The answer to a key calling a command outside its permission sets.
pub fn denied(key: &Key, command: &str) -> String {
    format!(
        "Error: Key {} don't have permission to run the command {command}",
        key.id
    )
}

/// A call that fails without changing anything, checked in all four modes: access key and
/// legacy password, each with `returncode=yes` and `no`.
#[track_caller]
pub fn expect_failure(s: &Server, command: &str, args: &[&str], code: u32, message: &str) {
    let code_text = code.to_string();
    s.v2(false, command, args)
        .expect(http_status(code), Some(&code_text), message)
        .expect_type(TEXT_HTML);
    s.v2(true, command, args)
        .expect(200, Some(&code_text), &code_text);
    s.legacy(false, command, args)
        .expect(200, None, &format!("{message}\n"))
        .expect_type(TEXT_HTML);
    s.legacy(true, command, args).expect(200, None, &code_text);
}

/// A silent command that must succeed (root access key, data mode: 204).
#[track_caller]
pub fn ok(s: &Server, command: &str, args: &[&str]) {
    s.v2(false, command, args).expect(204, Some("0"), "");
}

/// Creates a user through the API (`USER@hestiacp.com`, Hestia's test password).
#[track_caller]
pub fn add_user(s: &Server, user: &str) {
    add_user_with(s, user, &[]);
}

/// Like [`add_user`], with `extra` arguments (the package) after the email.
#[track_caller]
pub fn add_user_with(s: &Server, user: &str, extra: &[&str]) {
    let email = format!("{user}@hestiacp.com");
    let mut args = vec![user, "t3st-p4ssw0rd", email.as_str()];
    args.extend_from_slice(extra);
    ok(s, "v-add-user", &args);
}

/// A key of the user's `user.conf`.
pub fn user_value(s: &Server, user: &str, key: &str) -> String {
    hearth_sdk::conf::parse_source(&s.read(&format!("data/users/{user}/user.conf")))
        .expect("user.conf parses")
        .value(key)
        .to_string()
}

/// `conf/mysql.conf` as Hestia's installer writes it (`v-add-database-host mysql localhost
/// root ...`).
pub const MYSQL_HOSTS: &str = "HOST='localhost' USER='root' PASSWORD='mysql-root-pw' CHARSETS='UTF8,LATIN1,WIN1250,WIN1251,WIN1252,WIN1256,WIN1258,KOI8' MAX_DB='500' U_SYS_USERS='' U_DB_BASES='0' SUSPENDED='no' TIME='12:00:00' DATE='2024-05-01' PORT='3306'\n";

/// `conf/pgsql.conf` likewise (`v-add-database-host pgsql localhost postgres ...`).
pub const PGSQL_HOSTS: &str = "HOST='localhost' USER='postgres' PASSWORD='pgsql-root-pw' CHARSETS='UTF8,LATIN1,WIN1250,WIN1251,WIN1252,WIN1256,WIN1258,KOI8' TPL='template1' MAX_DB='500' U_SYS_USERS='' U_DB_BASES='0' SUSPENDED='no' TIME='12:00:00' DATE='2024-05-01' PORT='5432'\n";

/// Writes `conf/mysql.conf` into a data root before the server starts, so `v-add-database`
/// has a host.
pub fn write_mysql_hosts(data: &Path) {
    std::fs::write(data.join("conf/mysql.conf"), MYSQL_HOSTS).expect("write mysql.conf");
}

/// Writes both database host files (`mysql.conf`, `pgsql.conf`) into a data root.
pub fn write_db_hosts(data: &Path) {
    write_mysql_hosts(data);
    std::fs::write(data.join("conf/pgsql.conf"), PGSQL_HOSTS).expect("write pgsql.conf");
}

/// What the client tests need installed.
pub const CLIENTS_SETUP: &str = "the client tests need php-cli with php-curl, node, and axios in tests/clients/node_modules: \
     run `apt-get install -y php-cli php-curl nodejs npm` and `npm ci --prefix tests/clients`";

/// Fails (never skips) when php or its curl extension is missing.
pub fn require_php() {
    let php = Command::new("php")
        .args([
            "-r",
            "echo function_exists('curl_init') ? 'curl' : 'no curl';",
        ])
        .output();
    match php {
        Ok(output) if output.status.success() && output.stdout == b"curl" => {}
        Ok(output) => panic!(
            "php has no curl extension ({}); {CLIENTS_SETUP}",
            String::from_utf8_lossy(&output.stdout)
        ),
        Err(error) => panic!("php is not installed ({error}); {CLIENTS_SETUP}"),
    }
}

/// Fails (never skips) when node or axios is missing.
pub fn require_node() {
    match Command::new("node").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!("node --version failed: {output:?}; {CLIENTS_SETUP}"),
        Err(error) => panic!("node is not installed ({error}); {CLIENTS_SETUP}"),
    }
    let axios = clients_dir().join("node_modules/axios/package.json");
    assert!(
        axios.is_file(),
        "{} is missing; {CLIENTS_SETUP}",
        axios.display()
    );
}

/// A sample of `tests/clients/`, which must exist.
pub fn sample(name: &str) -> PathBuf {
    let path = clients_dir().join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// `timeout 120 PROGRAM FLAGS...` in `tests/clients/`, with no proxy variables.
pub fn clients_command(program: &str, flags: &[&str]) -> Command {
    let mut command = Command::new("timeout");
    command
        .arg("120")
        .arg(program)
        .args(flags)
        .current_dir(clients_dir());
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(proxy);
    }
    command
}
