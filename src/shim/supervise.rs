//! The supervision loop: pass signals on, follow bwrap's stops, collect how
//! it ended, and — only where the caller's stderr is a pipe of its own —
//! relay bwrap's stderr.
//!
//! Single-threaded: one `poll` over the signalfd and, when relaying, the
//! relay and the caller's stderr. The shim never blocks in a write, so a
//! caller that stops reading stderr can still stop or kill the sandbox.

use super::exit::ExitReason;
use super::relay::{Outbox, Relay, Tail};
use super::signals::{self, SignalState};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// After bwrap exits, how long to wait for the rest of the sandbox to close
/// stderr before handing the relay to a detached process.
const LINGER: Duration = Duration::from_millis(20);

pub struct Outcome {
    pub exit: ExitReason,
    pub tail: Tail,
}

pub struct Supervisor<'a> {
    pub child: libc::pid_t,
    /// Borrowed, so that the last-resort path can still read it if the
    /// supervision panics. `None`: bwrap has the caller's own stderr.
    pub relay: Option<&'a mut Relay>,
    pub signals: &'a SignalState,
    pub sigfd: OwnedFd,
    /// The parent when we started; a change means the caller died.
    pub original_ppid: libc::pid_t,
    /// Asked only when the caller has died.
    pub die_with_parent: &'a dyn Fn() -> bool,
    pub tail: Tail,
    out: &'a mut Outbox,
    /// The relay's source is still open (not at EOF).
    source_open: bool,
    /// The caller's stderr has gone away (EPIPE); stop writing to it.
    stderr_gone: bool,
    exit: Option<ExitReason>,
}

pub fn signalfd(signals: &SignalState) -> std::io::Result<OwnedFd> {
    // SAFETY: creating a new signalfd for a valid set.
    let fd = unsafe { libc::signalfd(-1, &signals.taken, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl<'a> Supervisor<'a> {
    pub fn new(
        child: libc::pid_t,
        relay: Option<&'a mut Relay>,
        signals: &'a SignalState,
        sigfd: OwnedFd,
        original_ppid: libc::pid_t,
        die_with_parent: &'a dyn Fn() -> bool,
        out: &'a mut Outbox,
    ) -> Self {
        let relaying = relay.is_some();
        Supervisor {
            child,
            relay,
            signals,
            sigfd,
            original_ppid,
            die_with_parent,
            tail: Tail::default(),
            out,
            source_open: relaying,
            stderr_gone: false,
            exit: None,
        }
    }

    /// Run until bwrap has ended and its stderr is relayed (or handed to a
    /// detached relay). Returns how bwrap ended and the tail of its stderr.
    pub fn run(mut self) -> Outcome {
        while self.exit.is_none() {
            self.poll_once(None);
            crate::fault::point("supervise");
        }
        self.finish_relay();
        Outcome {
            exit: self.exit.unwrap_or(ExitReason::Code(1)),
            tail: self.tail,
        }
    }

    /// One round of poll and the work it makes ready. Returns false on timeout.
    fn poll_once(&mut self, timeout: Option<Duration>) -> bool {
        let writing = !self.out.is_empty();
        let mut fds = [
            libc::pollfd {
                fd: self.sigfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if self.source_open && !writing {
                    self.source()
                } else {
                    -1
                },
                events: libc::POLLIN,
                revents: 0,
            },
            // While relaying, the caller's pipe: POLLOUT when output waits,
            // and always POLLERR when its last reader has gone.
            libc::pollfd {
                fd: if self.source_open || writing { 2 } else { -1 },
                events: if writing { libc::POLLOUT } else { 0 },
                revents: 0,
            },
        ];
        let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
        // SAFETY: fds is a valid array of pollfd.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            return true; // EINTR: go round again
        }
        if n == 0 {
            return false;
        }
        if fds[0].revents != 0 {
            self.handle_signals();
        }
        if fds[2].revents & libc::POLLOUT != 0 {
            self.write_some();
        } else if fds[2].revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            // The reader left: bwrap's writers must meet EPIPE, as without
            // the shim, rather than fill the relay.
            self.caller_gone();
        }
        if fds[1].revents != 0 {
            self.read_some();
        }
        true
    }

    /// The relay's read end (only called while relaying).
    fn source(&self) -> RawFd {
        self.relay.as_ref().map_or(-1, |r| r.source.as_raw_fd())
    }

    fn read_some(&mut self) {
        // One packet: at most one write of the sandbox's, up to PIPE_BUF.
        let n = self.out.fill_from(self.source());
        if n > 0 {
            self.tail.push(self.out.unsent());
            if self.stderr_gone {
                self.out.clear();
            }
        } else if n == 0 {
            self.source_open = false;
        } else {
            match errno() {
                libc::EAGAIN | libc::EINTR => {}
                // EIO: every pty slave is closed, the pty's way to say EOF.
                _ => self.source_open = false,
            }
        }
    }

    /// Write what waits, in one write when it is a packet (≤ PIPE_BUF),
    /// so it is as atomic on the caller's pipe as the sandbox's write was.
    fn write_some(&mut self) {
        let bytes = self.out.unsent();
        // SAFETY: writing from our own buffer to the caller's stderr.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n >= 0 {
            self.out.advance(n as usize);
        } else {
            match errno() {
                libc::EAGAIN | libc::EINTR => {}
                // EPIPE: the caller's pipe has no reader any more.
                _ => self.caller_gone(),
            }
        }
    }

    /// The caller's stderr is gone. Close the relay so that bwrap's writers
    /// see the same EPIPE they would have seen without the shim.
    fn caller_gone(&mut self) {
        self.stderr_gone = true;
        self.out.clear();
        self.close_source();
    }

    fn close_source(&mut self) {
        if self.source_open {
            self.source_open = false;
            // Replace the fd by /dev/null rather than leave a hole the next
            // open could fill; the OwnedFd closes it at the end.
            // SAFETY: dup3 onto our own fd.
            unsafe {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
                if null >= 0 {
                    libc::dup3(null, self.source(), libc::O_CLOEXEC);
                    libc::close(null);
                }
            }
        }
    }

    fn handle_signals(&mut self) {
        let mut infos: Vec<libc::signalfd_siginfo> = Vec::new();
        loop {
            let mut batch = [MaybeUninit::<libc::signalfd_siginfo>::zeroed(); 16];
            let size = std::mem::size_of::<libc::signalfd_siginfo>();
            // SAFETY: reading whole siginfo records into our buffer.
            let n = unsafe {
                libc::read(
                    self.sigfd.as_raw_fd(),
                    batch.as_mut_ptr().cast(),
                    size * batch.len(),
                )
            };
            if n <= 0 {
                break;
            }
            for b in batch.iter().take(n as usize / size) {
                // SAFETY: the kernel filled these records.
                infos.push(unsafe { b.assume_init() });
            }
        }
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
                    // read back), our death must not cost the sandbox its
                    // stderr: a detached process goes on relaying it.
                    self.hand_over_relay();
                    // SAFETY: killing ourselves.
                    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
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
            // SAFETY: getsid/getpid have no side effects.
            let leader = unsafe { libc::getsid(0) == libc::getpid() };
            return info.ssi_signo == libc::SIGHUP as u32 && leader;
        }
        true
    }

    fn forward(&self, sig: i32) {
        if self.exit.is_none() {
            // SAFETY: the child is not reaped yet, so its pid cannot be reused.
            unsafe { libc::kill(self.child, sig) };
        }
    }

    fn parent_died(&self) -> bool {
        // SAFETY: getppid has no side effects.
        unsafe { libc::getppid() != self.original_ppid }
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
                matches!(after.get(1), Some(b'T') | Some(b't'))
            }
            // Without /proc, continuing a running process does no harm.
            Err(_) => true,
        }
    }

    fn reap(&mut self, stopped_self: &mut bool) {
        while self.exit.is_none() {
            let mut status = 0;
            // SAFETY: waiting for our own child.
            let r = unsafe {
                libc::waitpid(
                    self.child,
                    &mut status,
                    libc::WNOHANG | libc::WUNTRACED | libc::WCONTINUED,
                )
            };
            if r <= 0 {
                if r < 0 && errno() == libc::ECHILD {
                    // Someone else reaped it; nothing more can be learned.
                    self.exit = Some(ExitReason::Code(1));
                }
                return;
            }
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

    /// bwrap has exited: relay what is left. If some process in the sandbox
    /// still holds stderr open after a short grace, keep relaying from a
    /// detached process so that its later writes get no EPIPE.
    fn finish_relay(&mut self) {
        let deadline = Instant::now() + LINGER;
        while self.source_open || !self.out.is_empty() {
            if self.stderr_gone {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            self.poll_once(Some(deadline - now));
        }
        self.hand_over_relay();
    }

    /// If the relay is still open, write what waits and leave the rest of
    /// it to a detached process.
    fn hand_over_relay(&mut self) {
        if self.source_open && !self.stderr_gone {
            while !self.out.is_empty() && !self.stderr_gone {
                self.write_some_blocking();
            }
            self.detach_relay();
        }
    }

    fn write_some_blocking(&mut self) {
        let mut p = libc::pollfd {
            fd: 2,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: polling fd 2.
        unsafe { libc::poll(&mut p, 1, 1000) };
        self.write_some();
    }

    fn detach_relay(&mut self) {
        let src = self.source();
        // SAFETY: after fork the child only copies bytes between two fds and
        // exits; it touches no lock that the parent could hold (single thread).
        unsafe {
            let pid = libc::fork();
            if pid != 0 {
                // Parent (or fork failure: the writers get EPIPE, as they
                // would if nobody read the terminal any more).
                self.source_open = false;
                return;
            }
            super::fds::close_all_except(&[src]);
            libc::pthread_sigmask(
                libc::SIG_SETMASK,
                &self.signals.original_mask,
                std::ptr::null_mut(),
            );
            relay_until_eof(src);
            libc::_exit(0);
        }
    }
}

/// Copy `src` to fd 2 with blocking reads and writes until EOF (`src` is
/// made blocking first).
pub fn relay_until_eof(src: RawFd) {
    let _ = super::relay::set_nonblocking(src, false);
    let mut buf = [0u8; 16 * 1024];
    loop {
        // SAFETY: plain blocking reads and writes on our fds.
        let n = unsafe { libc::read(src, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        if n <= 0 {
            return;
        }
        let mut off = 0usize;
        while off < n as usize {
            // SAFETY: writing from our buffer to fd 2.
            let w = unsafe { libc::write(2, buf[off..].as_ptr().cast(), n as usize - off) };
            if w < 0 {
                if errno() == libc::EINTR {
                    continue;
                }
                return;
            }
            off += w as usize;
        }
    }
}

fn from_kernel(info: &libc::signalfd_siginfo) -> bool {
    info.ssi_code == libc::SI_KERNEL
}
