//! OWP reply documents as Rails 2.2's `to_xml` writes them (Builder: declaration, two-space
//! indent, typed attributes, `nil="true"`, `type="array"`, non-ASCII as character
//! references), and as JSON for `?format=json`.

use hearth_sdk::owp::Value;
use serde_json::{Map, Value as Json};

/// Whether XML 1.0 can hold `c` at all (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Builder's text escaping: `&`, `<`, `>`, every non-ASCII character as `&#N;`, and every
/// character XML cannot hold (control characters, U+FFFE, U+FFFF) as `*`, as Builder's
/// `XChar` does, so the document stays well-formed whatever a plugin put in a value.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if !is_xml_char(c) => out.push('*'),
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
    use proptest::prelude::*;

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

    #[test]
    fn characters_xml_cannot_hold_become_stars() {
        let mut out = String::new();
        escape("a\u{0}b\u{1b}c\u{ffff}\td", &mut out);
        assert_eq!(out, "a*b*c*\td");
    }

    /// Element names as Rails writes them (attribute names of models).
    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_]{0,10}"
    }

    /// Text that survives an XML parser unchanged: no `\r` (parsers normalise line ends)
    /// and only characters XML can hold.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            any::<char>().prop_filter("XML text", |c| is_xml_char(*c) && *c != '\r'),
            0..24,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            proptest::option::of(prop_oneof![
                Just("integer".to_string()),
                Just("date".to_string()),
                Just("datetime".to_string())
            ])
            .prop_map(Value::Nil),
            text().prop_map(Value::Str),
            any::<i64>().prop_map(Value::Int),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::Float),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z".prop_map(Value::DateTime),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Value::Date),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec((name(), inner.clone()), 0..6).prop_map(Value::Hash),
                (name(), proptest::collection::vec(inner, 0..6))
                    .prop_map(|(item, items)| Value::Array(item, items)),
            ]
        })
    }

    /// What a reader of the XML can tell apart: an empty hash is an empty element, like an
    /// empty string, and an empty array does not say what its items would be called.
    fn as_read(value: &Value) -> Value {
        match value {
            Value::Hash(pairs) if pairs.is_empty() => Value::Str(String::new()),
            Value::Hash(pairs) => Value::Hash(
                pairs
                    .iter()
                    .map(|(key, child)| (key.clone(), as_read(child)))
                    .collect(),
            ),
            Value::Array(_, items) if items.is_empty() => Value::Array(String::new(), vec![]),
            Value::Array(item, items) => {
                Value::Array(item.clone(), items.iter().map(as_read).collect())
            }
            other => other.clone(),
        }
    }

    /// Reads a rendered element back, by its Rails type attributes.
    fn read(node: roxmltree::Node<'_, '_>) -> Value {
        let text = node.text().unwrap_or_default().to_string();
        if node.attribute("nil") == Some("true") {
            return Value::Nil(node.attribute("type").map(str::to_string));
        }
        let children: Vec<_> = node.children().filter(|n| n.is_element()).collect();
        match node.attribute("type") {
            Some("integer") => Value::Int(text.parse().unwrap()),
            Some("boolean") => Value::Bool(text.parse().unwrap()),
            Some("float") => Value::Float(text.parse().unwrap()),
            Some("datetime") => Value::DateTime(text),
            Some("date") => Value::Date(text),
            Some("array") => Value::Array(
                children
                    .first()
                    .map(|c| c.tag_name().name().to_string())
                    .unwrap_or_default(),
                children.iter().map(|c| read(*c)).collect(),
            ),
            _ if children.is_empty() => Value::Str(text),
            _ => Value::Hash(
                children
                    .iter()
                    .map(|c| (c.tag_name().name().to_string(), read(*c)))
                    .collect(),
            ),
        }
    }

    proptest! {
        #[test]
        fn xml_is_well_formed_and_values_round_trip(root in name(), value in value()) {
            let document = xml(&root, &value);
            let parsed = roxmltree::Document::parse(&document)
                .map_err(|e| TestCaseError::fail(format!("{e}:\n{document}")))?;
            prop_assert_eq!(parsed.root_element().tag_name().name(), root.as_str());
            prop_assert_eq!(read(parsed.root_element()), as_read(&value));
        }

        #[test]
        fn any_text_gives_a_well_formed_document(text in any::<String>()) {
            let document = xml("description", &Value::Str(text));
            prop_assert!(roxmltree::Document::parse(&document).is_ok(), "{}", document);
        }

        #[test]
        fn json_rendering_is_valid_json(root in name(), value in value()) {
            let rendered = json(&root, &value);
            let parsed: Json = serde_json::from_str(&rendered).unwrap();
            prop_assert!(parsed.get(&root).is_some());
        }
    }
}
