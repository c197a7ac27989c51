//! `captions`: closed captions (CEA-608/708 carried as ATSC A/53 `cc_data`) that stop
//! (`caption_missing`), and which caption channels a stream carries (metrics).
//!
//! A picture carries captions when its `cc_data` ([`VideoFrame::a53_captions`]) holds at least
//! one triplet with `cc_valid` set (padding triplets do not count). Once a stream has carried
//! captions, a stretch of pictures without them longer than `max_gap` is a `caption_missing`
//! defect from the first picture without captions to the first one with them again. With
//! `required`, a stream that never carries any is reported the same way from its first picture.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::one_stream::{OnVideo, VideoDetector};
use crate::detect::{Detector, DetectorConfig, Events, SpanTracker};
use crate::error::Result;
use crate::event::{DefectKind, Details};
use crate::media::{MediaTime, Needs, VideoFrame};

/// Configuration of the [`Captions`] detector (type `"captions"`, off by default).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::CaptionsConfig};
/// let c: CaptionsConfig = serde_json::from_str(r#"{"required": true}"#).unwrap();
/// assert_eq!(c.max_gap, 10.0);
/// assert!(CaptionsConfig { max_gap: -1.0, ..Default::default() }.build("captions").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptionsConfig {
    /// Seconds without captions, after a stream carried them, before `caption_missing` is
    /// reported. Default `10.0`: caption encoders send data (or at least valid padding
    /// control codes) with every picture while captioning; pauses between lines keep the
    /// channel alive, so 10 s without a valid triplet means the captions are gone.
    pub max_gap: f64,
    /// Report a stream that never carries captions too (from its first picture). Default
    /// `false`: many streams legitimately carry none.
    pub required: bool,
    /// Seconds between the caption channel metrics. Default `10.0`; `0` turns them off.
    pub metric_interval: f64,
}

impl Default for CaptionsConfig {
    fn default() -> Self {
        CaptionsConfig {
            max_gap: 10.0,
            required: false,
            metric_interval: 10.0,
        }
    }
}

impl DetectorConfig for CaptionsConfig {
    const TYPE: &'static str = "captions";
    // Off by default: most inputs carry no captions, and the ones that must are known to
    // the operator, who turns it on (with `required` where captions are mandatory).
    const ON_BY_DEFAULT: bool = false;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.seconds("max_gap", self.max_gap)?;
        c.seconds("metric_interval", self.metric_interval)?;
        Ok(Box::new(OnVideo::new(name, Captions::new(self.clone()))))
    }
}

/// The caption services of `cc_data`, by `cc_type`.
const CHANNELS: [&str; 4] = [
    "cea608_field1",
    "cea608_field2",
    "cea708_data",
    "cea708_start",
];

/// Counts the valid `cc_data` triplets of each `cc_type` (0/1: CEA-608 field 1/2; 2/3: CEA-708
/// DTVCC packet data/start) in `cc`; a trailing partial triplet is ignored.
///
/// ```
/// use avqc::detect::video::count_cc_triplets;
/// // a valid 608 field-1 pair, field-2 padding (not valid), a valid 708 packet start
/// let cc = [0xfc, 0x94, 0x2c, 0xf9, 0x80, 0x80, 0xff, 0x02, 0x21];
/// assert_eq!(count_cc_triplets(&cc), [1, 0, 0, 1]);
/// ```
pub fn count_cc_triplets(cc: &[u8]) -> [u32; 4] {
    let mut n = [0u32; 4];
    for t in cc.chunks_exact(3) {
        if t[0] & 0x04 != 0 {
            n[(t[0] & 0x03) as usize] += 1;
        }
    }
    n
}

/// Detects captions that stop: `caption_missing`, and metrics `captions_cea608_field1`,
/// `captions_cea608_field2`, `captions_cea708` (valid triplets per interval). Built from a
/// [`CaptionsConfig`].
pub struct Captions {
    cfg: CaptionsConfig,
    tracker: SpanTracker,
    clock: FrameClock,
    /// Valid triplets of each type since the stream started, and in the current interval.
    total: [u64; 4],
    window: [u32; 4],
    window_start: Option<MediaTime>,
    /// When captions were last seen.
    last_seen: Option<MediaTime>,
}

impl Captions {
    /// A captions detector. Prefer [`CaptionsConfig::build`], which checks the values.
    pub fn new(cfg: CaptionsConfig) -> Self {
        Captions {
            tracker: SpanTracker::new(cfg.max_gap, 0.0),
            cfg,
            clock: FrameClock::default(),
            total: [0; 4],
            window: [0; 4],
            window_start: None,
            last_seen: None,
        }
    }

    /// The caption services seen so far.
    fn seen(&self) -> Vec<&'static str> {
        (0..4)
            .filter(|&i| self.total[i] > 0)
            .map(|i| CHANNELS[i])
            .collect()
    }

    fn details(&self) -> Details {
        let mut d = Details::new();
        d.insert("channels_seen".into(), json!(self.seen()));
        d.insert("max_gap_secs".into(), json!(self.cfg.max_gap));
        if let Some(t) = self.last_seen {
            let secs = (t.as_secs_f64() * 1000.0).round() / 1000.0;
            d.insert("last_seen".into(), json!(secs));
        }
        d
    }

    fn metrics(&mut self, at: MediaTime, out: &mut Events) {
        let w = self.window;
        out.metric("captions_cea608_field1", w[0] as f64, at);
        out.metric("captions_cea608_field2", w[1] as f64, at);
        out.metric("captions_cea708", (w[2] + w[3]) as f64, at);
        self.window = [0; 4];
        self.window_start = Some(at);
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::CAPTION_MISSING, c, at, self.details());
        }
    }
}

impl VideoDetector for Captions {
    fn needs(&self) -> Needs {
        // captions ride on every picture, also non-reference ones; pixels are not read
        Needs {
            every_frame: true,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        // The interval [start, t) is complete: its counts first.
        if self.cfg.metric_interval > 0.0 {
            let start = *self.window_start.get_or_insert(t);
            if t.secs_since(start) >= self.cfg.metric_interval {
                self.metrics(t, out);
            }
        }
        let n = frame.a53_captions().map_or([0; 4], count_cc_triplets);
        let has = n.iter().any(|&k| k > 0);
        for (i, k) in n.into_iter().enumerate() {
            self.total[i] += k as u64;
            self.window[i] += k;
        }
        if has {
            self.last_seen = Some(t);
        }
        let watched = self.cfg.required || self.total.iter().any(|&k| k > 0);
        let missing = watched && !has;
        if let Some(c) = self.tracker.observe(missing, t, until) {
            out.span(&DefectKind::CAPTION_MISSING, c, t, self.details());
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        if self.cfg.metric_interval > 0.0 && self.window_start.is_some() {
            self.metrics(at, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::media::PixelFormat;

    fn frame(i: usize, cc: Option<&'static [u8]>) -> VideoFrame {
        let t = MediaTime::from_secs_f64(i as f64 * 0.04);
        let f = VideoFrame::filled(16, 16, PixelFormat::Gray8, t, [16, 128, 128])
            .with_duration(Some(0.04));
        match cc {
            Some(cc) => f.with_a53_captions(bytes::Bytes::from_static(cc)),
            None => f,
        }
    }

    const CC: &[u8] = &[0xfc, 0x94, 0x2c];
    const PADDING: &[u8] = &[0xf8, 0x80, 0x80, 0xf9, 0x80, 0x80];

    /// `caption_missing` (phase, start, end) of a run over `frames`.
    fn run(cfg: CaptionsConfig, frames: &[VideoFrame]) -> Vec<(bool, f64, Option<f64>)> {
        let mut d = Captions::new(cfg);
        let mut out = Events::new("t", "captions");
        for f in frames {
            d.picture(f, &mut out);
        }
        d.finish(frames.last().unwrap().time().add_secs(0.04), &mut out);
        out.drain()
            .filter_map(|e| match e {
                Event::Defect(d) if d.defect == DefectKind::CAPTION_MISSING => Some((
                    d.phase == crate::event::Phase::Start,
                    d.start.as_secs_f64(),
                    d.end.map(|e| e.as_secs_f64()),
                )),
                _ => None,
            })
            .collect()
    }

    fn cfg(max_gap: f64, required: bool) -> CaptionsConfig {
        CaptionsConfig {
            max_gap,
            required,
            metric_interval: 0.0,
        }
    }

    #[test]
    fn captions_that_stop_for_longer_than_the_gap_are_missing_until_they_return() {
        // captions 0-2 s, none 2-5 s, captions again 5-6 s
        let frames: Vec<_> = (0..150)
            .map(|i| frame(i, (!(50..125).contains(&i)).then_some(CC)))
            .collect();
        let ev = run(cfg(1.0, false), &frames);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(ev[0].0 && (ev[0].1 - 2.0).abs() < 1e-6, "{ev:?}");
        assert!((ev[1].2.unwrap() - 5.0).abs() < 1e-6, "{ev:?}");
        // a gap shorter than max_gap is not reported
        assert!(run(cfg(4.0, false), &frames).is_empty());
    }

    #[test]
    fn padding_only_is_not_captions_and_a_stream_without_any_is_fine_unless_required() {
        let frames: Vec<_> = (0..100).map(|i| frame(i, Some(PADDING))).collect();
        assert!(run(cfg(1.0, false), &frames).is_empty());
        let ev = run(cfg(1.0, true), &frames);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert_eq!(ev[0].1, 0.0);
    }

    #[test]
    fn metrics_count_valid_triplets_per_channel() {
        let frames: Vec<_> = (0..50).map(|i| frame(i, Some(CC))).collect();
        let mut d = Captions::new(CaptionsConfig {
            metric_interval: 1.0,
            ..Default::default()
        });
        let mut out = Events::new("t", "captions");
        for f in &frames {
            d.picture(f, &mut out);
        }
        let m: Vec<(String, f64)> = out
            .drain()
            .filter_map(|e| match e {
                Event::Metric(m) => Some((m.name.to_string(), m.value)),
                _ => None,
            })
            .collect();
        assert_eq!(m[0], ("captions_cea608_field1".to_string(), 25.0), "{m:?}");
        assert_eq!(m[1].1, 0.0);
        assert_eq!(m[2].1, 0.0);
    }
}
