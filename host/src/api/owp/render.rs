//! OWP reply documents as Rails 2.2's `to_xml` writes them (Builder: declaration, two-space
//! indent, typed attributes, `nil="true"`, `type="array"`, non-ASCII as character
//! references), and as JSON for `?format=json`.

use hearth_sdk::owp::Value;
use serde_json::{Map, Value as Json};

/// Builder's text escaping: `&`, `<`, `>`, and every non-ASCII character as `&#N;`.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("&#{};", u32::from(c))),
        }
    }
}

/// Ruby's `Float#to_s` for ordinary values.
fn ruby_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn leaf(out: &mut String, depth: usize, name: &str, attributes: &str, text: &str) {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    out.push_str(attributes);
    out.push('>');
    escape(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

fn element(out: &mut String, depth: usize, name: &str, value: &Value) {
    match value {
        Value::Nil(Some(kind)) => leaf(
            out,
            depth,
            name,
            &format!(" type=\"{kind}\" nil=\"true\""),
            "",
        ),
        Value::Nil(None) => leaf(out, depth, name, " nil=\"true\"", ""),
        Value::Str(text) => leaf(out, depth, name, "", text),
        Value::Int(n) => leaf(out, depth, name, " type=\"integer\"", &n.to_string()),
        Value::Bool(b) => leaf(out, depth, name, " type=\"boolean\"", &b.to_string()),
        Value::Float(f) => leaf(out, depth, name, " type=\"float\"", &ruby_float(*f)),
        Value::DateTime(text) => leaf(out, depth, name, " type=\"datetime\"", text),
        Value::Date(text) => leaf(out, depth, name, " type=\"date\"", text),
        Value::Hash(pairs) if pairs.is_empty() => leaf(out, depth, name, "", ""),
        Value::Hash(pairs) => {
            indent(out, depth);
            out.push_str(&format!("<{name}>\n"));
            for (key, child) in pairs {
                element(out, depth + 1, key, child);
            }
            indent(out, depth);
            out.push_str(&format!("</{name}>\n"));
        }
        Value::Array(_, items) if items.is_empty() => {
            indent(out, depth);
            out.push_str(&format!("<{name} type=\"array\"/>\n"));
        }
        Value::Array(item, items) => {
            indent(out, depth);
            out.push_str(&format!("<{name} type=\"array\">\n"));
            for child in items {
                element(out, depth + 1, item, child);
            }
            indent(out, depth);
            out.push_str(&format!("</{name}>\n"));
        }
    }
}

/// A whole XML document with root element `root`.
pub fn xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    element(&mut out, 0, root, value);
    out
}

/// The same data as JSON, with real types: `{"<root>": …}`.
pub fn json(root: &str, value: &Value) -> String {
    let mut object = Map::new();
    object.insert(root.to_string(), json_value(value));
    Json::Object(object).to_string()
}

fn json_value(value: &Value) -> Json {
    match value {
        Value::Nil(_) => Json::Null,
        Value::Str(text) | Value::DateTime(text) | Value::Date(text) => Json::String(text.clone()),
        Value::Int(n) => Json::from(*n),
        Value::Bool(b) => Json::Bool(*b),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Hash(pairs) => Json::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), json_value(v)))
                .collect(),
        ),
        Value::Array(_, items) => Json::Array(items.iter().map(json_value).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_shapes() {
        let value = Value::hash([
            ("cpus", Value::Nil(Some("integer".into()))),
            ("description", Value::Nil(None)),
            ("host", Value::Str("a&b".into())),
            ("id", Value::Int(4)),
            ("use_ssl", Value::Bool(false)),
        ]);
        assert_eq!(
            xml("hardware_server", &value),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hardware_server>\n  <cpus type=\"integer\" nil=\"true\"></cpus>\n  <description nil=\"true\"></description>\n  <host>a&amp;b</host>\n  <id type=\"integer\">4</id>\n  <use_ssl type=\"boolean\">false</use_ssl>\n</hardware_server>\n"
        );
        assert_eq!(
            xml(
                "virtual_servers",
                &Value::Array("virtual_server".into(), vec![])
            ),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<virtual_servers type=\"array\"/>\n"
        );
        assert_eq!(
            json("hardware_server", &value),
            r#"{"hardware_server":{"cpus":null,"description":null,"host":"a&b","id":4,"use_ssl":false}}"#
        );
    }

    #[test]
    fn non_ascii_becomes_character_references() {
        let mut out = String::new();
        escape("Да", &mut out);
        assert_eq!(out, "&#1044;&#1072;");
        assert_eq!(ruby_float(1.0), "1.0");
        assert_eq!(ruby_float(0.23), "0.23");
    }
}
