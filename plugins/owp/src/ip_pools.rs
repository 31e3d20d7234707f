//! `ip_pools` (superadmin): address ranges new virtual servers draw from.

use std::net::IpAddr;

use hearth_sdk::CmdError;
use hearth_sdk::conf::Record;
use hearth_sdk::owp::Reply;

use crate::store::{self, Ctx, Errors, IP_POOLS, VIRTUAL_SERVERS, int};

const FIELDS: &[&str] = &["first_ip", "last_ip", "hardware_server_id"];

/// An address as a number, with its family, for range checks.
pub fn ip_number(text: &str) -> Option<(bool, u128)> {
    match text.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some((false, u32::from(v4) as u128)),
        IpAddr::V6(v6) => Some((true, u128::from(v6))),
    }
}

fn validate(ctx: &Ctx, row: &Record) -> Errors {
    let mut errors = Errors::default();
    let mut numbers = Vec::new();
    for field in ["first_ip", "last_ip"] {
        let value = row.value(field);
        if value.trim().is_empty() {
            errors.add(field, ctx.message("blank"));
        } else if let Some(number) = ip_number(value) {
            numbers.push(number);
        } else {
            errors.add(field, ctx.message("ip_invalid"));
        }
    }
    if let [first, last] = numbers[..]
        && (first.0 != last.0 || first.1 > last.1)
    {
        errors.add("first_ip", ctx.message("ip_range"));
    }
    errors
}

pub fn list(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::list(
        "ip_pools",
        "ip_pool",
        &IP_POOLS,
        &ctx.load(&IP_POOLS)?,
    ))
}

pub fn get(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "ip_pool",
        &IP_POOLS,
        ctx.find_by_param(&IP_POOLS, "id")?,
    ))
}

fn save(ctx: &Ctx, mut row: Record, new: bool) -> Result<Reply, CmdError> {
    store::assign(ctx, &IP_POOLS, &mut row, FIELDS);
    let errors = validate(ctx, &row);
    if !errors.is_empty() {
        return Ok(store::save_result(Err(errors)));
    }
    let mut rows = ctx.load(&IP_POOLS)?;
    let id = if new {
        let id = ctx.next_id(&IP_POOLS)?;
        row.set("id", id.to_string());
        rows.push(row);
        id
    } else {
        let id = int(&row, "id").unwrap_or(0);
        for slot in rows.iter_mut().filter(|r| int(r, "id") == Some(id)) {
            *slot = row.clone();
        }
        id
    };
    ctx.save(&IP_POOLS, &rows)?;
    Ok(store::save_result(Ok(id)))
}

pub fn create(ctx: &Ctx) -> Result<Reply, CmdError> {
    save(ctx, Record::new(), true)
}

pub fn update(ctx: &Ctx) -> Result<Reply, CmdError> {
    match ctx.find_by_param(&IP_POOLS, "id")? {
        Some(row) => save(ctx, row, false),
        None => Ok(store::not_found()),
    }
}

pub fn delete(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&IP_POOLS, "id")? else {
        return Ok(store::not_found());
    };
    let mut rows = ctx.load(&IP_POOLS)?;
    rows.retain(|r| int(r, "id") != int(&row, "id"));
    ctx.save(&IP_POOLS, &rows)?;
    Ok(store::status(true))
}

/// The free addresses of the pools that apply to `server` (its own and the global ones),
/// in pool order: those not used by any virtual server.
pub fn free_ips(ctx: &Ctx, server: i64) -> Result<Vec<String>, CmdError> {
    let used: Vec<String> = ctx
        .load(&VIRTUAL_SERVERS)?
        .iter()
        .flat_map(|vs| {
            vs.value("ip_address")
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut free = Vec::new();
    for pool in ctx.load(&IP_POOLS)? {
        if int(&pool, "hardware_server_id").is_some_and(|id| id != server) {
            continue;
        }
        let (Some((false, first)), Some((false, last))) = (
            ip_number(pool.value("first_ip")),
            ip_number(pool.value("last_ip")),
        ) else {
            continue;
        };
        for n in first..=last.min(first + 65_535) {
            let ip = std::net::Ipv4Addr::from(n as u32).to_string();
            if !used.contains(&ip) {
                free.push(ip);
            }
        }
    }
    Ok(free)
}

/// Whether any pool exists.
pub fn any(ctx: &Ctx) -> Result<bool, CmdError> {
    Ok(!ctx.load(&IP_POOLS)?.is_empty())
}
