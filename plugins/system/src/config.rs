//! `v-list-sys-config [FORMAT]`: Hestia's fixed-layout listing of `conf/hestia.conf`.
//!
//! The layouts are copied from Hestia 1.10's script, quirks included (two oddly indented JSON
//! lines, the broken quoting at the end of the CSV rows, `plain` printing the shell layout).
//! Two differences: JSON values are escaped, so the output stays valid JSON whatever a value
//! holds (Hestia echoes them raw and unquoted, so it also collapses blank runs), and
//! `SUPPORT_DNSSEC` is `yes` whenever `DNS_SYSTEM` is set, where Hestia asks `named -v` (every
//! supported bind is newer than 9.16.18, the version that answers `no`).

use hearth_sdk::conf::Record;
use hearth_sdk::render::{Format, json_string};
use hearth_sdk::{Call, CmdResult};

/// The keys of the JSON listing, in Hestia's order, each with its line's indentation.
const JSON_KEYS: &[(&str, &str)] = &[
    ("\t\t\t", "ANTISPAM_SYSTEM"),
    ("\t\t\t", "ANTIVIRUS_SYSTEM"),
    ("\t\t\t", "API"),
    ("\t\t\t", "API_ALLOWED_IP"),
    ("\t\t\t", "API_SYSTEM"),
    ("\t\t\t", "APP_NAME"),
    ("\t\t\t", "BACKEND_PORT"),
    ("\t\t\t", "BACKUP"),
    ("\t\t\t", "BACKUP_GZIP"),
    ("            ", "BACKUP_INCREMENTAL"),
    ("\t\t\t", "BACKUP_MODE"),
    ("\t\t\t", "BACKUP_SYSTEM"),
    ("\t\t\t", "CRON_SYSTEM"),
    ("\t\t\t", "DB_PGA_ALIAS"),
    ("\t\t\t", "DB_PMA_ALIAS"),
    ("\t\t\t", "DB_SYSTEM"),
    ("\t\t\t", "DEBUG_MODE"),
    ("\t\t\t", "DEMO_MODE"),
    ("\t\t\t", "DISABLE_IP_CHECK"),
    ("\t\t\t", "DISK_QUOTA"),
    ("\t\t\t", "RESOURCES_LIMIT"),
    ("\t\t\t", "DNS_CLUSTER"),
    ("\t\t\t", "DNS_CLUSTER_SYSTEM"),
    ("\t\t\t", "DNS_SYSTEM"),
    ("\t\t\t", "ENFORCE_SUBDOMAIN_OWNERSHIP"),
    ("\t\t\t", "FILE_MANAGER"),
    ("\t\t\t", "FIREWALL_EXTENSION"),
    ("\t\t\t", "FIREWALL_SYSTEM"),
    ("\t\t\t", "FROM_EMAIL"),
    ("\t\t\t", "FROM_NAME"),
    ("\t\t\t", "FTP_SYSTEM"),
    ("\t\t\t", "HIDE_DOCS"),
    ("\t\t\t", "IMAP_SYSTEM"),
    ("\t\t\t", "INACTIVE_SESSION_TIMEOUT"),
    ("\t\t\t", "LANGUAGE"),
    ("\t\t\t", "LOGIN_STYLE"),
    ("\t\t\t", "MAIL_SYSTEM"),
    ("\t\t\t", "PHPMYADMIN_KEY"),
    ("\t\t\t", "PLUGIN_APP_INSTALLER"),
    ("\t\t\t", "PLUGIN_FILE_MANAGER"),
    ("\t\t\t", "POLICY_BACKUP_SUSPENDED_USERS"),
    ("\t\t\t", "POLICY_CSRF_STRICTNESS"),
    ("\t\t\t", "POLICY_SYNC_ERROR_DOCUMENTS"),
    ("\t\t\t", "POLICY_SYNC_SKELETON"),
    ("\t\t\t", "POLICY_SYSTEM_ENABLE_BACON"),
    ("\t\t\t", "POLICY_SYSTEM_HIDE_ADMIN"),
    ("\t\t\t", "POLICY_SYSTEM_HIDE_SERVICES"),
    ("\t\t\t", "POLICY_SYSTEM_PASSWORD_RESET"),
    ("\t\t\t", "POLICY_SYSTEM_PROTECTED_ADMIN"),
    ("\t\t\t", "POLICY_USER_CHANGE_THEME"),
    ("\t\t\t", "POLICY_USER_DELETE_LOGS"),
    ("\t\t\t", "POLICY_USER_EDIT_DETAILS"),
    ("\t\t\t", "POLICY_USER_EDIT_DNS_TEMPLATES"),
    ("\t\t\t", "POLICY_USER_EDIT_WEB_TEMPLATES"),
    ("\t\t\t", "POLICY_USER_EDIT_BACKEND_TEMPLATES"),
    ("\t\t\t", "POLICY_USER_EDIT_PROXY_TEMPLATES"),
    ("\t\t\t", "POLICY_USER_VIEW_LOGS"),
    ("\t\t\t", "POLICY_USER_VIEW_SUSPENDED"),
    ("\t\t\t", "PROXY_PORT"),
    ("\t\t\t", "PROXY_SSL_PORT"),
    ("\t\t\t", "PROXY_SYSTEM"),
    ("\t\t\t", "RELEASE_BRANCH"),
    ("\t\t\t", "REPOSITORY"),
    ("      \t\t", "ROOT_USER"),
    ("\t\t\t", "SERVER_SMTP_ADDR"),
    ("\t\t\t", "SERVER_SMTP_HOST"),
    ("\t\t\t", "SERVER_SMTP_PASSWD"),
    ("\t\t\t", "SERVER_SMTP_PORT"),
    ("\t\t\t", "SERVER_SMTP_SECURITY"),
    ("\t\t\t", "SERVER_SMTP_USER"),
    ("\t\t\t", "SMTP_RELAY"),
    ("\t\t\t", "SMTP_RELAY_HOST"),
    ("\t\t\t", "SMTP_RELAY_PORT"),
    ("\t\t\t", "SMTP_RELAY_USER"),
    ("\t\t\t", "STATS_SYSTEM"),
    ("\t\t\t", "SUBJECT_EMAIL"),
    ("\t\t\t", "SUPPORT_DNSSEC"),
    ("\t\t\t", "THEME"),
    ("\t\t\t", "TITLE"),
    ("\t\t\t", "UPDATE_AVAILABLE"),
    ("\t\t\t", "UPGRADE_SEND_EMAIL"),
    ("\t\t\t", "UPGRADE_SEND_EMAIL_LOG"),
    ("\t\t\t", "USE_SERVER_SMTP"),
    ("\t\t\t", "VERSION"),
    ("\t\t\t", "WEBMAIL_ALIAS"),
    ("\t\t\t", "WEBMAIL_SYSTEM"),
    ("\t\t\t", "WEB_BACKEND"),
    ("\t\t\t", "WEB_PORT"),
    ("\t\t\t", "WEB_RGROUPS"),
    ("\t\t\t", "WEB_SSL"),
    ("\t\t\t", "WEB_SSL_PORT"),
    ("\t\t\t", "WEB_SYSTEM"),
    ("\t\t\t", "WEB_TERMINAL"),
    ("\t\t\t", "WEB_TERMINAL_PORT"),
];

/// The CSV listing: a header row and a value row, `$KEY` standing for a value. The missing
/// quote and comma near the end of both rows are Hestia's.
const CSV_TEMPLATE: &str = concat!(
    "'WEB_SYSTEM','WEB_RGROUPS','WEB_PORT','WEB_SSL',",
    "'WEB_SSL_PORT','WEB_BACKEND','PROXY_SYSTEM','PROXY_PORT',",
    "'PROXY_SSL_PORT','FTP_SYSTEM','MAIL_SYSTEM','IMAP_SYSTEM',",
    "'ANTIVIRUS_SYSTEM','ANTISPAM_SYSTEM','DB_SYSTEM',",
    "'DNS_SYSTEM','DNS_CLUSTER','STATS_SYSTEM','BACKUP_SYSTEM',",
    "'CRON_SYSTEM','DISK_QUOTA','RESOURCES_LIMIT','FIREWALL_SYSTEM',",
    "'FIREWALL_EXTENSION','FILE_MANAGER','REPOSITORY',",
    "'VERSION','DEMO_MODE','RELEASE_BRANCH',",
    "'SMTP_RELAY','SMTP_RELAY_HOST','SMTP_RELAY_PORT','SMTP_RELAY_USER',",
    "'UPGRADE_SEND_EMAIL','UPGRADE_SEND_EMAIL_LOG',",
    "'THEME', 'LANGUAGE','BACKUP_GZIP','BACKUP','WEBMAIL_ALIAS',",
    "'DB_PMA_ALIAS','DB_PGA_ALIAS','DEBUG_MODE','API','API_ALLOWED_IP',",
    "'POLICY_SYSTEM_PROTECTED_ADMIN',POLICY_SYSTEM_HIDE_ADMIN'",
    "\n",
    "'$WEB_SYSTEM','$WEB_RGROUPS','$WEB_PORT','$WEB_SSL',",
    "'$WEB_SSL_PORT','$WEB_BACKEND','$PROXY_SYSTEM','$PROXY_PORT',",
    "'$PROXY_SSL_PORT','$FTP_SYSTEM','$MAIL_SYSTEM','$IMAP_SYSTEM',",
    "'$ANTIVIRUS_SYSTEM','$ANTISPAM_SYSTEM','$DB_SYSTEM','$DNS_SYSTEM',",
    "'$DNS_CLUSTER','$STATS_SYSTEM','$BACKUP_SYSTEM','$CRON_SYSTEM',",
    "'$DISK_QUOTA','$RESOURCES_LIMIT','$FIREWALL_SYSTEM','$FIREWALL_EXTENSION','$FILE_MANAGER',",
    "'$REPOSITORY', '$VERSION','$DEMO_MODE','$RELEASE_BRANCH',",
    "'$SMTP_RELAY','$SMTP_RELAY_HOST','$SMTP_RELAY_PORT','$SMTP_RELAY_USER',",
    "'$UPGRADE_SEND_EMAIL','$UPGRADE_SEND_EMAIL_LOG','$THEME','$LANGUAGE',",
    "'$BACKUP_GZIP','$BACKUP','$WEBMAIL_ALIAS','$DB_PMA_URL','$DB_PGA_URL'",
    "'$DEBUG_MODE','$API','$API_ALLOWED_IP','$POLICY_SYSTEM_PROTECTED_ADMIN,$POLICY_SYSTEM_HIDE_ADMIN",
    "\n",
);

/// `v-list-sys-config [FORMAT]`.
pub fn list_sys_config(call: &Call) -> CmdResult {
    let mut conf = crate::read_hestia_conf(call)?;
    if !conf.value("DNS_SYSTEM").is_empty() {
        conf.set("SUPPORT_DNSSEC", "yes");
    }
    // `json`, `plain`, `csv` and `shell`; anything else (even empty) prints nothing.
    Ok(match Format::from_arg(call.arg_opt(1)) {
        Some(Format::Json) => json_list(&conf),
        Some(Format::Csv) => expand(CSV_TEMPLATE, &conf),
        Some(Format::Plain | Format::Shell) => shell_list(&conf),
        Some(Format::List) | None => String::new(),
    })
}

fn json_list(conf: &Record) -> String {
    let fields: Vec<String> = JSON_KEYS
        .iter()
        .map(|(indent, key)| format!("{indent}\"{key}\": {}", json_string(conf.value(key))))
        .collect();
    format!(
        "{{\n\t\t\"config\": {{\n{}\n\t\t}}\n\t}}\n",
        fields.join(",\n")
    )
}

/// The shell listing (also what `plain` prints: Hestia's `plain` branch calls `shell_list`).
fn shell_list(conf: &Record) -> String {
    let v = |key: &str| conf.value(key);
    let set = |key: &str| !conf.value(key).is_empty();
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    if set("WEB_SYSTEM") {
        line(format!(
            "Web Server:                       {}:{} ({})",
            v("WEB_SYSTEM"),
            v("WEB_PORT"),
            v("WEB_RGROUPS")
        ));
        line(format!(
            "SSL Support:                      {}:{}",
            v("WEB_SSL"),
            v("WEB_SSL_PORT")
        ));
    }
    if set("WEB_BACKEND") {
        line(format!(
            "PHP Intepreter:                   {}",
            v("WEB_BACKEND")
        ));
    }
    if set("PROXY_SYSTEM") {
        line(format!(
            "Proxy Server:                     {}:{}",
            v("PROXY_SYSTEM"),
            v("PROXY_PORT")
        ));
        line(format!(
            "Proxy SSL:                        {}:{}",
            v("PROXY_SYSTEM"),
            v("PROXY_SSL_PORT")
        ));
    }
    if set("STATS_SYSTEM") {
        line(format!(
            "Statistics Engine:                {}",
            v("STATS_SYSTEM").replace(',', ", ")
        ));
    }
    if set("FTP_SYSTEM") {
        line(format!(
            "FTP Server:                       {}",
            v("FTP_SYSTEM")
        ));
    }
    if set("MAIL_SYSTEM") {
        let mut mail = format!("Mail Server:                      {}", v("MAIL_SYSTEM"));
        for key in ["IMAP_SYSTEM", "ANTIVIRUS_SYSTEM", "ANTISPAM_SYSTEM"] {
            if set(key) {
                mail.push_str(&format!(" + {}", v(key)));
            }
        }
        line(mail);
        if set("WEBMAIL_ALIAS") {
            line(format!(
                "Webmail alias:                    {}",
                v("WEBMAIL_ALIAS")
            ));
        }
    }
    if set("DB_SYSTEM") {
        line(format!(
            "Database:                         {}",
            v("DB_SYSTEM").replace(',', ", ")
        ));
        if set("DB_PMA_ALIAS") {
            line(format!(
                "phpMyAdmin Alias:                 {}",
                v("DB_PMA_ALIAS")
            ));
        }
        if set("DB_PGA_ALIAS") {
            line(format!(
                "phpPgAdmin Alias:                 {}",
                v("DB_PGA_ALIAS")
            ));
        }
    }
    if set("DNS_SYSTEM") {
        let cluster = if set("DNS_CLUSTER") { " (cluster)" } else { "" };
        line(format!(
            "DNS Server:                       {}{cluster}",
            v("DNS_SYSTEM")
        ));
    }
    if set("CRON_SYSTEM") {
        line(format!(
            "CRON daemon:                      {}",
            v("CRON_SYSTEM")
        ));
    }
    if set("FIREWALL_SYSTEM") {
        // Hestia prints no blank before the `+` here.
        let extension = if set("FIREWALL_EXTENSION") {
            format!("+ {}", v("FIREWALL_EXTENSION"))
        } else {
            String::new()
        };
        line(format!(
            "Firewall:                         {}{extension}",
            v("FIREWALL_SYSTEM")
        ));
    }
    if set("BACKUP_SYSTEM") {
        line(format!(
            "Backups:                          {}",
            v("BACKUP_SYSTEM").replace(',', ", ")
        ));
        line(format!("Backup Directory:                 {}", v("BACKUP")));
    }
    if set("DISK_QUOTA") {
        line(format!(
            "Disk Quota enabled:               {}",
            v("DISK_QUOTA")
        ));
    }
    if set("RESOURCES_LIMIT") {
        line(format!(
            "Resource limit with cgroup enabled:               {}",
            v("RESOURCES_LIMIT")
        ));
    }
    if set("LANGUAGE") && v("LANGUAGE") != "en" {
        line(format!(
            "System Language:                  {}",
            v("LANGUAGE")
        ));
    }
    line(format!(
        "Version:                          {}",
        v("VERSION")
    ));
    if set("DEMO_MODE") {
        line(format!(
            "Demo Mode:                        {}",
            v("DEMO_MODE")
        ));
    }
    if set("FILE_MANAGER") {
        line(format!(
            "File Manager enabled:             {}",
            v("FILE_MANAGER")
        ));
    }
    if set("API") {
        line(format!("API enabled:             {}", v("API")));
        line(format!(
            "API allowed IP's:             {}",
            v("API_ALLOWED_IP")
        ));
    }
    if set("SMTP_RELAY") && v("SMTP_RELAY") != "false" {
        line(format!(
            "SMTP Relay enabled:                {}",
            v("SMTP_RELAY")
        ));
        line(format!(
            "SMTP Relay Server:                 {}",
            v("SMTP_RELAY_HOST")
        ));
        line(format!(
            "SMTP Relay Port:                   {}",
            v("SMTP_RELAY_PORT")
        ));
        line(format!(
            "SMTP Relay User:                   {}",
            v("SMTP_RELAY_USER")
        ));
    }
    line(format!(
        "SMTP Server Account enabled:       {}",
        v("USE_SERVER_SMTP")
    ));
    if set("USE_SERVER_SMTP") && v("USE_SERVER_SMTP") != "false" {
        line(format!(
            "SMTP Server Account Host:          {}",
            v("SERVER_SMTP_HOST")
        ));
        line(format!(
            "SMTP Server Account Port:          {}",
            v("SERVER_SMTP_PORT")
        ));
        line(format!(
            "SMTP Server Account Security:      {}",
            v("SERVER_SMTP_SECURITY")
        ));
        line(format!(
            "SMTP Server Account Username:      {}",
            v("SERVER_SMTP_USER")
        ));
        line(format!(
            "SMTP Server Account Password:      {}",
            v("SERVER_SMTP_PASSWD")
        ));
        line(format!(
            "SMTP Server Account Address:       {}",
            v("SERVER_SMTP_ADDR")
        ));
    }
    line(format!(
        "Release Branch:                   {}",
        v("RELEASE_BRANCH")
    ));
    line(format!(
        "Debug Mode:                       {}",
        v("DEBUG_MODE")
    ));
    line(format!("Theme:                            {}", v("THEME")));
    line(format!(
        "Restricted Admin Access:          {}",
        v("POLICY_SYSTEM_PROTECTED_ADMIN")
    ));
    line(format!(
        "Hide System Administator:         {}",
        v("POLICY_SYSTEM_HIDE_ADMIN")
    ));
    line(format!(
        "Updates: Notify by email:         {}",
        v("UPGRADE_SEND_EMAIL")
    ));
    line(format!(
        "Updates: Email install log:       {}",
        v("UPGRADE_SEND_EMAIL_LOG")
    ));
    out
}

/// Replaces each `$KEY` (`[A-Z0-9_]+`) in `template` with its value, in one pass, so a value
/// containing `$` is never expanded again.
fn expand(template: &str, conf: &Record) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        out.push_str(conf.value(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    const CONF: &str = "\
WEB_SYSTEM='nginx'
WEB_RGROUPS='www-data'
WEB_PORT='80'
WEB_SSL='openssl'
WEB_SSL_PORT='443'
WEB_BACKEND='php-fpm'
STATS_SYSTEM='awstats'
FTP_SYSTEM='vsftpd'
MAIL_SYSTEM='exim4'
IMAP_SYSTEM='dovecot'
ANTISPAM_SYSTEM='spamassassin'
WEBMAIL_ALIAS='webmail'
DB_SYSTEM='mysql,pgsql'
DB_PMA_ALIAS='phpmyadmin'
DNS_SYSTEM='bind9'
CRON_SYSTEM='cron'
FIREWALL_SYSTEM='iptables'
FIREWALL_EXTENSION='fail2ban'
BACKUP_SYSTEM='local'
BACKUP='/backup'
LANGUAGE='en'
VERSION='1.10.0'
API='yes'
API_SYSTEM='1'
API_ALLOWED_IP='allow-all'
ROOT_USER='admin'
USE_SERVER_SMTP='false'
RELEASE_BRANCH='release'
DEBUG_MODE='no'
THEME='dark'
POLICY_SYSTEM_PROTECTED_ADMIN='no'
POLICY_SYSTEM_HIDE_ADMIN='no'
UPGRADE_SEND_EMAIL='true'
UPGRADE_SEND_EMAIL_LOG='false'
";

    #[test]
    fn json_has_hestias_fixed_keys_and_layout() {
        let root = data_root(CONF);
        let (code, output) = run(root.path(), "v-list-sys-config", &["json"]);
        assert_eq!(code, 0);
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines[0], "{");
        assert_eq!(lines[1], "\t\t\"config\": {");
        assert_eq!(lines[2], "\t\t\t\"ANTISPAM_SYSTEM\": \"spamassassin\",");
        assert_eq!(lines[5], "\t\t\t\"API_ALLOWED_IP\": \"allow-all\",");
        assert!(lines.contains(&"            \"BACKUP_INCREMENTAL\": \"\","));
        assert!(lines.contains(&"      \t\t\"ROOT_USER\": \"admin\","));
        // bind is set, so DNSSEC is reported as supported.
        assert!(lines.contains(&"\t\t\t\"SUPPORT_DNSSEC\": \"yes\","));
        assert_eq!(lines[lines.len() - 3], "\t\t\t\"WEB_TERMINAL_PORT\": \"\"");
        assert_eq!(lines[lines.len() - 2], "\t\t}");
        assert_eq!(lines[lines.len() - 1], "\t}");
        assert!(output.ends_with("\t}\n"));

        let value: serde_json::Value = serde_json::from_str(&output).unwrap();
        let config = value["config"].as_object().unwrap();
        assert_eq!(config.len(), super::JSON_KEYS.len());
        assert_eq!(config["API"], "yes");
        assert_eq!(config["API_SYSTEM"], "1");
        assert_eq!(config["TITLE"], "");
    }

    #[test]
    fn json_stays_valid_whatever_the_values() {
        let root = data_root("TITLE='a \"quoted\" \\ back\tslash'\nAPP_NAME='x'\\''y'\n");
        let (code, output) = run(root.path(), "v-list-sys-config", &["json"]);
        assert_eq!(code, 0);
        let value: serde_json::Value = serde_json::from_str(&output).unwrap();
        assert_eq!(value["config"]["TITLE"], "a \"quoted\" \\ back\tslash");
        assert_eq!(value["config"]["APP_NAME"], "x'y");
        assert_eq!(value["config"]["SUPPORT_DNSSEC"], "");
    }

    #[test]
    fn shell_and_plain_print_the_summary() {
        let root = data_root(CONF);
        let expected = "\
Web Server:                       nginx:80 (www-data)
SSL Support:                      openssl:443
PHP Intepreter:                   php-fpm
Statistics Engine:                awstats
FTP Server:                       vsftpd
Mail Server:                      exim4 + dovecot + spamassassin
Webmail alias:                    webmail
Database:                         mysql, pgsql
phpMyAdmin Alias:                 phpmyadmin
DNS Server:                       bind9
CRON daemon:                      cron
Firewall:                         iptables+ fail2ban
Backups:                          local
Backup Directory:                 /backup
Version:                          1.10.0
API enabled:             yes
API allowed IP's:             allow-all
SMTP Server Account enabled:       false
Release Branch:                   release
Debug Mode:                       no
Theme:                            dark
Restricted Admin Access:          no
Hide System Administator:         no
Updates: Notify by email:         true
Updates: Email install log:       false
";
        assert_eq!(
            run(root.path(), "v-list-sys-config", &[]),
            (0, expected.to_string())
        );
        assert_eq!(
            run(root.path(), "v-list-sys-config", &["shell"]),
            (0, expected.to_string())
        );
        assert_eq!(
            run(root.path(), "v-list-sys-config", &["plain"]),
            (0, expected.to_string())
        );
    }

    #[test]
    fn shell_of_an_empty_config() {
        let root = data_root("");
        let (code, output) = run(root.path(), "v-list-sys-config", &["shell"]);
        assert_eq!(code, 0);
        assert!(output.starts_with("Version:                          \n"));
        assert!(output.contains("SMTP Server Account enabled:       \n"));
        assert_eq!(output.lines().count(), 9);
    }

    #[test]
    fn csv_keeps_hestias_layout() {
        let root = data_root(CONF);
        let (code, output) = run(root.path(), "v-list-sys-config", &["csv"]);
        assert_eq!(code, 0);
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("'WEB_SYSTEM','WEB_RGROUPS','WEB_PORT','WEB_SSL',"));
        assert!(lines[0].ends_with("'POLICY_SYSTEM_PROTECTED_ADMIN',POLICY_SYSTEM_HIDE_ADMIN'"));
        assert!(lines[1].starts_with("'nginx','www-data','80','openssl',"));
        assert!(lines[1].contains("'mysql,pgsql','bind9',"));
        assert!(lines[1].contains("'/backup','webmail','','''no','yes','allow-all','no,no"));
        assert!(lines[1].ends_with(",no"));
    }

    #[test]
    fn unknown_or_empty_format_prints_nothing() {
        let root = data_root(CONF);
        for format in ["", "xml", "list", "JSON"] {
            assert_eq!(
                run(root.path(), "v-list-sys-config", &[format]),
                (0, String::new())
            );
        }
    }

    #[test]
    fn missing_config_lists_empty_values() {
        let root = data_root("");
        std::fs::remove_file(root.path().join("conf/hestia.conf")).unwrap();
        let (code, output) = run(root.path(), "v-list-sys-config", &["json"]);
        assert_eq!(code, 0);
        let value: serde_json::Value = serde_json::from_str(&output).unwrap();
        assert_eq!(value["config"]["API"], "");
    }

    #[test]
    fn expand_substitutes_once() {
        let conf = hearth_sdk::conf::Record::from_pairs([("A", "$B"), ("B", "no")]);
        assert_eq!(super::expand("'$A','$B','$C'", &conf), "'$B','no',''");
    }
}
