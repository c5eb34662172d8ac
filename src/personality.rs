//! Which of the two programs this process is, decided from argv before any
//! parsing (the way rustup's proxies do it).

use crate::shim::RawArgs;

/// The file name the shim is installed under.
pub const SHIM_NAME: &[u8] = b"bwrap";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personality {
    /// Run as `bwrap`: be the transparent shim.
    Shim,
    /// `bwrap-doctor exec [--] ARGS…`: the shim, asked for by name.
    ShimExplicit,
    /// Anything else: the `bwrap-doctor` command line.
    Cli,
}

#[must_use]
pub fn of(args: &RawArgs) -> Personality {
    let Some(argv0) = args.get(0) else {
        return Personality::Cli;
    };
    let name = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    if name == SHIM_NAME {
        Personality::Shim
    } else if args.get(1) == Some(b"exec".as_slice()) {
        Personality::ShimExplicit
    } else {
        Personality::Cli
    }
}
