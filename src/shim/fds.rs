//! File descriptor hygiene: the shim must neither lend its own fds to bwrap
//! nor keep the caller's fds alive longer than bwrap does (a caller reading
//! `--info-fd` to EOF would otherwise wait for the shim).

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

pub fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD has no side effects.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Occupy any closed standard fd with a close-on-exec /dev/null, so that the
/// shim's own fds never take those numbers. bwrap still sees them closed.
/// Returns which of 0..=2 were closed.
pub fn reserve_closed_std_fds() -> [bool; 3] {
    let mut closed = [false; 3];
    for fd in 0..3 {
        if !is_open(fd) {
            closed[fd as usize] = true;
            // SAFETY: open returns the lowest free fd, which is `fd`.
            unsafe {
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            }
        }
    }
    closed
}

/// After bwrap has started: close every fd above 2 except `keep`, and point
/// fds 0 and 1 at /dev/null. The shim uses none of the caller's fds but 2.
pub fn release_callers_fds(keep: &[RawFd]) {
    // SAFETY: opening and duplicating onto our own fds 0 and 1.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if null >= 0 {
            libc::dup3(null, 0, libc::O_CLOEXEC);
            libc::dup3(null, 1, libc::O_CLOEXEC);
            if null > 2 && !keep.contains(&null) {
                libc::close(null);
            }
        }
    }
    close_all_except(keep);
}

/// A duplicate of `fd` at the lowest number of 3 or more that is not in
/// `avoid` (fd numbers a bwrap call names), close-on-exec or not.
pub fn dup_avoiding(fd: RawFd, avoid: &[RawFd], cloexec: bool) -> std::io::Result<OwnedFd> {
    let cmd = if cloexec {
        libc::F_DUPFD_CLOEXEC
    } else {
        libc::F_DUPFD
    };
    let mut min = 3;
    loop {
        // SAFETY: duplicating an fd we hold; the new one is owned at once.
        let new = unsafe { libc::fcntl(fd, cmd, min) };
        if new < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a fresh fd we own.
        let owned = unsafe { OwnedFd::from_raw_fd(new) };
        if !avoid.contains(&new) {
            return Ok(owned);
        }
        min = new + 1;
    }
}

/// Close every fd >= 3 that is not in `keep`.
pub fn close_all_except(keep: &[RawFd]) {
    let mut keep: Vec<u32> = keep
        .iter()
        .filter(|&&fd| fd >= 3)
        .map(|&fd| fd as u32)
        .collect();
    keep.sort_unstable();
    keep.dedup();
    let mut from: u32 = 3;
    let mut ok = true;
    for &k in keep.iter().chain(std::iter::once(&u32::MAX)) {
        if k > from {
            let to = if k == u32::MAX { u32::MAX } else { k - 1 };
            // SAFETY: closing a range of fds we do not use.
            ok &= unsafe { libc::syscall(libc::SYS_close_range, from, to, 0) } == 0;
        }
        from = k.saturating_add(1);
    }
    if !ok {
        // Kernels before 5.9: walk the table instead.
        close_by_listing(&keep);
    }
}

fn close_by_listing(keep: &[u32]) {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<u32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    for fd in fds {
        if fd >= 3 && !keep.contains(&fd) {
            // SAFETY: closing an fd we do not use (the read_dir fd is gone).
            unsafe { libc::close(fd as RawFd) };
        }
    }
}
