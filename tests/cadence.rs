//! `frame_drop`, `stutter` and `video_loss` on the cadence fixtures (tests/data/README.md has
//! the truth).
#![cfg(feature = "ffmpeg")]

use avqc::sink::Collect;
use avqc::{DecoderOptions, FfmpegDecoder, Phase, Pipeline, Registry};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `(defect, start, end, details)` of every closed defect found in `file`.
fn run(file: &str) -> Vec<(String, f64, f64, serde_json::Value)> {
    run_with(file, &["frame_drop", "stutter"])
}

/// [`run`] with the detectors `names`.
fn run_with(file: &str, names: &[&str]) -> Vec<(String, f64, f64, serde_json::Value)> {
    let events = Collect::new();
    Pipeline::builder()
        .decoder(FfmpegDecoder::open(&data(file), &DecoderOptions::default()).unwrap())
        .detectors(Registry::builtin().build_names(names).unwrap())
        .sink(events.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    events
        .events()
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.phase == Phase::End)
        .map(|d| {
            (
                d.defect.as_str().to_string(),
                d.start.as_secs_f64(),
                d.end.unwrap().as_secs_f64(),
                serde_json::Value::Object(d.details.clone()),
            )
        })
        .collect()
}

/// One frame at 25 fps.
const FRAME: f64 = 0.04;

fn assert_found(
    found: &[(String, f64, f64, serde_json::Value)],
    defect: &str,
    truth: &[(f64, f64, u64)],
    count_field: &str,
) {
    let got: Vec<_> = found.iter().filter(|f| f.0 == defect).collect();
    assert_eq!(got.len(), truth.len(), "{defect}: {found:?}");
    for (g, &(s, e, n)) in got.iter().zip(truth) {
        assert!(
            (g.1 - s).abs() <= FRAME + 1e-6 && (g.2 - e).abs() <= FRAME + 1e-6,
            "{defect}: got {g:?}, want {s}–{e}"
        );
        assert_eq!(g.3[count_field].as_u64(), Some(n), "{g:?}");
    }
}

#[test]
fn drops_are_found_with_their_missing_frames() {
    let found = run("drop.ts");
    assert_found(
        &found,
        "video_frame_drop",
        &[(2.40, 2.60, 5), (5.00, 5.04, 1), (6.80, 6.88, 2)],
        "missing_frames",
    );
    assert_found(&found, "video_stutter", &[], "repeated_frames");
}

#[test]
fn repeated_frames_in_motion_are_stutter() {
    let found = run("stutter.ts");
    assert_found(
        &found,
        "video_stutter",
        &[(4.04, 4.12, 2), (4.80, 5.04, 2)],
        "repeated_frames",
    );
    assert_found(&found, "video_frame_drop", &[], "missing_frames");
}

#[test]
fn regular_doubling_is_cadence_not_stutter() {
    let found = run("doubled.ts");
    assert_found(
        &found,
        "video_stutter",
        &[(4.08, 4.12, 1)],
        "repeated_frames",
    );
    assert_found(&found, "video_frame_drop", &[], "missing_frames");
}

#[test]
fn pulldown_is_clean() {
    assert!(run("pulldown.ts").is_empty());
}

#[test]
fn pictures_missing_while_sound_goes_on_are_video_loss() {
    // no picture 3.00–6.00 s of content; the file's timeline starts 0.021 s before the first
    // picture (AAC priming), so the hole is 3.021–6.021 s
    let found = run_with("video_loss.ts", &["video_loss", "frame_drop"]);
    let loss: Vec<_> = found.iter().filter(|f| f.0 == "video_loss").collect();
    assert_eq!(loss.len(), 1, "{found:?}");
    let (s, e) = (loss[0].1, loss[0].2);
    // the decoder holds the last pictures before the hole for a few frames: the start may be
    // up to 5 frames early, never late
    assert!((3.021 - 5.0 * FRAME..=3.021 + 1e-3).contains(&s), "start {s}");
    assert!((e - 6.021).abs() <= FRAME, "end {e}");
    // the same hole is also a frame drop of 75 frames
    assert_found(
        &found,
        "video_frame_drop",
        &[(3.021, 6.021, 75)],
        "missing_frames",
    );
}
