//! Every input the fuzz targets (fuzz/) ever crashed on, replayed through the same property
//! checks (`tests/fuzz_support/checks.rs`), so a fixed crash stays fixed without cargo-fuzz.
//! Inputs live in `tests/data/fuzz/<target>/`, one file each, named for what they broke.

#[path = "fuzz_support/checks.rs"]
mod checks;
#[path = "fuzz_support/media_gen.rs"]
mod media_gen;

use std::path::Path;

/// Runs `check` on every file of `tests/data/fuzz/<target>`; returns how many.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new("tests/data/fuzz").join(target);
    if !dir.exists() {
        return 0; // no crash kept for this target
    }
    let mut n = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in files {
        let data = std::fs::read(&path).unwrap();
        eprintln!("replaying {}", path.display());
        check(&data);
        n += 1;
    }
    n
}

#[test]
fn detector_config_inputs() {
    replay("detector_config", checks::detector_config);
}

#[test]
fn frames_inputs() {
    replay("frames", checks::frames);
}

#[cfg(feature = "ffmpeg")]
#[test]
fn pushed_bytes_inputs() {
    replay("pushed_bytes", checks::pushed_bytes);
}

/// The checks themselves run on ordinary inputs (the seeds the fuzzers start from), so a
/// replay that passes is not a check that does nothing.
#[test]
fn checks_accept_the_seed_inputs() {
    for f in std::fs::read_dir("tests/fuzz_support/seeds/detector_config").unwrap() {
        let data = std::fs::read(f.unwrap().path()).unwrap();
        assert!(avqc::Registry::builtin()
            .build_json(std::str::from_utf8(&data).unwrap())
            .is_ok());
        checks::detector_config(&data);
    }
    checks::frames(&std::fs::read("tests/data/demo.ts").unwrap()[..20_000]);
    #[cfg(feature = "ffmpeg")]
    {
        // Mode byte 0b10: through a whole pipeline, read from a reader, probed.
        let mut data = vec![0b10u8];
        data.extend(std::fs::read("tests/data/demo.ts").unwrap());
        checks::pushed_bytes(&data);
    }
}
