//! `bwrap-doctor snapshot`: this host's facts as JSON, for a bug report
//! (replayed with `explain --snapshot`). Schema: docs/snapshot.md.

use crate::output;
use crate::shim::locate;
use bwrap_doctor_engine::probe::{self, Context, Host};
use std::path::PathBuf;

pub struct Options {
    pub output: Option<PathBuf>,
    pub bwrap: Option<PathBuf>,
    /// Read a fixture tree instead of `/` (tests, debugging).
    pub root: Option<PathBuf>,
}

pub fn run(o: Options) -> i32 {
    let host = match &o.root {
        Some(r) => Host::fixture(r),
        None => Host::live(),
    };
    let bwrap = o.bwrap.clone().or_else(|| {
        if o.root.is_some() {
            return None;
        }
        locate::locate_from_env().ok().map(|r| r.path)
    });
    let snap = probe::collect_snapshot(&host, Context { bwrap, args: None });
    let text = match serde_json::to_string_pretty(&snap) {
        Ok(t) => t + "\n",
        Err(e) => {
            output::error(&format!("cannot write the snapshot as JSON: {e}"));
            return 2;
        }
    };
    match &o.output {
        None => {
            output::write_out(text.as_bytes());
            0
        }
        Some(p) => match std::fs::write(p, text) {
            Ok(()) => {
                output::to_stderr(&format!(
                    "bwrap-doctor: wrote {} ({} facts); attach it to a bug report, or replay it with `bwrap-doctor explain --snapshot {}`\n",
                    p.display(),
                    snap.facts.len(),
                    p.display()
                ));
                0
            }
            Err(e) => {
                output::error(&format!("cannot write {}: {e}", p.display()));
                2
            }
        },
    }
}
