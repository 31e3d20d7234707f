//! The host's writes to a user's `history.log`, in Hestia's format, through the data root's
//! cap-std handle.

use std::io::{self, Write};
use std::os::unix::fs::FileExt;

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

/// Appends one entry to `data/users/<user>/history.log`.
pub fn append(
    root: &Dir,
    user: &str,
    level: &str,
    category: &str,
    message: &str,
) -> io::Result<()> {
    let path = format!("data/users/{user}/history.log");
    let mut file = root
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
    let tail = String::from_utf8_lossy(&bytes);
    let (date, time) = hearth_sdk::render::now_date_time();
    let entry = Record::from_pairs([
        ("ID", (last_id(&tail) + 1).to_string()),
        ("DATE", date),
        ("TIME", time),
        ("LEVEL", level.to_string()),
        ("CATEGORY", category.to_string()),
        ("MESSAGE", message.replace(['\n', '\r'], " ")),
    ]);
    let line = entry
        .to_line()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    file.write_all(format!("{line}\n").as_bytes())?;
    if len > TRIM_BYTES {
        trim(root, &path)?;
    }
    Ok(())
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

    #[test]
    fn ids_continue_from_the_last_entry() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data/users/alice")).unwrap();
        std::fs::write(
            dir.path().join("data/users/alice/history.log"),
            "ID='7' DATE='2026-01-01' TIME='00:00:00' LEVEL='Info' CATEGORY='System' MESSAGE='x'\n",
        )
        .unwrap();
        let root = Dir::open_ambient_dir(dir.path(), ambient_authority()).unwrap();
        append(&root, "alice", "Info", "API", "it's [127.0.0.1] ok").unwrap();
        let text =
            std::fs::read_to_string(dir.path().join("data/users/alice/history.log")).unwrap();
        let last = Record::parse_line(text.lines().last().unwrap()).unwrap();
        assert_eq!(last.get("ID"), Some("8"));
        assert_eq!(last.get("MESSAGE"), Some("it's [127.0.0.1] ok"));
        assert_eq!(last.get("CATEGORY"), Some("API"));
    }
}
