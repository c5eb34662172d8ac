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

use std::mem::MaybeUninit;

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

fn stat(fd: i32) -> Option<libc::stat> {
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: fstat into our own buffer.
    (unsafe { libc::fstat(fd, st.as_mut_ptr()) } == 0).then(|| unsafe { st.assume_init() })
}

/// Look at fd 2 (an fstat; for a file an fcntl and an lseek too).
pub fn stderr() -> Stderr {
    match stat(2) {
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFREG => {
            // SAFETY: fcntl/lseek on fd 2 read its state only.
            let (flags, offset) = unsafe {
                (
                    libc::fcntl(2, libc::F_GETFL),
                    libc::lseek(2, 0, libc::SEEK_CUR),
                )
            };
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
        stat(2).map_or(0, |st| st.st_size)
    } else {
        // SAFETY: lseek reads the offset only.
        unsafe { libc::lseek(2, 0, libc::SEEK_CUR) }
    };
    u64::try_from(end).unwrap_or(0)
}
