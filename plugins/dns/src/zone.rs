//! The BIND side: SOA serials (`YYYYMMDDNN`) and the zone file Hestia's `update_domain_zone`
//! writes to `<HOME>/conf/dns/<DOMAIN>.db`.

use std::borrow::Cow;

use hearth_sdk::conf::Record;
use hearth_sdk::{Call, CmdError, hosting};

use crate::common;

/// The zone TTL when `dns.conf` has none.
pub const DEFAULT_TTL: &str = "14400";

/// TXT character-strings are at most 255 bytes.
const TXT_CHUNK: usize = 255;

/// Hestia's `update_domain_serial`: today's date with the next two-digit counter when the
/// current serial is from today, otherwise `<today>01`. Unlike Hestia the result always
/// increases (a serial from the future or a counter past 99 just goes up by one), so
/// secondaries never miss a change.
pub fn next_serial(current: &str, today: &str) -> String {
    let hestia = match current.strip_prefix(today) {
        Some(counter) if !counter.is_empty() => match counter.parse::<u64>() {
            Ok(n) => format!("{today}{:02}", n + 1),
            Err(_) => format!("{today}01"),
        },
        _ => format!("{today}01"),
    };
    match (current.parse::<u64>(), hestia.parse::<u64>()) {
        (Ok(old), Ok(new)) if new <= old || hestia.len() > 10 => (old + 1).to_string(),
        _ => hestia,
    }
}

/// Today as `YYYYMMDD`.
pub fn today() -> String {
    common::now().0.replace('-', "")
}

/// Bumps the `SERIAL` of a `dns.conf` line (inserting the key before `RECORDS` when missing).
pub fn bump_serial(domain: &mut Record) {
    let serial = next_serial(domain.value("SERIAL"), &today());
    hosting::set_before(domain, "SERIAL", &serial, "RECORDS");
}

/// The ASCII form of a host name, keeping a trailing dot (borrowed when it is ASCII).
fn ascii_host(name: &str) -> Cow<'_, str> {
    if name.is_ascii() {
        return Cow::Borrowed(name);
    }
    let (body, dot) = match name.strip_suffix('.') {
        Some(body) => (body, "."),
        None => (name, ""),
    };
    match hosting::domain_idn(body) {
        Ok(ascii) => Cow::Owned(format!("{ascii}{dot}")),
        Err(_) => Cow::Borrowed(name),
    }
}

/// A record value as it goes into the zone (borrowed when the zone takes it as it is, as
/// it does most A and AAAA values).
fn zone_value<'a>(rtype: &str, value: &'a str) -> Cow<'a, str> {
    let value = if value.as_bytes().contains(&b'%') {
        Cow::Owned(value.replace("%quote%", "'"))
    } else {
        Cow::Borrowed(value)
    };
    match rtype {
        "NS" | "CNAME" | "MX" | "PTR" => match ascii_host(&value) {
            Cow::Borrowed(_) => value,
            Cow::Owned(ascii) => Cow::Owned(ascii),
        },
        "SRV" => {
            let mut fields: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            if let Some(target) = fields.last_mut() {
                *target = ascii_host(target).into_owned();
            }
            Cow::Owned(fields.join(" "))
        }
        "TXT" | "SPF" => Cow::Owned(txt_value(&value)),
        _ => value,
    }
}

/// TXT data as character-strings: a bare value is quoted, and data longer than 255 bytes is
/// cut into 255-byte strings written back to back (`"…""…"`, Hestia's `fold -w 255`), unless
/// it is already split.
fn txt_value(value: &str) -> String {
    let already_split = value.contains("\" \"") || value.contains("\"\"");
    let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
    if already_split || (quoted && value.len() <= TXT_CHUNK + 2) {
        return value.to_string();
    }
    let data = if quoted {
        &value[1..value.len() - 1]
    } else {
        value
    };
    let escaped;
    let data = if quoted {
        data
    } else {
        escaped = data.replace('"', "\\\"");
        escaped.as_str()
    };
    let mut chunks = Vec::new();
    let mut rest = data;
    while rest.len() > TXT_CHUNK {
        let mut cut = TXT_CHUNK;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        // Never leave an escaping backslash at the end of a string.
        let trailing = rest[..cut]
            .bytes()
            .rev()
            .take_while(|&b| b == b'\\')
            .count();
        if trailing % 2 == 1 {
            cut -= 1;
        }
        chunks.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    chunks.push(rest);
    chunks.iter().map(|chunk| format!("\"{chunk}\"")).collect()
}

/// The zone file of a domain: Hestia's SOA block, then one line per active record.
pub fn render(domain: &Record, records: &[Record]) -> String {
    let name = domain.value("DOMAIN");
    let domain_idn = hosting::registry_name(name);
    let zone_ttl = match domain.value("TTL") {
        "" => DEFAULT_TTL,
        ttl => ttl,
    };
    let soa = ascii_host(domain.value("SOA"));
    let serial = match domain.value("SERIAL") {
        "" => format!("{}01", today()),
        serial => serial.to_string(),
    };
    let tld = domain_idn.rsplit('.').next().unwrap_or("");
    let retry = if matches!(tld, "de" | "cz" | "pl" | "pt") {
        "1800"
    } else {
        "3600"
    };
    let pad = " ".repeat(44);
    let mut out = format!(
        "$TTL {zone_ttl}\n@    IN    SOA    {soa}.    root.{domain_idn}. (\n\
         {pad}{serial}\n{pad}7200\n{pad}{retry}\n{pad}1209600\n{pad}180 )\n\n"
    );
    for record in records {
        // Asked in the order of the record's line, which `Record` finds fastest.
        let name = record.value("RECORD");
        let rtype = record.value("TYPE");
        let priority = record.value("PRIORITY");
        let value = record.value("VALUE");
        if record.value("SUSPENDED") == "yes" {
            continue;
        }
        let ttl = match record.value("TTL") {
            "" => zone_ttl,
            ttl => ttl,
        };
        for (part, separator) in [
            (&*ascii_host(name), '\t'),
            (ttl, '\t'),
            ("IN", '\t'),
            (rtype, '\t'),
            (priority, '\t'),
            (&*zone_value(rtype, value), '\n'),
        ] {
            out.push_str(part);
            out.push(separator);
        }
    }
    out
}

/// Writes the zone file of `domain` into the user's home (`conf/dns/<DOMAIN>.db`).
pub fn write(call: &Call, user: &str, domain: &Record, records: &[Record]) -> Result<(), CmdError> {
    common::ensure_dir(&call.home_path(user, "conf/dns"))?;
    let path = call.home_path(user, &format!("conf/dns/{}.db", domain.value("DOMAIN")));
    hearth_sdk::fs::write_atomic(&path, render(domain, records).as_bytes())
}

/// Removes the zone file of `domain` (missing is fine).
pub fn remove(call: &Call, user: &str, domain: &str) -> Result<(), CmdError> {
    let path = call.home_path(user, &format!("conf/dns/{domain}.db"));
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_follow_hestia_and_always_increase() {
        assert_eq!(next_serial("2024050101", "20240501"), "2024050102");
        assert_eq!(next_serial("2024050109", "20240501"), "2024050110");
        assert_eq!(next_serial("2024043005", "20240501"), "2024050101");
        assert_eq!(next_serial("", "20240501"), "2024050101");
        assert_eq!(next_serial("2024050199", "20240501"), "2024050200");
        assert_eq!(next_serial("2030010101", "20240501"), "2030010102");
    }

    fn record(pairs: &[(&str, &str)]) -> Record {
        Record::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn renders_hestia_zone() {
        let domain = record(&[
            ("DOMAIN", "example.de"),
            ("TTL", "14400"),
            ("SOA", "ns1.example.net"),
            ("SERIAL", "2024050101"),
        ]);
        let records = vec![
            record(&[
                ("ID", "1"),
                ("RECORD", "@"),
                ("TYPE", "NS"),
                ("PRIORITY", ""),
                ("VALUE", "ns1.example.net."),
                ("SUSPENDED", "no"),
            ]),
            record(&[
                ("ID", "2"),
                ("RECORD", "www"),
                ("TYPE", "A"),
                ("PRIORITY", ""),
                ("VALUE", "192.0.2.1"),
                ("SUSPENDED", "yes"),
            ]),
            record(&[
                ("ID", "3"),
                ("RECORD", "@"),
                ("TYPE", "TXT"),
                ("PRIORITY", ""),
                ("VALUE", "it%quote%s"),
                ("SUSPENDED", "no"),
                ("TTL", "60"),
            ]),
        ];
        let pad = " ".repeat(44);
        assert_eq!(
            render(&domain, &records),
            format!(
                "$TTL 14400\n@    IN    SOA    ns1.example.net.    root.example.de. (\n\
                 {pad}2024050101\n{pad}7200\n{pad}1800\n{pad}1209600\n{pad}180 )\n\n\
                 @\t14400\tIN\tNS\t\tns1.example.net.\n\
                 @\t60\tIN\tTXT\t\t\"it's\"\n"
            )
        );
    }

    #[test]
    fn idn_zones_use_punycode() {
        let domain = record(&[("DOMAIN", "bücher.example"), ("SOA", "ns1.bücher.example")]);
        let records = vec![record(&[
            ("RECORD", "www"),
            ("TYPE", "CNAME"),
            ("VALUE", "bücher.example."),
        ])];
        let zone = render(&domain, &records);
        assert!(
            zone.contains("SOA    ns1.xn--bcher-kva.example.    root.xn--bcher-kva.example. (")
        );
        assert!(zone.contains("www\t14400\tIN\tCNAME\t\txn--bcher-kva.example.\n"));
    }

    #[test]
    fn long_txt_is_split() {
        let long = format!("\"{}\"", "a".repeat(300));
        let zone = txt_value(&long);
        assert_eq!(
            zone,
            format!("\"{}\"\"{}\"", "a".repeat(255), "a".repeat(45))
        );
        assert_eq!(txt_value("\"short one\""), "\"short one\"");
        assert_eq!(txt_value("bare"), "\"bare\"");
        assert_eq!(txt_value("\"a\" \"b\""), "\"a\" \"b\"");
        let escaped = format!("{}\\\\x", "b".repeat(254));
        let split = txt_value(&escaped);
        assert!(
            split.starts_with(&format!("\"{}\"\"", "b".repeat(254))),
            "{split}"
        );
    }
}
