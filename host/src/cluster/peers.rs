//! `conf/dns-cluster.conf` in Hestia's format, one peer per line, with the peer's credential
//! (`HASH`, or `USER` + `PASSWORD`) sealed with AES-256-GCM under a key that lives in
//! `secrets/dns-cluster.key`, a directory no plugin grant can name. Plaintext credentials of
//! an imported Hestia file are still read.

use std::io::{self, Write};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use cap_std::fs::{Dir, OpenOptions};
use hearth_sdk::conf::{self, Record};

/// The peer list, relative to the data root.
pub const CLUSTER_CONF: &str = "conf/dns-cluster.conf";

/// The sealing key, relative to the data root.
const KEY_FILE: &str = "secrets/dns-cluster.key";

/// The prefix of a sealed value.
const SEALED: &str = "enc:";

/// Reading or writing the peer list or its key failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("{path}: {source}")]
    Io {
        path: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{CLUSTER_CONF}: {0}")]
    Parse(#[from] conf::ConfError),
    #[error("{KEY_FILE} is not a 256-bit hex key")]
    BadKey,
    #[error("a sealed credential of {0} does not open with {KEY_FILE}")]
    Unseal(String),
}

/// How a peer authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// `hash=`: an access key `ID:SECRET` or a legacy key.
    Hash(String),
    /// `user=` + `password=`.
    Password { user: String, password: String },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hash(_) => f.write_str("Hash(******)"),
            Self::Password { user, .. } => write!(f, "Password({user}, ******)"),
        }
    }
}

/// One line of `conf/dns-cluster.conf`, credential opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub host: String,
    pub port: String,
    pub credential: Credential,
    pub dns_user: String,
    pub kind: String,
    pub suspended: bool,
    pub time: String,
    pub date: String,
}

impl Peer {
    /// `USER` of a password entry, empty otherwise.
    pub fn user(&self) -> &str {
        match &self.credential {
            Credential::Password { user, .. } => user,
            Credential::Hash(_) => "",
        }
    }
}

/// The sealing key: created on first use, readable by the host only (mode 0600).
pub struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    /// Loads the data root's key, creating it when missing.
    pub fn load(root: &Dir) -> Result<Self, PeerError> {
        let io_error = |source| PeerError::Io {
            path: KEY_FILE,
            source,
        };
        let text = match root.read_to_string(KEY_FILE) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                root.create_dir_all("secrets").map_err(io_error)?;
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes)
                    .map_err(|e| io_error(io::Error::other(e.to_string())))?;
                let text = hex::encode(bytes);
                let mut options = OpenOptions::new();
                options.write(true).create_new(true);
                cap_std::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match root.open_with(KEY_FILE, &options) {
                    Ok(mut file) => {
                        file.write_all(text.as_bytes()).map_err(io_error)?;
                        file.sync_all().map_err(io_error)?;
                        text
                    }
                    // Another process created it first: use that one.
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                        root.read_to_string(KEY_FILE).map_err(io_error)?
                    }
                    Err(error) => return Err(io_error(error)),
                }
            }
            Err(error) => return Err(io_error(error)),
        };
        let bytes = hex::decode(text.trim()).map_err(|_| PeerError::BadKey)?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| PeerError::BadKey)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// `enc:<hex nonce><hex ciphertext+tag>`, bound to the peer's host.
    pub fn seal(&self, host: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        if getrandom::fill(&mut nonce).is_err() {
            // Without randomness no nonce is safe to use; refuse to produce a value.
            return String::new();
        }
        let mut data = plaintext.as_bytes().to_vec();
        if self
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(host.as_bytes()),
                &mut data,
            )
            .is_err()
        {
            return String::new();
        }
        format!("{SEALED}{}{}", hex::encode(nonce), hex::encode(data))
    }

    /// The plaintext of a sealed value; a value without the prefix is plaintext already.
    pub fn open(&self, host: &str, value: &str) -> Result<String, PeerError> {
        let Some(sealed) = value.strip_prefix(SEALED) else {
            return Ok(value.to_string());
        };
        let fail = || PeerError::Unseal(host.to_string());
        let bytes = hex::decode(sealed).map_err(|_| fail())?;
        if bytes.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(host.as_bytes()), &mut data)
            .map_err(|_| fail())?;
        String::from_utf8(plain.to_vec()).map_err(|_| fail())
    }
}

/// The raw lines of the peer list (missing file: none).
pub fn read_lines(root: &Dir) -> Result<Vec<Record>, PeerError> {
    match root.read_to_string(CLUSTER_CONF) {
        Ok(text) => Ok(conf::parse_list(&text)?),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(PeerError::Io {
            path: CLUSTER_CONF,
            source,
        }),
    }
}

/// A line as a peer, its credential opened.
pub fn peer_from_line(sealer: &Sealer, line: &Record) -> Result<Peer, PeerError> {
    let host = line.value("HOST").to_string();
    let credential = if line.value("PASSWORD").is_empty() {
        Credential::Hash(sealer.open(&host, line.value("HASH"))?)
    } else {
        Credential::Password {
            user: line.value("USER").to_string(),
            password: sealer.open(&host, line.value("PASSWORD"))?,
        }
    };
    Ok(Peer {
        port: line.value("PORT").to_string(),
        credential,
        dns_user: line.value("DNS_USER").to_string(),
        kind: match line.value("TYPE") {
            "" => "api".to_string(),
            kind => kind.to_string(),
        },
        suspended: line.value("SUSPENDED") == "yes",
        time: line.value("TIME").to_string(),
        date: line.value("DATE").to_string(),
        host,
    })
}

/// Hestia's line for a new peer (`v-add-remote-dns-host`), credential sealed.
pub fn line_for(sealer: &Sealer, peer: &Peer) -> Record {
    let mut line = Record::new();
    line.set("HOST", &peer.host);
    line.set("PORT", &peer.port);
    match &peer.credential {
        Credential::Hash(hash) => line.set("HASH", sealer.seal(&peer.host, hash)),
        Credential::Password { user, password } => {
            line.set("USER", user);
            line.set("PASSWORD", sealer.seal(&peer.host, password));
        }
    }
    line.set("DNS_USER", &peer.dns_user);
    line.set("TYPE", &peer.kind);
    line.set("SUSPENDED", if peer.suspended { "yes" } else { "no" });
    line.set("TIME", &peer.time);
    line.set("DATE", &peer.date);
    line
}

/// Replaces the peer list (temporary file, sync, rename); an empty list removes the file.
pub fn write_lines(root: &Dir, lines: &[Record]) -> Result<(), PeerError> {
    let io_error = |source| PeerError::Io {
        path: CLUSTER_CONF,
        source,
    };
    if lines.is_empty() {
        return match root.remove_file(CLUSTER_CONF) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(io_error(error)),
            _ => Ok(()),
        };
    }
    let text = conf::write_list(lines)?;
    write_atomic(root, CLUSTER_CONF, text.as_bytes(), 0o640).map_err(io_error)
}

/// Writes `relative` through a temporary file in the same directory.
pub fn write_atomic(root: &Dir, relative: &str, contents: &[u8], mode: u32) -> io::Result<()> {
    let temporary = format!("{relative}.hearth-tmp");
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    cap_std::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = root.open_with(&temporary, &options)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    root.rename(&temporary, root, relative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    #[test]
    fn credentials_are_sealed_and_bound_to_the_host() {
        let temp = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap();
        root.create_dir_all("conf").unwrap();
        let sealer = Sealer::load(&root).unwrap();
        let secret = "AAAAAAAAAAAAAAAAAAAA:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let sealed = sealer.seal("ns2.example.net", secret);
        assert!(sealed.starts_with("enc:"));
        assert!(!sealed.contains("bbbb"));
        assert_eq!(sealer.open("ns2.example.net", &sealed).unwrap(), secret);
        assert!(sealer.open("ns3.example.net", &sealed).is_err());
        assert_eq!(sealer.open("h", "plain").unwrap(), "plain");
        // The same key is found again, and it is private.
        let again = Sealer::load(&root).unwrap();
        assert_eq!(again.open("ns2.example.net", &sealed).unwrap(), secret);
        let mode = std::fs::metadata(temp.path().join(KEY_FILE)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }

    #[test]
    fn lines_round_trip_in_hestia_order() {
        let temp = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap();
        root.create_dir_all("conf").unwrap();
        let sealer = Sealer::load(&root).unwrap();
        let peer = Peer {
            host: "127.0.0.1".into(),
            port: "8083".into(),
            credential: Credential::Password {
                user: "admin".into(),
                password: "s3cret pass".into(),
            },
            dns_user: "dns-cluster".into(),
            kind: "api".into(),
            suspended: false,
            time: "10:00:00".into(),
            date: "2026-01-01".into(),
        };
        let line = line_for(&sealer, &peer);
        let keys: Vec<&str> = line.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "HOST",
                "PORT",
                "USER",
                "PASSWORD",
                "DNS_USER",
                "TYPE",
                "SUSPENDED",
                "TIME",
                "DATE"
            ]
        );
        write_lines(&root, std::slice::from_ref(&line)).unwrap();
        let text = root.read_to_string(CLUSTER_CONF).unwrap();
        assert!(!text.contains("s3cret"));
        let read = read_lines(&root).unwrap();
        assert_eq!(peer_from_line(&sealer, &read[0]).unwrap(), peer);
        assert!(!format!("{peer:?}").contains("s3cret"));
        write_lines(&root, &[]).unwrap();
        assert!(read_lines(&root).unwrap().is_empty());
    }
}
