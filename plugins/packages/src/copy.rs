//! `v-copy-user-package PACKAGE NEW_PACKAGE` and `v-delete-user-package PACKAGE`.

use hearth_sdk::{Call, CmdResult, commands, hosting, validate};

use crate::common;

/// `v-copy-user-package`, in Hestia's order: demo mode, source exists (3), target is new
/// (4), then both name formats (`Error: invalid Package format :: X`,
/// `Error: invalid New package format :: X`, 2). Copies the package's hook script
/// (`<PACKAGE>.sh`) too. Silent. Hestia checks no argument count: a missing name fails the
/// existence or format check.
pub fn copy_user_package(call: &Call) -> CmdResult {
    let package = call.arg(1);
    let new_package = call.arg(2);
    let settings = hosting::settings(call)?;
    hosting::check_demo_mode(&settings)?;
    common::package_valid(call, package)?;
    common::package_new(call, new_package)?;
    validate::object("Package", package)?;
    validate::object("New package", new_package)?;

    let bytes = hearth_sdk::fs::read_to_string(common::package_path(call, package))?;
    hearth_sdk::fs::write_atomic(&common::package_path(call, new_package), bytes.as_bytes())?;
    let hook = call.system_path(&format!("data/packages/{package}.sh"));
    if hook.is_file() {
        let script = std::fs::read(&hook)?;
        hearth_sdk::fs::write_atomic(
            &call.system_path(&format!("data/packages/{new_package}.sh")),
            &script,
        )?;
    }
    Ok(String::new())
}

/// `v-delete-user-package`: format (2), exists (3); users still on the package are moved to
/// `default` with `v-change-user-package USER default` first (Hestia 1.9; older releases
/// refused with 7). Silent.
pub fn delete_user_package(call: &Call) -> CmdResult {
    let package = call.arg(1);
    validate::object("package", package)?;
    common::package_valid(call, package)?;
    // Hestia checks demo mode after moving the users; here nothing changes in demo mode.
    let settings = hosting::settings(call)?;
    hosting::check_demo_mode(&settings)?;
    let mut users = Vec::new();
    for user in common::sorted_entries(&call.system_path("data/users"))? {
        if validate::user(&user).is_err() {
            continue;
        }
        let conf = common::user_dir(call, &user).join("user.conf");
        let Ok(text) = hearth_sdk::fs::read_to_string(&conf) else {
            continue;
        };
        if hearth_sdk::conf::parse_source(&text)
            .is_ok_and(|record| record.value("PACKAGE") == package)
        {
            users.push(user);
        }
    }
    for user in &users {
        // As in Hestia, a user the change fails for keeps the name of the deleted package.
        commands::run("v-change-user-package", &[user, "default"]);
    }
    std::fs::remove_file(common::package_path(call, package))?;
    Ok(String::new())
}
