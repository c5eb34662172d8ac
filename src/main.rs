//! Entry point: choose the personality from argv[0], then hand over.
//!
//! `#![no_main]` keeps Rust's runtime start-up out of the way: it would set
//! SIGPIPE to "ignore" and reopen closed standard fds before `main`, and the
//! shim must pass the caller's signal dispositions and fds to bwrap as they are.
//! The CLI does what it needs of that itself (`cli::main`: SIGPIPE ignored,
//! closed standard fds on /dev/null), and ends there: its exit status comes
//! back here, to be returned to the C runtime.
//!
//! `unsafe` is denied here as in the rest of the crate (its room is
//! `bwrap_doctor::sys`), and allowed on the two items the C runtime and the
//! linker need: the marker's section and the C `main`.
#![no_main]
#![deny(unsafe_code)]

use std::ffi::{c_char, c_int};

/// Marks this file as bwrap-doctor, so that the shim recognises copies of
/// itself on PATH. An `SHT_NOTE` section (the name starts with `.note`) that
/// linkers keep and map into a `PT_NOTE` segment.
#[used]
#[allow(unsafe_code)] // a section attribute for the linker: no code runs
#[unsafe(link_section = ".note.bwrap-doctor")]
static MARKER: bwrap_doctor_engine::marker::Note = bwrap_doctor_engine::marker::MARKER;

#[allow(unsafe_code)] // the C runtime's entry point, and its argv
#[unsafe(no_mangle)]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // the C runtime's contract for main
pub extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: the C runtime passes argc valid, NUL-terminated strings in argv.
    let args = unsafe { bwrap_doctor::shim::RawArgs::from_c_main(argc, argv) };
    match bwrap_doctor::personality::of(&args) {
        bwrap_doctor::personality::Personality::Shim => bwrap_doctor::shim::main(args),
        bwrap_doctor::personality::Personality::ShimExplicit => {
            bwrap_doctor::shim::main(args.for_exec_subcommand())
        }
        bwrap_doctor::personality::Personality::Cli
            if bwrap_doctor_engine::privilege::elevated() =>
        {
            bwrap_doctor::output::to_stderr(&format!(
                "{}\n",
                bwrap_doctor_engine::privilege::CLI_REFUSAL
            ));
            2
        }
        bwrap_doctor::personality::Personality::Cli => bwrap_doctor::cli::main(),
    }
}
