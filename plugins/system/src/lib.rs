//! Built-in plugin: system settings and legacy API keys (`v-list-sys-config`, ...).
//!
//! - [`config`]: `v-list-sys-config`, Hestia's fixed-layout view of `conf/hestia.conf`.
//! - [`settings`]: `v-change-sys-config-value`, `v-add-sys-api-ip`, `v-delete-sys-api-ip`.
//! - [`keys`]: `v-generate-api-key`, `v-revoke-api-key` for the legacy `data/keys` store, where
//!   hearth keeps only a hash of each new key.

use std::io;

use hearth_sdk::conf::Record;
use hearth_sdk::{Access, Call, CmdError, Command, ReturnCode};

mod config;
mod keys;
mod settings;

/// The system configuration file, relative to the data root.
const HESTIA_CONF: &str = "conf/hestia.conf";

/// Reads `conf/hestia.conf`; a missing file reads as empty, like Hestia's `source` of it.
fn read_hestia_conf(call: &Call) -> Result<Record, CmdError> {
    match hearth_sdk::fs::read_source(&call.system_path(HESTIA_CONF)) {
        Err(_) if !hearth_sdk::fs::exists(&call.system_path(HESTIA_CONF)) => Ok(Record::new()),
        other => other,
    }
}

/// Hestia's `check_hestia_demo_mode`: refuses to change anything when `DEMO_MODE='yes'`.
fn check_demo_mode(conf: &Record) -> Result<(), CmdError> {
    if conf.value("DEMO_MODE") == "yes" {
        return Err(CmdError::raw(
            ReturnCode::Args,
            "ERROR: Unable to perform operation due to security restrictions that are in place.",
        ));
    }
    Ok(())
}

/// Whether an I/O error means "no such file".
fn not_found(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound
}

const CONF_READ: &[(&str, Access)] = &[("conf", Access::ReadOnly)];
const CONF_WRITE: &[(&str, Access)] = &[("conf", Access::ReadWrite)];
const KEYS_WRITE: &[(&str, Access)] = &[("data/keys", Access::ReadWrite)];

const COMMANDS: &[Command] = &[
    Command {
        name: "v-list-sys-config",
        usage: "[FORMAT]",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: CONF_READ,
        mutating: false,
        secret_args: &[],
        handler: config::list_sys_config,
    },
    Command {
        name: "v-change-sys-config-value",
        usage: "KEY VALUE",
        min_args: 2,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: CONF_WRITE,
        mutating: true,
        // Values include SERVER_SMTP_PASSWD: keep them out of the audit log.
        secret_args: &[2],
        handler: settings::change_sys_config_value,
    },
    Command {
        name: "v-add-sys-api-ip",
        usage: "IP",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: CONF_WRITE,
        mutating: true,
        secret_args: &[],
        handler: settings::add_sys_api_ip,
    },
    Command {
        name: "v-delete-sys-api-ip",
        usage: "IP",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: CONF_WRITE,
        mutating: true,
        secret_args: &[],
        handler: settings::delete_sys_api_ip,
    },
    Command {
        name: "v-generate-api-key",
        usage: "",
        min_args: 0,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: KEYS_WRITE,
        mutating: true,
        secret_args: &[],
        handler: keys::generate_api_key,
    },
    Command {
        name: "v-revoke-api-key",
        usage: "HASH",
        min_args: 1,
        user_arg: 0,
        user_access: Access::None,
        home_access: Access::None,
        system_dirs: KEYS_WRITE,
        mutating: true,
        // HASH is the key itself.
        secret_args: &[1],
        handler: keys::revoke_api_key,
    },
];

hearth_sdk::plugin!(
    name: "system",
    commands: COMMANDS,
    interfaces: &[(
        "hearth:plugin/secrets",
        "generate legacy API keys from the OS CSPRNG and store only their hash",
    )],
);

#[cfg(test)]
mod test_support {
    //! Runs commands natively against a temporary data root.

    use std::path::Path;

    /// A temporary data root with `conf/` and `data/keys/`.
    pub fn data_root(hestia_conf: &str) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("conf")).unwrap();
        std::fs::create_dir_all(root.path().join("data/keys")).unwrap();
        std::fs::write(root.path().join("conf/hestia.conf"), hestia_conf).unwrap();
        root
    }

    /// Runs `command args...` against `root`: (code, output).
    pub fn run(root: &Path, command: &str, args: &[&str]) -> (u8, String) {
        hearth_sdk::run_under(super::COMMANDS, root, "admin", command, args)
    }

    /// The current `conf/hestia.conf`.
    pub fn hestia_conf(root: &Path) -> String {
        std::fs::read_to_string(root.join("conf/hestia.conf")).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn unknown_commands_and_missing_arguments() {
        let root = data_root("");
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &["API"]),
            (1, "Usage: v-change-sys-config-value KEY VALUE".to_string())
        );
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &[]),
            (1, "Usage: v-revoke-api-key HASH".to_string())
        );
        assert_eq!(
            run(root.path(), "v-add-sys-api-ip", &[]),
            (1, "Usage: v-add-sys-api-ip IP".to_string())
        );
    }

    #[test]
    fn demo_mode_refuses_changes() {
        let root = data_root("DEMO_MODE='yes'\nAPI_ALLOWED_IP=''\n");
        let refused = (
            1,
            "ERROR: Unable to perform operation due to security restrictions that are in place."
                .to_string(),
        );
        assert_eq!(
            run(root.path(), "v-change-sys-config-value", &["API", "no"]),
            refused
        );
        assert_eq!(run(root.path(), "v-add-sys-api-ip", &["1.2.3.4"]), refused);
        assert_eq!(
            run(root.path(), "v-delete-sys-api-ip", &["1.2.3.4"]),
            refused
        );
        assert_eq!(
            hestia_conf(root.path()),
            "DEMO_MODE='yes'\nAPI_ALLOWED_IP=''\n"
        );
    }
}
