//! Where bwrap's stderr goes, decided once from what the caller's fd 2 is.
//!
//! The sandboxed program inherits bwrap's fd 2, so whatever the shim puts
//! there the program sees. The shim therefore hands bwrap the caller's own
//! fd 2 — the same open file description: a terminal keeps job control and
//! `stty`, a file keeps `lseek` and `O_APPEND`, a socket stays journald's
//! stream, `2>&1` keeps its order — and learns bwrap's own messages by
//! other means (`capture`). Only where a pipe of its own stood does it put
//! a relayed pipe, which a program cannot tell from the caller's.

use std::mem::MaybeUninit;

/// What bwrap gets as fd 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The caller's stderr is a pipe or FIFO of its own (not also stdout)
    /// that someone still reads: relay it through the shim's pipe.
    Relay,
    /// bwrap gets the caller's fd 2 itself.
    Direct(Direct),
}

/// What the shim can later learn from the caller's fd 2 when bwrap gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direct {
    /// A regular file: bwrap's writes land from this offset on and can be
    /// read back after it exits.
    File { start: u64, append: bool },
    /// A terminal, a socket, a device, or a pipe shared with stdout: nothing
    /// written there can be read back.
    Opaque,
}

fn stat(fd: i32) -> Option<libc::stat> {
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: fstat into our own buffer.
    (unsafe { libc::fstat(fd, st.as_mut_ptr()) } == 0).then(|| unsafe { st.assume_init() })
}

/// Decide from the caller's fd 2 (which is open: the shim runs bwrap in
/// place when it is not).
pub fn decide() -> Plan {
    let Some(err) = stat(2) else {
        return Plan::Direct(Direct::Opaque);
    };
    match err.st_mode & libc::S_IFMT {
        libc::S_IFIFO => {
            let shared_with_stdout =
                stat(1).is_some_and(|out| out.st_dev == err.st_dev && out.st_ino == err.st_ino);
            if shared_with_stdout || reader_gone() {
                // `2>&1 | …` keeps its order only on the one pipe; and with
                // no reader left, bwrap itself must meet the EPIPE.
                Plan::Direct(Direct::Opaque)
            } else {
                Plan::Relay
            }
        }
        libc::S_IFREG => {
            // SAFETY: fcntl/lseek on fd 2 read its state only.
            let (flags, offset) = unsafe {
                (
                    libc::fcntl(2, libc::F_GETFL),
                    libc::lseek(2, 0, libc::SEEK_CUR),
                )
            };
            let append = flags >= 0 && flags & libc::O_APPEND != 0;
            let start = if append { err.st_size } else { offset };
            Plan::Direct(Direct::File {
                start: u64::try_from(start).unwrap_or(0),
                append,
            })
        }
        _ => Plan::Direct(Direct::Opaque),
    }
}

/// A pipe whose every reader has closed reports POLLERR to its writers.
fn reader_gone() -> bool {
    let mut p = libc::pollfd {
        fd: 2,
        events: 0,
        revents: 0,
    };
    // SAFETY: polling fd 2 without waiting.
    unsafe { libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLERR != 0 }
}

/// Where the caller's regular-file stderr ends now.
pub fn file_end(append: bool) -> u64 {
    let end = if append {
        stat(2).map_or(0, |st| st.st_size)
    } else {
        // SAFETY: lseek reads the offset only.
        unsafe { libc::lseek(2, 0, libc::SEEK_CUR) }
    };
    u64::try_from(end).unwrap_or(0)
}
