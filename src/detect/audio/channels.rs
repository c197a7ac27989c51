//! `channels`: faults of the channels themselves — a stereo pair in opposite phase
//! (`audio_phase_inverted`), a channel missing while the others carry programme
//! (`audio_channel_missing`), a DC offset (`audio_dc_offset`), and left and right identical
//! (`audio_dual_mono`, a notice).
//!
//! The sound is cut into windows of `window` seconds (0.25 s); in each, every channel's mean
//! and mean square, and the cross product of the front pair (channels 0 and 1: left/right of
//! stereo, FL/FR of 5.1 in FFmpeg's channel order), are summed. Per window:
//!
//! - **phase**: the pair's correlation (of the signals less their means) is below
//!   `phase_correlation` while both channels are above `presence_db`;
//! - **missing**: a judged channel's RMS is below `missing_db`, or `missing_relative_db` below
//!   the loudest channel, while the loudest is above `programme_db`. Only the front pair is
//!   judged unless `all_channels` is set (in 5.1 the LFE is often near silent and the surrounds
//!   can be quiet in normal programme); one interval per channel, its index in
//!   `details.channel`;
//! - **DC**: a channel's mean is beyond ±`dc_max` (full scale 1.0); the worst channel in
//!   `details`;
//! - **dual mono**: the pair's correlation is above 0.999 and their levels differ by less than
//!   0.1 dB, with signal present. Reported once per episode as a notice (`audio_dual_mono`):
//!   mono programme sent as stereo is not a fault in itself, and test tones are often dual
//!   mono, hence off by default (`dual_mono`).
//!
//! Each condition must hold for `min_duration` seconds (the shared [`SpanTracker`]) and ends
//! after `clear_for` seconds without it. Windows with NaN or infinite samples are not judged.
//! A change of sample rate or channel count, a gap in the timeline or a discontinuity close the
//! open intervals and start afresh.

use crate::detect::one_stream::{AudioDetector, OnAudio};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::round::{dbfs, round3};
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{AudioFrame, MediaTime};

/// Configuration of the [`Channels`] detector (type `"channels"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::ChannelsConfig};
/// let c: ChannelsConfig = serde_json::from_str(r#"{"all_channels": true}"#).unwrap();
/// assert_eq!(c.window, ChannelsConfig::default().window);
/// assert!(ChannelsConfig { phase_correlation: 0.5, ..Default::default() }.build("channels").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// Length of the analysis windows, in seconds. Default `0.25`: 12 000 samples at 48 kHz
    /// give a stable correlation and mean even for bass, and place edges within a quarter
    /// second.
    pub window: f64,
    /// Seconds a fault must last before it is reported. Default `2.0`: programme can be
    /// anti-phase or one-sided for a moment (a stereo effect, a hard-panned sound); a fault
    /// stays.
    pub min_duration: f64,
    /// Seconds without the fault that end it. Default `0.5`.
    pub clear_for: f64,
    /// Report `audio_phase_inverted`. Default `true`.
    pub phase: bool,
    /// The pair is in opposite phase below this correlation. Default `-0.8`: mixed stereo
    /// programme correlates between about 0 and +1 (wide sources near 0); an inverted channel
    /// turns a centre-heavy mix's +0.8…+1 into −0.8…−1.
    pub phase_correlation: f64,
    /// Both channels must be above this RMS level (dBFS) for the correlation to be judged.
    /// Default `-50.0`: below it, noise and codec residue decide the correlation.
    pub presence_db: f64,
    /// Report `audio_channel_missing`. Default `true`.
    pub missing: bool,
    /// A channel under this RMS level (dBFS) is missing. Default `-60.0`: the `silence`
    /// detector's threshold (digital zero and a noise floor).
    pub missing_db: f64,
    /// A channel this many dB under the loudest channel is missing too. Default `40.0`: a
    /// hard-panned mix leaves the other side 20–30 dB down at most for seconds.
    pub missing_relative_db: f64,
    /// The loudest channel must be above this RMS level (dBFS) for a channel to be missing
    /// (the others carry programme). Default `-40.0`: quiet programme, not a noise floor.
    pub programme_db: f64,
    /// Judge every channel for `audio_channel_missing`, not only the front pair. Default
    /// `false`: in 5.1 the LFE and the surrounds are often near silent in normal programme.
    pub all_channels: bool,
    /// Report `audio_dc_offset`. Default `true`.
    pub dc: bool,
    /// Largest accepted mean of a channel (full scale 1.0). Default `0.05`: programme averages
    /// to well under 0.01 over a quarter second (even a loud 25 Hz bass stays near 0.03); a
    /// faulty converter or a bad mix offsets it by a constant.
    pub dc_max: f64,
    /// Report `audio_dual_mono` notices. Default `false`: test tones and mono programme sent as
    /// stereo are dual mono on purpose.
    pub dual_mono: bool,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        ChannelsConfig {
            window: 0.25,
            min_duration: 2.0,
            clear_for: 0.5,
            phase: true,
            phase_correlation: -0.8,
            presence_db: -50.0,
            missing: true,
            missing_db: -60.0,
            missing_relative_db: 40.0,
            programme_db: -40.0,
            all_channels: false,
            dc: true,
            dc_max: 0.05,
            dual_mono: false,
        }
    }
}

impl DetectorConfig for ChannelsConfig {
    const TYPE: &'static str = "channels";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.window.is_finite() && self.window >= 0.01 && self.window <= 5.0,
            "window",
            "must be between 0.01 and 5 seconds",
        )?;
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.require(
            (-1.0..=0.0).contains(&self.phase_correlation),
            "phase_correlation",
            "must be between -1 and 0",
        )?;
        for (field, v) in [
            ("presence_db", self.presence_db),
            ("missing_db", self.missing_db),
            ("programme_db", self.programme_db),
        ] {
            c.require(
                v.is_finite() && v < 0.0,
                field,
                "must be a finite level below 0 dBFS",
            )?;
        }
        c.at_least("missing_relative_db", self.missing_relative_db, 0.0)?;
        c.require(
            self.dc_max.is_finite() && self.dc_max > 0.0 && self.dc_max < 1.0,
            "dc_max",
            "must be between 0 and 1 (full scale)",
        )?;
        Ok(Box::new(OnAudio::new(name, Channels::new(self.clone()))))
    }
}

/// Per-channel sums of the current window.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    sum: f64,
    sq: f64,
}

/// One channel's missing-channel tracking.
#[derive(Clone, Debug)]
struct Missing {
    tracker: SpanTracker,
    /// Quietest level seen in the current candidate or interval, dBFS.
    level_db: f64,
}

/// Detects channel faults. Built from a [`ChannelsConfig`].
pub struct Channels {
    cfg: ChannelsConfig,
    clock: SampleClock,
    window_len: usize,
    win_start: i64,
    win_n: usize,
    sums: Vec<Sums>,
    cross: f64,
    non_finite: bool,
    phase: SpanTracker,
    phase_min: f64,
    missing: Vec<Missing>,
    dc: SpanTracker,
    dc_worst: (usize, f64),
    dual: SpanTracker,
    presence: f64,
    missing_ms: f64,
    missing_ratio: f64,
    programme: f64,
}

fn power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

impl Channels {
    /// A channels detector named `name`. Prefer [`ChannelsConfig::build`], which checks the
    /// values.
    pub fn new(cfg: ChannelsConfig) -> Self {
        let tracker = || SpanTracker::new(cfg.min_duration, cfg.clear_for);
        Channels {
            clock: SampleClock::default(),
            window_len: 0,
            win_start: 0,
            win_n: 0,
            sums: Vec::new(),
            cross: 0.0,
            non_finite: false,
            phase: tracker(),
            phase_min: 0.0,
            missing: Vec::new(),
            dc: tracker(),
            dc_worst: (0, 0.0),
            dual: tracker(),
            presence: power(cfg.presence_db),
            missing_ms: power(cfg.missing_db),
            missing_ratio: power(-cfg.missing_relative_db),
            programme: power(cfg.programme_db),
            cfg,
        }
    }

    fn end_details(change: SpanChange, d: &mut Details) {
        if let SpanChange::Ended { start, end } = change {
            d.insert("duration".into(), json!(round3(end.secs_since(start))));
        }
    }

    /// Judges the current window.
    fn close_window(&mut self, out: &mut Events) {
        let n = self.win_n;
        if n == 0 {
            return;
        }
        let t0 = self.clock.time(self.win_start);
        let t1 = self.clock.time(self.win_start + n as i64);
        self.win_start += n as i64;
        self.win_n = 0;
        let nf = n as f64;
        let valid = !self.non_finite;
        self.non_finite = false;

        // Means and mean squares; the loudest channel.
        let mut loudest = 0.0f64;
        for s in &self.sums {
            loudest = loudest.max(s.sq / nf);
        }

        // Phase and dual mono on the front pair.
        let (mut inverted, mut dual) = (false, false);
        let mut corr = 0.0;
        if valid && self.sums.len() >= 2 {
            let (a, b) = (self.sums[0], self.sums[1]);
            let (ma, mb) = (a.sum / nf, b.sum / nf);
            let va = (a.sq / nf - ma * ma).max(0.0);
            let vb = (b.sq / nf - mb * mb).max(0.0);
            if va >= self.presence && vb >= self.presence {
                corr = (self.cross / nf - ma * mb) / (va * vb).sqrt();
                inverted = corr < self.cfg.phase_correlation;
                let diff_db = 10.0 * (va / vb).log10();
                dual = corr > 0.999 && diff_db.abs() < 0.1;
            }
        }
        if self.cfg.phase {
            if inverted {
                if self.phase.current_start().is_none() {
                    self.phase_min = corr;
                }
                self.phase_min = self.phase_min.min(corr);
            }
            if let Some(c) = self.phase.observe(inverted, t0, t1) {
                let mut d = Details::new();
                d.insert("correlation".into(), json!(round3(self.phase_min)));
                Self::end_details(c, &mut d);
                out.span(&DefectKind::AUDIO_PHASE_INVERTED, c, t1, d);
            }
        }
        if self.cfg.dual_mono {
            if let Some(SpanChange::Started { start }) = self.dual.observe(dual, t0, t1) {
                out.notice(
                    "audio_dual_mono",
                    format!(
                        "left and right identical since {:.3} s (correlation {:.4})",
                        start.as_secs_f64(),
                        corr
                    ),
                    t1,
                );
            }
        }

        // Missing channels.
        if self.cfg.missing && self.sums.len() >= 2 {
            let judged = if self.cfg.all_channels {
                self.sums.len()
            } else {
                2
            };
            for c in 0..judged {
                let ms = self.sums[c].sq / nf;
                let miss = valid
                    && loudest >= self.programme
                    && (ms < self.missing_ms || ms < loudest * self.missing_ratio);
                let m = &mut self.missing[c];
                let level = dbfs(ms.sqrt());
                if miss {
                    if m.tracker.current_start().is_none() {
                        m.level_db = level;
                    }
                    m.level_db = m.level_db.max(level);
                }
                if let Some(ch) = m.tracker.observe(miss, t0, t1) {
                    let mut d = Details::new();
                    d.insert("channel".into(), json!(c));
                    d.insert("level_db".into(), json!(m.level_db));
                    Self::end_details(ch, &mut d);
                    out.span(&DefectKind::AUDIO_CHANNEL_MISSING, ch, t1, d);
                }
            }
        }

        // DC offset.
        if self.cfg.dc {
            let mut worst = (0usize, 0.0f64);
            for (c, s) in self.sums.iter().enumerate() {
                let m = s.sum / nf;
                if m.abs() > worst.1.abs() {
                    worst = (c, m);
                }
            }
            let offset = valid && worst.1.abs() > self.cfg.dc_max;
            if offset
                && (self.dc.current_start().is_none() || worst.1.abs() > self.dc_worst.1.abs())
            {
                self.dc_worst = worst;
            }
            if let Some(c) = self.dc.observe(offset, t0, t1) {
                let mut d = Details::new();
                d.insert("channel".into(), json!(self.dc_worst.0));
                d.insert("mean".into(), json!(round3(self.dc_worst.1)));
                Self::end_details(c, &mut d);
                out.span(&DefectKind::AUDIO_DC_OFFSET, c, t1, d);
            }
        }

        self.sums.iter_mut().for_each(|s| *s = Sums::default());
        self.cross = 0.0;
    }

    /// Closes every open interval at `at` (end, discontinuity, format change).
    fn close(&mut self, at: MediaTime, out: &mut Events) {
        self.close_window(out);
        if let Some(c) = self.phase.close() {
            let mut d = Details::new();
            d.insert("correlation".into(), json!(round3(self.phase_min)));
            Self::end_details(c, &mut d);
            out.span(&DefectKind::AUDIO_PHASE_INVERTED, c, at, d);
        }
        for (i, m) in self.missing.iter_mut().enumerate() {
            if let Some(c) = m.tracker.close() {
                let mut d = Details::new();
                d.insert("channel".into(), json!(i));
                d.insert("level_db".into(), json!(m.level_db));
                Self::end_details(c, &mut d);
                out.span(&DefectKind::AUDIO_CHANNEL_MISSING, c, at, d);
            }
        }
        if let Some(c) = self.dc.close() {
            let mut d = Details::new();
            d.insert("channel".into(), json!(self.dc_worst.0));
            d.insert("mean".into(), json!(round3(self.dc_worst.1)));
            Self::end_details(c, &mut d);
            out.span(&DefectKind::AUDIO_DC_OFFSET, c, at, d);
        }
        self.dual.close();
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        if !contiguous {
            let at = self.clock.time(self.win_start + self.win_n as i64);
            self.close(at, out);
            if self.sums.len() != f.channels() {
                self.sums.clear();
                self.sums.resize(f.channels(), Sums::default());
                let t = SpanTracker::new(self.cfg.min_duration, self.cfg.clear_for);
                self.missing.clear();
                self.missing.resize(
                    f.channels(),
                    Missing {
                        tracker: t,
                        level_db: 0.0,
                    },
                );
            }
            self.sums.iter_mut().for_each(|s| *s = Sums::default());
            self.cross = 0.0;
            self.window_len = ((self.cfg.window * f.rate() as f64).round() as usize).max(1);
            self.win_start = tick;
            self.win_n = 0;
        }
        let len = f.samples_per_channel();
        let mut i = 0;
        while i < len {
            let take = (self.window_len - self.win_n).min(len - i);
            for (c, s) in self.sums.iter_mut().enumerate() {
                let x = &f.channel(c)[i..i + take];
                let (mut sum, mut sq) = (0.0f64, 0.0f64);
                for &v in x {
                    let v = v as f64;
                    sum += v;
                    sq += v * v;
                }
                s.sum += sum;
                s.sq += sq;
            }
            if self.sums.len() >= 2 {
                let (a, b) = (&f.channel(0)[i..i + take], &f.channel(1)[i..i + take]);
                self.cross += a
                    .iter()
                    .zip(b)
                    .map(|(&x, &y)| x as f64 * y as f64)
                    .sum::<f64>();
            }
            if !self.sums.iter().all(|s| s.sq.is_finite()) || !self.cross.is_finite() {
                self.non_finite = true;
            }
            self.win_n += take;
            i += take;
            if self.win_n == self.window_len {
                self.close_window(out);
            }
        }
    }
}

impl AudioDetector for Channels {
    fn sound(&mut self, f: &AudioFrame, out: &mut Events) {
        self.feed(f, out);
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.win_n = 0;
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
