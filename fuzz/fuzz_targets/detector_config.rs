//! Arbitrary bytes as a detector-set JSON: must be a built set or an `Error::Config`, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = avqc::Registry::builtin().build_json(s);
    }
});
