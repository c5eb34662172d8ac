//! File descriptors by number: the caller's (which the shim passes on,
//! looks at and reads back by number, never owning them) and the standard
//! ones. And fd hygiene: the shim must neither lend its own fds to bwrap
//! nor keep the caller's fds alive longer than bwrap does (a caller reading
//! `--info-fd` to EOF would otherwise wait for the shim).
//!
//! These functions take a [`RawFd`]: a number that may be closed, or
//! belong to the caller. Each is memory-safe whatever the number; what it
//! does to the open file behind it is said in its documentation.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// Whether `fd` is open (`fcntl(F_GETFD)`); the errno when it is not
/// (`EBADF`: closed).
pub fn check_open(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFD takes integers only and has no side effects.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[inline]
#[must_use]
pub fn is_open(fd: RawFd) -> bool {
    check_open(fd).is_ok()
}

/// `fstat(fd)`; `None` when it is not open.
#[must_use]
pub fn fstat(fd: RawFd) -> Option<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: fstat writes one `struct stat` into our buffer.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded, so it filled the buffer (zeroed before).
    Some(unsafe { st.assume_init() })
}

/// `pread(fd, buf, offset)`: reads without moving the file offset (the
/// caller's, shared with the caller).
pub fn pread(fd: RawFd, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let offset =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), offset) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Write all of `bytes` to `fd`, retrying on EINTR (to an fd the caller
/// named, e.g. `BWRAP_DOCTOR_JSON=fd:N`, or a pipe of our own).
pub fn write_all(fd: RawFd, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: the kernel reads at most `bytes.len()` bytes from `bytes`.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(_) => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Open /dev/null (close-on-exec) at the standard fd `fd` (0, 1 or 2),
/// closed, with every lower number open (open takes the lowest free
/// number); should it land elsewhere it is duplicated onto `fd`, without
/// close-on-exec then.
pub fn occupy_with_dev_null(fd: RawFd) {
    if !(0..=2).contains(&fd) {
        return;
    }
    // SAFETY: opening a NUL-terminated path; the new fd is ours.
    let got = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if got >= 0 && got != fd {
        // SAFETY: duplicating our own fd onto `fd` (closed, per the
        // contract above), then closing ours.
        unsafe {
            libc::dup2(got, fd);
            libc::close(got);
        }
    }
}

/// Point fd 2 at /dev/null, opened for writing (the diagnosis process's
/// own stderr: nothing it prints of its own may reach the caller).
pub fn stderr_to_dev_null() {
    let fd = 2;
    // SAFETY: opening a NUL-terminated path; the new fd is ours, duplicated
    // onto `fd` and closed.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if null >= 0 {
            libc::dup2(null, fd);
            libc::close(null);
        }
    }
}

/// Occupy any closed standard fd with a close-on-exec /dev/null, so that the
/// shim's own fds never take those numbers. bwrap still sees them closed.
/// Returns which of 0..=2 were closed.
#[must_use]
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
