//! `v-add-web-domain-alias USER DOMAIN ALIASES [RESTART]` and
//! `v-delete-web-domain-alias USER DOMAIN ALIAS [RESTART]`.

use hearth_sdk::names::Kind;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

use crate::{common, nginx};

pub fn add_web_domain_alias(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let new_aliases: Vec<String> = common::format_aliases(call.arg(3))
        .into_iter()
        .filter(|alias| alias != "none")
        .collect();
    let restart = call.arg(4);
    validate::user(user)?;
    validate::domain(&domain)?;
    if new_aliases.is_empty() {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid alias format :: {}", call.arg(3)),
        ));
    }
    common::alias_format(&new_aliases)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "WEB_SYSTEM")?;
    let user_record = hosting::active_user(call, user)?;
    let mut domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, &domain)?;
    common::domain_unsuspended(&domains[index], &domain)?;

    // is_domain_new 'web' "$aliases" + is_base_domain_owner "$aliases"
    let mut aliases = common::aliases(&domains[index]);
    for alias in &new_aliases {
        if aliases.contains(alias) {
            return Err(CmdError::new(
                ReturnCode::Exists,
                format!("Web alias {alias} exists"),
            ));
        }
    }
    common::claim_aliases(&new_aliases)?;
    for alias in &new_aliases {
        hosting::check_subdomain_owner(&settings, user, alias.trim_start_matches("*."))?;
    }
    common::aliases_allowed(&user_record, aliases.len())?;
    hosting::check_demo_mode(&settings)?;

    aliases.extend(new_aliases.iter().cloned());
    let record = &mut domains[index];
    record.set("ALIAS", aliases.join(","));
    let stored = record.value("DOMAIN").to_string();
    nginx::write_config(call, &settings, user, record)?;
    common::save_domains(call, &domains)?;
    common::bump(call, "U_WEB_ALIASES", new_aliases.len() as i64)?;

    hosting::restart(restart, &["web"])?;
    common::history(
        call,
        &format!(
            "Added new web domain alias (Alias: {}, Domain: {stored}).",
            new_aliases.join(",")
        ),
    )?;
    Ok(String::new())
}

pub fn delete_web_domain_alias(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = hosting::format_domain(call.arg(2));
    let alias = call.arg(3).trim().trim_matches('.').to_lowercase();
    let restart = call.arg(4);
    validate::user(user)?;
    validate::domain(&domain)?;
    common::alias_format(std::slice::from_ref(&alias))?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "WEB_SYSTEM")?;
    hosting::active_user(call, user)?;
    let mut domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, &domain)?;
    common::domain_unsuspended(&domains[index], &domain)?;

    let mut aliases = common::aliases(&domains[index]);
    let Some(position) = aliases.iter().position(|existing| *existing == alias) else {
        return Err(CmdError::not_exist("alias", &alias));
    };
    hosting::check_demo_mode(&settings)?;

    aliases.remove(position);
    let record = &mut domains[index];
    record.set("ALIAS", aliases.join(","));
    let stored = record.value("DOMAIN").to_string();
    nginx::write_config(call, &settings, user, record)?;
    common::save_domains(call, &domains)?;
    common::bump(call, "U_WEB_ALIASES", -1)?;
    hearth_sdk::names::release(&hosting::registry_name(&alias), Kind::WebAlias);

    hosting::restart(restart, &["web"])?;
    common::history(
        call,
        &format!("Deleted web domain alias (Alias: {alias}, Domain: {stored})."),
    )?;
    Ok(String::new())
}
