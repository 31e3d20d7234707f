//! `v-list-user-packages [FORMAT]`: every `data/packages/*.pkg`, newest first (`ls -t`), in
//! Hestia's json, plain, csv and shell layouts.

use std::time::SystemTime;

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdError, CmdResult};

/// The JSON fields in Hestia's order; `true` marks the ones Hestia writes without a blank
/// after the colon (`"CPU_QUOTA":"..."`).
const JSON_FIELDS: &[(&str, bool)] = &[
    ("WEB_TEMPLATE", false),
    ("PROXY_TEMPLATE", false),
    ("DNS_TEMPLATE", false),
    ("WEB_DOMAINS", false),
    ("WEB_ALIASES", false),
    ("DNS_DOMAINS", false),
    ("DNS_RECORDS", false),
    ("MAIL_DOMAINS", false),
    ("MAIL_ACCOUNTS", false),
    ("DATABASES", false),
    ("CRON_JOBS", false),
    ("DISK_QUOTA", false),
    ("CPU_QUOTA", true),
    ("CPU_QUOTA_PERIOD", true),
    ("MEMORY_LIMIT", true),
    ("SWAP_LIMIT", true),
    ("BANDWIDTH", false),
    ("NS", false),
    ("SHELL", false),
    ("BACKUPS", false),
    ("TIME", false),
    ("DATE", false),
];

/// The plain and csv columns after `PACKAGE`.
const COLUMNS: &[&str] = &[
    "WEB_TEMPLATE",
    "PROXY_TEMPLATE",
    "DNS_TEMPLATE",
    "WEB_DOMAINS",
    "WEB_ALIASES",
    "DNS_DOMAINS",
    "DNS_RECORDS",
    "MAIL_DOMAINS",
    "MAIL_ACCOUNTS",
    "DATABASES",
    "CRON_JOBS",
    "DISK_QUOTA",
    "CPU_QUOTA",
    "CPU_QUOTA_PERIOD",
    "MEMORY_LIMIT",
    "SWAP_LIMIT",
    "BANDWIDTH",
    "NS",
    "SHELL",
    "BACKUPS",
    "TIME",
    "DATE",
];

/// The shell table's values after `PKG`.
const SHELL_FIELDS: &[&str] = &[
    "WEB_TEMPLATE",
    "WEB_DOMAINS",
    "DNS_DOMAINS",
    "MAIL_DOMAINS",
    "DATABASES",
    "SHELL",
    "DISK_QUOTA",
    "CPU_QUOTA",
    "CPU_QUOTA_PERIOD",
    "MEMORY_LIMIT",
    "SWAP_LIMIT",
    "BANDWIDTH",
];

/// The packages, newest file first; equal times by name.
fn load(call: &Call) -> Result<Vec<(String, Record)>, CmdError> {
    let dir = call.system_path("data/packages");
    let mut found: Vec<(SystemTime, String)> = Vec::new();
    for name in crate::common::sorted_entries(&dir)? {
        let Some(package) = name.strip_suffix(".pkg") else {
            continue;
        };
        let path = dir.join(&name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        found.push((modified, package.to_string()));
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out = Vec::with_capacity(found.len());
    for (_, package) in found {
        let record = hearth_sdk::fs::read_source(&dir.join(format!("{package}.pkg")))?;
        out.push((package, record));
    }
    Ok(out)
}

fn json(packages: &[(String, Record)]) -> String {
    if packages.is_empty() {
        return "{\n}\n".to_string();
    }
    let objects: Vec<String> = packages
        .iter()
        .map(|(name, record)| {
            let fields: Vec<String> = JSON_FIELDS
                .iter()
                .map(|(key, tight)| {
                    let separator = if *tight { ":" } else { ": " };
                    format!(
                        "        {}{separator}{}",
                        render::json_string(key),
                        render::json_string(record.value(key))
                    )
                })
                .collect();
            format!(
                "    {}: {{\n{}\n    }}",
                render::json_string(name),
                fields.join(",\n")
            )
        })
        .collect();
    format!("{{\n{}\n}}\n", objects.join(",\n"))
}

fn plain(packages: &[(String, Record)]) -> String {
    let mut out = String::new();
    for (name, record) in packages {
        let mut cells = vec![name.as_str()];
        cells.extend(COLUMNS.iter().map(|key| record.value(key)));
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}

fn csv(packages: &[(String, Record)]) -> String {
    let mut out = format!("PACKAGE,{}\n", COLUMNS.join(","));
    for (name, record) in packages {
        let mut cells = vec![name.clone()];
        cells.extend(COLUMNS.iter().map(|key| {
            let value = record.value(key);
            if *key == "NS" {
                format!("\"{value}\"")
            } else {
                value.to_string()
            }
        }));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Hestia's shell table: `unlimited` shown as `unlim`, the words aligned by `column -t`
/// (so an empty value leaves no cell, as there).
fn shell(packages: &[(String, Record)]) -> String {
    let header = "PKG   TPL   WEB   DNS   MAIL   DB   SHELL   DISK   CPU_QUOTA   CPU_QUOTA_PERIOD   MEMORY_LIMIT   SWAP_LIMIT   BW";
    let dashes = "---   ---   ---   ---   ----   --   -----   ----   ---------   ----------------   ------------   ----------   --";
    let words = |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
    let mut rows = vec![words(header), words(dashes)];
    for (name, record) in packages {
        let mut line = name.clone();
        for key in SHELL_FIELDS {
            line.push(' ');
            line.push_str(&record.value(key).replace("unlimited", "unlim"));
        }
        rows.push(words(&line));
    }
    render::columns(&rows)
}

/// `v-list-user-packages`. An unknown or explicitly empty FORMAT prints nothing.
pub fn list_user_packages(call: &Call) -> CmdResult {
    let Some(format) = Format::from_arg(call.arg_opt(1)) else {
        return Ok(String::new());
    };
    let packages = load(call)?;
    Ok(match format {
        Format::Json => json(&packages),
        Format::Plain => plain(&packages),
        Format::Csv => csv(&packages),
        Format::Shell => shell(&packages),
        Format::List => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(ns: &str) -> Record {
        Record::from_pairs([
            ("WEB_TEMPLATE", "default"),
            ("WEB_DOMAINS", "unlimited"),
            ("DNS_DOMAINS", "1"),
            ("CPU_QUOTA", "unlimited"),
            ("NS", ns),
            ("SHELL", "nologin"),
            ("TIME", "10:00:00"),
            ("DATE", "2024-05-01"),
        ])
    }

    #[test]
    fn json_layout_and_escaping() {
        let text = json(&[
            ("gold".to_string(), package("ns1.a.tld,ns2.a.tld")),
            ("odd".to_string(), package("x\"y\\z\tw")),
        ]);
        assert!(text.starts_with("{\n    \"gold\": {\n        \"WEB_TEMPLATE\": \"default\",\n"));
        assert!(text.contains("        \"CPU_QUOTA\":\"unlimited\",\n"));
        assert!(text.ends_with("        \"DATE\": \"2024-05-01\"\n    }\n}\n"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["odd"]["NS"], "x\"y\\z\tw");
        assert_eq!(value["gold"]["PROXY_TEMPLATE"], "");
        assert_eq!(json(&[]), "{\n}\n");
    }

    #[test]
    fn shell_and_csv() {
        let packages = [("gold".to_string(), package("ns1.a.tld,ns2.a.tld"))];
        let table = shell(&packages);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("PKG   TPL      WEB    DNS  MAIL"));
        assert_eq!(lines[2], "gold  default  unlim  1    nologin  unlim");
        let csv = csv(&packages);
        assert!(csv.starts_with("PACKAGE,WEB_TEMPLATE,PROXY_TEMPLATE,DNS_TEMPLATE,"));
        assert!(csv.contains(",\"ns1.a.tld,ns2.a.tld\",nologin,"));
        assert!(plain(&packages).starts_with("gold\tdefault\t\t\tunlimited\t"));
    }
}
