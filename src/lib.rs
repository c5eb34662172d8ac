//! bwrap-doctor: makes bubblewrap failures explain themselves.
//!
//! One binary with two personalities (see [`personality`]): the transparent
//! `bwrap` shim ([`shim`]) and the `bwrap-doctor` command line ([`cli`]).

pub mod check;
pub mod cli;
pub mod install;
pub mod output;
pub mod personality;
pub mod shim;
