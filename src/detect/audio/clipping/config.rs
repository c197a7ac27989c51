//! Configuration of the `clipping` detector: its settings, defaults and checks.

use serde::{Deserialize, Serialize};

use super::Clipping;
use crate::detect::check::ConfigCheck;
use crate::detect::one_stream::OnAudio;
use crate::detect::{Detector, DetectorConfig};
use crate::error::Result;

/// Configuration of the [`Clipping`] detector (type `"clipping"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::ClippingConfig};
/// let c: ClippingConfig = serde_json::from_str(r#"{"level": 0.98}"#).unwrap();
/// assert_eq!(c.min_run, ClippingConfig::default().min_run);
/// assert!(ClippingConfig { min_run: 0, ..Default::default() }.build("clipping").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClippingConfig {
    /// A sample is at full scale when `|x| >= level` (full scale = 1.0). Default `0.93`: a signal
    /// hard-clipped at ±1.0 and then coded with AAC decodes with its flat tops at about 0.95
    /// (the codec's smoothing pulls them under full scale, with ripple of a few hundredths).
    pub level: f32,
    /// Shortest run of consecutive samples at full scale that counts as a flat top. Default `3`:
    /// a flat top spans many samples, while an unclipped peak of a mid- or high-frequency sound
    /// stays above the level for only a sample or two.
    pub min_run: usize,
    /// Level (full scale = 1.0, below `level`) bounding the excursion whose shape is judged: the
    /// same-sign stretch with `|x| >= base_level` around a run. Default `0.7`: low enough that
    /// a smooth peak's excursion is clearly wider than its part above `level`, high enough that
    /// a clipped passage's flat tops are not merged with the rest of the waveform.
    pub base_level: f32,
    /// Least share of an excursion's samples at or above `level` for its runs to count as flat
    /// tops. Default `0.6`: a clean sine peaking at up to full scale (any frequency) gives at
    /// most about 0.47, a sine hard-clipped 3 dB over full scale about 0.75 and more when
    /// clipped harder; the ripple a lossy codec leaves on clipped music lowers some of its
    /// excursions under the bar, but enough stay above it to mark every window. `0` turns the
    /// shape test off (every run of `min_run` samples is a flat top).
    pub min_flat_share: f32,
    /// Length of the windows in which runs are counted, in seconds. Default `0.01`.
    pub window: f64,
    /// Windows with flat tops needed, each within `clear_for` of the previous one, before a
    /// passage is reported. Default `3`: one loud peak touches one or two windows; a clipped
    /// passage keeps producing flat tops.
    pub confirm_windows: u32,
    /// Seconds without any flat top that end a clipped passage. Default `0.75`: clipped music
    /// hits its ceiling only at its loudest beats, clipped speech only at its loudest
    /// syllables (0.6 s apart in shouted speech), so one clipped passage is one interval.
    pub clear_for: f64,
    /// Width of the band under the ceiling in which half-wave peaks pile up, in dB. Default
    /// `0.5`: the tops of a clipped passage decoded after AAC or AC-3 stay within about 0.5 dB
    /// of its loudest (overshooting) sample.
    pub pile_band_db: f32,
    /// Least ceiling looked at for piled peaks, in dBFS. Default `-3.0`: the loudest clean
    /// programmes (speech normalised to a peak, limited music) also gather peaks at their own
    /// top level; after a lossy codec, a lightly clipped top cannot be told from such a peak,
    /// so only ceilings near full scale (clipping at 0 or −1 dBFS, say) are looked at.
    pub min_ceiling_db: f32,
    /// Seconds over which the ceiling is the loudest sample (or the next loudest `window`'s,
    /// when the loudest is a single window within `pile_band_db` over it, or within 1.43 dB,
    /// a band-limited step's overshoot, once a later window stayed under it: a codec's
    /// overshoot where a clipped passage starts). Default `2.0`.
    pub ceiling_memory: f64,
    /// Seconds over which piled peaks are counted. Default `0.1`.
    pub pile_window: f64,
    /// Least piled peaks within `pile_window` in one channel. Default `5`: the loudest clean
    /// music of the evaluation (limited to −0.1 dBTP) gathers at most 3 peaks in 0.5 dB of its
    /// ceiling in 0.1 s, clipped speech 6–80. `0` turns the pile-up test off.
    pub min_pile: u32,
    /// Least mean flatness of the piled peaks' half-waves (share of the samples over half the
    /// peak that are over 0.9 of it). Default `0.5`: a steady sine, whose peaks all pile up,
    /// gives 0.43; clipped tops more, even rounded by a codec.
    pub min_pile_flatness: f32,
}

impl Default for ClippingConfig {
    fn default() -> Self {
        ClippingConfig {
            level: 0.93,
            min_run: 3,
            base_level: 0.7,
            min_flat_share: 0.6,
            window: 0.01,
            confirm_windows: 3,
            clear_for: 0.75,
            pile_band_db: 0.5,
            min_ceiling_db: -3.0,
            ceiling_memory: 2.0,
            pile_window: 0.1,
            min_pile: 5,
            min_pile_flatness: 0.5,
        }
    }
}

impl DetectorConfig for ClippingConfig {
    const TYPE: &'static str = "clipping";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        let level = self.level;
        c.require(
            level > 0.0 && level <= 2.0,
            "level",
            "must be in (0, 2] (full scale = 1.0)",
        )?;
        let run_ok = (1..=10_000).contains(&self.min_run);
        c.require(run_ok, "min_run", "must be between 1 and 10000 samples")?;
        let base_ok = self.base_level >= 0.0 && self.base_level < level;
        c.require(base_ok, "base_level", "must be >= 0 and below `level`")?;
        let share_ok = (0.0..=1.0).contains(&self.min_flat_share);
        c.require(share_ok, "min_flat_share", "must be between 0 and 1")?;
        let window_ok = self.window.is_finite() && self.window > 0.0 && self.window <= 1.0;
        c.require(window_ok, "window", "must be between 0 and 1 second")?;
        c.require(
            self.confirm_windows > 0,
            "confirm_windows",
            "must be at least 1",
        )?;
        c.seconds("clear_for", self.clear_for)?;
        let band_ok = self.pile_band_db > 0.0 && self.pile_band_db <= 6.0;
        c.require(band_ok, "pile_band_db", "must be in (0, 6] dB")?;
        let ceiling_ok = self.min_ceiling_db >= -40.0 && self.min_ceiling_db <= 6.0;
        c.require(
            ceiling_ok,
            "min_ceiling_db",
            "must be between -40 and 6 dBFS",
        )?;
        let memory_ok = self.ceiling_memory >= self.window && self.ceiling_memory <= 60.0;
        c.require(
            memory_ok,
            "ceiling_memory",
            "must be between `window` and 60 seconds",
        )?;
        let pile_ok = self.pile_window >= self.window && self.pile_window <= 10.0;
        c.require(
            pile_ok,
            "pile_window",
            "must be between `window` and 10 seconds",
        )?;
        let flat_ok = (0.0..=1.0).contains(&self.min_pile_flatness);
        c.require(flat_ok, "min_pile_flatness", "must be between 0 and 1")?;
        Ok(Box::new(OnAudio::new(name, Clipping::new(self.clone()))))
    }
}
