//! Building blocks for Hestia's list formats: json, plain, csv and shell.
//!
//! Hestia builds these with `echo` and never escapes values; hearth renders the same layout but
//! escapes every JSON string, so output stays valid JSON whatever a value contains.

use time::OffsetDateTime;
use time::macros::format_description;

/// An output format argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Plain,
    Csv,
    Shell,
    /// `list`: names only (only some commands support it).
    List,
}

impl Format {
    /// Hestia's `format=${N-shell}`: absent means `shell`; an explicitly empty or unknown
    /// value selects no branch, so the command prints nothing.
    pub fn from_arg(arg: Option<&str>) -> Option<Format> {
        match arg {
            None => Some(Format::Shell),
            Some("json") => Some(Format::Json),
            Some("plain") => Some(Format::Plain),
            Some("csv") => Some(Format::Csv),
            Some("shell") => Some(Format::Shell),
            Some("list") => Some(Format::List),
            Some(_) => None,
        }
    }
}

/// A JSON string literal for `value`, escaped.
pub fn json_string(value: &str) -> String {
    let mut out = Vec::with_capacity(value.len() + 2);
    push_json_string(&mut out, value);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `value` as an escaped JSON string literal.
fn push_json_string(out: &mut Vec<u8>, value: &str) {
    // Most values need no escaping: copied as they are.
    if !value.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.reserve(value.len() + 2);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
        return;
    }
    // Serialising a `&str` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// `"KEY": "value"` lines at `indent`, joined with `,\n`, no trailing newline.
pub fn json_fields(fields: &[(&str, &str)], indent: &str) -> String {
    let mut out = Vec::with_capacity(fields.len() * (indent.len() + 40));
    for (index, (key, value)) in fields.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(indent.as_bytes());
        push_json_string(&mut out, key);
        out.extend_from_slice(b": ");
        push_json_string(&mut out, value);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A CSV cell: double-quoted (with `"` doubled) when `quoted`, raw otherwise.
pub fn csv_cell(value: &str, quoted: bool) -> String {
    if quoted {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Aligns rows like `column -t`: each column padded to its widest cell, two spaces apart,
/// no trailing blanks.
pub fn columns(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The current date and time as Hestia writes them: (`YYYY-MM-DD`, `HH:MM:SS`).
pub fn now_date_time() -> (String, String) {
    let now = OffsetDateTime::now_utc();
    let date = now
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default();
    let time = now
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\td"), r#""a\"b\\c\td""#);
    }

    #[test]
    fn columns_align_like_column_t() {
        let rows = vec![
            vec!["USER".to_string(), "ROLE".to_string()],
            vec!["admin".to_string(), "admin".to_string()],
        ];
        assert_eq!(columns(&rows), "USER   ROLE\nadmin  admin\n");
    }

    #[test]
    fn format_defaults() {
        assert_eq!(Format::from_arg(None), Some(Format::Shell));
        assert_eq!(Format::from_arg(Some("")), None);
        assert_eq!(Format::from_arg(Some("json")), Some(Format::Json));
    }

    proptest::proptest! {
        #[test]
        fn json_strings_match_serde_json(value in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(json_string(&value), serde_json::to_string(&value).unwrap());
        }
    }
}
