//! Fault injection for tests: with the `fault-injection` feature, setting
//! `BWRAP_DOCTOR_FAULT=NAME` makes the named point panic, so the tests can
//! prove that the shim's own failures never change the bwrap run. Without
//! the feature (every normal build) the points compile to nothing.

// The engine's points: `BWRAP_DOCTOR_FAULT=NAME` panics at `point(NAME)`,
// `BWRAP_DOCTOR_DEADLINE_MS` shortens the diagnosis deadline (the binary's
// `fault-injection` feature turns on the engine's).
pub use bwrap_doctor_engine::fault::{deadline, point};

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
