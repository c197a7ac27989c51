//! Closed captions: the A/53 bytes on decoded pictures and the `captions` detector, on
//! tests/data/captions.ts (captions on 0–4 s of 8 s; see tests/data/README.md).
#![cfg(feature = "ffmpeg")]

use std::process::Command;

use avqc::detect::video::count_cc_triplets;
use avqc::sink::Collect;
use avqc::{Decoder, DecoderOptions, Event, FfmpegDecoder, Media, Phase, Pipeline, Registry};

const FIXTURE: &str = "tests/data/captions.ts";

#[test]
fn the_fixture_carries_closed_captions_for_ffprobe() {
    let out = Command::new("ffprobe")
        .args(["-hide_banner", FIXTURE])
        .output()
        .expect("ffprobe runs (scripts/install-deps.sh installs it)");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Closed Captions"), "{text}");
}

#[test]
fn decoded_pictures_expose_the_caption_bytes_of_the_first_four_seconds() {
    let mut d = FfmpegDecoder::open(FIXTURE, &DecoderOptions::default()).unwrap();
    let (mut with, mut without, mut last_with) = (0, 0, 0.0);
    while let Some(m) = d.next().unwrap() {
        if let Media::Video(v) = m {
            match v.a53_captions() {
                Some(cc) => {
                    // one valid CEA-608 field-1 pair, field-2 padding, one valid 708 start
                    assert_eq!(count_cc_triplets(cc), [1, 0, 0, 1], "{cc:02x?}");
                    with += 1;
                    last_with = v.time().as_secs_f64();
                }
                None => without += 1,
            }
        }
    }
    assert_eq!((with, without), (100, 100));
    assert!((last_with - 3.96).abs() < 0.05, "{last_with}");
}

/// `caption_missing` events and metrics of a run over the fixture with `config`.
fn run(config: &str) -> Vec<Event> {
    let d = FfmpegDecoder::open(FIXTURE, &DecoderOptions::default()).unwrap();
    let detectors = Registry::builtin().build_json(config).unwrap();
    let sink = Collect::new();
    Pipeline::builder()
        .decoder(d)
        .detectors(detectors)
        .sink(sink.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    sink.events()
}

#[test]
fn captions_that_stop_half_way_are_missing_from_where_they_stopped() {
    let events = run(r#"[{"type": "captions", "max_gap": 2.0, "metric_interval": 2.0}]"#);
    let missing: Vec<_> = events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.defect.as_str() == "caption_missing")
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert_eq!(missing[0].phase, Phase::Start);
    let start = missing[0].start.as_secs_f64();
    assert!((start - 4.0).abs() < 0.05, "{start}");
    // reported once the gap passed max_gap
    assert!(missing[0].emitted_at.as_secs_f64() >= start + 2.0 - 0.05);
    let end = &missing[1];
    assert_eq!(end.phase, Phase::End);
    assert!(end.end.unwrap().as_secs_f64() >= 7.9, "{end:?}");
    assert_eq!(
        end.details["channels_seen"],
        serde_json::json!(["cea608_field1", "cea708_start"])
    );
    // the metrics: 50 valid 608 field-1 triplets per 2 s while captioned, then none
    let f1: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Metric(m) if m.name == "captions_cea608_field1" => Some(m.value),
            _ => None,
        })
        .collect();
    assert_eq!(f1, [50.0, 50.0, 0.0, 0.0], "{f1:?}");
}

#[test]
fn a_gap_shorter_than_max_gap_is_not_reported() {
    let events = run(r#"[{"type": "captions", "max_gap": 5.0}]"#);
    assert!(
        !events
            .iter()
            .filter_map(Event::as_defect)
            .any(|d| d.defect.as_str() == "caption_missing"),
        "{events:?}"
    );
}
