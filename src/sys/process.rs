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
    num_threads(&stat)
        .ok_or_else(|| io::Error::other("cannot read the number of threads from /proc/self/stat"))
}

/// num_threads from a `/proc/PID/stat` line: the fields after the name,
/// which ends at the last ')' (a name may hold ')' and spaces); state is
/// field 3, num_threads field 20.
fn num_threads(stat: &[u8]) -> Option<u64> {
    let after = stat
        .iter()
        .rposition(|&b| b == b')')
        .map_or(&stat[..0], |p| &stat[p + 1..]);
    std::str::from_utf8(after)
        .ok()
        .and_then(|s| s.split_ascii_whitespace().nth(17)?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_count_is_field_20_after_the_last_parenthesis() {
        let stat = b"4242 (a) b (c d) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 7 0 12345 1000 10\n";
        assert_eq!(num_threads(stat), Some(7));
        assert_eq!(num_threads(b"4242 (cut"), None);
        assert_eq!(num_threads(b""), None);
    }

    #[test]
    fn a_process_with_another_thread_running_is_not_forked_alone() {
        // Other tests start and end threads of their own meanwhile, so the
        // count is only bounded: this thread and the one spawned here.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        assert!(threads().unwrap() >= 2);
        assert!(fork_alone().is_err());
        drop(tx);
        t.join().unwrap().ok();
    }
}
