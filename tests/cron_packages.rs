//! Black-box tests of the cron_packages commands through the HTTP API.

mod support;
