//! Hestia's return codes and the error type every handler returns.

use std::fmt;
use std::io;

/// Hestia's return codes (`func/main.sh`, `web/inc/helpers.php`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReturnCode {
    Ok = 0,
    Args = 1,
    Invalid = 2,
    NotExist = 3,
    Exists = 4,
    Suspended = 5,
    Unsuspended = 6,
    InUse = 7,
    Limit = 8,
    Password = 9,
    Forbidden = 10,
    Disabled = 11,
    Parsing = 12,
    Disk = 13,
    LoadAverage = 14,
    Connect = 15,
    Ftp = 16,
    Db = 17,
    Rrd = 18,
    Update = 19,
    Restart = 20,
    ApiDisabled = 21,
}

impl ReturnCode {
    /// The numeric code.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The code for a number, if Hestia defines it.
    pub fn from_u8(code: u8) -> Option<Self> {
        use ReturnCode::*;
        Some(match code {
            0 => Ok,
            1 => Args,
            2 => Invalid,
            3 => NotExist,
            4 => Exists,
            5 => Suspended,
            6 => Unsuspended,
            7 => InUse,
            8 => Limit,
            9 => Password,
            10 => Forbidden,
            11 => Disabled,
            12 => Parsing,
            13 => Disk,
            14 => LoadAverage,
            15 => Connect,
            16 => Ftp,
            17 => Db,
            18 => Rrd,
            19 => Update,
            20 => Restart,
            21 => ApiDisabled,
            _ => return None,
        })
    }
}

impl fmt::Display for ReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_u8())
    }
}

/// A failed command: its return code and the exact text it prints.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{output} ({code})")]
pub struct CmdError {
    pub code: ReturnCode,
    pub output: String,
}

/// What a command handler returns: its output on success.
pub type CmdResult = Result<String, CmdError>;

impl CmdError {
    /// Hestia's `check_result CODE MSG`: prints `Error: MSG`.
    pub fn new(code: ReturnCode, message: impl fmt::Display) -> Self {
        Self {
            code,
            output: format!("Error: {message}"),
        }
    }

    /// A failure whose output is printed as given, without the `Error: ` prefix.
    pub fn raw(code: ReturnCode, output: impl Into<String>) -> Self {
        Self {
            code,
            output: output.into(),
        }
    }

    /// `Error: <kind> <name> doesn't exist` (3).
    pub fn not_exist(kind: &str, name: &str) -> Self {
        Self::new(ReturnCode::NotExist, format!("{kind} {name} doesn't exist"))
    }

    /// Prepends lines printed before the failure (e.g. a child command's error).
    pub fn after(mut self, printed: &str) -> Self {
        if !printed.is_empty() {
            self.output = format!("{}\n{}", printed.trim_end_matches('\n'), self.output);
        }
        self
    }
}

impl From<io::Error> for CmdError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                Self::new(ReturnCode::Disk, "not enough disk space")
            }
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Self::new(ReturnCode::Forbidden, "permission denied")
            }
            _ => Self::new(ReturnCode::Parsing, format!("data store error: {error}")),
        }
    }
}

impl From<crate::conf::ConfError> for CmdError {
    fn from(error: crate::conf::ConfError) -> Self {
        Self::new(ReturnCode::Parsing, error)
    }
}
