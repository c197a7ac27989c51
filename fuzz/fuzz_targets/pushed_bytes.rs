//! Fuzz target `pushed_bytes`: the property is `checks::pushed_bytes` (see checks.rs and fuzz/README.md).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod checks;
mod media_gen;

fuzz_target!(|data: &[u8]| checks::pushed_bytes(data));
