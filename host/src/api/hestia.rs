//! HestiaCP's `POST /api/` (`web/api/index.php`), byte for byte: body parsing, the legacy and
//! access-key flows in Hestia's check order, and its response rules.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_sdk::ReturnCode;

use crate::audit::{AuditRecord, redact};
use crate::auth::{self, Principal};
use crate::authlog;
use crate::policy::{self, ApiMode};
use crate::runtime::Outcome;
use crate::service::Hearth;

/// The body of every unparsable request.
pub const NULL_DATA_ERROR: &str = "Error: data received is null or invalid, check https://hestiacp.com/docs/server-administration/rest-api.html";

/// PHP's `trim()` character set.
const PHP_TRIM: &[char] = &[' ', '\t', '\n', '\r', '\0', '\x0B'];

/// What PHP's `exec()` strips from the end of each line: C's `isspace` (form feed too, but
/// not NUL, unlike [`PHP_TRIM`]).
const EXEC_LINE_TRIM: &[char] = &[' ', '\t', '\n', '\r', '\x0B', '\x0C'];

/// The argument fields Hestia's API passes on, in order (`arg1` … `arg13`).
const ARG_FIELDS: [&str; 13] = [
    "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9", "arg10", "arg11",
    "arg12", "arg13",
];

/// Request fields after PHP's parsing: `$_POST`, or the decoded JSON object.
pub type Fields = HashMap<String, String>;

/// A fully parsed API call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiRequest {
    pub user: Option<String>,
    pub password: Option<String>,
    pub hash: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    /// `returncode=yes`: the body is the exit code.
    pub code_mode: bool,
    /// `cmd`, trimmed.
    pub command: String,
    /// `arg1..arg13` that are set, trimmed, gaps collapsed.
    pub args: Vec<String>,
}

/// Which flow a request takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Legacy,
    AccessKey,
}

impl ApiRequest {
    /// Hestia's dispatch: `hash=ID:SECRET` (20:40) becomes an access key; then access key and
    /// secret → access-key flow; `user` or `hash` → legacy; otherwise `None` (405).
    pub fn from_fields(mut fields: Fields) -> Option<(Self, Flow)> {
        if !fields.contains_key("access_key")
            && let Some(hash) = fields.get("hash")
            && let Some((id, secret)) = hash.split_once(':')
            && !secret.contains(':')
            && id.len() == 20
            && secret.len() == 40
        {
            let (id, secret) = (id.to_string(), secret.to_string());
            fields.insert("access_key".into(), id);
            fields.insert("secret_key".into(), secret);
            fields.remove("hash");
        }
        let flow = if fields.contains_key("access_key") && fields.contains_key("secret_key") {
            Flow::AccessKey
        } else if fields.contains_key("user") || fields.contains_key("hash") {
            Flow::Legacy
        } else {
            return None;
        };
        let args = ARG_FIELDS
            .iter()
            .filter_map(|name| fields.get(*name))
            .map(|arg| arg.trim_matches(PHP_TRIM).to_string())
            .collect();
        let request = Self {
            user: fields.get("user").cloned(),
            password: fields.get("password").cloned(),
            hash: fields.get("hash").cloned(),
            access_key: fields.get("access_key").cloned(),
            secret_key: fields.get("secret_key").cloned(),
            code_mode: fields.get("returncode").is_some_and(|v| v == "yes"),
            command: fields
                .get("cmd")
                .map(|c| c.trim_matches(PHP_TRIM).to_string())
                .unwrap_or_default(),
            args,
        };
        Some((request, flow))
    }
}

/// PHP's view of a body: form fields for form content types (when they carry `access_key`,
/// `user` or `hash`), else a JSON object from the raw body, whatever the content type.
pub fn parse_body(content_type: &str, body: &[u8]) -> Option<Fields> {
    if content_type.starts_with("application/x-www-form-urlencoded")
        && let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
    {
        let fields: Fields = pairs.into_iter().collect();
        if has_credentials(&fields) {
            return Some(fields);
        }
    }
    json_fields(body)
}

fn has_credentials(fields: &Fields) -> bool {
    ["access_key", "user", "hash"]
        .iter()
        .any(|key| fields.contains_key(*key))
}

/// A JSON object body as PHP's `json_decode(..., true)` plus `isset()` sees it: `null` is
/// unset, scalars are stringified.
fn json_fields(body: &[u8]) -> Option<Fields> {
    let serde_json::Value::Object(object) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    Some(
        object
            .into_iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(true) => "1".to_string(),
                    serde_json::Value::Bool(false) => String::new(),
                    _ => return None,
                };
                Some((key, text))
            })
            .collect(),
    )
}

/// What the handler sends back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub exit_code: Option<u16>,
    pub json: bool,
    pub body: String,
}

impl Reply {
    fn text(status: StatusCode, exit_code: Option<u16>, body: impl Into<String>) -> Self {
        Self {
            status,
            exit_code,
            json: false,
            body: body.into(),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let content_type = if self.json {
            "application/json; charset=utf-8"
        } else {
            "text/html; charset=UTF-8"
        };
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(code) = self.exit_code {
            headers.insert("Hestia-Exit-Code", HeaderValue::from(code));
        }
        response
    }
}

/// Hestia's `exit_code_to_http_code`.
pub fn http_status(code: u16) -> StatusCode {
    match code {
        0 => StatusCode::OK,
        2 => StatusCode::UNPROCESSABLE_ENTITY,
        5 | 6 | 9 | 10 | 21 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Hestia's `api_error()`: status from the code, `Hestia-Exit-Code`, and the code or the
/// message (with `Error: ` prefixed unless present) as the body.
pub fn api_error(code: u16, message: &str, code_mode: bool) -> Reply {
    let body = if code_mode {
        code.to_string()
    } else if message.starts_with("Error:") {
        message.to_string()
    } else {
        format!("Error: {message}")
    };
    let status = if code >= 100 {
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
    } else {
        http_status(code)
    };
    Reply::text(status, Some(code), body)
}

/// PHP `exec()`'s lines joined by newlines, as Hestia's API prints them: the output split at
/// newlines, the final newline dropped, every line right-trimmed ([`EXEC_LINE_TRIM`]).
pub fn exec_text(output: &str) -> String {
    let mut text = String::with_capacity(output.len());
    if output.is_empty() {
        return text;
    }
    let output = output.strip_suffix('\n').unwrap_or(output);
    for (index, line) in output.split('\n').enumerate() {
        if index > 0 {
            text.push('\n');
        }
        text.push_str(line.trim_end_matches(EXEC_LINE_TRIM));
    }
    text
}

/// PHP's `empty()` of a string, i.e. its falsiness: `""` and `"0"`.
fn php_empty(text: &str) -> bool {
    text.is_empty() || text == "0"
}

/// PHP's truthiness of `json_decode($output, true)`. An object or array (what list commands
/// print) is only validated, without building it, and is truthy when not empty.
pub fn is_truthy_json(text: &str) -> bool {
    use serde_json::Value;
    const JSON_BLANKS: [char; 4] = [' ', '\t', '\n', '\r'];
    let trimmed = text.trim_start_matches(JSON_BLANKS);
    if let Some(inner) = trimmed.strip_prefix(['{', '[']) {
        let empty = inner
            .trim_start_matches(JSON_BLANKS)
            .starts_with(['}', ']']);
        return !empty && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) => !php_empty(&s),
        Ok(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Ok(Value::Bool(b)) => b,
        Ok(Value::Object(_) | Value::Array(_) | Value::Null) | Err(_) => false,
    }
}

/// What the audit record of a request says.
struct Audit {
    principal: String,
    command: String,
    args: Vec<String>,
    code: u16,
    plugin_sha256: Option<String>,
}

impl Audit {
    fn new(request: Option<&ApiRequest>) -> Self {
        Self {
            principal: "-".into(),
            command: request.map(|r| r.command.clone()).unwrap_or_default(),
            args: Vec::new(),
            code: 0,
            plugin_sha256: None,
        }
    }
}

/// The `/api/` handler.
pub async fn handle(
    State(hearth): State<Arc<Hearth>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let forwarded_for = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok());
    let ip = policy::client_ip_string(hearth.client_ip(peer.ip(), forwarded_for));
    let fields = read_fields(request).await;
    let parsed = fields.and_then(ApiRequest::from_fields);
    let mut audit = Audit::new(parsed.as_ref().map(|(request, _)| request));
    let reply = match &parsed {
        None => Reply::text(StatusCode::METHOD_NOT_ALLOWED, Some(405), NULL_DATA_ERROR),
        Some((request, _)) if hearth.guard().is_banned(&ip) => api_error(
            10,
            "Error: too many failed login attempts from this address, try again later",
            request.code_mode,
        ),
        Some((request, Flow::Legacy)) => legacy(&hearth, request, &ip, &mut audit).await,
        Some((request, Flow::AccessKey)) => access_key(&hearth, request, &ip, &mut audit).await,
    };
    if audit.code == 0 {
        audit.code = reply.exit_code.unwrap_or(0);
    }
    hearth.audit().record(&AuditRecord {
        time: authlog::timestamp(),
        ip: &ip,
        principal: &audit.principal,
        command: &audit.command,
        args: audit.args,
        code: audit.code,
        duration_us: started.elapsed().as_micros(),
        plugin_sha256: audit.plugin_sha256.as_deref(),
    });
    reply.into_response()
}

async fn read_fields(request: Request) -> Option<Fields> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &()).await.ok()?;
        let mut fields = Fields::new();
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().unwrap_or("").to_string();
            if let Ok(value) = field.text().await {
                fields.insert(name, value);
            }
        }
        // A multipart body has no raw input for the JSON fallback.
        return has_credentials(&fields).then_some(fields);
    }
    let body = Bytes::from_request(request, &()).await.ok()?;
    parse_body(&content_type, &body)
}

/// `Error: Command not provided` / `Error: <cmd> command invalid`.
fn command_error(command: &str, code_mode: bool) -> Option<Reply> {
    if command.is_empty() {
        Some(api_error(2, "Error: Command not provided", code_mode))
    } else if !policy::is_command_name(command) {
        Some(api_error(
            2,
            &format!("Error: {command} command invalid"),
            code_mode,
        ))
    } else {
        None
    }
}

async fn legacy(hearth: &Arc<Hearth>, request: &ApiRequest, ip: &str, audit: &mut Audit) -> Reply {
    let code_mode = request.code_mode;
    let settings = match hearth.settings() {
        Ok(settings) => settings,
        Err(error) => return broken_store(&error, code_mode),
    };
    if !settings.legacy_api_enabled() {
        // index.php echoes one message, then api_error() prints another.
        let body = if code_mode {
            "Error: API has been disabled11"
        } else {
            "Error: API has been disabledError: API Disabled"
        };
        return Reply::text(StatusCode::BAD_REQUEST, Some(11), body);
    }
    let hash = request.hash.as_deref().unwrap_or("");
    let root_user = settings.root_user().to_string();
    // What auth.log names: the root user, or `api` for keys. Any other presented user name is
    // attacker-chosen text and is never echoed (Hestia does not log that case at all).
    let presented = if !hash.is_empty() {
        "api"
    } else if request.user.as_deref() == Some(root_user.as_str()) {
        root_user.as_str()
    } else {
        "invalid-user"
    };
    if !policy::ip_allowed(&settings, ip, ApiMode::Legacy) {
        hearth.login_failed(presented, ip, None);
        return api_error(
            10,
            "Error: IP is not allowed to connect with API",
            code_mode,
        );
    }
    let root_user = settings.root_user().to_string();
    let principal = if hash.is_empty() {
        if request.user.as_deref() != Some(root_user.as_str()) {
            hearth.login_failed(presented, ip, None);
            return api_error(10, "Error: authentication failed", code_mode);
        }
        let Some(password) = request.password.clone() else {
            hearth.login_failed(presented, ip, None);
            return api_error(9, "Error: authentication failed", code_mode);
        };
        // A recently verified password is answered inline; only a cache miss pays argon2,
        // on the blocking pool.
        let stored = match auth::admin_password_hash(hearth.root(), &root_user) {
            Ok(stored) => stored,
            Err(error) => return broken_store(&error, code_mode),
        };
        let verified = match stored {
            Some(stored)
                if hearth
                    .passwords()
                    .recently_verified(&root_user, &password, &stored) =>
            {
                Ok(Ok(true))
            }
            _ => {
                let checker = hearth.clone();
                let user = root_user.clone();
                tokio::task::spawn_blocking(move || {
                    auth::check_admin_password(
                        checker.root(),
                        checker.passwords(),
                        &user,
                        &password,
                    )
                })
                .await
            }
        };
        match verified {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) | Err(_) => {
                hearth.login_failed(&root_user, ip, None);
                return api_error(9, "Error: authentication failed", code_mode);
            }
            Ok(Err(error)) => return broken_store(&error, code_mode),
        }
        hearth
            .auth_log()
            .record(&root_user, ip, "successfully logged in");
        Principal::Admin {
            user: root_user.clone(),
        }
    } else {
        if !auth::check_legacy_key(hearth.root(), hash) {
            hearth.login_failed("api", ip, None);
            return api_error(9, "Error: authentication failed", code_mode);
        }
        hearth.auth_log().record("api", ip, "successfully launched");
        Principal::LegacyKey
    };
    audit.principal = principal.log_name().to_string();
    if let Some(reply) = command_error(&request.command, code_mode) {
        return reply;
    }
    if request.command == "v-make-tmp-file" {
        hearth.make_tmp_file(principal.log_name(), &request.args);
        audit.args = redact(&request.args, &[1]);
        let body = if code_mode { "" } else { "OK" };
        return Reply::text(StatusCode::OK, None, body);
    }
    let outcome = run(hearth, &principal, request, &root_user, audit).await;
    let body = if code_mode {
        outcome.code.to_string()
    } else if outcome.output.is_empty() {
        "OK".to_string()
    } else {
        exec_text(&outcome.output) + "\n"
    };
    Reply::text(StatusCode::OK, None, body)
}

async fn access_key(
    hearth: &Arc<Hearth>,
    request: &ApiRequest,
    ip: &str,
    audit: &mut Audit,
) -> Reply {
    let code_mode = request.code_mode;
    let settings = match hearth.settings() {
        Ok(settings) => settings,
        Err(error) => return broken_store(&error, code_mode),
    };
    let api_system = settings.api_system();
    if api_system == 0 {
        return api_error(11, "Error: API has been disabled", code_mode);
    }
    let id = request
        .access_key
        .as_deref()
        .unwrap_or("")
        .trim_matches(PHP_TRIM);
    let secret = request
        .secret_key
        .as_deref()
        .unwrap_or("")
        .trim_matches(PHP_TRIM);
    let well_formed_id = hearth_sdk::validate::access_key_id(id)
        .is_ok()
        .then_some(id);
    let who = well_formed_id.unwrap_or("api");
    if !policy::ip_allowed(&settings, ip, ApiMode::AccessKey) {
        hearth.login_failed(who, ip, well_formed_id);
        return api_error(
            10,
            "Error: IP is not allowed to connect with API",
            code_mode,
        );
    }
    if let Some(reply) = command_error(&request.command, code_mode) {
        return reply;
    }
    if id.is_empty() || secret.is_empty() {
        hearth.login_failed(who, ip, None);
        return api_error(9, "Error: Authentication failed", code_mode);
    }
    let root_user = settings.root_user().to_string();
    let resolved = hearth.runtime().resolve(&request.command);
    let command = auth::CommandFacts {
        name: &request.command,
        user_arg: resolved.as_ref().map(|r| r.spec().user_arg),
    };
    let key = match auth::check_access_key(hearth.root(), &root_user, id, secret, command, ip) {
        Ok(key) => key,
        Err(error) => {
            hearth.login_failed(who, ip, well_formed_id);
            if let auth::AccessKeyError::Data(cause) = &error {
                tracing::error!(error = %cause, "access key check failed");
            }
            return api_error(
                u16::from(error.code().as_u8()),
                &error.client_message(),
                code_mode,
            );
        }
    };
    hearth.auth_log().record(
        &key.id,
        ip,
        &format!(
            "{} successfully launched",
            authlog::log_safe(&request.command)
        ),
    );
    audit.principal = key.id.clone();
    hearth
        .log_history(
            &key.user,
            "Info",
            "API",
            &format!(
                "[{ip}] Access key {} successfully launched with command {}",
                key.id, request.command
            ),
        )
        .await;
    let is_root = key.user == root_user;
    if !is_root && api_system < 2 {
        hearth.login_failed(&key.id, ip, Some(&key.id));
        return api_error(
            u16::from(ReturnCode::ApiDisabled.as_u8()),
            "Error: API has been disabled",
            code_mode,
        );
    }
    if request.command == "v-make-tmp-file" {
        hearth.make_tmp_file(&key.id, &request.args);
        audit.args = redact(&request.args, &[1]);
        return if code_mode {
            Reply::text(StatusCode::OK, Some(0), "0")
        } else {
            Reply::text(StatusCode::NO_CONTENT, Some(0), "")
        };
    }
    if let Some(resolved) = &resolved
        && !auth::user_argument_matches(&key, &root_user, resolved.spec().user_arg, &request.args)
    {
        hearth.login_failed(&key.id, ip, Some(&key.id));
        return api_error(
            10,
            &format!(
                "Error: Key {} - the \"user\" argument doesn\\'t match the key\\'s user",
                key.id
            ),
            code_mode,
        );
    }
    let principal = Principal::AccessKey(key);
    let outcome = run(hearth, &principal, request, &root_user, audit).await;
    let code = u16::from(outcome.code);
    if code_mode {
        return Reply::text(StatusCode::OK, Some(code), code.to_string());
    }
    // Only a memoized read's answer is remembered: the read cache holds it anyway, and the
    // run was handed no secret (another command's output may carry one it made or read).
    let (body, json) = if outcome.memoized {
        RECENT_V2_BODIES.with_borrow_mut(|recent| recent.body(&outcome.output))
    } else {
        v2_body(&outcome.output)
    };
    if code > 0 {
        Reply::text(http_status(code), Some(code), body)
    } else if php_empty(&body) {
        // Hestia answers `!empty($cmd_output) ? 200 : 204`, and nginx sends no body with 204.
        Reply::text(StatusCode::NO_CONTENT, Some(0), "")
    } else {
        Reply {
            json,
            ..Reply::text(StatusCode::OK, Some(0), body)
        }
    }
}

/// The body Hestia's v2 API makes of a command's output, `trim(implode("\n", $lines))` of
/// its `exec()` lines, and whether PHP's `json_decode` of it is truthy (sent as JSON when
/// the command succeeded).
fn v2_body(output: &str) -> (String, bool) {
    let mut body = exec_text(output);
    body.truncate(body.trim_end_matches(PHP_TRIM).len());
    body.drain(..body.len() - body.trim_start_matches(PHP_TRIM).len());
    let json = !body.is_empty() && is_truthy_json(&body);
    (body, json)
}

/// The [`v2_body`]s of the last few outputs answered, most recently used first: a memoized
/// read gives the same output request after request, and the trims and the JSON check cost
/// more than comparing it with the ones seen last.
#[derive(Default)]
struct RecentV2Bodies(std::collections::VecDeque<(String, String, bool)>);

impl RecentV2Bodies {
    /// How many outputs are remembered.
    const REMEMBERED: usize = 4;
    /// Longer outputs are not remembered: comparing them costs about what answering does.
    const LONGEST: usize = 64 << 10;

    /// [`v2_body`] of `output`, remembered.
    fn body(&mut self, output: &str) -> (String, bool) {
        if output.len() > Self::LONGEST {
            return v2_body(output);
        }
        if let Some(position) = self.0.iter().position(|(seen, ..)| seen == output) {
            let entry = self.0.remove(position).expect("a found position");
            let answer = (entry.1.clone(), entry.2);
            self.0.push_front(entry);
            return answer;
        }
        let (body, json) = v2_body(output);
        self.0.truncate(Self::REMEMBERED - 1);
        self.0.push_front((output.to_string(), body.clone(), json));
        (body, json)
    }

    #[cfg(test)]
    fn remembers(&self, output: &str) -> bool {
        self.0.iter().any(|(seen, ..)| seen == output)
    }
}

thread_local! {
    /// Each thread's own, so answering takes no lock.
    static RECENT_V2_BODIES: std::cell::RefCell<RecentV2Bodies> = std::cell::RefCell::default();
}

/// Runs an authenticated command and fills in the audit record.
async fn run(
    hearth: &Arc<Hearth>,
    principal: &Principal,
    request: &ApiRequest,
    root_user: &str,
    audit: &mut Audit,
) -> Outcome {
    // OWP methods are reached only through /api/<controller>/<method>, with OWP's checks.
    let Some(resolved) = hearth
        .runtime()
        .resolve(&request.command)
        .filter(|_| !request.command.starts_with("owp-"))
    else {
        audit.args = request.args.clone();
        let outcome = Outcome::new(
            ReturnCode::Forbidden.as_u8(),
            format!("Error: Command {} not found", request.command),
        );
        audit.code = u16::from(outcome.code);
        return outcome;
    };
    audit.args = redact(&request.args, &resolved.spec().secret_args);
    audit.plugin_sha256 = Some(resolved.plugin.sha256().to_string());
    let outcome = hearth
        .execute(principal.log_name(), &resolved, &request.args, root_user)
        .await;
    audit.code = u16::from(outcome.code);
    outcome
}

fn broken_store(error: &crate::data::DataError, code_mode: bool) -> Reply {
    tracing::error!(%error, "the data root could not be read");
    api_error(12, "Error: configuration is broken", code_mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn args_collapse_gaps_and_trim() {
        let (request, flow) = ApiRequest::from_fields(fields(&[
            ("user", "admin"),
            ("cmd", " v-list-user "),
            ("arg1", " alice "),
            ("arg3", "json"),
            ("arg14", "ignored"),
        ]))
        .unwrap();
        assert_eq!(flow, Flow::Legacy);
        assert_eq!(request.command, "v-list-user");
        assert_eq!(request.args, vec!["alice", "json"]);
    }

    #[test]
    fn hash_pair_switches_to_access_keys() {
        let id = "A".repeat(20);
        let secret = "b".repeat(40);
        let (request, flow) =
            ApiRequest::from_fields(fields(&[("hash", &format!("{id}:{secret}"))])).unwrap();
        assert_eq!(flow, Flow::AccessKey);
        assert_eq!(request.access_key.as_deref(), Some(id.as_str()));
        assert_eq!(request.hash, None);
        let (_, flow) = ApiRequest::from_fields(fields(&[("hash", "shortkey:x")])).unwrap();
        assert_eq!(flow, Flow::Legacy);
        // PHP's strlen counts bytes: 20 characters of two bytes each are no access key.
        let wide = format!("{}:{secret}", "é".repeat(20));
        let (request, flow) = ApiRequest::from_fields(fields(&[("hash", &wide)])).unwrap();
        assert_eq!((flow, request.hash), (Flow::Legacy, Some(wide)));
    }

    #[test]
    fn access_key_without_secret_is_unparsable() {
        assert!(ApiRequest::from_fields(fields(&[("access_key", "x")])).is_none());
        assert!(ApiRequest::from_fields(fields(&[("secret_key", "x"), ("cmd", "v")])).is_none());
    }

    #[test]
    fn json_bodies_work_with_any_content_type() {
        let body = br#"{"user":"admin","password":"p","cmd":"v-list-users","arg1":null,"arg2":5}"#;
        let parsed = parse_body("application/x-www-form-urlencoded", body).unwrap();
        assert_eq!(parsed.get("cmd").map(String::as_str), Some("v-list-users"));
        assert!(!parsed.contains_key("arg1"));
        assert_eq!(parsed.get("arg2").map(String::as_str), Some("5"));
        assert!(parse_body("text/plain", b"user=admin").is_none());
        assert!(parse_body("application/x-www-form-urlencoded", b"cmd=x").is_none());
    }

    #[test]
    fn exec_text_follows_php() {
        assert_eq!(exec_text(""), "");
        assert_eq!(exec_text("\n"), "");
        assert_eq!(exec_text("a  \nb\t\n"), "a\nb");
        assert_eq!(exec_text("a\n\n"), "a\n");
        assert_eq!(exec_text(" a \r\n\0b"), " a\n\0b");
        assert_eq!(exec_text("a\x0C\nb\0\nc \x0B"), "a\nb\0\nc");
    }

    #[test]
    fn recent_v2_bodies_are_the_ones_their_outputs_give() {
        let outputs = [
            "{\n  \"alice\": {\"NAME\": \"Alice\"}\n}\n",
            "USER  ROLE\t\nalice  user\t\n",
            "",
            "\n \n",
            "[]\n",
            "0\n",
        ];
        let mut recent = RecentV2Bodies::default();
        for output in &outputs[..4] {
            assert_eq!(recent.body(output), v2_body(output), "{output:?}");
        }
        assert!(outputs[..4].iter().all(|output| recent.remembers(output)));
        // A remembered one, answered again, becomes the most recently used.
        assert_eq!(recent.body(outputs[0]), v2_body(outputs[0]));
        // Two more push out the two least recently used.
        for output in &outputs[4..] {
            assert_eq!(recent.body(output), v2_body(output), "{output:?}");
        }
        let remembered: Vec<_> = outputs.iter().map(|o| recent.remembers(o)).collect();
        assert_eq!(remembered, [true, false, false, true, true, true]);
        assert_eq!(recent.body(outputs[1]), v2_body(outputs[1]));
        assert!(v2_body(outputs[0]).1);
        assert_eq!(
            v2_body(outputs[1]),
            ("USER  ROLE\nalice  user".into(), false)
        );
        assert_eq!(v2_body(outputs[3]), (String::new(), false));
        let long = format!("[\"{}\"]", "x".repeat(RecentV2Bodies::LONGEST));
        assert_eq!(recent.body(&long), v2_body(&long));
        assert!(!recent.remembers(&long), "too long to remember");
    }

    #[test]
    fn exec_text_is_what_phps_exec_gives() {
        // The real PHP (php-cli, which the test setup installs): `exec()` of a command that
        // prints each output, its lines joined by newlines.
        let outputs: [&[u8]; 9] = [
            b"",
            b"\n\n\n",
            b"plain\n",
            b"no final newline",
            b"  lead and trail \t \n\tnext\r\n",
            b"form feed\x0C\nvertical tab\x0B\nnul\0\n\0\n",
            b"USER  ROLE\t\nalice  user\t\n\n\nafter blanks \n",
            b"\r\n \n\x0C\x0B\t\n",
            "no-break space\u{a0}\n\u{2003}em space \u{2003}\n".as_bytes(),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (index, output) in outputs.iter().enumerate() {
            let file = dir.path().join(format!("output-{index}"));
            std::fs::write(&file, output).unwrap();
            let script =
                r#"exec("cat " . escapeshellarg($argv[1]), $lines); echo implode("\n", $lines);"#;
            let php = std::process::Command::new("php")
                .args(["-r", script])
                .arg(&file)
                .output()
                .expect("php-cli is installed (scripts/setup --tests)");
            assert!(php.status.success(), "{php:?}");
            let text = String::from_utf8(output.to_vec()).unwrap();
            let php_text = String::from_utf8(php.stdout).unwrap();
            assert_eq!(exec_text(&text), php_text, "output {text:?}");
        }
    }

    #[test]
    fn json_truthiness_follows_php() {
        assert!(is_truthy_json("{\"a\": 1}"));
        assert!(!is_truthy_json("{\n}"));
        assert!(!is_truthy_json("[]"));
        assert!(!is_truthy_json("0"));
        assert!(!is_truthy_json("\"0\""));
        assert!(!is_truthy_json("USER  ROLE"));
        assert!(is_truthy_json(" [0]"));
        assert!(is_truthy_json("{\"a\": {}}\n"));
        assert!(!is_truthy_json("{\"a\": 1"));
        assert!(!is_truthy_json("[1] trailing"));
        assert!(is_truthy_json("\"x\""));
        assert!(is_truthy_json("1.5"));
        assert!(!is_truthy_json("null"));
    }

    #[test]
    fn status_mapping() {
        assert_eq!(http_status(0), StatusCode::OK);
        assert_eq!(http_status(1), StatusCode::BAD_REQUEST);
        assert_eq!(http_status(2), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(http_status(3), StatusCode::BAD_REQUEST);
        assert_eq!(http_status(9), StatusCode::UNAUTHORIZED);
        assert_eq!(http_status(21), StatusCode::UNAUTHORIZED);
        assert_eq!(http_status(127), StatusCode::BAD_REQUEST);
        assert_eq!(
            api_error(405, "x", false).status,
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[test]
    fn api_error_prefixes_once() {
        assert_eq!(api_error(9, "Error: x", false).body, "Error: x");
        assert_eq!(api_error(9, "x", false).body, "Error: x");
        assert_eq!(api_error(9, "x", true).body, "9");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Form or JSON fields that carry a login, as a client would send them.
        fn login_fields() -> impl Strategy<Value = Fields> {
            (
                proptest::collection::hash_map("[a-z0-9_]{1,12}", "\\PC{0,30}", 0..10),
                "\\PC{1,20}",
            )
                .prop_map(|(mut fields, user)| {
                    fields.insert("user".to_string(), user);
                    fields
                })
        }

        proptest! {
            #[test]
            fn the_body_parser_never_panics(
                content_type in prop_oneof![
                    Just("application/x-www-form-urlencoded".to_string()),
                    Just("application/json".to_string()),
                    "\\PC{0,40}",
                ],
                body in proptest::collection::vec(any::<u8>(), 0..256),
            ) {
                if let Some(fields) = parse_body(&content_type, &body) {
                    let _ = ApiRequest::from_fields(fields);
                }
            }

            #[test]
            fn form_bodies_parse_back_to_their_fields(fields in login_fields()) {
                let pairs: Vec<(&String, &String)> = fields.iter().collect();
                let body = serde_urlencoded::to_string(&pairs).unwrap();
                let parsed = parse_body("application/x-www-form-urlencoded", body.as_bytes());
                prop_assert_eq!(parsed, Some(fields));
            }

            #[test]
            fn json_bodies_parse_back_to_their_fields(fields in login_fields()) {
                let body = serde_json::to_vec(&fields).unwrap();
                prop_assert_eq!(parse_body("application/json", &body), Some(fields.clone()));
                // PHP reads a JSON body whatever the content type says.
                prop_assert_eq!(parse_body("text/plain", &body), Some(fields));
            }

            #[test]
            fn a_request_keeps_its_command_and_arguments_in_order(
                command in "v-[a-z-]{1,20}",
                args in proptest::collection::vec("[^ \\t\\n\\r\\x00\\x0B]([^\\n]{0,20}[^ \\t\\n\\r\\x00\\x0B])?", 0..13),
                code_mode in any::<bool>(),
            ) {
                let mut pairs: Vec<(String, String)> = vec![
                    ("user".into(), "admin".into()),
                    ("password".into(), "secret".into()),
                    ("cmd".into(), command.clone()),
                    ("returncode".into(), if code_mode { "yes" } else { "no" }.into()),
                ];
                for (index, arg) in args.iter().enumerate() {
                    pairs.push((format!("arg{}", index + 1), arg.clone()));
                }
                let body = serde_urlencoded::to_string(&pairs).unwrap();
                let fields = parse_body("application/x-www-form-urlencoded", body.as_bytes()).unwrap();
                let (request, flow) = ApiRequest::from_fields(fields).unwrap();
                prop_assert_eq!(flow, Flow::Legacy);
                prop_assert_eq!(request.command, command);
                prop_assert_eq!(request.args, args);
                prop_assert_eq!(request.code_mode, code_mode);
                prop_assert_eq!(request.user.as_deref(), Some("admin"));
            }
        }
    }
}
