//! `v-generate-api-key` and `v-revoke-api-key`: the legacy API keys in `data/keys`.
//!
//! Deliberately better than Hestia, which keeps each key as an empty file named by the key
//! itself: hearth prints a new key once and stores only its hash, as an empty file
//! `data/keys/<sha256 hex>.sha256`. Plaintext key files imported from Hestia still work and can
//! still be revoked. Nothing here ever follows a symlink or takes a path from an argument.

use std::fs;
use std::io;
use std::path::Path;

use hearth_sdk::{Call, CmdError, CmdResult, ReturnCode, validate};

use crate::not_found;

/// The legacy key directory, relative to the data root.
const KEYS_DIR: &str = "data/keys";
/// The suffix of a hashed key file.
const HASHED_SUFFIX: &str = ".sha256";
/// Hestia's key length.
const KEY_LENGTH: u32 = 32;
/// Fresh keys tried before giving up; with a CSPRNG the first one is always new.
const ATTEMPTS: usize = 16;

/// `v-generate-api-key`: prints a new 32-character key.
pub fn generate_api_key(call: &Call) -> CmdResult {
    use hearth_sdk::secrets::{LEGACY_KEY, random_token};
    generate_with(call, || random_token(KEY_LENGTH, LEGACY_KEY))
}

/// Stores the first key from `keygen` that is neither a stored hash nor a plaintext key file.
fn generate_with(call: &Call, mut keygen: impl FnMut() -> String) -> CmdResult {
    let dir = call.system_path(KEYS_DIR);
    fs::create_dir_all(&dir)?;
    for _ in 0..ATTEMPTS {
        let key = keygen();
        if hearth_sdk::fs::exists(&dir.join(&key)) {
            continue;
        }
        let hashed = dir.join(hashed_file_name(&key)?);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&hashed)
        {
            Ok(_) => return Ok(format!("{key}\n")),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(CmdError::new(
        ReturnCode::Exists,
        "could not generate a new API key",
    ))
}

/// `v-revoke-api-key HASH`: removes the key HASH, whether stored hashed or (imported from
/// Hestia) in plaintext. HASH may also be the hex name of a hashed file, so a key whose
/// plaintext is lost can still be revoked. Like Hestia, a missing key is code 3 and prints
/// nothing.
pub fn revoke_api_key(call: &Call) -> CmdResult {
    let key = call.arg(1);
    // Hestia's is_format_valid skips an empty value; its `rm` then fails on the directory.
    if !key.is_empty() {
        validate::hash(key)?;
    }
    let missing = || CmdError::raw(ReturnCode::NotExist, "");
    if key.is_empty() || key.contains('/') || key.starts_with('.') {
        return Err(missing());
    }
    let dir = call.system_path(KEYS_DIR);
    if !fs::symlink_metadata(&dir).is_ok_and(|meta| meta.is_dir()) {
        return Err(missing());
    }
    let mut candidates = vec![hashed_file_name(key)?, key.to_string()];
    if is_sha256_hex(key) {
        candidates.push(format!("{key}{HASHED_SUFFIX}"));
    }
    for name in candidates {
        if remove_regular_file(&dir.join(name))? {
            return Ok(String::new());
        }
    }
    Err(missing())
}

/// `<sha256 hex>.sha256` for a key, from the host's token hash (`sha256:<hex>`).
fn hashed_file_name(key: &str) -> Result<String, CmdError> {
    let stored = token_hash(key);
    match stored.strip_prefix("sha256:") {
        Some(hex) if is_sha256_hex(hex) => Ok(format!("{hex}{HASHED_SUFFIX}")),
        _ => Err(CmdError::new(
            ReturnCode::Parsing,
            format!("unexpected token hash format: {stored}"),
        )),
    }
}

/// Whether `value` is 64 lower-case hex digits.
fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Deletes `path` if it is a regular file (never through a symlink); whether it did.
fn remove_regular_file(path: &Path) -> Result<bool, CmdError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => {
            fs::remove_file(path)?;
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(error) if not_found(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// The storage form of a key: the host's `hash-token`.
#[cfg(not(test))]
fn token_hash(key: &str) -> String {
    hearth_sdk::secrets::hash_token(key)
}

/// Native tests cannot reach the host; this is what its `hash-token` computes.
#[cfg(test)]
fn token_hash(key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hearth_sdk::{Call, DataPaths};

    use crate::test_support::*;

    /// sha256("abc"), the host's own test vector.
    const ABC_HEX: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn keys(root: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(root.join("data/keys"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn generate(root: &Path, keys: &[&str]) -> (u8, String) {
        let call = Call::new("v-generate-api-key".into(), vec![], "admin".into())
            .with_paths(DataPaths::under(root));
        let mut keys = keys.iter();
        match super::generate_with(&call, || keys.next().unwrap().to_string()) {
            Ok(output) => (0, output),
            Err(error) => (error.code.as_u8(), error.output),
        }
    }

    #[test]
    fn hash_matches_the_host() {
        assert_eq!(super::token_hash("abc"), format!("sha256:{ABC_HEX}"));
    }

    #[test]
    fn generate_stores_only_the_hash() {
        let root = data_root("");
        assert_eq!(generate(root.path(), &["abc"]), (0, "abc\n".to_string()));
        assert_eq!(keys(root.path()), vec![format!("{ABC_HEX}.sha256")]);
        let file = root.path().join(format!("data/keys/{ABC_HEX}.sha256"));
        assert_eq!(std::fs::read(file).unwrap(), b"");
    }

    #[test]
    fn generate_retries_on_collision() {
        let root = data_root("");
        std::fs::write(root.path().join("data/keys/legacy"), "").unwrap();
        generate(root.path(), &["abc"]);
        // A stored hash and a plaintext key file both count as taken.
        assert_eq!(
            generate(root.path(), &["abc", "legacy", "fresh"]),
            (0, "fresh\n".to_string())
        );
        assert_eq!(keys(root.path()).len(), 3);
        let stuck = vec!["abc"; super::ATTEMPTS];
        assert_eq!(generate(root.path(), &stuck).0, 4);
    }

    #[test]
    fn generate_creates_the_directory() {
        let root = data_root("");
        std::fs::remove_dir(root.path().join("data/keys")).unwrap();
        assert_eq!(generate(root.path(), &["abc"]).0, 0);
        assert_eq!(keys(root.path()).len(), 1);
    }

    #[test]
    fn revoke_a_hashed_key() {
        let root = data_root("");
        std::fs::write(root.path().join(format!("data/keys/{ABC_HEX}.sha256")), "").unwrap();
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &["abc"]),
            (0, String::new())
        );
        assert!(keys(root.path()).is_empty());
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &["abc"]),
            (3, String::new())
        );
    }

    #[test]
    fn revoke_by_hash_name() {
        let root = data_root("");
        std::fs::write(root.path().join(format!("data/keys/{ABC_HEX}.sha256")), "").unwrap();
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &[ABC_HEX]),
            (0, String::new())
        );
        assert!(keys(root.path()).is_empty());
    }

    #[test]
    fn revoke_an_imported_plaintext_key() {
        let root = data_root("");
        let key = "Pc8czGPRECp3GxTNMr3LF6zWc8cj-_Ab";
        std::fs::write(root.path().join("data/keys").join(key), "").unwrap();
        std::fs::write(root.path().join("data/keys/other"), "").unwrap();
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &[key]),
            (0, String::new())
        );
        assert_eq!(keys(root.path()), vec!["other".to_string()]);
    }

    #[test]
    fn revoke_refuses_bad_names() {
        let root = data_root("");
        for bad in ["../conf", "a/b", ".hidden", "a b", "x.sha256"] {
            assert_eq!(
                run(root.path(), "v-revoke-api-key", &[bad]),
                (2, format!("Error: invalid hash format :: {bad}"))
            );
        }
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &[""]),
            (3, String::new())
        );
    }

    #[test]
    fn revoke_never_touches_directories_or_symlinks() {
        let root = data_root("");
        std::fs::create_dir(root.path().join("data/keys/dir")).unwrap();
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &["dir"]),
            (3, String::new())
        );
        #[cfg(unix)]
        {
            let target = root.path().join("conf/hestia.conf");
            std::os::unix::fs::symlink(&target, root.path().join("data/keys/link")).unwrap();
            assert_eq!(
                run(root.path(), "v-revoke-api-key", &["link"]),
                (3, String::new())
            );
            assert!(target.exists());
        }
        assert_eq!(keys(root.path()).len(), if cfg!(unix) { 2 } else { 1 });
    }

    #[test]
    fn revoke_without_a_key_directory() {
        let root = data_root("");
        std::fs::remove_dir(root.path().join("data/keys")).unwrap();
        assert_eq!(
            run(root.path(), "v-revoke-api-key", &["abc"]),
            (3, String::new())
        );
    }
}
