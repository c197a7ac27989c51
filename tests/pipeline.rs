//! Pipeline behaviour with pure-Rust sources and test detectors (no FFmpeg): counting,
//! isolation, sinks, stop, overload policies, the event schema, snapshots, stalls. Threads,
//! needs and thinning: tests/pipeline_threads.rs.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use avqc::sink::{Collect, FnSink};
use avqc::*;
use common::probe::{defects, frame, source, Probe};

#[test]
fn counts_frames_and_closes_spans_left_open() {
    let c = Collect::new();
    let report = Pipeline::builder()
        .decoder(source(50))
        .detector(Probe::new("p"))
        .sink(c.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(report.video_frames_decoded, 50);
    assert_eq!(report.detectors[0].video_frames, 50);
    assert_eq!(report.defects, 1);
    let ev = c.events();
    let ends = defects(&ev, Phase::End);
    assert_eq!(
        ends.len(),
        1,
        "the pipeline closes what the detector left open"
    );
    assert_eq!(ends[0].start.as_secs_f64(), 0.08);
    assert!(
        (ends[0].end.unwrap().as_secs_f64() - 2.0).abs() < 1e-9,
        "closed at the end of the media"
    );
    assert!((report.media_duration - 2.0).abs() < 1e-9);
}

#[test]
fn a_panicking_detector_is_isolated() {
    let c = Collect::new();
    let bad = Probe {
        panic_at: Some(10),
        ..Probe::new("bad")
    };
    let report = Pipeline::builder()
        .decoder(source(40))
        .detector(bad)
        .detector(Probe::new("good"))
        .sink(c.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    let bad = report.detectors.iter().find(|d| d.name == "bad").unwrap();
    assert!(bad.panicked.as_deref().unwrap().contains("probe failure"));
    assert_eq!(bad.video_frames, 11);
    let good = report.detectors.iter().find(|d| d.name == "good").unwrap();
    assert_eq!(good.video_frames, 40);
    let ev = c.events();
    assert!(ev.iter().any(
        |e| matches!(e, Event::Notice(n) if n.name == "detector_panicked" && &*n.detector == "bad")
    ));
    assert_eq!(defects(&ev, Phase::Start).len(), 2);
    assert_eq!(
        defects(&ev, Phase::End).len(),
        2,
        "every start gets an end, the panicked one's too"
    );
}

#[test]
fn a_sink_error_stops_the_run_and_is_returned() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let sink = FnSink::new(move |_e: &Event| {
        c2.fetch_add(1, Ordering::SeqCst);
        Err(Error::Sink {
            sink: "test".into(),
            source: std::io::Error::other("disk full"),
        })
    });
    let endless = FrameSource::new("endless", vec![], (0..).map(frame));
    let err = Pipeline::builder()
        .decoder(endless)
        .detector(Probe::new("p"))
        .sink(sink)
        .build()
        .unwrap()
        .run()
        .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn stop_signal_ends_an_endless_input_cleanly() {
    let endless = FrameSource::new("endless", vec![], (0..).map(frame));
    let pipeline = Pipeline::builder()
        .decoder(endless)
        .detector(Probe::new("p"))
        .sink(Collect::new());
    let c = Collect::new();
    let mut store = c.clone();
    let stop = StopSignal::new();
    let stopper = stop.clone();
    let sink = FnSink::new(move |e: &Event| {
        if e.as_defect().is_some() {
            stopper.stop(); // stop once the first defect is seen
        }
        store.emit(e)
    });
    let report = pipeline
        .sink(sink)
        .stop_signal(stop)
        .build()
        .unwrap()
        .run()
        .unwrap();
    assert!(report.stopped);
    let ev = c.events();
    assert_eq!(defects(&ev, Phase::Start).len(), 1);
    assert_eq!(defects(&ev, Phase::End).len(), 1);
}

#[test]
fn drop_oldest_drops_for_a_slow_detector_and_counts_it() {
    let c = Collect::new();
    let slow = Probe {
        sleep_ms: 2,
        ..Probe::new("slow")
    };
    let report = Pipeline::builder()
        .decoder(source(300))
        .detector(slow)
        .sink(c.clone())
        .queue_capacity(2)
        .overload(OverloadPolicy::DropOldest)
        .build()
        .unwrap()
        .run()
        .unwrap();
    let d = &report.detectors[0];
    assert!(
        d.dropped > 0,
        "a detector 2 ms/frame behind a free-running source must drop"
    );
    assert_eq!(d.video_frames + d.dropped, 300);
    assert_eq!(report.frames_dropped, d.dropped);
    let metric = c.events().into_iter().filter_map(|e| match e {
        Event::Metric(m) if m.name == "frames_dropped" => Some(m.value),
        _ => None,
    });
    assert_eq!(metric.last(), Some(d.dropped as f64));
}

#[test]
fn block_policy_delivers_everything() {
    let slow = Probe {
        sleep_ms: 1,
        ..Probe::new("slow")
    };
    let report = Pipeline::builder()
        .decoder(source(100))
        .detector(slow)
        .sink(Collect::new())
        .queue_capacity(1)
        .build()
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(report.detectors[0].video_frames, 100);
    assert_eq!(report.frames_dropped, 0);
}

// Decoder errors and every other ending: tests/endings.rs.

#[test]
fn builder_rejects_bad_wiring() {
    assert!(Pipeline::builder().sink(Collect::new()).build().is_err());
    assert!(Pipeline::builder().decoder(source(1)).build().is_err());
    let dup = Pipeline::builder()
        .decoder(source(1))
        .detector(Probe::new("x"))
        .detector(Probe::new("x"))
        .sink(Collect::new())
        .build();
    assert!(matches!(dup, Err(Error::Pipeline(m)) if m.contains("`x`")));
    assert!(Pipeline::builder()
        .decoder(source(1))
        .sink(Collect::new())
        .queue_capacity(0)
        .build()
        .is_err());
}

#[test]
fn event_json_lines_schema_is_stable() {
    let mut out = Events::new("clip.ts", "freeze");
    out.span(
        &DefectKind::VIDEO_FREEZE,
        SpanChange::Started {
            start: MediaTime::from_secs_f64(12.48),
        },
        MediaTime::from_secs_f64(13.0),
        Default::default(),
    );
    out.span(
        &DefectKind::VIDEO_FREEZE,
        SpanChange::Ended {
            start: MediaTime::from_secs_f64(12.48),
            end: MediaTime::from_secs_f64(14.52),
        },
        MediaTime::from_secs_f64(14.52),
        Default::default(),
    );
    let lines: Vec<String> = out
        .drain()
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        r#"{"kind":"defect","phase":"start","stream":"clip.ts","detector":"freeze","defect":"video_freeze","start":12.48,"end":null,"emitted_at":13.0,"details":{}}"#
    );
    assert_eq!(
        lines[1],
        r#"{"kind":"defect","phase":"end","stream":"clip.ts","detector":"freeze","defect":"video_freeze","start":12.48,"end":14.52,"emitted_at":14.52,"details":{"duration":2.04}}"#
    );
    let back: Event = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(
        back.as_defect().unwrap().end,
        Some(MediaTime::from_secs_f64(14.52))
    );
}

#[test]
fn snapshots_capture_the_picture_at_each_defect_start_within_the_rate_limit() {
    let dir = std::env::temp_dir().join(format!("avqc-snapshots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Frame i has luma 40 + 5 i, so every picture is told apart by its grey level.
    let frames = (0..40).map(|i| {
        let t = MediaTime::new(i as i64, Rational::new(1, 25));
        Media::Video(
            VideoFrame::filled(
                64,
                36,
                PixelFormat::Yuv420p,
                t,
                [40 + 5 * i as u8, 128, 128],
            )
            .with_duration(Some(0.04)),
        )
    });
    let source = FrameSource::new("cam 1.ts", vec![], frames);
    let c = Collect::new();
    let mut cfg = SnapshotConfig::new(&dir);
    cfg.max_per_minute = 2;
    cfg.max_width = 32;
    let report = Pipeline::builder()
        .decoder(source)
        .detector(Probe {
            open_at: 5,
            ..Probe::new("a")
        })
        .detector(Probe {
            open_at: 6,
            ..Probe::new("b")
        })
        .detector(Probe {
            open_at: 7,
            ..Probe::new("c")
        })
        .snapshots(cfg)
        .sink(c.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    let events = c.events();
    let with_snapshot: Vec<_> = defects(&events, Phase::Start)
        .into_iter()
        .filter(|d| d.details.contains_key("snapshot"))
        .collect();
    assert_eq!(with_snapshot.len(), 2, "rate limit of 2 per minute");
    assert_eq!(
        report.snapshots_written, 4,
        "2 snapshots, each with its previous picture"
    );
    for d in with_snapshot {
        let frame_index = (d.start.as_secs_f64() * 25.0).round() as u32;
        let grey = |i: u32| (((40 + 5 * i) as f64 - 16.0) * 255.0 / 219.0).round() as u8;
        let name = d.details["snapshot"].as_str().unwrap();
        assert!(name.starts_with("cam_1.ts-test_open-"), "{name}");
        let img = image::open(dir.join(name)).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (32, 18));
        assert_eq!(
            img.get_pixel(3, 3).0,
            [grey(frame_index); 3],
            "picture at the defect start"
        );
        let prev = image::open(dir.join(d.details["snapshot_previous"].as_str().unwrap()))
            .unwrap()
            .to_rgb8();
        assert_eq!(
            prev.get_pixel(3, 3).0,
            [grey(frame_index - 1); 3],
            "picture before it"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_snapshot_config_is_a_build_error() {
    let mut cfg = SnapshotConfig::new("x");
    cfg.max_width = 0;
    let err = Pipeline::builder()
        .decoder(source(1))
        .sink(Collect::new())
        .snapshots(cfg)
        .build()
        .err()
        .unwrap();
    assert!(err.to_string().contains("max_width"), "{err}");
}

#[test]
fn a_quiet_input_is_reported_stalled_then_resumed() {
    // Frame 10 arrives 800 ms late; the stall timeout is 200 ms.
    let frames = (0..20).map(|i| {
        if i == 10 {
            std::thread::sleep(std::time::Duration::from_millis(800));
        }
        frame(i)
    });
    let c = Collect::new();
    let report = Pipeline::builder()
        .decoder(FrameSource::new("live", vec![], frames))
        .detector(Probe::new("p"))
        .stall_timeout(std::time::Duration::from_millis(200))
        .sink(c.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(report.stalls, 1);
    let stalls: Vec<_> = c
        .events()
        .into_iter()
        .filter_map(|e| {
            e.as_defect()
                .filter(|d| d.defect.as_str() == "input_stall")
                .cloned()
        })
        .collect();
    assert_eq!(stalls.len(), 2, "{stalls:?}");
    assert_eq!(stalls[0].phase, Phase::Start);
    assert!(
        (stalls[0].start.as_secs_f64() - 0.36).abs() < 1e-6,
        "stalled after the last item, frame 9: {stalls:?}"
    );
    assert_eq!(stalls[1].phase, Phase::End);
    assert_eq!(stalls[1].start, stalls[0].start);
    assert!(
        (stalls[1].end.unwrap().as_secs_f64() - 0.40).abs() < 1e-6,
        "ended by frame 10: {stalls:?}"
    );
    assert!(stalls[1].details["wall_secs"].as_f64().unwrap() >= 0.2);
    assert_eq!(report.defects, 2, "the probe's and the stall");
}

#[test]
fn a_stall_still_open_when_the_run_is_stopped_is_ended() {
    // After 5 frames the source blocks until the stop signal is raised.
    let stop = avqc::StopSignal::new();
    let blocked = stop.clone();
    let frames = (0..10).map(move |i| {
        if i == 5 {
            while !blocked.is_stopped() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        frame(i)
    });
    let c = Collect::new();
    let watcher = c.clone();
    let stopper = stop.clone();
    let t = std::thread::spawn(move || {
        // stop once the stall was reported (bounded: 10 s)
        for _ in 0..1000 {
            let stalled = |e: &Event| {
                e.as_defect()
                    .is_some_and(|d| d.defect.as_str() == "input_stall")
            };
            if watcher.events().iter().any(stalled) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        stopper.stop();
    });
    let report = Pipeline::builder()
        .decoder(FrameSource::new("live", vec![], frames))
        .detector(Probe::new("p"))
        .stall_timeout(std::time::Duration::from_millis(100))
        .stop_signal(stop)
        .sink(c.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    t.join().unwrap();
    assert!(report.stopped);
    let phases: Vec<Phase> = c
        .events()
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.defect.as_str() == "input_stall")
        .map(|d| d.phase)
        .collect();
    assert_eq!(phases, [Phase::Start, Phase::End]);
}
