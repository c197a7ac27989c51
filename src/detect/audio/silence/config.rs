//! Settings of the `silence` detector.

use serde::{Deserialize, Serialize};

use super::Silence;
use crate::detect::check::ConfigCheck;
use crate::detect::one_stream::OnAudio;
use crate::detect::{Detector, DetectorConfig};
use crate::error::Result;

/// Configuration of the [`Silence`] detector (type `"silence"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::SilenceConfig};
/// let c: SilenceConfig = serde_json::from_str(r#"{"threshold_db": -55.0}"#).unwrap();
/// assert_eq!(c.min_duration, SilenceConfig::default().min_duration);
/// assert!(SilenceConfig { threshold_db: 3.0, ..Default::default() }.build("silence").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SilenceConfig {
    /// A window is silent when every channel's RMS level is below this, in dBFS. Default
    /// `-60.0`: 10 dB above a −70 dBFS noise floor (whose 2.5 ms windows stay within about
    /// ±2 dB of it), and well below quiet passages of programme sound (−40 dBFS and up).
    pub threshold_db: f64,
    /// Seconds of silence before `audio_silence` is reported. Default `0.3`: silences worth an
    /// alarm last half a second or more, and at 0.3 s they are reported 0.3 s after they began;
    /// shorter gaps inside sound are dropouts.
    pub min_duration: f64,
    /// Seconds a silence must last when it is not a cut (an abrupt fall far under the
    /// programme's floor, see `floor_drop_db` and `relative_edge`): the pauses of a quiet
    /// programme whose room tone is under `threshold_db`, a rest that decays in music, a silence
    /// at the start of a stream before the floor is known. Default `3.0`: the pauses between
    /// sentences last up to about 2 s; dead air lasts longer. A cut (the programme cut to
    /// digital zero or to a far lower noise) is reported after `min_duration`.
    pub quiet_min_duration: f64,
    /// Seconds of sound needed to end a silence. Default `0.02`: a click or a codec transient
    /// inside a silence does not split it in two.
    pub clear_for: f64,
    /// Shortest gap inside sound reported as `audio_dropout`, in seconds. Default `0.005` (two
    /// windows): a packet or buffer of 10 ms zeroed, once a lossy codec has smeared its edges,
    /// leaves 5 to 7.5 ms under the threshold. What tells it from a pause is not its length but
    /// its shape (an abrupt fall far under the programme's floor, see `floor_drop_db` and
    /// `relative_edge`).
    pub dropout_min: f64,
    /// Report `audio_dropout` at all. Default `true`.
    pub dropouts: bool,
    /// Report relative dropouts (far below the surrounding level, above `threshold_db`).
    /// Default `true`.
    pub relative: bool,
    /// Least drop below the reference level for a relative dropout, in dB. Default `30.0`: a
    /// steady programme's 2.5 ms windows stay within about 18 dB of its mean (even a 20 Hz bass
    /// at a zero crossing), while a gap in a −20 dBFS programme down to −55 dBFS is 35 dB.
    pub relative_drop_db: f64,
    /// Seconds of sound before a gap whose mean level is the reference. Default `0.3`: long
    /// enough to hold the previous gap of a staccato (notes shorter than 0.3 s, whose gaps are
    /// then not judged), short enough to follow the programme's level.
    pub relative_context: f64,
    /// Longest relative dropout, in seconds. Default `0.5`: longer drops are quiet passages.
    pub relative_max: f64,
    /// Longest fall into a level or relative dropout, in seconds: a window within 12 dB of
    /// the programme's level must come at most this long before the gap. Default `0.01`: a cut
    /// falls in one window (a lossy codec smears it over a few milliseconds), a fade or the end
    /// of a word takes tens of them. A level dropout's silence must begin within twice this of
    /// that window, three times this after a fall in one step (a lossy codec's ringing after a
    /// cut).
    pub relative_edge: f64,
    /// Report decoder damage on the audio stream (lost or concealed frames) as `audio_dropout`
    /// with `details.source = "decoder"`. Default `true`.
    pub decoder_dropouts: bool,
    /// How far a level or relative dropout must fall under the programme's floor, in dB.
    /// The floor is the quietest 10 ms of the last `floor_context` seconds (the room tone in
    /// the pauses of speech, the softest moment of music); the gap's quietest 10 ms must be this
    /// far under it. Default `20.0`: a natural pause sits at the floor (its room tone goes on;
    /// 10 ms of noise stay within a few dB of its mean), while a cut takes the whole waveform,
    /// room tone and all, far under it. The floor is known after 1 s of sound: a gap in the
    /// first second of a stream (or after a discontinuity) is not a level or relative dropout.
    pub floor_drop_db: f64,
    /// Seconds of sound over which the floor is the quietest 10 ms. Default `4.0`: long enough
    /// to hold a few pauses of speech, short enough to follow a change of programme.
    pub floor_context: f64,
    /// Report sound missing from the timeline (the next audio frame starts later than the last
    /// one ended, beyond 2 ms of jitter, frames lost in transport) as `audio_dropout` with
    /// `details.source = "timestamps"`. Default `true`.
    pub timestamp_dropouts: bool,
    /// Length of the analysis windows, in seconds. Default `0.0025`: short enough to place the
    /// edges of a 20 ms dropout within a few milliseconds, long enough (120 samples at 48 kHz)
    /// for a stable level of a noise floor.
    pub window: f64,
}

impl Default for SilenceConfig {
    fn default() -> Self {
        SilenceConfig {
            threshold_db: -60.0,
            min_duration: 0.3,
            quiet_min_duration: 3.0,
            clear_for: 0.02,
            dropout_min: 0.005,
            dropouts: true,
            relative: true,
            relative_drop_db: 30.0,
            relative_context: 0.3,
            relative_max: 0.5,
            relative_edge: 0.01,
            decoder_dropouts: true,
            floor_drop_db: 20.0,
            floor_context: 4.0,
            timestamp_dropouts: true,
            window: 0.0025,
        }
    }
}

impl DetectorConfig for SilenceConfig {
    const TYPE: &'static str = "silence";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.threshold_db.is_finite() && self.threshold_db < 0.0,
            "threshold_db",
            "must be a finite level below 0 dBFS",
        )?;
        c.positive_seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.require(
            self.quiet_min_duration.is_finite() && self.quiet_min_duration >= self.min_duration,
            "quiet_min_duration",
            "must be a number of seconds >= min_duration",
        )?;
        c.positive_seconds("dropout_min", self.dropout_min)?;
        c.require(
            self.window.is_finite() && self.window > 0.0 && self.window <= 0.1,
            "window",
            "must be between 0 and 0.1 seconds",
        )?;
        c.require(
            self.relative_drop_db.is_finite() && self.relative_drop_db >= 6.0,
            "relative_drop_db",
            "must be a finite number of dB >= 6",
        )?;
        c.require(
            self.relative_context.is_finite()
                && self.relative_context >= 0.05
                && self.relative_context <= 5.0,
            "relative_context",
            "must be between 0.05 and 5 seconds",
        )?;
        c.require(
            self.relative_max.is_finite()
                && self.relative_max >= self.dropout_min
                && self.relative_max <= 5.0,
            "relative_max",
            "must be between dropout_min and 5 seconds",
        )?;
        c.require(
            self.relative_edge.is_finite()
                && self.relative_edge >= 0.0
                && self.relative_edge <= 1.0,
            "relative_edge",
            "must be between 0 and 1 second",
        )?;
        c.require(
            self.floor_drop_db.is_finite() && self.floor_drop_db >= 0.0,
            "floor_drop_db",
            "must be a finite number of dB >= 0",
        )?;
        c.require(
            self.floor_context.is_finite()
                && self.floor_context >= 0.1
                && self.floor_context <= 60.0,
            "floor_context",
            "must be between 0.1 and 60 seconds",
        )?;
        c.require(
            self.window <= self.dropout_min,
            "window",
            "must not be longer than dropout_min",
        )?;
        Ok(Box::new(OnAudio::new(name, Silence::new(self.clone()))))
    }
}
