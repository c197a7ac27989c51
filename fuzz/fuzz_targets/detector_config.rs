//! Fuzz target `detector_config`: the property is `checks::detector_config` (see checks.rs and fuzz/README.md).
#![no_main]
use libfuzzer_sys::fuzz_target;

// Shared with tests/fuzz_regressions.rs, which replays every crash found (and ships with the crate).
#[path = "../../tests/fuzz_support/checks.rs"]
mod checks;
#[path = "../../tests/fuzz_support/media_gen.rs"]
mod media_gen;

fuzz_target!(|data: &[u8]| checks::detector_config(data));
