//! The binary's one room for `unsafe`. The rest of the crate is
//! `#![deny(unsafe_code)]` (see `lib.rs`; `main.rs` allows it on its C
//! `main` alone); what the shim and the command line need of the system
//! beyond the standard library and nix's safe wrappers is here, each
//! `unsafe` block with its `// SAFETY:` argument, behind safe functions
//! whose invariants are documented.
//!
//! - [`argv`]: the caller's argv as the C runtime handed it over, and the
//!   environment, for `execve`;
//! - [`spawn`]: starting bwrap with `clone(CLONE_VM | CLONE_VFORK)` (on
//!   purpose: `posix_spawn` would change signal dispositions), or in place;
//! - [`signal`]: the caller's signal state, its capture and restoration,
//!   the signalfd the supervisor reads, signals by number (real-time ones
//!   included);
//! - [`fd`]: file descriptors by number (the caller's, the standard ones)
//!   and fd hygiene;
//! - [`process`]: forking the diagnosis process (only single-threaded),
//!   waiting with the raw status, `_exit`.

pub mod argv;
pub mod fd;
pub mod process;
pub mod signal;
pub mod spawn;
