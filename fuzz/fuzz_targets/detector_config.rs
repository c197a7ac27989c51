//! Fuzz target `detector_config`: the property is `checks::detector_config` (see checks.rs and fuzz/README.md).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod checks;
mod media_gen;

fuzz_target!(|data: &[u8]| checks::detector_config(data));
