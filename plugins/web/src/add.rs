//! `v-add-web-domain USER DOMAIN [IP] [RESTART] [ALIASES] [PROXY_EXTENSIONS]`.

use hearth_sdk::conf::Record;
use hearth_sdk::names::Kind;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::{common, ip, nginx};

/// The usage line, printed by hand: Hestia checks `WEB_SYSTEM` before the argument count.
const USAGE: &str =
    "Usage: v-add-web-domain USER DOMAIN [IP] [RESTART] [ALIASES] [PROXY_EXTENSIONS]";

/// The `ALIAS` of a new domain: the given aliases, `www.DOMAIN` when none are given (none
/// for a deeper subdomain), nothing for `none`; plus the address's host-name alias.
pub fn initial_aliases(domain: &str, given: &[String], ip_name: Option<&str>) -> Vec<String> {
    if given.first().is_some_and(|alias| alias == "none") {
        return Vec::new();
    }
    let mut aliases = if given.is_empty() {
        if domain.split('.').count() > 2 {
            Vec::new()
        } else {
            vec![format!("www.{domain}")]
        }
    } else {
        given.to_vec()
    };
    if let Some(name) = ip_name {
        aliases.push(format!("{}.{name}", domain.replace('.', "-")));
    }
    aliases
}

pub fn add_web_domain(call: &Call) -> CmdResult {
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "WEB_SYSTEM")?;
    if call.args().len() < 2 {
        return Err(CmdError::raw(ReturnCode::Args, USAGE));
    }
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let ip_arg = call.arg(3);
    let restart = call.arg(4);
    let given_aliases = common::format_aliases(call.arg(5));
    let proxy_ext_arg = call.arg(6);

    // is_format_valid 'user' 'domain' 'aliases' 'ip' 'proxy_ext'
    validate::user(user)?;
    validate::domain(&domain)?;
    hosting::reject_ip_literal(&domain)?;
    common::alias_format(&given_aliases)?;
    if !ip_arg.is_empty() {
        validate::ipv4(ip_arg)?;
    }
    common::proxy_ext_format(proxy_ext_arg)?;
    validate::restart(restart)?;

    let user_record = hosting::active_user(call, user)?;

    // is_package_full 'WEB_DOMAINS' 'WEB_ALIASES'
    let mut domains = common::load_domains(call)?;
    hosting::package_allows(&user_record, "WEB_DOMAINS", Some(domains.len() as u64))?;
    common::aliases_allowed(&user_record, 0)?;

    // is_domain_new 'web' "$domain,$aliases"
    hosting::claim_name(&domain, Kind::Web)?;
    let named: Vec<String> = given_aliases
        .iter()
        .filter(|alias| *alias != "none")
        .cloned()
        .collect();
    common::claim_aliases(&named)?;

    // is_dir_symlink
    let home = hosting::home_root(&settings);
    common::refuse_symlink(&call.home_path(user, "web"), &format!("{home}/{user}/web"))?;
    let web_dir = call.home_path(user, &format!("web/{domain}"));
    common::refuse_symlink(&web_dir, &format!("{home}/{user}/web/{domain}"))?;

    // is_base_domain_owner "$domain,$aliases"
    hosting::check_subdomain_owner(&settings, user, &domain)?;
    for alias in &named {
        hosting::check_subdomain_owner(&settings, user, alias.trim_start_matches("*."))?;
    }

    let (ip, ip_record) = if ip_arg.is_empty() {
        let Some(ip) = ip::user_ip(call, user)? else {
            return Err(CmdError::new(ReturnCode::NotExist, "no IP is available"));
        };
        let record = ip::check_ip(call, &ip, user)?;
        (ip, record)
    } else {
        (ip_arg.to_string(), ip::check_ip(call, ip_arg, user)?)
    };

    hosting::check_demo_mode(&settings)?;

    if hearth_sdk::fs::exists(&web_dir) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("Web domain folder for {domain} should not exist"),
        ));
    }

    let aliases = initial_aliases(&domain, &given_aliases, ip::ip_name(&ip_record));
    // The address's host-name alias is new too.
    for alias in aliases.iter().filter(|alias| !named.contains(alias)) {
        hosting::claim_name(alias, Kind::WebAlias)?;
    }
    let proxy_ext = if settings.value("PROXY_SYSTEM").is_empty() {
        String::new()
    } else if proxy_ext_arg.is_empty() {
        common::DEFAULT_PROXY_EXT.to_string()
    } else {
        proxy_ext_arg.to_string()
    };
    let template = match user_record.value("WEB_TEMPLATE") {
        "" => "default",
        tpl => tpl,
    };

    let (date, time) = common::now();
    let record = Record::from_pairs([
        ("DOMAIN", domain.as_str()),
        ("IP", ip.as_str()),
        ("IP6", ""),
        ("CUSTOM_DOCROOT", ""),
        ("ALIAS", aliases.join(",").as_str()),
        ("TPL", template),
        ("SSL", "no"),
        ("SSL_FORCE", "no"),
        ("SSL_HOME", "same"),
        ("LETSENCRYPT", "no"),
        ("FTP_USER", ""),
        ("FTP_MD5", ""),
        ("BACKEND", user_record.value("BACKEND_TEMPLATE")),
        ("PROXY", user_record.value("PROXY_TEMPLATE")),
        ("PROXY_EXT", proxy_ext.as_str()),
        ("STATS", ""),
        ("STATS_USER", ""),
        ("STATS_CRYPT", ""),
        ("U_DISK", "0"),
        ("U_BANDWIDTH", "0"),
        ("SUSPENDED", "no"),
        ("TIME", time.as_str()),
        ("DATE", date.as_str()),
    ]);

    // Domain directories, skeleton, configuration, cache.
    for dir in common::WEB_DIRS {
        common::ensure_dir(&web_dir.join(dir))?;
    }
    nginx::copy_skeleton(call, user, &domain)?;
    nginx::write_config(call, &settings, user, &record)?;
    common::ensure_dir(&call.home_path(user, &format!("cache/nginx/{domain}")))?;

    // Counters and the web.conf line.
    ip::bump_ip(call, &ip, user, 1, true)?;
    common::bump(call, "U_WEB_DOMAINS", 1)?;
    common::bump(call, "U_WEB_ALIASES", aliases.len() as i64)?;
    domains.push(record);
    common::save_domains(call, &domains)?;

    hosting::restart(restart, &["web"])?;
    common::history(call, &format!("Added new web domain (Name: {domain})."))?;
    Ok(String::new())
}
