//! `v-list-web-domains USER [FORMAT]` and `v-list-web-domain USER DOMAIN [FORMAT]`: Hestia's
//! json, plain, csv and shell layouts, with every JSON string escaped.

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdResult, hosting, validate};

use crate::common;

/// `v-list-web-domains` json fields, in Hestia's order.
const DOMAINS_FIELDS: &[&str] = &[
    "IP",
    "IP6",
    "DOCUMENT_ROOT",
    "U_DISK",
    "U_BANDWIDTH",
    "TPL",
    "ALIAS",
    "STATS",
    "STATS_USER",
    "SSL",
    "SSL_HOME",
    "LETSENCRYPT",
    "FTP_USER",
    "FTP_PATH",
    "AUTH_USER",
    "BACKEND",
    "PROXY",
    "PROXY_EXT",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-web-domain` json fields, in Hestia's order.
const DOMAIN_FIELDS: &[&str] = &[
    "IP",
    "IP6",
    "DOCUMENT_ROOT",
    "U_DISK",
    "U_BANDWIDTH",
    "TPL",
    "ALIAS",
    "STATS",
    "STATS_USER",
    "SSL",
    "SSL_FORCE",
    "SSL_HSTS",
    "SSL_HOME",
    "LETSENCRYPT",
    "FTP_USER",
    "FTP_PATH",
    "AUTH_USER",
    "BACKEND",
    "PROXY",
    "PROXY_EXT",
    "FASTCGI_CACHE",
    "FASTCGI_DURATION",
    "REDIRECT",
    "REDIRECT_CODE",
    "CUSTOM_DOCROOT",
    "SUSPENDED",
    "TIME",
    "DATE",
];

/// `v-list-web-domains` plain and csv columns (`DOCROOT` is the document root); `true` marks
/// the columns Hestia double-quotes in csv.
const DOMAINS_COLUMNS: &[(&str, bool)] = &[
    ("DOMAIN", false),
    ("IP", false),
    ("IP6", false),
    ("DOCROOT", false),
    ("U_DISK", false),
    ("U_BANDWIDTH", false),
    ("TPL", false),
    ("ALIAS", true),
    ("STATS", false),
    ("STATS_USER", true),
    ("SSL", false),
    ("SSL_HOME", false),
    ("LETSENCRYPT", false),
    ("FTP_USER", true),
    ("FTP_PATH", true),
    ("AUTH_USER", true),
    ("BACKEND", false),
    ("PROXY", false),
    ("PROXY_EXT", true),
    ("SUSPENDED", false),
    ("TIME", false),
    ("DATE", false),
];

/// One `web.conf` line with its computed document root.
struct View<'a> {
    record: &'a Record,
    docroot: String,
}

impl<'a> View<'a> {
    fn new(record: &'a Record, user: &str, home: &str) -> Self {
        let docroot = match record.value("CUSTOM_DOCROOT") {
            "" => format!("{home}/{user}/web/{}/public_html/", record.value("DOMAIN")),
            custom => custom.to_string(),
        };
        Self { record, docroot }
    }

    fn value(&self, key: &str) -> &str {
        match key {
            "DOCUMENT_ROOT" | "DOCROOT" => &self.docroot,
            key => self.record.value(key),
        }
    }

    fn json(&self, fields: &[&str]) -> String {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|key| (*key, self.value(key))).collect();
        format!(
            "    {}: {{\n{}\n    }}",
            render::json_string(self.value("DOMAIN")),
            render::json_fields(&pairs, "        ")
        )
    }
}

/// The whole `v-list-web-domains` output for `records`.
pub fn render_domains(records: &[Record], user: &str, home: &str, format: Format) -> String {
    let views: Vec<View<'_>> = records.iter().map(|r| View::new(r, user, home)).collect();
    let mut out = String::new();
    match format {
        Format::Json => {
            out.push_str("{\n");
            let objects: Vec<String> = views.iter().map(|v| v.json(DOMAINS_FIELDS)).collect();
            if !objects.is_empty() {
                out.push_str(&objects.join(",\n"));
                out.push('\n');
            }
            out.push_str("}\n");
        }
        Format::Plain => {
            for view in &views {
                let cells: Vec<&str> = DOMAINS_COLUMNS.iter().map(|(k, _)| view.value(k)).collect();
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
        }
        Format::Csv => {
            let header: Vec<&str> = DOMAINS_COLUMNS.iter().map(|(k, _)| *k).collect();
            out.push_str(&header.join(","));
            out.push('\n');
            for view in &views {
                let cells: Vec<String> = DOMAINS_COLUMNS
                    .iter()
                    .map(|(k, quoted)| render::csv_cell(view.value(k), *quoted))
                    .collect();
                out.push_str(&cells.join(","));
                out.push('\n');
            }
        }
        Format::Shell | Format::List => {
            out.push_str("DOMAIN   IP   TPL   SSL   DISK   BW   SPND   DATE\n");
            out.push_str("------   --   ---   ---   ----   --   ----   -----\n");
            for view in &views {
                let cells: Vec<&str> = [
                    "DOMAIN",
                    "IP",
                    "TPL",
                    "SSL",
                    "U_DISK",
                    "U_BANDWIDTH",
                    "SUSPENDED",
                    "DATE",
                ]
                .iter()
                .map(|k| view.value(k))
                .collect();
                out.push_str(&cells.join(" "));
                out.push('\n');
            }
        }
    }
    out
}

/// The whole `v-list-web-domain` output for one record. `web_backend` and `proxy_system`
/// are the server's `WEB_BACKEND` and `PROXY_SYSTEM` (shell shows those lines only then).
pub fn render_domain(
    record: &Record,
    user: &str,
    home: &str,
    format: Format,
    web_backend: bool,
    proxy_system: bool,
) -> String {
    let view = View::new(record, user, home);
    let v = |key: &str| view.value(key);
    match format {
        Format::Json => format!("{{\n{}\n}}\n", view.json(DOMAIN_FIELDS)),
        Format::Plain => {
            // Hestia's own layout, including its stray `,` before LETSENCRYPT and the missing
            // TAB after it.
            let first = [
                "DOMAIN",
                "IP",
                "IP6",
                "DOCROOT",
                "U_DISK",
                "U_BANDWIDTH",
                "TPL",
                "ALIAS",
                "STATS",
                "STATS_USER",
                "SSL",
                "SSL_FORCE",
                "SSL_HSTS",
                "SSL_HOME",
            ]
            .iter()
            .map(|k| v(k))
            .collect::<Vec<_>>()
            .join("\t");
            let last = [
                "FTP_USER",
                "FTP_PATH",
                "AUTH_USER",
                "BACKEND",
                "PROXY",
                "PROXY_EXT",
                "SUSPENDED",
                "TIME",
                "DATE",
            ]
            .iter()
            .map(|k| v(k))
            .collect::<Vec<_>>()
            .join("\t");
            format!("{first}\t,{}{last}\n", v("LETSENCRYPT"))
        }
        Format::Csv => {
            // Hestia's header and row, including the missing comma between STATS and
            // STATS_USER in the row.
            let header = "DOMAIN,IP,IP6,DOCROOT,U_DISK,U_BANDWIDTH,TPL,ALIAS,STATS,STATS_USER,SSL,SSL_FORCE,SSL_HSTS,SSL_HOME,LETSENCRYPT,FTP_USER,FTP_PATH,AUTH_USER,BACKEND,PROXY,PROXY_EXT,SUSPENDED,TIME,DATE";
            let q = |key: &str| render::csv_cell(v(key), true);
            let row = format!(
                "{},{},{},{},{},{},{},{},{}{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                v("DOMAIN"),
                v("IP"),
                v("IP6"),
                v("DOCROOT"),
                v("U_DISK"),
                v("U_BANDWIDTH"),
                v("TPL"),
                q("ALIAS"),
                v("STATS"),
                q("STATS_USER"),
                v("SSL"),
                v("SSL_FORCE"),
                v("SSL_HSTS"),
                v("SSL_HOME"),
                v("LETSENCRYPT"),
                q("FTP_USER"),
                q("FTP_PATH"),
                q("AUTH_USER"),
                v("BACKEND"),
                v("PROXY"),
                q("PROXY_EXT"),
                v("SUSPENDED"),
                v("TIME"),
                v("DATE"),
            );
            format!("{header}\n{row}\n")
        }
        Format::Shell | Format::List => {
            let mut out = String::new();
            let mut line = |label: &str, value: &str| {
                out.push_str(&format!("{:<18}{value}\n", format!("{label}:")));
            };
            line("DOMAIN", v("DOMAIN"));
            line("ALIAS", &v("ALIAS").replace(',', " "));
            line("IP", v("IP"));
            line("DOCUMENT_ROOT", v("DOCROOT"));
            if !v("IP6").is_empty() {
                line("IP6", v("IP6"));
            }
            if !v("SSL").is_empty() && v("SSL") != "no" {
                line("SSL", &format!("{} / {}", v("SSL"), v("SSL_HOME")));
                if !v("LETSENCRYPT").is_empty() && v("LETSENCRYPT") != "no" {
                    line("LETSENCRYPT", v("LETSENCRYPT"));
                }
                if !v("SSL_FORCE").is_empty() {
                    line("SSL_FORCE", v("SSL_FORCE"));
                }
                if !v("SSL_HSTS").is_empty() {
                    line("SSL_HSTS", v("SSL_HSTS"));
                }
            }
            line("TEMPLATE", v("TPL"));
            if web_backend {
                line("BACKEND", v("BACKEND"));
            }
            if proxy_system {
                line("PROXY", v("PROXY"));
                line("PROXY EXT", &v("PROXY_EXT").replace(',', " "));
            }
            if !v("STATS").is_empty() {
                line("STATS", v("STATS"));
            }
            if v("FASTCGI_CACHE") == "yes" {
                line("FASTCGI_CACHE", v("FASTCGI_CACHE"));
                line("FASTCGI_DURATION", v("FASTCGI_DURATION"));
            }
            if !v("REDIRECT").is_empty() {
                line("REDIRECT", v("REDIRECT"));
                line("REDIRECT_CODE", v("REDIRECT_CODE"));
            }
            if !v("CUSTOM_DOCROOT").is_empty() {
                line("CUSTOM_DOCROOT", v("CUSTOM_DOCROOT"));
            }
            if !v("STATS_USER").is_empty() {
                line("STATS_USER", v("STATS_USER"));
            }
            if !v("FTP_USER").is_empty() {
                line("FTP_USER", &v("FTP_USER").replace(',', ", "));
            }
            if !v("FTP_PATH").is_empty() {
                line("FTP_PATH", v("FTP_PATH"));
            }
            if !v("AUTH_USER").is_empty() {
                line("HTTP_AUTH", v("AUTH_USER"));
            }
            line("DISK", v("U_DISK"));
            line("BW", v("U_BANDWIDTH"));
            line("SUSPENDED", v("SUSPENDED"));
            line("TIME", v("TIME"));
            line("DATE", v("DATE"));
            out
        }
    }
}

pub fn list_web_domains(call: &Call) -> CmdResult {
    let user = call.arg(1);
    validate::user(user)?;
    hosting::user_record(call, user)?;
    let Some(format) = Format::from_arg(call.arg_opt(2)).filter(|f| *f != Format::List) else {
        return Ok(String::new());
    };
    let settings = hosting::settings(call)?;
    let domains = common::load_domains(call)?;
    Ok(render_domains(
        &domains,
        user,
        hosting::home_root(&settings),
        format,
    ))
}

pub fn list_web_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    validate::user(user)?;
    validate::domain(domain)?;
    hosting::user_record(call, user)?;
    let domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    let Some(format) = Format::from_arg(call.arg_opt(3)).filter(|f| *f != Format::List) else {
        return Ok(String::new());
    };
    let settings = hosting::settings(call)?;
    Ok(render_domain(
        &domains[index],
        user,
        hosting::home_root(&settings),
        format,
        !settings.value("WEB_BACKEND").is_empty(),
        !settings.value("PROXY_SYSTEM").is_empty(),
    ))
}
