//! `frame_drop`: frames missing from the video timeline (`video_frame_drop`).
//!
//! The nominal frame duration is learned from the stream itself: the median of the last
//! [`STEPS`] timestamp steps between consecutive frames (the frames' own durations are only a
//! first guess until enough steps were seen). A step of *k* + 1 nominal durations or more
//! (less the `jitter` allowance) means *k* frames are missing; a gap of at least `min_missing`
//! frames is reported as one interval, from where the last frame before the gap should have
//! stopped being shown (its time plus one nominal duration) to the first frame after the gap,
//! with `details.missing_frames`. Both phases are written when the frame after the gap arrives
//! (a drop is only known then).
//!
//! Variable-frame-rate sources raise nothing: while fewer than 3 in 4 of the recent steps lie
//! within `jitter` of the median step, the stream has no nominal frame rate to miss frames
//! against, and gaps are not judged. The step across a decoder discontinuity (a bridged
//! timestamp jump) is ignored.
//!
//! Optionally (`metric`) a `frames_missing` metric is written for every second of media time in
//! which frames went missing.

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, Needs, VideoFrame};

/// Timestamp steps remembered for the nominal frame duration.
const STEPS: usize = 16;
/// Steps needed before gaps are judged.
const MIN_STEPS: usize = 6;

/// Configuration of the [`FrameDrop`] detector (type `"frame_drop"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::FrameDropConfig};
/// let c: FrameDropConfig = serde_json::from_str(r#"{"min_missing": 2}"#).unwrap();
/// assert_eq!(c.jitter, FrameDropConfig::default().jitter);
/// assert!(FrameDropConfig { min_missing: 0, ..Default::default() }.build("frame_drop").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrameDropConfig {
    /// Fewest missing frames in one gap that make a defect. Default `1`: a single lost frame
    /// is a visible jerk in motion.
    pub min_missing: u32,
    /// Share of a nominal frame duration a frame may come late (timestamp jitter, rounding of
    /// 29.97 fps timestamps) before it counts as a missing frame. Default `0.5`: a step counts
    /// as *k* missing frames from (*k* + 0.5) extra durations on, i.e. the step is rounded to
    /// whole frames.
    pub jitter: f64,
    /// Steps longer than this many seconds are not judged (a pause in a live input, a splice
    /// the decoder did not flag). Default `10.0`.
    pub max_gap: f64,
    /// Write a `frames_missing` metric for every second in which frames went missing.
    /// Default `true`.
    pub metric: bool,
}

impl Default for FrameDropConfig {
    fn default() -> Self {
        FrameDropConfig {
            min_missing: 1,
            jitter: 0.5,
            max_gap: 10.0,
            metric: true,
        }
    }
}

impl DetectorConfig for FrameDropConfig {
    const TYPE: &'static str = "frame_drop";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            (1..=100_000).contains(&self.min_missing),
            "min_missing",
            "must be between 1 and 100000 frames",
        )?;
        c.require(
            self.jitter.is_finite() && self.jitter > 0.0 && self.jitter < 1.0,
            "jitter",
            "must be a share of a frame duration between 0 and 1 (exclusive)",
        )?;
        c.positive_seconds("max_gap", self.max_gap)?;
        Ok(Box::new(OnVideo::new(name, FrameDrop::new(self.clone()))))
    }
}

/// Detects frames missing from the video timeline: reports `video_frame_drop` for every gap of
/// at least `min_missing` frames. Built from a [`FrameDropConfig`].
pub struct FrameDrop {
    cfg: FrameDropConfig,
    last: Option<MediaTime>,
    steps: [f64; STEPS],
    n_steps: usize,
    next_step: usize,
    /// The current second of media time (for the metric) and the frames missing in it.
    second: Option<i64>,
    missing_in_second: u64,
}

impl FrameDrop {
    /// A frame-drop detector named `name`. Prefer [`FrameDropConfig::build`], which checks the
    /// values.
    pub fn new(cfg: FrameDropConfig) -> Self {
        FrameDrop {
            cfg,
            last: None,
            steps: [0.0; STEPS],
            n_steps: 0,
            next_step: 0,
            second: None,
            missing_in_second: 0,
        }
    }

    /// The nominal frame duration, when the recent steps are regular enough to have one.
    fn nominal(&self) -> Option<f64> {
        if self.n_steps < MIN_STEPS {
            return None;
        }
        let mut s = [0.0f64; STEPS];
        let s = &mut s[..self.n_steps];
        s.copy_from_slice(&self.steps[..self.n_steps]);
        s.sort_unstable_by(f64::total_cmp);
        let median = s[s.len() / 2];
        if median <= 0.0 {
            return None;
        }
        let close = s
            .iter()
            .filter(|&&d| (d - median).abs() <= self.cfg.jitter * median)
            .count();
        (close * 4 >= s.len() * 3).then_some(median)
    }

    fn push_step(&mut self, d: f64) {
        self.steps[self.next_step] = d;
        self.next_step = (self.next_step + 1) % STEPS;
        self.n_steps = (self.n_steps + 1).min(STEPS);
    }

    fn count_metric(&mut self, t: MediaTime, missing: u64, out: &mut Events) {
        if !self.cfg.metric {
            return;
        }
        let sec = t.as_secs_f64().floor() as i64;
        if self.second != Some(sec) {
            self.flush_metric(out);
            self.second = Some(sec);
        }
        self.missing_in_second += missing;
    }

    fn flush_metric(&mut self, out: &mut Events) {
        if let Some(sec) = self.second {
            if self.missing_in_second > 0 {
                out.metric(
                    "frames_missing",
                    self.missing_in_second as f64,
                    MediaTime::from_secs_f64(sec as f64),
                );
            }
        }
        self.missing_in_second = 0;
    }
}

impl VideoDetector for FrameDrop {
    fn needs(&self) -> Needs {
        // timestamps only; a skipped picture would be a gap
        Needs {
            every_frame: true,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let Some(last) = self.last.replace(t) else {
            // A first guess from the frame's own duration until steps are known.
            if self.n_steps == 0 {
                if let Some(d) = frame.duration().filter(|d| *d > 0.0 && d.is_finite()) {
                    self.push_step(d);
                }
            }
            return;
        };
        let step = t.secs_since(last);
        if step.is_nan() || step <= 0.0 || step > self.cfg.max_gap {
            return;
        }
        if let Some(nominal) = self.nominal() {
            let extra = step / nominal - 1.0;
            let missing = (extra + 1.0 - self.cfg.jitter).floor().max(0.0) as u64;
            if missing >= self.cfg.min_missing as u64 {
                let start = last.add_secs(nominal);
                let mut d = Details::new();
                d.insert("missing_frames".into(), json!(missing));
                d.insert(
                    "frame_duration".into(),
                    json!((nominal * 1e6).round() / 1e6),
                );
                d.insert("gap".into(), json!((step * 1e6).round() / 1e6));
                out.span(
                    &DefectKind::VIDEO_FRAME_DROP,
                    SpanChange::Started { start },
                    t,
                    d.clone(),
                );
                out.span(
                    &DefectKind::VIDEO_FRAME_DROP,
                    SpanChange::Ended { start, end: t },
                    t,
                    d,
                );
                self.count_metric(t, missing, out);
                // A gap is no sample of the frame rate.
                return;
            }
        }
        self.push_step(step);
    }

    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {
        self.last = None;
    }

    fn finish(&mut self, _at: MediaTime, out: &mut Events) {
        self.flush_metric(out);
        self.second = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Media, PixelFormat};

    fn run(times: &[f64], dur: Option<f64>) -> Vec<(f64, f64, u64)> {
        let mut d = FrameDropConfig::default().build("frame_drop").unwrap();
        let mut out = Events::new("t", "frame_drop");
        let mut found = Vec::new();
        for &s in times {
            let f = VideoFrame::filled(
                8,
                8,
                PixelFormat::Gray8,
                MediaTime::from_secs_f64(s),
                [0; 3],
            )
            .with_duration(dur);
            d.process(&Media::Video(f), &mut out);
            for e in out.drain() {
                if let Some(e) = e.as_defect() {
                    if let Some(end) = e.end {
                        found.push((
                            e.start.as_secs_f64(),
                            end.as_secs_f64(),
                            e.details["missing_frames"].as_u64().unwrap(),
                        ));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn gap_of_three_frames() {
        let times: Vec<f64> = (0..50)
            .filter(|i| !(20..23).contains(i))
            .map(|i| i as f64 / 25.0)
            .collect();
        let f = run(&times, None);
        assert_eq!(f.len(), 1);
        assert!((f[0].0 - 0.80).abs() < 1e-6 && (f[0].1 - 0.92).abs() < 1e-6);
        assert_eq!(f[0].2, 3);
    }

    #[test]
    fn jitter_and_vfr_are_quiet() {
        // ±30 % jitter around 25 fps
        let times: Vec<f64> = (0..100)
            .map(|i| (i as f64 + if i % 3 == 0 { 0.3 } else { 0.0 }) / 25.0)
            .collect();
        assert!(run(&times, Some(0.04)).is_empty());
        // variable frame rate: steps from 20 to 100 ms
        let mut t = 0.0;
        let mut times = Vec::new();
        for i in 0..100 {
            times.push(t);
            t += [0.02, 0.1, 0.04, 0.067, 0.033][i % 5];
        }
        assert!(run(&times, None).is_empty());
    }
}
