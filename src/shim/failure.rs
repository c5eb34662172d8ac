//! The seam between the shim and the diagnosis: everything known about a
//! failed bwrap run goes to [`explain`], whose output is printed after the
//! relayed stderr and before the shim exits.

use super::args::RawArgs;
use super::exit::ExitReason;
use super::locate::RealBwrap;

/// A bwrap run that ended with a non-zero status.
pub struct Failure<'a> {
    /// The caller's argv, argv[0] included, byte for byte.
    pub args: &'a RawArgs,
    /// The real bwrap that ran.
    pub bwrap: &'a RealBwrap,
    pub exit: ExitReason,
    /// The last bytes of stderr (bounded, see `relay::TAIL_BYTES`).
    pub stderr_tail: &'a [u8],
    /// Earlier bytes were dropped from the tail.
    pub stderr_truncated: bool,
    /// The caller's stderr is a terminal (for color).
    pub stderr_is_terminal: bool,
}

/// What to print after bwrap's own error, if anything.
pub fn explain(_failure: &Failure) -> Option<Vec<u8>> {
    None
}
