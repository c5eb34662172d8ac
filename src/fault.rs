//! Fault injection for tests: with the `fault-injection` feature, setting
//! `BWRAP_DOCTOR_FAULT=NAME` makes the named point panic, so the tests can
//! prove that the shim's own failures never change the bwrap run. Without
//! the feature (every normal build) the points compile to nothing.

/// A place where a test may inject a panic.
#[inline(always)]
pub fn point(_name: &str) {
    #[cfg(feature = "fault-injection")]
    if std::env::var("BWRAP_DOCTOR_FAULT").is_ok_and(|v| v == _name) {
        panic!("fault injected at {_name}");
    }
}
