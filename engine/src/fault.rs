//! Fault injection for tests: with the `fault-injection` feature, setting
//! `BWRAP_DOCTOR_FAULT=NAME` makes the named point panic, so the tests can
//! prove that the shim's own failures never change the bwrap run (these are
//! the engine's points; the binary uses them and adds its crash points,
//! `src/fault.rs`). Without
//! the feature (every normal build) the points compile to nothing.

/// A place where a test may inject a panic (reported at the caller's
/// place, which names the point).
#[inline(always)]
#[track_caller]
pub fn point(_name: &str) {
    #[cfg(feature = "fault-injection")]
    if std::env::var("BWRAP_DOCTOR_FAULT").is_ok_and(|v| v == _name) {
        panic!("fault injected at {_name}");
    }
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

/// A point where a test may make a probe hang: with the `fault-injection`
/// feature, `BWRAP_DOCTOR_FAULT=probe-hang` sleeps for an hour here, as a
/// probe stuck on a dead file system would.
#[inline(always)]
pub fn hang_point(_name: &str) {
    #[cfg(feature = "fault-injection")]
    if std::env::var("BWRAP_DOCTOR_FAULT").is_ok_and(|v| v == _name) {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
