//! Hestia's `KEY='value'` data format, read and written the same way on both sides.
//!
//! Two layouts share one syntax: "source" files with one key per line (`user.conf`,
//! `hestia.conf`, access keys, packages) and "object list" files with one object per line
//! (`web.conf`, `dns.conf`, ...). A value is a shell-like word: `'quoted'` segments, `\x`
//! escapes and bare characters, concatenated. The writer always single-quotes and encodes a
//! `'` inside a value as `'\''`, so any value without a line break round-trips.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A malformed line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfError {
    #[error("Invalid object format: {0}")]
    Syntax(String),
    #[error("value of {0} contains a line break")]
    LineBreak(String),
    #[error("invalid key name: {0}")]
    Key(String),
}

/// An ordered set of `KEY='value'` pairs: one object, or one whole source file.
///
/// The keys and values live one after another in one string, and each pair is a pair of
/// ranges into it: parsing a line makes two allocations, not two per field. A value replaced
/// by [`Record::set`] leaves its old bytes behind until the record is dropped.
#[derive(Clone, Default)]
pub struct Record {
    text: String,
    fields: Vec<Field>,
    hint: LookupHint,
}

/// Where one pair's key and value are in [`Record::text`]: byte offsets.
#[derive(Clone, Copy, Debug)]
struct Field {
    key: (u32, u32),
    value: (u32, u32),
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Record {}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Where the last lookup found its key. Readers mostly ask for keys in the file's order
/// (a list renders `user.conf` field by field), so the next search starts just after it and
/// usually succeeds at once. Not part of a record's value: every hint compares equal.
#[derive(Debug, Default)]
struct LookupHint(AtomicUsize);

impl LookupHint {
    fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, next: usize) {
        self.0.store(next, Ordering::Relaxed);
    }
}

impl Clone for LookupHint {
    fn clone(&self) -> Self {
        Self(AtomicUsize::new(self.get()))
    }
}

impl PartialEq for LookupHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LookupHint {}

/// FNV-1a: keys are short and come from our own files, so a fast hash without a random seed
/// (which would cost a host call in the sandbox) is the right one for duplicate detection.
struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.0;
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// The keys seen so far while parsing, to find a repeated key without a scan.
type SeenKeys<'a> = HashSet<&'a str, BuildHasherDefault<KeyHasher>>;

/// Room for the keys of a typical file (`user.conf` has about 80), so parsing never rehashes.
fn seen_keys<'a>() -> SeenKeys<'a> {
    SeenKeys::with_capacity_and_hasher(128, BuildHasherDefault::default())
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// A record from pairs, in order.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut record = Self::new();
        for (key, value) in pairs {
            record.set(key, value);
        }
        record
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        let index = self.position(key)?;
        Some(self.slice(self.fields[index].value))
    }

    /// The text at byte offsets `range` of the record's string.
    fn slice(&self, (start, end): (u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
    }

    /// Appends `text` to the record's string; returns where it went.
    fn store(&mut self, text: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(text);
        (Self::offset(start), Self::offset(self.text.len()))
    }

    /// A byte offset of the record's string (a record is a line or a file: far below 4 GiB).
    fn offset(at: usize) -> u32 {
        u32::try_from(at).expect("a record under 4 GiB")
    }

    /// Where `key` is, searching from just after the last key found.
    fn position(&self, key: &str) -> Option<usize> {
        let start = self.hint.get().min(self.fields.len());
        let (before, after) = self.fields.split_at(start);
        let named = |field: &Field| self.slice(field.key) == key;
        let index = match after.iter().position(named) {
            Some(offset) => start + offset,
            None => before.iter().position(named)?,
        };
        self.hint.set(index + 1);
        Some(index)
    }

    /// The value of `key`, or `""`.
    pub fn value(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }

    /// Sets `key`, keeping its position when it already exists.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = self.store(&value.into());
        match self.position(&key) {
            Some(index) => self.fields[index].value = value,
            None => {
                let key = self.store(&key);
                self.fields.push(Field { key, value });
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let index = self.position(key)?;
        self.hint.set(index);
        let field = self.fields.remove(index);
        Some(self.slice(field.value).to_string())
    }

    /// Whether the record has `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|field| (self.slice(field.key), self.slice(field.value)))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the record has no pairs.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Parses one line of `KEY='value'` pairs separated by blanks (Hestia's strict parser).
    pub fn parse_line(line: &str) -> Result<Self, ConfError> {
        let mut record = Self::new();
        record.extend_from_line(line, &mut SeenKeys::default())?;
        Ok(record)
    }

    /// Adds the pairs of one line; a key already present (in `seen`) keeps its place and
    /// takes the new value.
    fn extend_from_line<'a>(
        &mut self,
        line: &'a str,
        seen: &mut SeenKeys<'a>,
    ) -> Result<(), ConfError> {
        let mut rest = line.trim_start();
        while !rest.is_empty() {
            // Keys are a few ASCII bytes: a plain scan beats a `memchr` set-up.
            let eq = rest
                .bytes()
                .position(|byte| byte == b'=')
                .ok_or_else(|| ConfError::Syntax(line.to_string()))?;
            let key = &rest[..eq];
            check_key(key)?;
            let value_start = Self::offset(self.text.len());
            let after = parse_word(&rest[eq + 1..], line, &mut self.text)?;
            let value = (value_start, Self::offset(self.text.len()));
            if seen.insert(key) {
                let key = self.store(key);
                self.fields.push(Field { key, value });
            } else if let Some(index) = self.position(key) {
                self.fields[index].value = value;
            }
            rest = after.trim_start();
        }
        Ok(())
    }

    /// The record as one line: `KEY='value' KEY='value'`.
    pub fn to_line(&self) -> Result<String, ConfError> {
        self.render(' ', false)
    }

    /// The record as a source file: one `KEY='value'` per line, newline-terminated.
    pub fn to_source(&self) -> Result<String, ConfError> {
        self.render('\n', true)
    }

    /// The pairs with `separator` between them (and after the last one, with `terminated`),
    /// written into one string.
    fn render(&self, separator: char, terminated: bool) -> Result<String, ConfError> {
        let mut out = String::with_capacity(self.rendered_len());
        self.render_into(&mut out, separator, terminated)?;
        Ok(out)
    }

    /// About how long the rendered pairs are (quotes inside values make it longer).
    fn rendered_len(&self) -> usize {
        self.iter()
            .map(|(key, value)| key.len() + value.len() + 4)
            .sum()
    }

    fn render_into(
        &self,
        out: &mut String,
        separator: char,
        terminated: bool,
    ) -> Result<(), ConfError> {
        for (index, (key, value)) in self.iter().enumerate() {
            if index > 0 {
                out.push(separator);
            }
            push_pair(out, key, value)?;
        }
        if terminated && !self.fields.is_empty() {
            out.push(separator);
        }
        Ok(())
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_line() {
            Ok(line) => f.write_str(&line),
            Err(_) => Err(fmt::Error),
        }
    }
}

/// Parses a source file (one key per line; later keys win). Blank lines and `#` comments are
/// skipped.
pub fn parse_source(text: &str) -> Result<Record, ConfError> {
    let mut record = Record {
        text: String::with_capacity(text.len()),
        ..Record::default()
    };
    let mut seen = seen_keys();
    for line in content_lines(text) {
        record.extend_from_line(line, &mut seen)?;
    }
    Ok(record)
}

/// Parses an object-list file: one record per non-blank line.
pub fn parse_list(text: &str) -> Result<Vec<Record>, ConfError> {
    let mut seen = seen_keys();
    // The records of one file have about as many fields each: room for the last one's.
    let mut fields = 0;
    content_lines(text)
        .map(|line| {
            seen.clear();
            let mut record = Record {
                text: String::with_capacity(line.len()),
                fields: Vec::with_capacity(fields),
                hint: LookupHint::default(),
            };
            record.extend_from_line(line, &mut seen)?;
            fields = record.fields.len();
            Ok(record)
        })
        .collect()
}

/// Writes an object-list file: one line per record, newline-terminated.
pub fn write_list(records: &[Record]) -> Result<String, ConfError> {
    let size = records.iter().map(|record| record.rendered_len() + 1).sum();
    let mut out = String::with_capacity(size);
    for record in records {
        record.render_into(&mut out, ' ', false)?;
        out.push('\n');
    }
    Ok(out)
}

/// Single-quotes a value for a `KEY='value'` file.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_quoted(&mut out, value);
    out
}

/// Appends `value` single-quoted, each `'` in it as `'\''`.
fn push_quoted(out: &mut String, value: &str) {
    out.push('\'');
    let mut parts = value.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str(r"'\''");
        out.push_str(part);
    }
    out.push('\'');
}

/// What a value holds that its writing must care about, found in one pass over its bytes
/// (values are short: a plain loop beats setting up a character search for each).
#[derive(Default)]
struct ValueBytes {
    line_break: bool,
    single_quote: bool,
}

impl ValueBytes {
    fn of(value: &str) -> Self {
        let mut found = Self::default();
        for &byte in value.as_bytes() {
            match byte {
                b'\n' | b'\r' => found.line_break = true,
                b'\'' => found.single_quote = true,
                _ => {}
            }
        }
        found
    }
}

fn content_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Appends `KEY='value'`; a value with a line break cannot be written.
fn push_pair(out: &mut String, key: &str, value: &str) -> Result<(), ConfError> {
    check_key(key)?;
    let bytes = ValueBytes::of(value);
    if bytes.line_break {
        return Err(ConfError::LineBreak(key.to_string()));
    }
    out.push_str(key);
    out.push('=');
    if bytes.single_quote {
        push_quoted(out, value);
    } else {
        out.push('\'');
        out.push_str(value);
        out.push('\'');
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), ConfError> {
    let bytes = key.as_bytes();
    let valid = bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if valid {
        Ok(())
    } else {
        Err(ConfError::Key(key.to_string()))
    }
}

/// Reads one shell-like word into `value`; returns the rest of the input after it.
fn parse_word<'a>(input: &'a str, line: &str, value: &mut String) -> Result<&'a str, ConfError> {
    // What Hestia and hearth write: one single-quoted segment followed by a blank or the end
    // of the line. Taken as one slice; anything else goes character by character.
    if let Some(quoted) = input.strip_prefix('\'')
        && let Some(end) = quoted.bytes().position(|byte| byte == b'\'')
    {
        let after = &quoted[end + 1..];
        if after.is_empty() || after.starts_with(char::is_whitespace) {
            value.push_str(&quoted[..end]);
            return Ok(after);
        }
    }
    let mut chars = input.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some((_, '\'')) => break,
                    Some((_, inner)) => value.push(inner),
                    None => return Err(ConfError::Syntax(line.to_string())),
                }
            },
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => return Err(ConfError::Syntax(line.to_string())),
            },
            '"' => loop {
                match chars.next() {
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => return Err(ConfError::Syntax(line.to_string())),
                    },
                    Some((_, inner)) => value.push(inner),
                    None => return Err(ConfError::Syntax(line.to_string())),
                }
            },
            c if c.is_whitespace() => return Ok(&input[index..]),
            c => value.push(c),
        }
    }
    Ok("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_hestia_lines() {
        let record =
            Record::parse_line("DOMAIN='example.com' IP='1.2.3.4' ALIAS='' TTL=14400").unwrap();
        assert_eq!(record.get("DOMAIN"), Some("example.com"));
        assert_eq!(record.get("ALIAS"), Some(""));
        assert_eq!(record.get("TTL"), Some("14400"));
        assert_eq!(record.len(), 4);
    }

    #[test]
    fn rejects_unterminated_quotes_and_bad_keys() {
        assert!(Record::parse_line("A='x").is_err());
        assert!(Record::parse_line("1A='x'").is_err());
        assert!(Record::parse_line("A-B='x'").is_err());
        assert!(Record::parse_line("justtext").is_err());
    }

    #[test]
    fn quotes_round_trip() {
        let record = Record::from_pairs([("NAME", "it's \"quoted\" \\ and\ttab")]);
        let line = record.to_line().unwrap();
        assert_eq!(Record::parse_line(&line).unwrap(), record);
    }

    #[test]
    fn refuses_line_breaks() {
        let record = Record::from_pairs([("NAME", "a\nb")]);
        assert_eq!(
            record.to_line(),
            Err(ConfError::LineBreak("NAME".to_string()))
        );
    }

    #[test]
    fn writers_quote_as_hestia_does() {
        let record = Record::from_pairs([("A", "it's"), ("B", ""), ("C", "''x'")]);
        assert_eq!(
            record.to_line().unwrap(),
            r"A='it'\''s' B='' C=''\'''\''x'\'''"
        );
        assert_eq!(
            record.to_source().unwrap(),
            "A='it'\\''s'\nB=''\nC=''\\'''\\''x'\\'''\n"
        );
        assert_eq!(quote("a'b"), r"'a'\''b'");
        assert_eq!(Record::new().to_source().unwrap(), "");
        assert!(matches!(
            Record::from_pairs([("A", "x\ny")]).to_line(),
            Err(ConfError::LineBreak(_))
        ));
    }

    #[test]
    fn source_files_merge_lines() {
        let record = parse_source("A='1'\n\n# comment\nB='2'\nA='3'\n").unwrap();
        assert_eq!(record.get("A"), Some("3"));
        assert_eq!(record.get("B"), Some("2"));
    }

    proptest! {
        #[test]
        fn writer_output_parses_back(
            pairs in proptest::collection::vec(("[A-Z][A-Z0-9_]{0,12}", "[^\r\n]{0,40}"), 0..8)
        ) {
            let record = Record::from_pairs(pairs);
            let line = record.to_line().unwrap();
            prop_assert_eq!(&Record::parse_line(&line).unwrap(), &record);
            let source = record.to_source().unwrap();
            prop_assert_eq!(&parse_source(&source).unwrap(), &record);
        }

        #[test]
        fn lookups_in_any_order_find_the_last_value(
            pairs in proptest::collection::vec(("[A-D]{1,2}", "[a-z]{0,3}"), 0..12),
            asked in proptest::collection::vec("[A-D]{1,2}", 0..24),
        ) {
            let line: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
            let record = Record::parse_line(&line.join(" ")).unwrap();
            let mut keys: Vec<&str> = Vec::new();
            for (key, _) in &pairs {
                if !keys.contains(&key.as_str()) {
                    keys.push(key);
                }
            }
            let order: Vec<&str> = record.iter().map(|(k, _)| k).collect();
            prop_assert_eq!(order, keys);
            for key in &asked {
                let last = pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
                prop_assert_eq!(record.get(key), last);
            }
        }

        #[test]
        fn parser_never_panics(line in "\\PC{0,80}") {
            let _ = Record::parse_line(&line);
        }

        #[test]
        fn list_writer_output_parses_back(
            records in proptest::collection::vec(
                proptest::collection::vec(("[A-Z][A-Z0-9_]{0,12}", "[^\r\n]{0,40}"), 1..6),
                0..6,
            )
        ) {
            let records: Vec<Record> = records.into_iter().map(Record::from_pairs).collect();
            let text = write_list(&records).unwrap();
            prop_assert_eq!(parse_list(&text).unwrap(), records);
        }

        #[test]
        fn file_parsers_never_panic(text in "\\PC{0,200}") {
            let _ = parse_source(&text);
            let _ = parse_list(&text);
        }
    }
}
