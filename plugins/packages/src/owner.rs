//! `v-change-domain-owner DOMAIN USER`: moves a domain's web, DNS and mail objects, their
//! files and their registry claims from whoever owns it to USER (Hestia 1.9's script).
//!
//! Hestia suspends the web (and mail) domain, moves its line with `SUSPENDED='yes'`, moves
//! the files and then runs `v-unsuspend-*-domain USER DOMAIN no`, which renders the new
//! owner's configuration; a moved domain therefore always ends unsuspended. hearth does the
//! same with the web and DNS plugins' own unsuspend commands (so nginx configuration and zone
//! files are rendered by the code that owns them). The mail plugin has no domain suspension:
//! the mail line moves unsuspended, and the two rendered files that name the owner
//! (`passwd`, `accounts`) are rewritten for the new one. Counters move with the objects
//! (Hestia recounts with `v-update-user-counters`); the web address is changed when the new
//! owner may not use it, as Hestia's `get_user_ip` does.
//!
//! Everything that can refuse the move is checked before the first write.

use std::io;
use std::path::{Path, PathBuf};

use hearth_sdk::conf::Record;
use hearth_sdk::{
    Call, CmdError, CmdResult, ReturnCode, commands, hosting, names, services, validate,
};

use crate::common;

/// The files a domain can have in `data/users/<USER>/ssl/`.
const SSL_SUFFIXES: &[&str] = &["crt", "key", "ca", "pem"];

/// One move: who from, who to, and where things are.
struct Move<'a> {
    call: &'a Call,
    owner: &'a str,
    user: &'a str,
    /// `HOME_ROOT`, as rendered files name it.
    home: &'a str,
    /// The registry (ASCII) form of the domain.
    name: &'a str,
}

impl Move<'_> {
    fn data(&self, user: &str, relative: &str) -> PathBuf {
        common::user_dir(self.call, user).join(relative)
    }

    fn home_path(&self, user: &str, relative: &str) -> PathBuf {
        self.call.home_path(user, relative)
    }

    /// The owner's list `file` and the index of the domain's line in it.
    fn find(&self, file: &str) -> Result<Option<(Vec<Record>, usize)>, CmdError> {
        let records = hearth_sdk::fs::read_list(&self.data(self.owner, file))?;
        let index = records
            .iter()
            .position(|record| hosting::registry_name(record.value("DOMAIN")) == self.name);
        Ok(index.map(|index| (records, index)))
    }
}

/// Moves `from` to `to` when it exists, creating `to`'s parent. Returns whether it moved.
fn move_path(from: &Path, to: &Path) -> Result<bool, CmdError> {
    if !hearth_sdk::fs::exists(from) {
        return Ok(false);
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(from, to)?;
    Ok(true)
}

/// Removes a file or tree; a missing one is fine.
fn remove(path: &Path) -> Result<(), CmdError> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Appends `record` to the list file at `path`.
fn append(path: &Path, record: Record) -> Result<(), CmdError> {
    let mut records = hearth_sdk::fs::read_list(path)?;
    records.push(record);
    hearth_sdk::fs::write_list(path, &records)
}

/// The non-empty lines of a file (0 when it is missing).
fn line_count(path: &Path) -> usize {
    hearth_sdk::fs::read_to_string(path)
        .map(|text| text.lines().filter(|line| !line.trim().is_empty()).count())
        .unwrap_or(0)
}

/// `v-search-domain-owner DOMAIN`: the first user (in name order) with a `DOMAIN='X'` line in
/// `dns.conf`, `mail.conf` or `web.conf`.
fn find_owner(call: &Call, name: &str) -> Result<Option<String>, CmdError> {
    for user in common::sorted_entries(&call.system_path("data/users"))? {
        if validate::user(&user).is_err() {
            continue;
        }
        for file in ["dns.conf", "mail.conf", "web.conf"] {
            let path = common::user_dir(call, &user).join(file);
            let Ok(records) = hearth_sdk::fs::read_list(&path) else {
                continue;
            };
            if records
                .iter()
                .any(|record| hosting::registry_name(record.value("DOMAIN")) == name)
            {
                return Ok(Some(user));
            }
        }
    }
    Ok(None)
}

/// `data/ips/<IP>`, when registered.
fn read_ip(call: &Call, ip: &str) -> Option<Record> {
    if ip.parse::<std::net::IpAddr>().is_err() {
        return None;
    }
    hearth_sdk::fs::read_source(&call.system_path(&format!("data/ips/{ip}"))).ok()
}

/// Hestia's `get_user_ips`: the addresses dedicated to `user`, then the root user's shared
/// ones, each in name order.
fn user_ips(call: &Call, user: &str) -> Result<Vec<String>, CmdError> {
    let mut dedicated = Vec::new();
    let mut shared = Vec::new();
    for ip in common::sorted_entries(&call.system_path("data/ips"))? {
        let Some(record) = read_ip(call, &ip) else {
            continue;
        };
        if record.value("OWNER") == user && record.value("STATUS") == "dedicated" {
            dedicated.push(ip);
        } else if record.value("OWNER") == call.root_user() && record.value("STATUS") == "shared" {
            shared.push(ip);
        }
    }
    shared.retain(|ip| !dedicated.contains(ip));
    dedicated.extend(shared);
    Ok(dedicated)
}

/// `increase_ip_value` / `decrease_ip_value`: `U_WEB_DOMAINS` by `delta`, and `user` in
/// `U_SYS_USERS` (added on increase; removed on decrease unless `still_used`). An address
/// that is not registered is left alone.
fn bump_ip(
    call: &Call,
    ip: &str,
    user: &str,
    delta: i64,
    still_used: bool,
) -> Result<(), CmdError> {
    let Some(mut record) = read_ip(call, ip) else {
        return Ok(());
    };
    let current: i64 = record.value("U_WEB_DOMAINS").trim().parse().unwrap_or(0);
    record.set(
        "U_WEB_DOMAINS",
        current.saturating_add(delta).max(0).to_string(),
    );
    let mut users: Vec<String> = record
        .value("U_SYS_USERS")
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    if delta > 0 {
        if !users.iter().any(|name| name == user) {
            users.push(user.to_string());
        }
    } else if !still_used {
        users.retain(|name| name != user);
    }
    record.set("U_SYS_USERS", users.join(","));
    hearth_sdk::fs::write_source(&call.system_path(&format!("data/ips/{ip}")), &record)
}

/// The web part, decided before anything is written.
struct WebPlan {
    records: Vec<Record>,
    index: usize,
    moved: Record,
    stored: String,
    aliases: Vec<String>,
    old_ip: String,
    new_ip: Option<String>,
    was_suspended: bool,
}

fn plan_web(m: &Move<'_>, out: &mut String) -> Result<Option<WebPlan>, CmdError> {
    let Some((records, index)) = m.find("web.conf")? else {
        return Ok(None);
    };
    out.push_str("[*] Moving web domain...\n");
    let mut moved = records[index].clone();
    let stored = moved.value("DOMAIN").to_string();
    let owner_root = format!("{}/{}", m.home, m.owner);
    let user_root = format!("{}/{}", m.home, m.user);

    // A custom document root in another of the owner's domains must belong to the new owner.
    let docroot = moved.value("CUSTOM_DOCROOT").to_string();
    if !docroot.is_empty() {
        let own = format!("{owner_root}/web/{stored}");
        if !docroot.to_lowercase().contains(&own.to_lowercase()) {
            let target = docroot
                .strip_prefix(&format!("{owner_root}/web/"))
                .and_then(|rest| rest.split('/').next())
                .unwrap_or("");
            let user_domains = hearth_sdk::fs::read_list(&m.data(m.user, "web.conf"))?;
            let belongs = !target.is_empty()
                && user_domains
                    .iter()
                    .any(|record| record.value("DOMAIN") == target);
            if !belongs {
                return Err(CmdError::raw(
                    ReturnCode::NotExist,
                    "Error: Target domain doesn't belong to the new user",
                )
                .after(out));
            }
        }
        moved.set(
            "CUSTOM_DOCROOT",
            docroot.replacen(&owner_root, &user_root, 1),
        );
        let phproot = moved.value("CUSTOM_PHPROOT").to_string();
        if moved.contains("CUSTOM_PHPROOT") {
            moved.set(
                "CUSTOM_PHPROOT",
                phproot.replacen(&owner_root, &user_root, 1),
            );
        }
    }
    if hearth_sdk::fs::exists(&m.home_path(m.user, &format!("web/{stored}"))) {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("Web domain folder for {stored} should not exist"),
        )
        .after(out));
    }

    // The address: kept when the new owner may use it, else the new owner's first one.
    let old_ip = moved.value("IP").to_string();
    let usable = user_ips(m.call, m.user)?;
    let new_ip = if usable.contains(&old_ip) {
        None
    } else {
        out.push_str(&format!(
            "[*] IP dedicated to {} select new ip address...\n",
            m.owner
        ));
        usable.first().cloned()
    };
    out.push_str(new_ip.as_deref().unwrap_or(""));
    out.push('\n');
    if let Some(ip) = &new_ip {
        moved.set("IP", ip.as_str());
    }
    let was_suspended = moved.value("SUSPENDED") == "yes";
    moved.set("SUSPENDED", "yes");
    let ftp_user = moved.value("FTP_USER").to_string();
    if !ftp_user.is_empty() {
        moved.set(
            "FTP_USER",
            ftp_user.replacen(&format!("{}_", m.owner), &format!("{}_", m.user), 1),
        );
    }
    let aliases = moved
        .value("ALIAS")
        .split(',')
        .map(str::trim)
        .filter(|alias| !alias.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Some(WebPlan {
        records,
        index,
        moved,
        stored,
        aliases,
        old_ip,
        new_ip,
        was_suspended,
    }))
}

fn apply_web(m: &Move<'_>, mut plan: WebPlan) -> Result<(), CmdError> {
    let (owner, user) = (m.owner, m.user);
    let stored = plan.stored.clone();
    let ssl = plan.moved.value("SSL") == "yes";
    if ssl {
        for suffix in SSL_SUFFIXES {
            let file = format!("ssl/{stored}.{suffix}");
            move_path(&m.data(owner, &file), &m.data(user, &file))?;
        }
    }
    plan.records.remove(plan.index);
    hearth_sdk::fs::write_list(&m.data(owner, "web.conf"), &plan.records)?;
    append(&m.data(user, "web.conf"), plan.moved)?;
    move_path(
        &m.home_path(owner, &format!("web/{stored}")),
        &m.home_path(user, &format!("web/{stored}")),
    )?;
    // Rendered configuration and cache: a stale copy at the new owner's is replaced.
    for relative in [
        format!("conf/web/{stored}"),
        format!("cache/nginx/{stored}"),
    ] {
        remove(&m.home_path(user, &relative))?;
        move_path(
            &m.home_path(owner, &relative),
            &m.home_path(user, &relative),
        )?;
    }

    let aliases = plan.aliases.len() as i64;
    let ssl = i64::from(ssl);
    common::bump(m.call, owner, "U_WEB_DOMAINS", -1)?;
    common::bump(m.call, owner, "U_WEB_ALIASES", -aliases)?;
    common::bump(m.call, owner, "U_WEB_SSL", -ssl)?;
    common::bump(
        m.call,
        owner,
        "SUSPENDED_WEB",
        -i64::from(plan.was_suspended),
    )?;
    common::bump(m.call, user, "U_WEB_DOMAINS", 1)?;
    common::bump(m.call, user, "U_WEB_ALIASES", aliases)?;
    common::bump(m.call, user, "U_WEB_SSL", ssl)?;
    common::bump(m.call, user, "SUSPENDED_WEB", 1)?;

    // Renders the new owner's nginx configuration (Hestia ignores its outcome too).
    commands::run("v-unsuspend-web-domain", &[user, &stored, "no"]);

    let still_used = plan
        .records
        .iter()
        .any(|record| record.value("IP") == plan.old_ip);
    bump_ip(m.call, &plan.old_ip, owner, -1, still_used)?;
    let target = plan.new_ip.as_deref().unwrap_or(&plan.old_ip);
    bump_ip(m.call, target, user, 1, true)?;

    for alias in &plan.aliases {
        names::transfer(&hosting::registry_name(alias), user);
    }
    services::request_reload("web");
    Ok(())
}

/// Hestia's `sed "s/$IP/$ip/g"` over a zone's records, limited to whole addresses: `old`
/// is replaced where it is not part of a longer number (`1.2.3.4` inside `11.2.3.45` stays).
fn replace_address(text: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(old) {
        out.push_str(&rest[..at]);
        let before = out.chars().last();
        let after = rest[at + old.len()..].chars().next();
        let longer = before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            || after.is_some_and(|c| c.is_ascii_digit());
        out.push_str(if longer { old } else { new });
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    out
}

/// Moves the DNS zone: line, records (with the web address replaced when it changed) and
/// zone file; the new owner's unsuspend renders the zone again.
fn move_dns(m: &Move<'_>, new_ip: Option<&str>, out: &mut String) -> Result<(), CmdError> {
    let Some((mut records, index)) = m.find("dns.conf")? else {
        return Ok(());
    };
    out.push_str("[*] Moving DNS zone and records...\n");
    let (owner, user) = (m.owner, m.user);
    let mut moved = records.remove(index);
    let stored = moved.value("DOMAIN").to_string();
    let zone_records = format!("dns/{stored}.conf");
    if let Some(ip) = new_ip {
        let old = moved.value("IP").to_string();
        moved.set("IP", ip);
        let path = m.data(owner, &zone_records);
        if !old.is_empty()
            && let Ok(text) = hearth_sdk::fs::read_to_string(&path)
        {
            hearth_sdk::fs::write_atomic(&path, replace_address(&text, &old, ip).as_bytes())?;
        }
    }
    let was_suspended = moved.value("SUSPENDED") == "yes";
    moved.set("SUSPENDED", "yes");
    let record_count = line_count(&m.data(owner, &zone_records)) as i64;

    hearth_sdk::fs::write_list(&m.data(owner, "dns.conf"), &records)?;
    append(&m.data(user, "dns.conf"), moved)?;
    move_path(&m.data(owner, &zone_records), &m.data(user, &zone_records))?;
    let zone_file = format!("conf/dns/{stored}.db");
    move_path(
        &m.home_path(owner, &zone_file),
        &m.home_path(user, &zone_file),
    )?;

    common::bump(m.call, owner, "U_DNS_DOMAINS", -1)?;
    common::bump(m.call, owner, "U_DNS_RECORDS", -record_count)?;
    common::bump(m.call, owner, "SUSPENDED_DNS", -i64::from(was_suspended))?;
    common::bump(m.call, user, "U_DNS_DOMAINS", 1)?;
    common::bump(m.call, user, "U_DNS_RECORDS", record_count)?;
    common::bump(m.call, user, "SUSPENDED_DNS", 1)?;

    commands::run("v-unsuspend-dns-domain", &[user, &stored, "no"]);
    services::request_reload("dns");
    Ok(())
}

/// Rewrites the owner's name and home in a mail domain's `passwd` and `accounts` files
/// (`ACCOUNT:HASH:USER:mail::HOME:...` and `ACCOUNT:ACCOUNT:USER:mail:HOME`).
fn rewrite_mail_files(dir: &Path, owner: (&str, &str), user: (&str, &str)) -> Result<(), CmdError> {
    let passwd = dir.join("passwd");
    if let Ok(text) = hearth_sdk::fs::read_to_string(&passwd) {
        let from = format!(":{}:mail::{}:", owner.0, owner.1);
        let to = format!(":{}:mail::{}:", user.0, user.1);
        hearth_sdk::fs::write_atomic(&passwd, text.replace(&from, &to).as_bytes())?;
    }
    let accounts = dir.join("accounts");
    if let Ok(text) = hearth_sdk::fs::read_to_string(&accounts) {
        let from = format!(":{}:mail:{}", owner.0, owner.1);
        let to = format!(":{}:mail:{}", user.0, user.1);
        let mut out = String::with_capacity(text.len());
        for line in text.lines() {
            match line.strip_suffix(&from) {
                Some(start) => {
                    out.push_str(start);
                    out.push_str(&to);
                }
                None => out.push_str(line),
            }
            out.push('\n');
        }
        hearth_sdk::fs::write_atomic(&accounts, out.as_bytes())?;
    }
    Ok(())
}

/// Moves the mail domain: line, accounts, DKIM keys, autoreply messages, certificates, the
/// rendered exim/dovecot files and the maildirs.
fn move_mail(m: &Move<'_>, out: &mut String) -> Result<(), CmdError> {
    let Some((mut records, index)) = m.find("mail.conf")? else {
        return Ok(());
    };
    out.push_str("[*] Moving mail domain and accounts...\n");
    let (owner, user) = (m.owner, m.user);
    let mut moved = records.remove(index);
    let stored = moved.value("DOMAIN").to_string();
    let was_suspended = moved.value("SUSPENDED") == "yes";
    moved.set("SUSPENDED", "no");
    let dkim = i64::from(moved.value("DKIM") == "yes");
    let ssl = moved.value("SSL") == "yes";
    let accounts = format!("mail/{stored}.conf");
    let account_count = line_count(&m.data(owner, &accounts)) as i64;

    hearth_sdk::fs::write_list(&m.data(owner, "mail.conf"), &records)?;
    append(&m.data(user, "mail.conf"), moved)?;
    std::fs::create_dir_all(m.data(user, "mail"))?;
    for file in [
        accounts,
        format!("mail/{stored}.pem"),
        format!("mail/{stored}.pub"),
    ] {
        move_path(&m.data(owner, &file), &m.data(user, &file))?;
    }
    let messages = format!("@{stored}.msg");
    for name in common::sorted_entries(&m.data(owner, "mail"))? {
        if name.ends_with(&messages) {
            let file = format!("mail/{name}");
            move_path(&m.data(owner, &file), &m.data(user, &file))?;
        }
    }
    if ssl {
        for suffix in SSL_SUFFIXES {
            let file = format!("ssl/mail.{stored}.{suffix}");
            move_path(&m.data(owner, &file), &m.data(user, &file))?;
        }
    }
    let conf = format!("conf/mail/{stored}");
    remove(&m.home_path(user, &conf))?;
    if move_path(&m.home_path(owner, &conf), &m.home_path(user, &conf))? {
        rewrite_mail_files(
            &m.home_path(user, &conf),
            (owner, &format!("{}/{owner}", m.home)),
            (user, &format!("{}/{user}", m.home)),
        )?;
    }
    let idn = hosting::registry_name(&stored);
    for dir in [format!("mail/{stored}"), format!("mail/{idn}")] {
        move_path(&m.home_path(owner, &dir), &m.home_path(user, &dir))?;
    }

    common::bump(m.call, owner, "U_MAIL_DOMAINS", -1)?;
    common::bump(m.call, owner, "U_MAIL_ACCOUNTS", -account_count)?;
    common::bump(m.call, owner, "U_MAIL_DKIM", -dkim)?;
    common::bump(m.call, owner, "U_MAIL_SSL", -i64::from(ssl))?;
    common::bump(m.call, owner, "SUSPENDED_MAIL", -i64::from(was_suspended))?;
    common::bump(m.call, user, "U_MAIL_DOMAINS", 1)?;
    common::bump(m.call, user, "U_MAIL_ACCOUNTS", account_count)?;
    common::bump(m.call, user, "U_MAIL_DKIM", dkim)?;
    common::bump(m.call, user, "U_MAIL_SSL", i64::from(ssl))?;
    services::request_reload("mail");
    Ok(())
}

/// `v-change-domain-owner DOMAIN USER`: formats (2), user exists (3) and is not suspended
/// (5), `Error: domain X doesn't exist` (3); the current owner gets
/// `ERROR: X is already owned by U.` and success, as in Hestia. Prints Hestia's progress
/// lines.
pub fn change_domain_owner(call: &Call) -> CmdResult {
    let domain = call.arg(1);
    let user = call.arg(2);
    validate::domain(domain)?;
    validate::user(user)?;
    let settings = hosting::settings(call)?;
    common::active_user(call, user)?;
    let name = hosting::registry_name(domain);
    let Some(owner) = find_owner(call, &name)? else {
        return Err(CmdError::not_exist("domain", domain));
    };
    if owner == user {
        return Ok(format!("ERROR: {domain} is already owned by {user}.\n"));
    }
    hosting::check_demo_mode(&settings)?;

    let m = Move {
        call,
        owner: &owner,
        user,
        home: hosting::home_root(&settings),
        name: &name,
    };
    let mut out = format!("Moving {domain} from {owner} to {user}, please wait...\n");
    let web = plan_web(&m, &mut out)?;
    let new_ip = web.as_ref().and_then(|plan| plan.new_ip.clone());
    if let Some(plan) = web {
        apply_web(&m, plan)?;
    }
    move_dns(&m, new_ip.as_deref(), &mut out)?;
    move_mail(&m, &mut out)?;
    names::transfer(&name, user);

    common::history(
        call,
        user,
        &format!("New domain added to account (Domain: {domain})."),
    )?;
    common::history(
        call,
        &owner,
        &format!("Domain removed from account (Domain: {domain})."),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_replaced_whole() {
        assert_eq!(
            replace_address(
                "VALUE='1.2.3.4' X='11.2.3.45' T='v=spf1 ip4:1.2.3.4 -all'",
                "1.2.3.4",
                "5.6.7.8"
            ),
            "VALUE='5.6.7.8' X='11.2.3.45' T='v=spf1 ip4:5.6.7.8 -all'"
        );
        assert_eq!(replace_address("1.2.3.4", "1.2.3.4", "9.9.9.9"), "9.9.9.9");
    }

    #[test]
    fn mail_files_name_the_new_owner() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("passwd"),
            "info:{ARGON2ID}$x:alice:mail::/home/alice:0:userdb_quota_rule=*:storage=0M\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("accounts"),
            "info:info:alice:mail:/home/alice\n",
        )
        .unwrap();
        rewrite_mail_files(dir.path(), ("alice", "/home/alice"), ("bob", "/home/bob")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("passwd")).unwrap(),
            "info:{ARGON2ID}$x:bob:mail::/home/bob:0:userdb_quota_rule=*:storage=0M\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("accounts")).unwrap(),
            "info:info:bob:mail:/home/bob\n"
        );
    }
}
