//! The typed documents OWP plugins answer with, shared by the plugins and the host.
//!
//! A plugin of the OpenVZ Web Panel personality never writes XML: it returns a [`Reply`], a
//! tree of typed values (Rails' `to_xml` types: integer, boolean, datetime, date, float,
//! string, nil, hash, array) or an error reason, encoded as JSON on its standard output.
//! The host renders that tree as Rails-compatible XML or, with `?format=json`, as JSON.

use serde_json::{Map, Value as Json, json};

/// One typed value of a reply document.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `nil="true"`, with the type attribute of its column, if any (`integer`, `date`, ...).
    Nil(Option<String>),
    /// Text without a type attribute.
    Str(String),
    /// `type="integer"`.
    Int(i64),
    /// `type="boolean"`.
    Bool(bool),
    /// `type="float"`, written with Ruby's `to_s`.
    Float(f64),
    /// `type="datetime"`, already formatted `YYYY-MM-DDTHH:MM:SSZ`.
    DateTime(String),
    /// `type="date"`, already formatted `YYYY-MM-DD`.
    Date(String),
    /// Child elements, in the given order.
    Hash(Vec<(String, Value)>),
    /// `type="array"`: the element name of each item, and the items.
    Array(String, Vec<Value>),
}

impl Value {
    /// A hash from `(name, value)` pairs.
    pub fn hash<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Hash(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The JSON encoding used between a plugin and the host.
    pub fn encode(&self) -> Json {
        match self {
            Value::Nil(kind) => json!({ "nil": kind }),
            Value::Str(text) => Json::String(text.clone()),
            Value::Int(n) => json!(n),
            Value::Bool(b) => Json::Bool(*b),
            Value::Float(f) => json!({ "float": f }),
            Value::DateTime(text) => json!({ "datetime": text }),
            Value::Date(text) => json!({ "date": text }),
            Value::Hash(pairs) => json!({
                "hash": pairs.iter().map(|(k, v)| json!([k, v.encode()])).collect::<Vec<_>>()
            }),
            Value::Array(item, items) => json!({
                "array": item,
                "items": items.iter().map(Value::encode).collect::<Vec<_>>(),
            }),
        }
    }

    /// Reads [`Value::encode`]'s form back.
    pub fn decode(json: &Json) -> Option<Self> {
        Some(match json {
            Json::String(text) => Value::Str(text.clone()),
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Int(n.as_i64()?),
            Json::Object(object) => decode_object(object)?,
            Json::Null | Json::Array(_) => return None,
        })
    }
}

fn decode_object(object: &Map<String, Json>) -> Option<Value> {
    if let Some(kind) = object.get("nil") {
        return Some(Value::Nil(kind.as_str().map(str::to_string)));
    }
    if let Some(f) = object.get("float") {
        return Some(Value::Float(f.as_f64()?));
    }
    if let Some(text) = object.get("datetime") {
        return Some(Value::DateTime(text.as_str()?.to_string()));
    }
    if let Some(text) = object.get("date") {
        return Some(Value::Date(text.as_str()?.to_string()));
    }
    if let Some(pairs) = object.get("hash") {
        let mut out = Vec::new();
        for pair in pairs.as_array()? {
            let pair = pair.as_array()?;
            out.push((
                pair.first()?.as_str()?.to_string(),
                Value::decode(pair.get(1)?)?,
            ));
        }
        return Some(Value::Hash(out));
    }
    let item = object.get("array")?.as_str()?.to_string();
    let items = object
        .get("items")?
        .as_array()?
        .iter()
        .map(Value::decode)
        .collect::<Option<Vec<_>>>()?;
    Some(Value::Array(item, items))
}

/// What a plugin answers: a document with its root element, or an error reason.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A document: root element name and value.
    Document(String, Value),
    /// An `<error>`: the reason (`object_not_found`, `access_denied`, `internal_error`, or
    /// any other, which the host reports as `unknown_error`) and optional details.
    Error(String, Option<String>),
}

impl Reply {
    /// The JSON text a plugin prints.
    pub fn encode(&self) -> String {
        match self {
            Reply::Document(root, value) => json!({ "root": root, "value": value.encode() }),
            Reply::Error(reason, details) => json!({ "error": reason, "details": details }),
        }
        .to_string()
    }

    /// Reads a plugin's output.
    pub fn decode(text: &str) -> Option<Self> {
        let json: Json = serde_json::from_str(text).ok()?;
        if let Some(reason) = json.get("error") {
            let details = json
                .get("details")
                .and_then(Json::as_str)
                .map(str::to_string);
            return Some(Reply::Error(reason.as_str()?.to_string(), details));
        }
        let root = json.get("root")?.as_str()?.to_string();
        Some(Reply::Document(root, Value::decode(json.get("value")?)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip() {
        let value = Value::hash([
            ("id", Value::Int(3)),
            ("name", Value::Str("a\"b".into())),
            ("nothing", Value::Nil(Some("integer".into()))),
            ("text_nil", Value::Nil(None)),
            ("at", Value::DateTime("2011-01-19T16:26:26Z".into())),
            ("day", Value::Date("2011-01-19".into())),
            ("share", Value::Float(0.25)),
            ("ok", Value::Bool(false)),
            (
                "list",
                Value::Array("item".into(), vec![Value::Str(String::new())]),
            ),
        ]);
        let reply = Reply::Document("thing".into(), value);
        assert_eq!(Reply::decode(&reply.encode()), Some(reply));
        let error = Reply::Error("object_not_found".into(), None);
        assert_eq!(Reply::decode(&error.encode()), Some(error));
    }
}
