//! Finding the real bubblewrap: the override variable, then PATH in order
//! (skipping this shim and any other bwrap-doctor build), then the usual
//! system paths.

use bwrap_doctor_engine::marker::{self, FileKind};
use std::ffi::{CString, OsStr, OsString};
use std::fmt::Write as _;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::OVERRIDE_VAR;
/// A wrapper *script* found as the next bwrap may call `bwrap` from PATH
/// again, which is this shim: a loop. It is stopped when this shim already
/// runs this many times among the process's ancestors (see
/// [`wrapper_depth`]); nothing is put into the environment for it, so the
/// sandbox sees nothing of the shim's own.
pub const MAX_DEPTH: u32 = 4;
/// How many ancestors [`wrapper_depth`] looks at: a loop through a script
/// that does not `exec` takes two per round (the shell and the shim).
pub const ANCESTRY_LEVELS: u32 = 4 * MAX_DEPTH;

/// Where distributions and Flatpak put bubblewrap, tried after PATH.
pub const SYSTEM_PATHS: &[&str] = &[
    "/usr/bin/bwrap",
    "/bin/bwrap",
    "/usr/local/bin/bwrap",
    "/run/current-system/sw/bin/bwrap",
    "/usr/libexec/flatpak-bwrap",
    "/usr/local/libexec/flatpak-bwrap",
    "/usr/lib/flatpak/flatpak-bwrap",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundBy {
    Override,
    PathEntry(PathBuf),
    SystemPath,
}

#[derive(Debug, Clone)]
pub struct RealBwrap {
    pub path: PathBuf,
    pub c_path: CString,
    pub found_by: FoundBy,
    pub kind: FileKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Missing,
    NotExecutable,
    ThisShim,
    OtherShim,
}

#[derive(Debug)]
pub enum LocateError {
    OverrideNotAbsolute(OsString),
    OverrideUnusable {
        path: PathBuf,
        why: Skip,
    },
    NotFound {
        path_entries: Vec<(PathBuf, Skip)>,
    },
    /// This shim runs `depth` times among the process's ancestors.
    Loop {
        depth: u32,
    },
}

/// What this process knows about itself, to recognise its own file.
pub struct SelfId {
    dev_ino: Option<(u64, u64)>,
}

impl SelfId {
    pub fn current() -> SelfId {
        let dev_ino = std::fs::metadata("/proc/self/exe")
            .ok()
            .map(|m| (m.dev(), m.ino()));
        SelfId { dev_ino }
    }
}

/// Look at one candidate file: is it a bwrap we may run?
pub fn examine(path: &Path, me: &SelfId) -> Result<FileKind, Skip> {
    let meta = std::fs::metadata(path).map_err(|_| Skip::Missing)?;
    if !meta.is_file() {
        return Err(Skip::Missing);
    }
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| Skip::Missing)?;
    let executable = nix::unistd::faccessat(
        nix::fcntl::AT_FDCWD,
        c.as_c_str(),
        nix::unistd::AccessFlags::X_OK,
        nix::fcntl::AtFlags::AT_EACCESS,
    );
    if executable.is_err() {
        return Err(Skip::NotExecutable);
    }
    if me.dev_ino == Some((meta.dev(), meta.ino())) {
        return Err(Skip::ThisShim);
    }
    // An execute-only file (mode 0711) cannot be opened; it is no copy of
    // the shim, since nobody could have read it to run it as one.
    let kind = match File::open(path) {
        Ok(f) => marker::classify(&f),
        Err(_) => FileKind::Other,
    };
    if kind == FileKind::Shim {
        return Err(Skip::OtherShim);
    }
    Ok(kind)
}

fn found(path: PathBuf, found_by: FoundBy, kind: FileKind) -> RealBwrap {
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap_or_default();
    RealBwrap {
        path,
        c_path,
        found_by,
        kind,
    }
}

/// The real bwrap as this process's environment finds it (the override
/// variable, or `real_bwrap` in the configuration file; PATH), for the CLI
/// and the shim alike.
pub fn locate_from_env() -> Result<RealBwrap, LocateError> {
    locate(
        crate::config::switches().real_bwrap.as_deref(),
        std::env::var_os("PATH").as_deref(),
        &SelfId::current(),
    )
}

/// How many of this process's ancestors run this same shim file (same
/// device and inode as /proc/self/exe) or another bwrap-doctor build (its
/// ELF note: a loop may go through two installed copies). It walks parent
/// links up to [`ANCESTRY_LEVELS`], and stops at a real bubblewrap (an
/// executable named `bwrap` or `…-bwrap` that is no shim: a sandbox may
/// legitimately run the shim again inside it), at a process it cannot look
/// at (another user's, outside this pid namespace) or at pid 1. Asked only
/// when the bwrap found is a script, so the ordinary run with an ELF bwrap
/// pays nothing for it.
pub fn wrapper_depth() -> u32 {
    let id = |m: &std::fs::Metadata| (m.dev(), m.ino());
    let Ok(me) = std::fs::metadata("/proc/self/exe").map(|m| id(&m)) else {
        return 0;
    };
    let mut pid = nix::unistd::getppid().as_raw();
    let mut depth = 0;
    for _ in 0..ANCESTRY_LEVELS {
        if pid <= 1 {
            break;
        }
        let exe = format!("/proc/{pid}/exe");
        let Ok(meta) = std::fs::metadata(&exe) else {
            break;
        };
        let shim = id(&meta) == me
            || File::open(&exe).is_ok_and(|f| marker::classify(&f) == FileKind::Shim);
        if shim {
            depth += 1;
        } else if std::fs::read_link(&exe).is_ok_and(|p| {
            p.file_name()
                .is_some_and(|n| n.as_bytes().ends_with(b"bwrap"))
        }) {
            break; // a real bwrap: what runs above it is another sandbox's
        }
        match parent_of(pid) {
            Some(p) => pid = p,
            None => break,
        }
    }
    depth
}

/// The parent pid from /proc/PID/stat (the field after the parenthesised
/// command name, which may itself hold spaces and parentheses).
fn parent_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The real bwrap for this environment.
pub fn locate(
    override_value: Option<&OsStr>,
    path_var: Option<&OsStr>,
    me: &SelfId,
) -> Result<RealBwrap, LocateError> {
    if let Some(v) = override_value.filter(|v| !v.is_empty()) {
        let p = Path::new(v);
        if !p.is_absolute() {
            return Err(LocateError::OverrideNotAbsolute(v.to_owned()));
        }
        return examine(p, me)
            .map(|kind| found(p.to_path_buf(), FoundBy::Override, kind))
            .map_err(|why| LocateError::OverrideUnusable {
                path: p.to_path_buf(),
                why,
            });
    }
    // execvp's default when PATH is unset.
    let path_var = path_var.unwrap_or(OsStr::new("/bin:/usr/bin"));
    let mut entries = Vec::new();
    for entry in path_var.as_bytes().split(|&b| b == b':') {
        // An empty entry means the current directory, as for execvp.
        let dir = if entry.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(OsStr::from_bytes(entry))
        };
        let candidate = dir.join("bwrap");
        match examine(&candidate, me) {
            Ok(kind) => return Ok(found(candidate, FoundBy::PathEntry(dir), kind)),
            Err(why) => entries.push((dir, why)),
        }
    }
    for sys in SYSTEM_PATHS {
        if let Ok(kind) = examine(Path::new(sys), me) {
            return Ok(found(PathBuf::from(sys), FoundBy::SystemPath, kind));
        }
    }
    Err(LocateError::NotFound {
        path_entries: entries,
    })
}

impl Skip {
    /// Why a file cannot be used as the real bwrap, for people: a predicate
    /// ("is not executable by this user") to follow the file's name or "it".
    pub fn describe(&self) -> &'static str {
        match self {
            Skip::Missing => "does not exist or is not a regular file",
            Skip::NotExecutable => "is not executable by this user",
            Skip::ThisShim | Skip::OtherShim => "is bwrap-doctor itself, not bubblewrap",
        }
    }

    fn label(&self) -> Option<&'static str> {
        match self {
            Skip::Missing => None,
            Skip::NotExecutable => Some("not executable"),
            Skip::ThisShim => Some("this shim"),
            Skip::OtherShim => Some("another bwrap-doctor"),
        }
    }
}

impl LocateError {
    /// One line for a human: what was searched and what to do.
    pub fn message(&self) -> String {
        match self {
            LocateError::OverrideNotAbsolute(v) => format!(
                "{OVERRIDE_VAR}={} is not an absolute path; set it to the full path of the real bwrap (e.g. /usr/bin/bwrap) or unset it",
                v.to_string_lossy()
            ),
            LocateError::OverrideUnusable { path, why } => {
                let what = why.describe();
                format!(
                    "{OVERRIDE_VAR}={} {what}; point it at the real bubblewrap binary (see 'command -v bwrap' outside the shim's directory) or unset it",
                    path.display()
                )
            }
            LocateError::NotFound { path_entries } => {
                let mut s = String::from("cannot find the real bwrap: searched PATH (");
                for (i, (dir, why)) in path_entries.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "{}", dir.display());
                    if let Some(label) = why.label() {
                        let _ = write!(s, " [{label}]");
                    }
                }
                let _ = write!(
                    s,
                    ") and {}; install bubblewrap ({}) or set {OVERRIDE_VAR} to its absolute path",
                    SYSTEM_PATHS.join(", "),
                    install_hint()
                );
                s
            }
            LocateError::Loop { depth } => format!(
                "bwrap wrappers call each other in a loop (this shim runs {depth} times among its own parent processes); make sure the real bubblewrap is on PATH after the bwrap-doctor shim, or set {OVERRIDE_VAR}"
            ),
        }
    }
}

/// The install command for the distribution this runs on (read only on this
/// error path).
pub fn install_hint() -> String {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let ids: Vec<String> = bwrap_doctor_engine::probe::parse_os_release(&os_release)
        .into_iter()
        .filter(|(k, _)| k == "ID" || k == "ID_LIKE")
        .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let has = |id: &str| ids.iter().any(|i| i == id);
    if has("debian") || has("ubuntu") {
        "sudo apt install bubblewrap".into()
    } else if has("fedora") || has("rhel") || has("centos") {
        "sudo dnf install bubblewrap".into()
    } else if has("arch") {
        "sudo pacman -S bubblewrap".into()
    } else if has("suse") || has("opensuse") {
        "sudo zypper install bubblewrap".into()
    } else if has("alpine") {
        "sudo apk add bubblewrap".into()
    } else if has("nixos") {
        "add pkgs.bubblewrap to your system packages".into()
    } else {
        "your distribution's 'bubblewrap' package".into()
    }
}
