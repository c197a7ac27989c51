//! SCTE-35 cues through the transport tap, on tests/data/scte35.ts (cues written by
//! scripts/scte35-fixture.py; see tests/data/README.md), cross-checked against the independent
//! `threefive` parser (installed by scripts/install-deps.sh; the test fails without it).
#![cfg(feature = "ffmpeg")]

use std::process::Command;

use avqc::event::CueEvent;
use avqc::sink::Collect;
use avqc::{DecoderOptions, Event, FfmpegDecoder, Pipeline, Registry, SpliceCommand};

const FIXTURE: &str = "tests/data/scte35.ts";

fn run() -> Vec<Event> {
    let d = FfmpegDecoder::open(FIXTURE, &DecoderOptions::default()).unwrap();
    let detectors = Registry::builtin()
        .build_json(r#"[{"type": "scte35", "return_margin": 1.0}]"#)
        .unwrap();
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

fn cues(events: &[Event]) -> Vec<&CueEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Cue(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn notices<'a>(events: &'a [Event], name: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) if n.name == name => Some(n.message.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_cue_is_an_event_on_the_media_timeline() {
    let events = run();
    let cues = cues(&events);
    let summary: Vec<_> = cues
        .iter()
        .map(|c| (c.command, c.event_id, c.out_of_network))
        .collect();
    assert_eq!(
        summary,
        [
            (SpliceCommand::SpliceNull, None, None),
            (SpliceCommand::SpliceInsert, Some(100), Some(true)),
            (SpliceCommand::SpliceInsert, Some(100), Some(false)),
            (SpliceCommand::TimeSignal, Some(200), Some(true)),
            (SpliceCommand::SpliceInsert, Some(300), Some(true)),
            (SpliceCommand::SpliceInsert, Some(400), Some(true)),
        ]
    );
    // arrival and splice times (seconds after the first picture; pts_adjustment applied)
    let near = |a: f64, b: f64| (a - b).abs() < 0.05;
    let times: Vec<(f64, Option<f64>)> = cues
        .iter()
        .map(|c| (c.at.as_secs_f64(), c.splice_at.map(|t| t.as_secs_f64())))
        .collect();
    for (got, want) in times.iter().zip([
        (1.0, None),
        (2.0, Some(4.0)),
        (5.0, Some(6.0)),
        (6.5, Some(7.0)),
        (9.0, Some(8.0)),
        (10.2, Some(10.3)),
    ]) {
        assert!(near(got.0, want.0), "{times:?}");
        match (got.1, want.1) {
            (Some(a), Some(b)) => assert!(near(a, b), "{times:?}"),
            (a, b) => assert_eq!(a.is_some(), b.is_some(), "{times:?}"),
        }
    }
    assert_eq!(cues[1].duration, Some(2.0));
    assert_eq!(cues[3].details["segmentation_type_id"], 0x34);
    assert_eq!(cues[1].pid, 500);
    assert_eq!(cues[1].details["auto_return"], false);
    assert_eq!(cues[5].details["auto_return"], true);
}

#[test]
fn late_cues_breaks_without_return_and_crc_errors_are_reported() {
    let events = run();
    let late = notices(&events, "cue_late");
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("event 300"), "{late:?}");
    let no_return = notices(&events, "cue_no_return");
    assert_eq!(no_return.len(), 2, "{no_return:?}");
    assert!(no_return[0].contains("event 200"), "{no_return:?}");
    assert!(no_return[1].contains("event 300"), "{no_return:?}");
    // event 400 went out with auto_return: its splicer comes back by itself
    let errors = notices(&events, "cue_error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("CRC"), "{errors:?}");
}

#[test]
fn the_cues_agree_with_threefive() {
    let out = Command::new("python3")
        .args(["scripts/scte35-fixture.py", "check", FIXTURE])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "threefive missing? run scripts/install-deps.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        // the section with the broken CRC: threefive does not check CRCs; avqc reports it
        // as cue_error, not as a cue
        .filter(|c: &serde_json::Value| c["event_id"] != 999)
        .collect();
    let events = run();
    let ours = cues(&events);
    assert_eq!(ours.len(), theirs.len(), "{theirs:?}");
    assert_eq!(ours.len(), 6);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.command.name(), b["command"], "{b}");
        assert_eq!(a.event_id.map(u64::from), b["event_id"].as_u64(), "{b}");
        if let Some(out) = b["out_of_network"].as_bool() {
            assert_eq!(a.out_of_network, Some(out), "{b}");
        }
        assert_eq!(
            a.details.get("splice_pts").and_then(|v| v.as_u64()),
            b["splice_pts"].as_u64(),
            "{b}"
        );
        let ticks = a.duration.map(|d| (d * 90_000.0).round() as u64);
        assert_eq!(ticks, b["duration_ticks"].as_u64(), "{b}");
        if let Some(auto) = b["auto_return"].as_bool() {
            assert_eq!(a.details["auto_return"], auto, "{b}");
        }
    }
}
