//! Fixes generated for this host rather than written in a rule: the
//! AppArmor profile for the exact bwrap path that ran (what rootlesskit
//! prints for its own binary, done for any bwrap; its text is
//! [`crate::written::apparmor`]) and where it would stand among the
//! profiles here, and the sysctl drop-in for the namespace switches that
//! are off. `bwrap-doctor fix` prints them and, with `--apply`, installs
//! them (see the binary's `cli::fix`).

pub mod apparmor;
pub mod sysctl;
