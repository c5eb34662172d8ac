//! Fault injection for tests: with the `fault-injection` feature, setting
//! `BWRAP_DOCTOR_FAULT=NAME` makes the named point panic, so the tests can
//! prove that the shim's own failures never change the bwrap run. Without
//! the feature (every normal build) the points compile to nothing.

/// A place where a test may inject a panic.
#[inline(always)]
pub fn point(_name: &str) {
    #[cfg(feature = "fault-injection")]
    assert!(
        !std::env::var("BWRAP_DOCTOR_FAULT").is_ok_and(|v| v == _name),
        "fault injected at {_name}"
    );
}

/// The shim's diagnosis deadline; with the `fault-injection` feature,
/// `BWRAP_DOCTOR_DEADLINE_MS` shortens it so that a test need not wait.
pub fn deadline(normal: std::time::Duration) -> std::time::Duration {
    #[cfg(feature = "fault-injection")]
    if let Some(ms) = std::env::var("BWRAP_DOCTOR_DEADLINE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return std::time::Duration::from_millis(ms);
    }
    normal
}

/// A point where a test may make the process die as it would of a bug of
/// its own: with the `fault-injection` feature, `BWRAP_DOCTOR_FAULT` set to
/// `NAME-oom` allocates until the allocator fails (the process aborts, as
/// Rust does on allocation failure), `NAME-abort` aborts, `NAME-segv` dies
/// of SIGSEGV, `NAME-hang` sleeps for an hour.
#[inline(always)]
pub fn crash_point(_name: &str) {
    #[cfg(feature = "fault-injection")]
    if let Ok(v) = std::env::var("BWRAP_DOCTOR_FAULT")
        && let Some(kind) = v.strip_prefix(_name).and_then(|k| k.strip_prefix('-'))
    {
        match kind {
            "oom" => {
                // 1 MiB at a time, never touched: only the address-space
                // limit stops it (without one this would run for hours).
                let mut held = Vec::new();
                loop {
                    held.push(Vec::<u8>::with_capacity(1 << 20));
                }
            }
            "abort" => std::process::abort(),
            // Dying of the signal is the point.
            "segv" => {
                use crate::sys::signal::{Disposition, raise, set_disposition};
                set_disposition(libc::SIGSEGV, Disposition::Default);
                raise(libc::SIGSEGV);
            }
            "hang" => std::thread::sleep(std::time::Duration::from_secs(3600)),
            _ => {}
        }
    }
}
