//! The OWP state under `owp/` (one `KEY='value'` object per line per table, a missing key is
//! nil), the request context the host passes, Rails' typecasting, and event/task records.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hearth_sdk::conf::Record;
use hearth_sdk::owp::{Reply, Value};
use hearth_sdk::{Call, CmdError, ReturnCode, fs};
use serde_json::Value as Json;

use crate::i18n;

/// A column's type, as Rails' `to_xml` writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    DateTime,
    Date,
}

impl Kind {
    fn type_name(self) -> Option<&'static str> {
        match self {
            Kind::Str => None,
            Kind::Int => Some("integer"),
            Kind::Bool => Some("boolean"),
            Kind::DateTime => Some("datetime"),
            Kind::Date => Some("date"),
        }
    }
}

/// One table: its file below `owp/` and its visible columns, in alphabetical order.
pub struct Table {
    pub file: &'static str,
    pub columns: &'static [(&'static str, Kind)],
}

pub const USERS: Table = Table {
    file: "users.conf",
    columns: &[
        ("contact_name", Kind::Str),
        ("created_at", Kind::DateTime),
        ("email", Kind::Str),
        ("enabled", Kind::Bool),
        ("id", Kind::Int),
        ("login", Kind::Str),
        ("role_id", Kind::Int),
    ],
};

pub const ROLES: Table = Table {
    file: "roles.conf",
    columns: &[
        ("built_in", Kind::Bool),
        ("id", Kind::Int),
        ("limit_backups", Kind::Int),
        ("name", Kind::Str),
    ],
};

pub const HARDWARE_SERVERS: Table = Table {
    file: "hardware_servers.conf",
    columns: &[
        ("daemon_port", Kind::Int),
        ("default_os_template", Kind::Str),
        ("default_server_template", Kind::Str),
        ("description", Kind::Str),
        ("host", Kind::Str),
        ("id", Kind::Int),
        ("use_ssl", Kind::Bool),
        ("vswap", Kind::Bool),
    ],
};

pub const VIRTUAL_SERVERS: Table = Table {
    file: "virtual_servers.conf",
    columns: &[
        ("cpu_limit", Kind::Int),
        ("cpu_units", Kind::Int),
        ("cpus", Kind::Int),
        ("daily_backup", Kind::Bool),
        ("description", Kind::Str),
        ("diskspace", Kind::Int),
        ("expiration_date", Kind::Date),
        ("hardware_server_id", Kind::Int),
        ("host_name", Kind::Str),
        ("id", Kind::Int),
        ("identity", Kind::Str),
        ("ip_address", Kind::Str),
        ("memory", Kind::Int),
        ("nameserver", Kind::Str),
        ("orig_os_template", Kind::Str),
        ("orig_server_template", Kind::Str),
        ("search_domain", Kind::Str),
        ("start_on_boot", Kind::Bool),
        ("state", Kind::Str),
        ("user_id", Kind::Int),
        ("vswap", Kind::Int),
    ],
};

pub const IP_POOLS: Table = Table {
    file: "ip_pools.conf",
    columns: &[
        ("first_ip", Kind::Str),
        ("hardware_server_id", Kind::Int),
        ("id", Kind::Int),
        ("last_ip", Kind::Str),
    ],
};

pub const EVENTS: Table = Table {
    file: "events.conf",
    columns: &[
        ("created_at", Kind::DateTime),
        ("id", Kind::Int),
        ("ip_address", Kind::Str),
        ("level", Kind::Int),
        ("message", Kind::Str),
    ],
};

pub const TASKS: Table = Table {
    file: "tasks.conf",
    columns: &[
        ("description", Kind::Str),
        ("id", Kind::Int),
        ("status", Kind::Int),
    ],
};

pub const OS_TEMPLATES: Table = Table {
    file: "os_templates.conf",
    columns: &[("id", Kind::Int), ("name", Kind::Str), ("size", Kind::Int)],
};

pub const SERVER_TEMPLATES: Table = Table {
    file: "server_templates.conf",
    columns: &[("id", Kind::Int), ("name", Kind::Str)],
};

pub const BACKUPS: Table = Table {
    file: "backups.conf",
    columns: &[
        ("description", Kind::Str),
        ("id", Kind::Int),
        ("name", Kind::Str),
        ("size", Kind::Int),
    ],
};

/// Event levels (`EventLog::INFO`, `EventLog::ERROR`).
pub const INFO: i64 = 1;
pub const ERROR: i64 = 3;

/// Task statuses (`BackgroundJob`).
pub const FINISHED: i64 = 0;
pub const RUNNING: i64 = 1;
pub const FAILED: i64 = 2;

/// How many events and tasks are kept (`log.max_records`, `tasks.max_records`).
const MAX_EVENTS: usize = 1000;
const MAX_TASKS: usize = 100;

/// The caller, as the host authenticated it.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub id: i64,
    pub permissions: Vec<String>,
    /// The role's `limit_backups` (-1: unlimited).
    pub limit_backups: i64,
}

impl Caller {
    /// `superadmin?` ≡ `can_manage_hardware_servers?`.
    pub fn superadmin(&self) -> bool {
        self.can("manage_hardware_servers")
    }

    /// `can_<permission>?`.
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// `can_control(server)`: superadmin, or the server's owner.
    pub fn controls(&self, server: &Record) -> bool {
        self.superadmin() || int(server, "user_id").is_some_and(|owner| owner == self.id)
    }
}

/// One request: who, what parameters, when, from where, in which language.
pub struct Ctx {
    pub caller: Caller,
    pub params: BTreeMap<String, String>,
    pub ip: String,
    pub now: String,
    pub unix_time: i64,
    pub locale: String,
    dir: PathBuf,
}

impl Ctx {
    /// The context the host passed as the first argument (JSON).
    pub fn from_call(call: &Call) -> Result<Self, CmdError> {
        let invalid = || CmdError::new(ReturnCode::Invalid, "invalid request context");
        let json: Json = serde_json::from_str(call.arg(1)).map_err(|_| invalid())?;
        let text = |key: &str| {
            json.get(key)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        let caller = json.get("caller").ok_or_else(invalid)?;
        let params = json
            .get("params")
            .and_then(Json::as_object)
            .map(|object| {
                object
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            caller: Caller {
                id: caller.get("id").and_then(Json::as_i64).unwrap_or(0),
                permissions: caller
                    .get("permissions")
                    .and_then(Json::as_array)
                    .map(|list| {
                        list.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                limit_backups: caller
                    .get("limit_backups")
                    .and_then(Json::as_i64)
                    .unwrap_or(-1),
            },
            params,
            ip: text("ip"),
            now: text("now"),
            unix_time: json.get("unix_time").and_then(Json::as_i64).unwrap_or(0),
            locale: text("locale"),
            dir: call.system_path("owp"),
        })
    }

    /// A context on a directory, for native tests.
    #[cfg(test)]
    pub fn for_tests(dir: PathBuf, caller: Caller, params: &[(&str, &str)]) -> Self {
        Self {
            caller,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ip: "127.0.0.1".into(),
            now: "2026-01-02T03:04:05Z".into(),
            unix_time: 1_767_323_045,
            locale: "en".into(),
            dir,
        }
    }

    /// A parameter, if given.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A parameter, or `""`.
    pub fn text(&self, name: &str) -> &str {
        self.param(name).unwrap_or("")
    }

    /// Reads a table.
    pub fn load(&self, table: &Table) -> Result<Vec<Record>, CmdError> {
        fs::read_list(&self.dir.join(table.file))
    }

    /// Replaces a table.
    pub fn save(&self, table: &Table, rows: &[Record]) -> Result<(), CmdError> {
        fs::write_list(&self.dir.join(table.file), rows)
    }

    /// The row of `table` whose id is the `id` parameter.
    pub fn find_by_param(&self, table: &Table, param: &str) -> Result<Option<Record>, CmdError> {
        let Some(id) = self.param(param).and_then(|v| v.trim().parse::<i64>().ok()) else {
            return Ok(None);
        };
        Ok(self
            .load(table)?
            .into_iter()
            .find(|row| int(row, "id") == Some(id)))
    }

    /// The first row of `table` whose `column` equals the text of parameter `param`.
    pub fn find_by_text(
        &self,
        table: &Table,
        column: &str,
        param: &str,
    ) -> Result<Option<Record>, CmdError> {
        let value = self.text(param);
        Ok(self
            .load(table)?
            .into_iter()
            .find(|row| row.value(column) == value))
    }

    /// The next id of `table` (never reused, like an auto-increment column).
    pub fn next_id(&self, table: &Table) -> Result<i64, CmdError> {
        let path = self.dir.join("sequences.conf");
        let mut sequences = if fs::exists(&path) {
            fs::read_source(&path)?
        } else {
            Record::new()
        };
        let key = table.file.trim_end_matches(".conf");
        let stored: i64 = sequences.value(key).parse().unwrap_or(0);
        let highest = self
            .load(table)?
            .iter()
            .filter_map(|row| int(row, "id"))
            .max()
            .unwrap_or(0);
        let id = stored.max(highest) + 1;
        sequences.set(key, id.to_string());
        fs::write_source(&path, &sequences)?;
        Ok(id)
    }

    /// Gives back the id [`Ctx::next_id`] just handed out, when nothing was saved with it.
    pub fn release_id(&self, table: &Table, id: i64) -> Result<(), CmdError> {
        let path = self.dir.join("sequences.conf");
        let mut sequences = fs::read_source(&path)?;
        let key = table.file.trim_end_matches(".conf");
        if sequences.value(key) == id.to_string() {
            sequences.set(key, (id - 1).to_string());
            fs::write_source(&path, &sequences)?;
        }
        Ok(())
    }

    /// Records an event (`EventLog.info`/`EventLog.error`), keeping the newest 1000.
    pub fn event(
        &self,
        level: i64,
        message: &str,
        params: &[(&str, &str)],
    ) -> Result<(), CmdError> {
        let mut rows = self.load(&EVENTS)?;
        let id = self.next_id(&EVENTS)?;
        let mut row = Record::new();
        row.set("id", id.to_string());
        row.set("level", level.to_string());
        row.set("message", message);
        row.set("params", encode_params(params));
        row.set("created_at", &self.now);
        row.set("ip_address", &self.ip);
        rows.push(row);
        let excess = rows.len().saturating_sub(MAX_EVENTS);
        rows.drain(..excess);
        self.save(&EVENTS, &rows)
    }

    /// Starts a task (`BackgroundJob.create`): RUNNING, keeping the newest 100.
    pub fn task(&self, description: &str, params: &[(&str, &str)]) -> Result<i64, CmdError> {
        let mut rows = self.load(&TASKS)?;
        let id = self.next_id(&TASKS)?;
        let mut row = Record::new();
        row.set("id", id.to_string());
        row.set("description", description);
        row.set("status", RUNNING.to_string());
        row.set("params", encode_params(params));
        rows.push(row);
        let excess = rows.len().saturating_sub(MAX_TASKS);
        rows.drain(..excess);
        self.save(&TASKS, &rows)?;
        Ok(id)
    }

    /// Ends a task with `status`.
    pub fn finish_task(&self, id: i64, status: i64) -> Result<(), CmdError> {
        let mut rows = self.load(&TASKS)?;
        for row in rows.iter_mut().filter(|row| int(row, "id") == Some(id)) {
            row.set("status", status.to_string());
        }
        self.save(&TASKS, &rows)
    }

    /// A validation message in the request's language.
    pub fn message(&self, key: &str) -> String {
        i18n::validation(&self.locale, key)
    }
}

/// Event/task parameters as stored: a JSON object (`params` is never rendered).
pub fn encode_params(params: &[(&str, &str)]) -> String {
    let object: serde_json::Map<String, Json> = params
        .iter()
        .map(|(k, v)| (k.to_string(), Json::String(v.to_string())))
        .collect();
    Json::Object(object).to_string()
}

/// Stored parameters back as pairs.
pub fn decode_params(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str::<serde_json::Map<String, Json>>(text)
        .map(|object| {
            object
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// An integer column.
pub fn int(row: &Record, key: &str) -> Option<i64> {
    row.get(key).and_then(|v| v.parse().ok())
}

/// A boolean column.
pub fn boolean(row: &Record, key: &str) -> bool {
    row.get(key) == Some("true")
}

/// One row as a typed hash of its table's visible columns.
pub fn render(table: &Table, row: &Record) -> Value {
    Value::Hash(
        table
            .columns
            .iter()
            .map(|(name, kind)| (name.to_string(), typed(row.get(name), *kind)))
            .collect(),
    )
}

/// A stored value as a typed value of `kind`.
pub fn typed(stored: Option<&str>, kind: Kind) -> Value {
    let nil = || Value::Nil(kind.type_name().map(str::to_string));
    let Some(text) = stored else {
        return nil();
    };
    match kind {
        Kind::Str => Value::Str(text.to_string()),
        Kind::Int => text.parse().map(Value::Int).unwrap_or_else(|_| nil()),
        Kind::Bool => Value::Bool(text == "true"),
        Kind::DateTime => Value::DateTime(text.to_string()),
        Kind::Date => Value::Date(text.to_string()),
    }
}

/// Rails' typecast of a request parameter into a column of `kind`: `None` is nil (an empty
/// string for a non-string column), booleans accept `1 t T true TRUE` and anything else is
/// false, integers take the leading digits (`"12abc"` → 12, `"abc"` → 0).
pub fn cast(value: &str, kind: Kind) -> Option<String> {
    match kind {
        Kind::Str => Some(value.to_string()),
        _ if value.is_empty() => None,
        Kind::Bool => Some(matches!(value, "1" | "t" | "T" | "true" | "TRUE").to_string()),
        Kind::Int => Some(ruby_to_i(value).to_string()),
        Kind::DateTime | Kind::Date => Some(value.to_string()),
    }
}

/// Ruby's `String#to_i`.
pub fn ruby_to_i(value: &str) -> i64 {
    let trimmed = value.trim_start();
    let (sign, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let digits: String = digits
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '_')
        .filter(|c| *c != '_')
        .collect();
    digits.parse::<i64>().map(|n| sign * n).unwrap_or(0)
}

/// Assigns the given parameters among `fields` to `row`, typecast by `table`'s columns.
pub fn assign(ctx: &Ctx, table: &Table, row: &mut Record, fields: &[&str]) {
    for field in fields {
        if let Some(value) = ctx.param(field) {
            let kind = table
                .columns
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, kind)| *kind)
                .unwrap_or(Kind::Str);
            match cast(value, kind) {
                Some(value) => row.set(*field, value),
                None => {
                    row.remove(field);
                }
            }
        }
    }
}

/// Validation errors: (field, message), in the order found.
#[derive(Default)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn add(&mut self, field: &str, message: String) {
        self.0.push((field.to_string(), message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `render_scalar_result(value, details)`: `<result><status>…[<details>]`.
pub fn result(status: Value, details: Option<Value>) -> Reply {
    let mut pairs = vec![("status".to_string(), status)];
    if let Some(details) = details {
        pairs.push(("details".to_string(), details));
    }
    Reply::Document("result".into(), Value::Hash(pairs))
}

/// `<result><status type="boolean">…</status></result>`.
pub fn status(ok: bool) -> Reply {
    result(Value::Bool(ok), None)
}

/// `render_object_save_result`: the new id, or the validation errors.
pub fn save_result(outcome: Result<i64, Errors>) -> Reply {
    match outcome {
        Ok(id) => result(
            Value::Bool(true),
            Some(Value::hash([("id", Value::Int(id))])),
        ),
        Err(errors) if errors.is_empty() => status(false),
        Err(errors) => result(
            Value::Bool(false),
            Some(Value::Array(
                "detail".into(),
                errors
                    .0
                    .into_iter()
                    .map(|(field, error)| {
                        Value::hash([("field", Value::Str(field)), ("error", Value::Str(error))])
                    })
                    .collect(),
            )),
        ),
    }
}

/// `<error><code>object_not_found</code>…`.
pub fn not_found() -> Reply {
    Reply::Error("object_not_found".into(), None)
}

/// `<error><code>internal_error</code>…<details>`.
pub fn internal_error(details: impl Into<String>) -> Reply {
    Reply::Error("internal_error".into(), Some(details.into()))
}

/// A list of rows: `<plural type="array"><singular>…`.
pub fn list(root: &str, item: &str, table: &Table, rows: &[Record]) -> Reply {
    Reply::Document(
        root.into(),
        Value::Array(
            item.into(),
            rows.iter().map(|row| render(table, row)).collect(),
        ),
    )
}

/// One row: `<singular>…`.
pub fn object(root: &str, table: &Table, row: &Record) -> Reply {
    Reply::Document(root.into(), render(table, row))
}

/// One row as `<singular>…`, or `object_not_found` when there is none.
pub fn object_or_not_found(root: &str, table: &Table, row: Option<Record>) -> Reply {
    match row {
        Some(row) => object(root, table, &row),
        None => not_found(),
    }
}
