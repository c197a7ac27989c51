//! The channel, hum and dropout fixtures (tests/data/README.md has the truth): each fault
//! caught at the right times by the default detector set, nothing else reported.
#![cfg(feature = "ffmpeg")]

use avqc::sink::Collect;
use avqc::{DecoderOptions, Event, FfmpegDecoder, Phase, Pipeline, Registry};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run_events(file: &str, json: &str) -> Vec<Event> {
    let events = Collect::new();
    Pipeline::builder()
        .decoder(FfmpegDecoder::open(&data(file), &DecoderOptions::default()).unwrap())
        .detectors(Registry::builtin().build_json(json).unwrap())
        .sink(events.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    events.events()
}

/// `(defect, start, end, details)` of every closed defect of the audio detectors (defaults).
fn run(file: &str) -> Vec<(String, f64, f64, serde_json::Value)> {
    let json = r#"[{"type":"silence"},{"type":"clipping"},{"type":"channels"},{"type":"hum"}]"#;
    run_events(file, json)
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

/// Decoded timeline = content time + the AAC priming (1024 samples at 48 kHz).
const PRIMING: f64 = 1024.0 / 48000.0;

fn one(file: &str, defect: &str, start: f64, end: f64, tol: f64) -> serde_json::Value {
    let found = run(file);
    assert_eq!(found.len(), 1, "{file}: {found:?}");
    let (d, s, e, details) = &found[0];
    assert_eq!(d, defect, "{file}: {found:?}");
    assert!(
        (s - (start + PRIMING)).abs() <= tol && (e - (end + PRIMING)).abs() <= tol,
        "{file}: {found:?}"
    );
    details.clone()
}

#[test]
fn phase_inverted_fixture() {
    one("phase.mka", "audio_phase_inverted", 2.0, 4.5, 0.5);
}

#[test]
fn missing_channel_fixture() {
    let d = one("missing.mka", "audio_channel_missing", 2.0, 4.5, 0.5);
    assert_eq!(d["channel"], 1);
}

#[test]
fn dc_offset_fixture() {
    let d = one("dc.mka", "audio_dc_offset", 2.0, 4.5, 0.5);
    assert_eq!(d["channel"], 0);
}

#[test]
fn hum_fixture() {
    let d = one("hum.mka", "audio_hum", 2.0, 5.0, 0.5);
    assert_eq!(d["frequency"], 50);
}

#[test]
fn relative_dropout_fixture() {
    let found = run("dropout_relative.mka");
    assert_eq!(found.len(), 2, "{found:?}");
    for ((d, s, e, details), (ts, te)) in found.iter().zip([(2.0, 2.05), (4.0, 4.12)]) {
        assert_eq!(d, "audio_dropout");
        assert_eq!(details["source"], "relative");
        assert!((s - (ts + PRIMING)).abs() <= 0.05, "{found:?}");
        assert!((e - (te + PRIMING)).abs() <= 0.05, "{found:?}");
    }
}

#[test]
fn dual_mono_fixture_is_a_notice_not_a_defect() {
    assert!(run("dual_mono.mka").is_empty());
    let ev = run_events("dual_mono.mka", r#"[{"type":"channels","dual_mono":true}]"#);
    let n: Vec<f64> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) if n.name == "audio_dual_mono" => Some(n.at.as_secs_f64()),
            _ => None,
        })
        .collect();
    assert_eq!(n.len(), 1, "{ev:?}");
    // confirmed 2 s after the episode starts at 3.0 s
    assert!((5.0..=5.8).contains(&n[0]), "{n:?}");
}

#[test]
fn demo_clip_has_no_channel_fault() {
    let found: Vec<_> = run("demo.ts")
        .into_iter()
        .filter(|(d, ..)| d != "audio_silence" && d != "audio_clipping")
        .collect();
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn corrupt_audio_packets_are_decoder_dropouts() {
    // audio_corrupt.ts: demo.ts with six audio TS packets damaged inside the PES packets at
    // 6.144 s and 6.485 s (each about 0.34 s of AAC frames)
    // (the decoder drops the damaged frames: the hole they leave in the timeline is the
    // dropout, `"timestamps"`, counting the decoder's notices)
    let decoder = |file: &str| -> Vec<(f64, f64, serde_json::Value)> {
        run(file)
            .into_iter()
            .filter(|(d, _, _, det)| {
                d == "audio_dropout"
                    && (det["source"] == "decoder" || det["source"] == "timestamps")
            })
            .map(|(_, s, e, det)| (s, e, det))
            .collect()
    };
    let found = decoder("audio_corrupt.ts");
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e, det) = &found[0];
    assert!(*s >= 6.14 && *e <= 6.83 && e > s, "{found:?}");
    assert!(det["source"] == "decoder" || det["decoder_notices"].as_u64() > Some(0));
    // the undamaged original has none
    assert!(decoder("demo.ts").is_empty());
}
