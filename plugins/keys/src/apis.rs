//! `v-list-apis [FORMAT]` and `v-list-api API [FORMAT]`: the permission sets in `data/api`
//! (`ROLE='admin|user'`, `COMMANDS='v-a,v-b'`). Formats `json` and `shell` (the default, also
//! for an empty FORMAT); anything else prints nothing.

use hearth_sdk::conf::Record;
use hearth_sdk::render::{self, json_string};
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode};

use crate::common::{self, API_DIR, json_array};

/// `v-list-apis`: every set, in name order. Hestia's loop does not reset `ROLE` and
/// `COMMANDS` between sets, so a set lacking one shows the previous set's; hearth shows it
/// empty.
pub fn list_apis(call: &Call) -> CmdResult {
    let mut sets: Vec<(String, Record)> = Vec::new();
    for name in common::dir_names(&call.system_path(API_DIR))? {
        if let Some(path) = common::api_file(call, &name) {
            let record = hearth_sdk::fs::read_source(&path)?;
            sets.push((name, record));
        }
    }
    Ok(match call.arg_or(1, "shell") {
        "json" => apis_json(&sets),
        "shell" => apis_shell(&sets),
        _ => String::new(),
    })
}

/// `{`, one `    "name": {"COMMANDS": [...], "ROLE": "..."}` line per set joined with `,\n`,
/// an empty line's worth of `\n`, then `}`.
fn apis_json(sets: &[(String, Record)]) -> String {
    let lines: Vec<String> = sets
        .iter()
        .map(|(name, record)| {
            format!(
                "    {}: {{\"COMMANDS\": {}, \"ROLE\": {}}}",
                json_string(name),
                json_array(record.value("COMMANDS")),
                json_string(record.value("ROLE"))
            )
        })
        .collect();
    format!("{{\n{}\n}}\n", lines.join(",\n"))
}

/// `API ROLE COMMANDS` through `column -t`.
fn apis_shell(sets: &[(String, Record)]) -> String {
    let mut rows = vec![
        vec![
            "API".to_string(),
            "ROLE".to_string(),
            "COMMANDS".to_string(),
        ],
        vec![
            "---".to_string(),
            "----".to_string(),
            "--------".to_string(),
        ],
    ];
    for (name, record) in sets {
        rows.push(vec![
            name.clone(),
            record.value("ROLE").to_string(),
            record.value("COMMANDS").to_string(),
        ]);
    }
    render::columns(&rows)
}

/// `v-list-api API [FORMAT]`. A missing set is `Error: API X doesn't exist` with Hestia's code
/// for it here, E_INVALID (2).
pub fn list_api(call: &Call) -> CmdResult {
    let name = call.arg(1);
    let path = common::api_file(call, name)
        .ok_or_else(|| CmdError::new(ReturnCode::Invalid, format!("API {name} doesn't exist")))?;
    let record = hearth_sdk::fs::read_source(&path)?;
    let role = record.value("ROLE");
    let commands = record.value("COMMANDS");
    Ok(match call.arg_or(2, "shell") {
        "json" => format!(
            "{{\n    \"API\": {},\n    \"ROLE\": {},\n    \"COMMANDS\": {}\n}}\n",
            json_string(name),
            json_string(role),
            json_array(commands)
        ),
        "shell" => {
            format!("API:           {name}\nROLE:          {role}\nCOMMANDS:      {commands}\n")
        }
        _ => String::new(),
    })
}
