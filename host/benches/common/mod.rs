//! Setup shared by the benchmarks: argument lists and the user `alice` they measure against.

use hearth::service::Hearth;

pub fn args(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// Adds the user `alice` (package `default`); panics unless it succeeds.
pub async fn add_alice(hearth: &Hearth) {
    let created = hearth
        .call_local(
            "v-add-user",
            &args(&[
                "alice",
                "alice-password",
                "alice@example.com",
                "default",
                "Alice",
                "Example",
            ]),
        )
        .await
        .expect("add alice");
    assert_eq!(created.code, 0, "{}", created.output);
}
