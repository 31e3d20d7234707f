//! `users` and `roles` controllers (`manage_users`; the host checks the gate).

use hearth_sdk::CmdError;
use hearth_sdk::conf::Record;
use hearth_sdk::owp::Reply;
use hearth_sdk::secrets;

use crate::store::{self, Ctx, Errors, INFO, ROLES, USERS, int};

/// The fields `users/create` and `users/update` take (`attr_accessible`).
const FIELDS: &[&str] = &["contact_name", "email", "enabled", "role_id"];

pub fn list(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::list("users", "user", &USERS, &ctx.load(&USERS)?))
}

pub fn get(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "user",
        &USERS,
        ctx.find_by_param(&USERS, "id")?,
    ))
}

pub fn get_by_login(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "user",
        &USERS,
        ctx.find_by_text(&USERS, "login", "login")?,
    ))
}

/// Whether `row`'s role makes a superadmin (`manage_hardware_servers`).
fn superadmin_role(ctx: &Ctx, row: &Record) -> Result<bool, CmdError> {
    let role = int(row, "role_id");
    Ok(ctx.load(&ROLES)?.iter().any(|r| {
        role.is_some()
            && int(r, "id") == role
            && r.value("permissions")
                .split(',')
                .any(|p| p == "manage_hardware_servers")
    }))
}

/// Unlike OWP, a user manager who is not a superadmin can neither hand out a superadmin
/// role nor change, disable or delete a superadmin: `access_denied`.
fn escalates(ctx: &Ctx, rows: &[&Record]) -> Result<bool, CmdError> {
    if ctx.caller.superadmin() {
        return Ok(false);
    }
    for row in rows {
        if superadmin_role(ctx, row)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `/\A\w[\w\.\-_@]+\z/`.
fn login_format(login: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = login.chars();
    chars.next().is_some_and(word)
        && login.chars().count() >= 2
        && chars.all(|c| word(c) || matches!(c, '.' | '-' | '@'))
}

/// The User model's validations, in declaration order.
fn validate(ctx: &Ctx, row: &Record, password: Option<&str>, users: &[Record]) -> Errors {
    let mut errors = Errors::default();
    let login = row.value("login");
    let length = login.chars().count();
    if login.trim().is_empty() {
        errors.add("login", ctx.message("blank"));
    }
    if length < 2 {
        errors.add("login", ctx.message("login_too_short"));
    } else if length > 40 {
        errors.add("login", ctx.message("too_long"));
    }
    let id = int(row, "id");
    if users
        .iter()
        .any(|other| other.value("login") == login && int(other, "id") != id)
    {
        errors.add("login", ctx.message("login_taken"));
    }
    if !login_format(login) {
        errors.add("login", ctx.message("login_format"));
    }
    if let Some(password) = password {
        // The controller sets password_confirmation = password.
        if password.is_empty() {
            errors.add("password", ctx.message("blank"));
        }
        let length = password.chars().count();
        if length < 6 {
            errors.add("password", ctx.message("password_too_short"));
        } else if length > 40 {
            errors.add("password", ctx.message("too_long"));
        }
    }
    if let Some(email) = row.get("email")
        && !email.is_empty()
        && !email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
    {
        errors.add("email", ctx.message("email_invalid"));
    }
    errors
}

pub fn create(ctx: &Ctx) -> Result<Reply, CmdError> {
    let mut users = ctx.load(&USERS)?;
    let mut row = Record::new();
    row.set("login", ctx.text("login").to_lowercase());
    row.set("enabled", "true");
    store::assign(ctx, &USERS, &mut row, FIELDS);
    if escalates(ctx, &[&row])? {
        return Ok(Reply::Error("access_denied".into(), None));
    }
    let password = ctx.text("password");
    let errors = validate(ctx, &row, Some(password), &users);
    if !errors.is_empty() {
        return Ok(store::save_result(Err(errors)));
    }
    let id = ctx.next_id(&USERS)?;
    row.set("id", id.to_string());
    row.set("created_at", &ctx.now);
    row.set("updated_at", &ctx.now);
    row.set("crypted_password", secrets::hash_password(password));
    let login = row.value("login").to_string();
    users.push(row);
    ctx.save(&USERS, &users)?;
    ctx.event(INFO, "user.created", &[("login", &login)])?;
    Ok(store::save_result(Ok(id)))
}

pub fn update(ctx: &Ctx) -> Result<Reply, CmdError> {
    let mut users = ctx.load(&USERS)?;
    let Some(row) = ctx.find_by_param(&USERS, "id")? else {
        return Ok(store::not_found());
    };
    let old = row.clone();
    let mut row = row;
    if let Some(login) = ctx.param("login") {
        row.set("login", login.to_lowercase());
    }
    store::assign(ctx, &USERS, &mut row, FIELDS);
    if escalates(ctx, &[&old, &row])? {
        return Ok(Reply::Error("access_denied".into(), None));
    }
    let password = ctx.param("password").filter(|p| !p.is_empty());
    let errors = validate(ctx, &row, password, &users);
    if !errors.is_empty() {
        return Ok(store::save_result(Err(errors)));
    }
    if let Some(password) = password {
        row.set("crypted_password", secrets::hash_password(password));
    }
    row.set("updated_at", &ctx.now);
    let id = int(&row, "id").unwrap_or(0);
    let login = row.value("login").to_string();
    for slot in users.iter_mut().filter(|u| int(u, "id") == Some(id)) {
        *slot = row.clone();
    }
    ctx.save(&USERS, &users)?;
    ctx.event(INFO, "user.updated", &[("login", &login)])?;
    Ok(store::save_result(Ok(id)))
}

/// Deletes the user. Unlike OWP, which reports `true` even when `destroy` refused, the
/// status says whether the user is gone: `admin` cannot be deleted and gets `false`.
pub fn delete(ctx: &Ctx) -> Result<Reply, CmdError> {
    let Some(row) = ctx.find_by_param(&USERS, "id")? else {
        return Ok(store::not_found());
    };
    if escalates(ctx, &[&row])? {
        return Ok(Reply::Error("access_denied".into(), None));
    }
    if row.value("login") == "admin" {
        return Ok(store::status(false));
    }
    let id = int(&row, "id");
    let mut users = ctx.load(&USERS)?;
    users.retain(|u| int(u, "id") != id);
    ctx.save(&USERS, &users)?;
    ctx.event(INFO, "user.removed", &[("login", row.value("login"))])?;
    Ok(store::status(true))
}

fn set_enabled(ctx: &Ctx, enabled: bool) -> Result<Reply, CmdError> {
    let Some(mut row) = ctx.find_by_param(&USERS, "id")? else {
        return Ok(store::not_found());
    };
    if escalates(ctx, &[&row])? {
        return Ok(Reply::Error("access_denied".into(), None));
    }
    row.set("enabled", enabled.to_string());
    row.set("updated_at", &ctx.now);
    let id = int(&row, "id");
    let mut users = ctx.load(&USERS)?;
    for slot in users.iter_mut().filter(|u| int(u, "id") == id) {
        *slot = row.clone();
    }
    ctx.save(&USERS, &users)?;
    // OWP's API saves the attribute, so the model logs user.updated.
    ctx.event(INFO, "user.updated", &[("login", row.value("login"))])?;
    Ok(store::status(true))
}

pub fn enable(ctx: &Ctx) -> Result<Reply, CmdError> {
    set_enabled(ctx, true)
}

pub fn disable(ctx: &Ctx) -> Result<Reply, CmdError> {
    set_enabled(ctx, false)
}

pub fn roles_list(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::list("roles", "role", &ROLES, &ctx.load(&ROLES)?))
}

pub fn roles_get_by_name(ctx: &Ctx) -> Result<Reply, CmdError> {
    Ok(store::object_or_not_found(
        "role",
        &ROLES,
        ctx.find_by_text(&ROLES, "name", "name")?,
    ))
}
