//! The cron job arguments as Hestia checks and stores them: `is_cron_format_valid` for the five
//! schedule fields, the job id, and the command (`'` stored as `%quote%`).

use hearth_sdk::{CmdError, ReturnCode};

fn invalid(message: String) -> CmdError {
    CmdError::new(ReturnCode::Invalid, message)
}

/// The largest value of a schedule field, by Hestia's argument name.
fn limit(name: &str) -> u64 {
    match name {
        "hour" => 23,
        "day" => 31,
        "month" => 12,
        "wday" => 7,
        _ => 59,
    }
}

/// A number as bash's `[ X -lt N ]` reads it: decimal digits only (leading zeros allowed);
/// anything else, or a value too large, is a test error and so never true.
fn bash_number(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// `^[\*]+[/]+[0-9]`: stars, slashes, then a digit (the rest is not looked at).
fn starts_with_step(value: &str) -> bool {
    let rest = value.trim_start_matches('*');
    if rest.len() == value.len() {
        return false;
    }
    let after = rest.trim_start_matches('/');
    after.len() < rest.len() && after.starts_with(|c: char| c.is_ascii_digit())
}

/// `^[0-9][-|,|0-9]{0,70}[\/][0-9]$` (the `|` cannot occur: see [`schedule_field`]).
fn is_range_step(value: &str) -> bool {
    let bytes = value.as_bytes();
    let n = bytes.len();
    if !(3..=73).contains(&n) {
        return false;
    }
    bytes[0].is_ascii_digit()
        && bytes[n - 2] == b'/'
        && bytes[n - 1].is_ascii_digit()
        && bytes[1..n - 2]
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b','))
}

/// Hestia's `is_cron_format_valid` verdict, step by step: `*`; a `*/N` step below the limit;
/// a `A-B,C/N` list whose numbers stay within the limit; and finally, whatever came before,
/// any `,`/`-` separated part that is a number within the limit makes the value valid.
fn hestia_accepts(value: &str, limit: u64) -> bool {
    let mut ok = value == "*";
    if starts_with_step(value) {
        let step = value.split('/').nth(1).unwrap_or("");
        if bash_number(step).is_some_and(|n| n < limit) {
            ok = true;
        }
    }
    if is_range_step(value) {
        ok = true;
        for part in value.split([',', '-', '/']).filter(|p| !p.is_empty()) {
            if bash_number(part).is_some_and(|n| n > limit) {
                ok = false;
            }
        }
    }
    for part in value.split([',', '-']).filter(|p| !p.is_empty()) {
        if bash_number(part).is_some_and(|n| n <= limit) {
            ok = true;
        }
    }
    ok
}

/// `is_cron_format_valid VALUE NAME` for `min`, `hour`, `day`, `month` and `wday`:
/// `Error: invalid <name> format :: <value>` (2).
///
/// Deliberately stricter than Hestia in two ways: a value may only hold digits and `*,-/`
/// (Hestia word-splits the value, so `5 * * * * other` passed and wrote a second schedule
/// into the crontab), and an empty value is refused instead of skipped (it would shift the
/// crontab's fields).
pub fn schedule_field(name: &str, value: &str) -> Result<(), CmdError> {
    let charset = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'*' | b',' | b'-' | b'/'));
    if charset && hestia_accepts(value, limit(name)) {
        Ok(())
    } else {
        Err(invalid(format!("invalid {name} format :: {value}")))
    }
}

/// `is_int_format_valid VALUE NAME`: `^[0-9]+$`, else `Error: invalid <name> format :: X` (2).
/// Used for `job` (add, delete, suspend) and `job_id` (list one job).
pub fn number(name: &str, value: &str) -> Result<(), CmdError> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(format!("invalid {name} format :: {value}")))
    }
}

/// The command as `v-add-cron-job` stores it: `$(echo $7 | sed "s/'/%quote%/g")`. The
/// unquoted `echo` splits the argument into words at blanks, tabs and newlines and joins
/// them with single spaces; `'` becomes `%quote%` so the value never needs quoting.
/// (The shell's file-name expansion of that unquoted `echo` is not reproduced.)
pub fn stored_command(raw: &str) -> String {
    raw.split([' ', '\t', '\n'])
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\'', "%quote%")
}

/// `is_cron_command_valid_format`: no backtick, else `Error: Invalid cron command format` (2).
/// A carriage return is refused the same way: it cannot be stored on one line.
pub fn command(stored: &str) -> Result<(), CmdError> {
    if stored.contains(['`', '\r']) {
        Err(invalid("Invalid cron command format".to_string()))
    } else {
        Ok(())
    }
}

/// The command as the lists print it: `sed -e 's/"/\\"/g' -e "s/%quote%/'/g"`.
pub fn display_command(stored: &str) -> String {
    stored.replace('"', "\\\"").replace("%quote%", "'")
}

/// The command itself (`%quote%` decoded), for JSON, where the writer escapes it.
pub fn real_command(stored: &str) -> String {
    stored.replace("%quote%", "'")
}

/// The command line written into the crontab: `sed -e "s/%quote%/'/g" -e "s/%dots%/:/g"`.
pub fn crontab_command(stored: &str) -> String {
    stored.replace("%quote%", "'").replace("%dots%", ":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str, value: &str) -> bool {
        schedule_field(name, value).is_ok()
    }

    #[test]
    fn schedule_values_hestia_accepts() {
        for value in [
            "*", "*/5", "0", "59", "1-5", "1,2,3", "0-59/5", "1-99", "08",
        ] {
            assert!(ok("min", value), "{value}");
        }
        assert!(ok("hour", "23"));
        assert!(ok("day", "31"));
        assert!(ok("month", "12"));
        assert!(ok("wday", "7"));
        assert!(ok("hour", "*/12"));
    }

    #[test]
    fn schedule_values_hestia_refuses() {
        for (name, value) in [
            ("min", "60"),
            ("min", "*/59"),
            ("min", "*/60"),
            ("hour", "24"),
            ("day", "32"),
            ("month", "13"),
            ("wday", "8"),
            ("min", "*/x"),
            ("min", "99-60"),
            ("min", "1-99/9x"),
        ] {
            let error = schedule_field(name, value).unwrap_err();
            assert_eq!(error.code, ReturnCode::Invalid);
            assert_eq!(
                error.output,
                format!("Error: invalid {name} format :: {value}")
            );
        }
    }

    #[test]
    fn schedule_values_hearth_refuses_too() {
        // Hestia accepts these (one number within the limit is enough); they would break or
        // add crontab lines.
        for value in ["5,abc", "5 * * * * evil", "5\n* * * * * evil", "", "mon"] {
            assert!(!ok("min", value), "{value:?}");
        }
    }

    #[test]
    fn commands_are_stored_like_hestia() {
        assert_eq!(
            stored_command("echo 'hi'  there"),
            "echo %quote%hi%quote% there"
        );
        assert_eq!(stored_command(" a\tb\nc "), "a b c");
        assert_eq!(stored_command(r#"printf "%s\n" x"#), r#"printf "%s\n" x"#);
        assert_eq!(
            display_command(r#"say "%quote%x%quote%""#),
            r#"say \"'x'\""#
        );
        assert_eq!(real_command("a %quote%b%quote%"), "a 'b'");
        assert_eq!(crontab_command("a %quote%b%quote% %dots%"), "a 'b' :");
        assert!(command("echo `id`").is_err());
        assert!(command("echo $(id)").is_ok());
    }

    #[test]
    fn job_numbers() {
        assert!(number("job", "12").is_ok());
        assert!(number("job", "007").is_ok());
        let error = number("job", "1a").unwrap_err();
        assert_eq!(error.output, "Error: invalid job format :: 1a");
        assert!(number("job_id", "").is_err());
        assert!(number("job", "99999999999999999999999").is_ok());
    }
}
