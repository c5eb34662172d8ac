//! The caller's signal state, captured before anything else runs, and the
//! set of signals the shim takes over (blocks and reads from a signalfd) so
//! that it can pass them on to bwrap.

use std::mem::MaybeUninit;

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
pub fn parent_death_signal() -> libc::c_int {
    libc::SIGRTMAX()
}

pub struct SignalState {
    /// The mask the caller gave us; bwrap gets exactly this one.
    pub original_mask: libc::sigset_t,
    /// What the shim blocks and reads from its signalfd.
    pub taken: libc::sigset_t,
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

pub fn set_disposition(sig: libc::c_int, handler: libc::sighandler_t) {
    let mut act = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a zeroed sigaction with an empty mask and a plain handler.
    unsafe {
        let a = act.as_mut_ptr();
        (*a).sa_sigaction = handler;
        libc::sigemptyset(&mut (*a).sa_mask);
        libc::sigaction(sig, a, std::ptr::null_mut());
    }
}

impl SignalState {
    /// Read the caller's state. Changes nothing.
    pub fn capture() -> SignalState {
        let mut original_mask = empty_set();
        // SAFETY: SIG_BLOCK with an empty set only reads the current mask.
        unsafe {
            let none = empty_set();
            libc::pthread_sigmask(libc::SIG_BLOCK, &none, &mut original_mask);
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
            unsafe { libc::sigaddset(&mut taken, sig) };
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
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &self.taken, std::ptr::null_mut()) };
        if self.chld_was_ignored {
            set_disposition(libc::SIGCHLD, libc::SIG_DFL);
        }
    }

    /// Undo [`take_over`](Self::take_over), e.g. before running bwrap in place.
    pub fn restore(&self) {
        if self.chld_was_ignored {
            set_disposition(libc::SIGCHLD, libc::SIG_IGN);
        }
        // SAFETY: restoring the captured mask.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.original_mask, std::ptr::null_mut())
        };
    }

    pub fn is_taken(&self, sig: libc::c_int) -> bool {
        // SAFETY: reading a valid set.
        unsafe { libc::sigismember(&self.taken, sig) == 1 }
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
        libc::sigaddset(&mut one, sig);
        // If the same stop is already pending (the terminal sent it to the
        // whole group), unblocking delivers it; raising as well would stop
        // us a second time after the continue.
        let mut pending = empty_set();
        libc::sigpending(&mut pending);
        let already = libc::sigismember(&pending, sig) == 1;
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &one, std::ptr::null_mut());
        if !already {
            libc::raise(sig);
        }
        if state.is_taken(sig) {
            libc::pthread_sigmask(libc::SIG_BLOCK, &one, std::ptr::null_mut());
        }
    }
}
