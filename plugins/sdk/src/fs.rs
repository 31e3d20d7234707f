//! Reading and writing data files inside the granted directories.
//!
//! Writes go to a temporary file in the same directory, are synced, and replace the target
//! with a rename, so a reader never sees a half-written file.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::CmdError;
use crate::conf::{self, Record};

/// Reads a source-layout file (`user.conf`, `hestia.conf`, ...).
pub fn read_source(path: &Path) -> Result<Record, CmdError> {
    let text = fs::read_to_string(path)?;
    Ok(conf::parse_source(&text)?)
}

/// Reads an object-list file (`web.conf`, ...); a missing file is an empty list.
pub fn read_list(path: &Path) -> Result<Vec<Record>, CmdError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(conf::parse_list(&text)?),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error.into()),
    }
}

/// Writes a source-layout file atomically.
pub fn write_source(path: &Path, record: &Record) -> Result<(), CmdError> {
    write_atomic(path, record.to_source()?.as_bytes())
}

/// Writes an object-list file atomically.
pub fn write_list(path: &Path, records: &[Record]) -> Result<(), CmdError> {
    write_atomic(path, conf::write_list(records)?.as_bytes())
}

/// Replaces `path` with `contents`: temporary file, sync, rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), CmdError> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    let mut file = fs::File::create(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    Ok(())
}

/// Appends one line to a file, creating it when missing.
pub fn append_line(path: &Path, line: &str) -> Result<(), CmdError> {
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

/// Whether a path exists (as anything).
pub fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}
