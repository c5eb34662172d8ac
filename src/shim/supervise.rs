//! The supervision loop: pass signals on, follow bwrap's stops, and
//! collect how it ended. bwrap has the caller's own stderr (see `plan`), so
//! there is nothing to relay.
//!
//! Single-threaded: one `poll` over the signalfd.

use super::exit::ExitReason;
use crate::sys::process::waitpid;
use crate::sys::signal::{self as signals, SignalState};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::os::fd::{AsFd, OwnedFd};

pub struct Supervisor<'a> {
    pub child: libc::pid_t,
    pub signals: &'a SignalState,
    pub sigfd: OwnedFd,
    /// The parent when we started; a change means the caller died.
    pub original_ppid: libc::pid_t,
    /// Asked only when the caller has died.
    pub die_with_parent: &'a dyn Fn() -> bool,
    exit: Option<ExitReason>,
}

pub use crate::sys::signal::signalfd;

impl<'a> Supervisor<'a> {
    pub fn new(
        child: libc::pid_t,
        signals: &'a SignalState,
        sigfd: OwnedFd,
        original_ppid: libc::pid_t,
        die_with_parent: &'a dyn Fn() -> bool,
    ) -> Self {
        Supervisor {
            child,
            signals,
            sigfd,
            original_ppid,
            die_with_parent,
            exit: None,
        }
    }

    /// How bwrap ended, once it has been reaped.
    pub fn reaped(&self) -> Option<ExitReason> {
        self.exit
    }

    /// Run until bwrap has ended; how it ended.
    pub fn run(&mut self) -> ExitReason {
        while self.exit.is_none() {
            let mut p = [PollFd::new(self.sigfd.as_fd(), PollFlags::POLLIN)];
            // EINTR goes round again.
            if matches!(poll(&mut p, PollTimeout::NONE), Ok(n) if n > 0) {
                self.handle_signals();
            }
            crate::fault::point("supervise");
        }
        self.exit.unwrap_or(ExitReason::Code(1))
    }

    fn handle_signals(&mut self) {
        let mut infos: Vec<libc::signalfd_siginfo> = Vec::new();
        signals::read_signalfd(self.sigfd.as_fd(), &mut infos);
        let me = std::process::id() as u32;
        let has = |sig: i32| infos.iter().any(|i| i.ssi_signo == sig as u32);

        // Continue before anything else: a SIGCHLD read in the same batch
        // must see bwrap as it is after the continue, not stop us again.
        if has(libc::SIGCONT) && self.child_is_stopped() {
            self.forward(libc::SIGCONT);
        }
        let mut stopped_self = false;
        for info in infos.iter().filter(|i| i.ssi_signo == libc::SIGTSTP as u32) {
            if !from_kernel(info) && info.ssi_pid != me {
                self.forward(libc::SIGTSTP);
            }
            if !stopped_self {
                signals::stop_self(libc::SIGTSTP, self.signals);
                stopped_self = true;
            }
        }
        for info in &infos {
            let sig = info.ssi_signo as i32;
            if sig == libc::SIGCONT || sig == libc::SIGTSTP {
                continue;
            }
            if sig == libc::SIGCHLD {
                self.reap(&mut stopped_self);
                continue;
            }
            if sig == signals::parent_death_signal() && self.parent_died() {
                if (self.die_with_parent)() {
                    // bwrap set PR_SET_PDEATHSIG against us: our death is what
                    // kills the sandbox, as the caller's death would have.
                    // Should bwrap not have asked (its arguments could not be
                    // read back), our death costs the sandbox nothing: it
                    // holds the caller's stderr, not ours.
                    let _ = signals::kill(std::process::id() as libc::pid_t, libc::SIGKILL);
                }
                continue;
            }
            if self.should_forward(info, me) {
                self.forward(sig);
            }
        }
    }

    /// Whether a signal the shim received was meant for bwrap.
    fn should_forward(&self, info: &libc::signalfd_siginfo, me: u32) -> bool {
        // Sent by ourselves (an EPIPE's SIGPIPE, a file-size SIGXFSZ) or by
        // bwrap: not for bwrap.
        if info.ssi_pid == me || info.ssi_pid == self.child as u32 {
            return false;
        }
        if from_kernel(info) {
            // The terminal sends INT, QUIT, WINCH, HUP to the whole foreground
            // group, bwrap included: passing them on would deliver them twice.
            // Only a session leader gets a hangup for itself.
            let leader = nix::unistd::getsid(None).ok() == Some(nix::unistd::getpid());
            return info.ssi_signo == libc::SIGHUP as u32 && leader;
        }
        true
    }

    fn forward(&self, sig: i32) {
        if self.exit.is_none() {
            // The child is not reaped yet, so its pid cannot be reused.
            let _ = signals::kill(self.child, sig);
        }
    }

    fn parent_died(&self) -> bool {
        nix::unistd::getppid().as_raw() != self.original_ppid
    }

    fn child_is_stopped(&self) -> bool {
        if self.exit.is_some() {
            return false;
        }
        match std::fs::read(format!("/proc/{}/stat", self.child)) {
            Ok(stat) => {
                // The state follows the last ')' (the name may contain any byte).
                let after = stat
                    .iter()
                    .rposition(|&b| b == b')')
                    .map_or(&stat[..0], |p| &stat[p + 1..]);
                matches!(after.get(1), Some(b'T' | b't'))
            }
            // Without /proc, continuing a running process does no harm.
            Err(_) => true,
        }
    }

    fn reap(&mut self, stopped_self: &mut bool) {
        while self.exit.is_none() {
            let flags = libc::WNOHANG | libc::WUNTRACED | libc::WCONTINUED;
            let status = match waitpid(self.child, flags) {
                Ok(Some(status)) => status,
                Ok(None) => return,
                Err(e) => {
                    if e.raw_os_error() == Some(libc::ECHILD) {
                        // Someone else reaped it; nothing more can be learned.
                        self.exit = Some(ExitReason::Code(1));
                    }
                    return;
                }
            };
            if libc::WIFSTOPPED(status) {
                // bwrap was stopped (e.g. SIGSTOP to its pid): the caller
                // should see its child stopped, as it would have.
                if !*stopped_self {
                    signals::stop_self(libc::WSTOPSIG(status), self.signals);
                    *stopped_self = true;
                }
                if self.child_is_stopped() {
                    // We were continued on our own: continue bwrap too.
                    self.forward(libc::SIGCONT);
                }
            } else if let Some(reason) = ExitReason::from_wait_status(status) {
                self.exit = Some(reason);
            }
        }
    }
}

fn from_kernel(info: &libc::signalfd_siginfo) -> bool {
    info.ssi_code == libc::SI_KERNEL
}
