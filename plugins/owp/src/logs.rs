//! `event_log` (`view_logs` or `manage_logs`) and `tasks` (`view_tasks`): the newest 100
//! records, newest first, with their texts in the request's language.

use hearth_sdk::CmdError;
use hearth_sdk::owp::{Reply, Value};

use crate::i18n;
use crate::store::{self, Ctx, EVENTS, TASKS, decode_params, int};

/// How many records a list shows.
const SHOWN: usize = 100;

pub fn events(ctx: &Ctx) -> Result<Reply, CmdError> {
    let mut rows = ctx.load(&EVENTS)?;
    rows.sort_by_key(|row| std::cmp::Reverse(int(row, "id")));
    let items = rows
        .iter()
        .take(SHOWN)
        .map(|row| {
            let Value::Hash(mut pairs) = store::render(&EVENTS, row) else {
                unreachable!("rows render as hashes")
            };
            let params = decode_params(row.value("params"));
            pairs.push((
                "t_message".into(),
                Value::Str(i18n::event(&ctx.locale, row.value("message"), &params)),
            ));
            Value::Hash(pairs)
        })
        .collect();
    Ok(Reply::Document(
        "events".into(),
        Value::Array("event".into(), items),
    ))
}

pub fn tasks(ctx: &Ctx) -> Result<Reply, CmdError> {
    let mut rows = ctx.load(&TASKS)?;
    rows.sort_by_key(|row| std::cmp::Reverse(int(row, "id")));
    let items = rows
        .iter()
        .take(SHOWN)
        .map(|row| {
            let Value::Hash(mut pairs) = store::render(&TASKS, row) else {
                unreachable!("rows render as hashes")
            };
            let params = decode_params(row.value("params"));
            pairs.push((
                "t_description".into(),
                Value::Str(i18n::task(&ctx.locale, row.value("description"), &params)),
            ));
            Value::Hash(pairs)
        })
        .collect();
    Ok(Reply::Document(
        "tasks".into(),
        Value::Array("task".into(), items),
    ))
}
