//! `v-purge-nginx-cache USER DOMAIN [RESTART]`: empties the domain's nginx cache directory,
//! `<HOME>/<USER>/cache/nginx/<DOMAIN>/` (the `proxy_cache_path` of the stock template).

use hearth_sdk::{Call, CmdResult, hosting, validate};

use crate::common;

pub fn purge_nginx_cache(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let domain = call.arg(2);
    let restart = call.arg(3);
    validate::user(user)?;
    validate::domain(domain)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::active_user(call, user)?;
    let domains = common::load_domains(call)?;
    let index = common::find_domain(&domains, domain)?;
    common::domain_unsuspended(&domains[index], domain)?;
    hosting::check_demo_mode(&settings)?;

    let stored = domains[index].value("DOMAIN");
    common::empty_dir(&call.home_path(user, &format!("cache/nginx/{stored}")))?;

    // Hestia restarts the web server only when RESTART is given.
    if !restart.is_empty() {
        hosting::restart(restart, &["web"])?;
    }
    common::history(call, &format!("Cache purged (Domain: {stored})."))?;
    Ok(String::new())
}
