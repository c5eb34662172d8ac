//! The seam between the shim and the diagnosis: everything known about a
//! failed bwrap run goes to [`explain`], whose output is printed after the
//! relayed stderr and before the shim exits. Only here, after bwrap has
//! failed, are rules loaded and probes run.

use super::exit::ExitReason;
use super::locate::RealBwrap;
use crate::bwrap_args;
use crate::diagnose::{self, bwrap_messages};
use crate::facts::Facts;
use crate::probe::{Context, Host};
use crate::report;
use crate::rules::{self, Locations};
use std::os::fd::RawFd;

/// Names where the shim writes the diagnosis as JSON: a file path, or
/// `fd:N` for an fd the caller passed.
pub const JSON_VAR: &str = "BWRAP_DOCTOR_JSON";

/// A bwrap run that ended with a non-zero status. Owned, so that the
/// diagnosis can run on a thread the shim stops waiting for at its deadline.
pub struct Failure {
    /// bwrap's arguments (argv without argv[0]), byte for byte.
    pub operands: Vec<Vec<u8>>,
    /// The real bwrap that ran.
    pub bwrap: RealBwrap,
    pub exit: ExitReason,
    /// The last bytes of stderr (bounded, see `relay::TAIL_BYTES`).
    pub stderr_tail: Vec<u8>,
    /// Earlier bytes were dropped from the tail.
    pub stderr_truncated: bool,
    /// The caller's stderr is a terminal (for color).
    pub stderr_is_terminal: bool,
    /// `--args` fds that are regular files, readable with pread.
    pub readable_args_fds: Vec<RawFd>,
}

/// How long the diagnosis may take before the shim gives up on it and
/// exits as bwrap did: the probes are time-bounded one by one, but a file
/// system that hangs (a dead NFS server) must not hold the caller.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// How the diagnosis ended.
pub enum Explained {
    /// What to print, if anything.
    Done(Option<Vec<u8>>),
    /// It panicked (the panic hook has the message).
    Panicked,
    /// It did not finish by the deadline and was abandoned.
    TimedOut,
}

/// [`explain`] on a thread, waited for until [`DEADLINE`].
pub fn explain_with_deadline(f: Failure) -> Explained {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("diagnosis".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::fault::point("explain");
                explain(&f)
            }));
            let _ = tx.send(r);
        });
    if spawned.is_err() {
        return Explained::Panicked;
    }
    match rx.recv_timeout(crate::fault::deadline(DEADLINE)) {
        Ok(Ok(text)) => Explained::Done(text),
        Ok(Err(_)) => Explained::Panicked,
        Err(_) => Explained::TimedOut,
    }
}

/// The fd named by `BWRAP_DOCTOR_JSON=fd:N`, which the shim must keep open.
pub fn json_fd() -> Option<RawFd> {
    let v = std::env::var(JSON_VAR).ok()?; // (the configuration's `json` is a path, read after a failure)
    v.strip_prefix("fd:")?.parse().ok().filter(|fd| *fd > 2)
}

/// Is there anything of bwrap's own to explain? A non-zero exit (not a
/// death by signal) with a bwrap message at the end of stderr. A sandboxed
/// program's own failure usually has none, and costs nothing more.
pub fn worth_explaining(exit: ExitReason, stderr_tail: &[u8]) -> bool {
    matches!(exit, ExitReason::Code(c) if c != 0) && !bwrap_messages(stderr_tail).is_empty()
}

/// What to print after bwrap's own error, if anything.
pub fn explain(f: &Failure) -> Option<Vec<u8>> {
    let ExitReason::Code(code) = f.exit else {
        return None;
    };
    if !worth_explaining(f.exit, &f.stderr_tail) {
        return None;
    }
    let settings = crate::config::current();
    let args = bwrap_args::parse(&f.operands, &|fd| {
        f.readable_args_fds
            .contains(&fd)
            .then(|| super::read_file_fd(fd))
    });
    let seen = report::shim::Seen::new(&f.bwrap.path, &f.operands, &args, &f.stderr_tail);
    let mut out = String::new();
    if let Some(first) = settings.problems.first() {
        out.push_str(&format!(
            "bwrap-doctor: warning: {}\n",
            crate::config::one_line(first)
        ));
    }
    // The same failure a moment ago (Codex's preflight, then its real
    // call): say again what was said, without probing again.
    if let Some((text, json)) = seen.recent(settings.form) {
        if let Some(json) = json.filter(|_| settings.json.is_some())
            && let Err(e) = write_json(&json)
        {
            out.push_str(&format!("bwrap-doctor: warning: {e}\n"));
        }
        out.push_str(&text);
        return Some(out.into_bytes());
    }
    let rules = rules::load(&Locations::standard());
    if let Some(first) = rules.problems.first() {
        let more = rules.problems.len() - 1;
        let tail = if more > 0 {
            format!(
                " (and {more} more file{})",
                if more == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "bwrap-doctor: warning: {}{tail}\n",
            first.one_line()
        ));
    }
    let host = Host::live();
    let facts = Facts::live(
        &host,
        Context {
            bwrap: Some(f.bwrap.path.clone()),
            args: Some(args),
        },
    );
    let d = diagnose::diagnose(&rules, &facts, &f.stderr_tail);
    let mut json = None;
    if settings.json.is_some() {
        let doc = report::json::document(
            &d,
            Some(f.bwrap.path.display().to_string()),
            Some(report::json::Exit {
                code: Some(code),
                signal: None,
            }),
        );
        let text = report::json::to_string(&doc);
        if let Err(e) = write_json(&text) {
            out.push_str(&format!("bwrap-doctor: warning: {e}\n"));
        }
        json = Some(text);
    }
    let color =
        f.stderr_is_terminal && crate::output::should_color(crate::output::ColorChoice::Auto, true);
    if d.candidates.is_empty() {
        // No rule knows the message: say only that it was bwrap's setup,
        // and nothing at all for the sandboxed program's own failure.
        if code == 1 && diagnose::messages::setup_failed(&f.stderr_tail).is_some() {
            seen.keep_plain(&report::human::unclassified(false));
            out.push_str(&report::human::unclassified(color));
        }
        return (!out.is_empty()).then(|| out.into_bytes());
    }
    out.push_str(&seen.text(&d, color, settings.form, json));
    Some(out.into_bytes())
}

/// Write the JSON document where BWRAP_DOCTOR_JSON says. A path is opened
/// without following a symlink at its end, so a link planted by someone
/// else cannot redirect the write.
fn write_json(text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let target = crate::config::current()
        .json
        .as_ref()
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default();
    let failed =
        |e: std::io::Error| format!("cannot write the diagnosis to {JSON_VAR}={target}: {e}");
    if let Some(fd) = json_fd() {
        // SAFETY: the caller passed fd open; ManuallyDrop leaves it open.
        let mut out = std::mem::ManuallyDrop::new(unsafe {
            <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd)
        });
        return out.write_all(text.as_bytes()).map_err(failed);
    }
    if target.starts_with("fd:") {
        return Err(format!(
            "{JSON_VAR}={target} names no descriptor the caller passed: use fd:N with N of 3 or more, or a file path"
        ));
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&target)
        .map_err(failed)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(failed)
}
