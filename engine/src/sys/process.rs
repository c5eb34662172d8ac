//! This process's credentials and start-up state, and what a child does
//! between `fork` and `exec` on the way to another identity.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Whether this process was started with privileges its caller does not
/// have (setuid, setgid, file capabilities): the kernel's `AT_SECURE`.
#[inline]
#[must_use]
pub fn secure_exec() -> bool {
    // SAFETY: getauxval reads the auxiliary vector the kernel handed over;
    // no side effects, no memory passed.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// Make `cmd`'s child drop every supplementary group and take `gid`, then
/// `uid`, before it execs (in that order: once the uid is dropped the gid
/// can no longer change). The spawn fails with the errno if any step does.
pub fn run_as(cmd: &mut Command, uid: libc::uid_t, gid: libc::gid_t) {
    // SAFETY: the closure runs between fork and exec and makes only
    // async-signal-safe calls (setgroups, setgid, setuid, reading errno);
    // it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
