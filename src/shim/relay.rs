//! The stderr relay: bwrap writes into a pipe (or, when the caller's stderr
//! is a terminal, into a pseudo-terminal with the same settings and window
//! size), and the shim copies every byte to the caller's stderr while keeping
//! a bounded tail for diagnosis.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// How much of the end of stderr is kept for matching bwrap's messages.
pub const TAIL_BYTES: usize = 64 * 1024;

pub struct Relay {
    /// What the shim reads from (pipe read end or pty master).
    pub source: OwnedFd,
    /// What bwrap gets as fd 2 (pipe write end or pty slave); closed by the
    /// shim once bwrap has started.
    pub sink: Option<OwnedFd>,
    pub is_pty: bool,
    /// Writes to the caller's stderr are paced to PIPE_BUF after POLLOUT when
    /// it may block (pipes, sockets), so the shim stays free to pass signals on.
    pub paced: bool,
}

impl Relay {
    /// Set up the relay for the caller's fd 2.
    pub fn new() -> io::Result<Relay> {
        // SAFETY: fstat/isatty on fd 2, which the caller left open.
        let (is_tty, paced) = unsafe {
            let mut st = MaybeUninit::<libc::stat>::zeroed();
            let fmt = if libc::fstat(2, st.as_mut_ptr()) == 0 {
                st.assume_init().st_mode & libc::S_IFMT
            } else {
                0
            };
            (
                libc::isatty(2) == 1,
                fmt != libc::S_IFREG && fmt != libc::S_IFCHR,
            )
        };
        // Without ptys (e.g. no /dev/pts) a pipe still relays every byte.
        if is_tty && let Ok((master, slave)) = pty_like_stderr() {
            return Ok(Relay {
                source: master,
                sink: Some(slave),
                is_pty: true,
                paced,
            });
        }
        let mut p = [0 as RawFd; 2];
        // SAFETY: p has room for two fds.
        if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 returned two fresh fds that we now own.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) };
        set_nonblocking(r.as_raw_fd(), true)?;
        Ok(Relay {
            source: r,
            sink: Some(w),
            is_pty: false,
            paced,
        })
    }

    pub fn sink_fd(&self) -> RawFd {
        self.sink.as_ref().map_or(2, |s| s.as_raw_fd())
    }

    /// Copy the caller's terminal window size onto the relay's pty.
    pub fn sync_window_size(&self) {
        if self.is_pty {
            copy_window_size(2, self.source.as_raw_fd());
        }
    }
}

pub(super) fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: fcntl on our own fd.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        let fl = if on {
            fl | libc::O_NONBLOCK
        } else {
            fl & !libc::O_NONBLOCK
        };
        if fl < 0 || libc::fcntl(fd, libc::F_SETFL, fl) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn copy_window_size(from: RawFd, to: RawFd) {
    let mut ws = MaybeUninit::<libc::winsize>::zeroed();
    // SAFETY: TIOCGWINSZ/TIOCSWINSZ with a valid winsize.
    unsafe {
        if libc::ioctl(from, libc::TIOCGWINSZ, ws.as_mut_ptr()) == 0 {
            libc::ioctl(to, libc::TIOCSWINSZ, ws.as_ptr());
        }
    }
}

/// A pty whose slave looks like the caller's terminal: same termios (except
/// output post-processing, so bytes reach the real terminal unchanged and it
/// does its own) and the same window size.
fn pty_like_stderr() -> io::Result<(OwnedFd, OwnedFd)> {
    // SAFETY: standard pty calls; every fd is owned right after creation.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if m < 0 {
            return Err(io::Error::last_os_error());
        }
        let master = OwnedFd::from_raw_fd(m);
        if libc::grantpt(m) != 0 || libc::unlockpt(m) != 0 {
            return Err(io::Error::last_os_error());
        }
        let s = libc::ioctl(
            m,
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        let s = if s >= 0 {
            s
        } else {
            let mut name = [0 as libc::c_char; 128];
            if libc::ptsname_r(m, name.as_mut_ptr(), name.len()) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        };
        if s < 0 {
            return Err(io::Error::last_os_error());
        }
        let slave = OwnedFd::from_raw_fd(s);
        let mut tio = MaybeUninit::<libc::termios>::zeroed();
        if libc::tcgetattr(2, tio.as_mut_ptr()) == 0 {
            let mut tio = tio.assume_init();
            tio.c_oflag &= !libc::OPOST;
            libc::tcsetattr(s, libc::TCSANOW, &tio);
        }
        copy_window_size(2, m);
        set_nonblocking(m, true)?;
        Ok((master, slave))
    }
}

/// Bytes read from the relay and not yet written to the caller's stderr.
/// Owned by the shim's main function rather than the supervision loop, so
/// that nothing read is lost if the loop fails.
pub struct Outbox {
    /// Left uninitialised: only the pages a read fills are faulted in.
    buf: Box<[std::mem::MaybeUninit<u8>]>,
    pending: std::ops::Range<usize>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            buf: Box::new_uninit_slice(64 * 1024),
            pending: 0..0,
        }
    }
}

impl Outbox {
    /// Read once from `fd` into the (empty) outbox: the read's result.
    pub fn fill_from(&mut self, fd: RawFd) -> isize {
        debug_assert!(self.pending.is_empty());
        // SAFETY: reading into our own buffer.
        let n = unsafe { libc::read(fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
        if n > 0 {
            self.pending = 0..n as usize;
        }
        n
    }

    /// What is waiting to be written.
    pub fn unsent(&self) -> &[u8] {
        // SAFETY: `pending` lies within what the last read initialised.
        unsafe {
            std::slice::from_raw_parts(
                self.buf.as_ptr().add(self.pending.start).cast::<u8>(),
                self.pending.len(),
            )
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// `n` bytes were written.
    pub fn advance(&mut self, n: usize) {
        self.pending.start = (self.pending.start + n).min(self.pending.end);
    }

    pub fn clear(&mut self) {
        self.pending = 0..0;
    }
}

/// The last [`TAIL_BYTES`] bytes of a stream.
#[derive(Default)]
pub struct Tail {
    buf: Vec<u8>,
    dropped: u64,
}

impl Tail {
    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.len() >= TAIL_BYTES {
            self.dropped += (self.buf.len() + bytes.len() - TAIL_BYTES) as u64;
            self.buf.clear();
            self.buf
                .extend_from_slice(&bytes[bytes.len() - TAIL_BYTES..]);
            return;
        }
        self.buf.extend_from_slice(bytes);
        // Compact lazily: at most 2×TAIL_BYTES are ever held.
        if self.buf.len() > 2 * TAIL_BYTES {
            let cut = self.buf.len() - TAIL_BYTES;
            self.dropped += cut as u64;
            self.buf.drain(..cut);
        }
    }

    /// The kept bytes (at most [`TAIL_BYTES`]).
    pub fn bytes(&self) -> &[u8] {
        let start = self.buf.len().saturating_sub(TAIL_BYTES);
        &self.buf[start..]
    }

    /// Whether bytes before the tail were dropped.
    pub fn truncated(&self) -> bool {
        self.dropped > 0 || self.buf.len() > TAIL_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_only_the_last_bytes_of_a_long_stream() {
        let mut t = Tail::default();
        for i in 0..1000u32 {
            t.push(format!("line {i}\n").as_bytes());
        }
        let kept = t.bytes();
        assert!(kept.len() <= TAIL_BYTES);
        assert!(kept.ends_with(b"line 999\n"));
        assert!(!t.truncated());
        t.push(&vec![b'x'; TAIL_BYTES * 3]);
        assert_eq!(t.bytes().len(), TAIL_BYTES);
        assert!(t.truncated());
        t.push(b"bwrap: end\n");
        assert!(t.bytes().ends_with(b"bwrap: end\n"));
        assert!(t.bytes().len() <= TAIL_BYTES);
    }
}
