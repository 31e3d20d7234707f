//! `log/audit.jsonl`: exactly one JSON line per API request, secrets redacted.

use std::path::Path;

use serde::Serialize;

use crate::log_writeback::AppendLog;

/// One request as the audit log records it.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    pub time: String,
    pub ip: &'a str,
    pub principal: &'a str,
    pub command: &'a str,
    pub args: Vec<String>,
    pub code: u16,
    pub duration_us: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_sha256: Option<&'a str>,
}

/// What replaces a secret argument.
pub const REDACTED: &str = "******";

/// Appends audit records.
pub struct AuditLog {
    file: AppendLog,
}

impl AuditLog {
    /// Opens (creating) the audit log for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            file: AppendLog::open(path)?,
        })
    }

    /// The log file, for [`crate::log_writeback::start`].
    pub fn file(&self) -> &AppendLog {
        &self.file
    }

    /// Writes one record as one line.
    pub fn record(&self, record: &AuditRecord<'_>) {
        let Ok(mut line) = serde_json::to_string(record) else {
            return;
        };
        line.push('\n');
        self.file.append(&line);
    }
}

/// The arguments with the positions in `secret_args` (1-based) replaced by [`REDACTED`].
pub fn redact(args: &[String], secret_args: &[u32]) -> Vec<String> {
    args.iter()
        .enumerate()
        .map(|(index, arg)| {
            if secret_args.contains(&(index as u32 + 1)) {
                REDACTED.to_string()
            } else {
                arg.clone()
            }
        })
        .collect()
}
