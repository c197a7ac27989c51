//! `blockiness`: how blocky the picture is, as a steady compression-quality metric, and
//! `video_blockiness` when it stays heavily blocky.
//!
//! **The measure** is the block-edge measure of `crate::detect::measure::block_edge`: per
//! picture, the blockiness index (steps on the 8- or 16-pixel block grid against steps
//! half-way between its lines, ≈ 1 for natural content) and the share of blocks that are
//! blocky, with step excesses over 48 code values (graphic edges) left out.
//!
//! **The detector.** Every second it reports the mean `ratio` of that second as the metric
//! `blockiness` and the mean blocky share as `blocky_share`; while both stay at or above
//! `threshold` and `min_share` for `min_duration` seconds it reports `video_blockiness` (with
//! the mean ratio and blocky share in `details`). Graphics drawn on the 8-pixel grid (test
//! patterns, slides) raise the ratio too, but only along their outlines: the share tells them
//! from coding blocks, which show all over the picture.

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::block_edge::BlockMeasure;
use crate::detect::measure::round::round3;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, VideoFrame};

/// Configuration of the [`Blockiness`] detector (type `"blockiness"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::BlockinessConfig};
/// let c: BlockinessConfig = serde_json::from_str(r#"{"threshold": 2.0}"#).unwrap();
/// assert_eq!(c.min_duration, BlockinessConfig::default().min_duration);
/// assert!(BlockinessConfig { threshold: 0.5, ..Default::default() }.build("b").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockinessConfig {
    /// Mean blockiness index (grid steps over in-between steps, ≈ 1 for natural content; steps
    /// over 48 code values, graphic edges, left out) of a second at or above which that second
    /// is heavily blocky, if `min_share` of the blocks are blocky too. Default `1.16`: the
    /// heavily compressed `carphone_distorted` measures 1.18–1.28 per second, its pristine
    /// source 0.92–0.97, the clean corpus coding of the same footage 1.04–1.14; synthetic
    /// pictures drawn on an 8-pixel grid (test patterns, slides, fades of them) up to 1.61,
    /// but with few blocky blocks (`scripts/eval-blockiness.sh`).
    pub threshold: f64,
    /// Mean share of the blocks (0–1) that are blocky (grid step ≥ 2 code values and twice the
    /// in-between step) in a second, at or above which that second can be heavily blocky.
    /// Default `0.1`: coding blockiness shows at block edges all over the picture
    /// (`carphone_distorted` 0.13–0.14), graphic edges on the grid only along their outlines
    /// (test patterns, slides, letterboxed MPEG-2 of both corpus draws: at most 0.09).
    pub min_share: f64,
    /// Seconds the picture must stay heavily blocky before `video_blockiness` is reported.
    /// Default `2.0`: a sustained quality problem, not a scene that briefly starves the encoder.
    pub min_duration: f64,
    /// Seconds below the threshold needed to end the defect. Default `1.0` (one metric period).
    pub clear_for: f64,
    /// Seconds between `blockiness` metrics. Default `1.0`.
    pub period: f64,
    /// Read every `sample_step`-th row along the vertical block grid lines (horizontal lines
    /// are read in full, which vectorises). Default `4`: two rows of every 8×8 block.
    pub sample_step: usize,
}

impl Default for BlockinessConfig {
    fn default() -> Self {
        BlockinessConfig {
            threshold: 1.16,
            min_share: 0.1,
            min_duration: 2.0,
            clear_for: 1.0,
            period: 1.0,
            sample_step: 4,
        }
    }
}

impl DetectorConfig for BlockinessConfig {
    const TYPE: &'static str = "blockiness";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.at_least("threshold", self.threshold, 1.0)?;
        c.require(
            self.min_share.is_finite() && (0.0..=1.0).contains(&self.min_share),
            "min_share",
            "must be between 0 and 1",
        )?;
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.positive_seconds("period", self.period)?;
        c.require(
            (1..=8).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 8",
        )?;
        Ok(Box::new(OnVideo::new(name, Blockiness::new(self.clone()))))
    }
}

/// Measures blockiness every second (metric `blockiness`) and reports `video_blockiness` while it
/// stays high. Built from a [`BlockinessConfig`].
pub struct Blockiness {
    cfg: BlockinessConfig,
    measure: BlockMeasure,
    tracker: SpanTracker,
    /// Start of the current metric period and its sums.
    period_start: Option<MediaTime>,
    sum_ratio: f64,
    sum_share: f64,
    frames: u32,
    /// Last period's means (for details).
    last_ratio: f64,
    last_share: f64,
}

impl Blockiness {
    /// A blockiness detector named `name`. Prefer [`BlockinessConfig::build`], which checks the
    /// values.
    pub fn new(cfg: BlockinessConfig) -> Self {
        Blockiness {
            measure: BlockMeasure::new(cfg.sample_step, 2.0, 2.0)
                .in_phases(2)
                .leaving_out_graphics()
                .with_shares(),
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            cfg,
            period_start: None,
            sum_ratio: 0.0,
            sum_share: 0.0,
            frames: 0,
            last_ratio: 0.0,
            last_share: 0.0,
        }
    }

    fn emit(&self, c: Option<SpanChange>, at: MediaTime, out: &mut Events) {
        if let Some(c) = c {
            let mut d = Details::new();
            d.insert("blockiness".into(), json!(round3(self.last_ratio)));
            d.insert("blocky_share".into(), json!(round3(self.last_share)));
            out.span(&DefectKind::VIDEO_BLOCKINESS, c, at, d);
        }
    }

    /// Ends the current period at `end`: metric and verdict.
    fn flush(&mut self, end: MediaTime, out: &mut Events) {
        let Some(start) = self.period_start.take() else {
            return;
        };
        if self.frames == 0 {
            return;
        }
        self.last_ratio = self.sum_ratio / self.frames as f64;
        self.last_share = self.sum_share / self.frames as f64;
        out.metric("blockiness", round3(self.last_ratio), start);
        out.metric("blocky_share", round3(self.last_share), start);
        let blocky = self.last_ratio >= self.cfg.threshold && self.last_share >= self.cfg.min_share;
        let c = self.tracker.observe(blocky, start, end);
        self.emit(c, end, out);
        self.sum_ratio = 0.0;
        self.sum_share = 0.0;
        self.frames = 0;
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        self.flush(at, out);
        let c = self.tracker.close();
        self.emit(c, at, out);
    }
}

impl VideoDetector for Blockiness {
    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        if let Some(s) = self.period_start {
            if t.secs_since(s) >= self.cfg.period - 1e-6 || t < s {
                self.flush(t, out);
            }
        }
        self.period_start.get_or_insert(t);
        let s = self.measure.measure(frame.analysis().luma());
        self.sum_ratio += s.ratio as f64;
        self.sum_share += s.share as f64;
        self.frames += 1;
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
