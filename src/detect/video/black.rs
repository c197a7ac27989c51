//! `black`: the picture is black (`video_black`).
//!
//! A frame is black when nearly all of it sits within a few code values of the black level of
//! its [`ColorRange`](crate::ColorRange) (16 in limited range, 0 in full range) **and** those
//! dark pixels are flat: a black frame with a small station logo still counts (the logo is a
//! few percent of the picture), but a night scene does not (its dark pixels carry texture,
//! noise and gradients, so they spread over many code values).

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, Needs, VideoFrame};

/// Configuration of the [`Black`] detector (type `"black"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::BlackConfig};
/// let c: BlackConfig = serde_json::from_str(r#"{"min_share": 0.95}"#).unwrap();
/// assert_eq!(c.min_duration, BlackConfig::default().min_duration);
/// assert!(BlackConfig { min_share: 1.5, ..Default::default() }.build("black").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlackConfig {
    /// Seconds the picture must stay black before it is reported. Default `0.16`: a legitimate
    /// fade through black is fully black for under 0.1 s, while a black gap worth reporting
    /// lasts 0.2 s or more; 0.16 s (4 frames at 25 fps) sits between them.
    pub min_duration: f64,
    /// Seconds of non-black picture needed to end a black interval. Default `0.0`: the first
    /// non-black frame ends it.
    pub clear_for: f64,
    /// A pixel is dark when its luma is at most this many code values above black. Default
    /// `10`: encoded black stays within 1–3 code values of the black level; 10 leaves room for
    /// codec ringing around a logo without admitting visible shadow detail.
    pub pixel_threshold: u8,
    /// Share of the picture that must be dark. Default `0.92`: a station logo or a small caption
    /// on black covers a few percent of the picture.
    pub min_share: f64,
    /// Largest standard deviation (code values) of the dark pixels. Default `2.0`: encoded black
    /// is flat (about 0.5), while dark scenes show texture and sensor noise above it.
    pub max_spread: f64,
    /// Read every `sample_step`-th pixel of every `sample_step`-th row. Default `2`.
    pub sample_step: usize,
}

impl Default for BlackConfig {
    fn default() -> Self {
        BlackConfig {
            min_duration: 0.16,
            clear_for: 0.0,
            pixel_threshold: 10,
            min_share: 0.92,
            max_spread: 2.0,
            sample_step: 2,
        }
    }
}

impl DetectorConfig for BlackConfig {
    const TYPE: &'static str = "black";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.require(
            self.min_share > 0.0 && self.min_share <= 1.0,
            "min_share",
            "must be in (0, 1]",
        )?;
        c.at_least("max_spread", self.max_spread, 0.0)?;
        c.require(
            (1..=64).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 64",
        )?;
        Ok(Box::new(OnVideo::new(name, Black::new(self.clone()))))
    }
}

/// Luma statistics of one frame.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    /// Share of sampled pixels that are dark.
    share: f64,
    /// Mean of the dark pixels, in code values above black.
    mean: f64,
    /// Standard deviation of the dark pixels.
    spread: f64,
}

/// Detects black picture: reports `video_black` from the first black frame to the first
/// non-black one. Built from a [`BlackConfig`].
pub struct Black {
    cfg: BlackConfig,
    tracker: SpanTracker,
    clock: FrameClock,
    frames: u64,
    min_share: f64,
    max_spread: f64,
    max_mean: f64,
}

impl Black {
    /// A black detector named `name`. Prefer [`BlackConfig::build`], which checks the values.
    pub fn new(cfg: BlackConfig) -> Self {
        Black {
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            cfg,
            clock: FrameClock::default(),
            frames: 0,
            min_share: 1.0,
            max_spread: 0.0,
            max_mean: 0.0,
        }
    }

    /// The dark-pixel statistics of `f`, or `None` as soon as so many sampled pixels are not
    /// dark that the frame cannot reach `min_share` (most pictures: a few rows decide).
    fn stats(&self, f: &VideoFrame) -> Option<Stats> {
        let black = f.range().black_level() as u32;
        let limit = black + self.cfg.pixel_threshold as u32;
        let p = f.luma();
        let step = self.cfg.sample_step;
        let first = step / 2;
        let rows = p.height().saturating_sub(first).div_ceil(step) as u64;
        let per_row = p.width().saturating_sub(first).div_ceil(step) as u64;
        let total = rows * per_row;
        if total == 0 {
            return Some(Stats::default());
        }
        // The sampled part of every sampled row.
        let sampled = || {
            (first..p.height())
                .step_by(step)
                .map(|y| &p.row(y)[first.min(p.width())..])
        };
        // First only count the bright samples (a vectorised count), which is all most pictures
        // need: the scan stops once so many are bright that the frame cannot be black. Only a
        // frame that stays within reach is read again for the dark samples' level and spread.
        let mut bright = 0u64;
        for row in sampled() {
            bright += count_bright(row, step, limit);
            // Even if every pixel left were dark, the share would stay below `min_share`.
            if ((total - bright) as f64 / total as f64) < self.cfg.min_share {
                return None;
            }
        }
        let dark = total - bright;
        let (mut sum, mut sumsq) = (0u64, 0u64);
        for row in sampled() {
            let (mut rs, mut rq) = (0u32, 0u64);
            for &v in row.iter().step_by(step) {
                let v = v as u32;
                let d = v.saturating_sub(black) * (v <= limit) as u32;
                rs += d;
                rq += (d * d) as u64;
            }
            sum += rs as u64;
            sumsq += rq;
        }
        if dark == 0 {
            return Some(Stats::default());
        }
        let mean = sum as f64 / dark as f64;
        let var = (sumsq as f64 / dark as f64 - mean * mean).max(0.0);
        Some(Stats {
            share: dark as f64 / total as f64,
            mean,
            spread: var.sqrt(),
        })
    }

    fn details(&self) -> Details {
        let mut d = Details::new();
        d.insert("frames".into(), json!(self.frames));
        d.insert(
            "min_dark_share".into(),
            json!((self.min_share * 1000.0).round() / 1000.0),
        );
        d.insert(
            "max_dark_spread".into(),
            json!((self.max_spread * 100.0).round() / 100.0),
        );
        d.insert(
            "max_dark_level".into(),
            json!((self.max_mean * 100.0).round() / 100.0),
        );
        d
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::VIDEO_BLACK, c, at, self.details());
        }
        self.frames = 0;
    }
}

impl VideoDetector for Black {
    fn needs(&self) -> Needs {
        // mean levels of each picture
        Needs {
            every_frame: true,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        let stats = self.stats(frame.analysis());
        let black =
            stats.is_some_and(|s| s.share >= self.cfg.min_share && s.spread <= self.cfg.max_spread);
        if let Some(s) = stats.filter(|_| black) {
            if self.frames == 0 {
                self.min_share = 1.0;
                self.max_spread = 0.0;
                self.max_mean = 0.0;
            }
            self.frames += 1;
            self.min_share = self.min_share.min(s.share);
            self.max_spread = self.max_spread.max(s.spread);
            self.max_mean = self.max_mean.max(s.mean);
        } else if !self.tracker.is_open() {
            self.frames = 0;
        }
        if let Some(c) = self.tracker.observe(black, t, until) {
            out.span(&DefectKind::VIDEO_BLACK, c, t, self.details());
            if matches!(c, SpanChange::Ended { .. }) {
                self.frames = 0;
            }
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}

/// How many of `row[0]`, `row[step]`, `row[2 * step]`, … are above `limit`. For the default
/// step of 2 the samples are counted in u8 lanes over pairs of bytes, which vectorises.
fn count_bright(row: &[u8], step: usize, limit: u32) -> u64 {
    if step != 2 {
        return row
            .iter()
            .step_by(step)
            .filter(|&&v| v as u32 > limit)
            .count() as u64;
    }
    let Ok(limit) = u8::try_from(limit) else {
        return 0; // nothing is above a limit past 255
    };
    let mut n = 0u64;
    // 255 pairs per chunk, so the u8 lanes cannot overflow; a chunk's odd last byte is a sample.
    for chunk in row.chunks(2 * 255) {
        let pairs = chunk.chunks_exact(2);
        let last = pairs.remainder().first().is_some_and(|&v| v > limit) as u64;
        n += pairs.fold(0u8, |a, p| a + (p[0] > limit) as u8) as u64 + last;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::PixelFormat;

    fn frame(bright_rows: usize) -> VideoFrame {
        VideoFrame::from_fn(100, 100, PixelFormat::Gray8, MediaTime::ZERO, |_, _, y| {
            if y < bright_rows {
                200
            } else {
                17
            }
        })
    }

    #[test]
    fn bright_rows_on_top_stop_the_scan_only_when_the_share_is_out_of_reach() {
        let b = Black::new(BlackConfig::default());
        // Rows 1, 3, 5 of 50 sampled rows are bright: 94 % dark, still black.
        let s = b.stats(&frame(6)).expect("black is still reachable");
        assert!((s.share - 0.94).abs() < 1e-9, "{}", s.share);
        assert!((s.mean - 1.0).abs() < 1e-9 && s.spread < 1e-9);
        // Five bright sampled rows: 90 % dark, out of reach of 92 %.
        assert!(b.stats(&frame(10)).is_none());
        assert!(b.stats(&frame(0)).is_some_and(|s| s.share == 1.0));
    }

    #[test]
    fn the_pair_count_equals_the_plain_count() {
        let row: Vec<u8> = (0..1283u32).map(|i| (i * 37 % 251) as u8).collect();
        for limit in [0u32, 10, 26, 128, 254, 255, 300] {
            for start in 0..3 {
                let r = &row[start..];
                let plain = r.iter().step_by(2).filter(|&&v| v as u32 > limit).count() as u64;
                assert_eq!(
                    count_bright(r, 2, limit),
                    plain,
                    "limit {limit}, start {start}"
                );
            }
        }
    }
}
