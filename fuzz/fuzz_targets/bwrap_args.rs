//! Fuzz target: see `bwrap_doctor_engine::fuzz::bwrap_args` (engine/src/fuzz.rs) for what the
//! input is and what it drives. Run with scripts/fuzz.sh.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bwrap_doctor_engine::fuzz::bwrap_args(data);
});
