//! A detector of your own: pictures too bright to be broadcast-legal for at least a moment.
//! Registered by type name so it can be configured from JSON beside the built-ins.
//!
//! `cargo run --example custom_detector`
use avqc::sink::JsonLines;
use avqc::*;
use serde::Deserialize;

/// Config: `{"type": "too_bright", "max_mean_luma": 200, "min_duration": 0.2}`.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TooBrightConfig {
    max_mean_luma: Option<f64>,
    min_duration: Option<f64>,
}

impl DetectorConfig for TooBrightConfig {
    const TYPE: &'static str = "too_bright";
    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        Ok(Box::new(TooBright {
            name: name.to_string(),
            limit: self.max_mean_luma.unwrap_or(200.0),
            span: SpanTracker::new(self.min_duration.unwrap_or(0.2), 0.0),
        }))
    }
}

struct TooBright {
    name: String,
    limit: f64,
    span: SpanTracker,
}

const TOO_BRIGHT: DefectKind = DefectKind::from_static("video_too_bright");

impl Detector for TooBright {
    fn name(&self) -> &str {
        &self.name
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        let Media::Video(frame) = media else { return };
        let luma = frame.analysis().luma();
        let sum: u64 = luma.rows().flat_map(|r| r.iter()).map(|&v| v as u64).sum();
        let mean = sum as f64 / (luma.width() * luma.height()).max(1) as f64;
        let until = frame.time().add_secs(frame.duration().unwrap_or(0.04));
        if let Some(change) = self.span.observe(mean > self.limit, frame.time(), until) {
            let mut details = event::Details::new();
            details.insert("mean_luma".into(), mean.into());
            out.span(&TOO_BRIGHT, change, frame.time(), details);
        }
    }
    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(change) = self.span.close() {
            out.span(&TOO_BRIGHT, change, at, Default::default());
        }
    }
}

fn main() -> Result<()> {
    let mut registry = Registry::builtin();
    registry.register::<TooBrightConfig>(); // not on by default: ON_BY_DEFAULT is false
    let detectors = registry
        .build_json(r#"[{"type": "too_bright", "max_mean_luma": 180}, {"type": "black"}]"#)?;

    // Two seconds at 25 fps: grey, then a white flash from 0.8 s to 1.4 s.
    let frames = (0..50).map(|i| {
        let t = i as f64 / 25.0;
        let y = if (0.8..1.4).contains(&t) { 235 } else { 120 };
        let f = VideoFrame::filled(
            160,
            90,
            PixelFormat::Yuv420p,
            MediaTime::from_secs_f64(t),
            [y, 128, 128],
        );
        Media::Video(f.with_duration(Some(0.04)))
    });
    let source = FrameSource::new(
        "flash.raw",
        vec![StreamInfo::video(0, "raw", 160, 90, None)],
        frames,
    );
    let report = Pipeline::builder()
        .decoder(source)
        .detectors(detectors)
        .sink(JsonLines::new(std::io::stdout()))
        .build()?
        .run()?;
    eprint!("{report}");
    Ok(())
}
