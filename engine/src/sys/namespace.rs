//! The namespace experiments' child: what bwrap does first (unshare, the id
//! maps, loopback over rtnetlink, procfs mounted by pid 1 of a new pid
//! namespace), done in a forked child with a time bound so that every
//! namespace, mount and process it makes dies with it.
//!
//! The caller prepares everything in a [`Plan`] (the child must not
//! allocate); the child reports the first [`Step`] that failed and its errno.

use super::fork::{self, Failure, Out};
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// What the child does, prepared before the fork.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `CLONE_NEW*` flags for `unshare(2)`.
    pub unshare: libc::c_int,
    /// `uid_map` and `gid_map` contents, when a user namespace is made.
    pub maps: Option<(Vec<u8>, Vec<u8>)>,
    /// Complete `RTM_NEWADDR` and `RTM_NEWLINK` requests (see
    /// [`super::netlink`]), each answered by an ACK or an error.
    pub loopback: Option<(Vec<u8>, Vec<u8>)>,
    /// Fork pid 1 of the new pid namespace; it makes the mount tree
    /// private and mounts a procfs over /proc.
    pub proc_mount: bool,
}

/// The step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Step {
    Unshare = 1,
    UidMap,
    Setgroups,
    GidMap,
    NetlinkSocket,
    NetlinkNewaddr,
    NetlinkNewlink,
    Pid1Fork,
    MakePrivate,
    MountProc,
    /// Pid 1 of the new pid namespace ended without answering.
    Pid1Silent,
}

const ALL_STEPS: [Step; 11] = [
    Step::Unshare,
    Step::UidMap,
    Step::Setgroups,
    Step::GidMap,
    Step::NetlinkSocket,
    Step::NetlinkNewaddr,
    Step::NetlinkNewlink,
    Step::Pid1Fork,
    Step::MakePrivate,
    Step::MountProc,
    Step::Pid1Silent,
];

/// A failed step and its errno (0 when there is none, as for
/// [`Step::Pid1Silent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    pub step: Step,
    pub errno: i32,
}

type Outcome = Result<(), Stopped>;

fn encode(o: Outcome) -> [u8; 5] {
    let (step, errno) = match o {
        Ok(()) => (0, 0),
        Err(s) => (s.step as u8, s.errno),
    };
    let e = errno.to_le_bytes();
    [step, e[0], e[1], e[2], e[3]]
}

fn decode(b: &[u8]) -> Option<Outcome> {
    let step = *b.first()?;
    let errno = i32::from_le_bytes(b.get(1..5)?.try_into().ok()?);
    if step == 0 {
        return Some(Ok(()));
    }
    let step = *ALL_STEPS.iter().find(|s| **s as u8 == step)?;
    Some(Err(Stopped { step, errno }))
}

/// Carry out `plan` in a forked child, waiting at most `limit`: `Ok(())`
/// when every step went through.
pub fn try_in_child(plan: &Plan, limit: Duration) -> Result<Outcome, Failure> {
    // SAFETY: `child` makes only raw syscalls on the buffers prepared in
    // `plan` and on the stack; it does not allocate (see its comment).
    let bytes = unsafe { fork::run(limit, |out: &mut Out| out.push(&encode(child(plan)))) }?;
    decode(&bytes).ok_or(Failure::Garbled)
}

fn stop(step: Step, errno: i32) -> Outcome {
    Err(Stopped { step, errno })
}

/// The experiment itself, in the forked child. Only raw syscalls on
/// buffers prepared by the parent: no allocation, no locks.
fn child(plan: &Plan) -> Outcome {
    let flags = nix::sched::CloneFlags::from_bits_retain(plan.unshare);
    if let Err(e) = nix::sched::unshare(flags) {
        return stop(Step::Unshare, e as i32);
    }
    if let Some((uid_map, gid_map)) = &plan.maps {
        if let Err(e) = write_file(c"/proc/self/uid_map", uid_map) {
            return stop(Step::UidMap, e);
        }
        match write_file(c"/proc/self/setgroups", b"deny\n") {
            Ok(()) | Err(libc::ENOENT) => {} // kernels before 3.19 have none
            Err(e) => return stop(Step::Setgroups, e),
        }
        if let Err(e) = write_file(c"/proc/self/gid_map", gid_map) {
            return stop(Step::GidMap, e);
        }
    }
    if let Some((newaddr, newlink)) = &plan.loopback {
        loopback(newaddr, newlink)?;
    }
    if plan.proc_mount {
        return mount_proc_as_pid1();
    }
    Ok(())
}

/// Write a whole (small) file; the errno on failure. Async-signal-safe.
fn write_file(path: &CStr, content: &[u8]) -> Result<(), i32> {
    use nix::fcntl::OFlag;
    let fd = nix::fcntl::open(
        path,
        OFlag::O_WRONLY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| e as i32)?;
    match nix::unistd::write(&fd, content) {
        Err(e) => Err(e as i32),
        Ok(n) if n != content.len() => Err(libc::EIO),
        Ok(_) => Ok(()),
    }
}

/// bwrap's `loopback_setup`: one rtnetlink request after the other, each
/// answered by an ACK or an error.
fn loopback(newaddr: &[u8], newlink: &[u8]) -> Outcome {
    // SAFETY: socket(2) takes integers only and returns a new fd or -1.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return stop(Step::NetlinkSocket, Errno::last_raw());
    }
    // SAFETY: a fresh fd that nobody else owns; closed when dropped.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    super::netlink::request(fd.as_fd(), newaddr).map_err(|e| Stopped {
        step: Step::NetlinkNewaddr,
        errno: e,
    })?;
    super::netlink::request(fd.as_fd(), newlink).map_err(|e| Stopped {
        step: Step::NetlinkNewlink,
        errno: e,
    })
}

/// Fork pid 1 of the new pid namespace; it makes the mount tree private and
/// mounts a procfs over /proc, then answers through a pipe.
fn mount_proc_as_pid1() -> Outcome {
    use nix::mount::{MsFlags, mount};
    let (read_end, write_end) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => return stop(Step::Pid1Fork, e as i32),
    };
    // SAFETY: we are the single-threaded experiment child; the grandchild
    // makes only raw syscalls and _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return stop(Step::Pid1Fork, Errno::last_raw());
    }
    if pid == 0 {
        // The grandchild (pid 1 of the new pid namespace): raw syscalls,
        // then _exit.
        let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
        let o = if let Err(e) = mount(
            None::<&CStr>,
            c"/",
            None::<&CStr>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&CStr>,
        ) {
            stop(Step::MakePrivate, e as i32)
        } else if let Err(e) = mount(
            Some(c"proc"),
            c"/proc",
            Some(c"proc"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            None::<&CStr>,
        ) {
            stop(Step::MountProc, e as i32)
        } else {
            Ok(())
        };
        let _ = nix::unistd::write(&write_end, &encode(o));
        fork::exit_now(0);
    }
    drop(write_end);
    let mut b = [0u8; 5];
    let mut got = 0usize;
    while got < b.len() {
        match nix::unistd::read(&read_end, &mut b[got..]) {
            Err(Errno::EINTR) => continue,
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    drop(read_end);
    let _ = fork::waitpid(pid, 0);
    let silent = stop(Step::Pid1Silent, 0);
    if got < b.len() {
        return silent;
    }
    decode(&b).unwrap_or(silent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_childs_outcome_round_trips_through_the_pipe_encoding() {
        for s in ALL_STEPS {
            let o = stop(s, libc::EPERM);
            assert_eq!(decode(&encode(o)), Some(o));
        }
        assert_eq!(decode(&encode(Ok(()))), Some(Ok(())));
        assert_eq!(decode(&[99, 0, 0, 0, 0]), None);
        assert_eq!(decode(&[1, 0]), None);
    }
}
