//! The [`ClickConfig`] of the `click` detector: its settings, defaults and checks.

use serde::{Deserialize, Serialize};

use super::{Click, MAX_ORDER};
use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig};
use crate::error::Result;

/// Configuration of the [`Click`] detector (type `"click"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::ClickConfig};
/// let c: ClickConfig = serde_json::from_str(r#"{"min_level_db": -26.0}"#).unwrap();
/// assert_eq!(c.ratio, ClickConfig::default().ratio);
/// assert!(ClickConfig { order: 1, ..Default::default() }.build("click").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClickConfig {
    /// A residual sample this many times the local residual level opens a candidate. Default
    /// `60`: clicks of the evaluation corpus (0.3–0.9 full scale, after AAC) stand 100–2000×
    /// above the residual of music and tones around them; glottal pulses of voiced speech,
    /// hi-hats and plucked notes mostly stay under 60, and whatever passes is judged by the
    /// shape tests. A run of samples over 0.33 of it opens a faint candidate, a click only when
    /// compact (see the `click` module).
    pub ratio: f64,
    /// Least energy of a click, as the level (dBFS) of a single sample of the same energy.
    /// Default `-20.0`: the corpus's clicks (0.3–0.9 full scale, 1–5 samples) measure −14 to
    /// −3 dB after AAC or AC-3 (MP2 at 192 kb/s removes more of their top octave: −20 to
    /// −14 dB); the short impacts of real film sound (foley in the Big Buck Bunny soundtrack)
    /// measure −21 dB and below and are programme, not defects.
    pub min_level_db: f64,
    /// Longest excess that is a click, in seconds. Default `0.006`: a click of 1–5 samples
    /// stays a few samples long in PCM, but AAC spreads it over its 5.3 ms short block (4.8 ms
    /// measured); percussive sounds and onsets keep the residual high for 8 ms and more. The
    /// duration holds at 48 kHz; at a lower rate the excess may last as many samples (a
    /// codec's block is a number of samples: 9 ms at 32 kHz).
    pub max_duration: f64,
    /// Largest change of the programme's level from before a click to after it, in dB, over
    /// 6–30 ms or 10–60 ms on each side (whichever changed less). Default `4.0`: an added click
    /// leaves the sound around it as it was, and music's own level (partials beating) moves by
    /// more than 4 dB between such windows at 0.1 % of places in the corpus's music; onsets of
    /// notes and drums change it by 10 dB and more, the impacts in the real film soundtrack by
    /// 7 dB and more, cuts between different sounds usually by more.
    pub max_level_change_db: f64,
    /// Largest level change (as for `max_level_change_db`) allowed to a click whose residual
    /// peak is at least 5 times the programme's RMS around it. Default `12.0`: such a click,
    /// spread by a lossy codec over its transform block, raises the level it is measured
    /// against, and speech's level moves by up to 10 dB between such windows; the clicks of
    /// the real-content evaluation in speech stand 5–20 times over it, while the programme's
    /// own impulses that change the level this much (plosives, impacts) are far weaker. The
    /// same allowance goes to an impulse on one channel only of a programme that the channels
    /// carry alike (mono sent as stereo): the programme's own transients are in every channel,
    /// and to a sharp (broadband) impulse that stands 46 dB or more over the residual's median
    /// both before and after it (a click on a voice getting louder).
    pub max_level_change_loud_db: f64,
    /// Largest rise of the residual's median level after a click over its level before, in dB.
    /// Default `8.0`: a codec stirs up noise around a click for longer than the click itself
    /// (a few dB in music), while a new sound that the old predictor does not know raises it
    /// 10–40 dB. After a compact excess (sharp, at most 1.25 ms) 14 dB is allowed: a click on
    /// the start of a new sound.
    pub max_residual_rise_db: f64,
    /// Largest fall of the residual's median level after a click, in dB. Default `6.0`: sound
    /// that stops or drops (a cut to silence) is not a click. After a compact excess 12 dB is
    /// allowed: a click on music's decaying sound.
    pub max_residual_fall_db: f64,
    /// Largest share of the 40 ms after a click taken by other excess: stretches longer than
    /// `max_duration`, or with a peak under a quarter of the click's (except, after a sharp
    /// click, short ones ending within 8 ms after its excess: the codec's smear of it).
    /// Default `0.01`: after an added click the residual returns to its level at once (share 0
    /// on the corpus), while percussive sound, onsets and cuts fill 20–100 % of it.
    pub max_other_share: f64,
    /// Clicks closer than this, in seconds, are one event (crackle). Default `0.1`: impulses
    /// repeating faster than 10 per second are heard as one crackle.
    pub burst_gap: f64,
    /// Least excess (residual peak over the residual's median before it, dB) of a click whose
    /// excess lasts more than 4 ms. Default `42.0`: a long excess is a click smeared by a
    /// codec only while it stands far over the sound (clicks of the evaluations: 45 dB and
    /// more when that long), while short transients of speech and film sound that pass the
    /// other tests stand 34–39 dB over it. A sharp (broadband) excess that stands this far over
    /// the residual may last up to 10.7 ms instead of 8 (AC-3 keeps a loud click's quantisation
    /// noise over its whole 512-sample window).
    pub min_excess_long_db: f64,
    /// Order of the linear predictor. Default `16`: enough to whiten music and speech (formants,
    /// a few partials); higher orders cost more and whiten little more.
    pub order: usize,
}

impl Default for ClickConfig {
    fn default() -> Self {
        ClickConfig {
            ratio: 60.0,
            min_level_db: -20.0,
            max_duration: 0.006,
            max_level_change_db: 4.0,
            max_level_change_loud_db: 12.0,
            max_residual_rise_db: 8.0,
            max_residual_fall_db: 6.0,
            max_other_share: 0.01,
            burst_gap: 0.1,
            min_excess_long_db: 42.0,
            order: 16,
        }
    }
}

impl DetectorConfig for ClickConfig {
    const TYPE: &'static str = "click";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.at_least("ratio", self.ratio, 2.0)?;
        c.require(
            self.min_level_db.is_finite() && self.min_level_db <= 0.0,
            "min_level_db",
            "must be a finite level at or below 0 dBFS",
        )?;
        c.require(
            self.max_duration.is_finite() && self.max_duration > 0.0 && self.max_duration <= 0.01,
            "max_duration",
            "must be between 0 and 0.01 seconds",
        )?;
        c.at_least("max_level_change_db", self.max_level_change_db, 0.0)?;
        c.at_least(
            "max_level_change_loud_db",
            self.max_level_change_loud_db,
            0.0,
        )?;
        c.at_least("min_excess_long_db", self.min_excess_long_db, 0.0)?;
        c.at_least("max_residual_rise_db", self.max_residual_rise_db, 0.0)?;
        c.at_least("max_residual_fall_db", self.max_residual_fall_db, 0.0)?;
        c.require(
            (0.0..=1.0).contains(&self.max_other_share),
            "max_other_share",
            "must be between 0 and 1",
        )?;
        c.require(
            self.burst_gap.is_finite() && (0.0..=1.0).contains(&self.burst_gap),
            "burst_gap",
            "must be between 0 and 1 second",
        )?;
        c.require(
            (2..=MAX_ORDER).contains(&self.order),
            "order",
            "must be between 2 and 32",
        )?;
        Ok(Box::new(Click::new(name, self.clone())))
    }
}
