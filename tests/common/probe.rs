//! The synthetic input and the probe detector of the pipeline tests (tests/pipeline.rs,
//! tests/pipeline_threads.rs).

use avqc::*;

pub const OPEN: DefectKind = DefectKind::from_static("test_open");

pub fn frame(i: usize) -> Media {
    let t = MediaTime::new(i as i64, Rational::new(1, 25));
    Media::Video(
        VideoFrame::filled(16, 16, PixelFormat::Gray8, t, [(i % 200) as u8, 0, 0])
            .with_duration(Some(0.04)),
    )
}

pub fn source(n: usize) -> impl Decoder {
    FrameSource::new(
        "test.raw",
        vec![StreamInfo::video(0, "raw", 16, 16, None)],
        (0..n).map(frame),
    )
}

/// Opens a defect at frame `open_at` and never closes it; panics at frame `panic_at`;
/// sleeps `sleep_ms` per frame.
pub struct Probe {
    pub name: &'static str,
    pub open_at: usize,
    pub panic_at: Option<usize>,
    pub sleep_ms: u64,
    pub seen: usize,
}

impl Probe {
    pub fn new(name: &'static str) -> Self {
        Probe {
            name,
            open_at: 2,
            panic_at: None,
            sleep_ms: 0,
            seen: 0,
        }
    }
}

impl Detector for Probe {
    fn name(&self) -> &str {
        self.name
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        if self.sleep_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.sleep_ms));
        }
        if self.seen == self.open_at {
            out.span(
                &OPEN,
                SpanChange::Started {
                    start: media.time(),
                },
                media.time(),
                Default::default(),
            );
        }
        if Some(self.seen) == self.panic_at {
            panic!("probe failure at frame {}", self.seen);
        }
        self.seen += 1;
    }
    fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
}

pub fn defects(events: &[Event], phase: Phase) -> Vec<&avqc::event::DefectEvent> {
    events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.phase == phase)
        .collect()
}
