//! `backups` (`backup_ve`): container dumps in the node's `DUMPDIR`. Unlike OWP, delete and
//! restore check that the caller controls the backup's server, the role's backup limit is
//! enforced, and restore works.

use hearth_sdk::CmdError;
use hearth_sdk::conf::Record;
use hearth_sdk::owp::{Reply, Value};

use crate::node;
use crate::store::{self, BACKUPS, Ctx, FAILED, FINISHED, HARDWARE_SERVERS, int};
use crate::virtual_servers::{controlled, shell_word, success};

/// How often and how long a backup job is polled within one request.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(100);
const POLLS: u32 = 50;

/// `ve-dump.<ctid>.<unixtime>.tar` → `%Y.%m.%d %H:%M:%S` (UTC).
fn archive_date(name: &str) -> String {
    let stamp = name
        .strip_suffix(".tar")
        .and_then(|rest| rest.rsplit('.').next())
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    let days = stamp.div_euclid(86_400);
    let seconds = stamp.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}.{m:02}.{d:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// Howard Hinnant's days-to-civil.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub fn list(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(ve) = controlled(ctx, "id")? else {
        return Ok(store::not_found());
    };
    let items: Vec<Value> = ctx
        .load(&BACKUPS)?
        .iter()
        .filter(|b| int(b, "virtual_server_id") == int(&ve, "id"))
        .map(|b| {
            Value::hash([
                ("archive_date", Value::Str(archive_date(b.value("name")))),
                ("description", Value::Str(b.value("description").into())),
                ("id", Value::Int(int(b, "id").unwrap_or(0))),
                ("name", Value::Str(b.value("name").into())),
                ("size", Value::Int(int(b, "size").unwrap_or(0))),
            ])
        })
        .collect();
    // Array#to_xml of an empty array names it after NilClass.
    let (root, item) = if items.is_empty() {
        ("nil_classes", "nil_class")
    } else {
        ("records", "record")
    };
    Ok(Reply::Document(
        root.into(),
        Value::Array(item.into(), items),
    ))
}

fn server_of(ctx: &Ctx, ve: &Record) -> Result<Record, CmdError> {
    let id = int(ve, "hardware_server_id");
    Ok(ctx
        .load(&HARDWARE_SERVERS)?
        .into_iter()
        .find(|s| int(s, "id") == id)
        .unwrap_or_default())
}

/// Waits for a daemon job; its exit code, or `None` when it did not finish in time.
fn wait_job(node_id: i64, job: &str) -> Option<i32> {
    for _ in 0..POLLS {
        match node::job_status(node_id, job) {
            Ok((true, false, code)) => return Some(code.unwrap_or(0)),
            Ok((false, _, _)) | Err(_) => return None,
            Ok(_) => std::thread::sleep(POLL_EVERY),
        }
    }
    None
}

pub fn create(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(ve) = controlled(ctx, "id")? else {
        return Ok(store::not_found());
    };
    let ve_id = int(&ve, "id");
    let mut backups = ctx.load(&BACKUPS)?;
    let used = backups
        .iter()
        .filter(|b| int(b, "virtual_server_id") == ve_id)
        .count() as i64;
    let limit = ctx.caller.limit_backups;
    if limit >= 0 && limit <= used {
        return Ok(Reply::Error("backups.limit_reached".into(), None));
    }
    let server = server_of(ctx, &ve)?;
    let node_id = int(&server, "id").unwrap_or(0);
    let identity = ve.value("identity").to_string();
    let word = shell_word(&identity);
    let running = ve.value("state") == "running";
    let ve_state = ctx.text("ve_state");
    let paused = match ve_state {
        "suspend" if running => {
            node::exec(node_id, "vzctl", &format!("chkpnt {word} --suspend")).is_ok()
        }
        "stop" if running => node::exec(node_id, "vzctl", &format!("stop {word}")).is_ok(),
        _ => false,
    };
    let name = format!("ve-dump.{identity}.{}.tar", ctx.unix_time);
    let archive = format!("{}/{name}", server.value("backups_dir"));
    let private = server.value("ve_private").replace("$VEID", &identity);
    let task = ctx.task("backups.create", &[("identity", &identity)])?;
    let job = node::job(
        node_id,
        "tar",
        &format!("-cf {} {}", shell_word(&archive), shell_word(&private)),
    );
    let finished = match job {
        Ok(job) => wait_job(node_id, &job) == Some(0),
        Err(_) => false,
    };
    if paused {
        let resume = if ve_state == "suspend" {
            format!("chkpnt {word} --resume")
        } else {
            format!("start {word}")
        };
        let _ = node::exec_raw(node_id, "vzctl", &resume);
    }
    if !finished {
        ctx.finish_task(task, FAILED)?;
        return Ok(store::internal_error(format!(
            "Backup of virtual server {identity} failed"
        )));
    }
    let size = node::exec(node_id, "stat", &format!("-c %s {}", shell_word(&archive)))
        .map(|out| store::ruby_to_i(out.trim()) / (1024 * 1024))
        .unwrap_or(0);
    let mut row = Record::new();
    row.set("id", ctx.next_id(&BACKUPS)?.to_string());
    row.set("name", &name);
    row.set("description", ctx.text("description"));
    row.set("size", size.to_string());
    row.set("virtual_server_id", ve_id.unwrap_or(0).to_string());
    backups.push(row);
    ctx.save(&BACKUPS, &backups)?;
    ctx.finish_task(task, FINISHED)?;
    Ok(success())
}

/// The backup named by `id` and its server, if the caller controls that server.
fn owned_backup(ctx: &Ctx) -> Result<Option<(Record, Record)>, CmdError> {
    let Some(backup) = ctx.find_by_param(&BACKUPS, "id")? else {
        return Ok(None);
    };
    let ve = ctx
        .load(&store::VIRTUAL_SERVERS)?
        .into_iter()
        .find(|v| int(v, "id") == int(&backup, "virtual_server_id"));
    Ok(ve
        .filter(|ve| ctx.caller.controls(ve))
        .map(|ve| (backup, ve)))
}

pub fn delete(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some((backup, ve)) = owned_backup(ctx)? else {
        return Ok(store::not_found());
    };
    let server = server_of(ctx, &ve)?;
    let node_id = int(&server, "id").unwrap_or(0);
    let path = format!("{}/{}", server.value("backups_dir"), backup.value("name"));
    if let Err(failure) = node::exec(node_id, "rm", &format!("-f {}", shell_word(&path))) {
        return Ok(store::internal_error(failure.message()));
    }
    let mut backups = ctx.load(&BACKUPS)?;
    backups.retain(|b| int(b, "id") != int(&backup, "id"));
    ctx.save(&BACKUPS, &backups)?;
    Ok(success())
}

/// Stops the server if it runs, replaces its private area with the archive's, and starts
/// it again (OWP's restore calls a method that does not exist).
pub fn restore(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some((backup, ve)) = owned_backup(ctx)? else {
        return Ok(store::not_found());
    };
    let server = server_of(ctx, &ve)?;
    let node_id = int(&server, "id").unwrap_or(0);
    let identity = ve.value("identity").to_string();
    let word = shell_word(&identity);
    let running = ve.value("state") == "running";
    let archive = format!("{}/{}", server.value("backups_dir"), backup.value("name"));
    let private = server.value("ve_private").replace("$VEID", &identity);
    let task = ctx.task("backups.restore", &[("identity", &identity)])?;
    let mut steps = Vec::new();
    if running {
        steps.push(("vzctl", format!("stop {word}")));
    }
    steps.push(("rm", format!("-rf {}", shell_word(&private))));
    steps.push(("tar", format!("-xf {} -C /", shell_word(&archive))));
    if running {
        steps.push(("vzctl", format!("start {word}")));
    }
    for (command, args) in steps {
        if let Err(failure) = node::exec(node_id, command, &args) {
            ctx.finish_task(task, FAILED)?;
            return Ok(store::internal_error(failure.message()));
        }
    }
    ctx.finish_task(task, FINISHED)?;
    Ok(success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_dates_come_from_the_name() {
        assert_eq!(
            archive_date("ve-dump.101.1435140000.tar"),
            "2015.06.24 10:00:00"
        );
    }
}
