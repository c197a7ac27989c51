//! Nothing lost: on every way a run ends, each defect started gets its end event, the sink is
//! flushed after the last event, and the report says how the run ended. Also resource limits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use avqc::pipeline::Ending;
use avqc::*;

const OPEN: DefectKind = DefectKind::from_static("test_open");

fn frame(i: usize, size: usize) -> Media {
    let t = MediaTime::new(i as i64, Rational::new(1, 25));
    Media::Video(
        VideoFrame::filled(size, size, PixelFormat::Gray8, t, [16, 0, 0]).with_duration(Some(0.04)),
    )
}

fn source(n: usize) -> impl Decoder {
    FrameSource::new(
        "test.raw",
        vec![StreamInfo::video(0, "raw", 16, 16, None)],
        (0..n).map(|i| frame(i, 16)),
    )
}

fn endless() -> impl Decoder {
    FrameSource::new(
        "endless.raw",
        vec![StreamInfo::video(0, "raw", 16, 16, None)],
        (0..).map(|i| frame(i, 16)),
    )
}

/// Starts a defect every `every` frames (ending none of them), optionally panicking at a frame.
struct Opener {
    name: &'static str,
    every: usize,
    panic_at: Option<usize>,
    seen: usize,
}

impl Opener {
    fn new(name: &'static str, every: usize) -> Self {
        Opener {
            name,
            every,
            panic_at: None,
            seen: 0,
        }
    }
}

impl Detector for Opener {
    fn name(&self) -> &str {
        self.name
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        if self.seen % self.every == 2 % self.every {
            let start = media.time();
            out.span(
                &OPEN,
                SpanChange::Started { start },
                start,
                Default::default(),
            );
        }
        if Some(self.seen) == self.panic_at {
            panic!("opener failure at frame {}", self.seen);
        }
        self.seen += 1;
    }
    fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
}

/// What a sink was asked to do, in order.
#[derive(Debug, Clone)]
enum Call {
    Emit(Event),
    Flush,
}

/// A sink that records every call; fails (or panics) at the `fail_at`-th event.
#[derive(Clone, Default)]
struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
    fail_at: Option<usize>,
    panic: bool,
}

impl Recorder {
    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
    fn events(&self) -> Vec<Event> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Emit(e) => Some(e),
                Call::Flush => None,
            })
            .collect()
    }
}

impl Sink for Recorder {
    fn emit(&mut self, event: &Event) -> Result<()> {
        let mut calls = self.calls.lock().unwrap();
        let n = calls.iter().filter(|c| matches!(c, Call::Emit(_))).count();
        if Some(n) == self.fail_at {
            drop(calls);
            if self.panic {
                panic!("recorder told to panic");
            }
            return Err(Error::Sink {
                sink: "recorder".into(),
                source: std::io::Error::other("disk full"),
            });
        }
        calls.push(Call::Emit(event.clone()));
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.calls.lock().unwrap().push(Call::Flush);
        Ok(())
    }
}

/// Every start has its end, and the last call the sink got was a flush.
fn assert_nothing_lost(rec: &Recorder) -> usize {
    let events = rec.events();
    let starts: Vec<_> = events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.phase == Phase::Start)
        .collect();
    for s in &starts {
        assert!(
            events
                .iter()
                .filter_map(Event::as_defect)
                .any(|e| e.phase == Phase::End
                    && e.defect == s.defect
                    && e.detector == s.detector
                    && e.start == s.start),
            "start without end: {s:?}"
        );
    }
    assert!(
        matches!(rec.calls().last(), Some(Call::Flush)),
        "the sink was flushed after the last event"
    );
    starts.len()
}

fn run(builder: PipelineBuilder) -> (Report, Result<()>) {
    builder.build().unwrap().run_with_report()
}

#[test]
fn end_of_input_ends_open_defects_and_flushes() {
    let rec = Recorder::default();
    let (report, result) = run(Pipeline::builder()
        .decoder(source(60))
        .detector(Opener::new("a", 20))
        .sink(rec.clone()));
    result.unwrap();
    assert_eq!(report.ending, Ending::EndOfInput);
    assert_eq!(assert_nothing_lost(&rec), 3);
}

/// Runs `decoder` with a detector that opens a defect, stops the run after 200 ms, and
/// returns the report, the result and what the sink got.
fn run_stopped(decoder: impl Decoder + 'static) -> (Report, Result<()>, Recorder) {
    let rec = Recorder::default();
    let pipeline = Pipeline::builder()
        .decoder(decoder)
        .detector(Opener::new("a", 1_000_000))
        .sink(rec.clone())
        .build()
        .unwrap();
    let stop = pipeline.stop_signal();
    let t = std::thread::spawn(move || pipeline.run_with_report());
    std::thread::sleep(Duration::from_millis(200));
    stop.stop();
    let (report, result) = t.join().unwrap();
    (report, result, rec)
}

#[test]
fn stop_signal_ends_open_defects_and_flushes() {
    let (report, result, rec) = run_stopped(endless());
    result.unwrap();
    assert_eq!(report.ending, Ending::Stopped);
    assert!(report.stopped);
    assert!(assert_nothing_lost(&rec) >= 1);
}

/// Five frames, then waits inside `next` until the stop signal it was given is raised, gives
/// the `held` frames it still holds and returns `Ok(None)` (as a realtime decoder does when a
/// stop interrupts its pacing; an FFmpeg decoder flushes its last pictures).
struct WaitsForStop {
    sent: usize,
    held: usize,
    stop: Option<StopSignal>,
}

fn waits_for_stop(held: usize) -> WaitsForStop {
    WaitsForStop {
        sent: 0,
        held,
        stop: None,
    }
}

impl Decoder for WaitsForStop {
    fn name(&self) -> &str {
        "waits.raw"
    }
    fn streams(&self) -> &[StreamInfo] {
        &[]
    }
    fn next(&mut self) -> Result<Option<Media>> {
        self.sent += 1;
        if self.sent == 6 {
            // Waits for the next frame's time, watching the stop signal.
            while !self.stop.as_ref().is_some_and(StopSignal::is_stopped) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Ok((self.sent <= 5 + self.held).then(|| frame(self.sent, 16)))
    }
    fn set_stop_signal(&mut self, stop: StopSignal) {
        self.stop = Some(stop);
    }
}

#[test]
fn a_decoder_ending_because_of_the_stop_signal_reports_stopped() {
    let (report, result, rec) = run_stopped(waits_for_stop(0));
    result.unwrap();
    assert_eq!(report.ending, Ending::Stopped);
    assert!(report.stopped);
    assert!(assert_nothing_lost(&rec) >= 1);
}

#[test]
fn a_stop_still_analyses_what_the_decoder_holds() {
    let (report, result, _) = run_stopped(waits_for_stop(3));
    result.unwrap();
    assert!(report.stopped);
    assert_eq!(
        report.video_frames_decoded, 8,
        "the 3 frames held at the stop too"
    );
}

struct FailsAfter(usize);
impl Decoder for FailsAfter {
    fn name(&self) -> &str {
        "failing"
    }
    fn streams(&self) -> &[StreamInfo] {
        &[]
    }
    fn next(&mut self) -> Result<Option<Media>> {
        if self.0 == 0 {
            return Err(Error::Read {
                input: "failing".into(),
                message: "connection reset".into(),
            });
        }
        self.0 -= 1;
        Ok(Some(frame(30 - self.0, 16)))
    }
}

#[test]
fn input_error_ends_open_defects_reports_and_returns_the_error() {
    let rec = Recorder::default();
    let (report, result) = run(Pipeline::builder()
        .decoder(FailsAfter(30))
        .detector(Opener::new("a", 10))
        .sink(rec.clone()));
    assert!(matches!(result, Err(Error::Read { .. })), "{result:?}");
    assert!(
        matches!(&report.ending, Ending::InputFailed(m) if m.contains("connection reset")),
        "{:?}",
        report.ending
    );
    assert_eq!(report.video_frames_decoded, 30);
    assert_eq!(assert_nothing_lost(&rec), 3);
}

#[test]
fn a_sink_error_ends_the_run_with_a_report() {
    let rec = Recorder {
        fail_at: Some(2),
        ..Default::default()
    };
    let (report, result) = run(Pipeline::builder()
        .decoder(endless())
        .detector(Opener::new("a", 5))
        .sink(rec.clone()));
    assert!(matches!(result, Err(Error::Sink { .. })), "{result:?}");
    assert!(matches!(report.ending, Ending::SinkFailed(_)));
    assert_eq!(rec.events().len(), 2, "nothing delivered after the failure");
}

#[test]
fn a_panicking_sink_is_a_failed_sink_not_a_hang() {
    let rec = Recorder {
        fail_at: Some(1),
        panic: true,
        ..Default::default()
    };
    let (report, result) = run(Pipeline::builder()
        .decoder(endless())
        .detector(Opener::new("a", 3))
        .sink(rec.clone()));
    let err = result.unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
    assert!(matches!(report.ending, Ending::SinkFailed(_)));
}

#[test]
fn a_panicking_detector_has_its_defects_ended_and_the_others_go_on() {
    let rec = Recorder::default();
    let bad = Opener {
        panic_at: Some(25),
        ..Opener::new("bad", 10)
    };
    let (report, result) = run(Pipeline::builder()
        .decoder(source(100))
        .detector(bad)
        .detector(Opener::new("good", 30))
        .sink(rec.clone()));
    result.unwrap();
    assert_eq!(report.ending, Ending::EndOfInput);
    let bad_rep = report.detectors.iter().find(|d| d.name == "bad").unwrap();
    assert!(bad_rep.panicked.is_some());
    let good_rep = report.detectors.iter().find(|d| d.name == "good").unwrap();
    assert_eq!(good_rep.video_frames, 100);
    // bad: frames 2, 12, 22 started before the panic at 25; good: 2, 32, 62, 92.
    assert_eq!(assert_nothing_lost(&rec), 7);
    assert!(rec
        .events()
        .iter()
        .any(|e| matches!(e, Event::Notice(n) if n.name == "detector_panicked")));
}

#[test]
fn host_dropping_the_event_receiver_ends_the_run() {
    let (tx, rx) = crossbeam_channel::bounded(4);
    drop(rx);
    let (report, result) = run(Pipeline::builder()
        .decoder(endless())
        .detector(Opener::new("a", 3))
        .sink(sink::ChannelSink::new(tx)));
    assert!(matches!(result, Err(Error::Sink { .. })), "{result:?}");
    assert!(matches!(report.ending, Ending::SinkFailed(_)));
}

#[test]
fn a_picture_over_the_size_limit_stops_only_its_own_pipeline() {
    let limits = Limits {
        max_width: 64,
        max_height: 64,
        ..Limits::default()
    };
    // Grows to 128x128 at frame 40.
    let growing = FrameSource::new(
        "growing.raw",
        vec![StreamInfo::video(0, "raw", 16, 16, None)],
        (0..100).map(|i| frame(i, if i < 40 { 16 } else { 128 })),
    );
    let (rec_a, rec_b) = (Recorder::default(), Recorder::default());
    let (a, b) = (rec_a.clone(), rec_b.clone());
    let l = limits.clone();
    let other = std::thread::spawn(move || {
        run(Pipeline::builder()
            .decoder(source(100))
            .detector(Opener::new("a", 20))
            .limits(l)
            .sink(b))
    });
    let (report, result) = run(Pipeline::builder()
        .decoder(growing)
        .detector(Opener::new("a", 20))
        .limits(limits)
        .sink(a));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::Limit { what, actual, .. } if what == "picture size" && actual == "128x128"),
        "{err}"
    );
    assert!(matches!(report.ending, Ending::LimitExceeded(_)));
    assert_eq!(
        report.video_frames_decoded, 40,
        "the oversized picture is not counted"
    );
    assert_eq!(assert_nothing_lost(&rec_a), 2);
    let (other_report, other_result) = other.join().unwrap();
    other_result.unwrap();
    assert_eq!(other_report.video_frames_decoded, 100);
    assert_eq!(assert_nothing_lost(&rec_b), 5);
}

#[test]
fn a_declared_stream_over_the_limits_is_refused_before_decoding() {
    let audio = FrameSource::new(
        "wide.pcm",
        vec![StreamInfo::audio(0, "pcm", 48_000, 64)],
        std::iter::empty(),
    );
    let (report, result) = run(Pipeline::builder().decoder(audio).sink(Recorder::default()));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::Limit { what, .. } if what == "audio channels"),
        "{err}"
    );
    assert!(matches!(report.ending, Ending::LimitExceeded(_)));
}

#[test]
fn a_runaway_detector_stops_the_run_at_its_open_defect_limit() {
    let rec = Recorder::default();
    let (report, result) = run(Pipeline::builder()
        .decoder(endless())
        .detector(Opener::new("runaway", 1))
        .limits(Limits {
            max_open_defects: 50,
            ..Limits::default()
        })
        .sink(rec.clone()));
    let err = result.unwrap_err();
    assert!(err.to_string().contains("runaway"), "{err}");
    assert!(matches!(report.ending, Ending::LimitExceeded(_)));
    assert!(assert_nothing_lost(&rec) > 50);
}

#[test]
fn a_queue_over_the_limit_is_a_build_error() {
    let r = Pipeline::builder()
        .decoder(source(1))
        .sink(Recorder::default())
        .queue_capacity(5000)
        .build();
    assert!(matches!(r, Err(Error::Pipeline(m)) if m.contains("max_queue")));
}

#[cfg(feature = "ffmpeg")]
mod ffmpeg {
    use super::*;

    #[test]
    fn decoder_refuses_a_stream_over_its_limits_at_open() {
        let opts = DecoderOptions {
            limits: Limits {
                max_width: 100,
                ..Limits::default()
            },
            ..Default::default()
        };
        let Err(err) = FfmpegDecoder::open("tests/data/demo.ts", &opts) else {
            panic!("demo.ts is wider than 100 pixels");
        };
        assert!(
            matches!(&err, Error::Limit { what, .. } if what == "picture size"),
            "{err}"
        );
        let ok = FfmpegDecoder::open("tests/data/demo.ts", &DecoderOptions::default());
        assert!(ok.is_ok());
    }

    #[test]
    fn host_dropping_the_push_input_ends_the_run_with_every_defect_ended() {
        let data = std::fs::read("tests/data/demo.ts").unwrap();
        let (input, rx) = PushInput::with_max_bytes(8, 1 << 20);
        let feeder = std::thread::spawn(move || {
            // Half the clip, then the host goes away without calling finish.
            for chunk in data[..data.len() / 2].chunks(188 * 20) {
                if input.push(bytes::Bytes::copy_from_slice(chunk)).is_err() {
                    break;
                }
            }
            drop(input);
        });
        let rec = Recorder::default();
        let decoder = FfmpegDecoder::from_channel("pushed.ts", rx, &DecoderOptions::default())
            .expect("enough bytes to probe");
        let detectors = Registry::builtin()
            .build_json(r#"[{"type":"freeze"},{"type":"black"},{"type":"silence"}]"#)
            .unwrap();
        let (report, result) = run(Pipeline::builder()
            .decoder(decoder)
            .detectors(detectors)
            .sink(rec.clone()));
        feeder.join().unwrap();
        result.unwrap();
        assert_eq!(report.ending, Ending::EndOfInput);
        assert!(report.video_frames_decoded > 50);
        assert!(
            assert_nothing_lost(&rec) >= 1,
            "demo.ts starts with defects in its first half"
        );
    }

    #[test]
    fn push_input_byte_budget_is_enforced() {
        let (input, rx) = PushInput::with_max_bytes(64, 10_000);
        input.try_push(bytes::Bytes::from(vec![0u8; 6000])).unwrap();
        assert_eq!(input.buffered_bytes(), 6000);
        let over = input.try_push(bytes::Bytes::from(vec![0u8; 6000]));
        assert!(matches!(over, Err(Error::Limit { .. })), "{over:?}");
        // Reading the first chunk frees its bytes.
        let chunk = rx.recv().unwrap();
        assert_eq!(chunk.len(), 6000);
        drop(chunk);
        assert_eq!(input.buffered_bytes(), 0);
        input.try_push(bytes::Bytes::from(vec![0u8; 6000])).unwrap();
        let too_big = input.push(bytes::Bytes::from(vec![0u8; 20_000]));
        assert!(matches!(too_big, Err(Error::Limit { .. })));
    }
}
