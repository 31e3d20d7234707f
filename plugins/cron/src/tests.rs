//! Native tests: the commands run through `hearth_sdk::dispatch` against a temporary tree laid
//! out like the sandbox (`user/` for the `/user` grant, `home/<USER>/`, `conf/`). Every call
//! passes `RESTART=no`, the one path that needs no host interface; the queued reload is
//! covered by the end-to-end tests.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::COMMANDS;

const USER: &str = "alice";

fn tree(cron_jobs: &str, suspended: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("user")).unwrap();
    fs::create_dir_all(root.join(format!("home/{USER}"))).unwrap();
    fs::create_dir_all(root.join("conf")).unwrap();
    fs::write(
        root.join("conf/hestia.conf"),
        "CRON_SYSTEM='cron'\nROOT_USER='admin'\n",
    )
    .unwrap();
    fs::write(
        root.join("user/user.conf"),
        format!(
            "NAME='Alice'\nCONTACT='alice@example.com'\nCRON_REPORTS='no'\nCRON_JOBS='{cron_jobs}'\n\
             SUSPENDED='{suspended}'\nSUSPENDED_CRON='0'\nU_CRON_JOBS='0'\n"
        ),
    )
    .unwrap();
    dir
}

fn run(root: &Path, command: &str, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, "admin", command, args)
}

fn user_value(root: &Path, key: &str) -> String {
    let record = hearth_sdk::fs::read_source(&root.join("user/user.conf")).unwrap();
    record.value(key).to_string()
}

#[test]
fn add_list_suspend_delete() {
    let dir = tree("unlimited", "no");
    let root = dir.path();
    let add = |args: &[&str]| run(root, "v-add-cron-job", args);
    assert_eq!(
        add(&[USER, "*/5", "*", "*", "*", "*", "echo 'a'  \"b\"", "", "no"]),
        (0, String::new())
    );
    assert_eq!(
        add(&[USER, "0", "3", "1", "12", "0", "backup", "7", "no"]),
        (0, String::new())
    );
    assert_eq!(add(&[USER, "1", "1", "1", "1", "1", "x", "", "no"]).0, 0);
    let conf = fs::read_to_string(root.join("user/cron.conf")).unwrap();
    let lines: Vec<&str> = conf.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with(
        "JOB='1' MIN='*/5' HOUR='*' DAY='*' MONTH='*' WDAY='*' CMD='echo %quote%a%quote% \"b\"' SUSPENDED='no' TIME='"
    ));
    assert!(
        lines[1].starts_with("JOB='7' MIN='0' HOUR='3' DAY='1' MONTH='12' WDAY='0' CMD='backup'")
    );
    assert!(lines[2].starts_with("JOB='8' "));
    assert_eq!(user_value(root, "U_CRON_JOBS"), "3");
    assert_eq!(
        fs::read_to_string(root.join(format!("home/{USER}/conf/cron/crontab"))).unwrap(),
        "MAILTO=\"\"\n*/5 * * * * echo 'a' \"b\"\n0 3 1 12 0 backup\n1 1 1 1 1 x\n"
    );
    let history = fs::read_to_string(root.join("user/history.log")).unwrap();
    assert!(history.contains(
        "CATEGORY='Cron Jobs' MESSAGE='Cron job added (ID: 1, Command: echo %quote%a%quote% \"b\")'"
    ));

    let (code, json) = run(root, "v-list-cron-jobs", &[USER, "json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["1"]["CMD"], "echo 'a' \"b\"");
    assert_eq!(value["7"]["MONTH"], "12");
    let (_, plain) = run(root, "v-list-cron-jobs", &[USER, "plain"]);
    assert!(plain.starts_with("1\t*/5\t*\t*\t*\t*\techo 'a' \\\"b\\\"\tno\t"));

    assert_eq!(
        run(root, "v-suspend-cron-job", &[USER, "7", "no"]),
        (0, String::new())
    );
    assert_eq!(
        run(root, "v-suspend-cron-job", &[USER, "7", "no"]),
        (5, "Error: cron 7 is suspended".to_string())
    );
    assert_eq!(user_value(root, "SUSPENDED_CRON"), "1");
    let crontab = fs::read_to_string(root.join(format!("home/{USER}/conf/cron/crontab"))).unwrap();
    assert!(!crontab.contains("backup"));

    assert_eq!(
        run(root, "v-delete-cron-job", &[USER, "7", "no"]),
        (0, String::new())
    );
    assert_eq!(user_value(root, "SUSPENDED_CRON"), "0");
    assert_eq!(user_value(root, "U_CRON_JOBS"), "2");
    assert_eq!(
        run(root, "v-delete-cron-job", &[USER, "7", "no"]),
        (3, "Error: cron job 7 doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-unsuspend-cron-job", &[USER, "1", "no"]),
        (6, "Error: cron 1 is not suspended".to_string())
    );
}

#[test]
fn add_refusals_in_hestia_order() {
    let dir = tree("1", "no");
    let root = dir.path();
    let add = |args: &[&str]| run(root, "v-add-cron-job", args);
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "*"]),
        (
            1,
            "Usage: v-add-cron-job USER MIN HOUR DAY MONTH WDAY CRON_COMMAND [JOB] [RESTART]"
                .to_string()
        )
    );
    assert_eq!(
        add(&[USER, "61", "25", "*", "*", "*", "x"]),
        (2, "Error: invalid min format :: 61".to_string())
    );
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "8", "x"]),
        (2, "Error: invalid wday format :: 8".to_string())
    );
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "*", "echo `id`"]),
        (2, "Error: Invalid cron command format".to_string())
    );
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "*", "x", "a1", "no"]),
        (2, "Error: invalid job format :: a1".to_string())
    );
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "*", "x", "", "later"]),
        (2, "Error: invalid restart format :: later".to_string())
    );
    assert_eq!(add(&[USER, "*", "*", "*", "*", "*", "x", "4", "no"]).0, 0);
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "*", "x", "4", "no"]),
        (
            8,
            "Error: CRON_JOBS limit is reached :: upgrade user package".to_string()
        )
    );
}

#[test]
fn duplicate_ids_and_suspended_users() {
    let dir = tree("unlimited", "no");
    let root = dir.path();
    let add = |args: &[&str]| run(root, "v-add-cron-job", args);
    assert_eq!(add(&[USER, "*", "*", "*", "*", "*", "x", "4", "no"]).0, 0);
    assert_eq!(
        add(&[USER, "*", "*", "*", "*", "*", "x", "4", "no"]),
        (4, "Error: JOB=4 already exists".to_string())
    );
    let suspended = tree("unlimited", "yes");
    assert_eq!(
        run(
            suspended.path(),
            "v-add-cron-job",
            &[USER, "*", "*", "*", "*", "*", "x"]
        ),
        (5, format!("Error: user {USER} is suspended"))
    );
}

#[test]
fn list_one_job() {
    let dir = tree("unlimited", "no");
    let root = dir.path();
    assert_eq!(
        run(
            root,
            "v-add-cron-job",
            &[USER, "5", "4", "3", "2", "1", "a\\b", "", "no"]
        )
        .0,
        0
    );
    let (code, csv) = run(root, "v-list-cron-job", &[USER, "1", "csv"]);
    assert_eq!(code, 0);
    assert!(
        csv.starts_with("MIN,HOUR,DAY,MONTH,WDAY,CMD,SUSPENDED,TIME,DATE\n5,4,3,2,1,\"a\\b\",no,")
    );
    assert!(csv.ends_with("'\n"));
    let (_, json) = run(root, "v-list-cron-job", &[USER, "1", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["1"]["CMD"], "a\\b");
    let (_, shell) = run(root, "v-list-cron-job", &[USER, "1"]);
    assert!(shell.starts_with("MINUTE:         5\nHOUR:           4\n"));
    assert_eq!(
        run(root, "v-list-cron-job", &[USER, "x"]),
        (2, "Error: invalid job_id format :: x".to_string())
    );
    assert_eq!(
        run(root, "v-list-cron-job", &[USER, "9", "json"]),
        (3, "Error: cron job 9 doesn't exist".to_string())
    );
    assert_eq!(
        run(root, "v-list-cron-jobs", &[USER, ""]),
        (0, String::new())
    );
}
