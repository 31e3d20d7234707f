//! `hardware_servers` (superadmin): registered OpenVZ nodes, their templates and containers,
//! connected and synchronised through the node daemon.

use hearth_sdk::CmdError;
use hearth_sdk::conf::{self, Record};
use hearth_sdk::owp::{Reply, Value};

use crate::node::{self, NodeError};
use crate::store::{
    self, BACKUPS, Ctx, Errors, HARDWARE_SERVERS, INFO, OS_TEMPLATES, SERVER_TEMPLATES,
    VIRTUAL_SERVERS, int,
};

/// The daemon's default port.
const DEFAULT_PORT: &str = "7767";

pub fn list(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::list(
        "hardware_servers",
        "hardware_server",
        &HARDWARE_SERVERS,
        &ctx.load(&HARDWARE_SERVERS)?,
    ))
}

pub fn get(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "hardware_server",
        &HARDWARE_SERVERS,
        ctx.find_by_param(&HARDWARE_SERVERS, "id")?,
    ))
}

pub fn get_by_host(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "hardware_server",
        &HARDWARE_SERVERS,
        ctx.find_by_text(&HARDWARE_SERVERS, "host", "host")?,
    ))
}

/// The HardwareServer validations: unique host, port 1024..49151.
fn validate(ctx: &Ctx, row: &Record, servers: &[Record]) -> Errors {
    let mut errors = Errors::default();
    let id = int(row, "id");
    if servers
        .iter()
        .any(|other| other.value("host") == row.value("host") && int(other, "id") != id)
    {
        errors.add("host", ctx.message("host_taken"));
    }
    match row.value("daemon_port").parse::<i64>() {
        Err(_) => errors.add("daemon_port", ctx.message("port_invalid")),
        Ok(port) if port < 1024 => errors.add("daemon_port", ctx.message("port_low")),
        Ok(port) if port > 49151 => errors.add("daemon_port", ctx.message("port_high")),
        Ok(_) => {}
    }
    errors
}

/// `connect` and `update`: a node is reached with its daemon's auth key; hearth never
/// installs a daemon over SSH, so without a key the root password is only checked for
/// presence and the SSH step fails.
fn connect_row(ctx: &Ctx, mut row: Record, new: bool) -> Result<Reply, CmdError> {
    for field in ["host", "description", "auth_key"] {
        if let Some(value) = ctx.param(field) {
            row.set(field, value);
        }
    }
    if let Some(port) = ctx.param("daemon_port") {
        row.set("daemon_port", store::ruby_to_i(port).to_string());
    }
    if let Some(ssl) = ctx.param("use_ssl") {
        match store::cast(ssl, store::Kind::Bool) {
            Some(value) => row.set("use_ssl", value),
            None => {
                row.remove("use_ssl");
            }
        }
    }
    let mut errors = Errors::default();
    if row.value("auth_key").is_empty() {
        if ctx.text("root_password").is_empty() {
            errors.add("root_password", ctx.message("required"));
        } else {
            errors.add("host", ctx.message("ssh_unavailable"));
        }
        return Ok(store::save_result(Err(errors)));
    }
    let mut servers = ctx.load(&HARDWARE_SERVERS)?;
    let errors = validate(ctx, &row, &servers);
    if !errors.is_empty() {
        return Ok(store::save_result(Err(errors)));
    }
    let previous = servers.clone();
    let id = if new {
        let id = ctx.next_id(&HARDWARE_SERVERS)?;
        row.set("id", id.to_string());
        servers.push(row.clone());
        id
    } else {
        let id = int(&row, "id").unwrap_or(0);
        for slot in servers.iter_mut().filter(|s| int(s, "id") == Some(id)) {
            *slot = row.clone();
        }
        id
    };
    // Registered first, so the host lets the daemon be reached; unregistered again if the
    // key does not work.
    ctx.save(&HARDWARE_SERVERS, &servers)?;
    if let Err(error) = node::version(id) {
        ctx.save(&HARDWARE_SERVERS, &previous)?;
        if new {
            ctx.release_id(&HARDWARE_SERVERS, id)?;
        }
        let mut errors = Errors::default();
        match error {
            NodeError::Unreachable(_) => errors.add("host", ctx.message("connection_failed")),
            _ => errors.add("auth_key", ctx.message("auth_key_invalid")),
        }
        return Ok(store::save_result(Err(errors)));
    }
    ctx.event(
        INFO,
        "hardware_server.connect",
        &[("host", row.value("host"))],
    )?;
    sync_server(ctx, id)?;
    Ok(store::save_result(Ok(id)))
}

pub fn connect(ctx: &Ctx) -> Result<Reply, CmdError> {
    let mut row = Record::new();
    row.set("daemon_port", DEFAULT_PORT);
    row.set("use_ssl", "false");
    row.set("vswap", "false");
    connect_row(ctx, row, true)
}

pub fn update(ctx: &Ctx) -> Result<Reply, CmdError> {
    match ctx.find_by_param(&HARDWARE_SERVERS, "id")? {
        Some(row) => connect_row(ctx, row, false),
        None => Ok(store::not_found()),
    }
}

pub fn disconnect(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&HARDWARE_SERVERS, "id")? else {
        return Ok(store::not_found());
    };
    let id = int(&row, "id");
    let mut servers = ctx.load(&HARDWARE_SERVERS)?;
    servers.retain(|s| int(s, "id") != id);
    ctx.save(&HARDWARE_SERVERS, &servers)?;
    // The node's own rows go with it; its containers are not touched.
    let mut ves = ctx.load(&VIRTUAL_SERVERS)?;
    let gone: Vec<Option<i64>> = ves
        .iter()
        .filter(|v| int(v, "hardware_server_id") == id)
        .map(|v| int(v, "id"))
        .collect();
    ves.retain(|v| int(v, "hardware_server_id") != id);
    ctx.save(&VIRTUAL_SERVERS, &ves)?;
    let mut backups = ctx.load(&BACKUPS)?;
    backups.retain(|b| !gone.contains(&int(b, "virtual_server_id")));
    ctx.save(&BACKUPS, &backups)?;
    for table in [&OS_TEMPLATES, &SERVER_TEMPLATES] {
        let mut rows = ctx.load(table)?;
        rows.retain(|r| int(r, "hardware_server_id") != id);
        ctx.save(table, &rows)?;
    }
    ctx.event(
        INFO,
        "hardware_server.disconnect",
        &[("host", row.value("host"))],
    )?;
    Ok(store::status(true))
}

pub fn sync(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&HARDWARE_SERVERS, "id")? else {
        return Ok(store::not_found());
    };
    let id = int(&row, "id").unwrap_or(0);
    Ok(match sync_server(ctx, id)? {
        true => store::status(true),
        false => store::result(Value::Nil(None), None),
    })
}

/// Pings the daemon, then reads the node's settings, templates and containers. `false`
/// when the daemon does not answer (event `hardware_server.sync_failed`).
pub fn sync_server(ctx: &Ctx, id: i64) -> Result<bool, CmdError> {
    let mut servers = ctx.load(&HARDWARE_SERVERS)?;
    let Some(index) = servers.iter().position(|s| int(s, "id") == Some(id)) else {
        return Ok(false);
    };
    let host = servers[index].value("host").to_string();
    if node::version(id).is_err() {
        ctx.event(
            store::ERROR,
            "hardware_server.sync_failed",
            &[("host", &host)],
        )?;
        return Ok(false);
    }
    let exec = |command: &str, args: &str| node::exec(id, command, args).unwrap_or_default();
    {
        let server = &mut servers[index];
        let version = exec("vzctl", "--version");
        server.set(
            "vzctl_version",
            version.split_whitespace().last().unwrap_or(""),
        );
        let vswap =
            node::exec_raw(id, "test", "-d /proc/vz/vswap").is_ok_and(|(code, _)| code == 0);
        server.set("vswap", vswap.to_string());
        let vz_conf = conf::parse_source(&exec("cat", "/etc/vz/vz.conf")).unwrap_or_default();
        server.set("default_os_template", vz_conf.value("DEF_OSTEMPLATE"));
        server.set("default_server_template", vz_conf.value("CONFIGFILE"));
        server.set("templates_dir", vz_conf.value("TEMPLATE"));
        server.set("backups_dir", vz_conf.value("DUMPDIR"));
        server.set("ve_private", vz_conf.value("VE_PRIVATE"));
    }
    ctx.save(&HARDWARE_SERVERS, &servers)?;
    let server = servers[index].clone();
    sync_templates(ctx, id, &server, &exec)?;
    sync_virtual_servers(ctx, id, &exec)?;
    ctx.event(INFO, "hardware_server.sync", &[("host", &host)])?;
    Ok(true)
}

fn replace_rows(
    ctx: &Ctx,
    table: &store::Table,
    server: i64,
    names: Vec<(String, Option<i64>)>,
) -> Result<(), CmdError> {
    let mut rows = ctx.load(table)?;
    let mut kept: Vec<Record> = Vec::new();
    for (name, size) in names {
        let existing = rows
            .iter()
            .find(|r| int(r, "hardware_server_id") == Some(server) && r.value("name") == name)
            .cloned();
        let mut row = match existing {
            Some(row) => row,
            None => {
                let mut row = Record::new();
                row.set("id", ctx.next_id(table)?.to_string());
                row.set("hardware_server_id", server.to_string());
                row.set("name", &name);
                row
            }
        };
        if let Some(size) = size {
            row.set("size", size.to_string());
        }
        kept.push(row);
    }
    rows.retain(|r| int(r, "hardware_server_id") != Some(server));
    rows.extend(kept);
    ctx.save(table, &rows)
}

fn sync_templates(
    ctx: &Ctx,
    id: i64,
    server: &Record,
    exec: &dyn Fn(&str, &str) -> String,
) -> Result<(), CmdError> {
    let listing = exec(
        "ls",
        &format!("--block-size=M -s {}/cache", server.value("templates_dir")),
    );
    let os: Vec<(String, Option<i64>)> = listing
        .lines()
        .filter_map(|line| {
            let (size, file) = line.trim().split_once(' ')?;
            let name = file.trim().strip_suffix(".tar.gz")?;
            Some((name.to_string(), Some(store::ruby_to_i(size))))
        })
        .collect();
    replace_rows(ctx, &OS_TEMPLATES, id, os)?;
    let samples = exec("ls", "/etc/vz/conf/ve-*.conf-sample");
    let names: Vec<(String, Option<i64>)> = samples
        .split_whitespace()
        .filter_map(|path| {
            let file = path.rsplit('/').next()?;
            let name = file.strip_prefix("ve-")?.strip_suffix(".conf-sample")?;
            Some((name.to_string(), None))
        })
        .collect();
    replace_rows(ctx, &SERVER_TEMPLATES, id, names)
}

/// `vzlist -a -H -o veid,hostname,ip,status`: imports new containers, updates states, and
/// drops rows of containers that are gone from the node.
fn sync_virtual_servers(
    ctx: &Ctx,
    id: i64,
    exec: &dyn Fn(&str, &str) -> String,
) -> Result<(), CmdError> {
    let listing = exec("vzlist", "-a -H -o veid,hostname,ip,status");
    let mut rows = ctx.load(&VIRTUAL_SERVERS)?;
    let mut seen = Vec::new();
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(identity), Some(state)) = (fields.first(), fields.last()) else {
            continue;
        };
        if fields.len() < 2 {
            continue;
        }
        let host_name = match fields.get(1) {
            Some(&"-") | None => "",
            Some(name) => name,
        };
        let ips: Vec<&str> = fields[2.min(fields.len() - 1)..fields.len() - 1]
            .iter()
            .copied()
            .filter(|ip| *ip != "-")
            .collect();
        seen.push(identity.to_string());
        let state = if *state == "running" {
            "running"
        } else {
            "stopped"
        };
        if let Some(row) = rows
            .iter_mut()
            .find(|r| int(r, "hardware_server_id") == Some(id) && r.value("identity") == *identity)
        {
            row.set("state", state);
        } else {
            let mut row = Record::new();
            row.set("id", ctx.next_id(&VIRTUAL_SERVERS)?.to_string());
            row.set("identity", *identity);
            row.set("hardware_server_id", id.to_string());
            row.set("host_name", host_name);
            row.set("ip_address", ips.join(" "));
            row.set("state", state);
            row.set("start_on_boot", "true");
            row.set("diskspace", "1024");
            row.set("memory", "256");
            row.set("vswap", "0");
            row.set("user_id", "0");
            row.set("daily_backup", "false");
            rows.push(row);
        }
    }
    rows.retain(|r| {
        int(r, "hardware_server_id") != Some(id) || seen.iter().any(|s| s == r.value("identity"))
    });
    ctx.save(&VIRTUAL_SERVERS, &rows)
}

pub fn virtual_servers(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&HARDWARE_SERVERS, "id")? else {
        return Ok(store::not_found());
    };
    let id = int(&row, "id");
    let rows: Vec<Record> = ctx
        .load(&VIRTUAL_SERVERS)?
        .into_iter()
        .filter(|v| int(v, "hardware_server_id") == id)
        .collect();
    Ok(store::list(
        "virtual_servers",
        "virtual_server",
        &VIRTUAL_SERVERS,
        &rows,
    ))
}

fn templates(ctx: &Ctx, table: &store::Table, root: &str, item: &str) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&HARDWARE_SERVERS, "id")? else {
        return Ok(store::not_found());
    };
    let id = int(&row, "id");
    let rows: Vec<Record> = ctx
        .load(table)?
        .into_iter()
        .filter(|t| int(t, "hardware_server_id") == id)
        .collect();
    Ok(store::list(root, item, table, &rows))
}

pub fn os_templates(ctx: &Ctx) -> Result<Reply, CmdError> {
    templates(ctx, &OS_TEMPLATES, "os_templates", "os_template")
}

pub fn server_templates(ctx: &Ctx) -> Result<Reply, CmdError> {
    templates(
        ctx,
        &SERVER_TEMPLATES,
        "server_templates",
        "server_template",
    )
}
