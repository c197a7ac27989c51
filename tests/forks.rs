//! Detectors of one stream get an instance per stream of their kind when they can fork (and
//! their events name the stream); those that cannot keep to the first stream; detectors of
//! the whole input see every stream. Frames made in memory, both drivers.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use avqc::*;

/// 20 pictures of each of video streams 0 and 1, interleaved, and 20 blocks of sound of
/// audio stream 2.
fn source() -> FrameSource<impl Iterator<Item = Media> + Send> {
    let items = (0..20).flat_map(|i| {
        let t = MediaTime::new(i, Rational::new(1, 25));
        let pic = |s: usize| {
            Media::Video(
                VideoFrame::filled(
                    16,
                    16,
                    PixelFormat::Yuv420p,
                    t,
                    [16 + 100 * s as u8, 128, 128],
                )
                .with_duration(Some(0.04))
                .with_stream(s),
            )
        };
        // A 1 kHz tone at half scale, planar, two channels.
        let one: Vec<f32> = (0..1920)
            .map(|k| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * k as f32 / 48_000.0).sin())
            .collect();
        let samples = [one.clone(), one].concat();
        let sound = Media::Audio(
            AudioFrame::new(48_000, 2, t, samples)
                .unwrap()
                .with_stream(2),
        );
        [pic(0), pic(1), sound]
    });
    FrameSource::new(
        "mem",
        vec![
            StreamInfo::video(0, "raw", 16, 16, None),
            StreamInfo::video(1, "raw", 16, 16, None),
            StreamInfo::audio(2, "pcm", 48_000, 2).with_language(Some("fra".into())),
        ],
        items.collect::<Vec<_>>(),
    )
}

/// Counts the pictures it sees and writes one metric per picture: the mean luma it saw
/// (tells the streams apart). Forks when `forks`; counts instances made.
struct Luma {
    forks: bool,
    made: Arc<AtomicUsize>,
}

impl Luma {
    fn new(forks: bool, made: &Arc<AtomicUsize>) -> Self {
        made.fetch_add(1, Ordering::Relaxed);
        Luma {
            forks,
            made: made.clone(),
        }
    }
}

impl Detector for Luma {
    fn name(&self) -> &str {
        "luma"
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        if let Media::Video(f) = media {
            out.metric(
                "luma",
                f.plane(0).map_or(-1.0, |p| p.data()[0] as f64),
                f.time(),
            );
        }
    }
    fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
    fn fork(&self) -> Option<Box<dyn Detector>> {
        self.forks
            .then(|| Box::new(Luma::new(true, &self.made)) as Box<dyn Detector>)
    }
}

fn run(d: Luma, by_monitor: bool) -> Vec<Event> {
    let dets: Vec<Box<dyn Detector>> = vec![
        Box::new(d),
        Registry::builtin()
            .build_names(&["loudness"])
            .unwrap()
            .remove(0),
    ];
    common::run_in_driver("mem", source(), dets, by_monitor)
}

/// (track, luma) of each `luma` metric.
fn lumas(events: &[Event]) -> Vec<(Option<usize>, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Metric(m) if m.name == "luma" => Some((m.track, m.value)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_detector_that_forks_sees_each_video_stream_in_its_own_instance() {
    for by_monitor in [false, true] {
        let made = Arc::new(AtomicUsize::new(0));
        let events = run(Luma::new(true, &made), by_monitor);
        assert_eq!(made.load(Ordering::Relaxed), 2, "monitor {by_monitor}");
        let l = lumas(&events);
        assert_eq!(l.len(), 40);
        // Each instance saw its own stream only, and says which.
        assert!(l
            .iter()
            .all(|&(t, v)| (t, v) == (Some(0), 16.0) || (t, v) == (Some(1), 116.0)));
        assert_eq!(l.iter().filter(|x| x.0 == Some(1)).count(), 20);
        // The loudness detector, built by the registry, on the one audio track.
        let loud: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, Event::Metric(m) if m.detector.as_ref() == "loudness"))
            .collect();
        assert!(!loud.is_empty());
        assert!(loud
            .iter()
            .all(|e| e.track() == Some(2) && e.language() == Some("fra")));
    }
}

#[test]
fn a_detector_that_cannot_fork_is_shown_every_stream_of_its_kind() {
    for by_monitor in [false, true] {
        let made = Arc::new(AtomicUsize::new(0));
        let events = run(Luma::new(false, &made), by_monitor);
        assert_eq!(made.load(Ordering::Relaxed), 1);
        // One instance: it is shown both streams (as before: a detector written on
        // `Detector` sees every stream it wants); its events carry the first stream's track.
        let l = lumas(&events);
        assert_eq!(l.len(), 40);
        assert!(l.iter().all(|x| x.0 == Some(0)));
        assert_eq!(l.iter().filter(|x| x.1 == 116.0).count(), 20);
    }
}
