//! Probes: typed, side-effect-free observations of the host, each named by a
//! fact key (see [`CATALOGUE`]). All host reads go through one injectable
//! root ([`Host`]), so a probe runs the same against `/` or a fixture tree.
//! Live experiments (creating namespaces) run in a forked child with a time
//! bound and leave nothing behind.
//!
//! - `catalogue.rs`: every fact key, its meaning and which probe answers it.
//! - `dispatch.rs`: a key parsed into a [`Probe`], and that probe run.
//! - `facts.rs`: the facts of one diagnosis ([`Facts`]), each observed once.
//! - `snapshot.rs`: a whole host recorded (`bwrap-doctor snapshot`).
//! - One file per family of probes: `system`, `sysctl`, `apparmor/`,
//!   `bwrap`, `caller`, `container`, `experiment` (with `forked`), `mounts`,
//!   `paths`, `program`, `args` (the call's arguments).

pub mod apparmor;
mod args;
mod bwrap;
pub use bwrap::run_bounded;
pub(crate) use bwrap::run_bounded_with_input;
mod caller;
mod catalogue;
mod container;
mod dispatch;
mod experiment;
mod facts;
pub use facts::{Facts, Source};
mod mounts;
mod paths;
mod program;
mod snapshot;
mod sysctl;
pub use sysctl::number as sysctl_number;
mod system;
pub use system::parse_os_release;

pub use catalogue::{CATALOGUE, Entry, Family, Kind, lookup};
pub use dispatch::{Probe, UnknownKey, derive, observe};
pub use snapshot::{SNAPSHOT_SYSCTLS, collect_snapshot, rfc3339_utc, snapshot_keys};

use crate::facts::Obs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where host facts are read from.
#[derive(Debug, Clone)]
pub struct Host {
    /// `/` on a live host; a fixture tree in tests.
    pub root: PathBuf,
    /// Whether experiments (namespaces, mounts, running bwrap --version)
    /// may run. Only on the live host.
    pub experiments: bool,
    /// Time bound for one probe that waits on anything (a child, a path
    /// that may hang).
    pub limit: Duration,
}

impl Host {
    #[must_use]
    pub fn live() -> Host {
        Host {
            root: PathBuf::from("/"),
            experiments: true,
            limit: Duration::from_millis(500),
        }
    }

    /// A fixture tree: files only, no experiments.
    pub fn fixture(root: impl Into<PathBuf>) -> Host {
        Host {
            root: root.into(),
            experiments: false,
            limit: Duration::from_millis(500),
        }
    }

    /// The host path `abs` (absolute, as on the live host) under the root.
    pub fn path(&self, abs: impl AsRef<Path>) -> PathBuf {
        let abs = abs.as_ref();
        let rel = abs.strip_prefix("/").unwrap_or(abs);
        self.root.join(rel)
    }

    pub fn read_to_string(&self, abs: impl AsRef<Path>) -> std::io::Result<String> {
        std::fs::read_to_string(self.path(abs))
    }

    #[must_use]
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The text of the host file `abs`: `Err(Absent)` when it does not
    /// exist, `Err(Unavailable)` when it cannot be read.
    pub fn read_fact(&self, abs: &str) -> Result<String, Obs> {
        self.read_to_string(abs).map_err(|e| io_obs(abs, &e))
    }

    /// Whether the host path `abs` exists (without following a final
    /// symlink): `Err(Unavailable)` when that cannot be told.
    pub fn exists(&self, abs: &str) -> Result<bool, Obs> {
        match std::fs::symlink_metadata(self.path(abs)) {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => Ok(false),
            Err(e) => Err(Obs::unavailable(format!("cannot look at {abs}: {e}"))),
        }
    }
}

/// A missing path: ENOENT, or ENOTDIR (a component is not a directory).
pub(crate) fn is_missing(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

/// An I/O error as an observation: absent when the thing is missing,
/// unavailable otherwise.
pub(crate) fn io_obs(what: &str, e: &std::io::Error) -> Obs {
    if is_missing(e) {
        Obs::Absent
    } else {
        Obs::unavailable(format!("cannot read {what}: {e}"))
    }
}

/// Turn `Result<Obs, Obs>` (early-return style) into the observation.
pub(crate) fn flat(r: Result<Obs, Obs>) -> Obs {
    r.unwrap_or_else(|o| o)
}

/// What is known about the failing call itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The real bwrap that ran (or that `check`/`explain --bwrap` names).
    pub bwrap: Option<PathBuf>,
    /// The failing call's arguments, as bwrap parses them.
    pub args: Option<crate::bwrap_args::Parsed>,
}
