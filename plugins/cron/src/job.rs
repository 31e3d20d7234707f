//! `v-add-cron-job`, `v-delete-cron-job`, `v-suspend-cron-job` and `v-unsuspend-cron-job`:
//! the `cron.conf` line, the user's counters, the rendered crontab and the queued reload.

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdResult, hosting, render, validate};

use crate::{common, fields};

/// `v-add-cron-job USER MIN HOUR DAY MONTH WDAY CRON_COMMAND [JOB] [RESTART]`, in Hestia's
/// order: formats, `CRON_SYSTEM`, user, suspension, package limit (`CRON_JOBS` against the
/// number of lines of `cron.conf`), next free id, id format, `RESTART`, id uniqueness, demo
/// mode. Silent on success.
pub fn add_cron_job(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let schedule = [
        ("min", call.arg(2)),
        ("hour", call.arg(3)),
        ("day", call.arg(4)),
        ("month", call.arg(5)),
        ("wday", call.arg(6)),
    ];
    let command = fields::stored_command(call.arg(7));
    let restart = call.arg(9);

    validate::user(user)?;
    for (name, value) in schedule {
        fields::schedule_field(name, value)?;
    }
    fields::command(&command)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "CRON_SYSTEM")?;
    let record = hosting::active_user(call, user)?;
    let mut jobs = common::load_jobs(call)?;
    hosting::package_allows(&record, "CRON_JOBS", Some(jobs.len() as u64))?;
    let job = match call.arg(8) {
        "" => {
            let last = jobs
                .iter()
                .filter_map(|job| job.value("JOB").trim().parse::<u64>().ok())
                .max()
                .unwrap_or(0);
            (last + 1).to_string()
        }
        given => given.to_string(),
    };
    fields::number("job", &job)?;
    validate::restart(restart)?;
    if jobs.iter().any(|record| record.value("JOB") == job) {
        return Err(hearth_sdk::CmdError::new(
            hearth_sdk::ReturnCode::Exists,
            format!("JOB={job} already exists"),
        ));
    }
    hosting::check_demo_mode(&settings)?;

    let (date, time) = render::now_date_time();
    jobs.push(Record::from_pairs([
        ("JOB", job.as_str()),
        ("MIN", schedule[0].1),
        ("HOUR", schedule[1].1),
        ("DAY", schedule[2].1),
        ("MONTH", schedule[3].1),
        ("WDAY", schedule[4].1),
        ("CMD", command.as_str()),
        ("SUSPENDED", "no"),
        ("TIME", time.as_str()),
        ("DATE", date.as_str()),
    ]));
    // The crontab first: when it cannot be written, cron.conf is left as it was.
    common::sort_jobs(&mut jobs);
    common::sync_crontab(call, user, &record, &jobs)?;
    common::save_jobs(call, &mut jobs)?;
    common::bump(call, "U_CRON_JOBS", 1)?;
    hosting::restart(restart, &["cron"])?;
    common::history(
        call,
        &format!("Cron job added (ID: {job}, Command: {command})"),
    )?;
    Ok(String::new())
}

/// `v-delete-cron-job USER JOB [RESTART]`: formats, `CRON_SYSTEM`, user, job, demo mode.
/// Gives back `U_CRON_JOBS` (and `SUSPENDED_CRON` for a suspended job). Silent.
pub fn delete_cron_job(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let job = call.arg(2);
    let restart = call.arg(3);
    validate::user(user)?;
    fields::number("job", job)?;
    validate::restart(restart)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "CRON_SYSTEM")?;
    let record = hosting::user_record(call, user)?;
    let mut jobs = common::load_jobs(call)?;
    let index = common::find_job(&jobs, job)?;
    hosting::check_demo_mode(&settings)?;

    let removed = jobs.remove(index);
    common::sync_crontab(call, user, &record, &jobs)?;
    common::save_jobs(call, &mut jobs)?;
    common::bump(call, "U_CRON_JOBS", -1)?;
    if removed.value("SUSPENDED") == "yes" {
        common::bump(call, "SUSPENDED_CRON", -1)?;
    }
    hosting::restart(restart, &["cron"])?;
    common::history(call, &format!("Cron job deleted (ID: {job})."))?;
    Ok(String::new())
}

/// `v-suspend-cron-job USER JOB [RESTART]`: `Error: cron X is suspended` (5) when it already
/// is. The job leaves the crontab; `SUSPENDED_CRON` goes up. Silent.
pub fn suspend_cron_job(call: &Call) -> CmdResult {
    change(call, true)
}

/// `v-unsuspend-cron-job USER JOB [RESTART]`: `Error: cron X is not suspended` (6) when it
/// is not. The job is back in the crontab; `SUSPENDED_CRON` goes down. Silent.
pub fn unsuspend_cron_job(call: &Call) -> CmdResult {
    change(call, false)
}

fn change(call: &Call, suspend: bool) -> CmdResult {
    let user = call.arg(1);
    let job = call.arg(2);
    let restart = call.arg(3);
    validate::user(user)?;
    fields::number("job", job)?;
    validate::restart(restart)?;
    let record = hosting::user_record(call, user)?;
    let mut jobs = common::load_jobs(call)?;
    let index = common::find_job(&jobs, job)?;
    let suspended = jobs[index].value("SUSPENDED") == "yes";
    if suspend && suspended {
        return Err(hearth_sdk::CmdError::new(
            hearth_sdk::ReturnCode::Suspended,
            format!("cron {job} is suspended"),
        ));
    }
    if !suspend && !suspended {
        return Err(hearth_sdk::CmdError::new(
            hearth_sdk::ReturnCode::Unsuspended,
            format!("cron {job} is not suspended"),
        ));
    }
    let settings = hosting::settings(call)?;
    hosting::check_demo_mode(&settings)?;

    jobs[index].set("SUSPENDED", if suspend { "yes" } else { "no" });
    common::sync_crontab(call, user, &record, &jobs)?;
    common::save_jobs(call, &mut jobs)?;
    common::bump(call, "SUSPENDED_CRON", if suspend { 1 } else { -1 })?;
    hosting::restart(restart, &["cron"])?;
    Ok(String::new())
}
