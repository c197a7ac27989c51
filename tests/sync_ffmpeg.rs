//! `sync` on the flash/beep fixtures `sync_ok.ts` and `sync_late.ts` (tests/data/README.md has
//! the truth: offset 0 and +80 ms).
#![cfg(feature = "ffmpeg")]

use avqc::sink::Collect;
use avqc::{DecoderOptions, Event, FfmpegDecoder, Phase, Pipeline, Registry};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The `av_sync` end events and the `av_offset_ms` values of `file`.
fn run(file: &str) -> (Vec<serde_json::Value>, Vec<f64>) {
    let events = Collect::new();
    Pipeline::builder()
        .decoder(FfmpegDecoder::open(&data(file), &DecoderOptions::default()).unwrap())
        .detectors(Registry::builtin().build_names(&["sync"]).unwrap())
        .sink(events.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    let mut defects = Vec::new();
    let mut offsets = Vec::new();
    for e in events.events() {
        match &e {
            Event::Defect(d) if d.phase == Phase::End => {
                assert_eq!(d.defect.as_str(), "av_sync");
                defects.push(serde_json::Value::Object(d.details.clone()));
            }
            Event::Metric(m) if m.name == "av_offset_ms" => offsets.push(m.value),
            _ => {}
        }
    }
    (defects, offsets)
}

#[test]
fn delayed_audio_is_measured_to_within_a_few_ms_through_h264_and_aac() {
    let (defects, offsets) = run("sync_late.ts");
    assert!(offsets.len() >= 5, "{offsets:?}");
    assert!(
        offsets.iter().all(|o| (o - 80.0).abs() <= 3.0),
        "{offsets:?}"
    );
    assert_eq!(defects.len(), 1, "{defects:?}");
    assert_eq!(defects[0]["source"], "pattern");
    let off = defects[0]["offset_ms"].as_f64().unwrap();
    assert!((off - 80.0).abs() <= 3.0, "{off}");
}

#[test]
fn in_sync_pattern_through_h264_and_aac_raises_nothing() {
    let (defects, offsets) = run("sync_ok.ts");
    assert!(defects.is_empty(), "{defects:?}");
    assert!(offsets.len() >= 5, "{offsets:?}");
    assert!(offsets.iter().all(|o| o.abs() <= 3.0), "{offsets:?}");
}
