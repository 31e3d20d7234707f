//! The domain's nginx configuration: the admin-editable template
//! `data/templates/web/<TPL>.tpl` (or `suspended.tpl` for a suspended domain) rendered with
//! Hestia's `%placeholder%` values into `<HOME>/<USER>/conf/web/<DOMAIN>/nginx.conf`.

use std::io;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, hosting, validate};

use crate::common;

/// The template a suspended domain is rendered with.
pub const SUSPENDED_TEMPLATE: &str = "suspended";

/// The rendered file's name inside `conf/web/<DOMAIN>/`.
pub const CONFIG_NAME: &str = "nginx.conf";

/// Replaces every `%name%` whose name is in `values`; anything else is copied unchanged.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let replaced = after.find('%').and_then(|end| {
            let name = &after[..end];
            let known = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !known {
                return None;
            }
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (value, end))
        });
        match replaced {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a domain's configuration is rendered from.
pub struct Site<'a> {
    pub user: &'a str,
    pub domain: &'a str,
    pub ip: &'a str,
    pub aliases: &'a [String],
    pub proxy_ext: &'a str,
    pub custom_docroot: &'a str,
}

/// Hestia's `add_web_config` placeholder values for `site`.
pub fn values(settings: &Record, site: &Site<'_>) -> Result<Vec<(&'static str, String)>, CmdError> {
    let home = hosting::home_root(settings).to_string();
    let user = site.user;
    let domain = site.domain;
    let domain_idn = hosting::domain_idn(domain)?;
    let mut aliases_idn = Vec::with_capacity(site.aliases.len());
    for alias in site.aliases {
        aliases_idn.push(hosting::domain_idn(alias)?);
    }
    let alias_string = if aliases_idn.is_empty() {
        String::new()
    } else {
        format!("ServerAlias {}", aliases_idn.join(" "))
    };
    let docroot = if site.custom_docroot.is_empty() {
        format!("{home}/{user}/web/{domain}/public_html")
    } else {
        site.custom_docroot.to_string()
    };
    let ssl = |ext: &str| format!("{home}/{user}/conf/web/{domain}/ssl/{domain}.{ext}");
    let port = |key: &str, default: &str| match settings.value(key) {
        "" => default.to_string(),
        value => value.to_string(),
    };
    Ok(vec![
        ("ip", site.ip.to_string()),
        ("domain", domain.to_string()),
        ("domain_idn", domain_idn),
        ("alias", site.aliases.join(" ")),
        ("alias_idn", aliases_idn.join(" ")),
        ("alias_string", alias_string),
        ("email", format!("info@{domain}")),
        ("web_system", settings.value("WEB_SYSTEM").to_string()),
        ("web_port", port("WEB_PORT", "80")),
        ("web_ssl_port", port("WEB_SSL_PORT", "443")),
        ("backend_lsnr", String::new()),
        ("rgroups", settings.value("WEB_RGROUPS").to_string()),
        ("proxy_system", settings.value("PROXY_SYSTEM").to_string()),
        ("proxy_port", port("PROXY_PORT", "80")),
        ("proxy_ssl_port", port("PROXY_SSL_PORT", "443")),
        ("proxy_extentions", site.proxy_ext.replace(',', "|")),
        ("proxy_extensions", site.proxy_ext.replace(',', "|")),
        ("user", user.to_string()),
        ("group", user.to_string()),
        ("home", home.clone()),
        ("docroot", docroot.clone()),
        ("sdocroot", docroot),
        ("ssl_crt", ssl("crt")),
        ("ssl_key", ssl("key")),
        ("ssl_pem", ssl("pem")),
        ("ssl_ca_str", "#".to_string()),
        ("ssl_ca", ssl("ca")),
    ])
}

/// Reads `data/templates/web/<name>.tpl`, or `Error: <name> web template doesn't exist` (3).
fn read_template(call: &Call, name: &str) -> Result<String, CmdError> {
    let missing = || {
        CmdError::new(
            ReturnCode::NotExist,
            format!("{name} web template doesn't exist"),
        )
    };
    validate::object("template", name).map_err(|_| missing())?;
    match hearth_sdk::fs::read_to_string(
        call.system_path(&format!("data/templates/web/{name}.tpl")),
    ) {
        Ok(text) => Ok(text),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::IsADirectory
            ) =>
        {
            Err(missing())
        }
        Err(error) => Err(error.into()),
    }
}

/// Renders a `web.conf` line's configuration into the user's home: its `TPL` template, or
/// the suspended template when the domain is suspended.
pub fn write_config(
    call: &Call,
    settings: &Record,
    user: &str,
    record: &Record,
) -> Result<(), CmdError> {
    let domain = record.value("DOMAIN");
    let name = if record.value("SUSPENDED") == "yes" {
        SUSPENDED_TEMPLATE
    } else {
        match record.value("TPL") {
            "" => "default",
            tpl => tpl,
        }
    };
    let template = read_template(call, name)?;
    let aliases = common::aliases(record);
    let site = Site {
        user,
        domain,
        ip: record.value("IP"),
        aliases: &aliases,
        proxy_ext: record.value("PROXY_EXT"),
        custom_docroot: record.value("CUSTOM_DOCROOT"),
    };
    let text = render(&template, &values(settings, &site)?);
    let dir = call.home_path(user, &format!("conf/web/{domain}"));
    common::ensure_dir(&dir)?;
    hearth_sdk::fs::write_atomic(&dir.join(CONFIG_NAME), text.as_bytes())
}

/// Copies the skeleton `data/templates/web/skel/` into the new domain's web directory, with
/// `%domain%` replaced in every file (Hestia's `$WEBTPL/skel`). A missing skeleton is fine.
pub fn copy_skeleton(call: &Call, user: &str, domain: &str) -> Result<(), CmdError> {
    let source = call.system_path("data/templates/web/skel");
    let target = call.home_path(user, &format!("web/{domain}"));
    copy_tree(&source, &target, domain)
}

fn copy_tree(
    source: &std::path::Path,
    target: &std::path::Path,
    domain: &str,
) -> Result<(), CmdError> {
    let entries = match std::fs::read_dir(source) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let (from, to) = (entry.path(), target.join(&name));
        if kind.is_dir() {
            common::ensure_dir(&to)?;
            copy_tree(&from, &to, domain)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&from)?;
            let bytes = match String::from_utf8(bytes) {
                Ok(text) => text.replace("%domain%", domain).into_bytes(),
                Err(binary) => binary.into_bytes(),
            };
            hearth_sdk::fs::write_atomic(&to, &bytes)?;
        }
    }
    Ok(())
}
