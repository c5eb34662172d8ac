//! `bwrap-doctor install` / `uninstall`: put the shim (a hard link, or a copy
//! across file systems, named `bwrap`) into a directory in front of the real
//! bwrap on PATH — never over the real bwrap itself.

use crate::shim::locate::{self, SelfId, Skip};
use bwrap_doctor_engine::marker::{self, FileKind};
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0} is a real bwrap, not the shim; refusing to overwrite it (choose another --dir)")]
    WouldReplaceRealBwrap(PathBuf),
    #[error(
        "refusing to install the shim as {0}: it is the distribution's path for bwrap, or an AppArmor exception for bwrap attaches to it (Ubuntu's attaches to /usr/bin/bwrap), so the shim would take bwrap's exception and the real bwrap would lose it; install into a directory earlier on PATH instead (the default is ~/.local/bin; /usr/local/bin for every user)"
    )]
    SystemPath(PathBuf),
    #[error("no HOME to find ~/.local/bin; pass --dir DIR")]
    NoHome,
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find this program's own file: {0}")]
    SelfExe(std::io::Error),
    #[error("cannot put the shim at {path}: {source}")]
    Link {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not the bwrap-doctor shim; leaving it alone")]
    NotOurs(PathBuf),
    #[error("nothing to uninstall: {0} does not exist")]
    Missing(PathBuf),
    #[error("cannot remove {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub fn default_dir() -> Result<PathBuf, InstallError> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(InstallError::NoHome)?;
    Ok(PathBuf::from(home).join(".local/bin"))
}

/// The paths the distribution's package puts bwrap at (and Ubuntu's
/// exception attaches to), whether or not bwrap is installed now.
const PACKAGE_PATHS: &[&str] = &["/usr/bin/bwrap", "/bin/bwrap"];

/// Paths the shim must never occupy: the distribution's bwrap paths, and
/// any path a loaded `AppArmor` exception for bwrap attaches to (the shim
/// would take the exception from the real bwrap). `/usr/local/bin/bwrap`
/// is fine where no profile attaches there.
fn is_system_bwrap_path(p: &Path) -> bool {
    let real_dir = std::fs::canonicalize(p.parent().unwrap_or(Path::new("/")))
        .map_or_else(|_| p.to_path_buf(), |d| d.join("bwrap"));
    [p, real_dir.as_path()].iter().any(|c| {
        PACKAGE_PATHS.iter().any(|s| Path::new(s) == *c)
            || c.to_str().is_some_and(apparmor_exception_attaches)
    })
}

/// A loaded (or, when the loaded list cannot be read, present) `AppArmor`
/// profile that exempts bwrap attaches to `path`.
fn apparmor_exception_attaches(path: &str) -> bool {
    use bwrap_doctor_engine::facts::Obs;
    use bwrap_doctor_engine::probe::Facts;
    use serde_json::Value;
    let host = bwrap_doctor_engine::probe::Host::live();
    let facts = Facts::live(&host, bwrap_doctor_engine::probe::Context::default());
    let Obs::Seen(Value::Array(list)) = facts.get("apparmor.bwrap_exceptions") else {
        return false;
    };
    let loaded: Option<Vec<String>> = match facts.get("apparmor.profiles_loaded") {
        Obs::Seen(Value::Array(v)) => Some(
            v.iter()
                .filter_map(|p| Some(p["name"].as_str()?.to_string()))
                .collect(),
        ),
        _ => None,
    };
    list.iter().any(|p| {
        let attached = p["attach"]
            .as_str()
            .is_some_and(|a| bwrap_doctor_engine::probe::apparmor::glob::matches(a, path));
        let is_loaded = match (&loaded, p["name"].as_str()) {
            (Some(l), Some(n)) => l.iter().any(|x| x == n),
            _ => true,
        };
        attached && is_loaded
    })
}

/// The file is a build of bwrap-doctor (this one or another).
pub(crate) fn is_shim(p: &Path) -> bool {
    matches!(
        locate::examine(p, &SelfId::current()),
        Err(Skip::ThisShim | Skip::OtherShim)
    ) || std::fs::File::open(p).is_ok_and(|f| marker::classify(&f) == FileKind::Shim)
}

/// Install; returns the human report (what was done, PATH advice,
/// integration lines).
pub fn install(dir: &Path) -> Result<String, InstallError> {
    let target = dir.join("bwrap");
    if is_system_bwrap_path(&target) {
        return Err(InstallError::SystemPath(target));
    }
    if target.exists() && !is_shim(&target) {
        return Err(InstallError::WouldReplaceRealBwrap(target));
    }
    std::fs::create_dir_all(dir).map_err(|source| InstallError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let me = std::env::current_exe().map_err(InstallError::SelfExe)?;
    // Replace atomically: link (or copy) next to the target, then rename.
    let tmp = dir.join(".bwrap.bwrap-doctor-new");
    let _ = std::fs::remove_file(&tmp);
    let how = match std::fs::hard_link(&me, &tmp) {
        Ok(()) => "hard link",
        Err(e)
            if e.raw_os_error() == Some(libc::EXDEV)
                || e.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            std::fs::copy(&me, &tmp).map_err(|source| InstallError::Link {
                path: target.clone(),
                source,
            })?;
            let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755));
            "copy"
        }
        Err(source) => {
            return Err(InstallError::Link {
                path: target,
                source,
            });
        }
    };
    std::fs::rename(&tmp, &target).map_err(|source| InstallError::Link {
        path: target.clone(),
        source,
    })?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "installed the shim: {} ({how} of {})",
        target.display(),
        me.display()
    );
    out.push_str(&path_advice(dir));
    let _ = write!(
        out,
        "\nFor callers that do not search PATH, point them at the shim:\n  \
         export FLATPAK_BWRAP={t}          # Flatpak, xdg-desktop-portal\n  \
         export PRESSURE_VESSEL_BWRAP={t}  # Steam's pressure-vessel\n  \
         Claude Code: set sandbox.bwrapPath to {t} in its managed settings\n\
         Codex skips PATH entries inside the project directory: keep the shim outside it.\n\
         Remove with: bwrap-doctor uninstall{dir_flag}\n",
        t = target.display(),
        dir_flag = if default_dir().is_ok_and(|d| d == dir) {
            String::new()
        } else {
            format!(" --dir {}", dir.display())
        }
    );
    Ok(out)
}

/// Is `dir` on PATH before every real bwrap? Says exactly what to do if not.
pub fn path_advice(dir: &Path) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let entries: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let same = |a: &Path, b: &Path| {
        a == b
            || std::fs::canonicalize(a)
                .ok()
                .zip(std::fs::canonicalize(b).ok())
                .is_some_and(|(x, y)| x == y)
    };
    let pos = entries.iter().position(|e| same(e, dir));
    let real_before = entries
        .iter()
        .take(pos.unwrap_or(entries.len()))
        .map(|e| e.join("bwrap"))
        .find(|p| p.is_file() && !is_shim(p));
    let export = format!("export PATH=\"{}:$PATH\"", dir.display());
    match (pos, real_before) {
        (Some(_), None) => format!(
            "PATH order: ok, {} comes before every real bwrap, so `bwrap` runs the shim\n",
            dir.display()
        ),
        (Some(_), Some(real)) => format!(
            "PATH order: NOT ok, {real} comes first, so callers run the real bwrap directly.\n  \
             Put {dir} earlier: add this line to ~/.profile (or your shell's rc file), then log in again:\n    {export}\n",
            real = real.display(),
            dir = dir.display()
        ),
        (None, _) => format!(
            "PATH order: NOT ok, {dir} is not on PATH.\n  \
             Add this line to ~/.profile (or your shell's rc file), then log in again:\n    {export}\n",
            dir = dir.display()
        ),
    }
}

pub fn uninstall(dir: &Path) -> Result<String, InstallError> {
    let target = dir.join("bwrap");
    if !target.exists() {
        return Err(InstallError::Missing(target));
    }
    if !is_shim(&target) {
        return Err(InstallError::NotOurs(target));
    }
    std::fs::remove_file(&target).map_err(|source| InstallError::Remove {
        path: target.clone(),
        source,
    })?;
    Ok(format!(
        "removed the shim {}; `bwrap` now runs the real bubblewrap\n",
        target.display()
    ))
}
