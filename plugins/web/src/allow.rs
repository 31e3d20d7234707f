//! `v-add-web-domain-allow-users USER DOMAIN` and `v-delete-web-domain-allow-users USER
//! DOMAIN`: whether other users may add subdomains of the domain (`ALLOW_USERS`) under
//! `ENFORCE_SUBDOMAIN_OWNERSHIP`.

use hearth_sdk::{Call, CmdResult, hosting, validate};

use crate::common;

pub fn add_allow_users(call: &Call) -> CmdResult {
    change(call, true)
}

pub fn delete_allow_users(call: &Call) -> CmdResult {
    change(call, false)
}

fn change(call: &Call, allow: bool) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    validate::user(user)?;
    validate::domain(domain)?;
    let settings = hosting::settings(call)?;
    hosting::active_user(call, user)?;
    let mut domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    common::domain_unsuspended(&domains[index], domain)?;
    hosting::check_demo_mode(&settings)?;

    let record = &mut domains[index];
    hosting::set_before(
        record,
        "ALLOW_USERS",
        if allow { "yes" } else { "no" },
        "TIME",
    );
    let stored = record.value("DOMAIN").to_string();
    common::save_domains(call, &domains)?;
    hearth_sdk::names::set_allow_users(&hosting::registry_name(&stored), allow);

    let message = if allow {
        format!("Allowed all users to add subdomains (Domain: {stored}).")
    } else {
        format!("Disallowed other users to add subdomains (Domain: {stored}).")
    };
    common::history(call, &message)?;
    Ok(String::new())
}
