//! The data root: Hestia's directory layout, read through a cap-std handle so no path a
//! plugin could influence ever leaves the root, and `conf/hestia.conf` re-read whenever it
//! changes.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use hearth_sdk::conf::{self, ConfError, Record};

use crate::stamp::Stamp;

/// Where the server-wide settings live, relative to the root.
pub const HESTIA_CONF: &str = "conf/hestia.conf";
const HESTIA_CONF_NAME: &str = "hestia.conf";

/// Reading the data root failed.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: String,
        #[source]
        source: ConfError,
    },
}

/// The switches of `conf/hestia.conf` that the API reads.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    record: Record,
}

impl Settings {
    /// Settings from a parsed `hestia.conf`.
    pub fn new(record: Record) -> Self {
        Self { record }
    }

    /// `API='yes'`: the legacy API (admin password, legacy keys).
    pub fn legacy_api_enabled(&self) -> bool {
        self.record.value("API") == "yes"
    }

    /// `API_SYSTEM`: 0 disabled, 1 admin keys only, 2 all users' keys. Non-numeric is 0.
    pub fn api_system(&self) -> u8 {
        self.record.value("API_SYSTEM").trim().parse().unwrap_or(0)
    }

    /// `API_ALLOWED_IP`, the raw comma list.
    pub fn allowed_ips(&self) -> &str {
        self.record.value("API_ALLOWED_IP")
    }

    /// `ROOT_USER`, `admin` when unset.
    pub fn root_user(&self) -> &str {
        match self.record.value("ROOT_USER") {
            "" => "admin",
            user => user,
        }
    }

    /// Any other key.
    pub fn value(&self, key: &str) -> &str {
        self.record.value(key)
    }
}

/// A parsed file and the stamp it had when it was read.
struct CachedRecord {
    stamp: Stamp,
    read_at: SystemTime,
    record: Arc<Record>,
}

/// How many parsed files [`DataRoot::read_source_cached`] keeps; past it the cache starts
/// over, so names that come and go cannot grow it without bound.
const RECORD_CACHE_ENTRIES: usize = 4096;

/// An open data root.
pub struct DataRoot {
    path: PathBuf,
    dir: Dir,
    /// `conf/` and `data/users/`, held open so the per-request checks are one `statx` each.
    conf_dir: Dir,
    users_dir: Dir,
    settings: Mutex<Option<(Stamp, SystemTime, Arc<Settings>)>>,
    /// Parsed key files, permission sets and `user.conf`s, by path (`read_source_cached`).
    records: Mutex<HashMap<String, CachedRecord>>,
}

impl DataRoot {
    /// Opens an existing data root.
    pub fn open(path: &Path) -> io::Result<Self> {
        let dir = Dir::open_ambient_dir(path, ambient_authority())?;
        let conf_dir = dir.open_dir("conf")?;
        let users_dir = dir.open_dir("data/users")?;
        let path = std::fs::canonicalize(path)?;
        Ok(Self {
            path,
            dir,
            conf_dir,
            users_dir,
            settings: Mutex::new(None),
            records: Mutex::new(HashMap::new()),
        })
    }

    /// The root's absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The capability handle on the root.
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// The current settings; re-read when `hestia.conf` changed since the last call, or when
    /// it was so recently modified that a change might not show in its stamp.
    pub fn settings(&self) -> Result<Arc<Settings>, DataError> {
        let io_error = |source| DataError::Io {
            path: HESTIA_CONF.to_string(),
            source,
        };
        // One `statx` on the held `conf/` handle; `metadata` would open, stat and close. A
        // symlinked hestia.conf is followed, so its target's changes are seen.
        let mut metadata = self
            .conf_dir
            .symlink_metadata(HESTIA_CONF_NAME)
            .map_err(io_error)?;
        if metadata.is_symlink() {
            metadata = self.conf_dir.metadata(HESTIA_CONF_NAME).map_err(io_error)?;
        }
        let stamp = Stamp::of(&metadata);
        let mut cached = self.settings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, read_at, settings)) = cached.as_ref()
            && *seen == stamp
            && stamp.trustworthy(*read_at)
        {
            return Ok(settings.clone());
        }
        let read_at = SystemTime::now();
        let text = self.dir.read_to_string(HESTIA_CONF).map_err(io_error)?;
        let record = conf::parse_source(&text).map_err(|source| DataError::Parse {
            path: HESTIA_CONF.to_string(),
            source,
        })?;
        let settings = Arc::new(Settings::new(record));
        *cached = Some((stamp, read_at, settings.clone()));
        Ok(settings)
    }

    /// Reads a source-layout file below the root; `None` when it does not exist.
    pub fn read_source(&self, relative: &str) -> Result<Option<Record>, DataError> {
        let read = {
            let _reading = crate::staging::reader_ticket();
            read_small_file(&self.dir, relative)
        };
        match read {
            Ok(text) => conf::parse_source(&text)
                .map(Some)
                .map_err(|source| DataError::Parse {
                    path: relative.to_string(),
                    source,
                }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DataError::Io {
                path: relative.to_string(),
                source,
            }),
        }
    }

    /// Like [`DataRoot::read_source`], answered from memory while the file's stamp is unchanged
    /// (one `newfstatat` instead of open, read, close and a parse). Used on the request path
    /// for key files, permission sets and `user.conf`s. A symlink is read every time.
    pub fn read_source_cached(&self, relative: &str) -> Result<Option<Arc<Record>>, DataError> {
        if let Some(record) = self.unchanged_record(relative) {
            return Ok(Some(record));
        }
        let metadata = match self.dir.symlink_metadata(relative) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                self.records().remove(relative);
                return Ok(None);
            }
            Err(source) => {
                return Err(DataError::Io {
                    path: relative.to_string(),
                    source,
                });
            }
        };
        if !metadata.is_file() {
            return Ok(self.read_source(relative)?.map(Arc::new));
        }
        let stamp = Stamp::of(&metadata);
        if let Some(cached) = self.records().get(relative)
            && cached.stamp == stamp
            && stamp.trustworthy(cached.read_at)
        {
            return Ok(Some(cached.record.clone()));
        }
        let read_at = SystemTime::now();
        let Some(record) = self.read_source(relative)?.map(Arc::new) else {
            return Ok(None);
        };
        let mut records = self.records();
        if records.len() >= RECORD_CACHE_ENTRIES {
            records.clear();
        }
        records.insert(
            relative.to_string(),
            CachedRecord {
                stamp,
                read_at,
                record: record.clone(),
            },
        );
        Ok(Some(record))
    }

    /// The common case of [`DataRoot::read_source_cached`], a file read before and unchanged
    /// since, in one `newfstatat` of the path (the capability handle's `symlink_metadata`
    /// opens, stats and closes): a stamp equal to the one the capability read saw is that
    /// very file, unchanged (`Stamp::at`), so the answer is what a capability read would give.
    fn unchanged_record(&self, relative: &str) -> Option<Arc<Record>> {
        let (seen, read_at, record) = (self.records().get(relative))
            .map(|cached| (cached.stamp, cached.read_at, cached.record.clone()))?;
        Stamp::at(&self.dir, relative)
            .is_ok_and(|stamp| stamp == seen && stamp.trustworthy(read_at))
            .then_some(record)
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `relative` is a regular file (not following a final symlink).
    pub fn is_file(&self, relative: &str) -> bool {
        self.dir
            .symlink_metadata(relative)
            .is_ok_and(|metadata| metadata.is_file())
    }

    /// The host path of `data/users/<user>/` when `user` is a well-formed name and that
    /// entry is a real directory, not a symlink.
    pub fn user_dir(&self, user: &str) -> Option<PathBuf> {
        hearth_sdk::validate::user(user).ok()?;
        let metadata = self.users_dir.symlink_metadata(user).ok()?;
        metadata
            .is_dir()
            .then(|| self.path.join("data/users").join(user))
    }

    /// `HOME_ROOT` of `hestia.conf` (Hestia's `/home`), or `<root>/home` when unset; created
    /// when missing. `None` when it cannot be created or is not a directory.
    pub fn home_root(&self) -> Option<PathBuf> {
        let configured = self
            .settings()
            .ok()
            .map(|settings| settings.value("HOME_ROOT").to_string())
            .filter(|value| !value.is_empty());
        let home = match configured {
            Some(value) => PathBuf::from(value),
            None => self.path.join("home"),
        };
        std::fs::create_dir_all(&home).ok()?;
        home.is_dir().then_some(home)
    }

    /// The home of an existing user, `<HOME_ROOT>/<user>/`, created when missing. Never a
    /// symlink: one planted there is refused, so a sandbox can't be pointed elsewhere.
    pub fn user_home(&self, user: &str) -> Option<PathBuf> {
        hearth_sdk::validate::user(user).ok()?;
        let home_root = self.home_root()?;
        let handle = Dir::open_ambient_dir(&home_root, ambient_authority()).ok()?;
        match handle.symlink_metadata(user) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => return None,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                match handle.create_dir(user) {
                    Ok(()) => {}
                    // Another request for the same user created it first (grants are made before
                    // the user's lock is taken): fine when it is a real directory.
                    Err(error)
                        if error.kind() == io::ErrorKind::AlreadyExists
                            && handle
                                .symlink_metadata(user)
                                .is_ok_and(|metadata| metadata.is_dir()) => {}
                    Err(_) => return None,
                }
            }
            Err(_) => return None,
        }
        Some(home_root.join(user))
    }

    /// The user's `user.conf`, when the user exists.
    pub fn user_conf(&self, user: &str) -> Result<Option<Arc<Record>>, DataError> {
        if self.user_dir(user).is_none() {
            return Ok(None);
        }
        self.read_source_cached(&format!("data/users/{user}/user.conf"))
    }
}

/// The first read asks for this much; data files (keys, `user.conf`) are smaller, so one
/// `read` returns the whole file and a short read ends it: open, read, close.
const SMALL_FILE: usize = 16 << 10;

/// The whole text of a data file below `dir`, in as few system calls as a small file allows
/// (`Dir::read_to_string` also stats the file and asks again at the end).
pub fn read_small_file(dir: &Dir, relative: &str) -> io::Result<String> {
    use std::io::Read;
    let mut file = dir.open(relative)?;
    let mut bytes = vec![0; SMALL_FILE];
    let mut filled = 0;
    loop {
        let read = file.read(&mut bytes[filled..])?;
        filled += read;
        if read == 0 || filled < bytes.len() {
            break;
        }
        bytes.resize(bytes.len() * 2, 0);
    }
    bytes.truncate(filled);
    String::from_utf8(bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(file: &str, text: &str) -> (tempfile::TempDir, DataRoot) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("conf")).unwrap();
        std::fs::create_dir_all(dir.path().join("data/users")).unwrap();
        std::fs::create_dir_all(dir.path().join("data/access-keys")).unwrap();
        std::fs::write(dir.path().join(file), text).unwrap();
        let root = DataRoot::open(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn cached_records_follow_every_change_of_the_file() {
        let file = "data/access-keys/KEY";
        let (dir, root) = root_with(file, "USER='alice'\n");
        // Fresh files are read every time (racy window): each read is a new parse.
        let first = root.read_source_cached(file).unwrap().unwrap();
        let second = root.read_source_cached(file).unwrap().unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.value("USER"), "alice");
        std::thread::sleep(crate::stamp::RACY_WINDOW + std::time::Duration::from_millis(100));
        let settled = root.read_source_cached(file).unwrap().unwrap();
        let cached = root.read_source_cached(file).unwrap().unwrap();
        assert!(
            Arc::ptr_eq(&settled, &cached),
            "an old file is answered from memory"
        );
        // Rewritten in place with the same length: the change time differs.
        std::fs::write(dir.path().join(file), "USER='bobby'\n").unwrap();
        assert_eq!(
            root.read_source_cached(file)
                .unwrap()
                .unwrap()
                .value("USER"),
            "bobby"
        );
        // Removed: gone at once.
        std::fs::remove_file(dir.path().join(file)).unwrap();
        assert!(root.read_source_cached(file).unwrap().is_none());
    }

    #[test]
    fn concurrent_first_uses_of_a_home_all_get_it() {
        let (_dir, root) = root_with("conf/hestia.conf", "ROOT_USER='admin'\n");
        let root = Arc::new(root);
        for n in 0..20 {
            let user = format!("fresh{n}");
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let (root, user) = (root.clone(), user.clone());
                    std::thread::spawn(move || root.user_home(&user))
                })
                .collect();
            for thread in threads {
                let home = thread.join().unwrap();
                assert!(home.is_some_and(|home| home.is_dir()), "{user}");
            }
        }
    }

    #[test]
    fn a_replaced_file_is_read_again() {
        let file = "data/access-keys/KEY";
        let (dir, root) = root_with(file, "USER='alice'\n");
        std::thread::sleep(crate::stamp::RACY_WINDOW + std::time::Duration::from_millis(100));
        assert_eq!(
            root.read_source_cached(file)
                .unwrap()
                .unwrap()
                .value("USER"),
            "alice"
        );
        let replacement = dir.path().join("data/access-keys/.new");
        std::fs::write(&replacement, "USER='carol'\n").unwrap();
        std::fs::rename(&replacement, dir.path().join(file)).unwrap();
        assert_eq!(
            root.read_source_cached(file)
                .unwrap()
                .unwrap()
                .value("USER"),
            "carol"
        );
    }
}
