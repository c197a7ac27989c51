//! The configuration of `freeze` ([`FreezeConfig`]).

use serde::{Deserialize, Serialize};

use super::Freeze;
use crate::detect::check::ConfigCheck;
use crate::detect::one_stream::OnVideo;
use crate::detect::{Detector, DetectorConfig};
use crate::error::Result;

/// Configuration of the [`Freeze`] detector (type `"freeze"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::FreezeConfig};
/// let c: FreezeConfig = serde_json::from_str(r#"{"min_duration": 1.0}"#).unwrap();
/// assert_eq!(c.tolerance, FreezeConfig::default().tolerance);
/// assert!(FreezeConfig { block_size: 0, ..Default::default() }.build("freeze").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreezeConfig {
    /// Seconds the picture must stay frozen before a freeze is reported. Default `0.4`: the
    /// shortest freezes worth reporting last about half a second; at 0.4 s (10 frames at 25 fps)
    /// still camera shots and static graphics have rarely been mistaken for freezes, and a
    /// freeze is reported about 0.4 s after it began.
    pub min_duration: f64,
    /// Seconds of changing picture needed to end a freeze. Default `0.0`: the first new frame
    /// ends it (a changed picture is unambiguous once it passed the noise-adaptive test).
    pub clear_for: f64,
    /// Side of the square blocks compared, in pixels of the analysis picture. Default `16`:
    /// large enough to average encoder noise, small enough that a clock or a ticker fills
    /// whole blocks.
    pub block_size: usize,
    /// Side of the square cells, in pixels, whose mean luma is compared (a block is
    /// `block_size / cell_size` cells across). Default `4`: averaging 4×4 pixels cancels most
    /// film grain and encoder noise, which vary from pixel to pixel, while keeping motion and
    /// fades, which move whole areas.
    pub cell_size: usize,
    /// Read every `sample_step`-th pixel of every `sample_step`-th row of a cell. Default `2`:
    /// a quarter of the pixels gives the same decisions at a quarter of the cost.
    pub sample_step: usize,
    /// Mean absolute difference of a block's cell means (8-bit code values) that still counts
    /// as unchanged, before the noise allowance. Default `4.0`: re-coding a still picture (a new
    /// GOP, quality refinement) moves the worst block by up to about 2–3.5; on the tuning corpus
    /// freezes broke apart below 2.5 and still dark scenes were taken for freezes above 6.
    pub tolerance: f32,
    /// Noise allowance: the worst block may also exceed `tolerance` by this many times the
    /// median block difference to the previous frame. Default `2.0`: with grain or noise spread
    /// evenly the worst block stays within about 1.5× the median, while motion concentrated in
    /// a few blocks exceeds it many times over.
    pub noise_factor: f32,
    /// The worst block may differ from the anchor (the picture before the candidate freeze) by
    /// this many times what it may differ from the previous frame. Default `2.0`: an encoder
    /// keeps refining a still picture, and every GOP re-codes it, so over a long freeze the
    /// picture drifts from its first coding by up to about twice the frame-to-frame change,
    /// while real slow motion accumulates far more within `min_duration`.
    pub anchor_factor: f32,
    /// Largest shift of the median block brightness against the anchor, in code values.
    /// Default `1.0`: noise and grain leave block means in place, while a slow fade or a
    /// smooth picture sliding slowly shifts most blocks the same way, which the noise
    /// allowance alone would take for grain.
    pub drift_tolerance: f32,
    /// Seconds a *held still* (a picture that was cut to and then stayed: a slideshow
    /// picture, a title card; see the module doc) may be held before it is a freeze. A stream
    /// whose first picture is plain (a grey or black slate) and stays is a freeze after
    /// `min_duration`.
    /// Default `10.0`: slideshows and graphics hold pictures for 3–8 s; a still held longer is
    /// reported from `still_hold` on. `0` treats held stills as any other freeze.
    pub still_hold: f64,
}

impl Default for FreezeConfig {
    fn default() -> Self {
        FreezeConfig {
            min_duration: 0.4,
            clear_for: 0.0,
            block_size: 16,
            cell_size: 4,
            sample_step: 2,
            tolerance: 4.0,
            noise_factor: 2.0,
            anchor_factor: 2.0,
            drift_tolerance: 1.0,
            still_hold: 10.0,
        }
    }
}

impl DetectorConfig for FreezeConfig {
    const TYPE: &'static str = "freeze";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.require(
            (1..=256).contains(&self.block_size),
            "block_size",
            "must be between 1 and 256 pixels",
        )?;
        c.require(
            (1..=self.block_size).contains(&self.cell_size),
            "cell_size",
            "must be between 1 and block_size",
        )?;
        c.require(
            (1..=self.cell_size).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and cell_size",
        )?;
        c.require(
            self.tolerance.is_finite() && (0.0..=255.0).contains(&self.tolerance),
            "tolerance",
            "must be between 0 and 255 code values",
        )?;
        c.at_least("noise_factor", self.noise_factor as f64, 0.0)?;
        c.at_least("anchor_factor", self.anchor_factor as f64, 1.0)?;
        c.at_least("drift_tolerance", self.drift_tolerance as f64, 0.0)?;
        c.seconds("still_hold", self.still_hold)?;
        Ok(Box::new(OnVideo::new(name, Freeze::new(self.clone()))))
    }
}
