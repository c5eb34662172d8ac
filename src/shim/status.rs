//! Knowing whether bwrap finished setting up the sandbox, and so whose
//! failure a non-zero exit is.
//!
//! bubblewrap 0.3.2 and later write `{ "exit-code": N }` to a
//! `--json-status-fd` only when the sandboxed program was exec'd (an
//! internal pipe tells bwrap's monitor that exec happened). The shim adds
//! `--json-status-fd N` in front of the caller's arguments, with N the write
//! end of a pipe of its own: bwrap's sandbox child closes N before it runs
//! the program, so the program never sees it. An exit-code line means the
//! program ran and its status is its own; none means bwrap failed while
//! setting up, and its last words are bwrap's.
//!
//! The option is added only where that changes nothing else: the real bwrap
//! is an ELF file that knows the option, and the caller does not use it
//! itself (bwrap keeps only the last one, and 0.11+ warns about repeats).

use super::capture::CallersFds;
use super::locate::RealBwrap;
use crate::sys::argv::{ExtendedArgv, RawArgs};
use bwrap_doctor_engine::marker::FileKind;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use std::ffi::CStr;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::FileExt;

const OPTION: &CStr = c"--json-status-fd";
const USAGE_LINE: &[u8] = b"--json-status-fd FD          Write container status to FD";

/// Whether bwrap set the sandbox up and ran the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// The program was exec'd: what followed is the program's.
    Completed,
    /// bwrap ended before the program was exec'd.
    Failed,
}

/// The shim's status channel to one bwrap run.
pub struct Status {
    read: OwnedFd,
    write: Option<OwnedFd>,
    /// "N" for the write end, as bwrap gets it.
    number: std::ffi::CString,
}

impl Status {
    /// A status channel, if adding it to this call changes nothing else.
    /// `callers`: what the call's fds are (read once, in `capture`): whether
    /// it may pass `--json-status-fd` itself, and the fd numbers it names,
    /// which bwrap's copy of the write end must not take (a closed fd the
    /// call names stays closed).
    pub fn offer(real: &RealBwrap, callers: &CallersFds) -> Option<Status> {
        let avoid = &callers.replay.avoid;
        if real.kind != FileKind::Elf || callers.own_status_fd || !knows_option(&real.path) {
            return None;
        }
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ok()?;
        let write = if avoid.contains(&write.as_raw_fd()) {
            super::fds::dup_avoiding(write.as_raw_fd(), avoid, true).ok()?
        } else {
            write
        };
        let number = std::ffi::CString::new(write.as_raw_fd().to_string()).ok()?;
        Some(Status {
            read,
            write: Some(write),
            number,
        })
    }

    /// The fd bwrap must inherit (close-on-exec is cleared in bwrap only).
    pub fn write_fd(&self) -> Option<RawFd> {
        self.write.as_ref().map(AsRawFd::as_raw_fd)
    }

    pub fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// bwrap has started: only it holds the write end now.
    pub fn close_write(&mut self) {
        self.write = None;
    }

    /// The caller's argv with `--json-status-fd N` after argv[0],
    /// borrowing `args` and `self`.
    pub fn argv<'a>(&'a self, args: &'a RawArgs) -> ExtendedArgv<'a> {
        args.with_after_argv0(&[OPTION, &self.number])
    }

    /// After bwrap has exited: did it run the program?
    pub fn setup(&self) -> Setup {
        let mut text = Vec::new();
        // bwrap has exited, so the pipe holds all it will ever hold. Read
        // without waiting all the same: should any process still hold the
        // write end, the shim must not wait for it.
        let fd = self.read.as_fd();
        if let Ok(flags) = fcntl(fd, FcntlArg::F_GETFL) {
            let flags = OFlag::from_bits_retain(flags) | OFlag::O_NONBLOCK;
            let _ = fcntl(fd, FcntlArg::F_SETFL(flags));
        }
        const CAP: usize = 64 * 1024;
        let mut buf = [0u8; 1024];
        while text.len() < CAP {
            let room = buf.len().min(CAP - text.len());
            match nix::unistd::read(fd, &mut buf[..room]) {
                Ok(0) => break,
                Ok(n) => text.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
        if contains(&text, b"\"exit-code\"") {
            Setup::Completed
        } else {
            Setup::Failed
        }
    }
}

/// Whether the bwrap binary knows the option: its usage text has the line
/// for it (the same words in every release from 0.3.2 on; a program that
/// only names the option, as bwrap-doctor's own grammar does, has not).
/// Read in chunks, without holding the whole file.
fn knows_option(path: &std::path::Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    // From the end backwards: the usage text is in .rodata, after the
    // code, so a bwrap binary shows it within a chunk or two. A chunk on
    // the stack, overlapping the next by the line's length, costs no heap
    // page and at most a few reads; a bwrap binary is well under 8 MiB.
    const CHUNK: u64 = 8 * 1024;
    let needle = USAGE_LINE;
    let mut buf = [0u8; CHUNK as usize + USAGE_LINE.len()];
    let mut end = len.min(8 << 20);
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let want = ((end - start) as usize + needle.len()).min((len - start) as usize);
        let mut have = 0;
        while have < want {
            match file.read_at(&mut buf[have..want], start + have as u64) {
                Ok(0) => break,
                Ok(n) => have += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        if contains(&buf[..have], needle) {
            return true;
        }
        end = start;
    }
    false
}

/// A plain search: `memchr::memmem` would detect the CPU's vector
/// instructions first (a run of CPUID instructions, slow in virtual
/// machines), on the success path of every run.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(p) = hay[from..].iter().position(|&b| b == first) {
        let at = from + p;
        if hay[at + 1..].starts_with(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(content: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!(
            "bwd-status-{}-{}",
            std::process::id(),
            content.len()
        ));
        std::fs::write(&p, content).unwrap();
        p
    }

    #[test]
    fn the_usage_line_is_found_wherever_it_lies_also_across_chunks() {
        for at in [0usize, 100, 8 * 1024 - 10, 8 * 1024, 20_000, 70_000] {
            let mut content = vec![b'x'; 80_000];
            content[at..at + USAGE_LINE.len()].copy_from_slice(USAGE_LINE);
            let p = file_with(&content);
            assert!(knows_option(&p), "line at {at}");
            std::fs::remove_file(&p).unwrap();
        }
        let mut without = vec![b'-'; 30_000];
        without[..16].copy_from_slice(b"--json-status-fd");
        let p = file_with(&without);
        assert!(
            !knows_option(&p),
            "the option's name alone is not its usage line"
        );
        std::fs::remove_file(&p).unwrap();
        assert!(!knows_option(std::path::Path::new("/nonexistent/bwrap")));
    }

    #[test]
    fn the_plain_search_finds_a_needle_and_only_it() {
        assert!(contains(b"abc--json", b"--json"));
        assert!(!contains(b"abc--jso", b"--json"));
        assert!(contains(b"---json", b"--json"));
        assert!(contains(b"anything", b""));
    }
}
