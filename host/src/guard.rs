//! Abuse control: bans an address after repeated authentication or permission failures, and
//! raises an alert when one key fails from many addresses (without locking its owner out).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The thresholds, from the `[abuse]` section of the config.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbuseConfig {
    /// Failures from one address within `window_seconds` that ban it.
    pub max_failures: usize,
    pub window_seconds: u64,
    /// How long a ban lasts.
    pub ban_seconds: u64,
    /// Distinct addresses failing against one key within the window that raise an alert.
    pub key_alert_addresses: usize,
}

impl Default for AbuseConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window_seconds: 600,
            ban_seconds: 600,
            key_alert_addresses: 5,
        }
    }
}

/// Where "now" comes from; tests substitute a manual clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// What recording a failure led to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureEffect {
    /// This failure banned the address.
    pub banned: bool,
    /// This failure made the key's failures span this many addresses, crossing the alert
    /// threshold (reported once per window).
    pub key_alert: Option<usize>,
}

#[derive(Default)]
struct State {
    failures: HashMap<String, VecDeque<Instant>>,
    bans: HashMap<String, Instant>,
    key_failures: HashMap<String, HashMap<String, Instant>>,
    alerted: HashMap<String, Instant>,
}

/// The failure counters and bans, shared by every request.
pub struct Guard {
    config: AbuseConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl Guard {
    /// A guard with `config`, reading time from `clock`.
    pub fn new(config: AbuseConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            config,
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.config.window_seconds)
    }

    /// Whether `ip` is banned now.
    pub fn is_banned(&self, ip: &str) -> bool {
        let now = self.clock.now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.bans.get(ip) {
            Some(until) if now < *until => true,
            Some(_) => {
                state.bans.remove(ip);
                state.failures.remove(ip);
                false
            }
            None => false,
        }
    }

    /// Counts one failure from `ip`, against `key` when a key id was presented.
    pub fn record_failure(&self, ip: &str, key: Option<&str>) -> FailureEffect {
        let now = self.clock.now();
        let window = self.window();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut effect = FailureEffect::default();

        let failures = state.failures.entry(ip.to_string()).or_default();
        failures.push_back(now);
        while failures
            .front()
            .is_some_and(|at| now.duration_since(*at) >= window)
        {
            failures.pop_front();
        }
        if failures.len() >= self.config.max_failures.max(1) {
            failures.clear();
            let until = now + Duration::from_secs(self.config.ban_seconds);
            state.bans.insert(ip.to_string(), until);
            effect.banned = true;
        }

        if let Some(key) = key {
            let addresses = state.key_failures.entry(key.to_string()).or_default();
            addresses.insert(ip.to_string(), now);
            addresses.retain(|_, at| now.duration_since(*at) < window);
            let count = addresses.len();
            let recently_alerted = state
                .alerted
                .get(key)
                .is_some_and(|at| now.duration_since(*at) < window);
            if count >= self.config.key_alert_addresses.max(2) && !recently_alerted {
                state.alerted.insert(key.to_string(), now);
                effect.key_alert = Some(count);
            }
        }

        // Forget idle addresses so the tables stay small.
        if state.failures.len() > 10_000 {
            state.failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|at| now.duration_since(*at) < window)
            });
        }
        effect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock the test moves by hand.
    struct ManualClock(Mutex<Instant>);

    impl ManualClock {
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

    fn guard() -> (Guard, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock(Mutex::new(Instant::now())));
        (Guard::new(AbuseConfig::default(), clock.clone()), clock)
    }

    #[test]
    fn fifth_failure_bans_until_expiry() {
        let (guard, clock) = guard();
        for _ in 0..4 {
            assert!(!guard.record_failure("198.51.100.7", None).banned);
        }
        assert!(!guard.is_banned("198.51.100.7"));
        assert!(guard.record_failure("198.51.100.7", None).banned);
        assert!(guard.is_banned("198.51.100.7"));
        assert!(!guard.is_banned("198.51.100.8"));
        clock.advance(Duration::from_secs(599));
        assert!(guard.is_banned("198.51.100.7"));
        clock.advance(Duration::from_secs(2));
        assert!(!guard.is_banned("198.51.100.7"));
        // Released with a clean slate: one more failure does not re-ban.
        assert!(!guard.record_failure("198.51.100.7", None).banned);
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let (guard, clock) = guard();
        for _ in 0..4 {
            guard.record_failure("203.0.113.1", None);
        }
        clock.advance(Duration::from_secs(601));
        assert!(!guard.record_failure("203.0.113.1", None).banned);
        assert!(!guard.is_banned("203.0.113.1"));
    }

    #[test]
    fn one_key_failing_from_many_addresses_alerts_once_without_banning() {
        let (guard, _clock) = guard();
        let mut alerts = Vec::new();
        for n in 0..8 {
            let effect = guard.record_failure(&format!("192.0.2.{n}"), Some("KEYID"));
            assert!(!effect.banned);
            alerts.extend(effect.key_alert);
        }
        assert_eq!(alerts, vec![5]);
        assert!(!guard.is_banned("192.0.2.1"));
    }
}
