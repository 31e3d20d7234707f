//! `v-delete-web-domain USER DOMAIN [RESTART]`.

use hearth_sdk::names::Kind;
use hearth_sdk::{Call, CmdResult, hosting, validate};

use crate::{common, ip};

pub fn delete_web_domain(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let restart = call.arg(3);
    validate::user(user)?;
    validate::domain(&domain)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "WEB_SYSTEM")?;
    hosting::user_record(call, user)?;
    let mut domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, &domain)?;
    hosting::check_demo_mode(&settings)?;

    let record = domains.remove(index);
    let stored = record.value("DOMAIN").to_string();
    let aliases = common::aliases(&record);

    // The domain's files: web root, rendered configuration, cache.
    for relative in [
        format!("web/{stored}"),
        format!("conf/web/{stored}"),
        format!("cache/nginx/{stored}"),
    ] {
        common::remove_tree(&call.home_path(user, &relative))?;
    }

    // Counters.
    let address = record.value("IP");
    let still_used = domains.iter().any(|other| other.value("IP") == address);
    ip::bump_ip(call, address, user, -1, still_used)?;
    common::bump(call, "U_WEB_DOMAINS", -1)?;
    if record.value("SSL") == "yes" {
        common::bump(call, "U_WEB_SSL", -1)?;
    }
    if record.value("SUSPENDED") == "yes" {
        common::bump(call, "SUSPENDED_WEB", -1)?;
    }
    common::bump(call, "U_WEB_ALIASES", -(aliases.len() as i64))?;
    common::save_domains(call, &domains)?;

    hearth_sdk::names::release(&hosting::registry_name(&stored), Kind::Web);
    common::release_aliases(&aliases);

    hosting::restart(restart, &["web"])?;
    common::history(call, &format!("Deleted web domain (Name: {stored})."))?;
    Ok(String::new())
}
