use std::sync::Arc;

use super::*;
use crate::event::{DefectEvent, DefectKind, MetricEvent};
use crate::media::{MediaKind, MediaTime};
use crate::pipeline::TrackReport;

fn silence_on(track: usize) -> Event {
    Event::Defect(DefectEvent {
        phase: Phase::Start,
        stream: Arc::from("in.ts"),
        detector: Arc::from("silence"),
        defect: DefectKind::AUDIO_SILENCE,
        start: MediaTime::from_secs_f64(1.0),
        end: None,
        emitted_at: MediaTime::from_secs_f64(1.5),
        details: Map::new(),
        track: Some(track),
        language: None,
    })
}

fn lufs_on(track: usize) -> Event {
    Event::Metric(MetricEvent {
        stream: Arc::from("in.ts"),
        detector: Arc::from("loudness"),
        name: "short_term_lufs".into(),
        value: -24.0,
        at: MediaTime::from_secs_f64(1.0),
        track: Some(track),
        language: None,
    })
}

fn report(audio: &[(usize, &str)]) -> Report {
    let mut tracks = vec![TrackReport {
        index: 0,
        kind: MediaKind::Video,
        language: None,
        frames: 25,
        defects: 0,
    }];
    for (index, language) in audio {
        tracks.push(TrackReport {
            index: *index,
            kind: MediaKind::Audio,
            language: Some(language.to_string()),
            frames: 47,
            defects: 0,
        });
    }
    Report {
        input: "in.ts".into(),
        tracks,
        ..Report::default()
    }
}

/// (lane of the first defect, the curves' names) of the page's data for `in.ts`.
fn drawn(html: &HtmlReport, report: &Report) -> (String, Vec<String>) {
    let rec = html.inner.lock().unwrap();
    let data = rec.streams[0].data(Some(report));
    let lane = data["defects"][0]["lane"].as_str().unwrap().to_string();
    let curves = data["curves"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    (lane, curves)
}

#[test]
fn the_report_says_when_an_input_has_several_tracks() {
    let html = HtmlReport::new();
    // events from one track only, the language from the report
    html.record(&silence_on(2));
    html.record(&lufs_on(2));
    let two = report(&[(1, "eng"), (2, "spa")]);
    let (lane, curves) = drawn(&html, &two);
    assert_eq!(lane, "audio_silence · track 2 (spa)");
    assert_eq!(curves, ["short_term_lufs · track 2"]);
    // one audio track (and one video stream): plain names
    let one = report(&[(2, "spa")]);
    let (lane, curves) = drawn(&html, &one);
    assert_eq!(lane, "audio_silence");
    assert_eq!(curves, ["short_term_lufs"]);
}
