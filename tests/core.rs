//! The per-stream core's features under both drivers: thinning, snapshots and the stall watch
//! under a Monitor (as under a Pipeline), dropping by lag under a Pipeline and a Monitor.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use avqc::monitor::{Monitor, MonitorConfig, StreamSpec};
use avqc::sink::Collect;
use avqc::*;

const OPEN: DefectKind = DefectKind::from_static("test_open");

/// Frame `i` at 25 fps; its grey level tells it apart.
fn frame(i: usize) -> Media {
    let t = MediaTime::new(i as i64, Rational::new(1, 25));
    Media::Video(
        VideoFrame::filled(
            32,
            18,
            PixelFormat::Yuv420p,
            t,
            [(16 + (5 * i) % 200) as u8, 128, 128],
        )
        .with_duration(Some(0.04)),
    )
}

fn source(name: &str, n: usize) -> FrameSource<impl Iterator<Item = Media> + Send> {
    FrameSource::new(
        name,
        vec![StreamInfo::video(0, "raw", 32, 18, None)],
        (0..n).map(frame),
    )
}

/// Counts the pictures it sees; may not need every one; may sleep per picture; opens a
/// defect at picture `open_at` (never closed: the core closes it).
struct Counter {
    seen: Arc<AtomicUsize>,
    every_frame: bool,
    sleep: Duration,
    open_at: Option<usize>,
}

impl Counter {
    fn new(seen: &Arc<AtomicUsize>) -> Self {
        Counter {
            seen: seen.clone(),
            every_frame: true,
            sleep: Duration::ZERO,
            open_at: None,
        }
    }
}

impl Detector for Counter {
    fn name(&self) -> &str {
        "counter"
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn needs(&self) -> Needs {
        Needs {
            every_frame: self.every_frame,
            deblocked: false,
        }
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        std::thread::sleep(self.sleep);
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        if Some(n) == self.open_at {
            let start = media.time();
            out.span(
                &OPEN,
                SpanChange::Started { start },
                start,
                Default::default(),
            );
        }
    }
    fn finish(&mut self, _: MediaTime, _: &mut Events) {}
}

fn monitor(events: &Collect) -> Monitor {
    let cfg = MonitorConfig {
        workers: 1,
        health_interval_secs: 0.0,
        ..Default::default()
    };
    Monitor::builder()
        .config(cfg)
        .sink(events.clone())
        .build()
        .unwrap()
}

fn boxed(d: impl Detector + 'static) -> Vec<Box<dyn Detector>> {
    vec![Box::new(d)]
}

/// Defects of kind `kind`: (starts, ends).
fn count(events: &[Event], kind: &str) -> (usize, usize) {
    let of = |phase| {
        events
            .iter()
            .filter_map(Event::as_defect)
            .filter(|d| d.defect.as_str() == kind && d.phase == phase)
            .count()
    };
    (of(Phase::Start), of(Phase::End))
}

#[test]
fn monitor_streams_thin_pictures_for_detectors_that_allow_it() {
    for (thin, every_frame, want) in [
        (1, false, 40),
        (3, false, 14),
        (4, false, 10),
        (3, true, 40),
    ] {
        let seen = Arc::new(AtomicUsize::new(0));
        let events = Collect::new();
        let m = monitor(&events);
        let det = Counter {
            every_frame,
            ..Counter::new(&seen)
        };
        let spec = StreamSpec::decoder("cam", source("cam", 40))
            .detectors(boxed(det))
            .thin_pictures(thin);
        m.add(spec).unwrap();
        let health = m.finish().unwrap();
        assert_eq!(health[0].video_frames, 40);
        assert_eq!(
            seen.load(Ordering::Relaxed),
            want,
            "thin {thin}, every_frame {every_frame}"
        );
    }
}

#[test]
fn a_monitor_stream_writes_a_snapshot_at_a_defect_start() {
    let dir = std::env::temp_dir().join(format!("avqc-core-snapshots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let seen = Arc::new(AtomicUsize::new(0));
    let det = Counter {
        open_at: Some(5),
        ..Counter::new(&seen)
    };
    let events = Collect::new();
    let m = monitor(&events);
    let mut cfg = SnapshotConfig::new(&dir);
    cfg.max_width = 32;
    let spec = StreamSpec::decoder("cam 1", source("cam 1", 40))
        .detectors(boxed(det))
        .snapshots(cfg);
    m.add(spec).unwrap();
    m.finish().unwrap();
    let ev = events.events();
    let start = ev
        .iter()
        .filter_map(Event::as_defect)
        .find(|d| d.phase == Phase::Start && d.defect == OPEN)
        .expect("a defect start");
    let name = start.details["snapshot"].as_str().unwrap().to_string();
    assert_eq!(name, "cam_1-test_open-200ms.png");
    let previous = start.details["snapshot_previous"].as_str().unwrap();
    for file in [name.as_str(), previous] {
        let png = image::open(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((png.width(), png.height()), (32, 18));
    }
    // The picture at the defect's start (frame 5) is the one saved, not a later one.
    let png = image::open(dir.join(&name)).unwrap().to_luma8();
    // (frame 5: Y = 41, full range (41 - 16) * 255 / 219 = 29; frame 6 would be 35)
    let luma = png.get_pixel(16, 9).0[0] as i32;
    assert!(
        (luma - 29).abs() <= 2,
        "luma {luma}: the picture of frame 5"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A decoder whose reads block for `gap` before item `at`.
struct Quiet<I> {
    inner: FrameSource<I>,
    n: usize,
    at: usize,
    gap: Duration,
}

impl<I: Iterator<Item = Media> + Send> Decoder for Quiet<I> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn streams(&self) -> &[StreamInfo] {
        self.inner.streams()
    }
    fn next(&mut self) -> avqc::Result<Option<Media>> {
        self.n += 1;
        if self.n == self.at {
            std::thread::sleep(self.gap);
        }
        self.inner.next()
    }
}

#[test]
fn a_monitor_stream_whose_reader_goes_quiet_reports_an_input_stall() {
    let events = Collect::new();
    let m = monitor(&events);
    let quiet = Quiet {
        inner: source("net", 20),
        n: 0,
        at: 10,
        gap: Duration::from_millis(1200),
    };
    let seen = Arc::new(AtomicUsize::new(0));
    let spec = StreamSpec::blocking_decoder("net", quiet)
        .detectors(boxed(Counter::new(&seen)))
        .stall_timeout(Duration::from_millis(300));
    m.add(spec).unwrap();
    let health = m.finish().unwrap();
    assert_eq!(health[0].video_frames, 20);
    let ev = events.events();
    assert_eq!(count(&ev, "input_stall"), (1, 1), "one stall, ended");
    let stall: Vec<_> = ev
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.defect.as_str() == "input_stall")
        .collect();
    assert_eq!(&*stall[0].detector, "monitor");
    assert_eq!(&*stall[0].stream, "net");
    // It starts at the last picture before the gap and ends at the first after it, while
    // the stream still runs (before its `stream_ended`).
    assert_eq!(stall[0].start, MediaTime::new(8, Rational::new(1, 25)));
    assert_eq!(stall[1].end, Some(MediaTime::new(9, Rational::new(1, 25))));
    let wall = stall[1].details["wall_secs"].as_f64().unwrap();
    assert!(wall >= 1.0, "the gap lasted {wall} s");
    let ended = ev
        .iter()
        .position(|e| matches!(e, Event::Notice(n) if n.name == "stream_ended"))
        .unwrap();
    let stall_end = ev
        .iter()
        .position(|e| {
            e.as_defect()
                .is_some_and(|d| d.defect.as_str() == "input_stall" && d.phase == Phase::End)
        })
        .unwrap();
    assert!(stall_end < ended);
}

#[test]
fn without_a_stall_timeout_a_quiet_monitor_stream_reports_no_input_stall() {
    let events = Collect::new();
    let m = monitor(&events);
    let quiet = Quiet {
        inner: source("net", 12),
        n: 0,
        at: 6,
        gap: Duration::from_millis(500),
    };
    m.add(StreamSpec::blocking_decoder("net", quiet)).unwrap();
    m.finish().unwrap();
    assert_eq!(count(&events.events(), "input_stall"), (0, 0));
}

/// A Pipeline under `DropOldest` with `max_lag`: a slow detector on its own thread skips the
/// pictures that waited in its (roomy) queue too long; without `max_lag` it sees them all.
#[test]
fn a_pipeline_drops_by_lag_under_drop_oldest() {
    for max_lag in [None, Some(Duration::from_millis(30))] {
        let seen = Arc::new(AtomicUsize::new(0));
        let slow = Counter {
            sleep: Duration::from_millis(2),
            ..Counter::new(&seen)
        };
        let mut b = Pipeline::builder()
            .decoder(source("clip", 200))
            .detector(slow)
            .queue_capacity(256)
            .overload(OverloadPolicy::DropOldest)
            .sink(Collect::new());
        if let Some(lag) = max_lag {
            b = b.max_lag(lag);
        }
        let report = b.build().unwrap().run().unwrap();
        let d = &report.detectors[0];
        assert_eq!(d.video_frames as usize, seen.load(Ordering::Relaxed));
        assert_eq!(d.video_frames + d.dropped, 200);
        assert_eq!(report.frames_dropped, d.dropped);
        match max_lag {
            None => assert_eq!(d.dropped, 0, "the queue holds every picture"),
            Some(_) => assert!(
                d.dropped > 100,
                "a detector 2 ms/picture behind a free-running source lags: {} dropped",
                d.dropped
            ),
        }
    }
}

/// The same rule under a Monitor: a blocking input read ahead into a roomy queue, a slow
/// detector, `DropOldest`: items that waited longer than `max_lag_secs` are not analysed.
#[test]
fn a_monitor_stream_drops_by_lag_under_drop_oldest() {
    let events = Collect::new();
    let cfg = MonitorConfig {
        workers: 1,
        health_interval_secs: 0.0,
        queue_capacity: 256,
        max_lag_secs: 0.03,
        ..Default::default()
    };
    let m = Monitor::builder()
        .config(cfg)
        .sink(events.clone())
        .build()
        .unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let slow = Counter {
        sleep: Duration::from_millis(2),
        ..Counter::new(&seen)
    };
    let spec = StreamSpec::blocking_decoder("net", source("net", 200))
        .detectors(boxed(slow))
        .overload(OverloadPolicy::DropOldest);
    m.add(spec).unwrap();
    let health = m.finish().unwrap();
    let dropped = health[0].dropped as usize;
    assert!(dropped > 100, "{dropped} dropped");
    assert_eq!(seen.load(Ordering::Relaxed) + dropped, 200);
}
