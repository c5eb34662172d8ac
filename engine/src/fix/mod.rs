//! Fixes generated for this host rather than written in a rule: the
//! AppArmor profile for the exact bwrap path that ran (what rootlesskit
//! prints for its own binary, done for any bwrap), and the sysctl drop-in
//! for the namespace switches that are off. `bwrap-doctor fix` prints them
//! and, with `--apply`, installs them (see the binary's `cli::fix`).

/// The first line of every file bwrap-doctor writes, so that it only ever
/// replaces its own.
pub const WRITTEN_BY: &str = "# Written by bwrap-doctor";

pub mod apparmor;
pub mod sysctl;
