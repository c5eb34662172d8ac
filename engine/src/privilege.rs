//! bwrap-doctor never acts with privileges it was not meant to have. When
//! the kernel marks this exec as privileged (`AT_SECURE`: setuid, setgid,
//! file capabilities, an LSM transition), anything the caller controls —
//! the environment, the files it names, the rule files, the probes — could
//! be turned against the privileges. Then the shim only runs the real bwrap
//! from a fixed, root-owned path, in place, and the command line refuses to
//! run at all.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The only paths an elevated shim runs: where distributions put bwrap.
pub const TRUSTED_BWRAP: &[&str] = &["/usr/bin/bwrap", "/bin/bwrap"];

/// This process was started with privileges its caller does not have.
#[must_use]
pub fn elevated() -> bool {
    crate::sys::process::secure_exec()
}

/// Root's bwrap at a trusted path: a regular file owned by root that only
/// root may write, in a directory only root may write, and not a build of
/// bwrap-doctor.
#[must_use]
pub fn trusted_bwrap() -> Option<(&'static str, CString)> {
    TRUSTED_BWRAP.iter().find_map(|p| {
        let path = Path::new(p);
        let ok = |m: &std::fs::Metadata| m.uid() == 0 && m.mode() & 0o022 == 0;
        let file = std::fs::metadata(path).ok()?;
        let dir = std::fs::metadata(path.parent()?).ok()?;
        let is_shim = std::fs::File::open(path)
            .is_ok_and(|f| crate::marker::classify(&f) == crate::marker::FileKind::Shim);
        (file.is_file() && ok(&file) && ok(&dir) && !is_shim)
            .then(|| (*p, CString::new(*p).unwrap_or_default()))
    })
}

/// What an elevated command line says, once, before exiting 2.
pub const CLI_REFUSAL: &str = "bwrap-doctor: refusing to run with elevated privileges (this file is setuid, setgid or has file capabilities): the command line must run as its caller. Remove them: sudo chmod u-s,g-s \"$(command -v bwrap-doctor)\"; sudo setcap -r \"$(command -v bwrap-doctor)\"";

/// The effective uid of this process.
#[must_use]
pub fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}
