//! The `bwrap-doctor` command line.

pub fn main() -> ! {
    eprintln!("bwrap-doctor: CLI not yet implemented");
    std::process::exit(2)
}
