//! The engine's one room for `unsafe`. The rest of the crate is
//! `#![deny(unsafe_code)]` (see `lib.rs`); what it needs of the system
//! beyond the standard library and nix's safe wrappers is here, each
//! `unsafe` block with its `// SAFETY:` argument, behind safe functions
//! whose invariants are documented.
//!
//! - [`fork`]: a piece of work in a forked child with a time bound, its
//!   answer back through a pipe. Its `run` stays an `unsafe fn` visible
//!   only in this room: the child of a `fork()` may make only
//!   async-signal-safe calls, which no closure type can promise, so the
//!   child bodies are written here too, and exported as safe functions:
//! - [`fs`]: path probes that may hang (the symlink walk, `lstat`,
//!   `statfs`), effective-id access checks, extended attributes;
//! - [`namespace`]: the namespace experiments (unshare, id maps, loopback,
//!   procfs as pid 1 of a new pid namespace);
//! - [`netlink`]: rtnetlink requests, built in the host's byte order, and
//!   sent on a socket;
//! - [`process`]: secure-exec (`AT_SECURE`), a command's change of
//!   identity between fork and exec.

pub mod fork;
pub mod fs;
pub mod namespace;
pub mod netlink;
pub mod process;
