//! Shared by the key commands: key and permission-set files, and the ways a key is shown.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use hearth_sdk::conf::Record;
use hearth_sdk::render::json_string;
use hearth_sdk::{Call, CmdError, validate};

/// The access-key directory, relative to the data root.
pub const KEYS_DIR: &str = "data/access-keys";
/// The permission-set directory, relative to the data root.
pub const API_DIR: &str = "data/api";

/// Whether a path is a regular file, without following a symlink.
pub fn is_regular_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_file())
}

/// The names in a directory that Hestia's `dir/*` glob yields (no dot files), sorted. A
/// missing directory has none.
pub fn dir_names(dir: &Path) -> Result<Vec<String>, CmdError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// The file of an existing key, after Hestia's `is_format_valid 'access_key_id'` (skipped for
/// an empty value) and `is_object_valid 'key'`: `Error: key X doesn't exist` (3). Only a
/// regular file counts, never a symlink.
pub fn existing_key(call: &Call, id: &str) -> Result<PathBuf, CmdError> {
    if !id.is_empty() {
        validate::access_key_id(id)?;
    }
    let path = call.system_path(KEYS_DIR).join(id);
    if id.is_empty() || !is_regular_file(&path) {
        return Err(CmdError::not_exist("key", id));
    }
    Ok(path)
}

/// The file of a permission set, if `name` is a plain file name and that file exists.
pub fn api_file(call: &Call, name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        return None;
    }
    let path = call.system_path(API_DIR).join(name);
    is_regular_file(&path).then_some(path)
}

/// A comma list as a JSON array, like Hestia's `["$(echo "$LIST" | sed 's|,|", "|g')"]`:
/// `[]` when empty, otherwise one (escaped) string per comma-separated item.
pub fn json_array(list: &str) -> String {
    if list.is_empty() {
        return "[]".to_string();
    }
    let items: Vec<String> = list.split(',').map(json_string).collect();
    format!("[{}]", items.join(", "))
}

/// What may be shown of a key: every field except the secret (or its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    pub id: String,
    pub user: String,
    pub permissions: String,
    pub comment: String,
    pub time: String,
    pub date: String,
    pub expires_in: String,
    pub ip: String,
}

impl KeyView {
    /// The shown fields of a key file. A key without `USER` (from Hestia before 1.6.3) belongs
    /// to the root user, as in Hestia's list commands and the host's authentication.
    pub fn new(id: &str, record: &Record, root_user: &str) -> Self {
        let user = match record.value("USER") {
            "" => root_user,
            user => user,
        };
        Self {
            id: id.to_string(),
            user: user.to_string(),
            permissions: record.value("PERMISSIONS").to_string(),
            comment: record.value("COMMENT").to_string(),
            time: record.value("TIME").to_string(),
            date: record.value("DATE").to_string(),
            expires_in: record.value("EXPIRES_IN").to_string(),
            ip: record.value("IP").to_string(),
        }
    }

    /// `v-list-access-key json`: one field per line. `secret` is given only by
    /// `v-add-access-key`, right after creating the key.
    pub fn json(&self, secret: Option<&str>) -> String {
        let mut fields = vec![format!("\"ACCESS_KEY_ID\": {}", json_string(&self.id))];
        if let Some(secret) = secret {
            fields.push(format!("\"SECRET_ACCESS_KEY\": {}", json_string(secret)));
        }
        fields.extend([
            format!("\"USER\": {}", json_string(&self.user)),
            format!("\"PERMISSIONS\": {}", json_array(&self.permissions)),
            format!("\"COMMENT\": {}", json_string(&self.comment)),
            format!("\"TIME\": {}", json_string(&self.time)),
            format!("\"DATE\": {}", json_string(&self.date)),
            format!("\"EXPIRES_IN\": {}", json_string(&self.expires_in)),
            format!("\"IP\": {}", json_string(&self.ip)),
        ]);
        format!("{{\n    {}\n}}\n", fields.join(",\n    "))
    }

    /// One key of `v-list-access-keys json`: the fields on one line.
    pub fn json_inline(&self) -> String {
        format!(
            "{{\"ACCESS_KEY_ID\": {}, \"USER\": {}, \"PERMISSIONS\": {}, \"COMMENT\": {}, \"TIME\": {}, \"DATE\": {}, \"EXPIRES_IN\": {}, \"IP\": {}}}",
            json_string(&self.id),
            json_string(&self.user),
            json_array(&self.permissions),
            json_string(&self.comment),
            json_string(&self.time),
            json_string(&self.date),
            json_string(&self.expires_in),
            json_string(&self.ip),
        )
    }

    /// `v-list-access-key shell`: Hestia's `LABEL:  value` lines, values from column 21,
    /// with `EXPIRES_IN` and `IP` added after `DATE`.
    pub fn shell(&self, secret: Option<&str>) -> String {
        let mut lines = vec![("ACCESS_KEY_ID:", self.id.as_str())];
        if let Some(secret) = secret {
            lines.push(("SECRET_ACCESS_KEY:", secret));
        }
        lines.extend([
            ("USER:", self.user.as_str()),
            ("PERMISSIONS:", self.permissions.as_str()),
            ("COMMENT:", self.comment.as_str()),
            ("TIME:", self.time.as_str()),
            ("DATE:", self.date.as_str()),
            ("EXPIRES_IN:", self.expires_in.as_str()),
            ("IP:", self.ip.as_str()),
        ]);
        lines
            .iter()
            .map(|(label, value)| format!("{label:<20}{value}\n"))
            .collect()
    }

    /// `v-list-access-key plain`. Hestia prints `ID:SECRET` here, but hearth keeps no secret
    /// to print, so this is one TAB-separated line like every other plain list:
    /// `ID USER PERMISSIONS COMMENT TIME DATE EXPIRES_IN IP`.
    pub fn plain(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            self.id,
            self.user,
            self.permissions,
            self.comment,
            self.time,
            self.date,
            self.expires_in,
            self.ip
        )
    }
}
