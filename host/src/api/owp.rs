//! OpenVZ Web Panel's Remote API: `GET|POST /api/<controller>/<method>` and
//! `/api/<controller>`. HTTP Basic auth, the controllers' permission gates and object
//! ownership are decided here; each method then runs as its sandboxed plugin command
//! (`owp-<controller>-<method>`), whose typed reply is rendered as Rails' XML or as JSON.

mod render;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hearth_sdk::owp::{Reply, Value};

use crate::audit::{AuditRecord, REDACTED};
use crate::authlog;
use crate::owp::{self, Account, Owned};
use crate::policy;
use crate::service::Hearth;

/// The body of a failed authentication (`request_http_basic_authentication`).
pub const ACCESS_DENIED_BODY: &str = "HTTP Basic: Access denied.\n";

/// The realm OWP announces.
pub const REALM: &str = "Basic realm=\"Web Password\"";

/// Content type of every XML answer (and, as in Rails, of the 401).
const XML: &str = "application/xml; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// Parameters never written to the audit log.
const SECRET_PARAMS: &[&str] = &[
    "password",
    "password_confirmation",
    "root_password",
    "auth_key",
];

/// The four error codes clients see.
const ERROR_CODES: &[&str] = &["object_not_found", "access_denied", "internal_error"];

/// Request parameters: the query string, then a urlencoded form body (body wins).
pub type Params = BTreeMap<String, String>;

/// What to answer.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// 401 with the Basic challenge.
    Unauthorized,
    /// A document (`root`, value).
    Document(String, Value),
    /// An `<error>` (reason, details).
    Error(String, Option<String>),
    /// The login page redirect of an unrouted path.
    LoginRedirect,
}

/// `t('api.error.<code>')`.
fn error_message(locale: &str, code: &str) -> &'static str {
    match (locale, code) {
        ("ru", "access_denied") => "Доступ запрещен.",
        ("ru", "object_not_found") => "Объект не найден.",
        ("ru", "internal_error") => "Внутренняя ошибка.",
        ("ru", _) => "Неизвестная ошибка.",
        (_, "access_denied") => "Access denied.",
        (_, "object_not_found") => "Object not found.",
        (_, "internal_error") => "Internal error.",
        _ => "Unknown error.",
    }
}

/// The `<error>` document of a reason: unknown reasons become `unknown_error`.
pub fn error_document(locale: &str, reason: &str, details: Option<&str>) -> Value {
    let code = if ERROR_CODES.contains(&reason) {
        reason
    } else {
        "unknown_error"
    };
    let mut pairs = vec![
        ("code".to_string(), Value::Str(code.to_string())),
        (
            "message".to_string(),
            Value::Str(error_message(locale, code).to_string()),
        ),
    ];
    if let Some(details) = details {
        pairs.push(("details".to_string(), Value::Str(details.to_string())));
    }
    Value::Hash(pairs)
}

/// Where Rails looks for the credentials, in order.
const AUTHORIZATION_HEADERS: &[&str] = &[
    "authorization",
    "x-http_authorization",
    "x_http_authorization",
    "redirect_x_http_authorization",
];

/// Rails' basic-auth parsing: the last whitespace-separated token of `Authorization` (or
/// the proxy variants Rails also reads), base64-decoded, split at the first `:`.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = AUTHORIZATION_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))?
        .to_str()
        .ok()?;
    let token = value.split_whitespace().last()?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(token))
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (login, password) = text.split_once(':')?;
    Some((login.to_string(), password.to_string()))
}

fn parse_params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Params {
    let mut params = Params::new();
    if let Some(query) = query
        && let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
    {
        params.extend(pairs);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if form && let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        params.extend(pairs);
    }
    params
}

/// The `/api/<controller>` and `/api/<controller>/<method>` handler.
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
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let headers = request.headers().clone();
    let body = Bytes::from_request(request, &()).await.unwrap_or_default();
    let params = parse_params(query.as_deref(), &headers, &body);
    let mut segments = path
        .trim_start_matches("/api/")
        .split('/')
        .map(str::to_string);
    let controller = segments.next().unwrap_or_default();
    let method = segments
        .next()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "index".to_string());
    let locale = params
        .get("locale")
        .cloned()
        .or_else(|| locale_cookie(&headers))
        .unwrap_or_else(|| "en".into());
    let mut audit = Audit {
        principal: "-".to_string(),
        plugin_sha256: None,
    };
    let answer = answer(
        &hearth,
        &headers,
        &ip,
        &controller,
        &method,
        &params,
        &locale,
        &mut audit,
    )
    .await;
    let audit_args: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            let shown = if SECRET_PARAMS.contains(&k.as_str()) {
                REDACTED
            } else {
                v.as_str()
            };
            format!("{k}={shown}")
        })
        .collect();
    let code = match &answer {
        Answer::Unauthorized => 401,
        Answer::LoginRedirect => 302,
        _ => 200,
    };
    hearth.audit().record(&AuditRecord {
        time: authlog::timestamp(),
        ip: &ip,
        principal: &audit.principal,
        command: &format!("owp-{controller}-{method}"),
        args: audit_args,
        code,
        duration_us: started.elapsed().as_micros(),
        plugin_sha256: audit.plugin_sha256.as_deref(),
    });
    let json = params.get("format").is_some_and(|f| f == "json");
    respond(answer, &locale, json)
}

/// Who made a request and which plugin answered, for its audit record.
struct Audit {
    principal: String,
    plugin_sha256: Option<String>,
}

/// The `locale` cookie OWP sets and honours.
fn locale_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "locale")
        .map(|(_, value)| value.to_string())
}

/// Turns an answer into the HTTP response.
pub fn respond(answer: Answer, locale: &str, json: bool) -> Response {
    let (status, content_type, body) = match answer {
        Answer::Unauthorized => {
            let mut response = Response::new(Body::from(ACCESS_DENIED_BODY));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            let headers = response.headers_mut();
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(XML));
            return response;
        }
        Answer::LoginRedirect => {
            let mut response = Response::new(Body::from(
                "<html><body>You are being <a href=\"/login\">redirected</a>.</body></html>",
            ));
            *response.status_mut() = StatusCode::FOUND;
            let headers = response.headers_mut();
            headers.insert(header::LOCATION, HeaderValue::from_static("/login"));
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            return response;
        }
        Answer::Document(root, value) => (StatusCode::OK, root, value),
        Answer::Error(reason, details) => (
            StatusCode::OK,
            "error".to_string(),
            error_document(locale, &reason, details.as_deref()),
        ),
    };
    let (content_type, text) = if json {
        (JSON, render::json(&content_type, &body))
    } else {
        (XML, render::xml(&content_type, &body))
    };
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.into_response()
}

/// Authenticates the Basic credentials: an enabled user whose login matches after
/// lowercasing and whose argon2id hash verifies.
async fn authenticate(
    hearth: &Arc<Hearth>,
    headers: &HeaderMap,
) -> Result<Option<Account>, owp::OwpError> {
    let Some((login, password)) = basic_credentials(headers) else {
        return Ok(None);
    };
    if login.is_empty() || password.is_empty() {
        return Ok(None);
    }
    let Some((row, stored)) = owp::find_login(hearth.root(), &login)? else {
        return Ok(None);
    };
    let checker = hearth.clone();
    let key = format!("owp:{}", login.to_lowercase());
    let verified =
        tokio::task::spawn_blocking(move || checker.passwords().verify(&key, &password, &stored))
            .await
            .unwrap_or(false);
    if !verified {
        return Ok(None);
    }
    owp::account(hearth.root(), &row).map(Some)
}

#[allow(clippy::too_many_arguments)]
async fn answer(
    hearth: &Arc<Hearth>,
    headers: &HeaderMap,
    ip: &str,
    controller: &str,
    method: &str,
    params: &Params,
    locale: &str,
    audit: &mut Audit,
) -> Answer {
    let Some(controller_gate) = owp::controller_gate(controller) else {
        return Answer::LoginRedirect;
    };
    if hearth.guard().is_banned(ip) {
        return Answer::Unauthorized;
    }
    let account = match authenticate(hearth, headers).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            hearth.login_failed("owp-api", ip, None);
            return Answer::Unauthorized;
        }
        Err(error) => {
            tracing::error!(%error, "OWP tables unreadable");
            return Answer::Error("internal_error".into(), None);
        }
    };
    audit.principal = format!("owp:{}", account.login);
    if !controller_gate.allows(&account) {
        return Answer::Error("access_denied".into(), None);
    }
    let methods = owp::methods_of(controller);
    if method == "index" {
        return Answer::Document(
            "methods".into(),
            Value::Hash(
                methods
                    .iter()
                    .map(|m| (m.to_string(), Value::Str(String::new())))
                    .collect(),
            ),
        );
    }
    let Some((_, _, gate, owned)) = owp::METHODS
        .iter()
        .find(|(c, m, ..)| *c == controller && *m == method)
    else {
        let mut actions: Vec<&str> = methods.clone();
        actions.push("index");
        actions.sort_unstable();
        return Answer::Error(
            "internal_error".into(),
            Some(format!(
                "No action responded to {method}. Actions: {}",
                to_sentence(&actions)
            )),
        );
    };
    if !gate.allows(&account) {
        return Answer::Error("access_denied".into(), None);
    }
    let id = params.get("id").map(String::as_str).unwrap_or("");
    let owned_ok = match owned {
        Owned::Nothing => Ok(true),
        Owned::VirtualServer => owp::controls_server(hearth.root(), &account, id),
        Owned::Backup => owp::controls_backup(hearth.root(), &account, id),
    };
    match owned_ok {
        Ok(true) => {}
        Ok(false) => return Answer::Error("object_not_found".into(), None),
        Err(error) => {
            tracing::error!(%error, "OWP tables unreadable");
            return Answer::Error("internal_error".into(), None);
        }
    }
    let command = format!("owp-{controller}-{method}");
    let Some(resolved) = hearth.runtime().resolve(&command) else {
        return Answer::Error(
            "internal_error".into(),
            Some(format!("{command} is not installed")),
        );
    };
    audit.plugin_sha256 = Some(resolved.plugin.sha256().to_string());
    run(hearth, &account, &resolved, params, ip, locale).await
}

/// Rails' `Array#to_sentence`: `a, b, and c`.
fn to_sentence(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [one, two] => format!("{one} and {two}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// Runs the method's command with the request context and reads its reply.
async fn run(
    hearth: &Arc<Hearth>,
    account: &Account,
    resolved: &crate::runtime::ResolvedCommand,
    params: &Params,
    ip: &str,
    locale: &str,
) -> Answer {
    let command = &resolved.spec().name;
    let root_user = match hearth.settings() {
        Ok(settings) => settings.root_user().to_string(),
        Err(error) => {
            tracing::error!(%error, "settings unreadable");
            return Answer::Error("internal_error".into(), None);
        }
    };
    let unix_time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let context = serde_json::json!({
        "caller": {
            "id": account.id,
            "login": account.login,
            "permissions": account.permissions,
            "limit_backups": account.limit_backups,
        },
        "params": params,
        "ip": ip,
        "now": owp::now_datetime(),
        "unix_time": unix_time,
        "locale": locale,
    });
    let owner = format!("owp:{}", account.login);
    let outcome = hearth
        .execute(&owner, resolved, &[context.to_string()], &root_user)
        .await;
    if outcome.code != 0 {
        tracing::warn!(command, code = outcome.code, "OWP command failed");
        return Answer::Error("internal_error".into(), Some(outcome.output));
    }
    match Reply::decode(&outcome.output) {
        Some(Reply::Document(root, value)) => Answer::Document(root, value),
        Some(Reply::Error(reason, details)) => Answer::Error(reason, details),
        None => {
            tracing::error!(command, "OWP command printed no reply document");
            Answer::Error("internal_error".into(), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_reasons_become_unknown_error() {
        assert_eq!(
            error_document("en", "backups.limit_reached", None),
            Value::hash([
                ("code", Value::Str("unknown_error".into())),
                ("message", Value::Str("Unknown error.".into())),
            ])
        );
        assert_eq!(to_sentence(&["a", "b", "c"]), "a, b, and c");
    }

    #[test]
    fn basic_credentials_follow_rails() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Anything YWRtaW46cGE6c3M="),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("admin".to_string(), "pa:ss".to_string()))
        );
        let mut proxied = HeaderMap::new();
        proxied.insert(
            "x-http_authorization",
            HeaderValue::from_static("Basic am9objpzZWNyZXQ"),
        );
        assert_eq!(
            basic_credentials(&proxied),
            Some(("john".to_string(), "secret".to_string()))
        );
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn form_headers() -> HeaderMap {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
            );
            headers
        }

        proptest! {
            #[test]
            fn parameter_parsing_never_panics(
                query in proptest::option::of("\\PC{0,80}"),
                body in proptest::collection::vec(any::<u8>(), 0..256),
                form in any::<bool>(),
            ) {
                let headers = if form { form_headers() } else { HeaderMap::new() };
                let _ = parse_params(query.as_deref(), &headers, &body);
            }

            #[test]
            fn query_and_form_parameters_parse_back(
                query in proptest::collection::btree_map("q[a-z_]{0,8}", "\\PC{0,20}", 0..6),
                form in proptest::collection::btree_map("f[a-z_]{0,8}", "\\PC{0,20}", 0..6),
            ) {
                let query_text = serde_urlencoded::to_string(&query).unwrap();
                let body = serde_urlencoded::to_string(&form).unwrap();
                let params = parse_params(Some(&query_text), &form_headers(), body.as_bytes());
                let mut expected = query.clone();
                expected.extend(form.clone());
                prop_assert_eq!(&params, &expected);
                // Without the form content type only the query counts.
                let params = parse_params(Some(&query_text), &HeaderMap::new(), body.as_bytes());
                prop_assert_eq!(params, query);
            }

            #[test]
            fn a_form_value_overrides_the_query(key in "[a-z]{1,8}", a in "\\PC{0,10}", b in "\\PC{0,10}") {
                let query_text = serde_urlencoded::to_string([(&key, &a)]).unwrap();
                let body = serde_urlencoded::to_string([(&key, &b)]).unwrap();
                let params = parse_params(Some(&query_text), &form_headers(), body.as_bytes());
                prop_assert_eq!(params.get(&key), Some(&b));
            }
        }
    }
}
