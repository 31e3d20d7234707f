//! What the cron commands share: the user's `cron.conf`, its order, the rendered crontab,
//! counters and history.

use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, fs, hosting};

use crate::fields;

/// `data/users/<USER>/cron.conf`.
pub fn cron_conf(call: &Call) -> PathBuf {
    call.user_path("cron.conf")
}

/// The user's jobs, in file order (a missing file is no jobs).
pub fn load_jobs(call: &Call) -> Result<Vec<Record>, CmdError> {
    fs::read_list(&cron_conf(call))
}

/// The numeric key `sort -n -k 2 -t \'` orders by: the `JOB` value (non-numbers count as 0).
fn job_number(record: &Record) -> u64 {
    record.value("JOB").trim().parse().unwrap_or(0)
}

/// `sort_cron_jobs`: by job number, ties by the whole line (sort's last resort).
pub fn sort_jobs(jobs: &mut [Record]) {
    jobs.sort_by(|a, b| {
        job_number(a)
            .cmp(&job_number(b))
            .then_with(|| a.to_string().cmp(&b.to_string()))
    });
}

/// Sorts and writes `cron.conf`.
pub fn save_jobs(call: &Call, jobs: &mut [Record]) -> Result<(), CmdError> {
    sort_jobs(jobs);
    fs::write_list(&cron_conf(call), jobs)
}

/// `is_object_valid 'cron' 'JOB' X`: the index of job `job`, or
/// `Error: cron job X doesn't exist` (3).
pub fn find_job(jobs: &[Record], job: &str) -> Result<usize, CmdError> {
    jobs.iter()
        .position(|record| record.value("JOB") == job)
        .ok_or_else(|| CmdError::not_exist("cron job", job))
}

/// The crontab's text, Hestia's `sync_cron_jobs`: `MAILTO` (the contact address when
/// `CRON_REPORTS='yes'`, else empty), then one line per job that is not suspended.
pub fn crontab(user: &Record, jobs: &[Record]) -> String {
    let mut out = if user.value("CRON_REPORTS") == "yes" {
        format!(
            "MAILTO={}\nCONTENT_TYPE=\"text/plain; charset=utf-8\"\n",
            user.value("CONTACT")
        )
    } else {
        "MAILTO=\"\"\n".to_string()
    };
    for job in jobs.iter().filter(|job| job.value("SUSPENDED") == "no") {
        out.push_str(&format!(
            "{} {} {} {} {} {}\n",
            job.value("MIN"),
            job.value("HOUR"),
            job.value("DAY"),
            job.value("MONTH"),
            job.value("WDAY"),
            fields::crontab_command(job.value("CMD")),
        ));
    }
    out
}

/// Renders the user's crontab into `<HOME_ROOT>/<USER>/conf/cron/crontab`.
///
/// Hestia writes `/var/spool/cron/crontabs/<USER>` itself. hearth never touches system
/// directories: this file in the user's home is the crontab the system cron reads in a hearth
/// deployment (it is installed as, or linked to, the user's spool entry), and the queued
/// `cron` reload tells the cron service to pick it up.
pub fn sync_crontab(
    call: &Call,
    user: &str,
    record: &Record,
    jobs: &[Record],
) -> Result<(), CmdError> {
    let dir = call.home_path(user, "conf/cron");
    std::fs::create_dir_all(&dir)?;
    fs::write_atomic(&dir.join("crontab"), crontab(record, jobs).as_bytes())
}

/// Changes a counter in the user's `user.conf`.
pub fn bump(call: &Call, key: &str, delta: i64) -> Result<(), CmdError> {
    hosting::bump_counter(&call.user_path("user.conf"), key, delta)
}

/// `v-log-action USER Info 'Cron Jobs' MESSAGE`.
pub fn history(call: &Call, message: &str) -> Result<(), CmdError> {
    hosting::log_history(&call.user_path("history.log"), "Info", "Cron Jobs", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, cmd: &str, suspended: &str) -> Record {
        Record::from_pairs([
            ("JOB", id),
            ("MIN", "*/5"),
            ("HOUR", "*"),
            ("DAY", "*"),
            ("MONTH", "*"),
            ("WDAY", "*"),
            ("CMD", cmd),
            ("SUSPENDED", suspended),
            ("TIME", "10:00:00"),
            ("DATE", "2024-05-01"),
        ])
    }

    #[test]
    fn jobs_sort_numerically() {
        let mut jobs = vec![
            job("10", "a", "no"),
            job("2", "b", "no"),
            job("1", "c", "no"),
        ];
        sort_jobs(&mut jobs);
        let ids: Vec<&str> = jobs.iter().map(|j| j.value("JOB")).collect();
        assert_eq!(ids, ["1", "2", "10"]);
    }

    #[test]
    fn crontab_lists_active_jobs() {
        let mut user = Record::from_pairs([("CONTACT", "a@example.com"), ("CRON_REPORTS", "no")]);
        let jobs = vec![
            job("1", "echo %quote%hi%quote% %dots%", "no"),
            job("2", "hidden", "yes"),
        ];
        assert_eq!(
            crontab(&user, &jobs),
            "MAILTO=\"\"\n*/5 * * * * echo 'hi' :\n"
        );
        user.set("CRON_REPORTS", "yes");
        assert_eq!(
            crontab(&user, &jobs),
            "MAILTO=a@example.com\nCONTENT_TYPE=\"text/plain; charset=utf-8\"\n*/5 * * * * echo 'hi' :\n"
        );
    }
}
