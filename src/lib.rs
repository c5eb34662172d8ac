//! bwrap-doctor: makes bubblewrap failures explain themselves.
//!
//! The crate is one binary with two personalities (see [`personality`]): the
//! transparent `bwrap` shim ([`shim`]) and the `bwrap-doctor` command line
//! ([`cli`]).

pub mod cli;
pub mod personality;
pub mod shim;
