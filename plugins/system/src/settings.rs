//! `v-change-sys-config-value`, `v-add-sys-api-ip` and `v-delete-sys-api-ip`: edits of
//! `conf/hestia.conf`.
//!
//! Validation follows Hestia 1.10 (`is_common_format_valid` for the key, `format_no_quotes`
//! for the value), with one deliberate tightening: a key must also be a name the
//! `KEY='value'` format can store (`[A-Z][A-Z0-9_]*` once upper-cased), where Hestia would
//! write a line that breaks `source`. A changed key keeps its place in the file (Hestia 1.10
//! re-sorts the whole file) and the file is replaced atomically.

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, validate};

use crate::{HESTIA_CONF, check_demo_mode, read_hestia_conf};

/// The allowlist key shared by both API modes.
const API_ALLOWED_IP: &str = "API_ALLOWED_IP";

/// `v-change-sys-config-value KEY VALUE`.
pub fn change_sys_config_value(call: &Call) -> CmdResult {
    // Hestia: key=$(echo "$1" | tr '[:lower:]' '[:upper:]'), byte-wise, so ASCII only.
    let key = call.arg(1).to_ascii_uppercase();
    let value = call.arg(2);
    let conf = read_hestia_conf(call)?;
    check_demo_mode(&conf)?;
    key_format(&key)?;
    set_value(call, conf, &key, value)?;
    Ok(String::new())
}

/// `v-add-sys-api-ip IP`: appends `,IP` to `API_ALLOWED_IP` (no de-duplication; an empty list
/// becomes just `IP`).
pub fn add_sys_api_ip(call: &Call) -> CmdResult {
    let ip = ip_argument(call)?;
    let conf = read_hestia_conf(call)?;
    check_demo_mode(&conf)?;
    let current = conf.value(API_ALLOWED_IP);
    let list = if current.is_empty() {
        ip
    } else {
        format!("{current},{ip}")
    };
    set_allowed_ips(call, conf, &list)
}

/// `v-delete-sys-api-ip IP`: drops every entry equal to IP. Like Hestia's
/// `array=(${API_ALLOWED_IP//,/ })`, the rest is split on commas and blanks, empty entries
/// vanish, and the survivors are joined with `,`. An absent IP is not an error.
pub fn delete_sys_api_ip(call: &Call) -> CmdResult {
    let ip = ip_argument(call)?;
    let conf = read_hestia_conf(call)?;
    check_demo_mode(&conf)?;
    let list = conf
        .value(API_ALLOWED_IP)
        .split([',', ' ', '\t', '\n'])
        .filter(|entry| !entry.is_empty() && *entry != ip)
        .collect::<Vec<_>>()
        .join(",");
    set_allowed_ips(call, conf, &list)
}

/// Hestia's `ip46=${1// /}` and `is_format_valid 'ip46'`, which skips an empty value.
fn ip_argument(call: &Call) -> Result<String, CmdError> {
    let ip: String = call.arg(1).chars().filter(|&c| c != ' ').collect();
    if !ip.is_empty() {
        validate::ip46(&ip)?;
    }
    Ok(ip)
}

/// Stores a new allowlist the way the scripts do, through `v-change-sys-config-value`, whose
/// failure they ignore: its error is printed and the command still succeeds.
fn set_allowed_ips(call: &Call, conf: Record, list: &str) -> CmdResult {
    match set_value(call, conf, API_ALLOWED_IP, list) {
        Ok(()) => Ok(String::new()),
        Err(error) if error.code == ReturnCode::Invalid => Ok(format!("{}\n", error.output)),
        Err(error) => Err(error),
    }
}

/// Validates `value` and writes `key='value'` into `conf/hestia.conf`, in place when the key
/// exists, appended otherwise.
fn set_value(call: &Call, mut conf: Record, key: &str, value: &str) -> Result<(), CmdError> {
    value_format(value)?;
    conf.set(key, value);
    hearth_sdk::fs::write_source(&call.system_path(HESTIA_CONF), &conf)
}

fn invalid(message: String) -> CmdError {
    CmdError::new(ReturnCode::Invalid, message)
}

/// Hestia's `is_common_format_valid KEY 'key'`, then the storable-name rule.
fn key_format(key: &str) -> Result<(), CmdError> {
    common_format(key, "key")?;
    let mut chars = key.chars();
    let storable = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if storable {
        Ok(())
    } else {
        Err(invalid(format!("invalid key format :: {key}")))
    }
}

/// Hestia's `is_common_format_valid`.
fn common_format(value: &str, kind: &str) -> Result<(), CmdError> {
    const EXCLUDED: &str = "!|#$^&()+={}:<>?/\\\"';%` ";
    let length = value.chars().count();
    let first = value.chars().next();
    let last = value.chars().last();
    let bad = value.contains(|c| EXCLUDED.contains(c))
        || length >= 400
        || (value.contains('@') && length > 1)
        || (value.contains('*') && !value.contains("*.") && value != "*")
        || last.is_some_and(|c| !(c.is_ascii_alphanumeric() || "_*@.".contains(c)))
        || value.contains("..")
        || first.is_some_and(|c| !(c.is_ascii_alphanumeric() || "_*@".contains(c)))
        || value.contains("--")
        || value.contains("__");
    if bad {
        return Err(invalid(format!("invalid {kind} format :: {value}")));
    }
    no_new_line(value)
}

/// Hestia's `format_no_quotes VALUE 'value'`.
fn value_format(value: &str) -> Result<(), CmdError> {
    if value.contains(['\'', '"', '|']) {
        return Err(invalid(format!(
            "Invalid value contains qoutes (\" or ' or | ) :: {value}"
        )));
    }
    no_new_line(value)
}

/// Hestia's `is_no_new_line_format`: `$(echo "$1" | head -n1)` must give the value back. That
/// also refuses a value `echo` takes for its options (`-n`, `-e`, `-E`, combined). A carriage
/// return, which the `KEY='value'` writer cannot store either, is refused too.
fn no_new_line(value: &str) -> Result<(), CmdError> {
    let echo_option = value
        .strip_prefix('-')
        .is_some_and(|flags| !flags.is_empty() && flags.chars().all(|c| "neE".contains(c)));
    if value.contains(['\n', '\r']) || echo_option {
        return Err(invalid(format!("invalid value :: {value}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    const CONF: &str = "API='yes'\nAPI_ALLOWED_IP='1.2.3.4'\nAPI_SYSTEM='1'\n";

    #[test]
    fn changes_a_value_in_place() {
        let root = data_root(CONF);
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &["api", "no"]),
            (0, String::new())
        );
        assert_eq!(
            hestia_conf(root.path()),
            "API='no'\nAPI_ALLOWED_IP='1.2.3.4'\nAPI_SYSTEM='1'\n"
        );
    }

    #[test]
    fn adds_a_missing_key_at_the_end() {
        let root = data_root(CONF);
        assert_eq!(
            run(
                root.path(),
                "v-change-sys-config-value",
                &["APP_NAME", "My Panel & co"]
            ),
            (0, String::new())
        );
        assert_eq!(
            hestia_conf(root.path()),
            format!("{CONF}APP_NAME='My Panel & co'\n")
        );
    }

    #[test]
    fn empty_values_are_allowed() {
        let root = data_root(CONF);
        assert_eq!(
            run(
                root.path(),
                "v-change-sys-config-value",
                &["API_ALLOWED_IP", ""]
            ),
            (0, String::new())
        );
        assert!(hestia_conf(root.path()).contains("API_ALLOWED_IP=''\n"));
    }

    #[test]
    fn creates_a_missing_config() {
        let root = data_root("");
        std::fs::remove_file(root.path().join("conf/hestia.conf")).unwrap();
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &["API", "yes"]),
            (0, String::new())
        );
        assert_eq!(hestia_conf(root.path()), "API='yes'\n");
    }

    #[test]
    fn refuses_bad_keys() {
        let root = data_root(CONF);
        for (key, shown) in [
            ("a b", "A B"),
            ("A$B", "A$B"),
            ("-API", "-API"),
            ("API-", "API-"),
            ("A..B", "A..B"),
            ("A__B", "A__B"),
            ("A--B", "A--B"),
            ("A@B", "A@B"),
            ("A*B", "A*B"),
            ("A/B", "A/B"),
            ("A'B", "A'B"),
            ("1API", "1API"),
            ("_API", "_API"),
            ("A.B", "A.B"),
            ("", ""),
        ] {
            assert_eq!(
                run(root.path(), "v-change-sys-config-value", &[key, "x"]),
                (2, format!("Error: invalid key format :: {shown}")),
                "{key}"
            );
        }
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &["A\nB", "x"]),
            (2, "Error: invalid value :: A\nB".to_string())
        );
        let long = "A".repeat(400);
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &[&long, "x"]).0,
            2
        );
        assert_eq!(hestia_conf(root.path()), CONF);
    }

    #[test]
    fn refuses_quotes_pipes_and_line_breaks_in_values() {
        let root = data_root(CONF);
        for value in ["it's", "say \"hi\"", "a|b"] {
            assert_eq!(
                run(root.path(), "v-change-sys-config-value", &["TITLE", value]),
                (
                    2,
                    format!("Error: Invalid value contains qoutes (\" or ' or | ) :: {value}")
                )
            );
        }
        for value in ["a\nb", "a\rb", "-n", "-neE"] {
            assert_eq!(
                run(root.path(), "v-change-sys-config-value", &["TITLE", value]),
                (2, format!("Error: invalid value :: {value}"))
            );
        }
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &["TITLE", "-x"]),
            (0, String::new())
        );
    }

    #[test]
    fn add_api_ip_appends_without_dedup() {
        let root = data_root(CONF);
        assert_eq!(
            run(root.path(), "v-add-sys-api-ip", &["1.2.3.4"]),
            (0, String::new())
        );
        assert_eq!(
            run(root.path(), "v-add-sys-api-ip", &["2001:db8::1"]),
            (0, String::new())
        );
        assert_eq!(
            hestia_conf(root.path()),
            "API='yes'\nAPI_ALLOWED_IP='1.2.3.4,1.2.3.4,2001:db8::1'\nAPI_SYSTEM='1'\n"
        );
    }

    #[test]
    fn add_api_ip_to_empty_and_allow_all() {
        let root = data_root("API_ALLOWED_IP=''\n");
        run(root.path(), "v-add-sys-api-ip", &["10.0.0.1"]);
        assert_eq!(hestia_conf(root.path()), "API_ALLOWED_IP='10.0.0.1'\n");

        let root = data_root("API='yes'\n");
        run(root.path(), "v-add-sys-api-ip", &["10.0.0.1"]);
        assert_eq!(
            hestia_conf(root.path()),
            "API='yes'\nAPI_ALLOWED_IP='10.0.0.1'\n"
        );

        let root = data_root("API_ALLOWED_IP='allow-all'\n");
        run(root.path(), "v-add-sys-api-ip", &["10.0.0.1"]);
        assert_eq!(
            hestia_conf(root.path()),
            "API_ALLOWED_IP='allow-all,10.0.0.1'\n"
        );
    }

    #[test]
    fn add_api_ip_strips_blanks_and_validates() {
        let root = data_root(CONF);
        assert_eq!(
            run(root.path(), "v-add-sys-api-ip", &["1.2. 3.5"]),
            (0, String::new())
        );
        assert!(hestia_conf(root.path()).contains("API_ALLOWED_IP='1.2.3.4,1.2.3.5'"));
        for bad in ["1.2.3.999", "allow-all", "example.com", "1.2.3.4/24"] {
            assert_eq!(
                run(root.path(), "v-add-sys-api-ip", &[bad]),
                (2, format!("Error: invalid IP format :: {bad}"))
            );
        }
    }

    #[test]
    fn add_api_ip_ignores_a_failing_store_like_hestia() {
        let conf = "API_ALLOWED_IP='a'\\''b'\n";
        let root = data_root(conf);
        assert_eq!(
            run(root.path(), "v-add-sys-api-ip", &["1.2.3.4"]),
            (
                0,
                "Error: Invalid value contains qoutes (\" or ' or | ) :: a'b,1.2.3.4\n".to_string()
            )
        );
        assert_eq!(hestia_conf(root.path()), conf);
    }

    #[test]
    fn delete_api_ip_removes_every_copy() {
        let root = data_root("API_ALLOWED_IP='1.2.3.4,5.6.7.8,,1.2.3.4, 9.9.9.9'\n");
        assert_eq!(
            run(root.path(), "v-delete-sys-api-ip", &["1.2.3.4"]),
            (0, String::new())
        );
        assert_eq!(
            hestia_conf(root.path()),
            "API_ALLOWED_IP='5.6.7.8,9.9.9.9'\n"
        );
    }

    #[test]
    fn delete_api_ip_absent_or_last() {
        let root = data_root(CONF);
        assert_eq!(
            run(root.path(), "v-delete-sys-api-ip", &["8.8.8.8"]),
            (0, String::new())
        );
        assert_eq!(hestia_conf(root.path()), CONF);
        assert_eq!(
            run(root.path(), "v-delete-sys-api-ip", &["1.2.3.4"]),
            (0, String::new())
        );
        assert_eq!(
            hestia_conf(root.path()),
            "API='yes'\nAPI_ALLOWED_IP=''\nAPI_SYSTEM='1'\n"
        );
        assert_eq!(
            run(root.path(), "v-delete-sys-api-ip", &["nope"]),
            (2, "Error: invalid IP format :: nope".to_string())
        );
    }
}
