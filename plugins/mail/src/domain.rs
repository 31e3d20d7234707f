//! `v-add-mail-domain` and `v-delete-mail-domain`.

use hearth_sdk::conf::Record;
use hearth_sdk::names::{self, Kind};
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, render, validate};

use crate::common::{self, State};
use crate::{dkim, exim};

/// Hestia's reserved first labels of a mail domain's companions: `mail.` always, and the
/// webmail alias (`WEBMAIL_ALIAS`, `webmail` by default) when set.
fn reserved_labels(settings: &Record) -> Vec<&str> {
    let mut labels = vec!["mail"];
    let webmail = settings.value("WEBMAIL_ALIAS");
    if !webmail.is_empty() && !labels.contains(&webmail) {
        labels.push(webmail);
    }
    labels
}

fn is_mail_domain(name: &str) -> bool {
    names::holders(&hosting::registry_name(name))
        .iter()
        .any(|holder| holder.kind == Kind::Mail)
}

/// The rest of `is_mail_domain_new` for a new mail domain: `mail.X` must not already be a
/// mail domain (`Error: Required subdomain "mail.X" already exists`, 4), and `mail.X` is
/// refused while `X` is one (`Error: The subdomain "mail." is reserved by "X"`, 2). Both look
/// at every user's mail domains.
fn check_reserved(settings: &Record, domain: &str) -> Result<(), CmdError> {
    let (first, rest) = domain.split_once('.').unwrap_or((domain, domain));
    for label in reserved_labels(settings) {
        let companion = format!("{label}.{domain}");
        if is_mail_domain(&companion) {
            return Err(CmdError::new(
                ReturnCode::Exists,
                format!("Required subdomain \"{companion}\" already exists"),
            ));
        }
        if first == label && is_mail_domain(rest) {
            return Err(CmdError::new(
                ReturnCode::Invalid,
                format!("The subdomain \"{first}.\" is reserved by \"{rest}\""),
            ));
        }
    }
    Ok(())
}

/// `data/ips/*` as (address, record), in name order.
fn ip_files(call: &Call) -> Result<Vec<(String, Record)>, CmdError> {
    let dir = call.system_path("data/ips");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if let Ok(record) = hearth_sdk::fs::read_source(&entry.path()) {
            out.push((name, record));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The address a new mail domain sends from: its web domain's (Hestia's `get_real_ip`, which
/// maps a NAT address back to the local one), else the user's own address, else a shared
/// address of the root user (`get_user_ip`).
fn outgoing_ip(call: &Call, user: &str, domain: &str) -> Result<Option<String>, CmdError> {
    let ips = ip_files(call)?;
    let web = hearth_sdk::fs::read_list(&call.user_path("web.conf"))?;
    let web_ip = web
        .iter()
        .find(|record| record.value("DOMAIN") == domain)
        .map(|record| record.value("IP"))
        .filter(|ip| !ip.is_empty());
    if let Some(ip) = web_ip {
        if ips.iter().any(|(name, _)| name == ip) {
            return Ok(Some(ip.to_string()));
        }
        let local = ips
            .iter()
            .find(|(_, record)| record.value("NAT") == ip)
            .map(|(name, _)| name.clone());
        return Ok(Some(local.unwrap_or_else(|| ip.to_string())));
    }
    if let Some((name, _)) = ips.iter().find(|(_, record)| record.value("OWNER") == user) {
        return Ok(Some(name.clone()));
    }
    Ok(ips
        .iter()
        .find(|(_, record)| {
            record.value("OWNER") == call.root_user() && record.value("STATUS") == "shared"
        })
        .map(|(name, _)| name.clone()))
}

/// `v-add-mail-domain USER DOMAIN [ANTISPAM] [ANTIVIRUS] [DKIM] [DKIM_SIZE] [RESTART]
/// [REJECT_SPAM]`.
pub fn add_mail_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    // `${N-default}`: only an absent argument takes the default.
    let antispam = call.arg_opt(3).unwrap_or("yes");
    let antivirus = call.arg_opt(4).unwrap_or("yes");
    let dkim = call.arg_opt(5).unwrap_or("yes");
    let dkim_size = call.arg_opt(6).unwrap_or("2048");
    let restart = call.arg(7);
    let reject = call.arg_opt(8).unwrap_or("no");

    // is_format_valid 'user' 'domain' 'antispam' 'antivirus' 'dkim' 'dkim_size' 'restart' 'reject'
    validate::user(user)?;
    validate::domain(&domain)?;
    for (kind, value) in [
        ("antispam", antispam),
        ("antivirus", antivirus),
        ("dkim", dkim),
    ] {
        if !value.is_empty() {
            validate::boolean(kind, value)?;
        }
    }
    if !dkim_size.is_empty() {
        crate::validate::dkim_size(dkim_size)?;
    }
    validate::restart(restart)?;
    if !reject.is_empty() {
        validate::boolean("reject", reject)?;
    }
    let bits = if dkim == "yes" {
        Some(crate::validate::dkim_bits(if dkim_size.is_empty() {
            "2048"
        } else {
            dkim_size
        })?)
    } else {
        None
    };
    // `format_domain_idn`: a name idn2 cannot convert is not a domain.
    hosting::domain_idn(&domain)?;

    let settings = common::settings(call)?;
    hosting::system_enabled(&settings, "MAIL_SYSTEM")?;
    let user_record = common::user_record(call, user, true)?;
    hosting::claim_name(&domain, Kind::Mail)?;
    check_reserved(&settings, &domain)?;
    hosting::reject_ip_literal(&domain)?;
    let mut domains = common::load_domains(call)?;
    hosting::package_allows(&user_record, "MAIL_DOMAINS", Some(domains.len() as u64))?;
    hosting::check_subdomain_owner(&settings, user, &domain)?;

    // Without an antispam (antivirus) system the switches are off.
    let (antispam, reject) = if settings.value("ANTISPAM_SYSTEM").is_empty() {
        ("no", "no")
    } else {
        (antispam, reject)
    };
    let antivirus = if settings.value("ANTIVIRUS_SYSTEM").is_empty() {
        "no"
    } else {
        antivirus
    };
    let keys = bits.map(dkim::generate).transpose()?;
    let ip = outgoing_ip(call, user, &domain)?;

    let (date, time) = render::now_date_time();
    let record = Record::from_pairs([
        ("DOMAIN", domain.as_str()),
        ("ANTIVIRUS", antivirus),
        ("ANTISPAM", antispam),
        ("REJECT", reject),
        ("DKIM", dkim),
        ("WEBMAIL", ""),
        ("SSL", "no"),
        ("LETSENCRYPT", "no"),
        ("CATCHALL", ""),
        ("ACCOUNTS", "0"),
        ("RATE_LIMIT", user_record.value("RATE_LIMIT")),
        ("U_DISK", "0"),
        ("SUSPENDED", "no"),
        ("TIME", time.as_str()),
        ("DATE", date.as_str()),
    ]);
    domains.push(record.clone());
    hearth_sdk::fs::write_list(&common::domains_path(call), &domains)?;
    hearth_sdk::fs::write_atomic(&common::accounts_path(call, &domain), b"")?;
    if let Some((private, public)) = &keys {
        hearth_sdk::fs::write_atomic(
            &call.user_path(&format!("mail/{domain}.pem")),
            private.as_bytes(),
        )?;
        hearth_sdk::fs::write_atomic(
            &call.user_path(&format!("mail/{domain}.pub")),
            public.as_bytes(),
        )?;
    }

    let antispam_system = !settings.value("ANTISPAM_SYSTEM").is_empty();
    let antivirus_system = !settings.value("ANTIVIRUS_SYSTEM").is_empty();
    exim::create_domain(
        call,
        &settings,
        user,
        &record,
        &exim::DomainFlags {
            ip: ip.as_deref(),
            antispam: antispam_system && antispam == "yes",
            reject_spam: antispam_system && reject == "yes",
            antivirus: antivirus_system && antivirus == "yes",
            dkim_pem: keys.as_ref().map(|(private, _)| private.as_str()),
        },
    )?;

    if let Some((_, public)) = &keys
        && !settings.value("DNS_SYSTEM").is_empty()
        && dkim::has_zone(call, &domain)?
    {
        dkim::add_records(user, &domain, public);
    }

    let conf = call.user_path("user.conf");
    hosting::bump_counter(&conf, "U_MAIL_DOMAINS", 1)?;
    if keys.is_some() {
        hosting::bump_counter(&conf, "U_MAIL_DKIM", 1)?;
    }

    // Hestia reloads the web server and proxy here (for the webmail host).
    let mut services = Vec::new();
    if !settings.value("WEB_SYSTEM").is_empty() {
        services.push("web");
    }
    if !settings.value("PROXY_SYSTEM").is_empty() {
        services.push("proxy");
    }
    hosting::restart(restart, &services)?;

    common::history(call, "Info", &format!("Added new mail domain ({domain})."))?;
    Ok(String::new())
}

/// `v-delete-mail-domain USER DOMAIN`: the domain, its accounts, keys, messages, rendered
/// configuration, maildirs and DKIM records.
pub fn delete_mail_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    validate::user(user)?;
    hosting::domain_format(&domain)?;
    let settings = common::settings(call)?;
    hosting::system_enabled(&settings, "MAIL_SYSTEM")?;
    common::user_record(call, user, false)?;
    let mut domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, &domain, State::Any)?;
    let record = domains.remove(index);
    let accounts = common::load_accounts(call, &domain)?.len();

    exim::remove_tree(&exim::conf_dir(call, user, &domain))?;
    exim::remove_tree(&exim::mail_dir(
        call,
        user,
        &hosting::registry_name(&domain),
    ))?;
    if record.value("DKIM") == "yes" {
        dkim::delete_records(call, user, &domain)?;
    }

    hearth_sdk::fs::write_list(&common::domains_path(call), &domains)?;
    for suffix in ["conf", "pem", "pub"] {
        exim::remove_file(&call.user_path(&format!("mail/{domain}.{suffix}")))?;
    }
    let messages = format!("@{domain}.msg");
    if let Ok(entries) = std::fs::read_dir(call.user_path("mail")) {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.ends_with(&messages))
            {
                exim::remove_file(&entry.path())?;
            }
        }
    }

    let conf = call.user_path("user.conf");
    hosting::bump_counter(&conf, "U_MAIL_DOMAINS", -1)?;
    if record.value("DKIM") == "yes" {
        hosting::bump_counter(&conf, "U_MAIL_DKIM", -1)?;
    }
    if accounts > 0 {
        hosting::bump_counter(&conf, "U_MAIL_ACCOUNTS", -(accounts as i64))?;
    }
    if record.value("SUSPENDED") == "yes" {
        hosting::bump_counter(&conf, "SUSPENDED_MAIL", -1)?;
    }
    names::release(&hosting::registry_name(&domain), Kind::Mail);

    common::history(
        call,
        "Info",
        &format!("Mail domain deleted (Domain: {domain})."),
    )?;
    Ok(String::new())
}
