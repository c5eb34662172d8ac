//! The seam between the shim and the diagnosis: everything known about a
//! failed bwrap run goes to [`explain`], whose output is printed after the
//! relayed stderr and before the shim exits. Only here, after bwrap has
//! failed, are rules loaded and probes run.

use super::exit::ExitReason;
use super::locate::RealBwrap;
use crate::sys::process::{Forked, exit_now, fork_alone, waitpid};
use bwrap_doctor_engine::bwrap_args;
use bwrap_doctor_engine::diagnose::{self, bwrap_messages};
use bwrap_doctor_engine::probe::Facts;
use bwrap_doctor_engine::probe::{Context, Host};
use bwrap_doctor_engine::report;
use bwrap_doctor_engine::rules;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use crate::config::JSON_VAR;

/// A bwrap run that ended with a non-zero status, handed to the diagnosis
/// process (a forked copy of the shim).
pub struct Failure {
    /// bwrap's arguments (argv without `argv[0]`), byte for byte.
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

/// The diagnosis process's address space: at most this, and never more
/// than the shim itself was given (`ulimit -v`).
pub const MEMORY_LIMIT: u64 = 512 << 20;

/// The most diagnosis text the shim takes back from the diagnosis process;
/// what is beyond is cut (a diagnosis is a few KiB).
pub const TEXT_CAP: usize = 256 << 10;

/// How the diagnosis ended.
pub enum Explained {
    /// What to print, if anything.
    Done(Option<Vec<u8>>),
    /// It panicked (the panic hook has the message).
    Panicked,
    /// It did not finish by the deadline and was abandoned.
    TimedOut,
    /// The diagnosis process ended without answering (out of memory, an
    /// abort, a crash, a resource limit), or could not be started: how.
    Crashed(String),
}

/// [`explain`] in a forked child of the shim, waited for until
/// [`DEADLINE`]: its memory ([`MEMORY_LIMIT`]), CPU time, crashes and core
/// dumps are its own, its stderr is /dev/null, and it sends its text back
/// through a pipe (bounded by [`TEXT_CAP`]). At the deadline its process
/// group, and the groups its probes made, are killed.
///
/// The shim is single-threaded here (the relay and the supervisor run on
/// the main thread; `the_diagnosis_is_forked_from_a_shim_with_no_other_thread`
/// checks it, and `fork_alone` refuses otherwise), so the child may
/// allocate and use the standard library.
pub fn explain_with_deadline(f: Failure) -> Explained {
    let limit = crate::fault::deadline(DEADLINE);
    let deadline = std::time::Instant::now() + limit;
    let (read_end, write_end) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            return Explained::Crashed(format!(
                "could not be started: pipe: {}",
                std::io::Error::from(e)
            ));
        }
    };
    let shim = nix::unistd::getpid().as_raw();
    let pid = match fork_alone() {
        Ok(Forked::Parent(pid)) => pid,
        Ok(Forked::Child) => {
            drop(read_end);
            diagnosis_child(&f, write_end.as_raw_fd(), limit, shim)
        }
        Err(e) => return Explained::Crashed(format!("could not be started: fork: {e}")),
    };
    // On our own child (it does the same; whichever runs first, a kill of
    // the group cannot miss it).
    let _ = nix::unistd::setpgid(Pid::from_raw(pid), Pid::from_raw(pid));
    drop(write_end);
    let answer = read_answer(&read_end, deadline);
    // Done, dead or out of time: its last act was (or would be) _exit, and
    // stray probes of its own go with it.
    kill_tree(pid);
    let ended = reap(pid);
    match answer {
        Answer::TimedOut => Explained::TimedOut,
        Answer::Complete(TAG_NONE, _) => Explained::Done(None),
        Answer::Complete(TAG_TEXT, text) => Explained::Done(Some(text)),
        Answer::Complete(TAG_PANIC, message) => {
            if let Ok(mut slot) = super::PANIC_MESSAGE.lock() {
                *slot = Some(String::from_utf8_lossy(&message).into_owned());
            }
            Explained::Panicked
        }
        Answer::Complete(..) | Answer::Ended => Explained::Crashed(ended),
    }
}

const TAG_NONE: u8 = 0;
const TAG_TEXT: u8 = 1;
const TAG_PANIC: u8 = 2;

/// The diagnosis process: limits, [`explain`], the answer, `_exit`.
fn diagnosis_child(f: &Failure, out: RawFd, limit: std::time::Duration, shim: libc::pid_t) -> ! {
    let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
    // The shim waits for it; if the shim is killed, it goes too (also if
    // that happened before this line).
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    if nix::unistd::getppid().as_raw() != shim {
        exit_now(0);
    }
    set_limit(Resource::RLIMIT_CORE, 0);
    set_limit(Resource::RLIMIT_AS, MEMORY_LIMIT);
    // CPU seconds: the hard limit kills (SIGKILL) even with SIGXCPU blocked.
    set_limit(Resource::RLIMIT_CPU, limit.as_secs() + 1);
    // Anything it would print of its own (an allocation failure, a panic's
    // default report) must not reach the caller's stderr.
    crate::sys::fd::stderr_to_dev_null();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::fault::point("explain");
        crate::fault::crash_point("explain");
        explain(f)
    }));
    let (tag, body) = match r {
        Ok(None) => (TAG_NONE, Vec::new()),
        Ok(Some(text)) => (TAG_TEXT, text),
        Err(_) => (TAG_PANIC, super::panic_message().into_bytes()),
    };
    let body = &body[..body.len().min(TEXT_CAP)];
    let mut head = [0u8; 5];
    head[0] = tag;
    head[1..].copy_from_slice(&(body.len() as u32).to_le_bytes());
    let _ = crate::sys::fd::write_all(out, &head);
    let _ = crate::sys::fd::write_all(out, body);
    // Ending the child without running the shim's exit handlers.
    exit_now(0)
}

/// Lower a resource limit's soft value to `at_most` (never raise it: under
/// `ulimit -v 40000` the child gets what the shim was given).
fn set_limit(resource: Resource, at_most: u64) {
    let Ok((mut soft, mut hard)) = getrlimit(resource) else {
        return;
    };
    if soft == libc::RLIM_INFINITY || soft > at_most {
        soft = at_most;
    }
    if resource == Resource::RLIMIT_CORE || resource == Resource::RLIMIT_CPU {
        hard = soft;
    }
    let _ = setrlimit(resource, soft, hard);
}

enum Answer {
    /// The tag and the body.
    Complete(u8, Vec<u8>),
    /// End of file (or a read error) before a whole answer.
    Ended,
    TimedOut,
}

/// Read the child's framed answer until the deadline. Never waits for end
/// of file (a probe's stray child may hold the pipe) and never aborts on
/// memory: the buffer grows with `try_reserve`.
fn read_answer(fd: &OwnedFd, deadline: std::time::Instant) -> Answer {
    let mut got: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if got.len() >= 5 {
            let want = u32::from_le_bytes([got[1], got[2], got[3], got[4]]) as usize;
            if want > TEXT_CAP {
                return Answer::Ended;
            }
            if got.len() >= 5 + want {
                let body = got[5..5 + want].to_vec();
                return Answer::Complete(got[0], body);
            }
        }
        use bwrap_doctor_engine::sys::fork::{Chunk, read_until};
        match read_until(fd.as_fd(), deadline, &mut buf) {
            Chunk::TimedOut => return Answer::TimedOut,
            Chunk::Eof | Chunk::Failed => return Answer::Ended,
            Chunk::Data(n) => {
                if got.try_reserve(n).is_err() {
                    return Answer::Ended;
                }
                got.extend_from_slice(&buf[..n]);
            }
        }
    }
}

/// SIGKILL the diagnosis process's group and the groups its probes made
/// (each probe child leads one: `probe::forked`, `probe::bwrap::run_bounded`).
fn kill_tree(pid: libc::pid_t) {
    let mut children = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let list = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            children.extend(
                list.split_whitespace()
                    .filter_map(|c| c.parse::<libc::pid_t>().ok()),
            );
        }
    }
    // Our own child, its group, and its children's groups.
    for p in std::iter::once(pid).chain(children) {
        let _ = killpg(Pid::from_raw(p), Signal::SIGKILL);
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}

/// Reap the killed diagnosis process, waiting at most a moment: one stuck
/// in the kernel (a dead NFS server) cannot die, and the shim must not wait
/// for it. How it ended, for the one-line message.
fn reap(pid: libc::pid_t) -> String {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(200);
    loop {
        match waitpid(pid, libc::WNOHANG) {
            Ok(Some(status)) => return describe(status),
            Err(e) if e.kind() != std::io::ErrorKind::Interrupted => return "ended".into(),
            _ => {}
        }
        if std::time::Instant::now() >= until {
            return "did not end".into();
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn describe(status: libc::c_int) -> String {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let what = match sig {
            libc::SIGABRT => " (SIGABRT: out of memory or an abort)",
            libc::SIGSEGV => " (SIGSEGV)",
            libc::SIGKILL => " (SIGKILL: a resource limit, or killed)",
            libc::SIGXCPU => " (SIGXCPU: its CPU time limit)",
            libc::SIGBUS => " (SIGBUS)",
            _ => "",
        };
        format!("was killed by signal {sig}{what}")
    } else if libc::WIFEXITED(status) {
        format!(
            "exited with status {} without answering",
            libc::WEXITSTATUS(status)
        )
    } else {
        "ended without answering".into()
    }
}

/// The fd named by `BWRAP_DOCTOR_JSON=fd:N`, which the shim must keep open.
#[must_use]
pub fn json_fd() -> Option<RawFd> {
    let v = std::env::var(JSON_VAR).ok()?; // (the configuration's `json` is a path, read after a failure)
    v.strip_prefix("fd:")?.parse().ok().filter(|fd| *fd > 2)
}

/// Is there anything of bwrap's own to explain? A non-zero exit (not a
/// death by signal) with a bwrap message at the end of stderr. A sandboxed
/// program's own failure usually has none, and costs nothing more.
#[must_use]
pub fn worth_explaining(exit: ExitReason, stderr_tail: &[u8]) -> bool {
    matches!(exit, ExitReason::Code(c) if c != 0) && !bwrap_messages(stderr_tail).is_empty()
}

/// What to print after bwrap's own error, if anything.
#[must_use]
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
    let seen = super::report::Seen::new(&f.bwrap.path, &f.operands, &args, &f.stderr_tail);
    let mut out = String::new();
    if let Some(first) = settings.problems.iter().find(|p| !p.quiet) {
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
    let rules = rules::load(&crate::config::rule_locations());
    let problems: Vec<_> = rules.problems.iter().filter(|p| !p.quiet).collect();
    if let Some(first) = problems.first() {
        let more = problems.len() - 1;
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
        if code == 1 && bwrap_doctor_engine::messages::setup_failed(&f.stderr_tail).is_some() {
            seen.keep_plain(&report::human::unclassified(false));
            out.push_str(&report::human::unclassified(color));
        }
        return (!out.is_empty()).then(|| out.into_bytes());
    }
    out.push_str(&seen.text(&d, color, settings.form, json));
    Some(out.into_bytes())
}

/// Write the JSON document where `BWRAP_DOCTOR_JSON` says. A path is opened
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
        // The caller's fd, left open.
        return crate::sys::fd::write_all(fd, text.as_bytes()).map_err(failed);
    }
    if target.starts_with("fd:") {
        return Err(format!(
            "{JSON_VAR}={target} names no descriptor the caller passed: use fd:N with N of 3 or more, or a file path"
        ));
    }
    // A FIFO, a device, a directory is refused before it is opened
    // (opening a FIFO waits for a reader); O_NONBLOCK and the check of the
    // open file cover a swap in between.
    let special = |ft: std::fs::FileType| {
        bwrap_doctor_engine::rules::not_regular(ft).map(|what| {
            format!(
                "not writing the diagnosis to {JSON_VAR}={target}: it is {what}, not a regular file; name a regular file, or pass an open descriptor as fd:N"
            )
        })
    };
    if let Ok(meta) = std::fs::symlink_metadata(&target)
        && !meta.file_type().is_symlink()
        && let Some(why) = special(meta.file_type())
    {
        return Err(why);
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(&target)
        .map_err(failed)?;
    if let Some(why) = file.metadata().ok().and_then(|m| special(m.file_type())) {
        return Err(why);
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(failed)
}
