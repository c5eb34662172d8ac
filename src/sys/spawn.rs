//! Starting the real bwrap as a child with the caller's argv, environment,
//! signal mask and dispositions, and every inherited fd, stdin, stdout and
//! stderr included; only the shim's status pipe is added, when bwrap can
//! report on it.

use super::argv::{Argv, environ_ptr};
use super::signal::{Disposition, SignalState, set_disposition};
use std::ffi::CStr;
use std::io;
use std::os::fd::RawFd;

/// What to start. The environment is always the caller's own (the C
/// runtime's `environ`, untouched).
pub struct Spawn<'a> {
    pub path: &'a CStr,
    pub argv: Argv<'a>,
    pub signals: &'a SignalState,
    /// A close-on-exec fd of the shim's that bwrap must inherit anyway
    /// (the `--json-status-fd` pipe).
    pub inherit: Option<RawFd>,
}

/// Start bwrap with `clone(CLONE_VM | CLONE_VFORK)` and a small stack of its
/// own, the way glibc's `posix_spawn` does, but without `posix_spawn`'s
/// side effect: it sets glibc's internal signals (32, 33) to "ignore" in the
/// child, and bwrap must inherit exactly the caller's dispositions. The
/// child only makes raw syscalls (sigaction, sigprocmask, dup2, execve), and
/// the parent sleeps until it has exec'd or failed.
pub fn spawn(s: &Spawn) -> io::Result<libc::pid_t> {
    const STACK: usize = 64 * 1024;
    // Mapped, not allocated: only the pages the child touches are faulted
    // in (a zeroed heap buffer would fault in all sixteen).
    // SAFETY: a fresh private anonymous mapping, unmapped below.
    let stack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if stack == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    let mut args = ChildArgs {
        spawn: s,
        envp: environ_ptr(),
        errno: 0,
    };
    // The stack grows down on every platform bwrap runs on.
    let top = (stack as usize + STACK) & !15;
    // SAFETY: CLONE_VFORK suspends us until the child has exec'd or exited,
    // so `args` and `stack` outlive every use the child makes of them.
    let pid = unsafe {
        libc::clone(
            child_main,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&raw mut args).cast(),
        )
    };
    let clone_error = io::Error::last_os_error();
    // SAFETY: the child has exec'd or exited: the stack is ours again.
    unsafe { libc::munmap(stack, STACK) };
    if pid < 0 {
        return Err(clone_error);
    }
    if args.errno != 0 {
        // The child exited after a failed execve; reap it.
        let _ = super::process::waitpid(pid, 0);
        return Err(io::Error::from_raw_os_error(args.errno));
    }
    Ok(pid)
}

struct ChildArgs<'a, 'b> {
    spawn: &'a Spawn<'b>,
    envp: *const *const std::ffi::c_char,
    errno: i32,
}

extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's ChildArgs, alive while the parent is
    // suspended; only async-signal-safe calls follow.
    unsafe {
        let args = &mut *arg.cast::<ChildArgs>();
        let s = args.spawn;
        if s.signals.chld_was_ignored {
            set_disposition(libc::SIGCHLD, Disposition::Ignore);
        }
        // The child has its own copy of the fd table (no CLONE_FILES).
        if let Some(fd) = s.inherit
            && libc::fcntl(fd, libc::F_SETFD, 0) < 0
        {
            args.errno = nix::errno::Errno::last_raw();
            libc::_exit(127);
        }
        libc::pthread_sigmask(
            libc::SIG_SETMASK,
            &raw const s.signals.original_mask,
            std::ptr::null_mut(),
        );
        libc::execve(s.path.as_ptr(), s.argv.as_ptr(), args.envp);
        args.errno = nix::errno::Errno::last_raw();
        libc::_exit(127)
    }
}

/// Replace this process with bwrap, as if the shim were not there. Used by
/// the off switch and as the fallback whenever supervision cannot be set up.
#[must_use]
pub fn exec_in_place(path: &CStr, argv: Argv<'_>, signals: &SignalState) -> io::Error {
    signals.restore();
    // SAFETY: a NUL-terminated path, and NULL-terminated argv (see `Argv`)
    // and environ, all alive for the call.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), environ_ptr()) };
    io::Error::last_os_error()
}
