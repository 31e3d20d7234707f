//! The host's writes to a user's `history.log`, in Hestia's format, through the data root's
//! cap-std handle.

use std::collections::HashMap;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::Mutex;

use cap_std::fs::{Dir, OpenOptions};
use hearth_sdk::conf::Record;

/// How much of the end of the file is read to find the last entry's ID.
const TAIL_BYTES: u64 = 4096;
/// Past this size the file is cut back to its newest [`KEEP_LINES`] entries.
const TRIM_BYTES: u64 = 96 << 10;
const KEEP_LINES: usize = 250;

fn last_id(tail: &str) -> u64 {
    tail.lines()
        .rev()
        .find_map(|line| Record::parse_line(line).ok()?.get("ID")?.parse().ok())
        .unwrap_or(0)
}

/// One history entry before it is numbered and dated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub level: String,
    pub category: String,
    pub message: String,
}

/// Where a user's `history.log` ended after the host's last append: the file as it was then
/// (device, inode, length, modification time), the last `ID` written there, and the file
/// itself, held open. The next append that finds the path so (one `newfstatat`) writes through
/// the held file and numbers on from the ID, without opening the file or reading its tail;
/// while the file is held its inode cannot be reused, so the same device and inode at the path
/// are this file. hearth's other writers change the length (an append) or the inode (a
/// command's file replaced by rename, a staged copy, a trim), and a staged command's commit,
/// which may bring back an earlier inode rewritten in place, forgets it
/// ([`PendingEntries::forget`]); the time covers an in-place rewrite of the same length by
/// anything else, to its granularity.
#[derive(Debug)]
pub struct KnownEnd {
    state: FileState,
    id: u64,
    file: std::fs::File,
}

impl KnownEnd {
    /// The last `ID` written.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// What the check of a [`KnownEnd`] compares of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileState {
    device: u64,
    inode: u64,
    len: u64,
    /// Seconds and nanoseconds.
    modified: (i64, i64),
}

impl FileState {
    fn of(metadata: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }

    /// What `relative` below `root` names now (a link at its end not followed).
    fn at(root: &Dir, relative: &str) -> io::Result<Self> {
        let stat = rustix::fs::statat(root, relative, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(Self {
            device: stat.st_dev,
            inode: stat.st_ino,
            len: stat.st_size as u64,
            modified: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
        })
    }
}

/// Appends `entries`, numbered on from the file's last `ID`, to
/// `data/users/<user>/history.log` in one write; `known` is where an earlier append left the
/// file. Returns where this one left it.
///
/// `user_folder_is_real` is asked before anything is made at the path: when the file must
/// be opened (no `known` end, or the file at the path is not as the last append left it)
/// and before a long file is cut back (which makes a new file there). When it says no (the
/// user is gone, or a link stands in the folder's place) nothing is written or made. A
/// known end is written through its descriptor, opened after that check, while the path
/// leads to that very file: a link put in the folder's place that leads to the same file
/// does not stop the line, which goes to the file that was checked.
pub fn append_all(
    root: &Dir,
    user: &str,
    entries: &[Entry],
    known: Option<KnownEnd>,
    user_folder_is_real: impl Fn() -> bool,
) -> io::Result<Option<KnownEnd>> {
    if entries.is_empty() {
        return Ok(known);
    }
    let path = format!("data/users/{user}/history.log");
    let still_there =
        |known: &KnownEnd| FileState::at(root, &path).is_ok_and(|now| now == known.state);
    let (mut file, len, mut id, folder_checked) = match known.filter(still_there) {
        Some(known) => (known.file, known.state.len, known.id, false),
        None if !user_folder_is_real() => return Ok(None),
        None => {
            let file = root
                .open_with(
                    &path,
                    OpenOptions::new().read(true).append(true).create(true),
                )?
                .into_std();
            let len = file.metadata()?.len();
            let start = len.saturating_sub(TAIL_BYTES);
            let mut bytes = vec![0; (len - start) as usize];
            let read = file.read_at(&mut bytes, start)?;
            bytes.truncate(read);
            let id = last_id(&String::from_utf8_lossy(&bytes));
            (file, len, id, true)
        }
    };
    let (date, time) = hearth_sdk::render::now_date_time();
    let mut text = String::new();
    for entry in entries {
        id += 1;
        let record = Record::from_pairs([
            ("ID", id.to_string()),
            ("DATE", date.clone()),
            ("TIME", time.clone()),
            ("LEVEL", entry.level.clone()),
            ("CATEGORY", entry.category.clone()),
            ("MESSAGE", entry.message.replace(['\n', '\r'], " ")),
        ]);
        let line = record
            .to_line()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        text.push_str(&line);
        text.push('\n');
    }
    file.write_all(text.as_bytes())?;
    if len > TRIM_BYTES {
        // The cut makes a new file at the path, so only in a real folder. A new file: the next
        // append reads its tail.
        if folder_checked || user_folder_is_real() {
            trim(root, &path)?;
        }
        return Ok(None);
    }
    // Known only when this write is all that changed the file since it was looked at.
    let after = file.metadata().map(|metadata| FileState::of(&metadata));
    Ok(after
        .ok()
        .filter(|after| after.len == len + text.len() as u64)
        .map(|state| KnownEnd { state, id, file }))
}

/// Entries waiting for their user's lock. Whoever gets the lock writes every entry queued
/// for that user so far in one append, and later waiters find theirs written: under load the
/// lock is taken once per batch, not once per entry (group commit), and an entry is still on
/// disk before its request answers.
#[derive(Default)]
pub struct PendingEntries {
    queues: Mutex<Queues>,
}

/// At most this many users' `history.log`s are held open ([`KnownEnd`]); one more closes
/// them all, and they are held anew as their users' next appends open them.
const HELD_FILES: usize = 128;

#[derive(Default)]
struct Queues {
    users: HashMap<String, UserQueue>,
    /// How many of the users' [`KnownEnd`]s are held (each holds its file open).
    held: usize,
}

#[derive(Default)]
struct UserQueue {
    entries: Vec<Entry>,
    queued: u64,
    written: u64,
    /// Where the last append left the file.
    known: Option<KnownEnd>,
}

impl Queues {
    /// Takes `user`'s known end out (its holder writes next).
    fn take_known(&mut self, user: &str) -> Option<KnownEnd> {
        let known = self.users.get_mut(user)?.known.take();
        self.held -= usize::from(known.is_some());
        known
    }
}

impl PendingEntries {
    fn queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `entry` for `user`; the number returned is its place in the user's queue.
    pub fn queue(&self, user: &str, entry: Entry) -> u64 {
        let mut queues = self.queues();
        let queue = queues.users.entry(user.to_string()).or_default();
        queue.entries.push(entry);
        queue.queued += 1;
        queue.queued
    }

    /// Under the user's lock: the entries to write now, the place to mark written after and
    /// where the last append left the file, or `None` when the entry at `place` was already
    /// written by an earlier holder.
    pub fn take(&self, user: &str, place: u64) -> Option<(Vec<Entry>, u64, Option<KnownEnd>)> {
        let mut queues = self.queues();
        let queue = queues.users.get_mut(user)?;
        if queue.written >= place {
            return None;
        }
        let (entries, queued) = (std::mem::take(&mut queue.entries), queue.queued);
        Some((entries, queued, queues.take_known(user)))
    }

    /// Marks every entry up to `place` written (or given up on: after a logged error, or for
    /// a user without a real folder), the file left at `known`.
    pub fn written(&self, user: &str, place: u64, known: Option<KnownEnd>) {
        let mut guard = self.queues();
        let queues = &mut *guard;
        drop(queues.take_known(user));
        if known.is_some() && queues.held >= HELD_FILES {
            for queue in queues.users.values_mut() {
                queue.known = None;
            }
            queues.held = 0;
        }
        if let Some(queue) = queues.users.get_mut(user) {
            queue.written = queue.written.max(place);
            queues.held += usize::from(known.is_some());
            queue.known = known;
        }
    }

    /// Under the user's lock, after a staged command of `user`: forgets where the last
    /// append left the file, and closes it. The committed tree may be a recycled one whose
    /// `history.log` is an earlier inode of the file, rewritten in place.
    pub fn forget(&self, user: &str) {
        drop(self.queues().take_known(user));
    }
}

fn trim(root: &Dir, path: &str) -> io::Result<()> {
    let text = root.read_to_string(path)?;
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines[lines.len().saturating_sub(KEEP_LINES)..].join("\n") + "\n";
    let temporary = format!("{path}.tmp");
    root.write(&temporary, kept)?;
    root.rename(&temporary, root, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    /// A data root with alice's folder: the temporary directory (kept alive), her folder,
    /// her `history.log`'s path and the root's handle.
    fn alice_root() -> (
        tempfile::TempDir,
        std::path::PathBuf,
        std::path::PathBuf,
        Dir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("data/users/alice");
        std::fs::create_dir_all(&users).unwrap();
        let log = users.join("history.log");
        let root = Dir::open_ambient_dir(dir.path(), ambient_authority()).unwrap();
        (dir, users, log, root)
    }

    /// An `Info` entry of the `API` category, as access-key launches are logged.
    fn entry(message: &str) -> Entry {
        Entry {
            level: "Info".into(),
            category: "API".into(),
            message: message.into(),
        }
    }

    #[test]
    fn ids_continue_from_the_last_entry() {
        let (_dir, _, log, root) = alice_root();
        std::fs::write(
            &log,
            "ID='7' DATE='2026-01-01' TIME='00:00:00' LEVEL='Info' CATEGORY='System' MESSAGE='x'\n",
        )
        .unwrap();
        append_all(
            &root,
            "alice",
            &[entry("first"), entry("it's [127.0.0.1] ok")],
            None,
            || true,
        )
        .unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        let last = Record::parse_line(text.lines().last().unwrap()).unwrap();
        assert_eq!(last.get("ID"), Some("9"));
        assert!(
            text.contains("ID='8'") && text.contains("MESSAGE='first'"),
            "{text}"
        );
        assert_eq!(last.get("MESSAGE"), Some("it's [127.0.0.1] ok"));
        assert_eq!(last.get("CATEGORY"), Some("API"));
    }

    #[test]
    fn a_remembered_end_is_used_only_while_the_file_is_as_this_append_left_it() {
        let (_dir, users, log, root) = alice_root();
        let last_id_in_file = || {
            let text = std::fs::read_to_string(&log).unwrap();
            let line = Record::parse_line(text.lines().last().unwrap()).unwrap();
            line.get("ID").unwrap().to_string()
        };
        let modified = || std::fs::metadata(&log).unwrap().modified().unwrap();
        // Rewrites the file in place (same inode), the ID `from` made `to` (same length),
        // its modification time set to `time`.
        let rewrite_in_place = |from: &str, to: &str, time: std::time::SystemTime| {
            let text = std::fs::read_to_string(&log).unwrap();
            let rewritten = text.replacen(from, to, 1);
            assert_eq!(rewritten.len(), text.len());
            let file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
            file.write_all_at(rewritten.as_bytes(), 0).unwrap();
            file.set_modified(time).unwrap();
        };
        let known =
            append_all(&root, "alice", &[entry("one"), entry("two")], None, || true).unwrap();
        let known = append_all(&root, "alice", &[entry("three")], known, || true).unwrap();
        assert_eq!(last_id_in_file(), "3");
        // The file as the append left it: the remembered ID is used, not the file's.
        rewrite_in_place("ID='3'", "ID='7'", modified());
        let known = append_all(&root, "alice", &[entry("four")], known, || true).unwrap();
        assert_eq!(last_id_in_file(), "4", "the remembered end was not used");
        // Rewritten in place with the same length at another time: the tail is read.
        let later = modified() + std::time::Duration::from_secs(5);
        rewrite_in_place("ID='4'", "ID='9'", later);
        let known = append_all(&root, "alice", &[entry("five")], known, || true).unwrap();
        assert_eq!(last_id_in_file(), "10");
        // Another writer appends.
        let mut appended = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        writeln!(
            appended,
            "ID='50' DATE='2026-01-01' TIME='00:00:00' LEVEL='Info' CATEGORY='System' MESSAGE='x'"
        )
        .unwrap();
        drop(appended);
        let known = append_all(&root, "alice", &[entry("six")], known, || true).unwrap();
        assert_eq!(last_id_in_file(), "51");
        // Replaced (another inode) by a file of the same length and modification time.
        let (text, time) = (std::fs::read_to_string(&log).unwrap(), modified());
        let replaced = text.replacen("ID='51'", "ID='61'", 1);
        assert_eq!(replaced.len(), text.len());
        let new = users.join("history.new");
        std::fs::write(&new, replaced).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&new)
            .unwrap()
            .set_modified(time)
            .unwrap();
        std::fs::rename(&new, &log).unwrap();
        append_all(&root, "alice", &[entry("seven")], known, || true).unwrap();
        assert_eq!(last_id_in_file(), "62");
    }

    #[test]
    fn the_user_folder_is_asked_about_only_when_the_file_is_opened() {
        let (_dir, _users, log, root) = alice_root();
        // Not a real folder: nothing is written and no file is made.
        let refused = append_all(&root, "alice", &[entry("refused")], None, || false).unwrap();
        assert!(refused.is_none());
        assert!(!log.exists(), "a history.log was made for a refused folder");
        let asked = std::cell::Cell::new(0);
        let real = || {
            asked.set(asked.get() + 1);
            true
        };
        let known = append_all(&root, "alice", &[entry("one")], None, real).unwrap();
        assert_eq!(asked.get(), 1);
        // The path still names the file the known end was opened as: written through it.
        let not_asked = || panic!("asked about the folder with a known end still there");
        let known = append_all(&root, "alice", &[entry("two")], known, not_asked).unwrap();
        assert!(known.is_some());
        // The file is gone: asked again, and a no makes no new file.
        std::fs::remove_file(&log).unwrap();
        let gone = append_all(&root, "alice", &[entry("three")], known, || false).unwrap();
        assert!(gone.is_none(), "a known end kept for a refused folder");
        assert!(!log.exists(), "a history.log was made for a refused folder");
    }

    #[test]
    fn a_link_in_the_folders_place_gets_no_new_file() {
        use std::os::unix::fs::MetadataExt;
        let (dir, users, log, root) = alice_root();
        // Just under the size at which the file is cut back.
        let line =
            "ID='1' DATE='2026-01-01' TIME='00:00:00' LEVEL='Info' CATEGORY='API' MESSAGE='x'\n";
        let lines = (TRIM_BYTES as usize - 1) / line.len();
        std::fs::write(&log, line.repeat(lines)).unwrap();
        let known = append_all(&root, "alice", &[entry("one")], None, || true).unwrap();
        let inode = std::fs::metadata(&log).unwrap().ino();
        // The folder moved away, and a link to it put in its place.
        let moved = dir.path().join("data/users/alice.moved");
        std::fs::rename(&users, &moved).unwrap();
        std::os::unix::fs::symlink("alice.moved", &users).unwrap();
        let refused = || false;
        let after = append_all(&root, "alice", &[entry("two")], known, refused).unwrap();
        assert!(after.is_none());
        let moved_log = moved.join("history.log");
        assert_eq!(
            std::fs::metadata(&moved_log).unwrap().ino(),
            inode,
            "the file was cut back into a new file through the link"
        );
        let text = std::fs::read_to_string(&moved_log).unwrap();
        assert!(
            text.ends_with("MESSAGE='two'\n"),
            "the checked file did not get the line"
        );
        let names: Vec<_> = std::fs::read_dir(&moved)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            ["history.log"],
            "something was made through the link"
        );
    }

    #[test]
    fn one_holder_writes_every_queued_entry() {
        let pending = PendingEntries::default();
        let first = pending.queue("alice", entry("one"));
        let second = pending.queue("alice", entry("two"));
        pending.queue("bob", entry("other"));
        let (entries, upto, known) = pending.take("alice", first).unwrap();
        assert_eq!(entries, vec![entry("one"), entry("two")]);
        assert!(known.is_none());
        pending.written("alice", upto, None);
        // The second request finds its entry written by the first holder.
        assert!(pending.take("alice", second).is_none());
        let third = pending.queue("alice", entry("three"));
        let (entries, upto, known) = pending.take("alice", third).unwrap();
        assert_eq!((entries, upto), (vec![entry("three")], 3));
        assert!(known.is_none());
        assert_eq!(pending.take("bob", 1).unwrap().0, vec![entry("other")]);
    }

    /// Appends one entry for `user` through `pending`, as `Hearth::log_history` does, and
    /// returns the ID it wrote.
    fn log_one(pending: &PendingEntries, root: &Dir, user: &str) -> Option<u64> {
        let place = pending.queue(user, entry("one"));
        let (entries, upto, known) = pending.take(user, place).unwrap();
        let known = append_all(root, user, &entries, known, || true).unwrap();
        let id = known.as_ref().map(KnownEnd::id);
        pending.written(user, upto, known);
        id
    }

    #[test]
    fn a_forgotten_users_next_append_has_no_remembered_end() {
        let (_dir, _, _, root) = alice_root();
        let pending = PendingEntries::default();
        assert_eq!(log_one(&pending, &root, "alice"), Some(1));
        let two = entry("two");
        let place = pending.queue("alice", two.clone());
        let (_, upto, known) = pending.take("alice", place).unwrap();
        assert_eq!(known.as_ref().map(KnownEnd::id), Some(1));
        pending.written("alice", upto, known);
        pending.forget("alice");
        let place = pending.queue("alice", two);
        assert!(pending.take("alice", place).unwrap().2.is_none());
    }

    #[test]
    fn a_held_file_is_written_only_while_the_path_names_it() {
        let (_dir, users, log, root) = alice_root();
        let pending = PendingEntries::default();
        log_one(&pending, &root, "alice");
        log_one(&pending, &root, "alice");
        // Moved away and replaced by a file of the same length and modification time: the
        // held file (the one moved away) is not written, the new one is.
        let text = std::fs::read_to_string(&log).unwrap();
        let time = std::fs::metadata(&log).unwrap().modified().unwrap();
        std::fs::rename(&log, users.join("history.old")).unwrap();
        std::fs::write(&log, text.replacen("ID='2'", "ID='5'", 1)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&log)
            .unwrap()
            .set_modified(time)
            .unwrap();
        assert_eq!(log_one(&pending, &root, "alice"), Some(6));
        let moved_away = std::fs::read_to_string(users.join("history.old")).unwrap();
        assert_eq!(
            moved_away, text,
            "the held file was written after it left the path"
        );
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 3);
    }

    #[test]
    fn at_most_so_many_files_are_held_open() {
        let dir = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(dir.path(), ambient_authority()).unwrap();
        let pending = PendingEntries::default();
        let user = |n: usize| format!("user{n}");
        let holds =
            |pending: &PendingEntries, user: &str| pending.queues().users[user].known.is_some();
        for n in 0..=HELD_FILES {
            std::fs::create_dir_all(dir.path().join("data/users").join(user(n))).unwrap();
        }
        for n in 0..HELD_FILES {
            log_one(&pending, &root, &user(n));
        }
        assert_eq!(pending.queues().held, HELD_FILES);
        assert!(holds(&pending, &user(0)) && holds(&pending, &user(HELD_FILES - 1)));
        // One more closes them all and holds the newest.
        log_one(&pending, &root, &user(HELD_FILES));
        assert_eq!(
            pending.queues().held,
            1,
            "more files than the bound are held"
        );
        assert!(holds(&pending, &user(HELD_FILES)));
        assert!(!holds(&pending, &user(0)));
        // A user whose file was closed numbers on from the file's tail.
        assert_eq!(log_one(&pending, &root, &user(0)), Some(2));
        pending.forget(&user(0));
        pending.forget(&user(HELD_FILES));
        assert_eq!(pending.queues().held, 0);
    }
}
