//! The many-stream runtime: streams added and removed at runtime, events tagged per stream,
//! every defect start ended, bounded threads, panics isolated per stream, health.

mod common;

use std::time::{Duration, Instant};

use common::defects::{balance, unended};

use avqc::monitor::{Monitor, MonitorConfig, StreamSpec, StreamState};
use avqc::pipeline::Ending;
use avqc::sink::Collect;
use avqc::{
    Decoder, Detector, Event, Events, FrameSource, Media, MediaTime, Phase, PixelFormat, Registry,
    StreamInfo, VideoFrame, Wants,
};

/// `n` pictures (or endless) at 25 fps of one grey level: a freeze after 2 s.
fn still(n: Option<usize>, luma: u8) -> impl Iterator<Item = Media> + Send {
    (0..n.unwrap_or(usize::MAX)).map(move |i| {
        Media::Video(
            VideoFrame::filled(
                32,
                18,
                PixelFormat::Yuv420p,
                MediaTime::from_secs_f64(i as f64 / 25.0),
                [luma, 128, 128],
            )
            .with_duration(Some(0.04)),
        )
    })
}

fn source(id: &str, n: Option<usize>) -> FrameSource<impl Iterator<Item = Media> + Send> {
    FrameSource::new(
        id,
        vec![StreamInfo::video(0, "raw", 32, 18, None)],
        still(n, 120),
    )
}

fn freeze() -> Vec<Box<dyn Detector>> {
    Registry::builtin().build_names(&["freeze"]).unwrap()
}

#[test]
fn events_are_tagged_with_their_stream() {
    let events = Collect::new();
    let m = Monitor::builder()
        .workers(2)
        .sink(events.clone())
        .build()
        .unwrap();
    // a: freeze only; b: black only (the picture is black); c: no detector.
    m.add(StreamSpec::decoder("a", source("x", Some(100))).detectors(freeze()))
        .unwrap();
    let dark = FrameSource::new(
        "y",
        vec![StreamInfo::video(0, "raw", 32, 18, None)],
        still(Some(100), 16),
    );
    m.add(
        StreamSpec::decoder("b", dark)
            .detectors(Registry::builtin().build_names(&["black"]).unwrap()),
    )
    .unwrap();
    m.add(StreamSpec::decoder("c", source("z", Some(10))))
        .unwrap();
    let health = m.finish().unwrap();
    assert_eq!(health.len(), 3);
    for h in &health {
        assert_eq!(h.state, StreamState::Ended, "{h:?}");
        assert_eq!(h.ending, Some(Ending::EndOfInput));
    }
    assert_eq!(health[0].video_frames, 100);
    assert_eq!(health[2].video_frames, 10);
    let ev = events.events();
    let defects: Vec<(String, String)> = ev
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.phase == Phase::End)
        .map(|d| (d.stream.to_string(), d.defect.as_str().to_string()))
        .collect();
    assert!(
        defects.contains(&("a".into(), "video_freeze".into())),
        "{defects:?}"
    );
    assert!(
        defects.contains(&("b".into(), "video_black".into())),
        "{defects:?}"
    );
    assert!(defects.iter().all(|(s, _)| s != "c"), "{defects:?}");
    assert!(
        defects
            .iter()
            .all(|(s, d)| (s == "a") == (d == "video_freeze")),
        "{defects:?}"
    );
    assert_eq!(unended(&ev), 0);
    assert_eq!(
        health[0].last_defect.as_ref().unwrap().defect,
        "video_freeze"
    );
    // every stream announces its end
    for id in ["a", "b", "c"] {
        assert!(ev.iter().any(
            |e| matches!(e, Event::Notice(n) if n.name == "stream_ended" && &*n.stream == id)
        ));
    }
}

#[test]
fn streams_are_added_and_removed_at_runtime_and_removal_ends_open_defects() {
    let events = Collect::new();
    let m = Monitor::builder()
        .workers(2)
        .sink(events.clone())
        .build()
        .unwrap();
    // endless still pictures, paced: a freeze opens after 2 s of media and never ends
    m.add(
        StreamSpec::decoder("live1", source("l1", None))
            .detectors(freeze())
            .paced(true),
    )
    .unwrap();
    m.add(StreamSpec::decoder("file1", source("f1", Some(50))).detectors(freeze()))
        .unwrap();
    assert!(
        m.add(StreamSpec::decoder("live1", source("again", None)))
            .is_err(),
        "duplicate id"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while m.stream_health("live1").unwrap().last_defect.is_none() {
        assert!(Instant::now() < deadline, "no freeze on the paced stream");
        std::thread::sleep(Duration::from_millis(50));
    }
    let h = m.remove("live1").unwrap();
    assert_eq!(h.state, StreamState::Ended);
    assert_eq!(h.ending, Some(Ending::Stopped));
    assert!(m.stream_health("live1").is_none());
    assert!(m.remove("live1").is_none());
    // the id is free again, the monitor keeps running
    m.add(StreamSpec::decoder("live1", source("l1b", Some(60))).detectors(freeze()))
        .unwrap();
    let health = m.finish().unwrap();
    assert_eq!(health.len(), 2);
    assert!(health.iter().all(|h| h.state == StreamState::Ended));
    let ev = events.events();
    assert_eq!(unended(&ev), 0, "every start has an end");
    let closed_on_removal = ev.iter().filter_map(|e| e.as_defect()).any(|d| {
        &*d.stream == "live1" && d.phase == Phase::End && d.defect.as_str() == "video_freeze"
    });
    assert!(closed_on_removal);
}

#[test]
fn shutdown_ends_every_open_defect() {
    let events = Collect::new();
    let m = Monitor::builder()
        .workers(1)
        .sink(events.clone())
        .build()
        .unwrap();
    for i in 0..5 {
        m.add(StreamSpec::decoder(format!("s{i}"), source("x", None)).detectors(freeze()))
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while m.health().iter().any(|h| h.last_defect.is_none()) {
        assert!(Instant::now() < deadline, "no freeze on some stream");
        std::thread::sleep(Duration::from_millis(20));
    }
    let health = m.shutdown().unwrap();
    assert!(health.iter().all(|h| h.ending == Some(Ending::Stopped)));
    let ev = events.events();
    let b = balance(&ev);
    assert_eq!(b.len(), 5);
    for (s, (open, ended)) in b {
        assert_eq!(open, 0, "{s}");
        assert!(ended >= 1, "{s}");
    }
}

#[test]
fn two_hundred_streams_run_on_a_bounded_number_of_threads() {
    let events = Collect::new();
    let m = Monitor::builder()
        .workers(2)
        .sink(events.clone())
        .build()
        .unwrap();
    for i in 0..200 {
        // half paced (they wait in the timer, not on a thread), half as fast as possible
        m.add(
            StreamSpec::decoder(format!("s{i:03}"), source("x", Some(30)))
                .detectors(freeze())
                .paced(i % 2 == 0),
        )
        .unwrap();
    }
    assert!(m.wait(Duration::from_secs(60)), "streams did not end");
    assert_eq!(m.workers(), 2);
    // 2 workers + timer + sink, however many streams
    assert!(m.threads_peak() <= 4, "peak {} threads", m.threads_peak());
    let health = m.finish().unwrap();
    assert_eq!(health.len(), 200);
    assert!(health
        .iter()
        .all(|h| h.video_frames == 30 && h.state == StreamState::Ended));
    assert!(health.iter().all(|h| h.max_in_flight == 1));
}

/// Panics on its 10th picture.
struct Bomb(u32);
impl Detector for Bomb {
    fn name(&self) -> &str {
        "bomb"
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn process(&mut self, _: &Media, _: &mut Events) {
        self.0 += 1;
        assert!(self.0 < 10, "boom");
    }
    fn finish(&mut self, _: MediaTime, _: &mut Events) {}
}

#[test]
fn a_panicking_detector_is_isolated_to_its_stream() {
    let events = Collect::new();
    let m = Monitor::builder()
        .workers(2)
        .sink(events.clone())
        .build()
        .unwrap();
    let mut ds = freeze();
    ds.push(Box::new(Bomb(0)));
    m.add(StreamSpec::decoder("bad", source("x", Some(100))).detectors(ds))
        .unwrap();
    m.add(StreamSpec::decoder("good", source("y", Some(100))).detectors(freeze()))
        .unwrap();
    let health = m.finish().unwrap();
    let bad = health.iter().find(|h| h.id == "bad").unwrap();
    let good = health.iter().find(|h| h.id == "good").unwrap();
    assert_eq!(bad.detectors_panicked, 1);
    assert_eq!(good.detectors_panicked, 0);
    assert_eq!(bad.state, StreamState::Ended);
    let ev = events.events();
    let panics: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) if n.name == "detector_panicked" => Some(n.stream.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(panics, vec!["bad".to_string()]);
    // the freeze detector of the bad stream kept working
    let b = balance(&ev);
    assert_eq!(b["bad"], (0, 1));
    assert_eq!(b["good"], (0, 1));
}

/// A decoder whose reads block: `gap` before each item after the 5th.
struct Slow<I> {
    inner: FrameSource<I>,
    n: usize,
    gap: Duration,
}
impl<I: Iterator<Item = Media> + Send> Decoder for Slow<I> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn streams(&self) -> &[StreamInfo] {
        self.inner.streams()
    }
    fn next(&mut self) -> avqc::Result<Option<Media>> {
        self.n += 1;
        if self.n > 5 {
            std::thread::sleep(self.gap);
        }
        self.inner.next()
    }
}

#[test]
fn a_blocking_input_gets_a_reader_thread_and_a_stall_is_reported() {
    let events = Collect::new();
    let cfg = MonitorConfig {
        workers: 1,
        stall_secs: 0.3,
        health_interval_secs: 0.2,
        ..Default::default()
    };
    let m = Monitor::builder()
        .config(cfg)
        .sink(events.clone())
        .build()
        .unwrap();
    let slow = Slow {
        inner: source("net", Some(8)),
        n: 0,
        gap: Duration::from_millis(900),
    };
    m.add(StreamSpec::blocking_decoder("net", slow).detectors(freeze()))
        .unwrap();
    // a reader thread besides 1 worker, the timer and the sink
    assert_eq!(m.threads(), 4);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = None;
    while seen.is_none() {
        assert!(Instant::now() < deadline, "never stalled");
        let h = m.stream_health("net").unwrap();
        if h.state == StreamState::Stalled {
            seen = Some(h);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(seen.unwrap().idle_secs > 0.3);
    let health = m.finish().unwrap();
    assert_eq!(health[0].video_frames, 8);
    assert_eq!(health[0].max_in_flight, 32 + 2);
    let ev = events.events();
    let notice = |name: &str| {
        ev.iter()
            .any(|e| matches!(e, Event::Notice(n) if n.name == name && &*n.stream == "net"))
    };
    assert!(notice("input_stalled"));
    assert!(notice("input_resumed") || notice("stream_ended"));
    assert!(ev
        .iter()
        .any(|e| matches!(e, Event::Metric(x) if x.name == "stream_fps" && &*x.stream == "net")));
}

#[test]
fn a_paced_stream_is_not_analysed_ahead_of_its_timestamps() {
    let m = Monitor::builder()
        .workers(1)
        .sink(Collect::new())
        .build()
        .unwrap();
    let t0 = Instant::now();
    m.add(
        StreamSpec::decoder("p", source("p", Some(25)))
            .detectors(freeze())
            .paced(true),
    )
    .unwrap();
    let health = m.finish().unwrap();
    // 25 pictures at 25 fps: the last is due 0.96 s after the first (less the 10 ms slack)
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(health[0].video_frames, 25);
}

#[test]
fn limits_fail_the_stream_not_the_monitor() {
    let cfg = MonitorConfig {
        limits: avqc::Limits {
            max_width: 16,
            ..Default::default()
        },
        ..Default::default()
    };
    let m = Monitor::builder()
        .config(cfg)
        .sink(Collect::new())
        .build()
        .unwrap();
    m.add(StreamSpec::decoder("big", source("x", Some(10))))
        .unwrap();
    let h = m.finish().unwrap();
    assert_eq!(h[0].state, StreamState::Failed);
    assert!(
        matches!(h[0].ending, Some(Ending::LimitExceeded(_))),
        "{:?}",
        h[0].ending
    );
}

#[test]
fn bad_settings_are_refused() {
    for bad in [
        MonitorConfig {
            slice_items: 0,
            ..Default::default()
        },
        MonitorConfig {
            queue_capacity: 0,
            ..Default::default()
        },
        MonitorConfig {
            stall_secs: f64::NAN,
            ..Default::default()
        },
    ] {
        assert!(Monitor::builder()
            .config(bad)
            .sink(Collect::new())
            .build()
            .is_err());
    }
    assert!(Monitor::builder().build().is_err(), "no sink");
}

#[cfg(feature = "ffmpeg")]
mod ffmpeg {
    use super::*;
    use avqc::{DecoderOptions, PushInput};

    #[test]
    fn files_urls_and_pushed_bytes_find_the_demo_defects() {
        let events = Collect::new();
        let m = Monitor::builder()
            .workers(2)
            .sink(events.clone())
            .build()
            .unwrap();
        let opts = DecoderOptions::default();
        let reg = Registry::builtin();
        m.add(
            StreamSpec::open("file", "tests/data/demo.ts", &opts)
                .detectors(reg.build_defaults().unwrap()),
        )
        .unwrap();
        // a `file:` URL is still a file (inline); pushed bytes get a reader thread
        m.add(
            StreamSpec::open("url", "file:tests/data/demo.ts", &opts)
                .detectors(reg.build_defaults().unwrap()),
        )
        .unwrap();
        let (input, rx) = PushInput::new(16);
        m.add(StreamSpec::pushed("pushed", rx, &opts).detectors(reg.build_defaults().unwrap()))
            .unwrap();
        let data = std::fs::read("tests/data/demo.ts").unwrap();
        let feeder = std::thread::spawn(move || {
            for chunk in data.chunks(188 * 50) {
                if input.push(bytes::Bytes::copy_from_slice(chunk)).is_err() {
                    break;
                }
            }
            input.finish();
        });
        m.add(StreamSpec::open(
            "missing",
            "tests/data/does-not-exist.ts",
            &opts,
        ))
        .unwrap();
        let health = m.finish().unwrap();
        feeder.join().unwrap();
        let ev = events.events();
        for id in ["file", "url", "pushed"] {
            let found = common::ended(&ev, id);
            for d in [
                "video_freeze",
                "video_black",
                "audio_silence",
                "audio_clipping",
            ] {
                assert!(found.contains(d), "{id}: no {d} in {found:?}");
            }
            let h = health.iter().find(|h| h.id == id).unwrap();
            assert_eq!(h.state, StreamState::Ended, "{h:?}");
        }
        // the same file gives the same events whichever way it came in
        assert_eq!(common::ended(&ev, "file"), common::ended(&ev, "pushed"));
        let missing = health.iter().find(|h| h.id == "missing").unwrap();
        assert_eq!(missing.state, StreamState::Failed);
        assert!(matches!(missing.ending, Some(Ending::InputFailed(_))));
        assert_eq!(unended(&ev), 0);
    }
}

/// Health reports the bytes of decoded data waiting in a stream's queue, and they drain to 0.
#[test]
fn queued_bytes_follow_the_queue() {
    struct Sluggish;
    impl Detector for Sluggish {
        fn name(&self) -> &str {
            "sluggish"
        }
        fn wants(&self) -> Wants {
            Wants::VIDEO
        }
        fn process(&mut self, _: &Media, _: &mut Events) {
            std::thread::sleep(Duration::from_millis(15));
        }
        fn finish(&mut self, _: MediaTime, _: &mut Events) {}
    }
    let per_picture = 32 * 18 + 2 * (16 * 9); // yuv420p 32x18
    let m = Monitor::builder()
        .config(MonitorConfig {
            workers: 1,
            ..Default::default()
        })
        .sink(Collect::new())
        .build()
        .unwrap();
    let input = Slow {
        inner: source("q", Some(80)),
        n: 0,
        gap: Duration::ZERO,
    };
    let dets: Vec<Box<dyn Detector>> = vec![Box::new(Sluggish)];
    m.add(StreamSpec::blocking_decoder("q", input).detectors(dets))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the queue never filled");
        let h = m.stream_health("q").unwrap();
        if h.queued >= 10 {
            let want = (h.queued * per_picture) as i64;
            let got = h.queued_bytes as i64;
            // the two are read a moment apart: the reader may have added one picture between
            assert!(
                (got - want).abs() <= per_picture as i64,
                "{got} bytes for {} items",
                h.queued
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let health = m.finish().unwrap();
    assert_eq!(health[0].video_frames, 80);
    assert_eq!(health[0].queued_bytes, 0, "drained");
}
