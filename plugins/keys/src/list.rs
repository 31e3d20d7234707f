//! `v-list-access-keys [USER] [FORMAT]` and `v-list-access-key ACCESS_KEY_ID [FORMAT]`.
//!
//! Both never print a secret: hearth's key files hold only its hash, and a plaintext
//! `SECRET_ACCESS_KEY` in a key file imported from Hestia is not shown either (Hestia's
//! `v-list-access-key` prints it at any time).

use hearth_sdk::render::{self, json_string};
use hearth_sdk::{Call, CmdResult};

use crate::common::{self, KEYS_DIR, KeyView};

/// `v-list-access-keys [USER] [FORMAT]`: every key, or only USER's. Formats `json` and `shell`
/// (the default, also for an empty FORMAT: Hestia's `${2:-shell}`); anything else prints
/// nothing.
pub fn list_access_keys(call: &Call) -> CmdResult {
    let user = call.arg(1);
    let keys = collect_keys(call, user)?;
    Ok(match call.arg_or(2, "shell") {
        "json" => keys_json(&keys),
        "shell" => keys_shell(&keys),
        _ => String::new(),
    })
}

/// `v-list-access-key ACCESS_KEY_ID [FORMAT]`: one key in `json`, `shell` (default) or
/// `plain`, without its secret.
pub fn list_access_key(call: &Call) -> CmdResult {
    let id = call.arg(1);
    let path = common::existing_key(call, id)?;
    let record = hearth_sdk::fs::read_source(&path)?;
    let key = KeyView::new(id, &record, call.root_user());
    Ok(match call.arg_or(2, "shell") {
        "json" => key.json(None),
        "shell" => key.shell(None),
        "plain" => key.plain(),
        _ => String::new(),
    })
}

/// The keys Hestia's loop shows: files named `^[[:alnum:]]{20}$` in name order, owned by
/// `user` unless it is empty. Symlinks and unreadable or malformed files are skipped.
fn collect_keys(call: &Call, user: &str) -> Result<Vec<KeyView>, hearth_sdk::CmdError> {
    let dir = call.system_path(KEYS_DIR);
    let mut keys = Vec::new();
    for name in common::dir_names(&dir)? {
        if hearth_sdk::validate::access_key_id(&name).is_err() {
            continue;
        }
        let path = dir.join(&name);
        if !common::is_regular_file(&path) {
            continue;
        }
        let Ok(record) = hearth_sdk::fs::read_source(&path) else {
            continue;
        };
        let key = KeyView::new(&name, &record, call.root_user());
        if user.is_empty() || key.user == user {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// `{`, then `    "ID": {...}` lines joined with `,\n`, then `}` on its own line; no keys is
/// `{}`.
fn keys_json(keys: &[KeyView]) -> String {
    let mut out = String::from("{");
    for (i, key) in keys.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&format!(
            "    {}: {}",
            json_string(&key.id),
            key.json_inline()
        ));
    }
    if !keys.is_empty() {
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

/// Hestia's `column -t` table. Its dashes line still has seven cells (a leftover of the
/// `SECRET` column it dropped); kept for byte-exactness. Empty PERMISSIONS and COMMENT show
/// as `-`. EXPIRES_IN and IP are not shown here (see `json`).
fn keys_shell(keys: &[KeyView]) -> String {
    let cells = |row: &[&str]| row.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let mut rows = vec![
        cells(&["ID", "USER", "PERMISSIONS", "COMMENT", "TIME", "DATE"]),
        cells(&[
            "--",
            "------",
            "----",
            "-----------",
            "-------",
            "----",
            "----",
        ]),
    ];
    let or_dash = |value: &str| {
        if value.is_empty() {
            "-".to_string()
        } else {
            value.to_string()
        }
    };
    for key in keys {
        rows.push(vec![
            key.id.clone(),
            key.user.clone(),
            or_dash(&key.permissions),
            or_dash(&key.comment),
            key.time.clone(),
            key.date.clone(),
        ]);
    }
    render::columns(&rows)
}
