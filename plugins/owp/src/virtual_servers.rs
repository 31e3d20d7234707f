//! `virtual_servers`: OpenVZ containers on the registered nodes. Superadmins create, update,
//! delete and look them up by host; owners get, start, stop, restart, reinstall, run
//! commands and read limits and stats. A server the caller does not control does not exist.

use hearth_sdk::CmdError;
use hearth_sdk::conf::{self, Record};
use hearth_sdk::owp::{Reply, Value};
use hearth_sdk::secrets;

use crate::ip_pools;
use crate::node::{self, Failure};
use crate::store::{self, Ctx, Errors, HARDWARE_SERVERS, INFO, VIRTUAL_SERVERS, int};

/// What `create` and `update` assign (`attr_accessible`, less the DB-only columns
/// `identity`, `hardware_server_id` and `state`, which `update` does not take).
const FIELDS: &[&str] = &[
    "ip_address",
    "host_name",
    "nameserver",
    "search_domain",
    "description",
    "user_id",
    "diskspace",
    "memory",
    "vswap",
    "cpu_units",
    "cpus",
    "cpu_limit",
    "expiration_date",
    "start_on_boot",
    "daily_backup",
    "orig_os_template",
    "orig_server_template",
];

/// The 20 UBC parameters `get_advanced_limits` reports, in OWP's order.
const LIMITS: &[&str] = &[
    "KMEMSIZE",
    "LOCKEDPAGES",
    "SHMPAGES",
    "NUMPROC",
    "VMGUARPAGES",
    "OOMGUARPAGES",
    "NUMTCPSOCK",
    "NUMFLOCK",
    "NUMPTY",
    "NUMSIGINFO",
    "TCPSNDBUF",
    "TCPRCVBUF",
    "OTHERSOCKBUF",
    "DGRAMRCVBUF",
    "NUMOTHERSOCK",
    "DCACHESIZE",
    "NUMFILE",
    "AVNUMPROC",
    "NUMIPTENT",
    "DISKINODES",
];

/// The server named by the `id` parameter, if the caller controls it.
pub fn controlled(ctx: &Ctx, param: &str) -> Result<Option<Record>, CmdError> {
    Ok(ctx
        .find_by_param(&VIRTUAL_SERVERS, param)?
        .filter(|row| ctx.caller.controls(row)))
}

/// A shell word: left alone when plain, single-quoted otherwise (OWP passes template names
/// and addresses to the node's shell unquoted).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:/@=,+%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn save_row(ctx: &Ctx, row: &Record) -> Result<(), CmdError> {
    let mut rows = ctx.load(&VIRTUAL_SERVERS)?;
    let id = int(row, "id");
    match rows.iter_mut().find(|r| int(r, "id") == id) {
        Some(slot) => *slot = row.clone(),
        None => rows.push(row.clone()),
    }
    ctx.save(&VIRTUAL_SERVERS, &rows)
}

pub fn own_servers(ctx: &Ctx) -> Result<Reply, CmdError> {
    let rows: Vec<Record> = ctx
        .load(&VIRTUAL_SERVERS)?
        .into_iter()
        .filter(|row| int(row, "user_id") == Some(ctx.caller.id))
        .collect();
    Ok(store::list(
        "virtual_servers",
        "virtual_server",
        &VIRTUAL_SERVERS,
        &rows,
    ))
}

pub fn get(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "virtual_server",
        &VIRTUAL_SERVERS,
        controlled(ctx, "id")?,
    ))
}

pub fn get_by_host(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "virtual_server",
        &VIRTUAL_SERVERS,
        ctx.find_by_text(&VIRTUAL_SERVERS, "host_name", "host")?,
    ))
}

/// OWP's `ip_address` format: IPv4 with an optional prefix, IPv6-ish groups, spaces, or
/// `auto`.
fn ip_list_format(value: &str) -> bool {
    if value == "auto" {
        return true;
    }
    value.split_whitespace().all(|token| {
        let (address, prefix) = match token.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (token, None),
        };
        let ipv4 = {
            let parts: Vec<&str> = address.split('.').collect();
            parts.len() == 4
                && parts
                    .iter()
                    .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        };
        if ipv4 {
            return prefix.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        }
        prefix.is_none() && address.contains(':') && address.parse::<std::net::Ipv6Addr>().is_ok()
    })
}

fn validate(ctx: &Ctx, row: &Record, old: Option<&Record>) -> Result<Errors, CmdError> {
    let mut errors = Errors::default();
    let rows = ctx.load(&VIRTUAL_SERVERS)?;
    let id = int(row, "id");
    let ip = row.value("ip_address");
    if !ip_list_format(ip) {
        errors.add("ip_address", ctx.message("ip_invalid"));
    }
    if !ip.is_empty()
        && rows
            .iter()
            .any(|other| other.value("ip_address") == ip && int(other, "id") != id)
    {
        errors.add("ip_address", ctx.message("ip_taken"));
    }
    let changed = old.is_none_or(|old| old.value("ip_address") != ip);
    if changed && ip != "auto" && !ip.is_empty() && ip_pools::any(ctx)? {
        let server = int(row, "hardware_server_id").unwrap_or(0);
        let free = ip_pools::free_ips(ctx, server)?;
        for address in ip.split_whitespace() {
            if ip_pools::ip_number(address).is_none() {
                errors.add("ip_address", ctx.message("ip_invalid"));
            } else if !free.iter().any(|f| f == address) {
                errors.add("ip_address", ctx.message("ip_not_in_pool"));
            }
        }
    }
    let identity = row.value("identity");
    if !identity.is_empty()
        && rows.iter().any(|other| {
            other.value("identity") == identity
                && int(other, "hardware_server_id") == int(row, "hardware_server_id")
                && int(other, "id") != id
        })
    {
        errors.add("identity", ctx.message("identity_taken"));
    }
    if let (Some(password), Some(confirmation)) =
        (ctx.param("password"), ctx.param("password_confirmation"))
        && password != confirmation
    {
        errors.add("password", ctx.message("password_mismatch"));
    }
    let nameserver = row.value("nameserver");
    if !nameserver
        .split_whitespace()
        .all(|token| token.parse::<std::net::IpAddr>().is_ok())
    {
        errors.add("nameserver", ctx.message("nameserver_invalid"));
    }
    let search = row.value("search_domain");
    if !search
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c.is_whitespace())
    {
        errors.add("search_domain", ctx.message("search_domain_invalid"));
    }
    let host_name = row.value("host_name");
    if !host_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        errors.add("host_name", ctx.message("host_name_invalid"));
    }
    Ok(errors)
}

/// The `vzctl set` options for what changed between `old` and `row` (all of it when new).
fn set_options(ctx: &Ctx, row: &Record, old: Option<&Record>, node_vswap: bool) -> Vec<String> {
    let changed = |key: &str| old.is_none_or(|old| old.get(key) != row.get(key));
    let mut options = Vec::new();
    let mut push = |words: &[&str]| options.extend(words.iter().map(|w| shell_word(w)));
    if changed("host_name") && !row.value("host_name").is_empty() {
        push(&["--hostname", row.value("host_name")]);
    }
    if let Some(password) = ctx.param("password").filter(|p| !p.is_empty()) {
        push(&["--userpasswd", &format!("root:{password}")]);
    }
    if changed("start_on_boot") {
        let onboot = if store::boolean(row, "start_on_boot") {
            "yes"
        } else {
            "no"
        };
        push(&["--onboot", onboot]);
    }
    if changed("nameserver") {
        for ns in row.value("nameserver").split_whitespace() {
            push(&["--nameserver", ns]);
        }
    }
    if changed("search_domain") && !row.value("search_domain").is_empty() {
        push(&["--searchdomain", row.value("search_domain")]);
    }
    for (key, option) in [
        ("cpu_units", "--cpuunits"),
        ("cpus", "--cpus"),
        ("cpu_limit", "--cpulimit"),
    ] {
        if changed(key)
            && let Some(value) = row.get(key)
        {
            push(&[option, value]);
        }
    }
    if changed("ip_address") {
        if old.is_some_and(|old| !old.value("ip_address").is_empty()) {
            push(&["--ipdel", "all"]);
        }
        for ip in row.value("ip_address").split_whitespace() {
            push(&["--ipadd", ip]);
        }
    }
    let memory = int(row, "memory").unwrap_or(0);
    let vswap = int(row, "vswap").unwrap_or(0);
    if changed("memory") || changed("vswap") {
        if vswap > 0 && node_vswap {
            push(&[
                "--ram",
                &format!("{memory}M"),
                "--swap",
                &format!("{vswap}M"),
            ]);
        } else {
            let pages = if memory == 0 {
                "unlimited".to_string()
            } else {
                (memory * 1024 / 4).to_string()
            };
            push(&["--privvmpages", &pages, "--physpages", "unlimited"]);
        }
    }
    if changed("diskspace") {
        let disk = int(row, "diskspace").unwrap_or(0);
        let value = if disk == 0 {
            "unlimited".to_string()
        } else {
            (disk * 1024).to_string()
        };
        push(&["--diskspace", &value]);
    }
    options
}

fn node_of(ctx: &Ctx, row: &Record) -> Result<Option<Record>, CmdError> {
    let id = int(row, "hardware_server_id");
    Ok(ctx
        .load(&HARDWARE_SERVERS)?
        .into_iter()
        .find(|s| id.is_some() && int(s, "id") == id))
}

/// The hard part of a `soft:hard` (or single) vzctl value; `None` for `unlimited`.
fn hard_limit(value: &str) -> Option<i64> {
    let hard = value.rsplit(':').next()?.trim();
    hard.parse().ok()
}

/// The defaults a server template gives (`ServerTemplate#get_advanced_limit`-style reading
/// of `/etc/vz/conf/ve-<name>.conf-sample` on a node that has it).
fn template_defaults(ctx: &Ctx, name: &str, row: &mut Record) -> Result<(), CmdError> {
    let Some(template) = ctx
        .load(&store::SERVER_TEMPLATES)?
        .into_iter()
        .find(|t| !name.is_empty() && t.value("name") == name)
    else {
        return Ok(());
    };
    let node_id = int(&template, "hardware_server_id").unwrap_or(0);
    let Ok(text) = node::exec(
        node_id,
        "cat",
        &format!("/etc/vz/conf/ve-{}.conf-sample", shell_word(name)),
    ) else {
        return Ok(());
    };
    let sample = conf::parse_source(&text).unwrap_or_default();
    if let Some(ns) = sample.get("NAMESERVER") {
        row.set("nameserver", ns);
    }
    if let Some(search) = sample.get("SEARCHDOMAIN") {
        row.set("search_domain", search);
    }
    if let Some(onboot) = sample.get("ONBOOT") {
        row.set("start_on_boot", (onboot == "yes").to_string());
    }
    if let Some(disk) = sample.get("DISKSPACE") {
        row.set(
            "diskspace",
            (hard_limit(disk).unwrap_or(0) / 1024).to_string(),
        );
    }
    let pages_mb = |key: &str| {
        sample
            .get(key)
            .map(|v| hard_limit(v).unwrap_or(0) * 4 / 1024)
    };
    match (pages_mb("SWAPPAGES"), pages_mb("PHYSPAGES")) {
        (Some(swap), Some(physical)) if swap > 0 => {
            row.set("vswap", swap.to_string());
            row.set("memory", physical.to_string());
        }
        _ => {
            if let Some(memory) = pages_mb("PRIVVMPAGES") {
                row.set("memory", memory.to_string());
            }
        }
    }
    for (key, column) in [
        ("CPUUNITS", "cpu_units"),
        ("CPUS", "cpus"),
        ("CPULIMIT", "cpu_limit"),
    ] {
        if let Some(value) = sample.get(key) {
            row.set(column, store::ruby_to_i(value).to_string());
        }
    }
    Ok(())
}

pub fn create(ctx: &Ctx) -> Result<Reply, CmdError> {
    let mut row = Record::new();
    for (key, value) in [
        ("start_on_boot", "true"),
        ("diskspace", "1024"),
        ("memory", "256"),
        ("vswap", "0"),
        ("user_id", "0"),
        ("daily_backup", "false"),
    ] {
        row.set(key, value);
    }
    // Explicit parameters override what the server template says.
    template_defaults(ctx, ctx.text("orig_server_template"), &mut row)?;
    store::assign(ctx, &VIRTUAL_SERVERS, &mut row, FIELDS);
    store::assign(
        ctx,
        &VIRTUAL_SERVERS,
        &mut row,
        &["identity", "hardware_server_id"],
    );
    if let Some(date) = row.get("expiration_date") {
        let date = date.replace('.', "-");
        row.set("expiration_date", date);
    }
    let errors = validate(ctx, &row, None)?;
    if !errors.is_empty() {
        return Ok(store::save_result(Err(errors)));
    }
    let Some(server) = node_of(ctx, &row)? else {
        return Ok(store::internal_error(format!(
            "Couldn't find HardwareServer with ID={}",
            ctx.text("hardware_server_id")
        )));
    };
    let node_id = int(&server, "id").unwrap_or(0);
    if row.value("identity").is_empty() {
        let highest = ctx
            .load(&VIRTUAL_SERVERS)?
            .iter()
            .filter(|v| int(v, "hardware_server_id") == Some(node_id))
            .map(|v| store::ruby_to_i(v.value("identity")))
            .max()
            .unwrap_or(0);
        row.set("identity", (highest + 1).to_string());
    }
    let identity = row.value("identity").to_string();
    if row.value("ip_address") == "auto" {
        let free = ip_pools::free_ips(ctx, node_id)?;
        row.set("ip_address", free.first().cloned().unwrap_or_default());
    }
    let template = row.value("orig_server_template").to_string();
    let create_args = format!(
        "create {} --ostemplate {} --config {}",
        shell_word(&identity),
        shell_word(row.value("orig_os_template")),
        shell_word(&template)
    );
    if let Err(failure) = node::exec(node_id, "vzctl", &create_args) {
        return Ok(store::internal_error(failure.message()));
    }
    row.set("state", "stopped");
    let mut options = vec![
        "--applyconfig".to_string(),
        shell_word(&template),
        "--save".to_string(),
    ];
    let applied = node::exec(
        node_id,
        "vzctl",
        &format!("set {} {}", shell_word(&identity), options.join(" ")),
    );
    options = set_options(ctx, &row, None, store::boolean(&server, "vswap"));
    let set = applied.and_then(|_| {
        if options.is_empty() {
            return Ok(String::new());
        }
        node::exec(
            node_id,
            "vzctl",
            &format!("set {} {} --save", shell_word(&identity), options.join(" ")),
        )
    });
    if let Err(failure) = set {
        // OWP's delete_physically, then the error.
        let _ = node::exec_raw(
            node_id,
            "vzctl",
            &format!("destroy {}", shell_word(&identity)),
        );
        return Ok(store::internal_error(failure.message()));
    }
    let id = ctx.next_id(&VIRTUAL_SERVERS)?;
    row.set("id", id.to_string());
    if store::cast(ctx.text("start_after_creation"), store::Kind::Bool).as_deref() == Some("true")
        && node::exec(
            node_id,
            "vzctl",
            &format!("start {}", shell_word(&identity)),
        )
        .is_ok()
    {
        row.set("state", "running");
    }
    save_row(ctx, &row)?;
    ctx.event(INFO, "virtual_server.created", &[("identity", &identity)])?;
    Ok(store::save_result(Ok(id)))
}

pub fn update(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(old) = ctx.find_by_param(&VIRTUAL_SERVERS, "id")? else {
        return Ok(store::not_found());
    };
    let mut row = old.clone();
    store::assign(ctx, &VIRTUAL_SERVERS, &mut row, FIELDS);
    for key in ["host_name", "nameserver", "search_domain"] {
        if row.value(key).is_empty() {
            match old.get(key) {
                Some(value) => row.set(key, value),
                None => {
                    row.remove(key);
                }
            }
        }
    }
    let errors = validate(ctx, &row, Some(&old))?;
    if !errors.is_empty() {
        return Ok(store::save_result(Err(errors)));
    }
    let Some(server) = node_of(ctx, &row)? else {
        return Ok(store::internal_error("hardware server not found"));
    };
    let node_id = int(&server, "id").unwrap_or(0);
    let options = set_options(ctx, &row, Some(&old), store::boolean(&server, "vswap"));
    if !options.is_empty()
        && let Err(failure) = node::exec(
            node_id,
            "vzctl",
            &format!(
                "set {} {} --save",
                shell_word(row.value("identity")),
                options.join(" ")
            ),
        )
    {
        return Ok(store::internal_error(failure.message()));
    }
    save_row(ctx, &row)?;
    ctx.event(
        INFO,
        "virtual_server.updated",
        &[("identity", row.value("identity"))],
    )?;
    Ok(store::save_result(Ok(int(&row, "id").unwrap_or(0))))
}

/// `vzctl <action> <identity>`; on failure the event `change_state_failed` and `false`.
fn change_state(ctx: &Ctx, action: &str, state: &str) -> Result<Reply, CmdError> {
    let Some(mut row) = controlled(ctx, "id")? else {
        return Ok(store::not_found());
    };
    let node_id = int(&row, "hardware_server_id").unwrap_or(0);
    let identity = row.value("identity").to_string();
    match node::exec(
        node_id,
        "vzctl",
        &format!("{action} {}", shell_word(&identity)),
    ) {
        Ok(_) => {
            row.set("state", state);
            save_row(ctx, &row)?;
            Ok(store::status(true))
        }
        Err(failure) => {
            let code = failure.code().to_string();
            ctx.event(
                store::ERROR,
                "virtual_server.change_state_failed",
                &[("identity", &identity), ("state", state), ("code", &code)],
            )?;
            Ok(store::status(false))
        }
    }
}

pub fn start(ctx: &Ctx) -> Result<Reply, CmdError> {
    change_state(ctx, "start", "running")
}

pub fn stop(ctx: &Ctx) -> Result<Reply, CmdError> {
    change_state(ctx, "stop", "stopped")
}

pub fn restart(ctx: &Ctx) -> Result<Reply, CmdError> {
    change_state(ctx, "restart", "running")
}

pub fn delete(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&VIRTUAL_SERVERS, "id")? else {
        return Ok(store::not_found());
    };
    let node_id = int(&row, "hardware_server_id").unwrap_or(0);
    let identity = shell_word(row.value("identity"));
    if row.value("state") == "running" {
        let _ = node::exec_raw(node_id, "vzctl", &format!("stop {identity}"));
    }
    if let Err(failure) = node::exec(node_id, "vzctl", &format!("destroy {identity}")) {
        return Ok(store::internal_error(failure.message()));
    }
    let server = node_of(ctx, &row)?.unwrap_or_default();
    let id = int(&row, "id");
    let mut backups = ctx.load(&store::BACKUPS)?;
    for backup in backups.iter().filter(|b| int(b, "virtual_server_id") == id) {
        let path = format!("{}/{}", server.value("backups_dir"), backup.value("name"));
        let _ = node::exec_raw(node_id, "rm", &format!("-f {}", shell_word(&path)));
    }
    backups.retain(|b| int(b, "virtual_server_id") != id);
    ctx.save(&store::BACKUPS, &backups)?;
    let mut rows = ctx.load(&VIRTUAL_SERVERS)?;
    rows.retain(|r| int(r, "id") != id);
    ctx.save(&VIRTUAL_SERVERS, &rows)?;
    ctx.event(
        INFO,
        "virtual_server.removed",
        &[("identity", row.value("identity"))],
    )?;
    Ok(store::status(true))
}

pub fn exec(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = controlled(ctx, "id")? else {
        return Ok(store::not_found());
    };
    let node_id = int(&row, "hardware_server_id").unwrap_or(0);
    let file = format!(
        "/tmp/vecmd_{}",
        secrets::random_token(32, "0123456789abcdef")
    );
    let content = format!("#!/bin/sh\n{}", ctx.text("command"));
    if let Err(error) = node::write_file(node_id, &file, &content) {
        return Ok(store::internal_error(node::node_message(&error)));
    }
    let outcome = node::exec(
        node_id,
        "vzctl",
        &format!("runscript {} {file}", shell_word(row.value("identity"))),
    );
    let _ = node::exec_raw(node_id, "rm", &file);
    let status = match outcome {
        Ok(output) => Value::hash([("exit-code", Value::Int(0)), ("output", Value::Str(output))]),
        Err(Failure::Node(error)) => return Ok(store::internal_error(node::node_message(&error))),
        Err(failure) => Value::hash([("error", Value::Str(failure.message()))]),
    };
    Ok(store::result(status, None))
}

pub fn get_advanced_limits(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = controlled(ctx, "id")? else {
        return Ok(store::not_found());
    };
    let node_id = int(&row, "hardware_server_id").unwrap_or(0);
    let text = match node::exec(
        node_id,
        "cat",
        &format!("/etc/vz/conf/{}.conf", shell_word(row.value("identity"))),
    ) {
        Ok(text) => text,
        Err(failure) => return Ok(store::internal_error(failure.message())),
    };
    let settings = conf::parse_source(&text).unwrap_or_default();
    let items = LIMITS
        .iter()
        .map(|name| {
            let value = settings.value(name);
            let (soft, hard) = match value.split_once(':') {
                _ if value.is_empty() || value == "unlimited" => (String::new(), String::new()),
                Some((soft, hard)) => (soft.to_string(), hard.to_string()),
                None => (value.to_string(), value.to_string()),
            };
            Value::hash([
                ("name", Value::Str(name.to_string())),
                ("soft_limit", Value::Str(soft)),
                ("hard_limit", Value::Str(hard)),
            ])
        })
        .collect();
    Ok(Reply::Document(
        "limits".into(),
        Value::Array("limit".into(), items),
    ))
}

/// hearth runs no watchdog, so every counter is `-`, as OWP shows without watchdog data.
pub fn get_stats(ctx: &Ctx) -> Result<Reply, CmdError> {
    if controlled(ctx, "id")?.is_none() {
        return Ok(store::not_found());
    }
    let items = ["cpu_load_average", "disk_space", "memory"]
        .iter()
        .map(|name| {
            Value::hash([
                ("parameter", Value::Str(name.to_string())),
                ("value", Value::Str("-".into())),
            ])
        })
        .collect();
    Ok(Reply::Document(
        "records".into(),
        Value::Array("record".into(), items),
    ))
}

/// `<hash><success type="boolean">true</success></hash>`.
pub fn success() -> Reply {
    Reply::Document("hash".into(), Value::hash([("success", Value::Bool(true))]))
}

pub fn reinstall(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(mut row) = controlled(ctx, "id")? else {
        return Ok(store::not_found());
    };
    if ctx.caller.can("select_os_on_reinstall")
        && let Some(os) = ctx.param("orig_os_template").filter(|os| !os.is_empty())
    {
        row.set("orig_os_template", os);
    }
    if !validate(ctx, &row, Some(&row))?.is_empty() {
        // OWP renders unknown_error and carries on; hearth stops here.
        return Ok(Reply::Error("object_not_valid".into(), None));
    }
    let node_id = int(&row, "hardware_server_id").unwrap_or(0);
    let identity = shell_word(row.value("identity"));
    let template = format!("{}tmp.template", row.value("identity"));
    let was_running = row.value("state") == "running";
    let mut steps: Vec<(String, String)> = vec![(
        "cp".into(),
        format!("/etc/vz/conf/{identity}.conf /etc/vz/conf/ve-{template}.conf-sample"),
    )];
    if was_running {
        steps.push(("vzctl".into(), format!("stop {identity}")));
    }
    steps.push(("vzctl".into(), format!("destroy {identity}")));
    let os = if ctx.caller.can("select_os_on_reinstall") && ctx.param("orig_os_template").is_some()
    {
        format!(
            " --ostemplate {}",
            shell_word(row.value("orig_os_template"))
        )
    } else {
        String::new()
    };
    steps.push((
        "vzctl".into(),
        format!("create {identity}{os} --config {template}"),
    ));
    if was_running {
        steps.push(("vzctl".into(), format!("start {identity}")));
    }
    for (command, args) in &steps {
        if let Err(failure) = node::exec(node_id, command, args) {
            return Ok(store::internal_error(failure.message()));
        }
    }
    let _ = node::exec_raw(
        node_id,
        "rm",
        &format!("/etc/vz/conf/ve-{template}.conf-sample"),
    );
    if let Some(password) = ctx.param("password").filter(|p| !p.is_empty())
        && let Err(failure) = node::exec(
            node_id,
            "vzctl",
            &format!(
                "set {identity} --userpasswd {} --save",
                shell_word(&format!("root:{password}"))
            ),
        )
    {
        return Ok(store::internal_error(failure.message()));
    }
    save_row(ctx, &row)?;
    ctx.event(
        INFO,
        "virtual_server.updated",
        &[("identity", row.value("identity"))],
    )?;
    Ok(success())
}
