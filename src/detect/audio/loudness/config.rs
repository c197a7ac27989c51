//! [`LoudnessConfig`] and the delivery presets.

use serde::{Deserialize, Serialize};

use super::Loudness;
use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig};
use crate::error::Result;

/// A loudness delivery specification: a target and a tolerance.
///
/// ```
/// use avqc::detect::audio::LoudnessPreset;
/// assert_eq!(LoudnessPreset::EbuR128.target(), -23.0);
/// assert_eq!(LoudnessPreset::AtscA85.tolerance(), 2.0);
/// let p: LoudnessPreset = serde_json::from_str(r#""streaming_16""#).unwrap();
/// assert_eq!(p.target(), -16.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoudnessPreset {
    /// `"ebu_r128"`: EBU R 128 broadcast, −23 LUFS ± 1 LU.
    #[serde(rename = "ebu_r128")]
    EbuR128,
    /// `"atsc_a85"`: ATSC A/85 (US broadcast), −24 LKFS ± 2 dB.
    #[serde(rename = "atsc_a85")]
    AtscA85,
    /// `"streaming_14"`: streaming music services' −14 LUFS, ± 1 LU.
    #[serde(rename = "streaming_14")]
    Streaming14,
    /// `"streaming_16"`: streaming services' −16 LUFS (e.g. podcasts, some video platforms),
    /// ± 1 LU.
    #[serde(rename = "streaming_16")]
    Streaming16,
}

impl LoudnessPreset {
    /// Target loudness, LUFS (LKFS and LUFS are the same unit).
    pub fn target(self) -> f64 {
        match self {
            LoudnessPreset::EbuR128 => -23.0,
            LoudnessPreset::AtscA85 => -24.0,
            LoudnessPreset::Streaming14 => -14.0,
            LoudnessPreset::Streaming16 => -16.0,
        }
    }

    /// Allowed deviation from the target, LU.
    pub fn tolerance(self) -> f64 {
        match self {
            LoudnessPreset::AtscA85 => 2.0,
            _ => 1.0,
        }
    }
}

/// Which loudness `loudness_out_of_range` judges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoudnessMeasure {
    /// `"short_term"`: the 3 s short-term loudness, every 100 ms (a mis-levelled item, an
    /// advert much louder than the programme).
    #[default]
    ShortTerm,
    /// `"integrated"`: the gated integrated loudness since the start (the programme as a whole
    /// misses its delivery target).
    Integrated,
}

/// Configuration of the [`Loudness`] detector (type `"loudness"`).
///
/// The measurement (metrics `momentary_lufs`, `short_term_lufs`, `integrated_lufs`, `lra_lu`,
/// `true_peak_dbtp`) and the true-peak check always run. `loudness_out_of_range` needs a
/// target — a `preset` or a `target` — and is off by default: the right target depends on
/// where the sound is delivered (broadcast −23 or −24, streaming −14 or −16), and a wrong one
/// flags most programme sound (the music beds of the evaluation corpus sit at about −20 LUFS,
/// 3 LU over EBU R 128, well within what web delivery expects).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::{LoudnessConfig, LoudnessPreset}};
/// let c: LoudnessConfig = serde_json::from_str(r#"{"preset": "ebu_r128", "min_duration": 5.0}"#).unwrap();
/// assert_eq!(c.preset, Some(LoudnessPreset::EbuR128));
/// assert_eq!(c.true_peak_max, LoudnessConfig::default().true_peak_max);
/// assert!(LoudnessConfig { tolerance: Some(1.0), ..Default::default() }.build("loudness").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoudnessConfig {
    /// Delivery preset for `loudness_out_of_range`: `"ebu_r128"`, `"atsc_a85"`,
    /// `"streaming_14"` or `"streaming_16"` (see [`LoudnessPreset`]). Default `null`: no target,
    /// so no `loudness_out_of_range` (see above for why).
    pub preset: Option<LoudnessPreset>,
    /// Target loudness in LUFS, overriding the preset's (or, without a preset, turning the
    /// check on with a tolerance of 1 LU). Default `null`.
    pub target: Option<f64>,
    /// Allowed deviation from the target in LU, overriding the preset's. Default `null`: the
    /// preset's, or 1 LU with a bare `target`.
    pub tolerance: Option<f64>,
    /// Which loudness is judged: `"short_term"` or `"integrated"`. Default `"short_term"`.
    pub measure: LoudnessMeasure,
    /// Seconds out of range before `loudness_out_of_range` is reported. Default `10.0`:
    /// programme sound swings by several LU over a few seconds (a loud chorus, a quiet line of
    /// dialogue) and the short-term window already spans 3 s; a mis-levelled item (an advert,
    /// a wrongly normalised clip) lasts tens of seconds.
    pub min_duration: f64,
    /// Seconds back in range that end a `loudness_out_of_range`. Default `2.0`: a short-term
    /// value hovering at the limit does not split one interval into many.
    pub clear_for: f64,
    /// True-peak ceiling in dBTP; a true peak above it is an `audio_true_peak`. Default `-1.0`
    /// (EBU R 128's maximum true-peak level; the streaming services ask for −1 too; ATSC A/85
    /// allows −2). `null` turns the check off.
    pub true_peak_max: Option<f64>,
    /// Seconds without a true peak over the ceiling that end an `audio_true_peak`. Default
    /// `1.0`: the overs of one loud passage come in bursts (one per beat) and are one interval.
    pub true_peak_clear_for: f64,
    /// Seconds between metric reports. Default `1.0`. Rounded to whole 100 ms blocks; `0`
    /// reports only at the end of the stream (and at a format change).
    pub period: f64,
}

impl Default for LoudnessConfig {
    fn default() -> Self {
        LoudnessConfig {
            preset: None,
            target: None,
            tolerance: None,
            measure: LoudnessMeasure::ShortTerm,
            min_duration: 10.0,
            clear_for: 2.0,
            true_peak_max: Some(-1.0),
            true_peak_clear_for: 1.0,
            period: 1.0,
        }
    }
}

impl LoudnessConfig {
    /// The target and tolerance judged, if any: `target`/`tolerance` over the preset's.
    pub fn range(&self) -> Option<(f64, f64)> {
        let target = self.target.or(self.preset.map(LoudnessPreset::target))?;
        let tolerance = self
            .tolerance
            .or(self.preset.map(LoudnessPreset::tolerance))
            .unwrap_or(1.0);
        Some((target, tolerance))
    }
}

impl DetectorConfig for LoudnessConfig {
    const TYPE: &'static str = "loudness";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        if let Some(t) = self.target {
            c.require(
                t.is_finite() && (-70.0..=0.0).contains(&t),
                "target",
                "must be a loudness between -70 and 0 LUFS",
            )?;
        }
        if let Some(t) = self.tolerance {
            c.require(
                t.is_finite() && t > 0.0 && t <= 20.0,
                "tolerance",
                "must be between 0 and 20 LU",
            )?;
            c.require(
                self.target.is_some() || self.preset.is_some(),
                "tolerance",
                "needs a `target` or a `preset`",
            )?;
        }
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        if let Some(p) = self.true_peak_max {
            c.require(
                p.is_finite() && (-40.0..=20.0).contains(&p),
                "true_peak_max",
                "must be between -40 and 20 dBTP",
            )?;
        }
        c.seconds("true_peak_clear_for", self.true_peak_clear_for)?;
        c.require(
            self.period == 0.0
                || (self.period.is_finite() && (0.1..=3600.0).contains(&self.period)),
            "period",
            "must be 0 (only at the end) or between 0.1 and 3600 seconds",
        )?;
        Ok(Box::new(crate::detect::OnAudio::new(
            name,
            Loudness::new(self.clone()),
        )))
    }
}
