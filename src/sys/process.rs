//! Processes: forking the diagnosis process, waiting with the raw status
//! (nix's `WaitStatus` cannot carry a real-time signal, and the shim
//! mirrors every signal), ending at once.

use std::io;

/// `waitpid(pid, flags)` with the raw wait status: `Ok(None)` when
/// `WNOHANG` found the child still running.
#[inline]
pub fn waitpid(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<libc::c_int>> {
    let mut status = 0;
    // SAFETY: waitpid writes the status into our local; no other memory.
    let r = unsafe { libc::waitpid(pid, &raw mut status, flags) };
    match r {
        r if r < 0 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        _ => Ok(Some(status)),
    }
}

/// `_exit(code)`: end this process at once, running no exit handler and
/// no destructor.
#[inline]
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit takes an integer and does not return; skipping exit
    // handlers and destructors is the point.
    unsafe { libc::_exit(code) }
}

/// Which side of a [`fork_alone`] this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    Child,
    Parent(libc::pid_t),
}

/// `fork()`, only when this process has a single thread: then the child is
/// an ordinary process (no lock held by a thread that does not exist
/// there), free to allocate and use the standard library. Refused
/// (`Err`, nothing forked) when another thread runs, or when the number of
/// threads cannot be read (no /proc).
pub fn fork_alone() -> io::Result<Forked> {
    let threads = threads()?;
    if threads != 1 {
        return Err(io::Error::other(format!(
            "the process has {threads} threads, and forks only with one"
        )));
    }
    // SAFETY: this process has one thread (checked above: only the shim's
    // main thread forks, so no thread can start in between), so the child
    // inherits no lock held by another thread.
    match unsafe { libc::fork() } {
        r if r < 0 => Err(io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// This process's number of threads (`/proc/self/stat`, field 20).
fn threads() -> io::Result<u64> {
    let stat = std::fs::read("/proc/self/stat").map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot tell whether the process has other threads (/proc/self/stat: {e})"),
        )
    })?;
    // The fields after the name, which ends at the last ')': state is
    // field 3, num_threads field 20.
    let after = stat
        .iter()
        .rposition(|&b| b == b')')
        .map_or(&stat[..0], |p| &stat[p + 1..]);
    std::str::from_utf8(after)
        .ok()
        .and_then(|s| s.split_ascii_whitespace().nth(17)?.parse().ok())
        .ok_or_else(|| io::Error::other("cannot read the number of threads from /proc/self/stat"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_count_is_read_and_follows_a_new_thread() {
        // The test harness runs tests on threads of their own, so count
        // relative to now.
        let before = threads().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        assert_eq!(threads().unwrap(), before + 1);
        drop(tx);
        t.join().unwrap().ok();
        if before > 1 {
            // Another thread runs (the harness's main thread): refused.
            assert!(fork_alone().is_err());
        }
    }
}
