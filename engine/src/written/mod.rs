//! What bwrap-doctor writes on a host, as text from a path alone (no I/O):
//! the line that marks its files and the AppArmor profile for a bwrap. The
//! probes read these back (`apparmor.own_profiles`, the `fix.*` facts) and
//! `fix` decides whether they are needed here.

/// The first line of every file bwrap-doctor writes, so that it only ever
/// replaces its own.
pub const WRITTEN_BY: &str = "# Written by bwrap-doctor";

pub mod apparmor;
