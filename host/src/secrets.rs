//! Secrets: argon2id for passwords, sha256 for high-entropy tokens, OS CSPRNG tokens,
//! constant-time comparison, and the short-lived cache of verified passwords.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// An argon2id PHC string for `password` (OWASP's default parameters).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
}

/// Whether `password` matches the stored PHC string. Anything unparsable never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    if password.is_empty() {
        return false;
    }
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The storage form of a high-entropy token: `sha256:<hex>`.
pub fn hash_token(token: &str) -> String {
    format!("sha256:{}", sha256_hex(token.as_bytes()))
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A new RSA key pair as PEM (PKCS#8 private key, SubjectPublicKeyInfo public key), for
/// DKIM. `bits` is 2048, 3072 or 4096.
pub fn rsa_key_pair(bits: u32) -> Result<(String, String), String> {
    let size = match bits {
        2048 => rcgen::RsaKeySize::_2048,
        3072 => rcgen::RsaKeySize::_3072,
        4096 => rcgen::RsaKeySize::_4096,
        _ => return Err(format!("unsupported RSA key size {bits}")),
    };
    let pair = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
        .map_err(|error| error.to_string())?;
    Ok((pair.serialize_pem(), pair.public_key_pem()))
}

/// `length` characters drawn uniformly from `alphabet` with the OS CSPRNG.
pub fn random_token(length: usize, alphabet: &str) -> String {
    let symbols: Vec<char> = alphabet.chars().collect();
    if symbols.is_empty() || symbols.len() > 256 {
        return String::new();
    }
    // Rejection sampling keeps every symbol equally likely.
    let limit = 256 - (256 % symbols.len());
    let mut token = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while token.chars().count() < length {
        getrandom::fill(&mut buffer).expect("the OS random number generator failed");
        for &byte in &buffer {
            if (byte as usize) < limit && token.chars().count() < length {
                token.push(symbols[byte as usize % symbols.len()]);
            }
        }
    }
    token
}

/// Remembers recently verified (user, password, stored hash) triples so a legacy-password
/// client does not pay argon2 on every request.
///
/// Entries are keyed by a sha256 over a per-process random salt and all three values: a wrong
/// password, or a changed stored hash, derives a different key and always misses.
pub struct PasswordCache {
    salt: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Instant>>,
    /// Verifications running now, by cache key: concurrent requests with the same
    /// credentials wait for the one argon2 run instead of each starting their own (when an
    /// entry expires under load, 32 clients would otherwise stall the server for a second).
    in_flight: Mutex<HashMap<[u8; 32], Arc<Mutex<()>>>>,
    /// argon2 runs so far.
    argon2_runs: std::sync::atomic::AtomicU64,
}

/// Most entries kept; the oldest are dropped beyond it.
const PASSWORD_CACHE_CAPACITY: usize = 1024;

impl PasswordCache {
    /// A cache whose entries live for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).expect("the OS random number generator failed");
        Self {
            salt,
            ttl,
            entries: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            argon2_runs: Default::default(),
        }
    }

    fn key(&self, user: &str, password: &str, stored: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        for part in [user, password, stored] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.finalize().into()
    }

    /// Whether this exact (user, password, stored hash) was verified within the TTL. Cheap:
    /// one sha256 and a map lookup, no argon2.
    pub fn recently_verified(&self, user: &str, password: &str, stored: &str) -> bool {
        let key = self.key(user, password, stored);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&key)
            .is_some_and(|verified| verified.elapsed() < self.ttl)
    }

    /// Verifies `password` against `stored`, from the cache when it was verified recently.
    /// Blocks while another thread verifies the same credentials, then uses its result.
    pub fn verify(&self, user: &str, password: &str, stored: &str) -> bool {
        if self.recently_verified(user, password, stored) {
            return true;
        }
        let key = self.key(user, password, stored);
        let turn = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone();
        let _one_at_a_time = turn.lock().unwrap_or_else(|e| e.into_inner());
        if self.recently_verified(user, password, stored) {
            return true;
        }
        self.argon2_runs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let verified = verify_password(stored, password);
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        if !verified {
            return false;
        }
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, verified| now.duration_since(*verified) < self.ttl);
        if entries.len() >= PASSWORD_CACHE_CAPACITY
            && let Some(oldest) = entries.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
        {
            entries.remove(&oldest);
        }
        entries.insert(key, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_wrong_ones_do_not() {
        let stored = hash_password("s3cret pass");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password(&stored, "s3cret pass"));
        assert!(!verify_password(&stored, "s3cret pasS"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn cache_never_admits_a_wrong_password() {
        let cache = PasswordCache::new(Duration::from_secs(60));
        let stored = hash_password("right");
        assert!(cache.verify("admin", "right", &stored));
        assert!(cache.verify("admin", "right", &stored));
        assert!(!cache.verify("admin", "wrong", &stored));
        let changed = hash_password("other");
        assert!(!cache.verify("admin", "right", &changed));
    }

    #[test]
    fn concurrent_misses_run_argon2_once() {
        let cache = Arc::new(PasswordCache::new(Duration::from_secs(60)));
        let stored = Arc::new(hash_password("right"));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, stored) = (cache.clone(), stored.clone());
                std::thread::spawn(move || cache.verify("admin", "right", &stored))
            })
            .collect();
        assert!(threads.into_iter().all(|t| t.join().unwrap()));
        // Eight requests with the same credentials: one argon2 run, seven cache answers.
        assert_eq!(
            cache.argon2_runs.load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        assert!(!cache.verify("admin", "wrong", &stored));
        assert_eq!(
            cache.argon2_runs.load(std::sync::atomic::Ordering::Relaxed),
            2
        );
        assert!(cache.in_flight.lock().unwrap().is_empty());
    }

    #[test]
    fn rsa_key_pairs_are_pem() {
        let (private, public) = rsa_key_pair(2048).unwrap();
        assert!(
            private.starts_with("-----BEGIN PRIVATE KEY-----"),
            "{private}"
        );
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
        assert!(rsa_key_pair(1000).is_err());
    }

    #[test]
    fn tokens_use_only_the_alphabet() {
        let token = random_token(40, "ab");
        assert_eq!(token.len(), 40);
        assert!(token.chars().all(|c| c == 'a' || c == 'b'));
        assert_ne!(
            random_token(32, "abcdef0123"),
            random_token(32, "abcdef0123")
        );
    }

    #[test]
    fn token_hashes_are_prefixed_sha256() {
        assert_eq!(
            hash_token("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
