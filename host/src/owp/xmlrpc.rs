//! The hardware-node daemon's protocol: XML-RPC over HTTP(S) at `/xmlrpc` with basic auth
//! `admin:<auth_key>` (`lib/hw_daemon_client.rb`), and the subset of XML it needs.

use std::time::Duration;

use base64::Engine as _;

/// How long one daemon call may take (OWP's `hw_daemon.timeout` is 15 minutes; a sandboxed
/// command has far less).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// An XML-RPC value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Double(f64),
    Struct(Vec<(String, Value)>),
    Array(Vec<Value>),
    Nil,
}

impl Value {
    /// A struct member.
    pub fn member(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as text (strings, and numbers written as text).
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The value as an integer (also from a numeric string).
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a boolean.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(n) => Some(*n != 0),
            _ => None,
        }
    }

    fn write(&self, out: &mut String) {
        out.push_str("<value>");
        match self {
            Value::Str(s) => {
                out.push_str("<string>");
                out.push_str(&escape(s));
                out.push_str("</string>");
            }
            Value::Int(n) => out.push_str(&format!("<i4>{n}</i4>")),
            Value::Bool(b) => out.push_str(&format!("<boolean>{}</boolean>", u8::from(*b))),
            Value::Double(f) => out.push_str(&format!("<double>{f}</double>")),
            Value::Nil => out.push_str("<nil/>"),
            Value::Struct(members) => {
                out.push_str("<struct>");
                for (name, value) in members {
                    out.push_str("<member><name>");
                    out.push_str(&escape(name));
                    out.push_str("</name>");
                    value.write(out);
                    out.push_str("</member>");
                }
                out.push_str("</struct>");
            }
            Value::Array(items) => {
                out.push_str("<array><data>");
                for item in items {
                    item.write(out);
                }
                out.push_str("</data></array>");
            }
        }
        out.push_str("</value>");
    }
}

/// XML text escaping.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A `<methodCall>` document.
pub fn encode_call(method: &str, params: &[Value]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" ?><methodCall><methodName>");
    out.push_str(&escape(method));
    out.push_str("</methodName><params>");
    for param in params {
        out.push_str("<param>");
        param.write(&mut out);
        out.push_str("</param>");
    }
    out.push_str("</params></methodCall>\n");
    out
}

/// A `<methodResponse>` with one value.
pub fn encode_response(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" ?><methodResponse><params><param>");
    value.write(&mut out);
    out.push_str("</param></params></methodResponse>\n");
    out
}

/// One parsed XML element.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Malformed XML or XML-RPC.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed XML-RPC: {0}")]
pub struct Malformed(pub String);

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses a document into its root element (no attributes, namespaces or CDATA: what
/// XML-RPC uses).
pub fn parse(text: &str) -> Result<Element, Malformed> {
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut rest = text;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            if let Some(top) = stack.last_mut() {
                top.text.push_str(&decode_entities(rest));
            }
            break;
        };
        if let Some(top) = stack.last_mut() {
            top.text.push_str(&decode_entities(&rest[..open]));
        }
        let tag_start = &rest[open..];
        let close = tag_start
            .find('>')
            .ok_or_else(|| Malformed("unterminated tag".into()))?;
        let tag = &tag_start[1..close];
        rest = &tag_start[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let element = stack
                .pop()
                .filter(|e| e.name == name.trim())
                .ok_or_else(|| Malformed(format!("unexpected </{name}>")))?;
            stack
                .last_mut()
                .ok_or_else(|| Malformed("unbalanced".into()))?
                .children
                .push(element);
        } else {
            let self_closing = tag.ends_with('/');
            let name = tag
                .trim_end_matches('/')
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            let element = Element {
                name,
                ..Element::default()
            };
            if self_closing {
                stack
                    .last_mut()
                    .ok_or_else(|| Malformed("unbalanced".into()))?
                    .children
                    .push(element);
            } else {
                stack.push(element);
            }
        }
    }
    let document = stack.pop().filter(|_| stack.is_empty());
    document
        .and_then(|mut d| (d.children.len() == 1).then(|| d.children.remove(0)))
        .ok_or_else(|| Malformed("no single root element".into()))
}

/// A `<value>` element as a value.
pub fn value_of(element: &Element) -> Result<Value, Malformed> {
    let Some(typed) = element.children.first() else {
        return Ok(Value::Str(element.text.clone()));
    };
    let bad = |what: &str| Malformed(format!("bad {what}: {}", typed.text));
    Ok(match typed.name.as_str() {
        "string" => Value::Str(typed.text.clone()),
        "i4" | "int" | "i8" => Value::Int(typed.text.trim().parse().map_err(|_| bad("int"))?),
        "boolean" => Value::Bool(typed.text.trim() == "1"),
        "double" => Value::Double(typed.text.trim().parse().map_err(|_| bad("double"))?),
        "nil" => Value::Nil,
        "struct" => Value::Struct(
            typed
                .children
                .iter()
                .filter(|m| m.name == "member")
                .map(|m| {
                    let name = m.child("name").map(|n| n.text.clone()).unwrap_or_default();
                    let value = m
                        .child("value")
                        .ok_or_else(|| Malformed("member without value".into()))
                        .and_then(value_of)?;
                    Ok((name, value))
                })
                .collect::<Result<_, Malformed>>()?,
        ),
        "array" => Value::Array(
            typed
                .child("data")
                .map(|d| d.children.iter().map(value_of).collect())
                .transpose()?
                .unwrap_or_default(),
        ),
        other => Value::Str(format!("<{other}>")),
    })
}

/// A parsed `<methodCall>`: method name and parameters.
pub fn parse_call(text: &str) -> Result<(String, Vec<Value>), Malformed> {
    let root = parse(text)?;
    if root.name != "methodCall" {
        return Err(Malformed("not a methodCall".into()));
    }
    let method = root
        .child("methodName")
        .map(|m| m.text.trim().to_string())
        .ok_or_else(|| Malformed("no methodName".into()))?;
    let params = root
        .child("params")
        .map(|p| {
            p.children
                .iter()
                .filter_map(|param| param.child("value"))
                .map(value_of)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok((method, params))
}

/// Why a daemon call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Connection refused, timeout, TLS failure.
    #[error("{0}")]
    Unreachable(String),
    /// HTTP error status (a refused key is 401), fault, or malformed reply.
    #[error("{0}")]
    Fault(String),
}

/// Where a node's daemon listens and its key.
#[derive(Clone, Debug)]
pub struct Daemon {
    pub host: String,
    pub port: u16,
    pub key: String,
    pub ssl: bool,
}

/// Calls `method` on a daemon.
pub async fn call(daemon: &Daemon, method: &str, params: &[Value]) -> Result<Value, CallError> {
    let scheme = if daemon.ssl { "https" } else { "http" };
    let host = if daemon.host.contains(':') {
        format!("[{}]", daemon.host)
    } else {
        daemon.host.clone()
    };
    let url = format!("{scheme}://{host}:{}/xmlrpc", daemon.port);
    // The daemon's certificate is self-signed; OWP does not verify it either.
    let client = reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .tls_danger_accept_invalid_certs(true)
        .no_proxy()
        .build()
        .map_err(|e| CallError::Unreachable(e.to_string()))?;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{}", daemon.key));
    let response = client
        .post(&url)
        .header("content-type", "text/xml")
        .header("authorization", format!("Basic {credentials}"))
        .body(encode_call(method, params))
        .send()
        .await
        .map_err(|e| CallError::Unreachable(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(CallError::Fault(format!("HTTP-Error: {status}")));
    }
    let text = response
        .text()
        .await
        .map_err(|e| CallError::Unreachable(e.to_string()))?;
    parse_response(&text).map_err(CallError::Fault)
}

/// A `<methodResponse>`: its value, or the fault's text.
pub fn parse_response(text: &str) -> Result<Value, String> {
    let root = parse(text).map_err(|e| e.to_string())?;
    if let Some(fault) = root.child("fault") {
        let value = fault
            .child("value")
            .map(value_of)
            .transpose()
            .map_err(|e| e.to_string())?
            .unwrap_or(Value::Nil);
        let code = value.member("faultCode").and_then(Value::int).unwrap_or(0);
        let message = value
            .member("faultString")
            .and_then(Value::text)
            .unwrap_or_default();
        return Err(format!("{code}: {message}"));
    }
    root.child("params")
        .and_then(|p| p.child("param"))
        .and_then(|p| p.child("value"))
        .ok_or_else(|| "malformed XML-RPC: no value".to_string())
        .and_then(|v| value_of(v).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_responses_round_trip() {
        let call = encode_call(
            "hwDaemon.exec",
            &[
                Value::Str("vzctl".into()),
                Value::Str("start 101 <&>".into()),
            ],
        );
        assert_eq!(
            parse_call(&call),
            Ok((
                "hwDaemon.exec".to_string(),
                vec![
                    Value::Str("vzctl".into()),
                    Value::Str("start 101 <&>".into())
                ]
            ))
        );
        let value = Value::Struct(vec![
            ("exit_code".into(), Value::Int(0)),
            ("output".into(), Value::Str("hi\n".into())),
            ("alive".into(), Value::Bool(false)),
        ]);
        assert_eq!(parse_response(&encode_response(&value)), Ok(value));
    }

    #[test]
    fn faults_and_untyped_values() {
        let fault = "<?xml version=\"1.0\"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4</int></value></member><member><name>faultString</name><value>Too many parameters</value></member></struct></value></fault></methodResponse>";
        assert_eq!(parse_response(fault), Err("4: Too many parameters".into()));
        let plain =
            "<methodResponse><params><param><value>1.3</value></param></params></methodResponse>";
        assert_eq!(parse_response(plain), Ok(Value::Str("1.3".into())));
    }
}
