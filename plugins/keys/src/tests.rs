//! Native tests: the commands run through `hearth_sdk::dispatch` against temporary data trees.
//!
//! `v-add-access-key` calls the host's `secrets` interface, which does not exist natively:
//! its validation runs through `dispatch` (it fails before anything is generated), and the
//! rest through `add::add_with` with a scripted generator and the host's hash function.

use std::collections::VecDeque;
use std::fs;
use std::path::Path;

use hearth_sdk::{Call, DataPaths};
use tempfile::TempDir;

use crate::COMMANDS;
use crate::add;

const ROOT: &str = "admin";
const ID_A: &str = "AAAAAAAAAAAAAAAAAAAA";
const ID_B: &str = "BBBBBBBBBBBBBBBBBBBB";
const ID_C: &str = "CCCCCCCCCCCCCCCCCCCC";
const ID_D: &str = "DDDDDDDDDDDDDDDDDDDD";
const NEW_ID: &str = "NewKey0123456789abcd";
const SECRET: &str = "Bi9ygDL99sOnqZTsgybi6lU8s6raUAqFnwU_9NYo";

/// A data root as the key commands see it: `/user` (the named user's directory), the
/// permission sets and four keys.
fn data_root() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("user")).unwrap();
    fs::write(root.join("user/user.conf"), "NAME='x'\nROLE='user'\n").unwrap();
    let api = root.join("data/api");
    fs::create_dir_all(&api).unwrap();
    fs::write(
        api.join("billing"),
        "ROLE='admin'\nCOMMANDS='v-add-user,v-list-users'\n",
    )
    .unwrap();
    fs::write(
        api.join("purge-nginx-cache"),
        "ROLE='user'\nCOMMANDS='v-purge-nginx-cache,v-list-web-domains,v-list-web-domain'\n",
    )
    .unwrap();
    fs::write(api.join("empty-set"), "ROLE='user'\n").unwrap();
    fs::write(api.join(".hidden"), "ROLE='user'\n").unwrap();
    fs::create_dir_all(api.join("subdir")).unwrap();
    let keys = root.join("data/access-keys");
    fs::create_dir_all(&keys).unwrap();
    // A hearth key of alice with a comment that needs escaping.
    fs::write(
        keys.join(ID_A),
        "SECRET_ACCESS_KEY_HASH='sha256:00ff'\nUSER='alice'\nPERMISSIONS='purge-nginx-cache,empty-set'\nCOMMENT='say \"hi\" \\ now'\nTIME='05:59:54'\nDATE='2026-11-22'\nEXPIRES_IN='2030-01-01 00:00:00'\nIP='192.0.2.1,2001:db8::1'\n",
    )
    .unwrap();
    // An unrestricted root key imported from Hestia, with its plaintext secret.
    fs::write(
        keys.join(ID_B),
        format!("SECRET_ACCESS_KEY='{SECRET}'\nUSER='admin'\nPERMISSIONS=''\nCOMMENT=''\nTIME='01:02:03'\nDATE='2024-01-02'\nEXPIRES_IN=''\nIP=''\n"),
    )
    .unwrap();
    // A key from before Hestia stored USER: it belongs to the root user.
    fs::write(
        keys.join(ID_C),
        "SECRET_ACCESS_KEY='x'\nPERMISSIONS='billing'\nCOMMENT='old key'\nTIME='00:00:00'\nDATE='2022-05-05'\n",
    )
    .unwrap();
    // Not keys: wrong names, a temporary file, a directory, a malformed file.
    fs::write(keys.join("short"), "USER='alice'\n").unwrap();
    fs::write(keys.join(format!("{ID_A}X")), "USER='alice'\n").unwrap();
    fs::write(keys.join(format!(".{ID_A}.tmp")), "USER='alice'\n").unwrap();
    fs::create_dir_all(keys.join(ID_D)).unwrap();
    fs::write(keys.join("EEEEEEEEEEEEEEEEEEEE"), "USER='alice\n").unwrap();
    dir
}

fn run(root: &Path, args: &[&str]) -> (u8, String) {
    hearth_sdk::run_under(COMMANDS, root, ROOT, args[0], &args[1..])
}

/// The host's `hash-token`: `sha256:<hex>`.
fn token_hash(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// Runs `v-add-access-key` with ids taken from `ids` and the secret [`SECRET`].
fn add(root: &Path, args: &[&str], ids: &[&str]) -> (u8, String) {
    let call = Call::new(
        "v-add-access-key".to_string(),
        args.iter().map(|a| a.to_string()).collect(),
        ROOT.to_string(),
    )
    .with_paths(DataPaths::under(root));
    let mut ids: VecDeque<String> = ids.iter().map(|id| id.to_string()).collect();
    let keygen = |length: u32, alphabet: &str| match length {
        40 => {
            assert_eq!(alphabet, hearth_sdk::secrets::SECRET);
            SECRET.to_string()
        }
        20 => {
            assert_eq!(alphabet, hearth_sdk::secrets::ALNUM);
            ids.pop_front().expect("no more ids")
        }
        other => panic!("unexpected token length {other}"),
    };
    match add::add_with(&call, keygen, token_hash) {
        Ok(output) => (0, output),
        Err(error) => (error.code.as_u8(), error.output),
    }
}

fn key_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join("data/access-keys"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

// ---------------------------------------------------------------- v-list-access-keys

#[test]
fn list_keys_json() {
    let dir = data_root();
    let (code, out) = run(dir.path(), &["v-list-access-keys", "", "json"]);
    assert_eq!(code, 0);
    let expected = format!(
        "{{\n    \"{ID_A}\": {{\"ACCESS_KEY_ID\": \"{ID_A}\", \"USER\": \"alice\", \"PERMISSIONS\": [\"purge-nginx-cache\", \"empty-set\"], \"COMMENT\": \"say \\\"hi\\\" \\\\ now\", \"TIME\": \"05:59:54\", \"DATE\": \"2026-11-22\", \"EXPIRES_IN\": \"2030-01-01 00:00:00\", \"IP\": \"192.0.2.1,2001:db8::1\"}},\n    \"{ID_B}\": {{\"ACCESS_KEY_ID\": \"{ID_B}\", \"USER\": \"admin\", \"PERMISSIONS\": [], \"COMMENT\": \"\", \"TIME\": \"01:02:03\", \"DATE\": \"2024-01-02\", \"EXPIRES_IN\": \"\", \"IP\": \"\"}},\n    \"{ID_C}\": {{\"ACCESS_KEY_ID\": \"{ID_C}\", \"USER\": \"admin\", \"PERMISSIONS\": [\"billing\"], \"COMMENT\": \"old key\", \"TIME\": \"00:00:00\", \"DATE\": \"2022-05-05\", \"EXPIRES_IN\": \"\", \"IP\": \"\"}}\n}}\n"
    );
    assert_eq!(out, expected);
    assert!(is_json(&out));
    assert!(!out.contains(SECRET) && !out.contains("sha256"));
}

#[test]
fn list_keys_of_one_user() {
    let dir = data_root();
    let (code, out) = run(dir.path(), &["v-list-access-keys", "alice", "json"]);
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!("{{\n    \"{ID_A}\": {{")));
    assert!(out.ends_with("}\n}\n"));
    assert!(!out.contains(ID_B) && !out.contains(ID_C));
    let (_, out) = run(dir.path(), &["v-list-access-keys", "admin", "json"]);
    assert!(out.contains(ID_B) && out.contains(ID_C) && !out.contains(ID_A));
    let (code, out) = run(dir.path(), &["v-list-access-keys", "nobody", "json"]);
    assert_eq!((code, out.as_str()), (0, "{}\n"));
}

#[test]
fn list_keys_shell() {
    let dir = data_root();
    let (code, out) = run(dir.path(), &["v-list-access-keys"]);
    assert_eq!(code, 0);
    let expected = format!(
        "ID                    USER    PERMISSIONS                  COMMENT         TIME      DATE\n\
         --                    ------  ----                         -----------     -------   ----        ----\n\
         {ID_A}  alice   purge-nginx-cache,empty-set  say \"hi\" \\ now  05:59:54  2026-11-22\n\
         {ID_B}  admin   -                            -               01:02:03  2024-01-02\n\
         {ID_C}  admin   billing                      old key         00:00:00  2022-05-05\n"
    );
    assert_eq!(out, expected);
    // An empty FORMAT is shell too (`${2:-shell}`); other formats print nothing.
    assert_eq!(run(dir.path(), &["v-list-access-keys", "", ""]).1, expected);
    assert_eq!(
        run(dir.path(), &["v-list-access-keys", "", "plain"]),
        (0, String::new())
    );
}

#[test]
fn list_keys_without_a_key_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(dir.path(), &["v-list-access-keys", "", "json"]),
        (0, "{}\n".to_string())
    );
    let (code, out) = run(dir.path(), &["v-list-access-keys"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "ID  USER    PERMISSIONS  COMMENT      TIME     DATE\n--  ------  ----         -----------  -------  ----  ----\n"
    );
}

// ---------------------------------------------------------------- v-list-access-key

#[test]
fn list_key_formats() {
    let dir = data_root();
    let (code, out) = run(dir.path(), &["v-list-access-key", ID_A, "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{{\n    \"ACCESS_KEY_ID\": \"{ID_A}\",\n    \"USER\": \"alice\",\n    \"PERMISSIONS\": [\"purge-nginx-cache\", \"empty-set\"],\n    \"COMMENT\": \"say \\\"hi\\\" \\\\ now\",\n    \"TIME\": \"05:59:54\",\n    \"DATE\": \"2026-11-22\",\n    \"EXPIRES_IN\": \"2030-01-01 00:00:00\",\n    \"IP\": \"192.0.2.1,2001:db8::1\"\n}}\n"
        )
    );
    assert!(is_json(&out));

    let (code, out) = run(dir.path(), &["v-list-access-key", ID_B]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "ACCESS_KEY_ID:      {ID_B}\nUSER:               admin\nPERMISSIONS:        \nCOMMENT:            \nTIME:               01:02:03\nDATE:               2024-01-02\nEXPIRES_IN:         \nIP:                 \n"
        )
    );
    assert!(!out.contains(SECRET));

    assert_eq!(
        run(dir.path(), &["v-list-access-key", ID_C, "plain"]),
        (
            0,
            format!("{ID_C}\tadmin\tbilling\told key\t00:00:00\t2022-05-05\t\t\n")
        )
    );
    assert_eq!(
        run(dir.path(), &["v-list-access-key", ID_B, "csv"]),
        (0, String::new())
    );
    assert_eq!(
        run(dir.path(), &["v-list-access-key", ID_B, ""]).1,
        run(dir.path(), &["v-list-access-key", ID_B, "shell"]).1
    );
}

#[test]
fn list_key_errors() {
    let dir = data_root();
    assert_eq!(
        run(dir.path(), &["v-list-access-key"]),
        (
            1,
            "Usage: v-list-access-key ACCESS_KEY_ID [FORMAT]".to_string()
        )
    );
    for bad in [
        "short",
        "../../../etc/passwd",
        "AAAAAAAAAAAAAAAAAAA$",
        "A b",
    ] {
        assert_eq!(
            run(dir.path(), &["v-list-access-key", bad]),
            (2, format!("Error: invalid access_key_id format :: {bad}"))
        );
    }
    for missing in ["ZZZZZZZZZZZZZZZZZZZZ", ID_D] {
        assert_eq!(
            run(dir.path(), &["v-list-access-key", missing, "json"]),
            (3, format!("Error: key {missing} doesn't exist"))
        );
    }
    assert_eq!(
        run(dir.path(), &["v-list-access-key", ""]),
        (3, "Error: key  doesn't exist".to_string())
    );
}

// ---------------------------------------------------------------- v-delete-access-key

#[test]
fn delete_key() {
    let dir = data_root();
    assert_eq!(
        run(dir.path(), &["v-delete-access-key", ID_A]),
        (0, String::new())
    );
    assert!(!dir.path().join("data/access-keys").join(ID_A).exists());
    assert_eq!(
        run(dir.path(), &["v-delete-access-key", ID_A]),
        (3, format!("Error: key {ID_A} doesn't exist"))
    );
    assert_eq!(
        run(dir.path(), &["v-delete-access-key", "bad/id"]),
        (
            2,
            "Error: invalid access_key_id format :: bad/id".to_string()
        )
    );
    assert_eq!(
        run(dir.path(), &["v-delete-access-key", ID_D]),
        (3, format!("Error: key {ID_D} doesn't exist"))
    );
    assert!(dir.path().join("data/access-keys").join(ID_D).is_dir());
    assert_eq!(
        run(dir.path(), &["v-delete-access-key"]),
        (1, "Usage: v-delete-access-key ACCESS_KEY_ID".to_string())
    );
}

#[cfg(unix)]
#[test]
fn delete_never_follows_a_symlink() {
    let dir = data_root();
    let target = dir.path().join("user/user.conf");
    let link = "LLLLLLLLLLLLLLLLLLLL";
    std::os::unix::fs::symlink(&target, dir.path().join("data/access-keys").join(link)).unwrap();
    assert_eq!(
        run(dir.path(), &["v-delete-access-key", link]),
        (3, format!("Error: key {link} doesn't exist"))
    );
    assert!(target.exists());
    assert!(!run(dir.path(), &["v-list-access-keys"]).1.contains(link));
}

// ---------------------------------------------------------------- v-list-apis, v-list-api

#[test]
fn list_apis_json_and_shell() {
    let dir = data_root();
    let (code, out) = run(dir.path(), &["v-list-apis", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\n    \"billing\": {\"COMMANDS\": [\"v-add-user\", \"v-list-users\"], \"ROLE\": \"admin\"},\n    \"empty-set\": {\"COMMANDS\": [], \"ROLE\": \"user\"},\n    \"purge-nginx-cache\": {\"COMMANDS\": [\"v-purge-nginx-cache\", \"v-list-web-domains\", \"v-list-web-domain\"], \"ROLE\": \"user\"}\n}\n"
    );
    assert!(is_json(&out));
    let (code, out) = run(dir.path(), &["v-list-apis"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "API                ROLE   COMMANDS\n\
         ---                ----   --------\n\
         billing            admin  v-add-user,v-list-users\n\
         empty-set          user\n\
         purge-nginx-cache  user   v-purge-nginx-cache,v-list-web-domains,v-list-web-domain\n"
    );
    assert_eq!(run(dir.path(), &["v-list-apis", "csv"]), (0, String::new()));
}

#[test]
fn list_apis_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(dir.path(), &["v-list-apis", "json"]),
        (0, "{\n\n}\n".to_string())
    );
    assert_eq!(
        run(dir.path(), &["v-list-apis", ""]),
        (0, "API  ROLE  COMMANDS\n---  ----  --------\n".to_string())
    );
}

#[test]
fn list_one_api() {
    let dir = data_root();
    assert_eq!(
        run(dir.path(), &["v-list-api", "billing", "json"]),
        (
            0,
            "{\n    \"API\": \"billing\",\n    \"ROLE\": \"admin\",\n    \"COMMANDS\": [\"v-add-user\", \"v-list-users\"]\n}\n"
                .to_string()
        )
    );
    assert_eq!(
        run(dir.path(), &["v-list-api", "empty-set"]),
        (
            0,
            "API:           empty-set\nROLE:          user\nCOMMANDS:      \n".to_string()
        )
    );
    for missing in ["nope", "", "../api/billing", ".hidden", "subdir"] {
        assert_eq!(
            run(dir.path(), &["v-list-api", missing]),
            (2, format!("Error: API {missing} doesn't exist"))
        );
    }
    assert_eq!(
        run(dir.path(), &["v-list-api"]),
        (1, "Usage: v-list-api API [FORMAT]".to_string())
    );
}

// ---------------------------------------------------------------- v-add-access-key

#[test]
fn add_validation_errors() {
    let dir = data_root();
    let cases: &[(&[&str], u8, &str)] = &[
        (
            &[],
            1,
            "Usage: v-add-access-key USER [PERMISSIONS] [COMMENT] [FORMAT] [EXPIRES_IN] [IP]",
        ),
        (&[""], 2, "Error: invalid user format :: "),
        (&["al/ice"], 2, "Error: invalid user format :: al/ice"),
        (
            &["alice", "purge-nginx-cache", "x"],
            2,
            "Error: invalid comment format :: x",
        ),
        (
            &["alice", "purge-nginx-cache", "it's"],
            2,
            "Error: invalid comment format :: it's",
        ),
        (
            &["alice", "purge-nginx-cache", "ok", "xml"],
            2,
            "Error: xml type is invalid",
        ),
        (
            &["alice", "purge-nginx-cache", "", "", "0"],
            2,
            "Error: invalid expires_in format :: 0",
        ),
        (
            &["alice", "purge-nginx-cache", "", "", "2001-01-01"],
            2,
            "Error: invalid expires_in format :: 2001-01-01",
        ),
        (
            &["alice", "purge-nginx-cache", "", "", "", "1.2.3"],
            2,
            "Error: invalid IP format :: 1.2.3",
        ),
        (
            &["alice"],
            2,
            "Error: Non-admin users need a permission list",
        ),
        (
            &["alice", "*"],
            2,
            "Error: Non-admin users need a permission list",
        ),
        (
            &["alice", " , "],
            2,
            "Error: Non-admin users need a permission list",
        ),
        (
            &["alice", "purge-nginx-cache,nope"],
            3,
            "Error: API nope doesn't exist",
        ),
        (&["alice", ".hidden"], 3, "Error: API .hidden doesn't exist"),
        (&["alice", "subdir"], 3, "Error: API subdir doesn't exist"),
        (&["alice", "../api/.."], 3, "Error: API .. doesn't exist"),
        (
            &["alice", "purge-nginx-cache,billing"],
            2,
            "Error: Only the admin can run this API",
        ),
        (&["admin", "nope"], 3, "Error: API nope doesn't exist"),
    ];
    for (args, code, output) in cases {
        let mut full = vec!["v-add-access-key"];
        full.extend_from_slice(args);
        assert_eq!(
            run(dir.path(), &full),
            (*code, output.to_string()),
            "{args:?}"
        );
    }
    // The user must exist: its `/user/user.conf` is mounted only when it does.
    fs::remove_file(dir.path().join("user/user.conf")).unwrap();
    assert_eq!(
        run(
            dir.path(),
            &["v-add-access-key", "ghost", "purge-nginx-cache"]
        ),
        (3, "Error: user ghost doesn't exist".to_string())
    );
    assert_eq!(key_names(dir.path()).len(), 8, "nothing was written");
}

#[test]
fn add_stores_only_the_hash() {
    let dir = data_root();
    let (code, out) = add(
        dir.path(),
        &[
            "alice",
            " purge-nginx-cache, /usr/local/hestia/data/api/empty-set ,purge-nginx-cache",
            "my key",
            "json",
            "2040-06-01",
            "192.0.2.7, 2001:DB8::7",
        ],
        &[NEW_ID],
    );
    assert_eq!(code, 0, "{out}");
    let text = fs::read_to_string(dir.path().join("data/access-keys").join(NEW_ID)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8);
    assert_eq!(
        lines[0],
        format!("SECRET_ACCESS_KEY_HASH='{}'", token_hash(SECRET))
    );
    assert_eq!(lines[1], "USER='alice'");
    assert_eq!(lines[2], "PERMISSIONS='purge-nginx-cache,empty-set'");
    assert_eq!(lines[3], "COMMENT='my key'");
    assert!(lines[4].starts_with("TIME='") && lines[4].len() == "TIME='00:00:00'".len());
    assert!(lines[5].starts_with("DATE='") && lines[5].len() == "DATE='2000-01-01'".len());
    assert_eq!(lines[6], "EXPIRES_IN='2040-06-01'");
    assert_eq!(lines[7], "IP='192.0.2.7,2001:db8::7'");
    assert!(!text.contains(SECRET));

    let record = hearth_sdk::conf::parse_source(&text).unwrap();
    let (time, date) = (record.value("TIME"), record.value("DATE"));
    assert_eq!(
        out,
        format!(
            "{{\n    \"ACCESS_KEY_ID\": \"{NEW_ID}\",\n    \"SECRET_ACCESS_KEY\": \"{SECRET}\",\n    \"USER\": \"alice\",\n    \"PERMISSIONS\": [\"purge-nginx-cache\", \"empty-set\"],\n    \"COMMENT\": \"my key\",\n    \"TIME\": \"{time}\",\n    \"DATE\": \"{date}\",\n    \"EXPIRES_IN\": \"2040-06-01\",\n    \"IP\": \"192.0.2.7,2001:db8::7\"\n}}\n"
        )
    );
    assert!(is_json(&out));

    // Listing it afterwards never shows the secret.
    let (_, listed) = run(dir.path(), &["v-list-access-key", NEW_ID, "json"]);
    assert!(!listed.contains(SECRET) && !listed.contains("sha256"));
    assert!(listed.contains("\"EXPIRES_IN\": \"2040-06-01\""));
}

#[test]
fn add_formats() {
    let dir = data_root();
    // The root user may have an unrestricted key, and admin-role sets.
    assert_eq!(
        add(
            dir.path(),
            &["admin", "", "", "plain"],
            &["Plain000000000000000"]
        ),
        (0, format!("Plain000000000000000:{SECRET}\n"))
    );
    let text =
        fs::read_to_string(dir.path().join("data/access-keys/Plain000000000000000")).unwrap();
    assert!(text.contains("USER='admin'\nPERMISSIONS=''\nCOMMENT=''\n"));
    assert!(text.ends_with("EXPIRES_IN=''\nIP=''\n"));

    let (code, out) = add(dir.path(), &["admin", "billing"], &["Shell000000000000000"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ACCESS_KEY_ID:      Shell000000000000000");
    assert_eq!(lines[1], format!("SECRET_ACCESS_KEY:  {SECRET}"));
    assert_eq!(lines[2], "USER:               admin");
    assert_eq!(lines[3], "PERMISSIONS:        billing");
    assert_eq!(lines[4], "COMMENT:            ");
    assert!(lines[5].starts_with("TIME:               "));
    assert!(lines[6].starts_with("DATE:               "));
    assert_eq!(lines[7], "EXPIRES_IN:         ");
    assert_eq!(lines[8], "IP:                 ");
    assert_eq!(lines.len(), 9);

    // An explicitly empty FORMAT is shell; csv is refused before a key is made.
    let (code, out) = add(
        dir.path(),
        &["admin", "*", "", ""],
        &["Empty000000000000000"],
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("ACCESS_KEY_ID:      Empty000000000000000\nSECRET_ACCESS_KEY:  "));
    assert_eq!(
        add(
            dir.path(),
            &["admin", "", "", "csv"],
            &["Csv00000000000000000"]
        ),
        (2, "Error: csv type is invalid".to_string())
    );
    assert!(
        !dir.path()
            .join("data/access-keys/Csv00000000000000000")
            .exists()
    );
}

#[test]
fn add_expiry_in_days() {
    let dir = data_root();
    let (code, _) = add(
        dir.path(),
        &["alice", "purge-nginx-cache", "", "json", "30"],
        &[NEW_ID],
    );
    assert_eq!(code, 0);
    let record =
        hearth_sdk::fs::read_source(&dir.path().join("data/access-keys").join(NEW_ID)).unwrap();
    let expires = record.value("EXPIRES_IN");
    assert_eq!(expires.len(), "2000-01-01 00:00:00".len());
    assert!(expires > record.value("DATE"));
}

#[test]
fn add_rerolls_taken_ids() {
    let dir = data_root();
    let (code, out) = add(
        dir.path(),
        &["admin", "", "", "plain"],
        // Taken by a key, taken by a directory, not an id at all, then fresh.
        &[ID_A, ID_D, "short", NEW_ID],
    );
    assert_eq!((code, out), (0, format!("{NEW_ID}:{SECRET}\n")));
    let old = fs::read_to_string(dir.path().join("data/access-keys").join(ID_A)).unwrap();
    assert!(
        old.contains("USER='alice'"),
        "an existing key is never overwritten"
    );
}

#[test]
fn add_gives_up_after_many_collisions() {
    let dir = data_root();
    let ids = vec![ID_A; 16];
    assert_eq!(
        add(dir.path(), &["admin"], &ids),
        (4, "Error: could not generate a new access key".to_string())
    );
}

#[test]
fn add_creates_the_key_directory() {
    let dir = data_root();
    fs::remove_dir_all(dir.path().join("data/access-keys")).unwrap();
    assert_eq!(add(dir.path(), &["admin"], &[NEW_ID]).0, 0);
    assert_eq!(key_names(dir.path()), vec![NEW_ID.to_string()]);
}

#[test]
fn unknown_command() {
    let dir = data_root();
    assert_eq!(
        run(dir.path(), &["v-list-users"]),
        (10, "Error: Command v-list-users not found".to_string())
    );
}
