//! Fuzz target `frames`: the property is `checks::frames` (see checks.rs and fuzz/README.md).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod checks;
mod media_gen;

fuzz_target!(|data: &[u8]| checks::frames(data));
