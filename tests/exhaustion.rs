//! Resource exhaustion by a hostile plugin: endless loops (with and without host calls),
//! memory growth past the limit, unbounded recursion, 1 GB to stdout and stderr, output past
//! the cap, a huge string passed to a host interface and resource-table flooding. Each is
//! stopped, answered with the error that names it, and the server serves the next request.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;

/// Runs `v-test-exhaust KIND`, checks the answer, and that the server still works.
#[track_caller]
fn exhaust(kind: &str, code: &str, body: &str) -> Duration {
    let s = hostile_server();
    let started = Instant::now();
    let response = s.v2(false, "v-test-exhaust", &[kind]);
    let took = started.elapsed();
    assert_eq!(
        response.exit_code.as_deref(),
        Some(code),
        "{kind}: {response:?}"
    );
    assert_eq!(response.body, body, "{kind}: {response:?}");
    assert!(took < Duration::from_secs(30), "{kind} took {took:?}");
    let healthy = s.v2(false, "v-list-users", &["json"]);
    assert_eq!(
        healthy.exit_code.as_deref(),
        Some("0"),
        "after {kind}: {healthy:?}"
    );
    assert!(
        healthy.body.contains("\"admin\""),
        "after {kind}: {healthy:?}"
    );
    took
}

#[test]
fn an_endless_loop_is_stopped_at_the_deadline() {
    let took = exhaust(
        "loop",
        "14",
        "Error: v-test-exhaust exceeded its time limit",
    );
    assert!(
        took >= Duration::from_millis(1400),
        "stopped early: {took:?}"
    );
}

#[test]
fn an_endless_loop_of_host_calls_is_stopped_at_the_deadline() {
    let took = exhaust(
        "loop-host",
        "14",
        "Error: v-test-exhaust exceeded its time limit",
    );
    assert!(
        took >= Duration::from_millis(1400),
        "stopped early: {took:?}"
    );
}

#[test]
fn memory_growth_stops_at_the_limit() {
    exhaust(
        "memory",
        "14",
        "Error: v-test-exhaust exceeded its memory limit",
    );
}

#[test]
fn unbounded_recursion_traps() {
    exhaust(
        "recursion",
        "19",
        "Error: v-test-exhaust failed unexpectedly",
    );
    // Rust keeps its frames on a shadow stack in linear memory: overflowing it is an
    // out-of-bounds access; a deep native wasm stack would be "call stack exhausted".
    let what = failure_logged("out of bounds memory access")
        .or_else(|| failure_logged("call stack exhausted"));
    assert!(
        what.is_some(),
        "the log names the trap: {}",
        hostile_server().log()
    );
}

#[test]
fn output_past_the_cap_is_refused() {
    exhaust(
        "output",
        "14",
        "Error: v-test-exhaust exceeded its output limit",
    );
}

#[test]
fn a_gigabyte_to_stdout_is_stopped_at_the_deadline() {
    // stdout goes nowhere; writing 1 GB through it outlasts the deadline.
    exhaust(
        "stdout",
        "14",
        "Error: v-test-exhaust exceeded its time limit",
    );
}

#[test]
fn a_gigabyte_to_stderr_is_refused_at_the_capture_cap() {
    // stderr is captured for the log up to 16 KB; the first 1 MB write is refused, so the
    // plugin reports that nothing was written.
    exhaust("stderr", "0", "wrote 0 bytes");
}

#[test]
fn a_huge_string_to_a_host_interface_is_refused() {
    // 64 MB as a domain name: the host copies it (bounded by the guest's own memory limit)
    // and the registry refuses it.
    exhaust("huge-arg", "0", "claim answered: false");
}

#[test]
fn resource_table_flooding_is_stopped() {
    exhaust(
        "resources",
        "19",
        "Error: v-test-exhaust failed unexpectedly",
    );
    assert!(
        failure_logged("store handle limit exceeded").is_some(),
        "the log names the failure: {}",
        hostile_server().log()
    );
}

/// The `what=` of a logged sandbox failure of `v-test-exhaust` containing `text`.
fn failure_logged(text: &str) -> Option<String> {
    plain_log(hostile_server())
        .lines()
        .filter(|line| line.contains("v-test-exhaust") && line.contains("what="))
        .find(|line| line.contains(text))
        .map(str::to_string)
}
