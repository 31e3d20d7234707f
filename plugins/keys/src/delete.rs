//! `v-delete-access-key ACCESS_KEY_ID`: removes a key file; silent on success.
//!
//! Hestia's checks: the id's format (2) and that the key exists (3). Hestia's history entry
//! ("Access key ID deleted") is left to the host, which records API history.

use std::fs;

use hearth_sdk::{Call, CmdResult};

use crate::common;

/// `v-delete-access-key`.
pub fn delete_access_key(call: &Call) -> CmdResult {
    let path = common::existing_key(call, call.arg(1))?;
    fs::remove_file(path)?;
    Ok(String::new())
}
