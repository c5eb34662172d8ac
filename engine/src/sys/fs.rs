//! File system calls the standard library does not make: looking at paths
//! that may hang (a dead NFS server, a stale FUSE mount) in a forked child
//! with a time bound, access checks with the effective ids, extended
//! attributes.
//!
//! Each bounded function takes `limit: Option<Duration>`: `Some` on the live
//! host (the work runs in a forked child, see [`super::fork`]), `None` on a
//! fixture tree (in this process: nothing local can hang). The children's
//! bodies are here, next to the fork they run after, and make only
//! async-signal-safe calls into stack buffers: no allocation, no lock.

use super::fork::{self, Failure, Out};
use nix::errno::Errno;
use std::ffi::CStr;
use std::io;
use std::time::Duration;

/// Room for a path spelled out for a syscall, with its NUL.
pub const PREFIX_CAP: usize = libc::PATH_MAX as usize;

/// `faccessat(AT_FDCWD, path, mode, AT_EACCESS)`: may this process, with its
/// effective ids, access `path` as `mode` asks?
pub fn access_effective(path: &CStr, mode: nix::unistd::AccessFlags) -> io::Result<()> {
    nix::unistd::faccessat(
        nix::fcntl::AT_FDCWD,
        path,
        mode,
        nix::fcntl::AtFlags::AT_EACCESS,
    )
    .map_err(io::Error::from)
}

/// `getxattr(path, name)` into `buf`: the attribute's length. Follows a
/// final symlink, as `getxattr(2)` does.
pub fn getxattr(path: &CStr, name: &CStr, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: both names are NUL-terminated; the kernel writes at most
    // `buf.len()` bytes into `buf`.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Every prefix of a path from the root, stored linearly: each prefix is
/// its parent prefix plus one name, a byte range of `abs`
/// (`nodes[i] = (parent, start, end)`), under the host root `root` (without
/// a trailing slash, "" for the live host).
#[derive(Debug, Clone, Copy)]
pub struct Prefixes<'a> {
    pub root: &'a [u8],
    pub abs: &'a [u8],
    pub nodes: &'a [(Option<usize>, usize, usize)],
}

impl Prefixes<'_> {
    /// Prefix `i` under the host root, NUL-terminated, into `buf`; false
    /// when it does not fit (longer than `PATH_MAX`, which the kernel refuses
    /// with ENAMETOOLONG without looking), or when the nodes do not
    /// describe a path of `abs`. No allocation and no panic: runs in a
    /// forked child.
    pub fn spell(&self, i: usize, buf: &mut [u8; PREFIX_CAP]) -> bool {
        // First the length, checking every node and name on the way (at
        // most one step per node: a cycle in `nodes` cannot loop).
        let mut len = self.root.len();
        let mut at = Some(i);
        let mut steps = 0;
        while let Some(n) = at {
            let Some(&(parent, start, end)) = self.nodes.get(n) else {
                return false;
            };
            if start > end || self.abs.get(start..end).is_none() {
                return false;
            }
            steps += 1;
            len += 1 + end - start;
            if len >= PREFIX_CAP || steps > self.nodes.len() {
                return false;
            }
            at = parent;
        }
        // Then the names, from the last backwards (all checked above).
        buf[len] = 0;
        let mut pos = len;
        let mut at = Some(i);
        while let Some(n) = at {
            let (parent, start, end) = self.nodes[n];
            pos -= end - start;
            buf[pos..pos + end - start].copy_from_slice(&self.abs[start..end]);
            pos -= 1;
            buf[pos] = b'/';
            at = parent;
        }
        buf[..pos].copy_from_slice(self.root);
        true
    }
}

/// What the walk of [`first_symlink`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum WalkStep {
    /// Every component exists and none is a symlink.
    Clear,
    /// Component `i` is a symlink with this target.
    Link(usize, Vec<u8>),
    /// Component `i` could not be looked at: errno.
    Error(usize, i32),
}

const TAG_CLEAR: u8 = 0;
const TAG_LINK: u8 = 1;
const TAG_ERROR: u8 = 2;

/// `lstat` each prefix in order, stopping at the first symlink (read with
/// `readlink`) or error.
pub fn first_symlink(p: &Prefixes<'_>, limit: Option<Duration>) -> Result<WalkStep, Failure> {
    // SAFETY: `walk` makes only lstat and readlink calls into stack
    // buffers and pushes into `Out`; it does not allocate.
    let bytes = unsafe { fork::bounded(limit, |out| walk(p, out)) }?;
    decode_step(&bytes).ok_or(Failure::Garbled)
}

/// The body of [`first_symlink`]. Async-signal-safe.
fn walk(w: &Prefixes<'_>, out: &mut Out) {
    let mut p = [0u8; PREFIX_CAP];
    for i in 0..w.nodes.len() {
        let fail = |out: &mut Out, e: i32| {
            out.push(&[TAG_ERROR]);
            out.push(&(i as u32).to_le_bytes());
            out.push(&e.to_le_bytes());
        };
        if !w.spell(i, &mut p) {
            return fail(out, libc::ENAMETOOLONG);
        }
        let Ok(path) = CStr::from_bytes_until_nul(&p) else {
            return fail(out, libc::ENAMETOOLONG);
        };
        let st = match nix::sys::stat::lstat(path) {
            Ok(st) => st,
            Err(e) => return fail(out, e as i32),
        };
        if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
            let mut buf = [0u8; 4000];
            // SAFETY: readlink writes at most `buf.len()` bytes into `buf`;
            // the path is NUL-terminated. (nix's readlink allocates.)
            let n = unsafe { libc::readlink(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
            let Ok(n) = usize::try_from(n) else {
                return fail(out, Errno::last_raw());
            };
            out.push(&[TAG_LINK]);
            out.push(&(i as u32).to_le_bytes());
            out.push(&buf[..n]);
            return;
        }
    }
    out.push(&[TAG_CLEAR]);
}

fn decode_step(b: &[u8]) -> Option<WalkStep> {
    let tag = *b.first()?;
    if tag == TAG_CLEAR {
        return Some(WalkStep::Clear);
    }
    let i = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?) as usize;
    match tag {
        TAG_LINK => Some(WalkStep::Link(i, b[5..].to_vec())),
        TAG_ERROR => Some(WalkStep::Error(
            i,
            i32::from_le_bytes(b.get(5..9)?.try_into().ok()?),
        )),
        _ => None,
    }
}

/// `lstat(path)`: `Ok(())` if it exists (without following a final
/// symlink), else the errno.
pub fn lstat(path: &CStr, limit: Option<Duration>) -> Result<Result<(), i32>, Failure> {
    // SAFETY: the body makes one lstat into a stack buffer and pushes four
    // bytes; it does not allocate.
    let bytes = unsafe {
        fork::bounded(limit, |out| {
            let e = match nix::sys::stat::lstat(path) {
                Ok(_) => 0,
                Err(e) => e as i32,
            };
            out.push(&e.to_le_bytes());
        })
    }?;
    let e = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_le_bytes)
        .ok_or(Failure::Garbled)?;
    Ok(if e == 0 { Ok(()) } else { Err(e) })
}

/// `statfs(path)`: the file system's magic number (`f_type`), else the
/// errno. In a forked child with the time bound `limit`.
pub fn statfs_magic(path: &CStr, limit: Duration) -> Result<Result<u64, i32>, Failure> {
    // SAFETY: the body makes one statfs into a stack buffer and pushes
    // twelve bytes; it does not allocate.
    let bytes = unsafe {
        fork::run(limit, |out| {
            let (e, magic) = match nix::sys::statfs::statfs(path) {
                Ok(st) => (0i32, st.filesystem_type().0 as u64),
                Err(e) => (e as i32, 0),
            };
            out.push(&e.to_le_bytes());
            out.push(&magic.to_le_bytes());
        })
    }?;
    if bytes.len() < 12 {
        return Err(Failure::Garbled);
    }
    let e = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let mut m = [0u8; 8];
    m.copy_from_slice(&bytes[4..12]);
    Ok(if e == 0 {
        Ok(u64::from_le_bytes(m))
    } else {
        Err(e)
    })
}

/// How many bytes of a program [`read_head`] reads: an ELF identification
/// and header (64 bytes for ELF64), or a `#!` line's start.
pub const HEAD_CAP: usize = 64;

/// What [`read_head`] found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// A regular file: its first bytes (at most [`HEAD_CAP`]).
    File(Vec<u8>),
    /// A directory.
    Directory,
    /// Something else that is not a regular file (a FIFO, a device, a
    /// socket): not opened for reading.
    Special,
}

const HEAD_FILE: u8 = 1;
const HEAD_DIR: u8 = 2;
const HEAD_SPECIAL: u8 = 3;

/// The first bytes of the file at `path` (following symlinks, as execve
/// does), else the errno. Read-only and bounded: opened `O_RDONLY |
/// O_NONBLOCK | O_NOCTTY` (a FIFO does not block the open), checked with
/// `fstat` to be a regular file before one `read` of at most [`HEAD_CAP`]
/// bytes. In a forked child with the time bound `limit` on the live host (a
/// file on a hung network mount), in this process on a fixture tree.
pub fn read_head(path: &CStr, limit: Option<Duration>) -> Result<Result<Head, i32>, Failure> {
    // SAFETY: the body makes open, fstat, one read into a stack buffer and
    // close (dropping the descriptor), and pushes at most 5 + HEAD_CAP
    // bytes; it does not allocate.
    let bytes = unsafe {
        fork::bounded(limit, |out| {
            use nix::fcntl::OFlag;
            let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
            let fd = match nix::fcntl::open(path, flags, nix::sys::stat::Mode::empty()) {
                Ok(fd) => fd,
                Err(e) => {
                    out.push(&[0]);
                    out.push(&(e as i32).to_le_bytes());
                    return;
                }
            };
            let kind = match nix::sys::stat::fstat(&fd) {
                Ok(st) => st.st_mode & libc::S_IFMT,
                Err(e) => {
                    out.push(&[0]);
                    out.push(&(e as i32).to_le_bytes());
                    return;
                }
            };
            if kind == libc::S_IFDIR {
                out.push(&[HEAD_DIR]);
                return;
            }
            if kind != libc::S_IFREG {
                out.push(&[HEAD_SPECIAL]);
                return;
            }
            let mut buf = [0u8; HEAD_CAP];
            match nix::unistd::read(&fd, &mut buf) {
                Ok(n) => {
                    out.push(&[HEAD_FILE]);
                    out.push(&buf[..n.min(HEAD_CAP)]);
                }
                Err(e) => {
                    out.push(&[0]);
                    out.push(&(e as i32).to_le_bytes());
                }
            }
        })
    }?;
    match bytes.split_first() {
        Some((&HEAD_FILE, rest)) => Ok(Ok(Head::File(rest.to_vec()))),
        Some((&HEAD_DIR, [])) => Ok(Ok(Head::Directory)),
        Some((&HEAD_SPECIAL, [])) => Ok(Ok(Head::Special)),
        Some((0, e)) => e
            .try_into()
            .map(|b| Err(i32::from_le_bytes(b)))
            .map_err(|_| Failure::Garbled),
        _ => Err(Failure::Garbled),
    }
}

/// The machine this kernel runs (`uname -m`: x86_64, aarch64, armv7l…).
#[must_use]
pub fn machine() -> Option<String> {
    // SAFETY: uname fills the zeroed struct it is given; its fields are
    // NUL-terminated arrays (the zeroed last byte stays a terminator).
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let m = &u.machine;
    let len = m.iter().position(|&c| c == 0).unwrap_or(m.len());
    let bytes: Vec<u8> = m[..len].iter().map(|&c| c as u8).collect();
    String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_steps_round_trip() {
        let mut out = Out::default();
        out.push(&[TAG_LINK]);
        out.push(&3u32.to_le_bytes());
        out.push(b"/run");
        assert_eq!(
            decode_step(out.as_bytes()),
            Some(WalkStep::Link(3, b"/run".to_vec()))
        );
        assert_eq!(decode_step(&[TAG_CLEAR]), Some(WalkStep::Clear));
        assert_eq!(decode_step(&[9]), None);
    }

    #[test]
    fn the_bounded_walk_in_a_child_finds_what_the_in_process_walk_finds() {
        // "/proc/self" is a symlink on every Linux host; "/" is not.
        let abs = b"/proc/self/x";
        let nodes = [(None, 1, 5), (Some(0), 6, 10), (Some(1), 11, 12)];
        let p = Prefixes {
            root: b"",
            abs,
            nodes: &nodes,
        };
        let here = first_symlink(&p, None).unwrap();
        let there = first_symlink(&p, Some(Duration::from_secs(5))).unwrap();
        assert!(matches!(here, WalkStep::Link(1, _)), "{here:?}");
        // The child's own pid is the link's target there: compare the step.
        assert!(matches!(there, WalkStep::Link(1, _)), "{there:?}");
        assert_eq!(lstat(c"/", None), Ok(Ok(())));
        assert_eq!(
            lstat(c"/nonexistent-bwd", Some(Duration::from_secs(5))),
            Ok(Err(libc::ENOENT))
        );
        assert!(matches!(
            statfs_magic(c"/proc", Duration::from_secs(5)),
            Ok(Ok(0x9fa0))
        ));
    }

    #[test]
    fn prefixes_that_do_not_describe_a_path_are_refused_not_a_panic() {
        let spell = |nodes: &[(Option<usize>, usize, usize)], i| {
            let p = Prefixes {
                root: b"/r",
                abs: b"/a/b",
                nodes,
            };
            p.spell(i, &mut [0u8; PREFIX_CAP])
        };
        assert!(spell(&[(None, 1, 2), (Some(0), 3, 4)], 1));
        assert!(!spell(&[(None, 1, 2)], 5), "no such node");
        assert!(!spell(&[(None, 1, 9)], 0), "a name beyond the path");
        assert!(!spell(&[(None, 2, 1)], 0), "a reversed range");
        assert!(!spell(&[(Some(1), 1, 2), (Some(0), 3, 4)], 1), "a cycle");
        let p = Prefixes {
            root: b"/r",
            abs: b"/a/b",
            nodes: &[(None, 1, 2), (Some(0), 3, 4)],
        };
        let mut buf = [0u8; PREFIX_CAP];
        assert!(p.spell(1, &mut buf));
        assert_eq!(CStr::from_bytes_until_nul(&buf).unwrap(), c"/r/a/b");
    }
}
