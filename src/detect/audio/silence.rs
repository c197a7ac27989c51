//! `silence`: sound is missing (`audio_silence`), or briefly drops out inside sound
//! (`audio_dropout`).
//!
//! The sound is cut into short windows (2.5 ms by default); a window is silent when the RMS level
//! of **every** channel is below `threshold_db`, which catches digital zero and a low noise floor
//! alike. Silent stretches lasting `min_duration` are reported as `audio_silence` as soon as
//! they are confirmed (start event) and when sound returns (end event). Shorter silent stretches
//! with sound on both sides, of at least `dropout_min` seconds, are reported as `audio_dropout`
//! when they end (start and end events together). Times are sample-exact to the window.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::clock::{dbfs, SampleClock};
use crate::detect::check::ConfigCheck;
use crate::event::Details;
use crate::{
    AudioFrame, DefectKind, Detector, DetectorConfig, Events, Media, MediaTime, Result, SpanChange,
    SpanTracker, Wants,
};

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
    /// Seconds of sound needed to end a silence. Default `0.02`: a click or a codec transient
    /// inside a silence does not split it in two.
    pub clear_for: f64,
    /// Shortest gap inside sound reported as `audio_dropout`, in seconds. Default `0.018`:
    /// dropouts of 20 ms and more matter; 2 ms of slack covers the window grid and codec smear
    /// at the gap's edges.
    pub dropout_min: f64,
    /// Report `audio_dropout` at all. Default `true`.
    pub dropouts: bool,
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
            clear_for: 0.02,
            dropout_min: 0.018,
            dropouts: true,
            window: 0.0025,
        }
    }
}

impl DetectorConfig for SilenceConfig {
    const TYPE: &'static str = "silence";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.threshold_db.is_finite() && self.threshold_db < 0.0,
            "threshold_db",
            "must be a finite level below 0 dBFS",
        )?;
        c.positive_seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.positive_seconds("dropout_min", self.dropout_min)?;
        c.require(
            self.window.is_finite() && self.window > 0.0 && self.window <= 0.1,
            "window",
            "must be between 0 and 0.1 seconds",
        )?;
        c.require(
            self.window <= self.dropout_min,
            "window",
            "must not be longer than dropout_min",
        )?;
        Ok(Box::new(Silence::new(name, self.clone())))
    }
}

/// A run of silent windows.
#[derive(Clone, Copy, Debug)]
struct Run {
    start: MediaTime,
    /// Sound was heard before the run began.
    after_sound: bool,
    /// Loudest window of the run (mean square).
    peak: f64,
}

/// Detects silence and dropouts. Built from a [`SilenceConfig`].
pub struct Silence {
    name: String,
    cfg: SilenceConfig,
    tracker: SpanTracker,
    clock: SampleClock,
    stream: Option<usize>,
    /// Threshold on mean square.
    threshold_ms: f64,
    /// Samples per window at the current rate.
    window_len: usize,
    /// Sum of squares of each channel in the current window.
    acc: Vec<f64>,
    win_start: i64,
    win_n: usize,
    run: Option<Run>,
    sound_seen: bool,
    /// Loudest window of the current (or last) silence interval.
    silence_peak: f64,
}

impl Silence {
    /// A silence detector named `name`. Prefer [`SilenceConfig::build`], which checks the values.
    pub fn new(name: &str, cfg: SilenceConfig) -> Self {
        let lin = 10f64.powf(cfg.threshold_db / 20.0);
        Silence {
            name: name.to_string(),
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            threshold_ms: lin * lin,
            cfg,
            clock: SampleClock::default(),
            stream: None,
            window_len: 0,
            acc: Vec::new(),
            win_start: 0,
            win_n: 0,
            run: None,
            sound_seen: false,
            silence_peak: 0.0,
        }
    }

    fn details(&self, change: SpanChange, peak_ms: f64) -> Details {
        let mut d = Details::new();
        d.insert("threshold_db".into(), json!(self.cfg.threshold_db));
        d.insert("level_db".into(), json!(dbfs(peak_ms.sqrt())));
        if let SpanChange::Ended { start, end } = change {
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 10000.0).round() / 10000.0),
            );
        }
        d
    }

    /// Ends the current window of `win_n` samples.
    fn close_window(&mut self, out: &mut Events) {
        let n = self.win_n;
        if n == 0 {
            return;
        }
        let t0 = self.clock.time(self.win_start);
        let t1 = self.clock.time(self.win_start + n as i64);
        let ms = self.acc.iter().copied().fold(0.0, f64::max) / n as f64;
        let silent = ms < self.threshold_ms;
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        self.win_start += n as i64;
        self.win_n = 0;

        if silent {
            let run = self.run.get_or_insert(Run {
                start: t0,
                after_sound: self.sound_seen,
                peak: 0.0,
            });
            run.peak = run.peak.max(ms);
        } else {
            if let Some(run) = self.run.take() {
                let len = t0.secs_since(run.start);
                if self.cfg.dropouts
                    && run.after_sound
                    && !self.tracker.is_open()
                    && len >= self.cfg.dropout_min - 1e-9
                    && len < self.cfg.min_duration
                {
                    let start = SpanChange::Started { start: run.start };
                    let end = SpanChange::Ended {
                        start: run.start,
                        end: t0,
                    };
                    out.span(
                        &DefectKind::AUDIO_DROPOUT,
                        start,
                        t0,
                        self.details(start, run.peak),
                    );
                    out.span(
                        &DefectKind::AUDIO_DROPOUT,
                        end,
                        t0,
                        self.details(end, run.peak),
                    );
                }
            }
            self.sound_seen = true;
        }

        if silent && !self.tracker.is_open() && self.tracker.current_start().is_none() {
            self.silence_peak = 0.0;
        }
        if silent {
            self.silence_peak = self.silence_peak.max(ms);
        }
        if let Some(c) = self.tracker.observe(silent, t0, t1) {
            let peak = self.silence_peak;
            out.span(&DefectKind::AUDIO_SILENCE, c, t1, self.details(c, peak));
        }
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        if !contiguous {
            self.close_window(out);
            if self.acc.len() != f.channels() {
                self.acc.clear();
                self.acc.resize(f.channels(), 0.0);
            }
            self.window_len = ((self.cfg.window * f.rate() as f64).round() as usize).max(1);
            self.win_start = tick;
            self.win_n = 0;
        }
        let len = f.samples_per_channel();
        let mut i = 0;
        while i < len {
            let take = (self.window_len - self.win_n).min(len - i);
            for (c, acc) in self.acc.iter_mut().enumerate() {
                let s = &f.channel(c)[i..i + take];
                *acc += s.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>();
            }
            self.win_n += take;
            i += take;
            if self.win_n == self.window_len {
                self.close_window(out);
            }
        }
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        self.close_window(out);
        if let Some(c) = self.tracker.close() {
            let peak = self.silence_peak;
            out.span(&DefectKind::AUDIO_SILENCE, c, at, self.details(c, peak));
        }
        self.run = None;
    }
}

impl Detector for Silence {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::AUDIO
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        let Media::Audio(f) = media else { return };
        if *self.stream.get_or_insert(f.stream()) != f.stream() || f.samples_per_channel() == 0 {
            return;
        }
        self.feed(f, out);
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
        self.sound_seen = false;
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
