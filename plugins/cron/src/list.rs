//! `v-list-cron-jobs USER [FORMAT]` and `v-list-cron-job USER JOB [FORMAT]`: Hestia's json,
//! plain, csv and shell layouts. The JSON is always valid: the command is written escaped,
//! with its real quotes and backslashes, where Hestia only put a backslash before `"`.

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdResult, hosting, validate};

use crate::{common, fields};

/// The JSON fields of one job, in Hestia's order.
fn json_object(key: &str, job: &Record) -> String {
    let command = fields::real_command(job.value("CMD"));
    let values: Vec<(&str, &str)> = vec![
        ("MIN", job.value("MIN")),
        ("HOUR", job.value("HOUR")),
        ("DAY", job.value("DAY")),
        ("MONTH", job.value("MONTH")),
        ("WDAY", job.value("WDAY")),
        ("CMD", command.as_str()),
        ("JOB", job.value("JOB")),
        ("SUSPENDED", job.value("SUSPENDED")),
        ("TIME", job.value("TIME")),
        ("DATE", job.value("DATE")),
    ];
    format!(
        "    {}: {{\n{}\n    }}",
        render::json_string(key),
        render::json_fields(&values, "        ")
    )
}

/// `v-list-cron-jobs`. An unknown or explicitly empty FORMAT prints nothing, as in Hestia.
pub fn list_cron_jobs(call: &Call) -> CmdResult {
    let user = call.arg(1);
    validate::user(user)?;
    hosting::user_record(call, user)?;
    let Some(format) = Format::from_arg(call.arg_opt(2)) else {
        return Ok(String::new());
    };
    let jobs = common::load_jobs(call)?;
    Ok(match format {
        Format::Json => {
            let objects: Vec<String> = jobs
                .iter()
                .map(|job| json_object(job.value("JOB"), job))
                .collect();
            if objects.is_empty() {
                "{\n}\n".to_string()
            } else {
                format!("{{\n{}\n}}\n", objects.join(",\n"))
            }
        }
        Format::Plain => jobs
            .iter()
            .map(|job| {
                format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    job.value("JOB"),
                    job.value("MIN"),
                    job.value("HOUR"),
                    job.value("DAY"),
                    job.value("MONTH"),
                    job.value("WDAY"),
                    fields::display_command(job.value("CMD")),
                    job.value("SUSPENDED"),
                    job.value("TIME"),
                    job.value("DATE"),
                )
            })
            .collect(),
        // Hestia's header names other columns than its rows hold; kept as is for clients
        // that match it.
        Format::Csv => {
            let mut out = String::from("MIN,HOUR,DAY,WDAY,CMD,SUSPENDED,TIME,DATE\n");
            for job in &jobs {
                out.push_str(&format!(
                    "{},{},{},{},{},{},\"{}\",{},{},{}\n",
                    job.value("JOB"),
                    job.value("MIN"),
                    job.value("HOUR"),
                    job.value("DAY"),
                    job.value("MONTH"),
                    job.value("WDAY"),
                    fields::display_command(job.value("CMD")),
                    job.value("SUSPENDED"),
                    job.value("TIME"),
                    job.value("DATE"),
                ));
            }
            out
        }
        Format::Shell => {
            let mut rows: Vec<Vec<String>> = vec![
                ["JOB", "MIN", "HOUR", "DAY", "MONTH", "WDAY", "COMMAND"]
                    .map(String::from)
                    .to_vec(),
                ["---", "---", "----", "---", "-----", "----", "-------"]
                    .map(String::from)
                    .to_vec(),
            ];
            for job in &jobs {
                rows.push(vec![
                    job.value("JOB").to_string(),
                    job.value("MIN").to_string(),
                    job.value("HOUR").to_string(),
                    job.value("DAY").to_string(),
                    job.value("MONTH").to_string(),
                    job.value("WDAY").to_string(),
                    fields::display_command(job.value("CMD")),
                ]);
            }
            render::columns(&rows)
        }
        Format::List => String::new(),
    })
}

/// `v-list-cron-job USER JOB [FORMAT]`: `Error: invalid job_id format :: X` (2),
/// `Error: cron job X doesn't exist` (3).
pub fn list_cron_job(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let job_arg = call.arg(2);
    validate::user(user)?;
    fields::number("job_id", job_arg)?;
    hosting::user_record(call, user)?;
    let jobs = common::load_jobs(call)?;
    let job = &jobs[common::find_job(&jobs, job_arg)?];
    let Some(format) = Format::from_arg(call.arg_opt(3)) else {
        return Ok(String::new());
    };
    let command = fields::display_command(job.value("CMD"));
    Ok(match format {
        Format::Json => format!("{{\n{}\n}}\n", json_object(job_arg, job)),
        Format::Shell => format!(
            "MINUTE:         {}\nHOUR:           {}\nDAY:            {}\nMONTH:          {}\n\
             DAY OF WEEK:    {}\nCOMMAND:        {}\nSUSPENDED:      {}\nTIME:           {}\n\
             DATE:           {}\n",
            job.value("MIN"),
            job.value("HOUR"),
            job.value("DAY"),
            job.value("MONTH"),
            job.value("WDAY"),
            command,
            job.value("SUSPENDED"),
            job.value("TIME"),
            job.value("DATE"),
        ),
        Format::Plain => format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            job.value("MIN"),
            job.value("HOUR"),
            job.value("DAY"),
            job.value("MONTH"),
            job.value("WDAY"),
            command,
            job.value("SUSPENDED"),
            job.value("TIME"),
            job.value("DATE"),
        ),
        // Hestia's row ends with a stray `'`; kept for byte compatibility.
        Format::Csv => format!(
            "MIN,HOUR,DAY,MONTH,WDAY,CMD,SUSPENDED,TIME,DATE\n{},{},{},{},{},\"{}\",{},{},{}'\n",
            job.value("MIN"),
            job.value("HOUR"),
            job.value("DAY"),
            job.value("MONTH"),
            job.value("WDAY"),
            command,
            job.value("SUSPENDED"),
            job.value("TIME"),
            job.value("DATE"),
        ),
        Format::List => String::new(),
    })
}
