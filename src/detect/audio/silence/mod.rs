//! `silence`: sound is missing (`audio_silence`), or briefly drops out inside sound
//! (`audio_dropout`).
//!
//! The sound is cut into short windows (2.5 ms by default); a window is silent when the RMS level
//! of **every** channel is below `threshold_db`, which catches digital zero and a low noise floor
//! alike. Silent stretches lasting `min_duration` are reported as `audio_silence` as soon as
//! they are confirmed (start event) and when sound returns (end event). Shorter silent stretches
//! with sound on both sides, of at least `dropout_min` seconds, are reported as `audio_dropout`
//! when they end (start and end events together). Times are sample-exact to the window.
//!
//! Two more kinds of `audio_dropout` (`details.source` says which; `"level"` for the gaps
//! above):
//!
//! - `"relative"`: a steady sound that drops abruptly at least `relative_drop_db` below its own
//!   level of the last `relative_context` seconds, for `dropout_min` to `relative_max` seconds,
//!   and comes back to about that level (a −20 dBFS programme falling to −55 dBFS for 50 ms),
//!   though the gap stays above `threshold_db`. The edge must be abrupt (the level was within
//!   12 dB of the reference at most `relative_edge` before the gap: a fade is not a dropout) and
//!   the context steady (no 10 ms block in it more than 20 dB under the reference: the pauses
//!   of speech or a staccato are not dropouts); the level after the gap (mean of 0.1 s) must be
//!   within 12 dB of the reference. A gap holding any window below `threshold_db` is left to
//!   the absolute rules, so no gap is reported twice.
//! - `"decoder"`: the decoder reported damage (a decode error or a corrupt packet) on the audio
//!   stream: the interval runs from the notice for one frame's duration, notices within 0.1 s
//!   merged; reported 0.35 s later unless a level dropout or a silence already covers it (that
//!   event then counts the notices in `details.decoder_notices`). Notices before the stream's
//!   first audio frame are not judged (its stream index is not known yet).

mod dropout;

use crate::detect::one_stream::{AudioDetector, OnAudio};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::round::dbfs;
use crate::detect::measure::sample_clock::SampleClock;
use crate::event::Details;
use crate::{
    AudioFrame, DecoderNotice, DefectKind, Detector, DetectorConfig, Events, MediaTime, NoticeKind,
    Result, SpanChange, SpanTracker,
};
use dropout::{Relative, RelativeParams};

/// Decoder notices closer than this (seconds) form one dropout.
const DECODER_MERGE: f64 = 0.1;
/// A decoder dropout is reported once the sound is this far (seconds) past it, unless a level
/// dropout or a silence covered it meanwhile.
const DECODER_DELAY: f64 = 0.35;

/// Damage the decoder reported on the audio stream, not yet reported.
#[derive(Clone, Copy, Debug)]
struct DecoderGap {
    start: MediaTime,
    end: MediaTime,
    notices: u32,
}

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
    /// Longest fall into a relative dropout, in seconds. Default `0.01`: a cut falls in one
    /// window (a lossy codec smears it over a few milliseconds), a fade takes tens of them.
    pub relative_edge: f64,
    /// Report decoder damage on the audio stream (lost or concealed frames) as `audio_dropout`
    /// with `details.source = "decoder"`. Default `true`.
    pub decoder_dropouts: bool,
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
            relative: true,
            relative_drop_db: 30.0,
            relative_context: 0.3,
            relative_max: 0.5,
            relative_edge: 0.01,
            decoder_dropouts: true,
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
            self.window <= self.dropout_min,
            "window",
            "must not be longer than dropout_min",
        )?;
        Ok(Box::new(OnAudio::new(name, Silence::new(self.clone()))))
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
    cfg: SilenceConfig,
    tracker: SpanTracker,
    clock: SampleClock,
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
    relative: Relative,
    decoder: Option<DecoderGap>,
    /// Duration of the last audio frame, seconds (what one lost frame is worth).
    frame_secs: f64,
}

impl Silence {
    /// A silence detector named `name`. Prefer [`SilenceConfig::build`], which checks the values.
    pub fn new(cfg: SilenceConfig) -> Self {
        let lin = 10f64.powf(cfg.threshold_db / 20.0);
        let windows = |secs: f64| (secs / cfg.window).round().max(0.0) as usize;
        Silence {
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            threshold_ms: lin * lin,
            clock: SampleClock::default(),
            window_len: 0,
            acc: Vec::new(),
            win_start: 0,
            win_n: 0,
            run: None,
            sound_seen: false,
            silence_peak: 0.0,
            relative: Relative::new(RelativeParams {
                drop: 10f64.powf(-cfg.relative_drop_db / 10.0),
                near: 10f64.powf(-12.0 / 10.0),
                steady: 10f64.powf(-20.0 / 10.0),
                context: windows(cfg.relative_context),
                edge: windows(cfg.relative_edge).max(1),
                min: ((cfg.dropout_min / cfg.window - 1e-6).ceil() as usize).max(1),
                max: windows(cfg.relative_max),
                after: windows(0.1).max(1),
            }),
            decoder: None,
            frame_secs: 1024.0 / 48000.0,
            cfg,
        }
    }

    /// Reports a short gap `[start, end)` as `audio_dropout` (start and end events at `at`).
    fn dropout(
        &mut self,
        start: MediaTime,
        end: MediaTime,
        at: MediaTime,
        mut details: Details,
        out: &mut Events,
    ) {
        self.relative.cover();
        let notices = self.consume_decoder(start, end);
        if notices > 0 {
            details.insert("decoder_notices".into(), json!(notices));
        }
        let mut end_details = details.clone();
        end_details.insert(
            "duration".into(),
            json!((end.secs_since(start) * 10000.0).round() / 10000.0),
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Started { start },
            at,
            details,
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Ended { start, end },
            at,
            end_details,
        );
    }

    /// Takes a pending decoder gap that overlaps `[start, end)`; its notice count.
    fn consume_decoder(&mut self, start: MediaTime, end: MediaTime) -> u32 {
        match self.decoder {
            Some(g)
                if g.start.secs_since(end) <= DECODER_MERGE
                    && start.secs_since(g.end) <= DECODER_MERGE =>
            {
                self.decoder = None;
                g.notices
            }
            _ => 0,
        }
    }

    fn on_notice(&mut self, n: &DecoderNotice, stream: Option<usize>, out: &mut Events) {
        if !self.cfg.decoder_dropouts || stream.is_none() || n.stream != stream {
            return;
        }
        if !matches!(
            n.kind,
            NoticeKind::DecodeError { .. } | NoticeKind::CorruptPacket
        ) {
            return;
        }
        let end = n.time.add_secs(self.frame_secs);
        match &mut self.decoder {
            Some(g) if n.time.secs_since(g.end) <= DECODER_MERGE => {
                g.start = g.start.min(n.time);
                g.end = g.end.max(end);
                g.notices += 1;
            }
            _ => {
                self.flush_decoder(n.time, out);
                self.decoder = Some(DecoderGap {
                    start: n.time,
                    end,
                    notices: 1,
                });
            }
        }
    }

    /// Reports the pending decoder gap, unless a silence covers it.
    fn flush_decoder(&mut self, at: MediaTime, out: &mut Events) {
        let Some(g) = self.decoder.take() else { return };
        if self.tracker.is_open() {
            return;
        }
        let mut d = Details::new();
        d.insert("source".into(), json!("decoder"));
        d.insert("notices".into(), json!(g.notices));
        let mut e = d.clone();
        e.insert(
            "duration".into(),
            json!((g.end.secs_since(g.start) * 10000.0).round() / 10000.0),
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Started { start: g.start },
            at.max(g.end),
            d,
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Ended {
                start: g.start,
                end: g.end,
            },
            at.max(g.end),
            e,
        );
    }

    /// Reports the pending decoder gap once the sound is well past it and nothing that could
    /// still cover it is being judged.
    fn maybe_flush_decoder(&mut self, now: MediaTime, out: &mut Events) {
        let Some(g) = self.decoder else { return };
        if self.tracker.is_open() && self.tracker.current_start().is_some_and(|s| s <= g.end) {
            self.decoder = None;
            return;
        }
        let judged = self.run.is_some_and(|r| r.start <= g.end)
            || self.relative.pending_start().is_some_and(|s| s <= g.end);
        if !judged && now.secs_since(g.end) >= DECODER_DELAY {
            self.flush_decoder(now, out);
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
        let t1 = self.clock.time(self.win_start.saturating_add(n as i64));
        let ms = self.acc.iter().copied().fold(0.0, f64::max) / n as f64;
        let silent = ms < self.threshold_ms;
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        self.win_start = self.win_start.saturating_add(n as i64);
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
                    let mut d = self.details(SpanChange::Started { start: run.start }, run.peak);
                    d.insert("source".into(), json!("level"));
                    self.dropout(run.start, t0, t0, d, out);
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
        if self.cfg.relative && self.cfg.dropouts {
            if self.tracker.is_open() {
                self.relative.cover();
            }
            if let Some(f) = self.relative.window(ms, t0) {
                let mut d = Details::new();
                d.insert("source".into(), json!("relative"));
                d.insert("level_db".into(), json!(dbfs(f.peak.sqrt())));
                d.insert("reference_db".into(), json!(dbfs(f.reference.sqrt())));
                self.dropout(f.start, f.end, t1, d, out);
            }
        }
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        self.frame_secs = f.duration_secs();
        if !contiguous {
            self.close_window(out);
            self.relative.reset();
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
        self.maybe_flush_decoder(f.end_time(), out);
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        self.close_window(out);
        if let Some(g) = self.decoder {
            if self.tracker.current_start().is_some_and(|s| s <= g.end) {
                self.decoder = None;
            }
        }
        self.flush_decoder(at, out);
        self.relative.reset();
        if let Some(c) = self.tracker.close() {
            let peak = self.silence_peak;
            out.span(&DefectKind::AUDIO_SILENCE, c, at, self.details(c, peak));
        }
        self.run = None;
    }
}

impl AudioDetector for Silence {
    fn wants_notices(&self) -> bool {
        true
    }

    fn sound(&mut self, f: &AudioFrame, out: &mut Events) {
        self.feed(f, out);
    }

    fn notice(&mut self, n: &DecoderNotice, stream: Option<usize>, out: &mut Events) {
        self.on_notice(n, stream, out);
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
