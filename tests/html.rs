//! The HTML report's record, without a browser (tests/html_report.rs opens it in one).

use std::sync::Arc;

use avqc::event::{DefectEvent, MetricEvent};
use avqc::html::HtmlReport;
use avqc::{DefectKind, Event, MediaTime, Phase};
use serde_json::Value;

fn defect(stream: &str, phase: Phase, start: f64, end: Option<f64>, details: Value) -> Event {
    Event::Defect(DefectEvent {
        phase,
        stream: Arc::from(stream),
        detector: Arc::from("freeze"),
        defect: DefectKind::new("video_freeze"),
        start: MediaTime::from_secs_f64(start),
        end: end.map(MediaTime::from_secs_f64),
        emitted_at: MediaTime::from_secs_f64(end.unwrap_or(start) + 0.5),
        details: details.as_object().cloned().unwrap_or_default(),
        track: None,
        language: None,
    })
}

fn metric(stream: &str, name: &'static str, value: f64, at: f64) -> Event {
    Event::Metric(MetricEvent {
        stream: Arc::from(stream),
        detector: Arc::from("loudness"),
        name: name.into(),
        value,
        at: MediaTime::from_secs_f64(at),
        track: None,
        language: None,
    })
}

/// The data the page's script draws from.
fn page_data(page: &str) -> Value {
    let open = r#"<script type="application/json" id="avqc-data">"#;
    let start = page.find(open).expect("data block") + open.len();
    let len = page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..start + len]).expect("the data is JSON")
}

#[test]
fn starts_and_ends_make_one_defect_with_both_details() {
    let r = HtmlReport::new();
    r.record(&defect(
        "a.ts",
        Phase::Start,
        1.0,
        None,
        serde_json::json!({"frames": 10}),
    ));
    r.record(&defect(
        "b.ts",
        Phase::Start,
        2.0,
        None,
        serde_json::json!({}),
    ));
    r.record(&defect(
        "a.ts",
        Phase::End,
        1.0,
        Some(3.0),
        serde_json::json!({"duration": 2.0}),
    ));
    let data = page_data(&r.render(&[]));
    let streams = data["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    let a = &streams[0]["defects"][0];
    assert_eq!(
        (a["start"].as_f64(), a["end"].as_f64()),
        (Some(1.0), Some(3.0))
    );
    assert_eq!(a["details"]["frames"], 10);
    assert_eq!(a["details"]["duration"], 2.0);
    // b's defect never ended: drawn to the end of the stream.
    assert!(streams[1]["defects"][0]["end"].is_null());
}

#[test]
fn long_runs_keep_a_bounded_evenly_thinned_curve() {
    let r = HtmlReport::new();
    let n = 3 * HtmlReport::MAX_POINTS + 17;
    for i in 0..n {
        r.record(&metric("live", "short_term_lufs", -23.0, i as f64 * 0.1));
    }
    let data = page_data(&r.render(&[]));
    let pts = data["streams"][0]["curves"]["short_term_lufs"]
        .as_array()
        .unwrap();
    assert!(pts.len() <= HtmlReport::MAX_POINTS && pts.len() > HtmlReport::MAX_POINTS / 4);
    let last = pts.last().unwrap()[0].as_f64().unwrap();
    assert!(
        last > (n as f64 * 0.1) * 0.9,
        "the curve reaches the end of the run ({last})"
    );
    let steps: Vec<f64> = pts
        .windows(2)
        .map(|w| w[1][0].as_f64().unwrap() - w[0][0].as_f64().unwrap())
        .collect();
    let (lo, hi) = steps
        .iter()
        .fold((f64::MAX, 0f64), |(l, h), s| (l.min(*s), h.max(*s)));
    assert!(hi <= lo * 2.0 + 1e-6, "evenly thinned: steps {lo}..{hi}");
}

#[test]
fn names_and_details_cannot_break_out_of_the_page() {
    let evil = "</script><script>alert(1)</script>";
    let r = HtmlReport::new().title(evil);
    r.record(&defect(
        evil,
        Phase::Start,
        0.0,
        None,
        serde_json::json!({ "note": evil }),
    ));
    let page = r.render(&[]);
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only the page's own two scripts"
    );
    assert_eq!(
        page_data(&page)["streams"][0]["defects"][0]["details"]["note"],
        evil
    );
}

#[test]
fn snapshots_come_only_from_the_folder() {
    let dir = std::env::temp_dir().join(format!("avqc-html-snaps-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    std::fs::write(dir.join("inner/ok.png"), b"\x89PNG fake").unwrap();
    std::fs::write(dir.join("secret.png"), b"\x89PNG secret").unwrap();
    let r = HtmlReport::new().snapshots(dir.join("inner"));
    r.record(&defect(
        "s",
        Phase::Start,
        1.0,
        None,
        serde_json::json!({"snapshot": "ok.png"}),
    ));
    r.record(&defect(
        "s",
        Phase::Start,
        2.0,
        None,
        serde_json::json!({"snapshot": "../secret.png"}),
    ));
    r.record(&defect(
        "s",
        Phase::Start,
        3.0,
        None,
        serde_json::json!({"snapshot": "missing.png"}),
    ));
    let page = r.render(&[]);
    assert_eq!(page.matches("<img ").count(), 1);
    assert!(
        page.contains("data:image/png;base64,iVBORyBmYWtl"),
        "ok.png embedded"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn on_track(event: Event, track: usize, language: &str) -> Event {
    match event {
        Event::Metric(mut m) => {
            m.track = Some(track);
            m.language = Some(Arc::from(language));
            Event::Metric(m)
        }
        Event::Defect(mut d) => {
            d.track = Some(track);
            d.language = Some(Arc::from(language));
            d.defect = DefectKind::AUDIO_SILENCE;
            d.detector = Arc::from("silence");
            Event::Defect(d)
        }
        e => e,
    }
}

#[test]
fn two_audio_tracks_get_their_own_lanes_curves_and_column() {
    let r = HtmlReport::new();
    for i in 0..20 {
        let t = i as f64 * 0.5;
        r.record(&on_track(
            metric("two.ts", "short_term_lufs", -23.0, t),
            1,
            "eng",
        ));
        r.record(&on_track(
            metric("two.ts", "short_term_lufs", -35.0, t),
            2,
            "spa",
        ));
    }
    r.record(&on_track(
        defect("two.ts", Phase::Start, 2.0, None, serde_json::json!({})),
        2,
        "spa",
    ));
    r.record(&on_track(
        defect("two.ts", Phase::End, 2.0, Some(4.0), serde_json::json!({})),
        2,
        "spa",
    ));
    r.record(&defect(
        "two.ts",
        Phase::Start,
        5.0,
        None,
        serde_json::json!({}),
    ));
    // one audio track only: plain names, as before
    r.record(&on_track(
        metric("one.ts", "short_term_lufs", -23.0, 0.0),
        1,
        "eng",
    ));
    let page = r.render(&[]);
    let data = page_data(&page);
    let two = &data["streams"][0];
    let curves = two["curves"].as_object().unwrap();
    let mut keys: Vec<&str> = curves.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["short_term_lufs · track 1", "short_term_lufs · track 2"]
    );
    assert_eq!(curves["short_term_lufs · track 2"][0][1], -35.0);
    assert_eq!(
        curves["short_term_lufs · track 2"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    let defects = two["defects"].as_array().unwrap();
    assert_eq!(defects.len(), 2, "{defects:?}");
    assert_eq!(defects[0]["lane"], "audio_silence · track 2 (spa)");
    assert_eq!(defects[0]["end"], 4.0, "start and end of track 2 joined");
    assert_eq!(defects[1]["lane"], "video_freeze", "no track: no suffix");
    assert!(
        page.contains("<th>track</th>"),
        "the defect list has a track column"
    );
    assert!(
        page.contains("<td>audio_silence</td><td>2 (spa)</td>"),
        "{page}"
    );
    assert!(page.contains("<td>video_freeze</td><td></td>"));
    let one = &data["streams"][1];
    assert!(one["curves"]["short_term_lufs"].is_array(), "{one}");
}
