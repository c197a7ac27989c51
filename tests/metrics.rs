//! The metrics registry fed by both drivers: its defect counters agree with the events the
//! run emitted, open defects are back to 0 when the streams end, and the health and report
//! counts arrive.

use std::collections::BTreeMap;

use avqc::monitor::{Monitor, StreamSpec};
use avqc::sink::Collect;
use avqc::{
    Event, FrameSource, Media, MediaTime, Metrics, Phase, Pipeline, PixelFormat, Registry, Sink,
    StreamInfo, VideoFrame,
};

/// 10 s at 25 fps: `n` black stretches of 1.5 s, each followed by 0.5 s of grey (a still
/// picture throughout, so freezes too).
fn source(name: &str, n: usize) -> FrameSource<impl Iterator<Item = Media> + Send + 'static> {
    let frames = (0..50 * n).map(|i| {
        let y = if i % 50 < 38 { 16 } else { 120 };
        Media::Video(
            VideoFrame::filled(
                64,
                36,
                PixelFormat::Yuv420p,
                MediaTime::from_secs_f64(i as f64 / 25.0),
                [y, 128, 128],
            )
            .with_duration(Some(0.04)),
        )
    });
    FrameSource::new(
        name,
        vec![StreamInfo::video(0, "raw", 64, 36, None)],
        frames,
    )
}

/// Defect starts per (stream, track, defect) among `events`.
fn starts(events: &[Event]) -> BTreeMap<(String, Option<String>, String), f64> {
    let mut m = BTreeMap::new();
    for d in events.iter().filter_map(|e| e.as_defect()) {
        if d.phase == Phase::Start {
            let track = d.track.map(|t| t.to_string());
            *m.entry((d.stream.to_string(), track, d.defect.to_string()))
                .or_insert(0.0) += 1.0;
        }
    }
    m
}

/// The labels of a defect series: `stream`, `track` when the events had one, `defect`.
fn defect_labels<'a>(
    stream: &'a str,
    track: Option<&'a str>,
    defect: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut labels = vec![("stream", stream)];
    labels.extend(track.map(|t| ("track", t)));
    labels.push(("defect", defect));
    labels
}

fn check(metrics: &Metrics, events: &[Event]) {
    let starts = starts(events);
    assert!(!starts.is_empty());
    for ((stream, track, defect), n) in &starts {
        let labels = defect_labels(stream, track.as_deref(), defect);
        assert_eq!(
            metrics.value("avqc_defects_total", &labels),
            Some(*n),
            "{labels:?}"
        );
        assert_eq!(
            metrics.value("avqc_defects_open", &labels),
            Some(0.0),
            "{labels:?}"
        );
    }
    let text = metrics.render();
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("avqc_defects_total{"))
            .count(),
        starts.len(),
        "{text}"
    );
}

#[test]
fn a_pipeline_run_is_counted() {
    let metrics = Metrics::new();
    let events = Collect::new();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(metrics.clone()), Box::new(events.clone())];
    let report = Pipeline::builder()
        .decoder(source("one", 4))
        .detectors(Registry::builtin().build_names(&["black"]).unwrap())
        .sink(sinks)
        .build()
        .unwrap()
        .run()
        .unwrap();
    metrics.observe_report(&report);
    let events = events.events();
    check(&metrics, &events);
    // the one video stream's events carry its index: the series has `track="0"`
    let black = defect_labels("one", Some("0"), "video_black");
    assert_eq!(metrics.value("avqc_defects_total", &black), Some(4.0));
    let frames = metrics.value("avqc_video_frames_total", &[("stream", "one")]);
    assert_eq!(frames, Some(200.0));
    let ended = [("stream", "one"), ("state", "ended")];
    assert_eq!(metrics.value("avqc_stream_state", &ended), Some(1.0));
    let n = events.len() as f64;
    let kinds = ["defect", "metric", "notice"].map(|k| {
        metrics
            .value("avqc_events_total", &[("stream", "one"), ("kind", k)])
            .unwrap_or(0.0)
    });
    assert_eq!(kinds.iter().sum::<f64>(), n);
}

#[test]
fn monitor_streams_are_counted_apart() {
    let metrics = Metrics::new();
    let events = Collect::new();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(metrics.clone()), Box::new(events.clone())];
    let monitor = Monitor::builder().workers(2).sink(sinks).build().unwrap();
    for (cam, n) in [("cam1", 2), ("cam2", 5)] {
        let spec = StreamSpec::decoder(cam, source(cam, n)).detectors(
            Registry::builtin()
                .build_names(&["black", "freeze"])
                .unwrap(),
        );
        monitor.add(spec).unwrap();
    }
    for h in monitor.finish().unwrap() {
        metrics.observe_health(&h);
    }
    check(&metrics, &events.events());
    for (cam, n) in [("cam1", 2.0), ("cam2", 5.0)] {
        let black = defect_labels(cam, Some("0"), "video_black");
        assert_eq!(
            metrics.value("avqc_defects_total", &black),
            Some(n),
            "{cam}"
        );
        let frames = metrics.value("avqc_video_frames_total", &[("stream", cam)]);
        assert_eq!(frames, Some(50.0 * n), "{cam}");
        let lag = metrics.value("avqc_stream_lag_seconds", &[("stream", cam)]);
        assert!(lag.is_some_and(|l| l >= 0.0), "{cam}: {lag:?}");
    }
}
