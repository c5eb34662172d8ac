//! The command line ends in one place: whatever happens to its stdout (full,
//! closed, a reader that goes away, with SIGPIPE ignored as systemd starts
//! services or at its default), every command that writes to stdout exits
//! with a status and at most one line on stderr, never an abort or a kill by
//! SIGPIPE; a panic is one `internal error` line; a hanging sandbox ends
//! `check` within its bound, saying so.

use crate::support::{self, As, PlainEnv};
use crate::{Body, Test};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn tests() -> Vec<Test> {
    tests![
        Once stdout_on_dev_full_is_one_line_and_status_2_for_every_command,
        Once a_closed_stdout_is_one_line_and_status_2_for_every_command,
        Once a_reader_gone_before_the_first_write_is_success_with_sigpipe_ignored_or_not,
        Once a_reader_closing_after_the_first_bytes_is_success_with_sigpipe_ignored_or_not,
        Once a_panic_is_one_internal_error_line_and_status_101,
        Once explain_with_stdin_closed_says_so_and_exits_2,
        Once a_hanging_sandbox_ends_check_within_its_bound_saying_so,
    ]
}

/// Every command that writes to stdout, with arguments that make it write.
fn commands(dir: &std::path::Path) -> Vec<Vec<String>> {
    // Not a bwrap message: explain says so on stdout and exits 1, so a
    // status 0 below is the reader's doing, not the diagnosis's.
    let err = dir.join("not-bwrap.txt");
    std::fs::write(&err, "make: *** [all] Error 2\n").unwrap();
    std::fs::set_permissions(&err, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = err.display().to_string();
    [
        vec!["rules", "list"],
        vec!["rules", "lint"],
        vec!["rules", "test"],
        vec!["snapshot"],
        vec!["check"],
        vec!["check", "--json"],
        vec!["fix"],
        vec!["explain", &e],
        vec!["completions", "bash"],
        vec!["man"],
        vec!["--help"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_string).collect())
    .collect()
}

struct Ended {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    stdout_len: usize,
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}, signal {:?}, {} bytes read, stderr:\n{}",
            self.code, self.signal, self.stdout_len, self.stderr
        )
    }
}

/// Run `bwrap-doctor ARGS` as the unprivileged user with stdout set up by
/// `stdout`, stderr captured; `reader` reads the other end of a pipe (if any)
/// as the child runs.
fn run(
    args: &[String],
    stdout: Stdio,
    ignore_sigpipe: bool,
    close_fd1: bool,
    reader: Option<Box<dyn FnOnce() -> usize + Send>>,
) -> Ended {
    let mut cmd = crate::cli_doctor(
        As::User,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    cmd.stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec; std resets
    // SIGPIPE to its default before this runs.
    unsafe {
        cmd.pre_exec(move || {
            if ignore_sigpipe {
                libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            }
            if close_fd1 {
                libc::close(1);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    // The parent's copy of the pipe's write end is in `cmd`: drop it, so
    // that the reader sees the end of the output when the child exits.
    drop(cmd);
    let read = reader.map(std::thread::spawn);
    let mut err = child.stderr.take().unwrap();
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = support::wait_with_limit(&mut child, Duration::from_secs(60));
    Ended {
        code: status.code(),
        signal: status.signal(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
        stdout_len: read.map_or(0, |r| r.join().unwrap()),
    }
}

/// Never an abort, a kill by a signal, or Rust's panic text.
fn assert_ended_by_itself(what: &str, e: &Ended) {
    assert_eq!(e.signal, None, "{what}: killed by a signal: {e}");
    for word in [
        "fatal runtime error",
        "panicked",
        "failed to initiate panic",
    ] {
        assert!(!e.stderr.contains(word), "{what}: {word:?}: {e}");
    }
}

/// One `bwrap-doctor: cannot write …` line naming the cause, and status 2.
fn assert_one_line_and_2(what: &str, e: &Ended, cause: &str) {
    assert_ended_by_itself(what, e);
    assert_eq!(e.code, Some(2), "{what}: {e}");
    let lines: Vec<&str> = e
        .stderr
        .lines()
        .filter(|l| l.starts_with("bwrap-doctor: cannot write"))
        .collect();
    assert_eq!(lines.len(), 1, "{what}: not one line: {e}");
    assert!(
        lines[0].contains(cause),
        "{what}: does not say {cause:?}: {e}"
    );
    assert!(
        !e.stderr.contains("internal error"),
        "{what}: an internal error: {e}"
    );
}

fn stdout_on_dev_full_is_one_line_and_status_2_for_every_command() {
    let dir = support::install().scratch();
    for args in commands(&dir) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let e = run(&args, full.into(), false, false, None);
        assert_one_line_and_2(&args.join(" "), &e, "No space left on device");
    }
}

fn a_closed_stdout_is_one_line_and_status_2_for_every_command() {
    let dir = support::install().scratch();
    for args in commands(&dir) {
        // Before: std's stdout swallowed EBADF and the output was lost
        // without a word.
        let e = run(&args, Stdio::null(), false, true, None);
        assert_one_line_and_2(&args.join(" "), &e, "stdout is closed");
    }
}

/// A pipe (read end, write end), both close-on-exec.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds we then own.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both were just opened and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// A silent end with status 0: the reader went away, so what it wanted it has.
fn assert_silent_success(what: &str, e: &Ended) {
    assert_ended_by_itself(what, e);
    assert_eq!(e.code, Some(0), "{what}: {e}");
    assert!(
        !e.stderr.contains("bwrap-doctor: cannot write"),
        "{what}: a message for a reader that went away: {e}"
    );
}

fn a_reader_gone_before_the_first_write_is_success_with_sigpipe_ignored_or_not() {
    let dir = support::install().scratch();
    for args in commands(&dir) {
        for ignore in [true, false] {
            let (r, w) = pipe();
            drop(r);
            // The first write fails with EPIPE (or raises SIGPIPE): every
            // command, whatever its own status (explain's is 1), exits 0.
            let e = run(&args, w.into(), ignore, false, None);
            let what = format!("{} (SIGPIPE ignored: {ignore})", args.join(" "));
            assert_silent_success(&what, &e);
        }
    }
}

fn a_reader_closing_after_the_first_bytes_is_success_with_sigpipe_ignored_or_not() {
    let dir = support::install().scratch();
    for args in commands(&dir) {
        // How much the command writes, and its own status, with a reader
        // that reads everything.
        let whole = support::run(&mut crate::cli_doctor(
            As::User,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        for ignore in [true, false] {
            let (r, w) = pipe();
            // A one-page pipe: output beyond it is written after the reader
            // has closed, so that write fails (EPIPE) for sure.
            // SAFETY: F_SETPIPE_SZ on a pipe we own.
            unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
            let reader = Box::new(move || {
                let mut f = std::fs::File::from(r);
                let mut first = [0u8; 16];
                f.read(&mut first).unwrap_or(0)
            });
            let e = run(&args, w.into(), ignore, false, Some(reader));
            let what = format!(
                "{} (SIGPIPE ignored: {ignore}, {} bytes of output)",
                args.join(" "),
                whole.stdout.len()
            );
            assert!(e.stdout_len > 0, "{what}: nothing read: {e}");
            if whole.stdout.len() > 2 * 4096 {
                assert_silent_success(&what, &e);
            } else {
                // All of it may fit in the pipe before the reader closes:
                // then the command ends with its own status.
                assert_ended_by_itself(&what, &e);
                assert!(
                    e.code == Some(0) || e.code == whole.status.code(),
                    "{what}: {e}"
                );
                assert!(
                    !e.stderr.contains("bwrap-doctor: cannot write"),
                    "{what}: {e}"
                );
            }
        }
    }
}

fn a_panic_is_one_internal_error_line_and_status_101() {
    if !cfg!(feature = "fault-injection") {
        support::skip(
            "needs the test-only fault points: cargo test --features fault-injection (scripts/test.sh does)",
        );
    }
    let out = support::run(
        crate::cli_doctor(As::User, &["rules", "list"]).env("BWRAP_DOCTOR_FAULT", "cli"),
    );
    let err = out.stderr_text();
    assert_eq!(out.status.code(), Some(101), "{err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(
        err.starts_with("bwrap-doctor: internal error: fault injected at cli at src/"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
}

fn explain_with_stdin_closed_says_so_and_exits_2() {
    // The CLI puts /dev/null on a closed fd 0 (so that no file it opens
    // becomes its stdin), yet a closed stdin stays an input error, not an
    // empty input.
    let mut cmd = crate::cli_doctor(As::User, &["explain", "-"]);
    // SAFETY: only close(2) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(0);
            Ok(())
        });
    }
    let out = support::run(&mut cmd);
    let err = out.stderr_text();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("bwrap-doctor: cannot read stdin: Bad file descriptor"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

fn a_hanging_sandbox_ends_check_within_its_bound_saying_so() {
    // A bwrap that answers --version and --help as the real one does and
    // otherwise hangs, as a bwrap stuck on a dead mount would.
    let real = support::real_bwrap();
    let dir = support::install().scratch();
    let hang = dir.join("bwrap");
    std::fs::write(
        &hang,
        format!(
            "#!/bin/sh\ncase \"$1\" in --version|--help) exec {} \"$@\";; esac\nexec sleep 3600\n",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hang, std::fs::Permissions::from_mode(0o755)).unwrap();
    let t = Instant::now();
    let mut cmd = Command::new(&support::install().doctor);
    cmd.args(["check", "--json", "--bwrap", &hang.display().to_string()])
        .plain_env()
        .env("BWRAP_DOCTOR_DEADLINE_MS", "1000");
    As::User.apply(&mut cmd);
    let out = support::run_with_input(&mut cmd, None, Duration::from_secs(60));
    let took = t.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", out.stderr_text()));
    support::schema::assert_valid(&v);
    let plain = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sandbox.plain")
        .unwrap_or_else(|| panic!("no sandbox.plain: {v:#}"));
    let text = plain.to_string();
    assert_eq!(plain["status"], "fail", "{text}");
    assert!(text.contains("timed out after"), "{text}");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr_text());
    // Three sandboxes, each bounded (1 s with the fault-injection build's
    // BWRAP_DOCTOR_DEADLINE_MS, 5 s otherwise).
    let bound = if cfg!(feature = "fault-injection") {
        Duration::from_secs(3 * 2 + 5)
    } else {
        Duration::from_secs(3 * 5 + 10)
    };
    assert!(took < bound, "check took {took:?} (bound {bound:?})");
}
