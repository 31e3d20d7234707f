//! The sending side of Hestia's DNS cluster: `v-add-remote-dns-host`,
//! `v-delete-remote-dns-host`, `v-list-remote-dns-hosts` and `v-sync-dns-cluster`. The plugin
//! validates like Hestia's scripts and renders the lists; the network calls, the credentials
//! and `conf/dns-cluster.conf` itself belong to the host (`hearth:plugin/cluster`).

use hearth_sdk::render::{self, Format};
use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, hosting, validate};

fn to_result(
    result: Result<(), hearth_sdk::bindings::hearth::plugin::types::Outcome>,
) -> CmdResult {
    match result {
        Ok(()) => Ok(String::new()),
        Err(outcome) => Err(CmdError::raw(
            ReturnCode::from_u8(outcome.code).unwrap_or(ReturnCode::Connect),
            outcome.output,
        )),
    }
}

/// `is_format_valid 'port'`: digits, 1..65535.
fn port(value: &str) -> Result<(), CmdError> {
    match value.parse::<u16>() {
        Ok(n) if n > 0 && value.chars().all(|c| c.is_ascii_digit()) => Ok(()),
        _ => Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid port format :: {value}"),
        )),
    }
}

/// `v-add-remote-dns-host HOST PORT USER [PASSWORD] [TYPE] [DNS_USER]`: with an empty
/// PASSWORD, USER is a HASH (access key `ID:SECRET` or legacy key).
pub fn add_remote_dns_host(call: &Call) -> CmdResult {
    let host = call.arg(1);
    let port_arg = call.arg(2);
    let user = call.arg(3);
    let password = call.arg(4);
    let kind = call.arg_or(5, "api");
    let dns_user = call.arg_opt(6).unwrap_or("dns-cluster");

    validate::object("host", host)?;
    port(port_arg)?;
    if !dns_user.is_empty() {
        validate::user(dns_user)?;
    }
    if password.is_empty() {
        validate::hash(user)?;
    } else {
        validate::user(user)?;
    }
    if kind != "api" {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid type format :: {kind}"),
        ));
    }
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_SYSTEM")?;
    if password.contains(['\n', '\r']) {
        return Err(CmdError::new(
            ReturnCode::Invalid,
            "invalid password format :: ******",
        ));
    }
    if hearth_sdk::cluster::peers()
        .iter()
        .any(|peer| peer.host == host)
    {
        return Err(CmdError::new(
            ReturnCode::Exists,
            format!("remote dns host {host} exists"),
        ));
    }
    hosting::check_demo_mode(&settings)?;
    to_result(hearth_sdk::cluster::add_peer(
        host, port_arg, user, password, kind, dns_user,
    ))
}

/// `v-delete-remote-dns-host HOST`.
pub fn delete_remote_dns_host(call: &Call) -> CmdResult {
    let host = call.arg(1);
    validate::object("host", host)?;
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_CLUSTER")?;
    if !hearth_sdk::cluster::peers()
        .iter()
        .any(|peer| peer.host == host)
    {
        return Err(CmdError::not_exist("dns-cluster host", host));
    }
    to_result(hearth_sdk::cluster::delete_peer(host))
}

/// `v-sync-dns-cluster [HOST]`.
pub fn sync_dns_cluster(call: &Call) -> CmdResult {
    let host = call.arg(1);
    let settings = hosting::settings(call)?;
    hosting::system_enabled(&settings, "DNS_CLUSTER")?;
    if !host.is_empty() {
        validate::object("host", host)?;
    }
    to_result(hearth_sdk::cluster::sync(host))
}

/// `v-list-remote-dns-hosts [FORMAT]`: Hestia's layouts. The credentials are never listed;
/// USER is the password entry's user (empty for a HASH entry).
pub fn list_remote_dns_hosts(call: &Call) -> CmdResult {
    let Some(format) = Format::from_arg(call.arg_opt(1)) else {
        return Ok(String::new());
    };
    let peers = hearth_sdk::cluster::peers();
    if peers.is_empty() {
        return Ok(String::new());
    }
    let suspended = |peer: &hearth_sdk::cluster::Peer| if peer.suspended { "yes" } else { "no" };
    let mut out = String::new();
    match format {
        Format::Json => {
            out.push_str("{\n");
            for (index, peer) in peers.iter().enumerate() {
                out.push_str(&format!("    {}: {{\n", render::json_string(&peer.host)));
                out.push_str(&render::json_fields(
                    &[
                        ("PORT", &peer.port),
                        ("TYPE", &peer.type_),
                        ("USER", &peer.user),
                        ("DNS_USER", &peer.dns_user),
                        ("SUSPENDED", suspended(peer)),
                        ("TIME", &peer.time),
                        ("DATE", &peer.date),
                    ],
                    "        ",
                ));
                out.push_str("\n    }");
                out.push_str(if index + 1 < peers.len() { ",\n" } else { "\n" });
            }
            out.push_str("}\n");
        }
        Format::Plain | Format::Csv => {
            let separator = if format == Format::Csv {
                out.push_str("HOST,PORT,TYPE,USER,DNS_USER,SUSPENDED,TIME,DATE\n");
                ","
            } else {
                "\t"
            };
            for peer in &peers {
                let values = [
                    peer.host.as_str(),
                    &peer.port,
                    &peer.type_,
                    &peer.user,
                    &peer.dns_user,
                    suspended(peer),
                    &peer.time,
                    &peer.date,
                ];
                out.push_str(&values.join(separator));
                out.push('\n');
            }
        }
        Format::List => {}
        Format::Shell => {
            let mut rows: Vec<Vec<String>> = vec![
                ["HOST", "PORT", "TYPE", "USER", "DNS_USER", "SPND", "DATE"]
                    .map(String::from)
                    .to_vec(),
                ["----", "----", "----", "----", "--------", "----", "----"]
                    .map(String::from)
                    .to_vec(),
            ];
            for peer in &peers {
                // `column -t` collapses an empty field; keep the columns aligned.
                let user = if peer.user.is_empty() {
                    "-"
                } else {
                    &peer.user
                };
                rows.push(vec![
                    peer.host.clone(),
                    peer.port.clone(),
                    peer.type_.clone(),
                    user.to_string(),
                    peer.dns_user.clone(),
                    suspended(peer).to_string(),
                    peer.date.clone(),
                ]);
            }
            out = render::columns(&rows);
        }
    }
    Ok(out)
}
