//! The caller's signal state, captured before anything else runs, and the
//! set of signals the shim takes over (blocks and reads from a signalfd) so
//! that it can pass them on to bwrap; signals by number (nix's `Signal`
//! has no real-time signals, which the shim passes on too).

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Signals the shim never blocks: uncatchable ones, faults raised by its own
/// code, and terminal stops for background I/O (those concern the shim's own
/// writes and keep their default action).
const NEVER_BLOCK: &[libc::c_int] = &[
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGSYS,
    libc::SIGTTIN,
    libc::SIGTTOU,
];

/// The signal the kernel sends the shim when its parent dies
/// (`PR_SET_PDEATHSIG`); needed to keep `--die-with-parent` meaningful.
#[must_use]
pub fn parent_death_signal() -> libc::c_int {
    libc::SIGRTMAX()
}

pub struct SignalState {
    /// The mask the caller gave us; bwrap gets exactly this one.
    pub(super) original_mask: libc::sigset_t,
    /// What the shim blocks and reads from its signalfd.
    taken: libc::sigset_t,
    /// SIGCHLD was ignored by the caller: the shim needs it at its default
    /// to wait for bwrap, and bwrap must still start with it ignored.
    pub chld_was_ignored: bool,
}

fn empty_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        set.assume_init()
    }
}

fn is_ignored(sig: libc::c_int) -> bool {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: querying only (act = NULL).
    let rc = unsafe { libc::sigaction(sig, std::ptr::null(), old.as_mut_ptr()) };
    // SAFETY: sigaction filled it in on success.
    rc == 0 && unsafe { old.assume_init() }.sa_sigaction == libc::SIG_IGN
}

/// A disposition without a handler of the shim's: no code of ours ever
/// runs as a signal handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Default,
    Ignore,
}

/// Set `sig`'s disposition (async-signal-safe: also used in the spawn
/// child). An invalid or uncatchable signal is left as it is.
#[inline]
pub fn set_disposition(sig: libc::c_int, disposition: Disposition) {
    let handler = match disposition {
        Disposition::Default => libc::SIG_DFL,
        Disposition::Ignore => libc::SIG_IGN,
    };
    let mut act = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a zeroed sigaction with an empty mask and SIG_DFL or SIG_IGN
    // (no handler function); sigaction only reads it.
    unsafe {
        let a = act.as_mut_ptr();
        (*a).sa_sigaction = handler;
        libc::sigemptyset(&raw mut (*a).sa_mask);
        libc::sigaction(sig, a, std::ptr::null_mut());
    }
}

/// `kill(pid, sig)`, with any signal number (real-time ones included).
#[inline]
pub fn kill(pid: libc::pid_t, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: kill takes integers only.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `raise(sig)`, with any signal number.
#[inline]
pub fn raise(sig: libc::c_int) {
    // SAFETY: raise takes an integer only.
    unsafe { libc::raise(sig) };
}

/// Unblock `sig` in this thread's mask (a pending one is delivered).
pub fn unblock(sig: libc::c_int) {
    let mut one = empty_set();
    // SAFETY: adding a signal number to, and unblocking, a set we own.
    unsafe {
        libc::sigaddset(&raw mut one, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const one, std::ptr::null_mut());
    }
}

/// `prctl(PR_SET_PDEATHSIG, sig)`: the kernel sends `sig` to this process
/// when its parent dies (any signal number; nix takes named ones only).
#[inline]
pub fn set_parent_death_signal(sig: libc::c_int) {
    // SAFETY: prctl with integer arguments on this process.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong) };
}

/// A signalfd for the signals [`SignalState`] takes over, non-blocking and
/// close-on-exec.
pub fn signalfd(signals: &SignalState) -> io::Result<OwnedFd> {
    // SAFETY: creating a new signalfd for a valid set.
    let fd = unsafe {
        libc::signalfd(
            -1,
            &raw const signals.taken,
            libc::SFD_CLOEXEC | libc::SFD_NONBLOCK,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Read every record waiting on a non-blocking signalfd into `infos`.
pub fn read_signalfd(fd: BorrowedFd<'_>, infos: &mut Vec<libc::signalfd_siginfo>) {
    let size = std::mem::size_of::<libc::signalfd_siginfo>();
    loop {
        let mut batch = [MaybeUninit::<libc::signalfd_siginfo>::zeroed(); 16];
        // SAFETY: reading at most `batch`'s size in bytes into it.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                batch.as_mut_ptr().cast(),
                size * batch.len(),
            )
        };
        if n <= 0 {
            break;
        }
        for b in batch.iter().take(n as usize / size) {
            // SAFETY: zeroed, then (for the first n / size) filled by the
            // kernel; every bit pattern is valid for this plain C struct.
            infos.push(unsafe { b.assume_init() });
        }
    }
}

impl SignalState {
    /// Read the caller's state. Changes nothing.
    #[must_use]
    pub fn capture() -> SignalState {
        let mut original_mask = empty_set();
        // SAFETY: SIG_BLOCK with an empty set only reads the current mask.
        unsafe {
            let none = empty_set();
            libc::pthread_sigmask(libc::SIG_BLOCK, &raw const none, &raw mut original_mask);
        }
        let mut taken = empty_set();
        let (rtmin, rtmax) = (libc::SIGRTMIN(), libc::SIGRTMAX());
        for sig in 1..=rtmax {
            // 32..SIGRTMIN are glibc's own; it refuses to block them.
            let reserved = sig > libc::SIGSYS && sig < rtmin;
            // A stop signal the caller ignores must stay ignored, unread.
            if NEVER_BLOCK.contains(&sig)
                || reserved
                || (sig == libc::SIGTSTP && is_ignored(libc::SIGTSTP))
            {
                continue;
            }
            // SAFETY: sig is a valid signal number.
            unsafe { libc::sigaddset(&raw mut taken, sig) };
        }
        SignalState {
            original_mask,
            taken,
            chld_was_ignored: is_ignored(libc::SIGCHLD),
        }
    }

    /// Take the signals over: block them (they queue for the signalfd) and
    /// make sure SIGCHLD reports bwrap's exit to us.
    pub fn take_over(&self) {
        // SAFETY: blocking a valid set.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &raw const self.taken, std::ptr::null_mut())
        };
        if self.chld_was_ignored {
            set_disposition(libc::SIGCHLD, Disposition::Default);
        }
    }

    /// Undo [`take_over`](Self::take_over), e.g. before running bwrap in place.
    pub fn restore(&self) {
        if self.chld_was_ignored {
            set_disposition(libc::SIGCHLD, Disposition::Ignore);
        }
        // SAFETY: restoring the captured mask.
        unsafe {
            libc::pthread_sigmask(
                libc::SIG_SETMASK,
                &raw const self.original_mask,
                std::ptr::null_mut(),
            )
        };
    }

    #[must_use]
    pub fn is_taken(&self, sig: libc::c_int) -> bool {
        // SAFETY: reading a valid set.
        unsafe { libc::sigismember(&raw const self.taken, sig) == 1 }
    }
}

/// Stop this process with `sig` the way the kernel would have: with the
/// signal's default action, so that the caller's `waitpid` reports the same
/// stop signal. Returns once the process is continued.
pub fn stop_self(sig: libc::c_int, state: &SignalState) {
    // SAFETY: plain signal syscalls on our own process.
    unsafe {
        if sig == libc::SIGSTOP {
            libc::kill(libc::getpid(), libc::SIGSTOP);
            return;
        }
        let mut one = empty_set();
        libc::sigaddset(&raw mut one, sig);
        // If the same stop is already pending (the terminal sent it to the
        // whole group), unblocking delivers it; raising as well would stop
        // us a second time after the continue.
        let mut pending = empty_set();
        libc::sigpending(&raw mut pending);
        let already = libc::sigismember(&raw const pending, sig) == 1;
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const one, std::ptr::null_mut());
        if !already {
            libc::raise(sig);
        }
        if state.is_taken(sig) {
            libc::pthread_sigmask(libc::SIG_BLOCK, &raw const one, std::ptr::null_mut());
        }
    }
}
