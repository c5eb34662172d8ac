//! Run a small piece of work in a forked child with a time bound, and get
//! its answer back through a pipe.
//!
//! Used for everything that may change the process (namespace experiments)
//! or block (statfs on a hung network mount): the child takes the risk, the
//! caller waits at most `limit`, and on timeout the child's whole process
//! group is killed and reaped. The answer is a small byte record, written
//! once, length-prefixed, so the caller never relies on end-of-file (another
//! thread's fork may briefly hold a copy of the pipe).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
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
}

impl Failure {
    /// The reason, for `Obs::Unavailable`.
    pub fn reason(&self, what: &str) -> String {
        match self {
            Failure::Timeout(d) => format!("{what} timed out after {} ms", d.as_millis()),
            Failure::Died(why) => format!("{what}: the child process {why} without answering"),
            Failure::Setup(why) => format!("{what}: {why}"),
        }
    }
}

/// Run `work` in a forked child and return what it pushed into its [`Out`].
///
/// # Safety
///
/// `work` runs in the child of a `fork()` of a possibly multi-threaded
/// process: it may only make async-signal-safe calls (plain syscalls) and
/// must not allocate, take locks, or unwind. Build every string it needs
/// before calling `run`.
pub unsafe fn run(limit: Duration, work: impl FnOnce(&mut Out)) -> Result<Vec<u8>, Failure> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array we pass.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Failure::Setup(format!(
            "pipe: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: fork itself is safe to call; the child below only runs the
    // caller's async-signal-safe `work` (see this function's contract) and
    // plain syscalls, then `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Failure::Setup(format!(
            "fork: {}",
            std::io::Error::last_os_error()
        )));
    }
    if pid == 0 {
        // SAFETY: in the child: setpgid, write and _exit are
        // async-signal-safe; `work` is by contract.
        unsafe {
            libc::setpgid(0, 0);
            let mut out = Out::default();
            work(&mut out);
            let len = (out.len as u32).to_le_bytes();
            write_all(write_end.as_raw_fd(), &len);
            write_all(write_end.as_raw_fd(), out.as_bytes());
            libc::_exit(0);
        }
    }
    // Parent. Put the child in its own group from this side too, so a kill
    // of the group cannot miss it whichever side runs first.
    // SAFETY: setpgid on our own child.
    unsafe { libc::setpgid(pid, pid) };
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

/// Write everything, retrying on EINTR (async-signal-safe).
unsafe fn write_all(fd: libc::c_int, mut b: &[u8]) {
    while !b.is_empty() {
        // SAFETY: writing from a valid buffer.
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        if n < 0 {
            // SAFETY: reading errno.
            if unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return;
        }
        b = &b[n as usize..];
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
pub fn read_until(fd: RawFd, deadline: Instant, buf: &mut [u8]) -> Chunk {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Chunk::TimedOut;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        // SAFETY: polling one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        let interrupted =
            || std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        if r < 0 && !interrupted() {
            return Chunk::Failed;
        }
        if r <= 0 {
            continue; // interrupted, or the deadline check above ends it
        }
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => return Chunk::Eof,
            n if n > 0 => return Chunk::Data(n as usize),
            _ if interrupted() => {}
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock => {}
            _ => return Chunk::Failed,
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
        match read_until(fd.as_raw_fd(), deadline, &mut buf) {
            Chunk::Data(n) => got.extend_from_slice(&buf[..n]),
            Chunk::TimedOut => return Err(None),
            Chunk::Eof | Chunk::Failed => return Err(Some(())),
        }
    }
}

/// Wait for the child until the deadline (then kill its group); describe
/// how it ended.
fn reap(pid: libc::pid_t, deadline: Instant) -> String {
    loop {
        let mut status = 0;
        // SAFETY: waiting for our own child, without blocking.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return describe_status(status);
        }
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // ECHILD: SIGCHLD is ignored, so the kernel reaped it for us.
            return "ended".into();
        }
        if Instant::now() >= deadline {
            kill_group(pid);
            return "did not exit in time and was killed".into();
        }
        wait_for_exit(pid, deadline);
    }
}

/// Sleep until the child may have exited: poll its pidfd (Linux 5.3+) up
/// to the deadline, else a short nap.
fn wait_for_exit(pid: libc::pid_t, deadline: Instant) {
    // SAFETY: pidfd_open on our own child; the fd is owned below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    if fd < 0 {
        std::thread::sleep(Duration::from_micros(200));
        return;
    }
    // SAFETY: a fresh fd that nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let left = deadline.saturating_duration_since(Instant::now());
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    // SAFETY: polling one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

/// SIGKILL the child's process group (and the child, in case it had not
/// made its group yet), then reap it.
fn kill_group(pid: libc::pid_t) {
    // SAFETY: signalling our own child and its group, then reaping it.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 {
            if *libc::__errno_location() != libc::EINTR {
                break;
            }
        }
    }
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

/// This thread's errno, read right after a failed call (also in a forked
/// child, where nothing may allocate).
pub fn errno() -> i32 {
    // SAFETY: reading this thread's errno.
    unsafe { *libc::__errno_location() }
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
