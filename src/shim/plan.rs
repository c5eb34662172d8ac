//! What the caller's stderr is, recorded before bwrap starts.
//!
//! The sandboxed program inherits bwrap's fd 2, so whatever the shim put
//! there the program would see. The shim therefore never puts anything
//! there: bwrap gets the caller's own fd 2 — the same open file description —
//! so a terminal keeps job control and `stty`, a file keeps `lseek` and
//! `O_APPEND`, a socket stays journald's stream, `2>&1` keeps its order, a
//! shared pipe keeps its atomic writes, and a write error is the program's
//! own. The shim learns bwrap's messages afterwards (`capture`); for that it
//! needs to know where, in a regular file, bwrap began to write.

use nix::sys::stat::{FileStat, fstat};
use nix::unistd::{Whence, lseek};
use std::os::fd::AsFd;

/// The caller's fd 2, as far as reading bwrap's words back goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stderr {
    /// A regular file: bwrap's writes land from `start` on and can be read
    /// back after it exits.
    File { start: u64, append: bool },
    /// A terminal, a pipe, a socket, a device: nothing written there can be
    /// read back.
    Opaque,
}

/// fstat of fd 2.
fn stat() -> Option<FileStat> {
    fstat(std::io::stderr().as_fd()).ok()
}

/// fd 2's file offset (`lseek(2, 0, SEEK_CUR)`: reads it only).
fn offset() -> i64 {
    lseek(std::io::stderr().as_fd(), 0, Whence::SeekCur).unwrap_or(-1)
}

/// Look at fd 2 (an fstat; for a file an fcntl and an lseek too).
pub fn stderr() -> Stderr {
    match stat() {
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFREG => {
            let flags = nix::fcntl::fcntl(std::io::stderr().as_fd(), nix::fcntl::FcntlArg::F_GETFL);
            let (flags, offset) = (flags.unwrap_or(-1), offset());
            let append = flags >= 0 && flags & libc::O_APPEND != 0;
            let start = if append { st.st_size } else { offset };
            Stderr::File {
                start: u64::try_from(start).unwrap_or(0),
                append,
            }
        }
        _ => Stderr::Opaque,
    }
}

/// Where the caller's regular-file stderr ends now.
pub fn file_end(append: bool) -> u64 {
    let end = if append {
        stat().map_or(0, |st| st.st_size)
    } else {
        offset()
    };
    u64::try_from(end).unwrap_or(0)
}
