//! Load: mixed reads and mutations across several users at high concurrency against a real
//! server for a configurable time, sampling the server's resident memory (VmRSS). No request
//! may fail and memory must stay flat. `HEARTH_LOAD_SECONDS` (default 25) and
//! `HEARTH_LOAD_CONCURRENCY` (default 32) set the run; `scripts/load --minutes 10` is the
//! long version whose summary line goes into BENCHMARKS.md.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::*;

/// Users the load is spread over.
const USERS: usize = 8;

/// Allowed growth of the last quarter's peak RSS over the first quarter's.
const GROWTH_FACTOR: f64 = 1.2;

/// Allowed absolute growth on top of the factor (allocator and cache noise).
const SLACK_KB: u64 = 16 * 1024;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The resident set of process `pid`, in kB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// The command a worker sends at step `step`: reads most of the time, and a cron job added
/// and deleted again (so the store does not grow), plus contact changes.
fn command_for(worker: usize, step: u64) -> (&'static str, Vec<String>) {
    let user = format!("load{}", worker % USERS);
    let job = (1000 + worker).to_string();
    match step % 6 {
        0 => ("v-list-user", vec![user, "json".into()]),
        1 => (
            "v-add-cron-job",
            vec![
                user,
                "*/5".into(),
                "*".into(),
                "*".into(),
                "*".into(),
                "*".into(),
                format!("echo load {worker} {step}"),
                job,
            ],
        ),
        2 => ("v-list-cron-jobs", vec![user, "json".into()]),
        3 => ("v-delete-cron-job", vec![user, job]),
        4 => (
            "v-change-user-contact",
            vec![user, format!("w{worker}s{step}@example.com")],
        ),
        _ => ("v-list-users", vec!["json".into()]),
    }
}

#[test]
fn memory_stays_flat_under_mixed_load() {
    let seconds = env_number("HEARTH_LOAD_SECONDS", 25);
    let concurrency = env_number("HEARTH_LOAD_CONCURRENCY", 32) as usize;
    let base = temp_dir("hearth-load-");
    let data = base.join("data");
    init(&data, Some(ADMIN_PASSWORD));
    let config = write_test_config(&base.join("hearth.toml"));
    let (mut child, port, _) = spawn_serve(&data, &base.join("server.log"), Some(&config));
    let pid = child.id();
    let output = run(hearth(&data).args(["key", "add", "admin", "--permissions", ""]));
    assert_eq!(output.code, 0, "{output:?}");
    let key = parse_key(&output.stdout);
    for n in 0..USERS {
        let user = format!("load{n}");
        let response = post_form_to(
            port,
            &call_fields(
                Auth::Key(&key),
                true,
                "v-add-user",
                &[&user, "Pa55-word-x", &format!("{user}@example.com")],
            ),
        );
        assert_eq!(response.body, "0", "v-add-user {user}: {response:?}");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    samples.push(kb);
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            samples
        })
    };

    let requests = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a client");
        let url = format!("https://127.0.0.1:{port}/api/");
        let mut workers = Vec::new();
        for worker in 0..concurrency {
            let (client, url, key) = (client.clone(), url.clone(), key.clone());
            let (requests, failures, latencies) =
                (requests.clone(), failures.clone(), latencies.clone());
            workers.push(tokio::spawn(async move {
                // Workers start at different commands, but never at a delete before its add.
                let mut step = match worker % 6 {
                    2 | 3 => 4,
                    other => other as u64,
                };
                while Instant::now() < deadline {
                    let (command, args) = command_for(worker, step);
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let pairs = call_fields(Auth::Key(&key), true, command, &args);
                    let sent = Instant::now();
                    let answer = client.post(&url).form(&pairs).send().await;
                    let body = match answer {
                        Ok(response) => response.text().await.map_err(|e| e.to_string()),
                        Err(error) => Err(error.to_string()),
                    };
                    let micros = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    latencies.lock().unwrap().push(micros);
                    requests.fetch_add(1, Ordering::Relaxed);
                    match body {
                        Ok(text) if text == "0" => {}
                        other => failures
                            .lock()
                            .unwrap()
                            .push(format!("{command} {args:?}: {other:?}")),
                    }
                    step += 1;
                }
            }));
        }
        for worker in workers {
            worker.await.expect("a worker");
        }
    });
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("the sampler");
    let alive = child.try_wait().expect("poll the server").is_none();
    let _ = child.kill();
    let _ = child.wait();

    let requests = requests.load(Ordering::Relaxed);
    let failures = failures.lock().unwrap().clone();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    let quarter = samples.len() / 4;
    assert!(quarter >= 2, "too few RSS samples: {samples:?}");
    let first_max = *samples[..quarter].iter().max().unwrap();
    let last_max = *samples[samples.len() - quarter..].iter().max().unwrap();
    let summary = format!(
        "load: {:.0} s, {concurrency} workers, {USERS} users, {requests} requests ({:.0}/s), \
         {} failed, latency p50 {:.1} ms p99 {:.1} ms, RSS first-quarter max {:.1} MB, \
         last-quarter max {:.1} MB, overall max {:.1} MB",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        failures.len(),
        f64::from(percentile(0.5)) / 1000.0,
        f64::from(percentile(0.99)) / 1000.0,
        first_max as f64 / 1024.0,
        last_max as f64 / 1024.0,
        *samples.iter().max().unwrap() as f64 / 1024.0,
    );
    println!("{summary}");
    assert!(alive, "the server died under load");
    assert!(
        failures.is_empty(),
        "{} failed requests, first: {:?}\n{summary}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(requests > 0, "{summary}");
    let allowed = (first_max as f64 * GROWTH_FACTOR) as u64 + SLACK_KB;
    assert!(
        last_max <= allowed,
        "memory grew: last-quarter max {last_max} kB > {allowed} kB\n{summary}"
    );
    let _ = std::fs::remove_dir_all(&base);
}
