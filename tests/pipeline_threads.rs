//! Pipeline behaviour with pure-Rust sources and test detectors (no FFmpeg): detector
//! threads, panicking decoders, drops on shared threads, what the decoder learns the
//! detectors need, thinning, and where the detectors run.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use avqc::sink::Collect;
use avqc::*;
use common::probe::{defects, frame, source, Probe};

/// The detectors' events and reports do not depend on how many threads run them: one per
/// detector, a shared one, or the decoder thread itself; a panic stays isolated in each.
#[test]
fn detector_threads_change_nothing_but_the_threads() {
    let run = |threads: usize| {
        let c = Collect::new();
        let bad = Probe {
            panic_at: Some(10),
            ..Probe::new("bad")
        };
        let late = Probe {
            open_at: 7,
            ..Probe::new("late")
        };
        let report = Pipeline::builder()
            .decoder(source(40))
            .detector(bad)
            .detector(Probe::new("good"))
            .detector(late)
            .detector_threads(threads)
            .sink(c.clone())
            .build()
            .unwrap()
            .run()
            .unwrap();
        let mut starts: Vec<(String, f64)> = defects(&c.events(), Phase::Start)
            .iter()
            .map(|d| (d.detector.to_string(), d.start.as_secs_f64()))
            .collect();
        starts.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let ends = defects(&c.events(), Phase::End).len();
        (report, starts, ends)
    };
    let (base, base_starts, base_ends) = run(3);
    let names: Vec<&str> = base.detectors.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["bad", "good", "late"],
        "reports keep the order detectors were added"
    );
    assert_eq!(base_starts.len(), 3);
    assert_eq!(base_ends, 3);
    for threads in [0, 1, 2, 8] {
        let (r, starts, ends) = run(threads);
        assert_eq!(starts, base_starts, "{threads} threads");
        assert_eq!(ends, 3, "{threads} threads: every start has an end");
        for (a, b) in r.detectors.iter().zip(&base.detectors) {
            assert_eq!(a.name, b.name, "{threads} threads");
            assert_eq!(
                a.video_frames, b.video_frames,
                "{threads} threads: {}",
                a.name
            );
            assert_eq!(
                a.panicked.is_some(),
                b.panicked.is_some(),
                "{threads} threads"
            );
        }
        assert_eq!(
            r.detectors[0].video_frames, 11,
            "the panicking one stopped alone"
        );
        assert_eq!(r.detectors[1].video_frames, 40);
    }
}

/// Detectors on the decoder thread: a panicking decoder still ends the run with an error, and
/// what the detectors opened is closed.
#[test]
fn inline_detectors_survive_a_panicking_decoder() {
    let c = Collect::new();
    let frames = (0..30).map(|i| {
        assert!(i < 20, "decoder failure at frame {i}");
        frame(i)
    });
    let src = FrameSource::new(
        "panicky.raw",
        vec![StreamInfo::video(0, "raw", 16, 16, None)],
        frames,
    );
    let (report, result) = Pipeline::builder()
        .decoder(src)
        .detector(Probe::new("p"))
        .detector_threads(0)
        .sink(c.clone())
        .build()
        .unwrap()
        .run_with_report();
    let err = result.unwrap_err().to_string();
    assert!(err.contains("decoder panicked"), "{err}");
    assert_eq!(report.detectors[0].video_frames, 20);
    let ev = c.events();
    assert_eq!(defects(&ev, Phase::Start).len(), 1);
    assert_eq!(
        defects(&ev, Phase::End).len(),
        1,
        "the open defect was closed"
    );
}

/// Under `DropOldest`, a detector thread shared by a video and an audio-only detector counts
/// drops only for the detector that wanted the dropped item.
#[test]
fn drops_on_a_shared_thread_are_counted_per_detector() {
    struct Deaf;
    impl Detector for Deaf {
        fn name(&self) -> &str {
            "deaf"
        }
        fn wants(&self) -> Wants {
            Wants::AUDIO
        }
        fn process(&mut self, _: &Media, _: &mut Events) {}
        fn finish(&mut self, _: MediaTime, _: &mut Events) {}
    }
    let slow = Probe {
        sleep_ms: 2,
        ..Probe::new("slow")
    };
    let report = Pipeline::builder()
        .decoder(source(300))
        .detector(slow)
        .detector(Deaf)
        .detector_threads(1)
        .sink(Collect::new())
        .queue_capacity(2)
        .overload(OverloadPolicy::DropOldest)
        .build()
        .unwrap()
        .run()
        .unwrap();
    let slow = &report.detectors[0];
    assert!(slow.dropped > 0);
    assert_eq!(slow.video_frames + slow.dropped, 300);
    assert_eq!(
        report.detectors[1].dropped, 0,
        "it wanted none of the pictures"
    );
    assert_eq!(report.frames_dropped, slow.dropped);
}

/// The pipeline tells the decoder what its picture detectors need together, before the first
/// item: a detector that declares nothing needs everything; sound-only detectors count for
/// nothing; snapshots need the pictures as decoded in full.
#[test]
fn the_decoder_learns_what_the_detectors_need() {
    struct Recorder {
        inner: Box<dyn Decoder>,
        got: Arc<std::sync::Mutex<Vec<Needs>>>,
    }
    impl Decoder for Recorder {
        fn name(&self) -> &str {
            self.inner.name()
        }
        fn streams(&self) -> &[StreamInfo] {
            self.inner.streams()
        }
        fn next(&mut self) -> avqc::Result<Option<Media>> {
            self.inner.next()
        }
        fn relax(&mut self, needs: Needs) {
            self.got.lock().unwrap().push(needs);
        }
    }
    let reg = Registry::builtin();
    let needs_of = |json: &str, probe: bool, snapshots: bool| {
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut b = Pipeline::builder()
            .decoder(Recorder {
                inner: Box::new(source(3)),
                got: got.clone(),
            })
            .detectors(reg.build_json(json).unwrap())
            .sink(Collect::new());
        if probe {
            b = b.detector(Probe::new("p"));
        }
        let dir = std::env::temp_dir().join(format!("avqc-needs-{}", std::process::id()));
        if snapshots {
            b = b.snapshots(SnapshotConfig::new(&dir));
        }
        b.build().unwrap().run().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "told once: {got:?}");
        got[0]
    };
    let levels = Needs {
        every_frame: true,
        deblocked: false,
    };
    assert_eq!(
        needs_of(r#"[{"type":"black"},{"type":"silence"}]"#, false, false),
        levels
    );
    assert_eq!(
        needs_of(r#"[{"type":"out_of_range"}]"#, false, false),
        Needs::NONE
    );
    assert_eq!(
        needs_of(r#"[{"type":"silence"}]"#, false, false),
        Needs::NONE
    );
    assert_eq!(
        needs_of(r#"[{"type":"black"},{"type":"freeze"}]"#, false, false),
        Needs::ALL
    );
    assert_eq!(
        needs_of(r#"[{"type":"out_of_range"}]"#, true, false),
        Needs::ALL
    );
    assert_eq!(
        needs_of(r#"[{"type":"out_of_range"}]"#, false, true),
        Needs::ALL
    );
}

/// `thin_pictures(n)`: a detector that does not need every picture sees every n-th; the others
/// see all, whatever the threads.
#[test]
fn thinning_spares_only_detectors_that_allow_it() {
    struct Sparse(Arc<AtomicUsize>);
    impl Detector for Sparse {
        fn name(&self) -> &str {
            "sparse"
        }
        fn wants(&self) -> Wants {
            Wants::VIDEO
        }
        fn needs(&self) -> Needs {
            Needs {
                every_frame: false,
                deblocked: false,
            }
        }
        fn process(&mut self, _: &Media, _: &mut Events) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        fn finish(&mut self, _: MediaTime, _: &mut Events) {}
    }
    for (thin, threads, want) in [(1, 1, 40), (3, 1, 14), (3, 0, 14), (4, 2, 10)] {
        let seen = Arc::new(AtomicUsize::new(0));
        let report = Pipeline::builder()
            .decoder(source(40))
            .detector(Sparse(seen.clone()))
            .detector(Probe::new("every"))
            .thin_pictures(thin)
            .detector_threads(threads)
            .sink(Collect::new())
            .build()
            .unwrap()
            .run()
            .unwrap();
        assert_eq!(
            seen.load(Ordering::Relaxed),
            want,
            "thin {thin}, threads {threads}"
        );
        assert_eq!(report.detectors[0].video_frames, want as u64);
        assert_eq!(report.detectors[1].video_frames, 40, "the other sees all");
        assert_eq!(report.frames_dropped, 0, "thinning is not dropping");
    }
}

/// By default the detectors run on the decoder thread (the thread that pulls the source's
/// frames); under `DropOldest` they get a thread of their own, so there is a queue to drop from.
#[test]
fn detectors_run_on_the_decoder_thread_unless_frames_may_be_dropped() {
    use std::sync::Mutex;
    use std::thread::ThreadId;
    struct Where(Arc<Mutex<Vec<ThreadId>>>);
    impl Detector for Where {
        fn name(&self) -> &str {
            "where"
        }
        fn wants(&self) -> Wants {
            Wants::VIDEO
        }
        fn process(&mut self, _: &Media, _: &mut Events) {
            self.0.lock().unwrap().push(std::thread::current().id());
        }
        fn finish(&mut self, _: MediaTime, _: &mut Events) {}
    }
    for (policy, same) in [
        (OverloadPolicy::Block, true),
        (OverloadPolicy::DropOldest, false),
    ] {
        let decoder_ids = Arc::new(Mutex::new(Vec::new()));
        let detector_ids = Arc::new(Mutex::new(Vec::new()));
        let seen = decoder_ids.clone();
        let frames = (0..5).map(move |i| {
            seen.lock().unwrap().push(std::thread::current().id());
            frame(i)
        });
        let src = FrameSource::new(
            "where.raw",
            vec![StreamInfo::video(0, "raw", 16, 16, None)],
            frames,
        );
        Pipeline::builder()
            .decoder(src)
            .detector(Where(detector_ids.clone()))
            .overload(policy)
            .sink(Collect::new())
            .build()
            .unwrap()
            .run()
            .unwrap();
        let (dec, det) = (decoder_ids.lock().unwrap(), detector_ids.lock().unwrap());
        assert_eq!(det.len(), 5, "{policy:?}");
        assert!(det.iter().all(|id| (*id == dec[0]) == same), "{policy:?}");
    }
}
