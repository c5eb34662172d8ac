//! `bwrap-doctor check`: the engine's host checks, plus what only the
//! program knows: which bwrap the shim would run (`--bwrap`, else its own
//! lookup) and the shim's own install and settings (`shim.rs`).

mod shim;

use crate::shim::locate::{self, FoundBy, SelfId};
use bwrap_doctor_engine::check::model::{Check, Report, Status};
use bwrap_doctor_engine::check::{self, BINARY, timed};
use bwrap_doctor_engine::marker::FileKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Check this host: `bwrap` is `--bwrap` (None: the bwrap the shim would run).
#[must_use]
pub fn run(bwrap: Option<&Path>) -> Report {
    let start = Instant::now();
    let mut found = Vec::new();
    let real = find(bwrap, &mut found);
    let rules = bwrap_doctor_engine::rules::load(&crate::config::rule_locations());
    check::run(check::Options {
        start,
        bwrap: real,
        found,
        rules: &rules,
        sudo: sudo_ids(),
        program: std::env::current_exe().ok(),
        install: &|facts| shim::checks(facts, &rules),
    })
}

/// `SUDO_UID` and `SUDO_GID`, when both are numbers.
fn sudo_ids() -> Option<(u32, u32)> {
    let num = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u32>().ok());
    Some((num("SUDO_UID")?, num("SUDO_GID")?))
}

/// The bwrap to check: `--bwrap`, else the one the shim would run.
fn find(bwrap: Option<&Path>, checks: &mut Vec<Check>) -> Option<PathBuf> {
    let mut found = None;
    let c = timed(|| {
        if let Some(p) = bwrap {
            return match locate::examine(p, &SelfId::current()) {
                Ok(_) => {
                    found = Some(p.to_path_buf());
                    Check::new(
                        "bwrap.found",
                        BINARY,
                        Status::Ok,
                        format!("checking {} (--bwrap)", p.display()),
                    )
                }
                Err(why) => Check::new(
                    "bwrap.found",
                    BINARY,
                    Status::Fail,
                    format!("{} cannot be run: it {}", p.display(), why.describe()),
                )
                .fix("pass the path of a bubblewrap executable to --bwrap"),
            };
        }
        match locate::locate_from_env() {
            Ok(real) => {
                let how = match &real.found_by {
                    FoundBy::Override => format!("named by {}", crate::config::OVERRIDE_VAR),
                    FoundBy::PathEntry(d) => {
                        format!("the first real bwrap on PATH (in {})", d.display())
                    }
                    FoundBy::SystemPath => "not on PATH; found at a standard path".into(),
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
                found = Some(real.path);
                c
            }
            Err(e) => Check::new("bwrap.found", BINARY, Status::Fail, "no real bwrap found")
                .evidence(e.message())
                .fix(locate::install_hint()),
        }
    });
    checks.push(c);
    found
}
