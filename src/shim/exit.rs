//! How bwrap ended, and ending the shim the same way.

use crate::sys::signal::{self, Disposition};
use nix::sys::resource::{Resource, setrlimit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    Code(i32),
    Signal { signal: i32, core_dumped: bool },
}

impl ExitReason {
    #[must_use]
    pub fn from_wait_status(status: libc::c_int) -> Option<ExitReason> {
        if libc::WIFEXITED(status) {
            Some(ExitReason::Code(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(ExitReason::Signal {
                signal: libc::WTERMSIG(status),
                core_dumped: libc::WCOREDUMP(status),
            })
        } else {
            None
        }
    }

    #[must_use]
    pub fn success(&self) -> bool {
        *self == ExitReason::Code(0)
    }
}

/// End this process as bwrap ended: the same exit code, or death by the
/// same signal (not 128+N). Never with a core dump of the shim's own, as
/// sudo does: with a `core_pattern` of a plain file name the shim's core
/// would overwrite the one bwrap just left in the same directory. So a
/// wait status's "core dumped" flag is not mirrored (docs/security.md).
pub fn mirror(reason: ExitReason) -> ! {
    match reason {
        ExitReason::Code(code) => std::process::exit(code),
        ExitReason::Signal { signal, .. } => {
            let _ = setrlimit(Resource::RLIMIT_CORE, 0, 0);
            // Also for a core_pattern that pipes to a program, which the
            // kernel runs whatever RLIMIT_CORE says.
            let _ = nix::sys::prctl::set_dumpable(false);
            signal::set_disposition(signal, Disposition::Default);
            signal::raise(signal);
            signal::unblock(signal);
            // A signal whose default action does not terminate (it cannot
            // have killed bwrap, but be safe): the shell's convention.
            crate::sys::process::exit_now(128 + signal)
        }
    }
}
