//! The last diagnosis the shim made for this user, kept for
//! `bwrap-doctor explain --last`, and reused when the same failure comes
//! again within [`REUSE_WINDOW`] (Codex runs a failing bwrap twice: a
//! preflight with stderr captured, then the real call).
//!
//! One file, `$XDG_STATE_HOME/bwrap-doctor/last.json` (`~/.local/state/…`):
//! at most [`MAX_BYTES`], mode 0600 in a 0700 directory, written to a
//! temporary file and renamed over the old one. Where it cannot be written
//! (no home, a read-only or foreign directory) nothing is written and
//! nothing is said: the diagnosis on stderr is whole without it.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const SCHEMA: &str = "bwrap-doctor/last";
pub const MAX_BYTES: usize = 256 << 10;
/// A failure repeated within this time is not diagnosed again.
pub const REUSE_WINDOW: Duration = Duration::from_secs(10);
pub const FILE_NAME: &str = "last.json";

/// What identifies a failure: who, which bwrap, bwrap's own words, its
/// options (not the command it was to run: Codex's preflight runs `true`
/// where the real call runs the command), and the working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(pub String);

impl Key {
    pub fn new(
        bwrap: &Path,
        args: &bwrap_doctor_engine::bwrap_args::Parsed,
        bwrap_lines: &[String],
    ) -> Key {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        bwrap_doctor_engine::privilege::euid().hash(&mut h);
        bwrap.hash(&mut h);
        bwrap_lines.hash(&mut h);
        for op in &args.ops {
            op.name.hash(&mut h);
            op.args.hash(&mut h);
        }
        args.unread_args_fds.hash(&mut h);
        std::env::current_dir().ok().hash(&mut h);
        Key(format!("{:016x}", h.finish()))
    }
}

/// The stored diagnosis.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub schema: String,
    pub schema_version: u32,
    /// Milliseconds since the epoch.
    pub at_ms: u64,
    pub key: String,
    pub bwrap: String,
    /// bwrap's arguments (lossy UTF-8, cut when long).
    pub argv: Vec<String>,
    pub cwd: String,
    /// bwrap's own lines.
    pub bwrap_lines: Vec<String>,
    /// The whole diagnosis, in any words, without color.
    pub full: String,
    /// What the shim printed, in the words it chose: compact and long.
    pub compact: String,
    pub long: String,
    /// The JSON diagnosis (dropped first when the file would be too big).
    pub json: Option<String>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Stored {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        key: &Key,
        bwrap: &Path,
        operands: &[Vec<u8>],
        bwrap_lines: Vec<String>,
        full: String,
        compact: String,
        long: String,
        json: Option<String>,
    ) -> Stored {
        let mut budget: usize = 16 << 10;
        let argv = operands
            .iter()
            .take_while(|a| {
                let keep = budget > 0;
                budget = budget.saturating_sub(a.len());
                keep
            })
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        Stored {
            schema: SCHEMA.into(),
            schema_version: 1,
            at_ms: now_ms(),
            key: key.0.clone(),
            bwrap: bwrap.display().to_string(),
            argv,
            cwd: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            bwrap_lines,
            full,
            compact,
            long,
            json,
        }
    }

    /// Is this the same failure, seen a moment ago?
    pub fn fresh_for(&self, key: &Key) -> bool {
        let now = now_ms();
        self.key == key.0 && self.at_ms <= now && now - self.at_ms < REUSE_WINDOW.as_millis() as u64
    }

    /// As JSON of at most [`MAX_BYTES`]: the JSON diagnosis is dropped
    /// first, then the long texts are cut.
    fn bounded_json(&mut self) -> Option<String> {
        for step in 0..3 {
            let text = serde_json::to_string(self).ok()?;
            if text.len() <= MAX_BYTES {
                return Some(text);
            }
            if step == 0 {
                self.json = None;
            } else {
                for t in [&mut self.full, &mut self.long, &mut self.compact] {
                    cut(t, MAX_BYTES / 8);
                }
                self.argv.truncate(64);
                self.bwrap_lines.truncate(8);
            }
        }
        None
    }
}

fn cut(t: &mut String, max: usize) {
    if t.len() > max {
        let mut at = max;
        while !t.is_char_boundary(at) {
            at -= 1;
        }
        t.truncate(at);
        t.push_str("\n… (cut: the stored diagnosis is kept under 256 KiB)\n");
    }
}

/// `<state>/bwrap-doctor`, from this user's directories.
pub fn dir() -> Option<PathBuf> {
    crate::config::user_dirs()
        .state
        .map(|s| s.join("bwrap-doctor"))
}

/// A directory this user owns and nobody else may write.
fn ours(meta: &std::fs::Metadata) -> bool {
    meta.is_dir()
        && meta.uid() == bwrap_doctor_engine::privilege::euid()
        && meta.mode() & 0o022 == 0
}

/// Store `s` in `dir`, replacing what was there. Any error: nothing.
pub fn store_in(dir: &Path, mut s: Stored) -> Option<()> {
    if bwrap_doctor_engine::privilege::elevated() {
        return None;
    }
    let text = s.bounded_json()?;
    // Create what is missing only under a directory this user owns, never
    // right under / (a root shim run with someone else's HOME, or with
    // HOME=/, must not leave root's directories there).
    if std::fs::symlink_metadata(dir).is_err() {
        let existing = dir.ancestors().skip(1).find(|a| a.exists())?;
        if existing == Path::new("/")
            || std::fs::metadata(existing).ok()?.uid() != bwrap_doctor_engine::privilege::euid()
        {
            return None;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .ok()?;
    }
    if !ours(&std::fs::symlink_metadata(dir).ok()?) {
        return None;
    }
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        std::fs::rename(&tmp, dir.join(FILE_NAME))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return None;
    }
    Some(())
}

/// Store `s` in this user's state directory. Any error: nothing.
pub fn store(s: Stored) {
    if let Some(d) = dir() {
        let _ = store_in(&d, s);
    }
}

/// Why `explain --last` has nothing to show.
#[derive(Debug)]
pub enum LoadError {
    NoStateDir,
    Missing(PathBuf),
    Unusable(PathBuf, String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoStateDir => write!(
                f,
                "no state directory for this user (neither XDG_STATE_HOME nor a home directory), so the shim keeps no diagnosis"
            ),
            LoadError::Missing(p) => write!(
                f,
                "the shim has made no diagnosis for this user yet ({} does not exist); it keeps the last one when bwrap fails through it",
                p.display()
            ),
            LoadError::Unusable(p, why) => write!(f, "cannot use {}: {why}", p.display()),
        }
    }
}

/// The stored diagnosis in `dir`, if this user wrote it.
pub fn load_from(dir: &Path) -> Result<Stored, LoadError> {
    use std::io::Read;
    let path = dir.join(FILE_NAME);
    let unusable = |why: String| LoadError::Unusable(path.clone(), why);
    let f = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError::Missing(path));
        }
        Err(e) => return Err(unusable(e.to_string())),
    };
    let meta = f.metadata().map_err(|e| unusable(e.to_string()))?;
    if meta.uid() != bwrap_doctor_engine::privilege::euid() || meta.mode() & 0o022 != 0 {
        return Err(unusable(format!(
            "it is owned by uid {} with mode {:04o}; only a file of this user's that others cannot write is read",
            meta.uid(),
            meta.mode() & 0o7777
        )));
    }
    let mut text = String::new();
    f.take(2 * MAX_BYTES as u64)
        .read_to_string(&mut text)
        .map_err(|e| unusable(e.to_string()))?;
    let s: Stored = serde_json::from_str(&text)
        .map_err(|e| unusable(format!("not a stored diagnosis: {e}")))?;
    if s.schema != SCHEMA || s.schema_version != 1 {
        return Err(unusable(format!(
            "schema {} version {}, expected {SCHEMA} version 1",
            s.schema, s.schema_version
        )));
    }
    Ok(s)
}

/// The stored diagnosis of this user.
pub fn load() -> Result<Stored, LoadError> {
    load_from(&dir().ok_or(LoadError::NoStateDir)?)
}

/// The stored diagnosis, if it is `key`'s and fresh.
pub fn recent(key: &Key) -> Option<Stored> {
    load().ok().filter(|s| s.fresh_for(key))
}

/// When the stored diagnosis was made, for people ("12 s ago").
pub fn age(s: &Stored) -> String {
    let secs = now_ms().saturating_sub(s.at_ms) / 1000;
    match secs {
        0..=119 => format!("{secs} s ago"),
        120..=7199 => format!("{} min ago", secs / 60),
        7200..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("bwd-last-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn stored(key: &str, full: String) -> Stored {
        Stored::new(
            &Key(key.into()),
            Path::new("/usr/bin/bwrap"),
            &[b"--ro-bind".to_vec()],
            vec!["bwrap: x".into()],
            full,
            "c".into(),
            "l".into(),
            Some("{}".into()),
        )
    }

    #[test]
    fn stored_bounded_with_mode_0600_and_read_back() {
        let d = tmp("store");
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        store_in(&d, stored("k", "x".repeat(MAX_BYTES * 3))).unwrap();
        let meta = std::fs::metadata(d.join(FILE_NAME)).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert!(meta.len() as usize <= MAX_BYTES, "{}", meta.len());
        let back = load_from(&d).unwrap();
        assert!(back.full.ends_with("256 KiB)\n"));
        assert!(back.json.is_none());
        assert!(back.fresh_for(&Key("k".into())));
        assert!(!back.fresh_for(&Key("other".into())));
        // Nothing left behind but the file itself.
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_directory_others_may_write_gets_nothing() {
        let d = tmp("open");
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        assert!(store_in(&d, stored("k", "x".into())).is_none());
        assert!(matches!(load_from(&d), Err(LoadError::Missing(_))));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn an_old_diagnosis_is_not_reused() {
        let mut s = stored("k", "x".into());
        s.at_ms -= REUSE_WINDOW.as_millis() as u64 + 1;
        assert!(!s.fresh_for(&Key("k".into())));
    }
}
