//! The `bwrap-doctor` program's own parts: the shim, the command line, its
//! configuration and install. Not a library for others: it is a library
//! target only so that its unit tests and `tests/it` can reach it. The
//! engine they are built on is the `bwrap-doctor-engine` crate.
//!
//! `unsafe` code lives in one module, [`sys`], and nowhere else.
#![doc(hidden)]
#![deny(unsafe_code)]

pub mod check_install;
pub mod cli;
pub mod config;
pub(crate) mod fault;
pub(crate) mod install;
pub(crate) mod last;
pub mod output;
pub mod personality;
pub mod shim;
#[allow(unsafe_code)]
pub mod sys;
