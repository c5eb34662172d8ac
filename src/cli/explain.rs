//! `bwrap-doctor explain`: diagnose stderr captured elsewhere, on this host
//! or against a recorded snapshot.

use crate::output;
use crate::shim::locate;
use bwrap_doctor_engine::diagnose;
use bwrap_doctor_engine::report;
use bwrap_doctor_engine::rules;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

pub struct Options {
    pub input: Option<PathBuf>,
    pub snapshot: Option<PathBuf>,
    pub bwrap: Option<PathBuf>,
    pub json: bool,
    pub argv: Vec<std::ffi::OsString>,
    pub color: output::ColorChoice,
}

/// How much of the end of the input is read: bwrap's message is its last
/// word, and the diagnosis looks at the last lines only (as the shim keeps
/// the last 64 KiB of stderr). A log of any size costs no more than this.
pub const INPUT_TAIL: usize = 1 << 20;

/// The last [`INPUT_TAIL`] bytes of `r`.
fn read_tail(mut r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut keep = Vec::with_capacity(64 << 10);
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        keep.extend_from_slice(&buf[..n]);
        if keep.len() > 2 * INPUT_TAIL {
            keep.drain(..keep.len() - INPUT_TAIL);
        }
    }
    if keep.len() > INPUT_TAIL {
        keep.drain(..keep.len() - INPUT_TAIL);
    }
    Ok(keep)
}

fn read_input(input: Option<&Path>) -> Result<Vec<u8>, String> {
    match input {
        Some(p) if p != Path::new("-") => {
            use std::io::{Seek, SeekFrom};
            let mut f =
                std::fs::File::open(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            // A regular file: start reading near its end.
            if let Ok(len) = f.metadata().map(|m| m.len())
                && len > INPUT_TAIL as u64
            {
                let _ = f.seek(SeekFrom::Start(len - INPUT_TAIL as u64));
            }
            read_tail(f).map_err(|e| format!("cannot read {}: {e}", p.display()))
        }
        _ => {
            let stdin = std::io::stdin();
            if output::stdin_closed() {
                return Err(format!(
                    "cannot read stdin: {}: stdin is closed; give the captured bwrap error as a file (`bwrap-doctor explain err.txt`) or on stdin",
                    std::io::Error::from_raw_os_error(libc::EBADF)
                ));
            }
            if input.is_none() && stdin.is_terminal() {
                return Err(
                    "give the captured bwrap error as a file (`bwrap-doctor explain err.txt`) or on stdin (`… 2>&1 | bwrap-doctor explain`)".into(),
                );
            }
            read_tail(stdin.lock()).map_err(|e| format!("cannot read stdin: {e}"))
        }
    }
}

/// Exit status: 0 a cause was confirmed; 1 none was; 2 usage or input error.
pub fn run(o: Options) -> i32 {
    let stderr = match read_input(o.input.as_deref()) {
        Ok(b) => b,
        Err(e) => {
            output::error(&e);
            return 2;
        }
    };
    let rules = rules::load(&crate::config::rule_locations());
    for p in rules.problems.iter().filter(|p| !p.quiet) {
        output::to_stderr(&p.rendered);
        output::warn(&p.one_line());
    }
    // The settings this command reads from the environment (the rules
    // above, the bwrap on PATH) go to the library as parameters.
    let (host, bwrap) = if let Some(path) = &o.snapshot {
        let snap = match bwrap_doctor_engine::facts::read_snapshot(path) {
            Ok(s) => s,
            Err(e) => {
                output::error(&e);
                return 2;
            }
        };
        let bwrap = o
            .bwrap
            .clone()
            .or_else(|| bwrap_doctor_engine::facts::recorded_bwrap(&snap.facts));
        (bwrap_doctor_engine::Host::Recorded(snap.facts), bwrap)
    } else {
        let bwrap = o
            .bwrap
            .clone()
            .or_else(|| locate::locate_from_env().ok().map(|r| r.path));
        (bwrap_doctor_engine::Host::Live, bwrap)
    };
    let mut request = bwrap_doctor_engine::Request::new(stderr.clone())
        .host(host)
        .deadline(None)
        .pasted(true);
    if !o.argv.is_empty() {
        request = request.argv(o.argv.iter().cloned());
    }
    // With a snapshot, its own bwrap is the library's default; one named
    // here replaces it (and the facts recorded about it).
    let named = if o.snapshot.is_some() {
        o.bwrap.clone()
    } else {
        bwrap.clone()
    };
    if let Some(b) = named {
        request = request.bwrap(b);
    }
    let d = match bwrap_doctor_engine::explain(
        &bwrap_doctor_engine::Rules::from_set(rules),
        &request,
    ) {
        Ok(d) => d,
        Err(e) => {
            output::error(&e.to_string());
            return 2;
        }
    };
    if o.json {
        let doc = report::json::document(&d, bwrap.map(|b| b.display().to_string()), None);
        crate::outln!("{}", report::json::to_string(&doc));
    } else if d.candidates.is_empty()
        && bwrap_doctor_engine::messages::setup_failed(&stderr).is_some()
    {
        let color = output::init_color(o.color, output::stdout_is_terminal());
        crate::out!("{}", report::human::unclassified(color));
    } else if d.candidates.is_empty() && diagnose::bwrap_messages(&stderr).is_empty() {
        crate::outln!(
            "bwrap-doctor: no bwrap message in the input (bwrap's errors start with \"bwrap: \"); the failure was the sandboxed program's own, or stderr was not captured"
        );
    } else if d.candidates.is_empty() {
        crate::outln!(
            "bwrap-doctor: bwrap's setup did not fail here (its last message is not its last word, or only a warning); the failure was the sandboxed program's own"
        );
    } else {
        let color = output::init_color(o.color, output::stdout_is_terminal());
        crate::out!("{}", report::human::render(&d, color));
    }
    i32::from(!d.has_confirmed())
}

/// `explain --last`: the whole diagnosis the shim last made for this user.
/// Exit status: 0 shown; 1 there is none; 2 it cannot be read.
pub fn last(json: bool) -> i32 {
    use crate::last;
    let s = match last::load() {
        Ok(s) => s,
        Err(e @ (last::LoadError::Missing(_) | last::LoadError::NoStateDir)) => {
            output::error(&e.to_string());
            return 1;
        }
        Err(e) => {
            output::error(&e.to_string());
            return 2;
        }
    };
    if json {
        if let Some(j) = &s.json {
            crate::outln!("{j}");
        } else {
            output::error(
                "the last diagnosis was kept without its JSON form (too big, or no rule knew the message); run without --json",
            );
            return 1;
        }
        return 0;
    }
    let argv: Vec<String> = s.argv.iter().map(|a| shell_word(a)).collect();
    crate::outln!(
        "The last diagnosis the shim made for you, {}, in {}:",
        last::age(&s),
        s.cwd
    );
    crate::outln!("  $ {} {}", s.bwrap, argv.join(" "));
    for l in &s.bwrap_lines {
        crate::outln!("  {l}");
    }
    crate::outln!();
    crate::out!("{}", s.full);
    0
}

/// `a` as a shell would need it written.
fn shell_word(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}
