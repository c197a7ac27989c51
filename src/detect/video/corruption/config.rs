//! The configuration of the `corruption` detector.

use serde::{Deserialize, Serialize};

use super::Corruption;
use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig};
use crate::error::Result;

/// Configuration of the [`Corruption`] detector (type `"corruption"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::CorruptionConfig};
/// let c: CorruptionConfig = serde_json::from_str(r#"{"ratio_factor": 1.5}"#).unwrap();
/// assert!(c.decoder);
/// assert!(CorruptionConfig { ratio_factor: 0.5, ..Default::default() }.build("c").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorruptionConfig {
    /// Use the decoder's damage signals (as `decode_errors` does). Default `true`.
    pub decoder: bool,
    /// Use the picture content (sudden blockiness). Default `true`.
    pub content: bool,
    /// As `decode_errors`' `max_recovery`: seconds after the last decoder-reported damage that it
    /// is assumed to stay on screen without a clean key frame. Default `10.0`.
    pub max_recovery: f64,
    /// As `decode_errors`' `notices`: decoder notices count as damage. Default `true`.
    pub notices: bool,
    /// Damage episodes separated by less than this many seconds are one interval. Default `0.5`.
    pub merge_gap: f64,
    /// A picture is damaged when its blockiness index on the 8- or the 16-pixel grid exceeds
    /// the stream's baseline on that grid by this factor (and by `spread_factor`). Default
    /// `1.3`: spliced-in starved encodes raise the index of their grid 1.25–1.67× (mostly
    /// above 1.35×); on both corpus draws no undamaged picture triggered down to 1.2 with a
    /// `spread_factor` of 2.5 or 4 (measured), nor at 1.3 with 3–4.
    pub ratio_factor: f64,
    /// A picture is also not damaged unless its index exceeds the baseline by this many times
    /// the index's usual deviation (running mean absolute deviation of its logarithm): a
    /// stream whose index swings widely (small synthetic pictures with moving graphics) needs a
    /// larger rise. Default `3.5`: on the tuning corpora 2.5–4 gave no false alarms and caught
    /// every splice; 2 fired on a small testsrc2 picture, 5 missed a splice.
    pub spread_factor: f64,
    /// Time constant of the baseline, in seconds. Default `4.0`: follows scene changes within a
    /// few seconds, while a damage episode of a second or two barely moves it (damaged pictures
    /// are learnt ten times slower).
    pub adapt: f64,
    /// Seconds learnt before the content signal may fire. Default `1.0` (25–30 pictures).
    pub warmup: f64,
    /// Seconds the content signal must hold before it counts. Default `0.3`: a single blocky
    /// key frame after a scene cut is not damage.
    pub min_duration: f64,
    /// Read every `sample_step`-th row along the vertical block grid lines (horizontal lines are
    /// read in full, which vectorises). Default `4`: two rows of every 8×8 block; the same
    /// verdicts on the tuning corpus as `2` at two thirds of the cost.
    pub sample_step: usize,
    /// The content measure reads one band of 16 rows in `band_phases` per picture, each in
    /// turn, and judges the sums of the last `band_phases` pictures together. Default `4`:
    /// a quarter of the cost; damage spans several pictures (until the next clean key frame)
    /// and must hold `min_duration` anyway, and on both corpus draws 4 gave the same verdicts
    /// as 2 (F1 1.00, no false alarm). The end of content damage may be reported up to
    /// `band_phases - 1` pictures late. `1` reads every band of every picture.
    pub band_phases: usize,
    /// Also look for block damage no decoder reports as sharp steps on the 8-pixel block grid
    /// (see the module docs: HEVC bit flips). Default `true`: on the real-content evaluation
    /// it raised the F1 of HEVC damage (seed 7 0.71 → 0.90) with no clean clip alarmed. It
    /// costs about 3 % of the decode of a 720p H.264 picture (9.2 % with it against 6.3 %
    /// without, `benches/detector_share.sh corruption`).
    pub grid_steps: bool,
}

impl Default for CorruptionConfig {
    fn default() -> Self {
        CorruptionConfig {
            decoder: true,
            content: true,
            max_recovery: 10.0,
            notices: true,
            merge_gap: 0.5,
            ratio_factor: 1.3,
            spread_factor: 3.5,
            adapt: 4.0,
            warmup: 1.0,
            min_duration: 0.3,
            sample_step: 4,
            band_phases: 4,
            grid_steps: true,
        }
    }
}

impl DetectorConfig for CorruptionConfig {
    const TYPE: &'static str = "corruption";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.positive_seconds("max_recovery", self.max_recovery)?;
        c.seconds("merge_gap", self.merge_gap)?;
        c.at_least("ratio_factor", self.ratio_factor, 1.0)?;
        c.at_least("spread_factor", self.spread_factor, 0.0)?;
        c.positive_seconds("adapt", self.adapt)?;
        c.seconds("warmup", self.warmup)?;
        c.seconds("min_duration", self.min_duration)?;
        c.require(
            (1..=8).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 8",
        )?;
        c.require(
            (1..=16).contains(&self.band_phases),
            "band_phases",
            "must be between 1 and 16",
        )?;
        Ok(Box::new(Corruption::new(name, self.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_steps_are_on_by_default() {
        assert!(CorruptionConfig::default().grid_steps);
        assert!(CorruptionConfig::default().build("c").is_ok());
    }
}
