//! Fixes that are generated for this host rather than written in a rule:
//! the AppArmor profile for the exact bwrap path that ran (what rootlesskit
//! prints for its own binary, done for any bwrap).

pub mod apparmor;
