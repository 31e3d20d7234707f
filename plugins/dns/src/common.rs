//! What the DNS commands share: Hestia's object checks on `dns.conf` and
//! `dns/<DOMAIN>.conf`, the files themselves, counters, history and dates.

use std::io;
use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, hosting};

/// The user's DNS domains file.
pub const DNS_CONF: &str = "dns.conf";

/// The user's `dns.conf` lines.
pub fn load_domains(call: &Call) -> Result<Vec<Record>, CmdError> {
    hearth_sdk::fs::read_list(&call.user_path(DNS_CONF))
}

/// Writes `dns.conf`.
pub fn save_domains(call: &Call, domains: &[Record]) -> Result<(), CmdError> {
    hearth_sdk::fs::write_list(&call.user_path(DNS_CONF), domains)
}

/// `is_object_valid 'dns' 'DOMAIN'`: the index of the domain's line, or
/// `Error: dns domain X doesn't exist` (3).
pub fn find_domain(domains: &[Record], domain: &str) -> Result<usize, CmdError> {
    domains
        .iter()
        .position(|record| record.value("DOMAIN") == domain)
        .ok_or_else(|| CmdError::not_exist("dns domain", domain))
}

/// `is_object_unsuspended 'dns' 'DOMAIN'`: `Error: dns X is suspended` (5).
pub fn domain_unsuspended(record: &Record, domain: &str) -> Result<(), CmdError> {
    if record.value("SUSPENDED") == "yes" {
        return Err(CmdError::new(
            ReturnCode::Suspended,
            format!("dns {domain} is suspended"),
        ));
    }
    Ok(())
}

/// `is_object_suspended 'dns' 'DOMAIN'`: `Error: dns X is not suspended` (6).
pub fn domain_suspended(record: &Record, domain: &str) -> Result<(), CmdError> {
    if record.value("SUSPENDED") != "yes" {
        return Err(CmdError::new(
            ReturnCode::Unsuspended,
            format!("dns {domain} is not suspended"),
        ));
    }
    Ok(())
}

/// `data/users/<USER>/dns/<DOMAIN>.conf`.
pub fn records_path(call: &Call, domain: &str) -> PathBuf {
    call.user_path(&format!("dns/{domain}.conf"))
}

/// The domain's records, one per line.
pub fn load_records(call: &Call, domain: &str) -> Result<Vec<Record>, CmdError> {
    hearth_sdk::fs::read_list(&records_path(call, domain))
}

/// Writes the domain's records.
pub fn save_records(call: &Call, domain: &str, records: &[Record]) -> Result<(), CmdError> {
    ensure_dir(&call.user_path("dns"))?;
    hearth_sdk::fs::write_list(&records_path(call, domain), records)
}

/// Hestia's `sort_dns_records` (`sort -n -k 2 -t "'"`): by numeric ID, keeping the order of
/// equal IDs.
pub fn sort_records(records: &mut [Record]) {
    records.sort_by_cached_key(|record| leading_number(record.value("ID")));
}

/// The leading decimal number of a value, as `sort -n` reads it (0 when none; too many
/// digits for a `u64` also read as 0).
fn leading_number(value: &str) -> u64 {
    let trimmed = value.trim_start();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    trimmed[..digits].parse().unwrap_or(0)
}

/// The record with ID `id`, or Hestia's `Error: <DOMAIN> id <ID> doesn't exist` (3), the
/// message `is_object_valid "dns/$domain" 'ID'` builds from the file's base name.
pub fn find_record(records: &[Record], domain: &str, id: &str) -> Result<usize, CmdError> {
    records
        .iter()
        .position(|record| record.value("ID") == id)
        .ok_or_else(|| CmdError::not_exist(&format!("{domain} id"), id))
}

/// Creates a directory and its parents when missing.
pub fn ensure_dir(path: &std::path::Path) -> Result<(), CmdError> {
    match std::fs::create_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Changes a counter of the user's `user.conf`.
pub fn bump(call: &Call, key: &str, delta: i64) -> Result<(), CmdError> {
    hosting::bump_counter(&call.user_path("user.conf"), key, delta)
}

/// `v-log-action USER Info DNS MESSAGE`: a line in the user's `history.log`.
pub fn history(call: &Call, message: &str) -> Result<(), CmdError> {
    hosting::log_history(&call.user_path("history.log"), "Info", "DNS", message)
}

/// The current date and time as Hestia writes them: (`YYYY-MM-DD`, `HH:MM:SS`).
pub fn now() -> (String, String) {
    hearth_sdk::render::now_date_time()
}

/// `date +%F -d "+ 1 year"` for a `YYYY-MM-DD` date: the same day next year, 29 February
/// becoming 1 March.
pub fn next_year(date: &str) -> String {
    let mut parts = date.splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return date.to_string();
    };
    let Ok(year) = year.parse::<i32>() else {
        return date.to_string();
    };
    let next = year + 1;
    let leap = (next % 4 == 0 && next % 100 != 0) || next % 400 == 0;
    if month == "02" && day == "29" && !leap {
        format!("{next:04}-03-01")
    } else {
        format!("{next:04}-{month}-{day}")
    }
}

/// The number of lines of a file as `wc -l` counts them (newline characters; a character
/// search finds them word by word, faster than a loop over the bytes).
pub fn line_count(text: &str) -> usize {
    text.matches('\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_year_follows_gnu_date() {
        assert_eq!(next_year("2024-05-01"), "2025-05-01");
        assert_eq!(next_year("2024-02-29"), "2025-03-01");
        assert_eq!(next_year("2023-02-28"), "2024-02-28");
    }

    #[test]
    fn records_sort_by_numeric_id() {
        let mut records: Vec<Record> = ["10", "2", "1"]
            .iter()
            .map(|id| Record::from_pairs([("ID", *id)]))
            .collect();
        sort_records(&mut records);
        let ids: Vec<&str> = records.iter().map(|r| r.value("ID")).collect();
        assert_eq!(ids, ["1", "2", "10"]);
    }
}
