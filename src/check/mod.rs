//! `bwrap-doctor check`: a doctor for this host.

pub mod model;
pub mod render;
mod sandbox;

use crate::shim::locate::{self, FoundBy, SelfId};
use crate::shim::marker::{self, FileKind};
use model::{Check, Report, Status};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Options {
    /// Check this bwrap instead of the one the shim would find.
    pub bwrap: Option<PathBuf>,
}

const BINARY: &str = "bwrap binary";
const SHIM: &str = "bwrap-doctor shim";
const SANDBOX: &str = "sandboxes";

pub fn run(opts: &Options) -> Report {
    let start = Instant::now();
    let mut checks = Vec::new();
    let real = find_bwrap(opts, &mut checks);
    if let Some(real) = &real {
        checks.extend(binary_facts(real));
    }
    checks.push(path_order());
    if let Some(real) = &real {
        checks.extend(sandbox::minimal_sandboxes(real));
    }
    Report::new(checks, start.elapsed())
}

fn find_bwrap(opts: &Options, checks: &mut Vec<Check>) -> Option<PathBuf> {
    let t = Instant::now();
    if let Some(p) = &opts.bwrap {
        return match locate::examine(p, &SelfId::current()) {
            Ok(_) => {
                checks.push(
                    Check::new(
                        "bwrap.found",
                        BINARY,
                        Status::Ok,
                        format!("checking {} (--bwrap)", p.display()),
                    )
                    .took(t.elapsed()),
                );
                Some(p.clone())
            }
            Err(why) => {
                checks.push(
                    Check::new(
                        "bwrap.found",
                        BINARY,
                        Status::Fail,
                        format!("{} cannot be run: {why:?}", p.display()),
                    )
                    .fix("pass the path of a bubblewrap executable to --bwrap")
                    .took(t.elapsed()),
                );
                None
            }
        };
    }
    let found = locate::locate_from_env(0);
    match found {
        Ok(real) => {
            let how = match &real.found_by {
                FoundBy::Override => format!("named by {}", locate::OVERRIDE_VAR),
                FoundBy::PathEntry(d) => format!("first real bwrap on PATH (in {})", d.display()),
                FoundBy::SystemPath => "not on PATH; found at a standard system path".into(),
            };
            let mut c = Check::new(
                "bwrap.found",
                BINARY,
                Status::Ok,
                format!("real bwrap: {}", real.path.display()),
            )
            .evidence(how);
            if real.kind == FileKind::Script {
                c = c.evidence("it is a script wrapper, not bubblewrap itself");
                c.status = Status::Warning;
            }
            checks.push(c.took(t.elapsed()));
            Some(real.path)
        }
        Err(e) => {
            checks.push(
                Check::new("bwrap.found", BINARY, Status::Fail, "no real bwrap found")
                    .evidence(e.message())
                    .fix(locate::install_hint())
                    .took(t.elapsed()),
            );
            None
        }
    }
}

fn binary_facts(real: &Path) -> Vec<Check> {
    let t = Instant::now();
    let mut out = Vec::new();
    let version = std::process::Command::new(real)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output();
    out.push(
        match version {
            Ok(o) if o.status.success() => Check::new(
                "bwrap.version",
                BINARY,
                Status::Ok,
                String::from_utf8_lossy(&o.stdout).trim().to_string(),
            ),
            Ok(o) => Check::new(
                "bwrap.version",
                BINARY,
                Status::Fail,
                "bwrap --version failed",
            )
            .evidence(String::from_utf8_lossy(&o.stderr).trim().to_string()),
            Err(e) => Check::new(
                "bwrap.version",
                BINARY,
                Status::Fail,
                format!("cannot run {}: {e}", real.display()),
            ),
        }
        .took(t.elapsed()),
    );
    let t = Instant::now();
    if let Ok(m) = std::fs::metadata(real) {
        let setuid = m.mode() & 0o4000 != 0 && m.uid() == 0;
        let c = if setuid {
            Check::new(
                "bwrap.setuid",
                BINARY,
                Status::Warning,
                "bwrap is setuid root: some options are refused and callers such as Flatpak change what they pass",
            )
            .evidence(format!("mode {:o}, owner uid {}", m.mode() & 0o7777, m.uid()))
        } else {
            Check::new(
                "bwrap.setuid",
                BINARY,
                Status::Ok,
                "bwrap is not setuid (it relies on unprivileged user namespaces)",
            )
            .evidence(format!("mode {:o}", m.mode() & 0o7777))
        };
        out.push(c.took(t.elapsed()));
    }
    out
}

/// Is the shim in front of the real bwrap on PATH?
fn path_order() -> Check {
    let t = Instant::now();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut first: Option<(PathBuf, bool)> = None;
    for dir in std::env::split_paths(&path) {
        let cand = dir.join("bwrap");
        if !cand.is_file() {
            continue;
        }
        let is_shim = std::fs::File::open(&cand)
            .map(|f| marker::classify(&f) == FileKind::Shim)
            .unwrap_or(false);
        first = Some((cand, is_shim));
        break;
    }
    let c = match first {
        Some((p, true)) => Check::new(
            "shim.path-order",
            SHIM,
            Status::Ok,
            format!("the shim is first on PATH: {}", p.display()),
        ),
        Some((p, false)) => Check::new(
            "shim.path-order",
            SHIM,
            Status::Warning,
            "the shim is not installed in front of bwrap: failures will not be explained",
        )
        .evidence(format!("`bwrap` on PATH is {}", p.display()))
        .fix("bwrap-doctor install   # puts the shim in ~/.local/bin and checks PATH order"),
        None => Check::new(
            "shim.path-order",
            SHIM,
            Status::Warning,
            "no bwrap on PATH at all",
        )
        .fix("bwrap-doctor install"),
    };
    c.took(t.elapsed())
}
