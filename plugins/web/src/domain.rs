//! `v-add-domain USER DOMAIN [IP] [RESTART]`: adds the web, DNS and mail domain by running
//! `v-add-web-domain`, `v-add-dns-domain` and `v-add-mail-domain` exactly as Hestia does, for
//! each enabled subsystem whose package limit is not reached.

use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::ip;

/// One subsystem `v-add-domain` fans out to.
struct Part {
    /// The `hestia.conf` key that enables it.
    system: &'static str,
    /// The package limit and the user's data file it counts.
    limit: &'static str,
    conf: &'static str,
    /// The reload the parent queues for it.
    service: Option<&'static str>,
    /// Hestia's failure text.
    failure: &'static str,
}

const PARTS: &[Part] = &[
    Part {
        system: "WEB_SYSTEM",
        limit: "WEB_DOMAINS",
        conf: "web.conf",
        service: Some("web"),
        failure: "can't add web domain",
    },
    Part {
        system: "DNS_SYSTEM",
        limit: "DNS_DOMAINS",
        conf: "dns.conf",
        service: Some("dns"),
        failure: "can't add dns domain",
    },
    Part {
        system: "MAIL_SYSTEM",
        limit: "MAIL_DOMAINS",
        conf: "mail.conf",
        service: None,
        failure: "can't add mail domain",
    },
];

/// The number of objects in one of the user's list files (`wc -l`).
fn count_lines(call: &Call, conf: &str) -> Result<u64, CmdError> {
    Ok(hearth_sdk::fs::read_list(&call.user_path(conf))?.len() as u64)
}

/// The code a child returned, as one of Hestia's codes.
fn child_code(code: u8) -> ReturnCode {
    ReturnCode::from_u8(code).unwrap_or(ReturnCode::Parsing)
}

pub fn add_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    let ip_arg = call.arg(3);
    let restart = call.arg_opt(4).unwrap_or("yes");
    validate::user(user)?;
    validate::domain(domain)?;
    validate::restart(restart)?;
    if !ip_arg.is_empty() {
        validate::ipv4(ip_arg)?;
    }
    let settings = hosting::settings(call)?;
    let user_record = hosting::active_user(call, user)?;

    let ip = if ip_arg.is_empty() {
        ip::user_ip(call, user)?
            .ok_or_else(|| CmdError::new(ReturnCode::NotExist, "no IP is available"))?
    } else {
        ip_arg.to_string()
    };

    let mut printed = String::new();
    let mut full = 0;
    for part in PARTS {
        if settings.value(part.system).is_empty() {
            continue;
        }
        let used = count_lines(call, part.conf)?;
        if hosting::package_allows(&user_record, part.limit, Some(used)).is_err() {
            full += 1;
            continue;
        }
        let (code, output) = match part.system {
            "WEB_SYSTEM" => {
                hearth_sdk::commands::run("v-add-web-domain", &[user, domain, &ip, "no"])
            }
            "DNS_SYSTEM" => hearth_sdk::commands::run(
                "v-add-dns-domain",
                &[user, domain, &ip, "", "", "", "", "", "", "", "", "no"],
            ),
            _ => hearth_sdk::commands::run("v-add-mail-domain", &[user, domain, "no"]),
        };
        let output = output.trim_end_matches('\n');
        if code != 0 {
            return Err(
                CmdError::new(child_code(code), part.failure).after(&format!("{printed}{output}"))
            );
        }
        if !output.is_empty() {
            printed.push_str(output);
            printed.push('\n');
        }
    }
    if full == PARTS.len() {
        return Err(CmdError::new(ReturnCode::Limit, "Package limit reached").after(&printed));
    }

    let services: Vec<&str> = PARTS
        .iter()
        .filter(|part| !settings.value(part.system).is_empty())
        .filter_map(|part| part.service)
        .collect();
    hosting::restart(restart, &services)?;
    Ok(printed)
}
