//! Run a small piece of work in a forked child with a time bound, and get
//! its answer back through a pipe.
//!
//! Used for everything that may change the process (namespace experiments)
//! or block (statfs on a hung network mount): the child takes the risk, the
//! caller waits at most `limit`, and on timeout the child's whole process
//! group is killed and reaped. The answer is a small byte record, written
//! once, length-prefixed, so the caller never relies on end-of-file (another
//! thread's fork may briefly hold a copy of the pipe).

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, pipe2, setpgid};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Room for the child's answer; the child writes from a fixed buffer (it
/// must not allocate).
pub const OUT_CAP: usize = 4096;

/// The child's answer, built in place without allocating.
pub struct Out {
    buf: [u8; OUT_CAP],
    len: usize,
}

impl Default for Out {
    fn default() -> Out {
        Out {
            buf: [0; OUT_CAP],
            len: 0,
        }
    }
}

impl Out {
    /// Append bytes; what does not fit is dropped.
    pub fn push(&mut self, b: &[u8]) {
        let n = b.len().min(OUT_CAP - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The child did not answer within the limit; it was killed.
    Timeout(Duration),
    /// The child ended without answering (crashed, killed).
    Died(String),
    /// No child could be made.
    Setup(String),
    /// The child answered bytes that do not decode.
    Garbled,
}

impl Failure {
    /// The reason, for `Obs::Unavailable`.
    #[must_use]
    pub fn reason(&self, what: &str) -> String {
        match self {
            Failure::Timeout(d) => format!("{what} timed out after {} ms", d.as_millis()),
            Failure::Died(why) => format!("{what}: the child process {why} without answering"),
            Failure::Setup(why) => format!("{what}: {why}"),
            Failure::Garbled => format!("{what}: garbled answer"),
        }
    }
}

/// Run `work` in a forked child and return what it pushed into its [`Out`].
///
/// Only for the child bodies of this module's siblings (`sys::fs`,
/// `sys::namespace`): no type can promise that a closure stays
/// async-signal-safe, so the callers that meet this contract live in the
/// `sys` room too, and the rest of the crate gets safe functions.
///
/// # Safety
///
/// `work` runs in the child of a `fork()` of a possibly multi-threaded
/// process: it may only make async-signal-safe calls (plain syscalls) and
/// must not allocate, take locks, or unwind. Build every string it needs
/// before calling `run`.
pub(super) unsafe fn run(limit: Duration, work: impl FnOnce(&mut Out)) -> Result<Vec<u8>, Failure> {
    let (read_end, write_end) = match pipe2(OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => return Err(Failure::Setup(format!("pipe: {}", std::io::Error::from(e)))),
    };
    // SAFETY: fork itself is safe to call; the child below only runs the
    // caller's async-signal-safe `work` (see this function's contract) and
    // plain syscalls (setpgid, write, _exit), then `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Failure::Setup(format!(
            "fork: {}",
            std::io::Error::last_os_error()
        )));
    }
    if pid == 0 {
        // In the child: setpgid, write and _exit are async-signal-safe;
        // `work` is by contract.
        let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
        let mut out = Out::default();
        work(&mut out);
        let len = (out.len as u32).to_le_bytes();
        write_all(write_end.as_fd(), &len);
        write_all(write_end.as_fd(), out.as_bytes());
        exit_now(0);
    }
    // Parent. Put the child in its own group from this side too, so a kill
    // of the group cannot miss it whichever side runs first.
    let _ = setpgid(Pid::from_raw(pid), Pid::from_raw(pid));
    drop(write_end);
    let deadline = Instant::now() + limit;
    let answer = read_answer(&read_end, deadline);
    match answer {
        Ok(bytes) => {
            reap(pid, deadline);
            Ok(bytes)
        }
        Err(None) => {
            kill_group(pid);
            Err(Failure::Timeout(limit))
        }
        Err(Some(())) => Err(Failure::Died(reap(pid, deadline))),
    }
}

/// Write everything, retrying on EINTR (async-signal-safe: one `write`
/// per round, nothing allocated).
pub(super) fn write_all(fd: BorrowedFd<'_>, mut b: &[u8]) {
    while !b.is_empty() {
        match nix::unistd::write(fd, b) {
            Ok(n) => b = &b[n..],
            Err(Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// What one [`read_until`] gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    /// This many bytes, at the start of the buffer.
    Data(usize),
    /// End of file: every writer has closed the pipe.
    Eof,
    /// The deadline passed first.
    TimedOut,
    /// A read or poll error other than an interruption.
    Failed,
}

/// Wait until `fd` is readable or `deadline` passes, then read once into
/// `buf` — the one loop the shim and the probes use to read a child's pipe
/// without ever waiting past a deadline.
pub fn read_until(fd: BorrowedFd<'_>, deadline: Instant, buf: &mut [u8]) -> Chunk {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Chunk::TimedOut;
        }
        let mut pfd = [PollFd::new(fd, PollFlags::POLLIN)];
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        match poll(
            &mut pfd,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Err(Errno::EINTR) | Ok(0) => continue, // the deadline check above ends it
            Err(_) => return Chunk::Failed,
            Ok(_) => {}
        }
        match nix::unistd::read(fd, buf) {
            Ok(0) => return Chunk::Eof,
            Ok(n) => return Chunk::Data(n),
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(_) => return Chunk::Failed,
        }
    }
}

/// Read the length-prefixed answer. `Err(None)`: time is up; `Err(Some)`:
/// end of file before a whole answer (the child died).
fn read_answer(fd: &OwnedFd, deadline: Instant) -> Result<Vec<u8>, Option<()>> {
    let mut got: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if got.len() >= 4 {
            let want = u32::from_le_bytes([got[0], got[1], got[2], got[3]]) as usize;
            if got.len() >= 4 + want {
                return Ok(got[4..4 + want].to_vec());
            }
        }
        match read_until(fd.as_fd(), deadline, &mut buf) {
            Chunk::Data(n) => got.extend_from_slice(&buf[..n]),
            Chunk::TimedOut => return Err(None),
            Chunk::Eof | Chunk::Failed => return Err(Some(())),
        }
    }
}

/// `waitpid(pid, flags)` with the raw wait status (nix's `WaitStatus`
/// cannot carry a real-time signal): `Ok(None)` when `WNOHANG` found the
/// child still running.
pub fn waitpid(pid: libc::pid_t, flags: libc::c_int) -> Result<Option<libc::c_int>, Errno> {
    let mut status = 0;
    // SAFETY: waitpid writes the status into our local; no other memory.
    let r = unsafe { libc::waitpid(pid, &raw mut status, flags) };
    match r {
        r if r < 0 => Err(Errno::last()),
        0 => Ok(None),
        _ => Ok(Some(status)),
    }
}

/// Wait for the child until the deadline (then kill its group); describe
/// how it ended.
fn reap(pid: libc::pid_t, deadline: Instant) -> String {
    loop {
        match waitpid(pid, libc::WNOHANG) {
            Ok(Some(status)) => return describe_status(status),
            Err(Errno::EINTR) => continue,
            // ECHILD: SIGCHLD is ignored, so the kernel reaped it for us.
            Err(_) => return "ended".into(),
            Ok(None) => {}
        }
        if Instant::now() >= deadline {
            kill_group(pid);
            return "did not exit in time and was killed".into();
        }
        wait_for_exit(pid, deadline);
    }
}

/// A pidfd for our own child (Linux 5.3+), to poll for its exit.
fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1;
    // no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    // SAFETY: a fresh fd that nobody else owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sleep until the child may have exited: poll its pidfd up to the
/// deadline, else a short nap.
fn wait_for_exit(pid: libc::pid_t, deadline: Instant) {
    let Some(fd) = pidfd_open(pid) else {
        std::thread::sleep(Duration::from_micros(200));
        return;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
    let mut pfd = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    let _ = poll(
        &mut pfd,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    );
}

/// SIGKILL the child's process group (and the child, in case it had not
/// made its group yet), then reap it.
fn kill_group(pid: libc::pid_t) {
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    while let Err(Errno::EINTR) = waitpid(pid, 0) {}
}

fn describe_status(status: libc::c_int) -> String {
    if libc::WIFEXITED(status) {
        format!("exited with status {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("was killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("ended (wait status {status:#x})")
    }
}

/// `_exit(code)`: end this process at once, running no exit handler and
/// no destructor (async-signal-safe: for a forked child).
#[inline]
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit takes an integer and does not return; skipping exit
    // handlers and destructors is the point.
    unsafe { libc::_exit(code) }
}

/// Run `body` in a forked child with the time bound `limit`, or in this
/// process when `limit` is `None` (a fixture: nothing there can hang).
/// For this room's own child bodies only (see [`run`]).
///
/// # Safety
///
/// As [`run`]: with a limit, `body` runs after `fork()` and must stay
/// async-signal-safe.
pub(super) unsafe fn bounded(
    limit: Option<Duration>,
    body: impl FnOnce(&mut Out),
) -> Result<Vec<u8>, Failure> {
    match limit {
        // SAFETY: passed on from this function's contract.
        Some(limit) => unsafe { run(limit, body) },
        None => {
            let mut out = Out::default();
            body(&mut out);
            Ok(out.as_bytes().to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forked_child_answer_comes_back() {
        // SAFETY: the work only copies bytes.
        let got = unsafe { run(Duration::from_secs(5), |out| out.push(b"hello")) };
        assert_eq!(got, Ok(b"hello".to_vec()));
    }

    #[test]
    fn forked_child_that_hangs_is_killed_at_the_limit() {
        let start = Instant::now();
        // SAFETY: the work only calls pause(2).
        let got = unsafe {
            run(Duration::from_millis(100), |_| {
                loop {
                    libc::pause();
                }
            })
        };
        assert_eq!(got, Err(Failure::Timeout(Duration::from_millis(100))));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn forked_child_that_dies_is_reported_with_its_signal() {
        // SAFETY: the work only raises a signal.
        let got = unsafe {
            run(Duration::from_secs(5), |_| {
                libc::raise(libc::SIGABRT);
            })
        };
        match got {
            Err(Failure::Died(why)) => assert!(why.contains("signal 6"), "{why}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn forked_answer_longer_than_the_buffer_is_truncated_not_overrun() {
        // SAFETY: the work only copies bytes.
        let got = unsafe {
            run(Duration::from_secs(5), |out| {
                for _ in 0..10 {
                    out.push(&[7u8; 1000]);
                }
            })
        };
        assert_eq!(got.map(|v| v.len()), Ok(OUT_CAP));
    }
}
