//! DKIM: the key pair of a mail domain (`mail/<DOMAIN>.pem` / `.pub`) and its records in the
//! user's DNS zone, added and removed through the DNS commands as Hestia does.

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, ReturnCode, commands, secrets};

/// The `_domainkey` policy record Hestia publishes.
pub const POLICY: &str = "\"t=y; o=~;\"";

/// The records `v-add-mail-domain` adds and `v-delete-mail-domain` removes.
pub const RECORDS: &[&str] = &["_domainkey", "mail._domainkey"];

/// A new key pair as PEM: (PKCS#8 private key, SubjectPublicKeyInfo public key).
pub fn generate(bits: u32) -> Result<(String, String), CmdError> {
    secrets::rsa_key_pair(bits).map_err(|_| {
        CmdError::new(
            ReturnCode::Invalid,
            format!("invalid dkim_size format :: {bits}"),
        )
    })
}

/// The base64 body of a public key PEM: `grep -v ' KEY---' | tr -d '\n'`.
pub fn public_key_body(pem: &str) -> String {
    pem.lines()
        .filter(|line| !line.contains(" KEY---"))
        .collect::<String>()
}

/// The `mail._domainkey` TXT value as Hestia passes it (`\;` survives bash's double quotes
/// and is BIND's escaped semicolon).
pub fn selector(public_pem: &str) -> String {
    format!("\"v=DKIM1\\; k=rsa\\; p={}\"", public_key_body(public_pem))
}

/// Whether the user has a DNS zone for `domain` (`is_object_valid 'dns' 'DOMAIN'`).
pub fn has_zone(call: &Call, domain: &str) -> Result<bool, CmdError> {
    let zones = hearth_sdk::fs::read_list(&call.user_path("dns.conf"))?;
    Ok(zones.iter().any(|zone| zone.value("DOMAIN") == domain))
}

/// Adds the two DKIM records. Like Hestia, the outcome of `v-add-dns-record` is not checked:
/// the mail domain stands whether or not the zone took them.
pub fn add_records(user: &str, domain: &str, public_pem: &str) {
    let _ = commands::run(
        "v-add-dns-record",
        &[
            user,
            domain,
            "_domainkey",
            "TXT",
            POLICY,
            "",
            "",
            "no",
            "",
            "yes",
        ],
    );
    let selector = selector(public_pem);
    let _ = commands::run(
        "v-add-dns-record",
        &[
            user,
            domain,
            "mail._domainkey",
            "TXT",
            &selector,
            "",
            "",
            "yes",
            "",
            "yes",
        ],
    );
}

/// The IDs of the DKIM records in `dns/<DOMAIN>.conf`.
pub fn record_ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter(|record| RECORDS.contains(&record.value("RECORD")))
        .map(|record| record.value("ID").to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Removes the DKIM records from the user's zone, when there is one. Failures are ignored,
/// as in Hestia.
pub fn delete_records(call: &Call, user: &str, domain: &str) -> Result<(), CmdError> {
    let zone = call.user_path(&format!("dns/{domain}.conf"));
    if !hearth_sdk::fs::exists(&zone) {
        return Ok(());
    }
    for id in record_ids(&hearth_sdk::fs::read_list(&zone)?) {
        let _ = commands::run("v-delete-dns-record", &[user, domain, &id, "", "yes"]);
    }
    Ok(())
}
