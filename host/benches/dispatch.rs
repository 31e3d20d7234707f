//! Benchmark: in-process dispatch of a read (`v-list-user alice json`) and a list over 100 web
//! domains, each as a memoized answer and as a plugin run, and a durable mutation
//! (`v-add-web-domain`); startup with and without the compile
//! cache; and HTTPS keep-alive requests from one client (access key and legacy password),
//! each as p50/p99 over many samples.
//!
//! Run: `cargo bench -p hearth --bench dispatch`. Prints one table; figures go in
//! BENCHMARKS.md with the command.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth::service::{Hearth, Options};

mod common;
use common::{add_alice, args};

const WARMUP: usize = 300;
const SAMPLES: usize = 5_000;
/// Under `cargo test --all-targets` (no `--bench` argument) the benchmark only smoke-runs.
const SMOKE_SAMPLES: usize = 20;
const ADMIN_PASSWORD: &str = "bench-admin-password";
/// Longer than the read cache's racy-timestamp window (2 s).
const RACY_WINDOW: Duration = Duration::from_millis(2_200);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} |",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6,
    );
}

#[tokio::main]
async fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    // HEARTH_BENCH_SAMPLES=N takes more samples (e.g. for a longer `perf record`).
    let samples = std::env::var("HEARTH_BENCH_SAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SAMPLES);
    let (warmup, samples_wanted) = if measuring {
        (WARMUP, samples)
    } else {
        (1, SMOKE_SAMPLES)
    };
    let dir = tempfile::tempdir().expect("temporary data root");
    let data_dir = dir.path().to_path_buf();
    hearth::init::init(&data_dir, Some(ADMIN_PASSWORD))
        .await
        .expect("init");
    let hearth = Arc::new(Hearth::open(&Options::new(&data_dir)).await.expect("open"));
    add_alice(&hearth).await;

    println!("| benchmark | samples | p50 µs | p99 µs | mean µs |");
    println!("|---|---|---|---|---|");

    // HEARTH_BENCH_COMMAND="v-list-sys-config json" profiles another command in-process.
    let chosen = std::env::var("HEARTH_BENCH_COMMAND").unwrap_or_default();
    let mut words: Vec<&str> = chosen.split_whitespace().collect();
    if words.is_empty() {
        words = vec!["v-list-user", "alice", "json"];
    }
    let (command, list_args) = (words[0], args(&words[1..]));
    // Answers read from files this fresh are not kept (racy timestamps): wait it out, then
    // measure the memoized answer and, with memoization off, the plugin run.
    tokio::time::sleep(RACY_WINDOW).await;
    for (memoized, label) in [(true, "memoized answer"), (false, "plugin run")] {
        hearth.runtime().set_memoize_reads(memoized);
        let samples = repeated_calls(&hearth, command, &list_args, warmup, samples_wanted).await;
        report(
            &format!("in-process `{}`, {label}", words.join(" ")),
            samples,
        );
    }
    hearth.runtime().set_memoize_reads(true);
    if std::env::var_os("HEARTH_BENCH_IN_PROCESS_ONLY").is_some() {
        return;
    }
    if chosen.is_empty() {
        lists_mutations_and_startup(&hearth, &data_dir, measuring).await;
    }

    let key = hearth
        .call_local("v-add-access-key", &args(&["admin", "", "bench", "plain"]))
        .await
        .expect("access key");
    assert_eq!(key.code, 0, "{}", key.output);
    let hash = key.output.trim().to_string();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = {
        let hearth = hearth.clone();
        let data_dir = data_dir.clone();
        tokio::spawn(async move {
            hearth::server::serve_with(hearth, "127.0.0.1:0".parse().unwrap(), &data_dir, |addr| {
                let _ = tx.send(addr);
            })
            .await
        })
    };
    let addr = rx.await.expect("server address");
    let url = format!("https://{addr}/api/");
    let client = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let modes: [(&str, Vec<(&str, &str)>); 2] = [
        (
            "HTTPS keep-alive, access key, `v-list-user alice json`",
            vec![
                ("hash", hash.as_str()),
                ("cmd", "v-list-user"),
                ("arg1", "alice"),
                ("arg2", "json"),
            ],
        ),
        (
            "HTTPS keep-alive, legacy password, `v-list-user alice json`",
            vec![
                ("user", "admin"),
                ("password", ADMIN_PASSWORD),
                ("cmd", "v-list-user"),
                ("arg1", "alice"),
                ("arg2", "json"),
            ],
        ),
    ];
    for (name, form) in modes {
        let mut samples = Vec::with_capacity(samples_wanted);
        for i in 0..warmup + samples_wanted {
            let started = Instant::now();
            let response = client.post(&url).form(&form).send().await.expect("request");
            let status = response.status();
            let body = response.bytes().await.expect("body");
            let elapsed = started.elapsed();
            assert!(
                status.is_success(),
                "{status}: {}",
                String::from_utf8_lossy(&body)
            );
            if i >= warmup {
                samples.push(elapsed);
            }
        }
        report(name, samples);
    }
    server.abort();
}

/// Times one call of `command args` (which must succeed).
async fn timed_call(hearth: &Hearth, command: &str, args: &[String]) -> Duration {
    let started = Instant::now();
    let outcome = hearth.call_local(command, args).await.expect("call");
    let elapsed = started.elapsed();
    assert_eq!(outcome.code, 0, "{command}: {}", outcome.output);
    elapsed
}

/// The times of `count` calls of the same command, after `warmup` untimed ones.
async fn repeated_calls(
    hearth: &Hearth,
    command: &str,
    args: &[String],
    warmup: usize,
    count: usize,
) -> Vec<Duration> {
    for _ in 0..warmup {
        timed_call(hearth, command, args).await;
    }
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        samples.push(timed_call(hearth, command, args).await);
    }
    samples
}

/// The list and mutation rows, and startup with a warm and a cold compile cache.
async fn lists_mutations_and_startup(hearth: &Hearth, data_dir: &std::path::Path, measuring: bool) {
    let (domains, list_samples, mutations, warm_starts, cold_starts) = if measuring {
        (100, 1_000, 500, 10, 3)
    } else {
        (3, 3, 3, 1, 1)
    };
    for n in 0..domains {
        let domain = format!("site{n}.example.com");
        timed_call(hearth, "v-add-web-domain", &args(&["alice", &domain])).await;
    }
    let list = args(&["alice", "json"]);
    tokio::time::sleep(RACY_WINDOW).await;
    for (memoized, label) in [(false, "plugin run"), (true, "memoized answer")] {
        hearth.runtime().set_memoize_reads(memoized);
        let samples = repeated_calls(hearth, "v-list-web-domains", &list, 0, list_samples).await;
        report(
            &format!("in-process `v-list-web-domains alice json` ({domains} domains), {label}"),
            samples,
        );
    }

    let mut samples = Vec::with_capacity(mutations);
    for n in 0..mutations {
        let domain = format!("new{n}.example.net");
        samples.push(timed_call(hearth, "v-add-web-domain", &args(&["alice", &domain])).await);
    }
    report(
        "in-process `v-add-web-domain alice DOMAIN` (durable: fsync + rename)",
        samples,
    );

    // Startup: open the data root (load and link every built-in plugin) and serve one call.
    for (name, cold, starts) in [
        ("warm cache", false, warm_starts),
        ("cold cache: compiles", true, cold_starts),
    ] {
        let mut samples = Vec::with_capacity(starts);
        for _ in 0..starts {
            if cold {
                let _ = std::fs::remove_dir_all(data_dir.join("cache"));
            }
            let started = Instant::now();
            let opened = Hearth::open(&Options::new(data_dir)).await.expect("open");
            timed_call(&opened, "v-list-user", &args(&["alice", "json"])).await;
            samples.push(started.elapsed());
        }
        report(&format!("startup to first command, {name}"), samples);
    }
}
