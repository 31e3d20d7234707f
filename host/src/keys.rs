//! `hearth key add`: creates an access key in Hestia's file format, storing only the
//! secret's hash. The pair `ID:SECRET` is returned once and never stored.

use std::io::Write;
use std::path::Path;

use hearth_sdk::conf::Record;

use crate::auth::SECRET_HASH_FIELD;
use crate::data::{DataError, DataRoot};
use crate::secrets;

/// Creating a key failed; each message is Hestia's `v-add-access-key` text.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("Error: user {0} doesn't exist")]
    NoUser(String),
    #[error("Error: API {0} doesn't exist")]
    NoPermissionSet(String),
    #[error("Error: Only the admin can run this API")]
    AdminSetForUser,
    #[error("Error: Non-admin users need a permission list")]
    NeedPermissions,
    #[error("{}", .0.output)]
    Invalid(hearth_sdk::CmdError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("access key file: {0}")]
    Io(#[from] std::io::Error),
}

impl KeyError {
    /// Hestia's return code for the failure.
    pub fn code(&self) -> hearth_sdk::ReturnCode {
        use hearth_sdk::ReturnCode;
        match self {
            KeyError::NoUser(_) | KeyError::NoPermissionSet(_) => ReturnCode::NotExist,
            KeyError::AdminSetForUser | KeyError::NeedPermissions => ReturnCode::Invalid,
            KeyError::Invalid(error) => error.code,
            KeyError::Data(_) => ReturnCode::Parsing,
            KeyError::Io(_) => ReturnCode::Disk,
        }
    }
}

/// A new key: its id and its secret (shown once).
pub struct NewKey {
    pub id: String,
    pub secret: String,
}

/// Hestia's `cleanup_key_permissions`: basename, trim, de-duplicate, drop empties.
pub fn clean_permissions(permissions: &str) -> Vec<String> {
    let mut cleaned: Vec<String> = Vec::new();
    for item in permissions.split(',') {
        let name = item.rsplit('/').next().unwrap_or("").trim();
        if !name.is_empty() && name != "*" && !cleaned.iter().any(|c| c == name) {
            cleaned.push(name.to_string());
        }
    }
    cleaned
}

/// Creates an access key for `user` with the given permission sets.
pub fn add_access_key(
    root: &DataRoot,
    user: &str,
    permissions: &str,
    comment: &str,
) -> Result<NewKey, KeyError> {
    hearth_sdk::validate::user(user).map_err(KeyError::Invalid)?;
    if !comment.is_empty() {
        hearth_sdk::validate::comment(comment).map_err(KeyError::Invalid)?;
    }
    if root.user_conf(user)?.is_none() {
        return Err(KeyError::NoUser(user.to_string()));
    }
    let root_user = root.settings()?.root_user().to_string();
    let permissions = clean_permissions(permissions);
    for set in &permissions {
        hearth_sdk::validate::object("api", set).map_err(KeyError::Invalid)?;
        let record = root
            .read_source(&format!("data/api/{set}"))?
            .ok_or_else(|| KeyError::NoPermissionSet(set.clone()))?;
        if record.value("ROLE") == "admin" && user != root_user {
            return Err(KeyError::AdminSetForUser);
        }
    }
    if permissions.is_empty() && user != root_user {
        return Err(KeyError::NeedPermissions);
    }
    let secret = secrets::random_token(40, hearth_sdk::secrets::SECRET);
    let (date, time) = hearth_sdk::render::now_date_time();
    let mut record = Record::new();
    record.set(SECRET_HASH_FIELD, secrets::hash_token(&secret));
    record.set("USER", user);
    record.set("PERMISSIONS", permissions.join(","));
    record.set("COMMENT", comment);
    record.set("TIME", time);
    record.set("DATE", date);
    record.set("EXPIRES_IN", "");
    record.set("IP", "");
    let text = record.to_source().map_err(|e| {
        KeyError::Invalid(hearth_sdk::CmdError::new(
            hearth_sdk::ReturnCode::Invalid,
            e,
        ))
    })?;
    let dir = root.path().join("data/access-keys");
    loop {
        let id = secrets::random_token(20, hearth_sdk::secrets::ALNUM);
        match create_new(&dir.join(&id), text.as_bytes()) {
            Ok(()) => return Ok(NewKey { id, secret }),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error.into()),
        }
    }
}

fn create_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_cleaned_like_hestia() {
        assert_eq!(
            clean_permissions(" billing, ../etc/billing ,mail-accounts,,*"),
            vec!["billing".to_string(), "mail-accounts".to_string()]
        );
    }
}
