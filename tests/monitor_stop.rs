//! A monitor's stream that is stopped (removed, or the monitor shut down) still analyses what
//! its decoder holds at the stop, as a pipeline does (tests/endings.rs), within the same
//! bounds: a decoder that ignores the stop is cut, one that blocks does not hang the stop.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use avqc::monitor::{Monitor, MonitorConfig, StreamSpec};
use avqc::pipeline::Ending;
use avqc::sink::Collect;
use avqc::{
    Decoder, Detector, Events, Media, MediaTime, PixelFormat, StopSignal, StreamInfo, VideoFrame,
    Wants,
};

fn frame(i: usize) -> Media {
    Media::Video(
        VideoFrame::filled(
            16,
            16,
            PixelFormat::Gray8,
            MediaTime::from_secs_f64(i as f64 / 25.0),
            [16, 0, 0],
        )
        .with_duration(Some(0.04)),
    )
}

/// Counts the pictures it is given.
struct Counter(Arc<AtomicUsize>);

impl Detector for Counter {
    fn name(&self) -> &str {
        "counter"
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn process(&mut self, _: &Media, _: &mut Events) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn finish(&mut self, _: MediaTime, _: &mut Events) {}
}

/// What a scripted decoder gave, shared with the test.
#[derive(Clone, Default)]
struct Given {
    /// Items given in all.
    all: Arc<AtomicUsize>,
    /// Items given by reads that began after the stop signal was raised.
    after_stop: Arc<AtomicUsize>,
}

/// How a scripted decoder behaves once its first `before` items are given.
#[derive(Clone, Copy)]
enum Then {
    /// Gives items without end until the stop, then `held` more and ends (a decoder that
    /// flushes the pictures it holds).
    Flush { held: usize },
    /// Waits in `next` until the stop (a network read), then gives `held` more and ends.
    WaitThenFlush { held: usize },
    /// Ignores the stop: gives items without end.
    Endless,
    /// Blocks in `next` and ignores the stop (until the test releases it).
    Blocks(&'static AtomicBool),
}

struct Scripted {
    before: usize,
    then: Then,
    given: Given,
    held_given: usize,
    stop: Option<StopSignal>,
}

fn scripted(before: usize, then: Then, given: &Given) -> Scripted {
    Scripted {
        before,
        then,
        given: given.clone(),
        held_given: 0,
        stop: None,
    }
}

impl Scripted {
    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(StopSignal::is_stopped)
    }

    fn give(&mut self, after_stop: bool) -> Option<Media> {
        let i = self.given.all.fetch_add(1, Ordering::SeqCst);
        if after_stop {
            self.given.after_stop.fetch_add(1, Ordering::SeqCst);
        }
        Some(frame(i))
    }

    fn held(&mut self, held: usize) -> Option<Media> {
        if self.held_given == held {
            return None;
        }
        self.held_given += 1;
        self.give(true)
    }
}

impl Decoder for Scripted {
    fn name(&self) -> &str {
        "scripted.raw"
    }
    fn streams(&self) -> &[StreamInfo] {
        &[]
    }
    fn next(&mut self) -> avqc::Result<Option<Media>> {
        let stopped = self.stopped();
        if self.given.all.load(Ordering::SeqCst) < self.before && !stopped {
            return Ok(self.give(false));
        }
        Ok(match self.then {
            Then::Flush { held } if stopped => self.held(held),
            Then::Flush { .. } => {
                std::thread::sleep(Duration::from_millis(1));
                self.give(false)
            }
            Then::WaitThenFlush { held } => {
                while !self.stopped() {
                    std::thread::sleep(Duration::from_millis(2));
                }
                self.held(held)
            }
            Then::Endless => {
                let after = self.stopped();
                self.give(after)
            }
            Then::Blocks(release) => {
                while !release.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                None
            }
        })
    }
    fn set_stop_signal(&mut self, stop: StopSignal) {
        self.stop = Some(stop);
    }
}

fn monitor() -> Monitor {
    let cfg = MonitorConfig {
        workers: 1,
        ..Default::default()
    };
    Monitor::builder()
        .config(cfg)
        .sink(Collect::new())
        .build()
        .unwrap()
}

/// What a run gives: the stream's final health, the pictures its detector saw, how long the
/// removal took, and the monitor (to shut down).
type Ran = (avqc::monitor::StreamHealth, usize, Duration, Monitor);

/// Adds the stream, waits until `ready` pictures were analysed and removes the stream.
fn run(spec: StreamSpec, ready: usize, seen: &Arc<AtomicUsize>) -> Ran {
    let m = monitor();
    m.add(spec).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.load(Ordering::SeqCst) < ready {
        assert!(
            Instant::now() < deadline,
            "the first pictures were never analysed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = Instant::now();
    let h = m.remove("s").unwrap();
    let took = t.elapsed();
    (h, seen.load(Ordering::SeqCst), took, m)
}

fn counted(spec: StreamSpec, seen: &Arc<AtomicUsize>) -> StreamSpec {
    spec.detectors([Box::new(Counter(seen.clone())) as Box<dyn Detector>])
}

#[test]
fn a_reader_thread_hands_over_what_its_decoder_holds_at_the_stop() {
    let given = Given::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let d = scripted(5, Then::WaitThenFlush { held: 3 }, &given);
    let (h, analysed, _, m) = run(
        counted(StreamSpec::blocking_decoder("s", d), &seen),
        5,
        &seen,
    );
    assert_eq!(given.after_stop.load(Ordering::SeqCst), 3);
    assert_eq!(
        analysed, 8,
        "the 3 pictures held at the stop were analysed too"
    );
    assert_eq!(h.video_frames, 8);
    assert_eq!(h.ending, Some(Ending::Stopped));
    m.shutdown().unwrap();
}

#[test]
fn an_inline_decoder_is_read_for_what_it_holds_at_the_stop() {
    let given = Given::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let d = scripted(5, Then::Flush { held: 3 }, &given);
    let (h, analysed, _, m) = run(counted(StreamSpec::decoder("s", d), &seen), 20, &seen);
    assert_eq!(given.after_stop.load(Ordering::SeqCst), 3);
    assert_eq!(
        analysed,
        given.all.load(Ordering::SeqCst),
        "every picture given was analysed"
    );
    assert_eq!(h.video_frames as usize, analysed);
    assert_eq!(h.ending, Some(Ending::Stopped));
    m.shutdown().unwrap();
}

#[test]
fn a_decoder_that_ignores_the_stop_is_cut_by_the_bounds() {
    for blocking in [false, true] {
        let given = Given::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let d = scripted(5, Then::Endless, &given);
        let spec = if blocking {
            StreamSpec::blocking_decoder("s", d)
        } else {
            StreamSpec::decoder("s", d)
        };
        let (h, analysed, took, m) = run(counted(spec, &seen), 5, &seen);
        let after = given.after_stop.load(Ordering::SeqCst);
        // the pipeline's bounds: 256 items, 0.5 s (plus one item in each read under way)
        assert!(after <= 258, "{after} items read after the stop");
        assert!(took < Duration::from_secs(3), "the stop took {took:?}");
        assert!(analysed > 0);
        assert_eq!(h.ending, Some(Ending::Stopped));
        m.shutdown().unwrap();
    }
}

#[test]
fn a_reader_blocked_in_a_read_does_not_hang_the_stop() {
    static RELEASE: AtomicBool = AtomicBool::new(false);
    let given = Given::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let d = scripted(5, Then::Blocks(&RELEASE), &given);
    let (h, analysed, took, m) = run(
        counted(StreamSpec::blocking_decoder("s", d), &seen),
        5,
        &seen,
    );
    RELEASE.store(true, Ordering::SeqCst);
    m.shutdown().unwrap();
    assert!(took < Duration::from_secs(2), "the stop took {took:?}");
    assert_eq!(analysed, 5);
    assert_eq!(h.ending, Some(Ending::Stopped));
}
