//! `v-suspend-web-domain` and `v-unsuspend-web-domain USER DOMAIN [RESTART]`: the domain is
//! re-rendered with the suspended template, or with its own template again.

use hearth_sdk::{Call, CmdResult, hosting, validate};

use crate::{common, nginx};

pub fn suspend_web_domain(call: &Call) -> CmdResult {
    change(call, true)
}

pub fn unsuspend_web_domain(call: &Call) -> CmdResult {
    change(call, false)
}

fn change(call: &Call, suspend: bool) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    let restart = call.arg(3);
    validate::user(user)?;
    validate::domain(domain)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "WEB_SYSTEM")?;
    hosting::user_record(call, user)?;
    let mut domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    if suspend {
        common::domain_unsuspended(&domains[index], domain)?;
    } else {
        common::domain_suspended(&domains[index], domain)?;
    }
    hosting::check_demo_mode(&settings)?;

    let record = &mut domains[index];
    record.set("SUSPENDED", if suspend { "yes" } else { "no" });
    let stored = record.value("DOMAIN").to_string();
    nginx::write_config(call, &settings, user, record)?;
    common::save_domains(call, &domains)?;
    common::bump(call, "SUSPENDED_WEB", if suspend { 1 } else { -1 })?;

    hosting::restart(restart, &["web"])?;
    let message = if suspend {
        format!("Suspended web domain (Name: {stored}).")
    } else {
        format!("Unsuspended web domain (Name: {stored}).")
    };
    common::history(call, &message)?;
    Ok(String::new())
}
