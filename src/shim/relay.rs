//! The stderr relay, used only where a pipe stood: when the caller's stderr
//! is a pipe (not shared with stdout), bwrap writes into a pipe of the
//! shim's and the shim copies every byte on while keeping a bounded tail for
//! diagnosis. Everywhere else (a terminal, a file, a socket, `2>&1`) bwrap
//! gets the caller's own stderr and no relay exists (see `plan`).
//!
//! The relay's pipe is in packet mode (`O_DIRECT`): every write a sandboxed
//! program makes of up to `PIPE_BUF` bytes is read back as one packet and
//! written on with one write, so it stays as atomic on the caller's pipe as
//! it would have been without the shim (several writers sharing one pipe
//! never see their lines torn).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// How much of the end of stderr is kept for matching bwrap's messages.
pub const TAIL_BYTES: usize = 64 * 1024;

pub struct Relay {
    /// What the shim reads from (the pipe's read end).
    pub source: OwnedFd,
    /// What bwrap gets as fd 2 (the pipe's write end); closed by the shim
    /// once bwrap has started.
    pub sink: Option<OwnedFd>,
}

impl Relay {
    /// A relay pipe, in packet mode where the kernel has it (3.4+).
    pub fn new() -> io::Result<Relay> {
        let mut p = [0 as RawFd; 2];
        // SAFETY: p has room for two fds.
        let packet = unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC | libc::O_DIRECT) } == 0;
        // SAFETY: as above, without packet mode.
        if !packet && unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 returned two fresh fds that we now own.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) };
        set_nonblocking(r.as_raw_fd(), true)?;
        Ok(Relay {
            source: r,
            sink: Some(w),
        })
    }

    pub fn sink_fd(&self) -> RawFd {
        self.sink.as_ref().map_or(2, |s| s.as_raw_fd())
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
}

impl Tail {
    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.len() >= TAIL_BYTES {
            self.buf.clear();
            self.buf
                .extend_from_slice(&bytes[bytes.len() - TAIL_BYTES..]);
            return;
        }
        self.buf.extend_from_slice(bytes);
        // Compact lazily: at most 2×TAIL_BYTES are ever held.
        if self.buf.len() > 2 * TAIL_BYTES {
            let cut = self.buf.len() - TAIL_BYTES;
            self.buf.drain(..cut);
        }
    }

    /// The kept bytes (at most [`TAIL_BYTES`]).
    pub fn bytes(&self) -> &[u8] {
        let start = self.buf.len().saturating_sub(TAIL_BYTES);
        &self.buf[start..]
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
        t.push(&vec![b'x'; TAIL_BYTES * 3]);
        assert_eq!(t.bytes().len(), TAIL_BYTES);
        t.push(b"bwrap: end\n");
        assert!(t.bytes().ends_with(b"bwrap: end\n"));
        assert!(t.bytes().len() <= TAIL_BYTES);
    }
}
