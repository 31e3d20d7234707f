//! `v-list-databases` and `v-list-database`: Hestia's json, plain, csv and shell layouts of
//! `db.conf`.

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdResult, fs};

use crate::common;

/// The json fields of one database, in Hestia's order, with the `db.conf` key each shows.
const FIELDS: &[(&str, &str)] = &[
    ("DATABASE", "DB"),
    ("DBUSER", "DBUSER"),
    ("HOST", "HOST"),
    ("TYPE", "TYPE"),
    ("CHARSET", "CHARSET"),
    ("U_DISK", "U_DISK"),
    ("SUSPENDED", "SUSPENDED"),
    ("TIME", "TIME"),
    ("DATE", "DATE"),
];

/// The csv header of both commands (values are printed raw, as Hestia does).
const CSV_HEADER: &str = "DATABASE,DBUSER,HOST,TYPE,CHARSET,U_DISK,SUSPENDED,TIME,DATE";

/// `v-list-database` shell labels.
const LABELS: &[(&str, &str)] = &[
    ("DATABASE:       ", "DB"),
    ("DB USER:        ", "DBUSER"),
    ("HOST:           ", "HOST"),
    ("TYPE:           ", "TYPE"),
    ("CHARSET:        ", "CHARSET"),
    ("DISK:           ", "U_DISK"),
    ("SUSPENDED:      ", "SUSPENDED"),
    ("TIME:           ", "TIME"),
    ("DATE:           ", "DATE"),
];

/// `    "<key>": {` + the 8-space fields + `    }` (no line break after the brace).
fn json_object(key: &str, record: &Record) -> String {
    let pairs: Vec<(&str, &str)> = FIELDS
        .iter()
        .map(|(field, conf_key)| (*field, record.value(conf_key)))
        .collect();
    format!(
        "    {}: {{\n{}\n    }}",
        render::json_string(key),
        render::json_fields(&pairs, "        ")
    )
}

fn values(record: &Record) -> impl Iterator<Item = &str> {
    FIELDS.iter().map(|(_, conf_key)| record.value(conf_key))
}

/// One plain line: the fields TAB-separated.
fn plain_line(record: &Record) -> String {
    let mut line = values(record).collect::<Vec<_>>().join("\t");
    line.push('\n');
    line
}

/// One csv row.
fn csv_line(record: &Record) -> String {
    let mut line = values(record)
        .map(|value| render::csv_cell(value, false))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// `v-list-databases USER [FORMAT]`. An explicitly empty or unknown FORMAT prints nothing.
pub fn list_databases(call: &Call) -> CmdResult {
    let user = call.arg(1);
    common::user_format(user)?;
    common::existing_user(call, user)?;
    let databases = fs::read_list(&common::db_conf(call))?;
    let Some(format) = Format::from_arg(call.arg_opt(2)) else {
        return Ok(String::new());
    };
    Ok(render_list(&databases, format))
}

/// The list layouts of `v-list-databases`.
pub fn render_list(databases: &[Record], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            out.push_str("{\n");
            for (index, record) in databases.iter().enumerate() {
                out.push_str(&json_object(record.value("DB"), record));
                out.push_str(if index + 1 < databases.len() {
                    ",\n"
                } else {
                    "\n"
                });
            }
            out.push_str("}\n");
        }
        Format::Plain => databases
            .iter()
            .for_each(|record| out.push_str(&plain_line(record))),
        Format::Csv => {
            out.push_str(CSV_HEADER);
            out.push('\n');
            databases
                .iter()
                .for_each(|record| out.push_str(&csv_line(record)));
        }
        Format::Shell => {
            // Hestia echoes space-joined rows through `column -t`, which splits on blanks:
            // an empty value takes no column.
            let mut rows = vec![
                "DATABASE   USER   HOST   TYPE   DISK   SPND   DATE".to_string(),
                "--------   ----   ----   ----   ----   ----   ----".to_string(),
            ];
            rows.extend(databases.iter().map(|record| {
                [
                    "DB",
                    "DBUSER",
                    "HOST",
                    "TYPE",
                    "U_DISK",
                    "SUSPENDED",
                    "DATE",
                ]
                .iter()
                .map(|key| record.value(key))
                .collect::<Vec<_>>()
                .join(" ")
            }));
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|row| row.split_whitespace().map(str::to_string).collect())
                .collect();
            out.push_str(&render::columns(&cells));
        }
        Format::List => {}
    }
    out
}

/// `v-list-database USER DATABASE [FORMAT]`: `Error: db db X doesn't exist` (3) for an
/// unknown database.
pub fn list_database(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let database = call.arg(2);
    common::user_format(user)?;
    common::database_format(database)?;
    common::existing_user(call, user)?;
    let databases = fs::read_list(&common::db_conf(call))?;
    let record = &databases[common::find_database(&databases, database)?];
    let Some(format) = Format::from_arg(call.arg_opt(3)) else {
        return Ok(String::new());
    };
    Ok(render_one(database, record, format))
}

/// The layouts of `v-list-database`.
pub fn render_one(database: &str, record: &Record, format: Format) -> String {
    match format {
        Format::Json => format!("{{\n{}\n}}\n", json_object(database, record)),
        Format::Plain => plain_line(record),
        Format::Csv => format!("{CSV_HEADER}\n{}", csv_line(record)),
        Format::Shell => LABELS
            .iter()
            .map(|(label, key)| format!("{label}{}\n", record.value(key)))
            .collect(),
        Format::List => String::new(),
    }
}
