//! The configuration of `stutter` ([`StutterConfig`]) and the check of its values.

use serde::{Deserialize, Serialize};

use super::holds::HISTORY;
use crate::detect::check::ConfigCheck;
use crate::error::Result;

/// Configuration of the [`Stutter`](super::Stutter) detector (type `"stutter"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::StutterConfig};
/// let c: StutterConfig = serde_json::from_str(r#"{"merge_gap": 1.0}"#).unwrap();
/// assert_eq!(c.min_motion, StutterConfig::default().min_motion);
/// assert!(StutterConfig { cell_size: 0, ..Default::default() }.build("stutter").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StutterConfig {
    /// Stuttering pictures less than this many seconds apart make one interval. Default `0.5`.
    pub merge_gap: f64,
    /// A picture held this many seconds or longer is not a stutter (it is a freeze, or a still
    /// scene). Default `0.3`: below `freeze`'s 0.4 s minimum.
    pub max_duration: f64,
    /// Seconds watched (at the start and after a discontinuity) before repeats are judged, to
    /// learn the stream's cadence. Default `3.0`: long enough to see 3 repeats of a 24 → 25 fps
    /// conversion (one repeat a second).
    pub learn_for: f64,
    /// Pictures held as long or longer among the last 160 (about 6 s) that make a hold the
    /// stream's regular cadence, at the least. Default `3`.
    pub cadence_min: usize,
    /// Side of the square cells, in pixels, whose mean luma is compared. Default `8`.
    pub cell_size: usize,
    /// Read every `sample_step`-th pixel of every `sample_step`-th row of a cell. Default `4`:
    /// a repeated picture differs from the previous one by encoder noise only, a moving one by
    /// far more, so a sixteenth of the pixels decides as well as all of them.
    pub sample_step: usize,
    /// Side of the square blocks whose cell differences are averaged, in pixels. Default `16`.
    pub block_size: usize,
    /// Largest block change (mean absolute difference of cell means, 8-bit code values) of a
    /// repeated picture, before the noise allowance. Default `6.0`: a duplicated frame coded as
    /// a skipped P-frame changes by well under 1, but a heavily compressed stream re-codes it
    /// with residual that moved the worst block by up to about 5 in the fixtures; the motion
    /// test (`min_motion`, `motion_ratio`) keeps slow motion from counting as a repeat.
    pub tolerance: f32,
    /// Noise allowance: the worst block may also exceed `tolerance` by this many times the
    /// median block change. Default `2.0` (as in `freeze`).
    pub noise_factor: f32,
    /// Smallest worst-block change of the steps into and out of a repeated picture for the
    /// scene to count as moving. Default `10.0`: well above re-coding noise, below the change of
    /// any visible motion.
    pub min_motion: f32,
    /// The steps into and out of a repeated picture must also change the worst block this many
    /// times more than the repeats did. Default `4.0`.
    pub motion_ratio: f32,
    /// Smallest spatial contrast of a held picture for it to be judged: the mean absolute
    /// deviation of its cell means from their mean, in code values. Default `3.0`: a black or
    /// plain picture (the bottom of a fade through black, a slate) looks the same whether it
    /// is shown once or twice, while any scene with visible content measures 10 or more.
    pub min_contrast: f32,
}

impl Default for StutterConfig {
    fn default() -> Self {
        StutterConfig {
            merge_gap: 0.5,
            max_duration: 0.3,
            learn_for: 3.0,
            cadence_min: 3,
            cell_size: 8,
            sample_step: 4,
            block_size: 16,
            tolerance: 6.0,
            noise_factor: 2.0,
            min_motion: 10.0,
            motion_ratio: 4.0,
            min_contrast: 3.0,
        }
    }
}

impl StutterConfig {
    /// Checks the values (`c` names the detector in the errors).
    pub(super) fn check(&self, c: &ConfigCheck) -> Result<()> {
        c.seconds("merge_gap", self.merge_gap)?;
        c.positive_seconds("max_duration", self.max_duration)?;
        c.seconds("learn_for", self.learn_for)?;
        c.require(
            (2..=HISTORY).contains(&self.cadence_min),
            "cadence_min",
            "must be between 2 and 160 pictures",
        )?;
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
        c.require(
            self.min_motion.is_finite() && (0.0..=255.0).contains(&self.min_motion),
            "min_motion",
            "must be between 0 and 255 code values",
        )?;
        c.at_least("motion_ratio", self.motion_ratio as f64, 1.0)?;
        c.require(
            self.min_contrast.is_finite() && (0.0..=255.0).contains(&self.min_contrast),
            "min_contrast",
            "must be between 0 and 255 code values",
        )?;
        Ok(())
    }
}
