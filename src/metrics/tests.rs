use super::*;
use crate::event::{DefectEvent, DefectKind, Details, MetricEvent};
use crate::media::MediaTime;

fn defect(stream: &str, kind: DefectKind, phase: Phase, details: Details) -> Event {
    Event::Defect(DefectEvent {
        phase,
        stream: stream.into(),
        detector: "d".into(),
        defect: kind,
        start: MediaTime::ZERO,
        end: None,
        emitted_at: MediaTime::ZERO,
        details,
        track: None,
        language: None,
    })
}

fn metric(stream: &str, detector: &str, name: &'static str, value: f64) -> Event {
    Event::Metric(MetricEvent {
        stream: stream.into(),
        detector: detector.into(),
        name: name.into(),
        value,
        at: MediaTime::ZERO,
        track: None,
        language: None,
    })
}

fn health(id: &str, video: u64, state: StreamState) -> StreamHealth {
    StreamHealth {
        id: id.into(),
        state,
        video_frames: video,
        audio_frames: 2 * video,
        fps: 25.0,
        lag_secs: 0.25,
        max_lag_secs: 1.5,
        lagging: false,
        dropped: 0,
        queued: 3,
        queued_bytes: 4096,
        max_in_flight: 32,
        decode_errors: 1,
        detectors_panicked: 0,
        last_defect: None,
        media_secs: 4.0,
        idle_secs: 0.1,
        ending: None,
        tracks: Vec::new(),
        priority: 40,
        degradation: 1,
        cost_cores: Some(0.25),
        profile: Some("720p".into()),
    }
}

#[test]
fn defects_open_and_close_by_type_and_track() {
    let m = Metrics::new();
    let none = Details::new();
    let mut track = Details::new();
    track.insert("track".into(), serde_json::json!(2));
    m.observe(&defect(
        "a",
        DefectKind::VIDEO_FREEZE,
        Phase::Start,
        none.clone(),
    ));
    m.observe(&defect(
        "a",
        DefectKind::VIDEO_FREEZE,
        Phase::End,
        none.clone(),
    ));
    m.observe(&defect(
        "a",
        DefectKind::VIDEO_FREEZE,
        Phase::Start,
        none.clone(),
    ));
    m.observe(&defect(
        "a",
        DefectKind::AUDIO_SILENCE,
        Phase::Start,
        track.clone(),
    ));
    // an end without a start (a sink attached mid-run) never makes the gauge negative
    m.observe(&defect("b", DefectKind::VIDEO_BLACK, Phase::End, none));
    let v = |fam, labels: &[(&str, &str)]| m.value(fam, labels);
    let freeze = [("stream", "a"), ("defect", "video_freeze")];
    assert_eq!(v("avqc_defects_total", &freeze), Some(2.0));
    assert_eq!(v("avqc_defects_open", &freeze), Some(1.0));
    let silence = [("stream", "a"), ("track", "2"), ("defect", "audio_silence")];
    assert_eq!(v("avqc_defects_total", &silence), Some(1.0));
    assert_eq!(
        v(
            "avqc_defects_open",
            &[("stream", "b"), ("defect", "video_black")]
        ),
        Some(0.0)
    );
    assert_eq!(
        v("avqc_events_total", &[("stream", "a"), ("kind", "defect")]),
        Some(4.0)
    );
    let text = m.render();
    assert!(
        text.contains("avqc_defects_total{stream=\"a\",track=\"2\",defect=\"audio_silence\"} 1\n"),
        "{text}"
    );
}

#[test]
fn detector_metrics_go_to_their_families() {
    let m = Metrics::new();
    m.observe(&metric("a", "loudness", "momentary_lufs", -20.5));
    m.observe(&metric("a", "loudness", "true_peak_dbtp", -1.25));
    m.observe(&metric("a", "sync", "av_offset_ms", 80.0));
    m.observe(&metric("a", "monitor", "stream_lag_secs", 0.75));
    m.observe(&metric("a", "pipeline", "frames_dropped", 3.0));
    m.observe(&metric("a", "pipeline", "frames_dropped", 5.0));
    m.observe(&metric("a", "blockiness", "blocky_share", 0.5));
    let v = |fam, labels: &[(&str, &str)]| m.value(fam, labels);
    assert_eq!(
        v("avqc_loudness_momentary_lufs", &[("stream", "a")]),
        Some(-20.5)
    );
    assert_eq!(v("avqc_true_peak_dbtp", &[("stream", "a")]), Some(-1.25));
    assert_eq!(
        v(
            "avqc_av_offset_seconds",
            &[("stream", "a"), ("detector", "sync")]
        ),
        Some(0.08)
    );
    assert_eq!(v("avqc_stream_lag_seconds", &[("stream", "a")]), Some(0.75));
    // a running total: 5, not 8
    assert_eq!(
        v("avqc_frames_dropped_total", &[("stream", "a")]),
        Some(5.0)
    );
    let other = [
        ("stream", "a"),
        ("detector", "blockiness"),
        ("name", "blocky_share"),
    ];
    assert_eq!(v("avqc_metric", &other), Some(0.5));
}

#[test]
fn health_counters_stay_monotone_when_a_stream_starts_again() {
    let m = Metrics::new();
    m.observe_health(&health("cam", 100, StreamState::Running));
    m.observe_health(&health("cam", 250, StreamState::Ended));
    // removed and added again under the same id: its own counts start from 0
    m.observe_health(&health("cam", 10, StreamState::Running));
    let frames = m
        .value("avqc_video_frames_total", &[("stream", "cam")])
        .unwrap();
    assert_eq!(frames, 260.0);
    let state = |s| m.value("avqc_stream_state", &[("stream", "cam"), ("state", s)]);
    assert_eq!((state("running"), state("ended")), (Some(1.0), Some(0.0)));
    assert_eq!(
        m.value("avqc_stream_queued_bytes", &[("stream", "cam")]),
        Some(4096.0)
    );
    assert_eq!(
        m.value("avqc_decode_errors_total", &[("stream", "cam")]),
        Some(1.0)
    );
    let cam = [("stream", "cam")];
    assert_eq!(m.value("avqc_stream_degraded", &cam), Some(1.0));
    assert_eq!(m.value("avqc_stream_priority", &cam), Some(40.0));
    assert_eq!(m.value("avqc_stream_cost_cores", &cam), Some(0.25));
}

#[test]
fn the_exposition_is_well_formed() {
    let m = Metrics::new();
    m.observe(&defect(
        "cam \"1\"\\x\ny",
        DefectKind::VIDEO_FREEZE,
        Phase::Start,
        Details::new(),
    ));
    m.observe(&metric(
        "b",
        "loudness",
        "integrated_lufs",
        f64::NEG_INFINITY,
    ));
    m.observe_health(&health("b", 5, StreamState::Stalled));
    let text = m.render();
    assert!(text.contains("stream=\"cam \\\"1\\\"\\\\x\\ny\""), "{text}");
    assert!(
        text.contains("avqc_loudness_integrated_lufs{stream=\"b\"} -Inf\n"),
        "{text}"
    );
    let mut families = Vec::new();
    let mut current = "";
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(!families.contains(&name), "{name} twice:\n{text}");
            families.push(name);
            current = name;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(name, current);
            assert!(kind == "counter" || kind == "gauge", "{line}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
        } else {
            assert!(line.starts_with(current), "{line} outside {current}");
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
                "{line}"
            );
        }
    }
    assert!(families.contains(&"avqc_defects_total"));
    assert!(families.contains(&"avqc_stream_state"));
}

#[test]
fn queue_counts_are_exported() {
    use crate::sink::{FnSink, QueueConfig, QueuedSink};
    let fails = FnSink::new(|_: &Event| Err(crate::error::Error::Pipeline("down".into())));
    let cfg = QueueConfig {
        max_retries: Some(1),
        backoff_initial_secs: 0.0,
        ..QueueConfig::default()
    };
    let mut q = QueuedSink::new(fails, cfg).unwrap();
    let m = Metrics::new();
    m.watch_queue("hook", q.stats());
    q.emit(&metric("a", "d", "x", 1.0)).unwrap();
    let counts = q.finish();
    assert_eq!(counts.failed, 1);
    assert_eq!(
        m.value("avqc_sink_events_failed_total", &[("sink", "hook")]),
        Some(1.0)
    );
    assert_eq!(
        m.value("avqc_sink_events_retried_total", &[("sink", "hook")]),
        Some(1.0)
    );
    assert_eq!(
        m.value("avqc_sink_queue_length", &[("sink", "hook")]),
        Some(0.0)
    );
}

fn on_track(event: Event, track: usize, language: Option<&str>) -> Event {
    let language = language.map(std::sync::Arc::from);
    match event {
        Event::Metric(mut m) => {
            m.track = Some(track);
            m.language = language;
            Event::Metric(m)
        }
        Event::Defect(mut d) => {
            d.track = Some(track);
            d.language = language;
            Event::Defect(d)
        }
        e => e,
    }
}

#[test]
fn two_audio_tracks_keep_their_own_series() {
    let m = Metrics::new();
    let eng = |e| on_track(e, 1, Some("eng"));
    let spa = |e| on_track(e, 2, Some("spa"));
    m.observe(&eng(metric("a", "loudness", "integrated_lufs", -23.0)));
    m.observe(&spa(metric("a", "loudness", "integrated_lufs", -31.5)));
    m.observe(&eng(metric("a", "loudness", "true_peak_dbtp", -2.0)));
    m.observe(&spa(metric("a", "loudness", "true_peak_dbtp", -0.5)));
    m.observe(&spa(metric("a", "track_sync", "track_offset_ms", 40.0)));
    m.observe(&spa(defect(
        "a",
        DefectKind::AUDIO_SILENCE,
        Phase::Start,
        Details::new(),
    )));
    // an event of the whole input keeps its series without a track
    m.observe(&metric("a", "sync", "av_offset_ms", 80.0));
    let v = |fam, labels: &[(&str, &str)]| m.value(fam, labels);
    let lufs = "avqc_loudness_integrated_lufs";
    assert_eq!(v(lufs, &[("stream", "a"), ("track", "1")]), Some(-23.0));
    assert_eq!(v(lufs, &[("stream", "a"), ("track", "2")]), Some(-31.5));
    assert_eq!(v(lufs, &[("stream", "a")]), None);
    assert_eq!(
        v("avqc_true_peak_dbtp", &[("stream", "a"), ("track", "2")]),
        Some(-0.5)
    );
    let offset = [
        ("stream", "a"),
        ("track", "2"),
        ("detector", "track_sync"),
        ("name", "track_offset_ms"),
    ];
    assert_eq!(v("avqc_metric", &offset), Some(40.0));
    let silence = [("stream", "a"), ("track", "2"), ("defect", "audio_silence")];
    assert_eq!(v("avqc_defects_total", &silence), Some(1.0));
    assert_eq!(v("avqc_defects_open", &silence), Some(1.0));
    let sync = [("stream", "a"), ("detector", "sync")];
    assert_eq!(v("avqc_av_offset_seconds", &sync), Some(0.08));
    for (track, language) in [("1", "eng"), ("2", "spa")] {
        let info = [("stream", "a"), ("track", track), ("language", language)];
        assert_eq!(v("avqc_track_info", &info), Some(1.0), "{track}");
    }
    let text = m.render();
    for line in [
        "avqc_loudness_integrated_lufs{stream=\"a\",track=\"1\"} -23\n",
        "avqc_loudness_integrated_lufs{stream=\"a\",track=\"2\"} -31.5\n",
        "avqc_av_offset_seconds{stream=\"a\",detector=\"sync\"} 0.08\n",
        "avqc_track_info{stream=\"a\",track=\"2\",language=\"spa\"} 1\n",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert_eq!(
        text.matches("# TYPE avqc_loudness_integrated_lufs gauge\n")
            .count(),
        1,
        "{text}"
    );
}

#[test]
fn a_report_gives_each_track_its_frames_and_language() {
    use crate::media::MediaKind;
    use crate::pipeline::TrackReport;
    let mut r = Report {
        input: "in.ts".into(),
        ..Report::default()
    };
    for (index, kind, language, frames) in [
        (0, MediaKind::Video, None, 250),
        (1, MediaKind::Audio, Some("eng"), 470),
        (2, MediaKind::Audio, Some("spa"), 468),
    ] {
        r.tracks.push(TrackReport {
            index,
            kind,
            language: language.map(String::from),
            frames,
            defects: 0,
        });
    }
    let m = Metrics::new();
    m.observe_report(&r);
    let frames = |t| {
        m.value(
            "avqc_track_frames_total",
            &[("stream", "in.ts"), ("track", t)],
        )
    };
    assert_eq!(
        (frames("0"), frames("1"), frames("2")),
        (Some(250.0), Some(470.0), Some(468.0))
    );
    let info = |t, l| {
        m.value(
            "avqc_track_info",
            &[("stream", "in.ts"), ("track", t), ("language", l)],
        )
    };
    assert_eq!((info("0", ""), info("2", "spa")), (Some(1.0), Some(1.0)));
}

#[test]
fn health_gives_each_track_its_frames() {
    use crate::media::MediaKind;
    use crate::pipeline::TrackReport;
    let m = Metrics::new();
    for frames in [100, 180] {
        let mut h = health("cam", frames, StreamState::Running);
        h.tracks = vec![TrackReport {
            index: 1,
            kind: MediaKind::Audio,
            language: Some("deu".into()),
            frames: 2 * frames,
            defects: 1,
        }];
        m.observe_health(&h);
    }
    let labels = [("stream", "cam"), ("track", "1")];
    assert_eq!(m.value("avqc_track_frames_total", &labels), Some(360.0));
    let info = [("stream", "cam"), ("track", "1"), ("language", "deu")];
    assert_eq!(m.value("avqc_track_info", &info), Some(1.0));
}
