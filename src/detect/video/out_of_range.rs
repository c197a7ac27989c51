//! `out_of_range`: too much of the picture lies outside the broadcast-legal range
//! (`video_out_of_range`).
//!
//! In limited ("TV") range, legal 8-bit luma is 16–235 and chroma 16–240; values beyond are
//! super-black/super-white or illegal colours that a broadcast chain clips (FFmpeg's
//! `signalstats` counts them as BRNG). A frame is out of range when the share of sampled luma
//! samples beyond the limits (plus `tolerance` code values for the overshoot of codec ringing
//! at sharp edges) exceeds `max_share`, or the share of chroma samples beyond theirs (plus
//! `chroma_tolerance`) exceeds `chroma_max_share`; a defect is reported when frames stay out
//! of range for `min_duration`. The details carry the worst frame's shares.
//!
//! Chroma gets more room because lossy coding overshoots there most: FFmpeg's `testsrc2`
//! pattern is legal (luma 22–210) but its saturated colours sit exactly on the chroma limits
//! (16 and 240), and after H.264 coding up to 2.5 % of the chroma samples of the corpus's
//! testsrc2 clips, and 3 % of a 160x90 CRF 34 encode, lie a few code values beyond them. That
//! is codec ringing, not a signal fault; real faults (super-white titles, full-range video
//! labelled limited, over-saturated graphics) go far beyond the limits over large areas.
//!
//! Full-range ([`ColorRange::Full`](crate::ColorRange::Full)) pictures are legal by definition
//! and skipped; unsignalled range counts as limited, its documented meaning.
//!
//! Every `sample_step`-th row of each plane is read whole (contiguous bytes, which the compiler
//! vectorizes), so the cost stays far below the decode's.

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::measure::survey;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{ColorRange, MediaTime, Needs, PixelFormat, VideoFrame};

/// Configuration of the [`OutOfRange`] detector (type `"out_of_range"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::OutOfRangeConfig};
/// let c: OutOfRangeConfig = serde_json::from_str(r#"{"max_share": 0.05}"#).unwrap();
/// assert_eq!(c.min_duration, OutOfRangeConfig::default().min_duration);
/// assert!(OutOfRangeConfig { max_share: 2.0, ..Default::default() }.build("r").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutOfRangeConfig {
    /// Share of luma samples, or of chroma samples, outside the legal range (beyond the
    /// tolerance) above which a frame is out of range. Default `0.01`: EBU R 103 accepts
    /// out-of-gamut signals on up to 1 % of the picture area.
    pub max_share: f64,
    /// Luma code values beyond the legal limits still accepted (16 − t … 235 + t). Default
    /// `4`: codec ringing at sharp edges overshoots by a few code values; super-white or
    /// super-black content, or a wrong range conversion, goes far beyond. `0` counts exactly
    /// like FFmpeg's BRNG. At most 15.
    pub tolerance: u8,
    /// Share of chroma samples outside the legal range (beyond `chroma_tolerance`) above which
    /// a frame is out of range. Default `0.05`: see the module notes on chroma overshoot.
    pub chroma_max_share: f64,
    /// Chroma code values beyond the legal limits still accepted (16 − t … 240 + t). Default
    /// `8` (at most 15).
    pub chroma_tolerance: u8,
    /// Seconds frames must stay out of range before it is reported. Default `1.0`: a flash or a
    /// few frames of a sharp overshooting title are not a signal fault.
    pub min_duration: f64,
    /// Seconds of legal picture needed to end an interval. Default `0.5`.
    pub clear_for: f64,
    /// Check the chroma planes too. Default `true`.
    pub chroma: bool,
    /// Read every `sample_step`-th row of each plane (all of it). Default `8`: at 720p still
    /// 115,000 luma samples per picture, plenty to tell a 1 % share.
    pub sample_step: usize,
}

impl Default for OutOfRangeConfig {
    fn default() -> Self {
        OutOfRangeConfig {
            max_share: 0.01,
            tolerance: 4,
            chroma_max_share: 0.05,
            chroma_tolerance: 8,
            min_duration: 1.0,
            clear_for: 0.5,
            chroma: true,
            sample_step: 8,
        }
    }
}

impl DetectorConfig for OutOfRangeConfig {
    const TYPE: &'static str = "out_of_range";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.max_share.is_finite() && self.max_share >= 0.0 && self.max_share < 1.0,
            "max_share",
            "must be in [0, 1)",
        )?;
        c.require(self.tolerance <= 15, "tolerance", "must be at most 15")?;
        c.require(
            self.chroma_max_share.is_finite()
                && self.chroma_max_share >= 0.0
                && self.chroma_max_share < 1.0,
            "chroma_max_share",
            "must be in [0, 1)",
        )?;
        c.require(
            self.chroma_tolerance <= 15,
            "chroma_tolerance",
            "must be at most 15",
        )?;
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.require(
            (1..=64).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 64",
        )?;
        Ok(Box::new(OnVideo::new(name, OutOfRange::new(self.clone()))))
    }
}

/// Shares of one frame's samples outside the legal range.
#[derive(Clone, Copy, Debug, Default)]
struct Shares {
    luma: f64,
    chroma: f64,
}

impl Shares {
    fn worst(&self) -> f64 {
        self.luma.max(self.chroma)
    }
}

/// Detects pictures outside the broadcast-legal range: reports `video_out_of_range` with the
/// worst frame's shares in its details. Built from an [`OutOfRangeConfig`].
pub struct OutOfRange {
    cfg: OutOfRangeConfig,
    tracker: SpanTracker,
    clock: FrameClock,
    worst: Shares,
    frames: u64,
}

impl OutOfRange {
    /// An out-of-range detector named `name`. Prefer [`OutOfRangeConfig::build`], which checks
    /// the values.
    pub fn new(cfg: OutOfRangeConfig) -> Self {
        OutOfRange {
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            cfg,
            clock: FrameClock::default(),
            worst: Shares::default(),
            frames: 0,
        }
    }

    fn shares(&self, f: &VideoFrame) -> Shares {
        let t = self.cfg.tolerance;
        let step = self.cfg.sample_step;
        // Luma is read with the other detectors' samples of the picture.
        let (bad, n) = survey::outside_luma(f, step, 16 - t, 235 + t);
        let luma = bad as f64 / n.max(1) as f64;
        let mut chroma = 0.0;
        // Gray has no chroma; NV12's interleaved UV plane is read like the others.
        if self.cfg.chroma && f.format() != PixelFormat::Gray8 {
            let (mut bad, mut n) = (0, 0);
            for i in 1..f.format().plane_count() {
                if let Some(p) = f.plane(i) {
                    let ct = self.cfg.chroma_tolerance;
                    let range = (16 - ct, 240 + ct);
                    let (b, m) = survey::outside_rows(p, 0..p.height(), step, range, true);
                    bad += b;
                    n += m;
                }
            }
            chroma = bad as f64 / n.max(1) as f64;
        }
        Shares { luma, chroma }
    }

    fn details(&self) -> Details {
        let r = |v: f64| (v * 10_000.0).round() / 10_000.0;
        let mut d = Details::new();
        d.insert("share".into(), json!(r(self.worst.worst())));
        d.insert("luma_share".into(), json!(r(self.worst.luma)));
        d.insert("chroma_share".into(), json!(r(self.worst.chroma)));
        d.insert("frames".into(), json!(self.frames));
        d
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::VIDEO_OUT_OF_RANGE, c, at, self.details());
        }
        self.frames = 0;
    }
}

impl VideoDetector for OutOfRange {
    fn needs(&self) -> Needs {
        // shares of levels over a second or more
        Needs {
            every_frame: false,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        let bad = if frame.range() == ColorRange::Full {
            false
        } else {
            let s = self.shares(frame);
            let bad = s.luma > self.cfg.max_share || s.chroma > self.cfg.chroma_max_share;
            if bad {
                if self.frames == 0 {
                    self.worst = Shares::default();
                }
                self.frames += 1;
                if s.worst() > self.worst.worst() {
                    self.worst = s;
                }
            } else if !self.tracker.is_open() {
                self.frames = 0;
            }
            bad
        };
        if let Some(c) = self.tracker.observe(bad, t, until) {
            out.span(&DefectKind::VIDEO_OUT_OF_RANGE, c, t, self.details());
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
