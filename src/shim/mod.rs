//! The `bwrap` personality: run the real bubblewrap so that nobody can tell
//! the shim is there, and explain the failure when it fails.
//!
//! The order of work matters: capture the caller's signal state first, find
//! the real bwrap, start it (with the caller's own stdin, stdout and stderr:
//! see `plan`), wait; only after bwrap has failed
//! while setting up (see `status`) is anything else touched: bwrap's words
//! are read back (`capture`), then rules and probes explain them.

mod capture;
pub mod exit;
pub mod failure;
pub(crate) mod locate;
mod plan;
mod replay;
pub(crate) mod report;
mod status;
mod supervise;

pub use crate::sys::argv::RawArgs;

use crate::config::OVERRIDE_VAR;
use crate::sys::{fd as fds, signal as signals, spawn};
use bwrap_doctor_engine::marker::FileKind;
use exit::ExitReason;
use locate::RealBwrap;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

/// Write one line to stderr with the `bwrap-doctor: ` prefix.
pub fn say(msg: &str) {
    let line = format!("bwrap-doctor: {msg}\n");
    write_stderr_bounded(line.as_bytes(), std::time::Duration::from_millis(500));
}

/// Write to fd 2 without ever blocking past `limit`: the shim must not hang
/// a caller that stopped reading its stderr. What does not fit is dropped.
pub fn write_stderr_bounded(mut bytes: &[u8], limit: std::time::Duration) {
    let deadline = std::time::Instant::now() + limit;
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        let stderr = std::io::stderr();
        let mut p = [PollFd::new(stderr.as_fd(), PollFlags::POLLOUT)];
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        if !matches!(poll(&mut p, PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)), Ok(n) if n > 0)
        {
            continue;
        }
        let chunk = bytes.len().min(libc::PIPE_BUF);
        match nix::unistd::write(stderr.as_fd(), &bytes[..chunk]) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EAGAIN | Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(std::string::ToString::to_string)
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(format!("{msg}{at}"));
        }
    }));
}

fn panic_message() -> String {
    PANIC_MESSAGE
        .lock()
        .ok()
        .and_then(|m| m.clone())
        .unwrap_or_else(|| "unknown".into())
}

fn is_regular_file(fd: RawFd) -> bool {
    fds::fstat(fd).is_some_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG)
}

/// Did the caller ask bwrap for `--die-with-parent`? Looked at only when the
/// caller has died, with bwrap's own grammar (so the sandboxed command's
/// words do not count). Arguments passed through a pipe cannot be read
/// back; then the answer is "yes", the safe side for a sandbox.
fn asked_die_with_parent(args: &RawArgs, readable_args_fds: &[RawFd]) -> bool {
    let ops: Vec<&[u8]> = args.operands().collect();
    let parsed = bwrap_doctor_engine::bwrap_args::parse(&ops, &|fd| {
        readable_args_fds.contains(&fd).then(|| read_file_fd(fd))
    });
    parsed.has("--die-with-parent") || !parsed.unread_args_fds.is_empty()
}

/// The whole content of a regular file behind `fd`, read with pread so the
/// caller's offset is untouched. Capped at 16 MiB.
#[must_use]
pub fn read_file_fd(fd: RawFd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    while out.len() < 16 << 20 {
        match fds::pread(fd, &mut buf, out.len() as u64) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

/// The shim's entry point.
pub fn main(args: RawArgs) -> ! {
    let closed_std = fds::reserve_closed_std_fds();
    let signals = signals::SignalState::capture();
    if bwrap_doctor_engine::privilege::elevated() {
        run_elevated(&args, &signals);
    }
    quiet_panics();

    let located = catch_unwind(|| {
        crate::fault::point("locate");
        let real = locate::locate_from_env()?;
        // A wrapper script as the next bwrap may call this shim again from
        // PATH: stop a loop (an ELF bwrap is never asked about).
        if real.kind == FileKind::Script {
            let depth = locate::wrapper_depth();
            if depth >= locate::MAX_DEPTH {
                return Err(locate::LocateError::Loop { depth });
            }
        }
        Ok(real)
    });
    let real = match located {
        Ok(Ok(real)) => real,
        Ok(Err(e)) => {
            say(&e.message());
            std::process::exit(127);
        }
        Err(_) => {
            say(&format!(
                "internal error while looking for the real bwrap ({}); set {OVERRIDE_VAR} to its absolute path",
                panic_message()
            ));
            std::process::exit(127);
        }
    };

    // The off switch, or nowhere to say anything: be bwrap, in place.
    if crate::config::switches().off || closed_std[2] {
        run_in_place(&real, &args, &signals);
    }

    let prepared = catch_unwind(AssertUnwindSafe(|| -> std::io::Result<_> {
        crate::fault::point("prepare");
        // The caller's fds first, before the shim opens any of its own.
        let callers = capture::callers_fds(&args);
        let stderr = plan::stderr();
        let sigfd = supervise::signalfd(&signals)?;
        let status = status::Status::offer(&real, &callers);
        Ok((callers, stderr, sigfd, status))
    }));
    let (callers, stderr, sigfd, mut status) = match prepared {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => fall_back(&real, &args, &signals, &e.to_string()),
        Err(_) => fall_back(&real, &args, &signals, &panic_message()),
    };

    signals.take_over();
    let original_ppid = nix::unistd::getppid().as_raw();
    let status_argv = status.as_ref().map(|s| s.argv(&args));
    let spawned = spawn::spawn(&spawn::Spawn {
        path: &real.c_path,
        argv: status_argv.as_ref().map_or(args.argv(), |v| v.argv()),
        signals: &signals,
        inherit: status.as_ref().and_then(status::Status::write_fd),
    });
    let child = match spawned {
        Ok(pid) => pid,
        Err(e) if is_exec_error(&e) => {
            say(&format!("cannot run {}: {e}", real.path.display()));
            std::process::exit(exec_status(&e));
        }
        Err(e) => {
            signals.restore();
            fall_back(&real, &args, &signals, &e.to_string())
        }
    };
    // Only bwrap holds the status pipe's write end now.
    if let Some(s) = status.as_mut() {
        s.close_write();
    }

    // Learn of the caller's death, to honour --die-with-parent.
    signals::set_parent_death_signal(signals::parent_death_signal());
    let args_fds = &callers.regular_args;
    let mut keep = vec![sigfd.as_raw_fd()];
    keep.extend(status.as_ref().map(status::Status::read_fd));
    keep.extend(&callers.keep);
    keep.extend(failure::json_fd());
    fds::release_callers_fds(&keep);
    let stderr_is_terminal = nix::unistd::isatty(std::io::stderr().as_fd()).unwrap_or(false);

    let die_with_parent = || asked_die_with_parent(&args, args_fds);
    let mut supervisor =
        supervise::Supervisor::new(child, &signals, sigfd, original_ppid, &die_with_parent);
    if nix::unistd::getppid().as_raw() != original_ppid && die_with_parent() {
        // The caller died before PR_SET_PDEATHSIG took effect: die, as the
        // caller's death would have killed us.
        let _ = kill(nix::unistd::getpid(), Signal::SIGKILL);
    }
    let exit = if let Ok(o) = catch_unwind(AssertUnwindSafe(|| supervisor.run())) {
        o
    } else {
        say(&format!(
            "internal error while waiting for bwrap ({}); ending as bwrap ends, without diagnosis",
            panic_message()
        ));
        match supervisor.reaped() {
            Some(exit) => exit::mirror(exit),
            None => mirror_when_done(child),
        }
    };

    // Whose failure is it, and what did bwrap say? Only bwrap's own setup
    // failures are explained; a program's exit status and words are its own.
    let setup = status.as_ref().map(status::Status::setup);
    let said = match exit {
        exit::ExitReason::Code(c)
            if match setup {
                Some(status::Setup::Completed) => false,
                Some(status::Setup::Failed) => c != 0,
                // Without bwrap's word: its own failures exit 1.
                None => c == 1,
            } =>
        {
            catch_unwind(AssertUnwindSafe(|| {
                crate::fault::point("capture");
                capture::bwrap_said(&capture::Run {
                    stderr,
                    fds: &callers.replay,
                    setup,
                    bwrap: &real,
                    args: &args,
                })
            }))
            .unwrap_or_else(|_| {
                say(&format!(
                    "internal error while reading bwrap's message back ({}); bwrap's own message above is complete",
                    panic_message()
                ));
                capture::Said::Nothing
            })
        }
        _ => capture::Said::Nothing,
    };
    if let capture::Said::Note(note) = &said {
        say(note);
    }
    if let capture::Said::Message(text) = said {
        let failure = failure::Failure {
            operands: args.operands().map(<[u8]>::to_vec).collect(),
            bwrap: real.clone(),
            exit,
            stderr_truncated: text.len() >= capture::TAIL_BYTES,
            stderr_tail: text,
            stderr_is_terminal,
            readable_args_fds: args_fds.clone(),
        };
        match failure::explain_with_deadline(failure) {
            failure::Explained::Done(Some(text)) => {
                write_stderr_bounded(&text, std::time::Duration::from_secs(2));
            }
            failure::Explained::Done(None) => {}
            failure::Explained::Panicked => say(&format!(
                "internal error while explaining the failure ({}); bwrap's own message above is complete",
                panic_message()
            )),
            failure::Explained::Crashed(how) => say(&format!(
                "internal error while explaining the failure (the diagnosis process {how}); bwrap's own message above is complete"
            )),
            failure::Explained::TimedOut => say(&format!(
                "the diagnosis did not finish within {:.1} s (a probe is stuck, e.g. on a file system that does not answer) and was abandoned; bwrap's own message above is complete",
                crate::fault::deadline(failure::DEADLINE).as_secs_f64()
            )),
        }
    }
    exit::mirror(exit)
}

fn is_exec_error(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ENOENT
                | libc::EACCES
                | libc::ENOEXEC
                | libc::EPERM
                | libc::ENOTDIR
                | libc::ELOOP
                | libc::ETXTBSY
                | libc::EISDIR
                | libc::ENAMETOOLONG
        )
    )
}

/// Could not supervise: one warning line, then be bwrap in place.
fn fall_back(real: &RealBwrap, args: &RawArgs, signals: &signals::SignalState, why: &str) -> ! {
    say(&format!(
        "cannot supervise bwrap ({why}); running it directly, without diagnosis"
    ));
    run_in_place(real, args, signals)
}

/// Started setuid, setgid or with file capabilities: run root's bwrap from
/// a fixed path, in place, having read nothing the caller controls (no
/// override variable, no PATH, no rules, no probes, no JSON path).
fn run_elevated(args: &RawArgs, signals: &signals::SignalState) -> ! {
    let Some((path, c_path)) = bwrap_doctor_engine::privilege::trusted_bwrap() else {
        say(&format!(
            "running with elevated privileges (setuid, setgid or file capabilities), the shim only runs a root-owned bubblewrap at {}, and there is none; remove the privileges from the shim",
            bwrap_doctor_engine::privilege::TRUSTED_BWRAP.join(" or ")
        ));
        std::process::exit(127);
    };
    let real = RealBwrap {
        path: path.into(),
        c_path,
        found_by: locate::FoundBy::SystemPath,
        kind: FileKind::Elf,
    };
    run_in_place(&real, args, signals)
}

fn run_in_place(real: &RealBwrap, args: &RawArgs, signals: &signals::SignalState) -> ! {
    let e = spawn::exec_in_place(&real.c_path, args.argv(), signals);
    say(&format!("cannot run {}: {e}", real.path.display()));
    std::process::exit(exec_status(&e))
}

/// The shell's status for a program that could not be run: 127 not found,
/// 126 found but not executable.
fn exec_status(e: &std::io::Error) -> i32 {
    if e.raw_os_error() == Some(libc::ENOENT) {
        127
    } else {
        126
    }
}

/// Last resort after an internal error mid-run: wait for bwrap and end as
/// it ended.
fn mirror_when_done(child: libc::pid_t) -> ! {
    loop {
        match crate::sys::process::waitpid(child, 0) {
            Ok(Some(status)) => {
                if let Some(reason) = ExitReason::from_wait_status(status) {
                    exit::mirror(reason);
                }
            }
            Err(e) if e.kind() != std::io::ErrorKind::Interrupted => {
                exit::mirror(ExitReason::Code(1))
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(argv: &[&str]) -> bool {
        asked_die_with_parent(&RawArgs::from_strings(argv.iter().copied()), &[])
    }

    #[test]
    fn die_with_parent_counts_as_bwraps_option_only_before_the_command() {
        assert!(asked(&[
            "bwrap",
            "--die-with-parent",
            "--ro-bind",
            "/",
            "/",
            "true"
        ]));
        assert!(!asked(&[
            "bwrap",
            "--ro-bind",
            "/",
            "/",
            "sh",
            "-c",
            "x",
            "--die-with-parent"
        ]));
        assert!(!asked(&[
            "bwrap",
            "--setenv",
            "X",
            "--die-with-parent",
            "true"
        ]));
        // Arguments behind an fd that cannot be read back: the safe side.
        assert!(asked(&["bwrap", "--args", "99", "true"]));
    }
}
