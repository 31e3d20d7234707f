//! `v-list-users` and `v-list-user`: Hestia's json, plain, csv, shell (and list) layouts.

use std::fs;
use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdResult};

use crate::common;

/// The fields of one user in `v-list-users` json and plain, in Hestia's order.
const USERS_FIELDS: &[&str] = &[
    "NAME",
    "PACKAGE",
    "WEB_TEMPLATE",
    "BACKEND_TEMPLATE",
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
    "CONTACT",
    "CRON_REPORTS",
    "RKEY",
    "ROLE",
    "SUSPENDED",
    "SUSPENDED_USERS",
    "SUSPENDED_WEB",
    "SUSPENDED_DNS",
    "SUSPENDED_MAIL",
    "SUSPENDED_DB",
    "SUSPENDED_CRON",
    "IP_AVAIL",
    "IP_OWNED",
    "U_USERS",
    "U_DISK",
    "U_DISK_DIRS",
    "U_DISK_WEB",
    "U_DISK_MAIL",
    "U_DISK_DB",
    "U_BANDWIDTH",
    "U_WEB_DOMAINS",
    "U_WEB_SSL",
    "U_WEB_ALIASES",
    "U_DNS_DOMAINS",
    "U_DNS_RECORDS",
    "U_MAIL_DOMAINS",
    "U_MAIL_DKIM",
    "U_MAIL_ACCOUNTS",
    "U_DATABASES",
    "U_CRON_JOBS",
    "U_BACKUPS",
    "LANGUAGE",
    "TIME",
    "DATE",
];

/// `v-list-users` csv columns; `true` marks the double-quoted ones. `USER` and `HOME` are not
/// `user.conf` keys (see [`Row::value`]).
const USERS_CSV: &[(&str, bool)] = &[
    ("USER", false),
    ("NAME", true),
    ("PACKAGE", false),
    ("WEB_TEMPLATE", false),
    ("BACKEND_TEMPLATE", false),
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
    ("CPU_QUOTA", false),
    ("CPU_QUOTA_PERIOD", false),
    ("MEMORY_LIMIT", false),
    ("SWAP_LIMIT", false),
    ("BANDWIDTH", false),
    ("NS", true),
    ("HOME", false),
    ("SHELL", false),
    ("BACKUPS", false),
    ("CONTACT", false),
    ("CRON_REPORTS", false),
    ("RKEY", true),
    ("ROLE", false),
    ("SUSPENDED", false),
    ("SUSPENDED_USERS", false),
    ("SUSPENDED_WEB", false),
    ("SUSPENDED_DNS", false),
    ("SUSPENDED_MAIL", false),
    ("SUSPENDED_DB", false),
    ("SUSPENDED_CRON", false),
    ("IP_AVAIL", false),
    ("IP_OWNED", false),
    ("U_USERS", false),
    ("U_DISK", false),
    ("U_DISK_DIRS", false),
    ("U_DISK_WEB", false),
    ("U_DISK_MAIL", false),
    ("U_DISK_DB", false),
    ("U_BANDWIDTH", false),
    ("U_WEB_DOMAINS", false),
    ("U_WEB_SSL", false),
    ("U_WEB_ALIASES", false),
    ("U_DNS_DOMAINS", false),
    ("U_DNS_RECORDS", false),
    ("U_MAIL_DOMAINS", false),
    ("U_MAIL_DKIM", false),
    ("U_MAIL_ACCOUNTS", false),
    ("U_DATABASES", false),
    ("U_CRON_JOBS", false),
    ("U_BACKUPS", false),
    ("LANGUAGE", false),
    ("TIME", false),
    ("DATE", false),
];

/// The fields of `v-list-user` json, in Hestia's order (`HOME` is `/home/USER`).
const USER_FIELDS: &[&str] = &[
    "NAME",
    "PACKAGE",
    "WEB_TEMPLATE",
    "BACKEND_TEMPLATE",
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
    "BANDWIDTH",
    "HOME",
    "NS",
    "SHELL",
    "BACKUPS",
    "CONTACT",
    "CRON_REPORTS",
    "RKEY",
    "TWOFA",
    "QRCODE",
    "ROLE",
    "SUSPENDED",
    "SUSPENDED_USERS",
    "SUSPENDED_WEB",
    "SUSPENDED_DNS",
    "SUSPENDED_MAIL",
    "SUSPENDED_DB",
    "SUSPENDED_CRON",
    "IP_AVAIL",
    "IP_OWNED",
    "U_USERS",
    "U_DISK",
    "U_DISK_DIRS",
    "U_DISK_WEB",
    "U_DISK_MAIL",
    "U_DISK_DB",
    "U_BANDWIDTH",
    "U_WEB_DOMAINS",
    "U_WEB_SSL",
    "U_WEB_ALIASES",
    "U_DNS_DOMAINS",
    "U_DNS_RECORDS",
    "U_MAIL_DOMAINS",
    "U_MAIL_DKIM",
    "U_MAIL_ACCOUNTS",
    "U_DATABASES",
    "U_CRON_JOBS",
    "U_BACKUPS",
    "BACKUPS_INCREMENTAL",
    "LANGUAGE",
    "THEME",
    "NOTIFICATIONS",
    "PREF_UI_SORT",
    "LOGIN_DISABLED",
    "LOGIN_USE_IPLIST",
    "LOGIN_ALLOW_IPS",
    "PHPCLI",
    "TIME",
    "DATE",
];

/// `v-list-user` plain columns (no trailing TAB here, unlike `v-list-users`).
const USER_PLAIN: &[&str] = &[
    "USER",
    "NAME",
    "PACKAGE",
    "WEB_TEMPLATE",
    "BACKEND_TEMPLATE",
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
    "BANDWIDTH",
    "NS",
    "HOME",
    "SHELL",
    "BACKUPS",
    "CONTACT",
    "CRON_REPORTS",
    "RKEY",
    "SUSPENDED",
    "SUSPENDED_USERS",
    "SUSPENDED_WEB",
    "SUSPENDED_DNS",
    "SUSPENDED_MAIL",
    "SUSPENDED_DB",
    "SUSPENDED_CRON",
    "IP_AVAIL",
    "IP_OWNED",
    "U_USERS",
    "U_DISK",
    "U_DISK_DIRS",
    "U_DISK_WEB",
    "U_DISK_MAIL",
    "U_DISK_DB",
    "U_BANDWIDTH",
    "U_WEB_DOMAINS",
    "U_WEB_SSL",
    "U_WEB_ALIASES",
    "U_DNS_DOMAINS",
    "U_DNS_RECORDS",
    "U_MAIL_DOMAINS",
    "U_MAIL_DKIM",
    "U_MAIL_ACCOUNTS",
    "U_DATABASES",
    "U_CRON_JOBS",
    "U_BACKUPS",
    "LANGUAGE",
    "THEME",
    "TIME",
    "DATE",
];

/// `v-list-user` csv columns; `true` marks the double-quoted ones.
const USER_CSV: &[(&str, bool)] = &[
    ("USER", false),
    ("NAME", true),
    ("PACKAGE", false),
    ("WEB_TEMPLATE", false),
    ("BACKEND_TEMPLATE", false),
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
    ("BANDWIDTH", false),
    ("NS", true),
    ("HOME", false),
    ("SHELL", false),
    ("BACKUPS", false),
    ("CONTACT", false),
    ("CRON_REPORTS", false),
    ("RKEY", true),
    ("SUSPENDED", false),
    ("SUSPENDED_USERS", false),
    ("SUSPENDED_WEB", false),
    ("SUSPENDED_DNS", false),
    ("SUSPENDED_MAIL", false),
    ("SUSPENDED_DB", false),
    ("SUSPENDED_CRON", false),
    ("IP_AVAIL", false),
    ("IP_OWNED", false),
    ("U_USERS", false),
    ("U_DISK", false),
    ("U_DISK_DIRS", false),
    ("U_DISK_WEB", false),
    ("U_DISK_MAIL", false),
    ("U_DISK_DB", false),
    ("U_BANDWIDTH", false),
    ("U_WEB_DOMAINS", false),
    ("U_WEB_SSL", false),
    ("U_WEB_ALIASES", false),
    ("U_DNS_DOMAINS", false),
    ("U_DNS_RECORDS", false),
    ("U_MAIL_DOMAINS", false),
    ("U_MAIL_DKIM", false),
    ("U_MAIL_ACCOUNTS", false),
    ("U_DATABASES", false),
    ("U_CRON_JOBS", false),
    ("U_BACKUPS", false),
    ("LANGUAGE", false),
    ("THEME", false),
    ("NOTIFICATIONS", false),
    ("TIME", false),
    ("DATE", false),
];

/// `v-list-users` csv prints `$HOME` of its own environment, which under Hestia's sudo is
/// root's home, not the listed user's.
const LIST_USERS_HOME: &str = "/root";

/// One user as a list row: its name, the `HOME` to print and its `user.conf`.
struct Row<'a> {
    user: &'a str,
    home: &'a str,
    record: &'a Record,
}

impl Row<'_> {
    /// A column's value: `USER` and `HOME` are synthetic, everything else comes from
    /// `user.conf` (a missing key is empty, as in Hestia's `source_conf`).
    fn value(&self, column: &str) -> &str {
        match column {
            "USER" => self.user,
            "HOME" => self.home,
            key => self.record.value(key),
        }
    }

    fn json_fields(&self, fields: &[&str]) -> String {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|f| (*f, self.value(f))).collect();
        render::json_fields(&pairs, "        ")
    }

    fn tab_joined(&self, columns: &[&str]) -> String {
        columns
            .iter()
            .map(|c| self.value(c))
            .collect::<Vec<_>>()
            .join("\t")
    }

    fn csv(&self, columns: &[(&str, bool)]) -> String {
        columns
            .iter()
            .map(|(c, quoted)| render::csv_cell(self.value(c), *quoted))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The csv header line, with Hestia's missing comma between `U_DATABASES` and `U_CRON_JOBS`
/// (its header is echoed in pieces and one piece lacks the trailing comma; rows are fine).
fn csv_header(columns: &[(&str, bool)]) -> String {
    columns
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(",")
        .replace("U_DATABASES,U_CRON_JOBS", "U_DATABASESU_CRON_JOBS")
}

/// The users to list: the root user first, then the others by name. Hestia walks
/// `/etc/passwd`, which hearth has no access to. Entries without a readable, well-formed
/// `user.conf` and names starting with `.` (temporary directories) are skipped.
fn collect_users(call: &Call) -> Vec<(String, Record)> {
    let users_dir = call.system_path("data/users");
    let mut names: Vec<String> = match fs::read_dir(&users_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    if let Some(index) = names.iter().position(|name| name == call.root_user()) {
        let root = names.remove(index);
        names.insert(0, root);
    }
    names
        .into_iter()
        .filter_map(|name| {
            let dir = users_dir.join(&name);
            let record = read_user_conf(&dir)?;
            Some((name, record))
        })
        .collect()
}

fn read_user_conf(dir: &Path) -> Option<Record> {
    if !dir.is_dir() {
        return None;
    }
    let text = hearth_sdk::fs::read_to_string(dir.join("user.conf")).ok()?;
    hearth_sdk::conf::parse_source(&text).ok()
}

/// `v-list-users [FORMAT]`.
pub fn list_users(call: &Call) -> CmdResult {
    let Some(format) = Format::from_arg(call.arg_opt(1)) else {
        return Ok(String::new());
    };
    let users = collect_users(call);
    let rows: Vec<Row> = users
        .iter()
        .map(|(user, record)| Row {
            user,
            home: LIST_USERS_HOME,
            record,
        })
        .collect();
    let mut out = String::new();
    match format {
        Format::Json => {
            // Hestia: `{`, then each user's block without a final newline, `,\n` between
            // blocks, and `}` right after the last block: the last line is `        }}`.
            out.push_str("{\n");
            let blocks: Vec<String> = rows
                .iter()
                .map(|row| {
                    format!(
                        "    {}: {{\n{}\n        }}",
                        render::json_string(row.user),
                        row.json_fields(USERS_FIELDS)
                    )
                })
                .collect();
            out.push_str(&blocks.join(",\n"));
            out.push_str("}\n");
        }
        Format::Plain => {
            let mut columns = vec!["USER"];
            columns.extend_from_slice(USERS_FIELDS);
            for row in &rows {
                // Hestia ends each line with a TAB (the API trims it away).
                out.push_str(&row.tab_joined(&columns));
                out.push_str("\t\n");
            }
        }
        Format::Csv => {
            out.push_str(&csv_header(USERS_CSV));
            out.push('\n');
            for row in &rows {
                out.push_str(&row.csv(USERS_CSV));
                out.push('\n');
            }
        }
        Format::Shell => {
            let mut lines = vec![
                "USER   ROLE   PKG   WEB   DNS   MAIL   DB   DISK   BW   SPND   DATE".to_string(),
                "----   ----   ---   ---   ---   ---    --   ----   --   ----   ----".to_string(),
            ];
            for row in &rows {
                lines.push(
                    [
                        "USER",
                        "ROLE",
                        "PACKAGE",
                        "U_WEB_DOMAINS",
                        "U_DNS_DOMAINS",
                        "U_MAIL_DOMAINS",
                        "U_DATABASES",
                        "U_DISK",
                        "U_BANDWIDTH",
                        "SUSPENDED",
                        "DATE",
                    ]
                    .iter()
                    .map(|c| row.value(c))
                    .collect::<Vec<_>>()
                    .join(" "),
                );
            }
            // `column -t` splits on blanks, so empty values collapse as in Hestia.
            let table: Vec<Vec<String>> = lines
                .iter()
                .map(|line| line.split_whitespace().map(str::to_string).collect())
                .collect();
            out.push_str(&render::columns(&table));
        }
        Format::List => {
            for row in &rows {
                out.push_str(row.user);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// `v-list-user USER [FORMAT]`.
///
/// Deliberate difference: Hestia overwrites `U_USERS` and `SUSPENDED_USERS` with the root
/// user's values. This command only sees the listed user's own directory (a confined access
/// key must not read the root user's file), so it prints the user's own values.
pub fn list_user(call: &Call) -> CmdResult {
    let user = call.arg(1);
    common::user_format(user)?;
    let record = common::load_user(&common::granted_user_dir(call), user)?;
    let home = format!("/home/{user}");
    let row = Row {
        user,
        home: &home,
        record: &record,
    };
    // `list` is not a branch of this script: like any unknown format it prints nothing.
    let format = match Format::from_arg(call.arg_opt(2)) {
        Some(Format::List) | None => return Ok(String::new()),
        Some(format) => format,
    };
    let out = match format {
        Format::Json => format!(
            "{{\n    {}: {{\n{}\n        }}\n}}\n",
            render::json_string(user),
            row.json_fields(USER_FIELDS)
        ),
        Format::Plain => plain_user_line(&row),
        Format::Csv => format!("{}\n{}\n", csv_header(USER_CSV), row.csv(USER_CSV)),
        Format::Shell => shell_user(&row),
        Format::List => String::new(),
    };
    Ok(out)
}

/// `v-list-user` plain: one TAB-separated line. Hestia's script prints a stray `'` before
/// `U_CRON_JOBS`; kept for byte-exactness.
fn plain_user_line(row: &Row) -> String {
    let mut cells: Vec<String> = USER_PLAIN
        .iter()
        .map(|c| row.value(c).to_string())
        .collect();
    if let Some(index) = USER_PLAIN.iter().position(|c| *c == "U_CRON_JOBS") {
        cells[index] = format!("'{}", cells[index]);
    }
    format!("{}\n", cells.join("\t"))
}

/// `v-list-user` shell: `LABEL:   value` lines.
fn shell_user(row: &Row) -> String {
    let v = |key: &str| row.value(key);
    let used = |u: &str, limit: &str| format!("{}/{}", v(u), v(limit));
    let lines = [
        format!("USERNAME:      {}", v("USER")),
        format!("FULL NAME:     {}", v("NAME")),
        format!("EMAIL:         {}", v("CONTACT")),
        format!("LANGUAGE:      {}", v("LANGUAGE")),
        format!("THEME:         {}", v("THEME")),
        format!("SUSPENDED:     {}", v("SUSPENDED")),
        format!("PACKAGE:       {}", v("PACKAGE")),
        format!("SHELL:         {}", v("SHELL")),
        format!("WEB DOMAINS:   {}", used("U_WEB_DOMAINS", "WEB_DOMAINS")),
        format!("WEB ALIASES:   {}", used("U_WEB_ALIASES", "WEB_ALIASES")),
        format!("DNS DOMAINS:   {}", used("U_DNS_DOMAINS", "DNS_DOMAINS")),
        format!("DNS RECORDS:   {}", used("U_DNS_RECORDS", "DNS_RECORDS")),
        format!("MAIL DOMAINS:  {}", used("U_MAIL_DOMAINS", "MAIL_DOMAINS")),
        format!(
            "MAIL ACCOUNTS: {}",
            used("U_MAIL_ACCOUNTS", "MAIL_ACCOUNTS")
        ),
        format!("BACKUPS:       {}", used("U_BACKUPS", "BACKUPS")),
        format!("DATABASES:     {}", used("U_DATABASES", "DATABASES")),
        format!("CRON_JOBS:     {}", used("U_CRON_JOBS", "CRON_JOBS")),
        format!("DISK:          {}", used("U_DISK", "DISK_QUOTA")),
        format!("BANDWIDTH:     {}", used("U_BANDWIDTH", "BANDWIDTH")),
        format!("IP ADDRESSES   {}", used("IP_AVAIL", "IP_OWNED")),
        format!("TIME:          {}", v("TIME")),
        format!("DATE:          {}", v("DATE")),
    ];
    let mut out = lines.join("\n");
    out.push('\n');
    out
}
