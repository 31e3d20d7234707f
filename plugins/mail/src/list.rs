//! The mail list commands in Hestia's json, plain, csv and shell layouts (quirks included),
//! with every JSON string escaped.

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdError, CmdResult, hosting, validate};

use crate::common::{self, State};

/// `v-list-mail-domains` json fields (`WEBMAIL_ALIAS` is the server's alias, not a key of
/// the record).
const DOMAINS_JSON: &[&str] = &[
    "ANTIVIRUS",
    "ANTISPAM",
    "REJECT",
    "RATE_LIMIT",
    "DKIM",
    "CATCHALL",
    "ACCOUNTS",
    "U_DISK",
    "SSL",
    "SUSPENDED",
    "TIME",
    "DATE",
    "WEBMAIL_ALIAS",
    "WEBMAIL",
];

/// `v-list-mail-domain` json fields before the webmail ones.
const DOMAIN_JSON: &[&str] = &[
    "ANTIVIRUS",
    "ANTISPAM",
    "DKIM",
    "CATCHALL",
    "ACCOUNTS",
    "RATE_LIMIT",
    "REJECT",
    "U_DISK",
    "SSL",
    "LETSENCRYPT",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// The per-domain SMTP relay keys `v-list-mail-domain` prints last.
const RELAY: &[&str] = &[
    "U_SMTP_RELAY",
    "U_SMTP_RELAY_HOST",
    "U_SMTP_RELAY_PORT",
    "U_SMTP_RELAY_USERNAME",
];

/// `v-list-mail-accounts` json fields.
const ACCOUNTS_JSON: &[&str] = &[
    "ALIAS",
    "FWD",
    "FWD_ONLY",
    "AUTOREPLY",
    "QUOTA",
    "U_DISK",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-mail-account` json fields before `WEBMAIL_ALIAS`.
const ACCOUNT_JSON: &[&str] = &[
    "ALIAS",
    "FWD",
    "FWD_ONLY",
    "AUTOREPLY",
    "QUOTA",
    "RATE_LIMIT",
    "U_DISK",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// Hestia's keyed JSON object list: `{`, `    "KEY": {`, 8-space fields, `    }` joined with
/// `,`, `}`.
fn json_objects(objects: &[(String, Vec<(&str, String)>)]) -> String {
    let mut out = String::from("{\n");
    for (index, (key, fields)) in objects.iter().enumerate() {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.push_str(&format!(
            "    {}: {{\n{}\n    }}",
            render::json_string(key),
            render::json_fields(&pairs, "        ")
        ));
        out.push_str(if index + 1 < objects.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    out.push_str("}\n");
    out
}

/// `column -t` over space-joined rows: like the shell, empty cells vanish.
fn column_t(rows: &[Vec<String>]) -> String {
    let split: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.join(" ")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .collect();
    render::columns(&split)
}

fn fields<'a>(record: &Record, keys: &[&'a str]) -> Vec<(&'a str, String)> {
    keys.iter()
        .map(|key| (*key, record.value(key).to_string()))
        .collect()
}

/// `check_args`, `is_format_valid 'user'`, `is_object_valid 'user'`; then `hestia.conf`.
fn open_user(call: &Call) -> Result<Record, CmdError> {
    let user = call.arg(1);
    validate::user(user)?;
    common::user_record(call, user, false)?;
    common::settings(call)
}

/// `v-list-mail-domains USER [FORMAT]`.
pub fn list_mail_domains(call: &Call) -> CmdResult {
    let format = Format::from_arg(call.arg_opt(2));
    let settings = open_user(call)?;
    let domains = common::load_domains(call)?;
    let webmail = settings.value("WEBMAIL_ALIAS");
    let value = |record: &Record, key: &str| -> String {
        if key == "WEBMAIL_ALIAS" {
            webmail.to_string()
        } else {
            record.value(key).to_string()
        }
    };
    Ok(match format {
        Some(Format::Json) => json_objects(
            &domains
                .iter()
                .map(|record| {
                    let fields = DOMAINS_JSON
                        .iter()
                        .map(|key| (*key, value(record, key)))
                        .collect();
                    (record.value("DOMAIN").to_string(), fields)
                })
                .collect::<Vec<_>>(),
        ),
        Some(Format::Plain) => domains
            .iter()
            .map(|r| {
                // `\t$SSL\$CATCHALL\t`: Hestia prints a literal `$CATCHALL` here.
                format!(
                    "{}\t{}\t{}\t{}\t{}$CATCHALL\t{}\t{}\t{}\t{}\t{}\t{webmail}\t{}\n",
                    r.value("DOMAIN"),
                    r.value("ANTIVIRUS"),
                    r.value("ANTISPAM"),
                    r.value("DKIM"),
                    r.value("SSL"),
                    r.value("ACCOUNTS"),
                    r.value("U_DISK"),
                    r.value("SUSPENDED"),
                    r.value("TIME"),
                    r.value("DATE"),
                    r.value("WEBMAIL"),
                )
            })
            .collect(),
        Some(Format::Csv) => {
            let mut out = String::from(
                "DOMAIN,ANTIVIRUS,ANTISPAM,DKIM,SSL,CATCHALL,ACCOUNTS,U_DISK,SUSPENDED,TIME,DATE,WEBMAIL_ALIAS,WEBMAIL\n",
            );
            for r in &domains {
                // Hestia's row has a stray `'` before U_DISK and a blank line after it.
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},'{},{},{},{},{webmail},{}\n\n",
                    r.value("DOMAIN"),
                    r.value("ANTIVIRUS"),
                    r.value("ANTISPAM"),
                    r.value("DKIM"),
                    r.value("SSL"),
                    r.value("CATCHALL"),
                    r.value("ACCOUNTS"),
                    r.value("U_DISK"),
                    r.value("SUSPENDED"),
                    r.value("TIME"),
                    r.value("DATE"),
                    r.value("WEBMAIL"),
                ));
            }
            out
        }
        Some(Format::Shell) => {
            let mut rows = vec![
                words("DOMAIN ANTIVIRUS ANTISPAM DKIM SSL ACC DISK SPND DATE"),
                words("------ --------- -------- ---- --- --- ---- --- ----"),
            ];
            for r in &domains {
                rows.push(
                    [
                        "DOMAIN",
                        "ANTIVIRUS",
                        "ANTISPAM",
                        "DKIM",
                        "SSL",
                        "ACCOUNTS",
                        "U_DISK",
                        "SUSPENDED",
                        "DATE",
                    ]
                    .iter()
                    .map(|key| r.value(key).to_string())
                    .collect(),
                );
            }
            column_t(&rows)
        }
        Some(Format::List) | None => String::new(),
    })
}

fn words(line: &str) -> Vec<String> {
    line.split(' ').map(str::to_string).collect()
}

/// The domain record of a list command: `is_format_valid 'user' 'domain'`, the user, then
/// `is_object_valid 'mail' 'DOMAIN'` (and `is_object_unsuspended` with `active`).
fn open_domain(call: &Call, account: Option<&str>, active: bool) -> Result<Opened, CmdError> {
    let user = call.arg(1);
    let domain = call.arg(2);
    validate::user(user)?;
    hosting::domain_format(domain)?;
    if let Some(account) = account {
        common::localpart_format("account", account)?;
    }
    common::user_record(call, user, false)?;
    let settings = common::settings(call)?;
    let domains = common::load_domains(call)?;
    let state = if active { State::Active } else { State::Any };
    let index = common::find_domain(&domains, domain, state)?;
    Ok(Opened {
        settings,
        record: domains[index].clone(),
    })
}

struct Opened {
    settings: Record,
    record: Record,
}

impl Opened {
    /// `$WEBMAIL_ALIAS.$domain`.
    fn webmail(&self, domain: &str) -> String {
        format!("{}.{domain}", self.settings.value("WEBMAIL_ALIAS"))
    }
}

/// `v-list-mail-domain USER DOMAIN [FORMAT]`.
pub fn list_mail_domain(call: &Call) -> CmdResult {
    let format = Format::from_arg(call.arg_opt(3));
    let domain = call.arg(2);
    let opened = open_domain(call, None, false)?;
    let r = &opened.record;
    let webmail = opened.webmail(domain);
    Ok(match format {
        Some(Format::Json) => {
            let mut lines: Vec<String> = DOMAIN_JSON
                .iter()
                .map(|key| {
                    format!(
                        "        {}: {}",
                        render::json_string(key),
                        render::json_string(r.value(key))
                    )
                })
                .collect();
            lines.push(format!(
                "        \"WEBMAIL_ALIAS\": {}",
                render::json_string(&webmail)
            ));
            // Hestia writes these without a blank after the colon.
            for key in std::iter::once(&"WEBMAIL").chain(RELAY) {
                lines.push(format!(
                    "        {}:{}",
                    render::json_string(key),
                    render::json_string(r.value(key))
                ));
            }
            format!(
                "{{\n    {}: {{\n{}\n        }}\n}}\n",
                render::json_string(r.value("DOMAIN")),
                lines.join(",\n")
            )
        }
        Some(Format::Shell) => {
            let v = |key: &str| r.value(key).to_string();
            [
                format!("DOMAIN:             {}", v("DOMAIN")),
                format!("ANTIVIRUS:          {}", v("ANTIVIRUS")),
                format!("ANTISPAM:           {}", v("ANTISPAM")),
                format!("DKIM:               {}", v("DKIM")),
                format!("CATCHALL:           {}", v("CATCHALL")),
                format!("ACCOUNTS:           {}", v("ACCOUNTS")),
                format!("DISK:               {}", v("U_DISK")),
                format!("SSL:                {}", v("SSL")),
                format!("RATE_LIMIT:         {}", v("RATE_LIMIT")),
                format!("REJECT:             {}", v("REJECT")),
                format!("LETSENCRYPT:        {}", v("LETSENCRYPT")),
                format!("SUSPENDED:          {}", v("SUSPENDED")),
                format!("TIME:               {}", v("TIME")),
                format!("DATE:               {}", v("DATE")),
                format!("WEBMAIL_ALIAS:      {webmail}"),
                format!("WEBMAIL:            {}", v("WEBMAIL")),
                format!("U_SMTP_RELAY:          {}", v("U_SMTP_RELAY")),
                format!("U_SMTP_RELAY_HOST      {}", v("U_SMTP_RELAY_HOST")),
                format!("U_SMTP_RELAY_PORT      {}", v("U_SMTP_RELAY_PORT")),
                format!("U_SMTP_RELAY_USERNAME  {}", v("U_SMTP_RELAY_USERNAME")),
            ]
            .iter()
            .map(|line| format!("{line}\n"))
            .collect()
        }
        Some(Format::Plain) => {
            let first: Vec<&str> = [
                "DOMAIN",
                "ANTIVIRUS",
                "ANTISPAM",
                "DKIM",
                "CATCHALL",
                "ACCOUNTS",
                "U_DISK",
                "SSL",
                "LETSENCRYPT",
                "SUSPENDED",
                "TIME",
                "DATE",
            ]
            .iter()
            .map(|key| r.value(key))
            .collect();
            let relay: Vec<&str> = RELAY.iter().map(|key| r.value(key)).collect();
            format!(
                "{}\t{webmail}\t{}\t\n{}\n",
                first.join("\t"),
                r.value("WEBMAIL"),
                relay.join("\t")
            )
        }
        Some(Format::Csv) => {
            let first: Vec<&str> = [
                "DOMAIN",
                "ANTIVIRUS",
                "ANTISPAM",
                "DKIM",
                "CATCHALL",
                "ACCOUNTS",
                "U_DISK",
                "SSL",
                "LETSENCRYPT",
                "SUSPENDED",
                "TIME",
                "DATE",
            ]
            .iter()
            .map(|key| r.value(key))
            .collect();
            let relay: Vec<&str> = RELAY.iter().map(|key| r.value(key)).collect();
            format!(
                "DOMAIN,ANTIVIRUS,ANTISPAM,DKIM,CATCHALL,ACCOUNTS,U_DISK,SSL,LETSENCRYPT,SUSPENDED,TIME,DATE,WEBMAIL_ALIAS,WEBMAIL,\n{}\n{},{webmail},{},\n{}\n",
                RELAY.join(","),
                first.join(","),
                r.value("WEBMAIL"),
                relay.join(",")
            )
        }
        Some(Format::List) | None => String::new(),
    })
}

/// `v-list-mail-accounts USER DOMAIN [FORMAT]`.
pub fn list_mail_accounts(call: &Call) -> CmdResult {
    let format = Format::from_arg(call.arg_opt(3));
    let domain = call.arg(2);
    open_domain(call, None, false)?;
    let accounts = common::load_accounts(call, domain)?;
    Ok(match format {
        Some(Format::Json) => json_objects(
            &accounts
                .iter()
                .map(|r| (r.value("ACCOUNT").to_string(), fields(r, ACCOUNTS_JSON)))
                .collect::<Vec<_>>(),
        ),
        Some(Format::Plain) => accounts
            .iter()
            .map(|r| {
                let values: Vec<&str> = std::iter::once("ACCOUNT")
                    .chain(ACCOUNTS_JSON.iter().copied())
                    .map(|key| r.value(key))
                    .collect();
                format!("{}\n", values.join("\t"))
            })
            .collect(),
        Some(Format::Csv) => {
            let mut out = String::from(
                "ACCOUNT,ALIAS,FWD,FWD_ONLY,AUTOREPLY,QUOTA,U_DISK,SUSPENDED,TIME,DATE\n",
            );
            for r in &accounts {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{}\n",
                    r.value("ACCOUNT"),
                    render::csv_cell(r.value("ALIAS"), true),
                    render::csv_cell(r.value("FWD"), true),
                    r.value("FWD_ONLY"),
                    r.value("AUTOREPLY"),
                    r.value("QUOTA"),
                    r.value("U_DISK"),
                    r.value("SUSPENDED"),
                    r.value("TIME"),
                    r.value("DATE"),
                ));
            }
            out
        }
        Some(Format::Shell) => {
            let mut rows = vec![
                words("ACCOUNT ALIAS FWD DISK DATE"),
                words("------- ----- --- ---- ----"),
            ];
            for r in &accounts {
                rows.push(vec![
                    r.value("ACCOUNT").to_string(),
                    shortened(r.value("ALIAS"), 12),
                    shortened(r.value("FWD"), 20),
                    r.value("U_DISK").to_string(),
                    r.value("DATE").to_string(),
                ]);
            }
            column_t(&rows)
        }
        Some(Format::List) | None => String::new(),
    })
}

/// The shell list's `no` for an empty list, or its first `max` characters and `...`.
fn shortened(value: &str, max: usize) -> String {
    if value.is_empty() {
        "no".to_string()
    } else if value.chars().count() > max {
        format!("{}...", value.chars().take(max).collect::<String>())
    } else {
        value.to_string()
    }
}

/// `v-list-mail-account USER DOMAIN ACCOUNT [FORMAT]`.
pub fn list_mail_account(call: &Call) -> CmdResult {
    let format = Format::from_arg(call.arg_opt(4));
    let domain = call.arg(2);
    let account = call.arg(3);
    let opened = open_domain(call, Some(account), false)?;
    let accounts = common::load_accounts(call, domain)?;
    let index = common::find_account(&accounts, domain, account, State::Any)?;
    let r = &accounts[index];
    let webmail = opened.webmail(domain);
    Ok(match format {
        Some(Format::Json) => {
            let mut fields = fields(r, ACCOUNT_JSON);
            fields.push(("WEBMAIL_ALIAS", webmail));
            json_objects(&[(account.to_string(), fields)])
        }
        Some(Format::Shell) => {
            let v = |key: &str| r.value(key).to_string();
            [
                format!("ACCOUNT:        {account}"),
                format!("ALIAS:          {}", v("ALIAS")),
                format!("FORWARD:        {}", v("FWD")),
                format!("FORWARD_ONLY:   {}", v("FWD_ONLY")),
                format!("AUTOREPLY:      {}", v("AUTOREPLY")),
                format!("QUOTA:          {}", v("QUOTA")),
                format!("DISK:           {}", v("U_DISK")),
                format!("SUSPENDED:      {}", v("SUSPENDED")),
                format!("TIME:           {}", v("TIME")),
                format!("DATE:           {}", v("DATE")),
                format!("WEBMAIL_ALIAS:  {webmail}"),
            ]
            .iter()
            .map(|line| format!("{line}\n"))
            .collect()
        }
        Some(Format::Plain) => {
            let values: Vec<&str> = [
                "ALIAS",
                "FWD",
                "FWD_ONLY",
                "AUTOREPLY",
                "QUOTA",
                "U_DISK",
                "SUSPENDED",
                "TIME",
                "DATE",
            ]
            .iter()
            .map(|key| r.value(key))
            .collect();
            format!("{account}\t{}\t{webmail}\n", values.join("\t"))
        }
        Some(Format::Csv) => {
            // Hestia's header lacks the comma after U_DISK, and its row ends in a literal
            // `\t` (plain `echo`) before the webmail host.
            format!(
                "ACCOUNT,ALIAS,FWD,FWD_ONLY,AUTOREPLY,QUOTA,U_DISKSUSPENDED,TIME,DATE\n{},{},{},{},{},{},{},{},{},{}\\t{webmail}\n",
                r.value("ACCOUNT"),
                render::csv_cell(r.value("ALIAS"), true),
                render::csv_cell(r.value("FWD"), true),
                r.value("FWD_ONLY"),
                r.value("AUTOREPLY"),
                r.value("QUOTA"),
                r.value("U_DISK"),
                r.value("SUSPENDED"),
                r.value("TIME"),
                r.value("DATE"),
            )
        }
        Some(Format::List) | None => String::new(),
    })
}

/// The autoreply message as Hestia lists it: the file without its trailing line breaks, the
/// inner ones written as `\n`.
pub fn message_text(file: &str) -> String {
    file.trim_end_matches('\n').replace('\n', "\\n")
}

/// `v-list-mail-account-autoreply USER DOMAIN ACCOUNT [FORMAT]`.
pub fn list_mail_account_autoreply(call: &Call) -> CmdResult {
    let format = Format::from_arg(call.arg_opt(4));
    let domain = call.arg(2);
    let account = call.arg(3);
    open_domain(call, Some(account), true)?;
    let accounts = common::load_accounts(call, domain)?;
    common::find_account(&accounts, domain, account, State::Active)?;
    let message = match hearth_sdk::fs::read_to_string(common::message_path(call, domain, account))
    {
        Ok(text) => message_text(&text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error.into()),
    };
    Ok(match format {
        Some(Format::Json) => format!(
            "{{\n\t{}: {{\n            \"MSG\": {}\n\t}}\n}}\n",
            render::json_string(account),
            render::json_string(&message.replace("%quote%", "'"))
        ),
        Some(Format::Shell) | Some(Format::Plain) => format!("{message}\n"),
        Some(Format::Csv) => format!("MSG\n{message}\n"),
        Some(Format::List) | None => String::new(),
    })
}
