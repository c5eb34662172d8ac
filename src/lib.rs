//! The `bwrap-doctor` program's own parts: the shim, the command line, its
//! configuration and install. Not a library for others: it is a library
//! target only so that its unit tests and `tests/it` can reach it. The
//! engine they are built on is the `bwrap-doctor-engine` crate.
//!
//! `unsafe` code lives in one module, [`sys`], and nowhere else.
//!
//! Modules, bottom to top; each uses only the engine and the modules on the
//! lines above its own (`tests/it/architecture.rs` fails on any cycle):
//!
//! 0. `sys` (the system calls behind safe functions: the one module
//!    allowed `unsafe`).
//! 1. `fault` (fault injection), `config` (the settings, read once from the
//!    environment and the configuration files: every `BWRAP_DOCTOR_*`
//!    variable is named there).
//! 2. `output` (colour, and writing to stdout without aborting).
//! 3. `last` (the last diagnosis kept for `bwrap-doctor explain --last`).
//! 4. `shim` (runs the real bwrap and explains its failure).
//! 5. `personality` (which of the two programs this is), `install`.
//! 6. `check_install` (the checks of the installation, added to the
//!    engine's host check).
//! 7. `cli` (the `bwrap-doctor` command line).
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
