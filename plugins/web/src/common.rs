//! What the web commands share: Hestia's object checks on `web.conf`, alias lists, counters,
//! history entries and the paths of a domain's files in the user's home.

use std::io;
use std::path::Path;

use hearth_sdk::conf::Record;
use hearth_sdk::names::Kind;
use hearth_sdk::{Call, CmdError, ReturnCode, hosting, validate};

/// The user's web domains file.
pub const WEB_CONF: &str = "web.conf";

/// The history category of every web command.
pub const CATEGORY: &str = "Web";

/// The directories `v-add-web-domain` creates below `<HOME>/web/<DOMAIN>/`.
pub const WEB_DIRS: &[&str] = &[
    "public_html",
    "document_errors",
    "cgi-bin",
    "private",
    "stats",
    "logs",
];

/// Hestia's default `PROXY_EXT` (used only when a proxy system is configured).
pub const DEFAULT_PROXY_EXT: &str = "jpeg,jpg,png,gif,bmp,ico,svg,tif,tiff,css,js,htm,html,ttf,otf,webp,woff,txt,csv,rtf,doc,docx,xls,xlsx,ppt,pptx,odf,odp,ods,odt,pdf,psd,ai,eot,eps,ps,zip,tar,tgz,gz,rar,bz2,7z,aac,m4a,mp3,mp4,ogg,wav,wma,3gp,avi,flv,m4v,mkv,mov,mpeg,mpg,wmv,exe,iso,dmg,swf,woff2";

/// The user's `web.conf` lines.
pub fn load_domains(call: &Call) -> Result<Vec<Record>, CmdError> {
    hearth_sdk::fs::read_list(&call.user_path(WEB_CONF))
}

/// Writes `web.conf`.
pub fn save_domains(call: &Call, domains: &[Record]) -> Result<(), CmdError> {
    hearth_sdk::fs::write_list(&call.user_path(WEB_CONF), domains)
}

/// `is_object_valid 'web' 'DOMAIN'`: the index of the domain's line, or
/// `Error: web domain X doesn't exist` (3). A domain stored in its Unicode form is also found
/// by its punycode name and the other way round.
pub fn find_domain(domains: &[Record], domain: &str) -> Result<usize, CmdError> {
    let exact = domains
        .iter()
        .position(|record| record.value("DOMAIN") == domain);
    exact
        .or_else(|| {
            let wanted = hosting::registry_name(domain);
            domains
                .iter()
                .position(|record| hosting::registry_name(record.value("DOMAIN")) == wanted)
        })
        .ok_or_else(|| CmdError::not_exist("web domain", domain))
}

/// `is_object_unsuspended 'web' 'DOMAIN'`: `Error: web X is suspended` (5).
pub fn domain_unsuspended(record: &Record, domain: &str) -> Result<(), CmdError> {
    if record.value("SUSPENDED") == "yes" {
        return Err(CmdError::new(
            ReturnCode::Suspended,
            format!("web {domain} is suspended"),
        ));
    }
    Ok(())
}

/// `is_object_suspended 'web' 'DOMAIN'`: `Error: web X is not suspended` (6).
pub fn domain_suspended(record: &Record, domain: &str) -> Result<(), CmdError> {
    if record.value("SUSPENDED") != "yes" {
        return Err(CmdError::new(
            ReturnCode::Unsuspended,
            format!("web {domain} is not suspended"),
        ));
    }
    Ok(())
}

/// The aliases of a `web.conf` line (`ALIAS`, comma-separated).
pub fn aliases(record: &Record) -> Vec<String> {
    split_list(record.value("ALIAS"))
}

/// The non-empty items of a comma-separated list.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// Hestia's `format_aliases`: lower-cased, leading and trailing dots removed, repeated dots
/// squeezed, empty items dropped, sorted and de-duplicated (`sort -u`). `none` is kept as is.
pub fn format_aliases(raw: &str) -> Vec<String> {
    if raw.trim() == "none" {
        return vec!["none".to_string()];
    }
    let mut out: Vec<String> = raw
        .split(',')
        .map(|alias| {
            let mut alias = alias.trim().to_lowercase();
            while alias.contains("..") {
                alias = alias.replace("..", ".");
            }
            alias.trim_matches('.').to_string()
        })
        .filter(|alias| !alias.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Hestia's `is_alias_format_valid` for each item: none of `!@#$^&()+={}:<>?_/\"';%`` ` or
/// blanks, and `*` only as a leading `*.` label; each item must also be a valid domain once
/// that wildcard is removed. `Error: invalid alias format :: X` (2).
pub fn alias_format(aliases: &[String]) -> Result<(), CmdError> {
    const FORBIDDEN: &str = "!|@#$^&()+={}:<>?_/\\\"';%`[]";
    for alias in aliases {
        if alias == "none" {
            continue;
        }
        let bare = alias.strip_prefix("*.").unwrap_or(alias);
        let bad = alias
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c))
            || bare.contains('*')
            || validate::domain(bare).is_err();
        if bad {
            return Err(CmdError::new(
                ReturnCode::Invalid,
                format!("invalid alias format :: {alias}"),
            ));
        }
    }
    Ok(())
}

/// `is_format_valid 'proxy_ext'`: letters, digits and `,._-~` only.
pub fn proxy_ext_format(value: &str) -> Result<(), CmdError> {
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ',' | '.' | '_' | '-' | '~'));
    if ok {
        Ok(())
    } else {
        Err(CmdError::new(
            ReturnCode::Invalid,
            format!("invalid proxy_ext format :: {value}"),
        ))
    }
}

/// Hestia's `is_package_full 'WEB_ALIASES'`: the limit is per domain, `used` counts the
/// aliases the domain already has.
pub fn aliases_allowed(user: &Record, used: usize) -> Result<(), CmdError> {
    hosting::package_allows(user, "WEB_ALIASES", Some(used as u64))
}

/// Claims every alias as a web alias of the invocation's USER and applies the subdomain
/// ownership rule to it (`is_domain_new 'web'` + `is_base_domain_owner`).
pub fn claim_aliases(aliases: &[String]) -> Result<(), CmdError> {
    for alias in aliases {
        hosting::claim_name(alias, Kind::WebAlias)?;
    }
    Ok(())
}

/// Gives up the registry entries of a deleted domain's aliases.
pub fn release_aliases(aliases: &[String]) {
    for alias in aliases {
        hearth_sdk::names::release(&hosting::registry_name(alias), Kind::WebAlias);
    }
}

/// Changes a counter in the caller's `user.conf`.
pub fn bump(call: &Call, key: &str, delta: i64) -> Result<(), CmdError> {
    if delta == 0 {
        return Ok(());
    }
    hosting::bump_counter(&call.user_path("user.conf"), key, delta)
}

/// `v-log-action USER Info Web MESSAGE`.
pub fn history(call: &Call, message: &str) -> Result<(), CmdError> {
    hosting::log_history(&call.user_path("history.log"), "Info", CATEGORY, message)
}

/// `is_dir_symlink`: a symlinked directory in the user's home is refused (10).
pub fn refuse_symlink(path: &Path, shown: &str) -> Result<(), CmdError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(CmdError::new(
            ReturnCode::Forbidden,
            format!("{shown} should not be a symlink"),
        )),
        _ => Ok(()),
    }
}

/// Creates a directory and its parents.
pub fn ensure_dir(path: &Path) -> Result<(), CmdError> {
    std::fs::create_dir_all(path)?;
    Ok(())
}

/// Removes a directory tree; a missing one is fine.
pub fn remove_tree(path: &Path) -> Result<(), CmdError> {
    match std::fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
        Ok(meta) if meta.is_dir() => Ok(std::fs::remove_dir_all(path)?),
        Ok(_) => Ok(std::fs::remove_file(path)?),
    }
}

/// Removes everything inside a directory and keeps the directory; a missing one is fine.
pub fn empty_dir(path: &Path) -> Result<(), CmdError> {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    for entry in entries {
        remove_tree(&entry?.path())?;
    }
    Ok(())
}

/// The current date and time as Hestia writes them: (`YYYY-MM-DD`, `HH:MM:SS`).
pub fn now() -> (String, String) {
    hearth_sdk::render::now_date_time()
}
