//! `v-list-dns-domains`, `v-list-dns-domain` and `v-list-dns-records`: Hestia's json, plain,
//! csv and shell layouts (JSON escaped, so values with quotes, tabs or backslashes stay
//! valid).

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdError, CmdResult, hosting, validate};

use crate::common;
use crate::zone;

/// `v-list-dns-domains` json fields, in Hestia's order.
const DOMAINS_JSON: &[&str] = &[
    "IP",
    "TPL",
    "TTL",
    "EXP",
    "SOA",
    "SERIAL",
    "DNSSEC",
    "SRC",
    "RECORDS",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-dns-domains` plain columns (DNSSEC before SERIAL, unlike json).
const DOMAINS_PLAIN: &[&str] = &[
    "DOMAIN",
    "IP",
    "TPL",
    "TTL",
    "EXP",
    "SOA",
    "DNSSEC",
    "SERIAL",
    "SRC",
    "RECORDS",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-dns-domains` csv columns.
const DOMAINS_CSV: &[&str] = &[
    "DOMAIN",
    "IP",
    "TPL",
    "TTL",
    "EXP",
    "SOA",
    "SERIAL",
    "SRC",
    "DNSSEC",
    "RECORDS",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-dns-domain` json fields.
const DOMAIN_JSON: &[&str] = DOMAINS_JSON;

/// `v-list-dns-domain` plain and csv columns.
const DOMAIN_COLUMNS: &[&str] = &[
    "DOMAIN",
    "IP",
    "TPL",
    "TTL",
    "EXP",
    "SOA",
    "SERIAL",
    "DNSSEC",
    "RECORDS",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-dns-domain` shell labels.
const DOMAIN_SHELL: &[(&str, &str)] = &[
    ("DOMAIN:         ", "DOMAIN"),
    ("IP:             ", "IP"),
    ("TEMPLATE:       ", "TPL"),
    ("TTL:            ", "TTL"),
    ("EXP:            ", "EXP"),
    ("SOA:            ", "SOA"),
    ("SERIAL:         ", "SERIAL"),
    ("DNSSEC:         ", "DNSSEC"),
    ("RECORDS:        ", "RECORDS"),
    ("SUSPENDED:      ", "SUSPENDED"),
    ("TIME:           ", "TIME"),
    ("DATE:           ", "DATE"),
];

/// `v-list-dns-records` json fields.
const RECORDS_JSON: &[&str] = &[
    "RECORD",
    "TYPE",
    "PRIORITY",
    "VALUE",
    "ID",
    "SUSPENDED",
    "TIME",
    "DATE",
    "TTL",
];

/// `v-list-dns-records` plain and csv columns.
const RECORDS_COLUMNS: &[&str] = &[
    "ID",
    "RECORD",
    "TYPE",
    "PRIORITY",
    "VALUE",
    "SUSPENDED",
    "TIME",
    "DATE",
    "TTL",
];

/// Hestia's JSON object of objects: `{`, `    "KEY": {` blocks joined by `,`, `}`.
fn json_objects(entries: &[(String, Vec<(&str, String)>)]) -> String {
    let blocks: Vec<String> = entries
        .iter()
        .map(|(key, fields)| {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            format!(
                "    {}: {{\n{}\n    }}",
                render::json_string(key),
                render::json_fields(&pairs, "        ")
            )
        })
        .collect();
    let mut out = String::from("{\n");
    if !blocks.is_empty() {
        out.push_str(&blocks.join(",\n"));
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

fn fields<'a>(record: &Record, keys: &[&'a str]) -> Vec<(&'a str, String)> {
    keys.iter()
        .map(|key| (*key, record.value(key).to_string()))
        .collect()
}

fn tab_row(record: &Record, keys: &[&str]) -> String {
    keys.iter()
        .map(|key| record.value(key))
        .collect::<Vec<_>>()
        .join("\t")
}

/// `column -t`: blank-separated words aligned; empty values collapse, as in Hestia.
fn shell_table(lines: &[String], separator: Option<char>) -> String {
    let table: Vec<Vec<String>> = lines
        .iter()
        .map(|line| match separator {
            Some(separator) => line
                .split(separator)
                .filter(|cell| !cell.is_empty())
                .map(str::to_string)
                .collect(),
            None => line.split_whitespace().map(str::to_string).collect(),
        })
        .collect();
    render::columns(&table)
}

/// The format argument at `n`, after the user checks: `None` prints nothing.
fn format_at(call: &Call, n: usize) -> Option<Format> {
    match Format::from_arg(call.arg_opt(n)) {
        Some(Format::List) | None => None,
        format => format,
    }
}

/// `check_args`, formats and existence of the user (and of the domain when given).
fn checked(call: &Call, domain: Option<&str>) -> Result<Vec<Record>, CmdError> {
    let user = call.arg(1);
    validate::user(user)?;
    if let Some(domain) = domain {
        hosting::domain_format(domain)?;
    }
    hosting::user_record(call, user)?;
    common::load_domains(call)
}

/// `v-list-dns-domains USER [FORMAT]`.
pub fn list_dns_domains(call: &Call) -> CmdResult {
    let domains = checked(call, None)?;
    let Some(format) = format_at(call, 2) else {
        return Ok(String::new());
    };
    let mut out = String::new();
    match format {
        Format::Json => {
            let entries: Vec<_> = domains
                .iter()
                .map(|d| (d.value("DOMAIN").to_string(), fields(d, DOMAINS_JSON)))
                .collect();
            out = json_objects(&entries);
        }
        Format::Plain => {
            for d in &domains {
                out.push_str(&tab_row(d, DOMAINS_PLAIN));
                out.push('\n');
            }
        }
        Format::Csv => {
            out.push_str(&DOMAINS_CSV.join(","));
            out.push('\n');
            for d in &domains {
                let row: Vec<&str> = DOMAINS_CSV.iter().map(|k| d.value(k)).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        Format::Shell => {
            let mut lines = vec![
                "DOMAIN   IP   TPL   TTL   DNSSEC   REC   SPND   DATE".to_string(),
                "------   --   ---   ---   ------   ---   ----   ----".to_string(),
            ];
            for d in &domains {
                let row: Vec<&str> = [
                    "DOMAIN",
                    "IP",
                    "TPL",
                    "TTL",
                    "DNSSEC",
                    "RECORDS",
                    "SUSPENDED",
                    "DATE",
                ]
                .iter()
                .map(|k| d.value(k))
                .collect();
                lines.push(row.join(" "));
            }
            out = shell_table(&lines, None);
        }
        Format::List => {}
    }
    Ok(out)
}

/// `v-list-dns-domain USER DOMAIN [FORMAT]`.
pub fn list_dns_domain(call: &Call) -> CmdResult {
    let domain = call.arg(2);
    let domains = checked(call, Some(domain))?;
    let d = &domains[common::find_domain(&domains, domain)?];
    let Some(format) = format_at(call, 3) else {
        return Ok(String::new());
    };
    let out = match format {
        Format::Json => json_objects(&[(domain.to_string(), fields(d, DOMAIN_JSON))]),
        Format::Plain => format!("{}\n", tab_row(d, DOMAIN_COLUMNS)),
        Format::Csv => {
            let row: Vec<&str> = DOMAIN_COLUMNS.iter().map(|k| d.value(k)).collect();
            format!("{}\n{}\n", DOMAIN_COLUMNS.join(","), row.join(","))
        }
        Format::Shell => DOMAIN_SHELL
            .iter()
            .map(|(label, key)| format!("{label}{}\n", d.value(key)))
            .collect(),
        Format::List => String::new(),
    };
    Ok(out)
}

/// `v-list-dns-records USER DOMAIN [FORMAT]`.
pub fn list_dns_records(call: &Call) -> CmdResult {
    let domain = call.arg(2);
    let domains = checked(call, Some(domain))?;
    let d = &domains[common::find_domain(&domains, domain)?];
    let zone_ttl = match d.value("TTL") {
        "" => zone::DEFAULT_TTL,
        ttl => ttl,
    };
    let records = common::load_records(call, domain)?;
    let Some(format) = format_at(call, 3) else {
        return Ok(String::new());
    };
    // The values as listed: the record's TTL or the zone's, `%quote%` back to `'`.
    let shown: Vec<Record> = records
        .iter()
        .map(|record| {
            let mut shown = record.clone();
            if shown.value("TTL").is_empty() {
                shown.set("TTL", zone_ttl);
            }
            shown
        })
        .collect();
    let unquoted = |record: &Record| {
        let mut record = record.clone();
        let value = record.value("VALUE").replace("%quote%", "'");
        record.set("VALUE", value);
        record
    };
    let mut out = String::new();
    match format {
        Format::Json => {
            let entries: Vec<_> = shown
                .iter()
                .map(|r| {
                    (
                        r.value("ID").to_string(),
                        fields(&unquoted(r), RECORDS_JSON),
                    )
                })
                .collect();
            out = json_objects(&entries);
        }
        Format::Plain => {
            for r in &shown {
                out.push_str(&tab_row(&unquoted(r), RECORDS_COLUMNS));
                out.push('\n');
            }
        }
        Format::Csv => {
            out.push_str(&RECORDS_COLUMNS.join(","));
            out.push('\n');
            for r in &shown {
                let r = unquoted(r);
                let row: Vec<String> = RECORDS_COLUMNS
                    .iter()
                    .map(|k| render::csv_cell(r.value(k), *k == "VALUE"))
                    .collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        Format::Shell => {
            let mut lines = vec![
                "ID^RECORD^TYPE^VALUE^DATE^TTL".to_string(),
                "--^------^----^-----^----^----".to_string(),
            ];
            for r in &shown {
                let value: String = r.value("VALUE").chars().take(30).collect();
                lines.push(format!(
                    "{}^{}^{}^{}^{}^{}",
                    r.value("ID"),
                    r.value("RECORD"),
                    r.value("TYPE"),
                    value,
                    r.value("DATE"),
                    r.value("TTL"),
                ));
            }
            out = shell_table(&lines, Some('^'));
        }
        Format::List => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_follow_hestia_layout() {
        assert_eq!(json_objects(&[]), "{\n}\n");
        let entries = vec![
            (
                "a".to_string(),
                vec![("X", "1".to_string()), ("Y", "q\"t\\\t".to_string())],
            ),
            ("b".to_string(), vec![("X", "2".to_string())]),
        ];
        let text = json_objects(&entries);
        assert_eq!(
            text,
            "{\n    \"a\": {\n        \"X\": \"1\",\n        \"Y\": \"q\\\"t\\\\\\t\"\n    },\n    \"b\": {\n        \"X\": \"2\"\n    }\n}\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["a"]["Y"], "q\"t\\\t");
    }

    #[test]
    fn shell_tables_collapse_empty_cells() {
        let lines = vec!["A^B^C".to_string(), "1^^3 4".to_string()];
        assert_eq!(shell_table(&lines, Some('^')), "A  B    C\n1  3 4\n");
    }
}
