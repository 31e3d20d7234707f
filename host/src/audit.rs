//! `log/audit.jsonl`: exactly one JSON line per API request, secrets redacted.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

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
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating) the audit log for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Another descriptor of the log file, for [`crate::log_writeback`].
    pub fn writeback_handle(&self) -> std::io::Result<File> {
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_clone()
    }

    /// Writes one record as one line.
    pub fn record(&self, record: &AuditRecord<'_>) {
        let Ok(mut line) = serde_json::to_string(record) else {
            return;
        };
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = file.write_all(line.as_bytes()) {
            tracing::error!(%error, "could not write audit.jsonl");
        }
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
