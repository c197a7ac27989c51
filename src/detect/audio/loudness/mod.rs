//! `loudness`: ITU-R BS.1770-4 loudness and true peak, as metrics, and the defects
//! `loudness_out_of_range` and `audio_true_peak`.
//!
//! **Measurement.** The sound is K-weighted, each channel weighted as BS.1770-4 says (front
//! 1.0, surrounds 1.41, LFE left out; channel order: FFmpeg's default layout for the channel
//! count, 5.1 = FL FR FC LFE BL/SL BR/SR) and its mean square taken over 100 ms sub-blocks;
//! the filters and the true peak (4× oversampling below 96 kHz) are the `ebur128` crate's.
//! From the sub-blocks come:
//!
//! - momentary loudness (the last 400 ms) and short-term loudness (the last 3 s), every 100 ms;
//! - integrated loudness: the mean of the 400 ms blocks (75 % overlap) above the −70 LUFS
//!   absolute gate and the relative gate 10 LU under their mean (BS.1770-4);
//! - loudness range (EBU Tech 3342): the 10th to 95th percentile of the 3 s windows (every
//!   100 ms) above −70 LUFS and 20 LU under their mean;
//! - the highest true peak of all channels.
//!
//! Integrated loudness and loudness range are gated on fixed histograms of 0.01 LU bins (the
//! integrated loudness keeps each bin's exact energy), so memory and cost stay the same however
//! long a live stream runs. `ebur128`'s own gating either keeps every block (memory grows by
//! 8 bytes per 100 ms, and its loudness range sorts the whole history at each call) or uses
//! 0.1 LU bins (up to 0.05 LU off, half the ±0.1 LU that EBU Tech 3341 allows).
//!
//! **Metrics**, every `period` (1 s) and at the end of the stream (or before a change of sample
//! rate or channel count, after which the measurement starts afresh): `momentary_lufs` (from
//! 400 ms of sound on), `short_term_lufs` (from 3 s on), `integrated_lufs` and `lra_lu` (once
//! a block passed the absolute gate), `true_peak_dbtp` (the highest true peak since the start).
//! Digital silence reads −120 LUFS / dBTP. A discontinuity restarts the momentary and
//! short-term windows; the integrated loudness, range and peak go on (same programme).
//!
//! **Defects.** `audio_true_peak`: 100 ms sub-blocks whose true peak is above `true_peak_max`
//! (−1 dBTP), merged across gaps shorter than `true_peak_clear_for`; reported at the first over.
//! `loudness_out_of_range`: the short-term (or integrated) loudness more than the tolerance
//! away from the target for `min_duration` seconds; only with a `preset` or `target`. Its times
//! are those of the measurements (the end of each 3 s window), so an interval starts a little
//! and ends up to 3 s after the sound that caused it. Short-term loudness under −70 LUFS
//! (silence, the `silence` detector's business) is not judged.
//!
//! NaN and infinite samples are measured as 0 (a `non_finite_samples` notice says so once).

mod config;
mod gate;
mod meter;

pub use config::{LoudnessConfig, LoudnessMeasure, LoudnessPreset};

use crate::detect::one_stream::AudioDetector;
use serde_json::json;

use self::gate::ABSOLUTE_GATE;
use self::meter::{Meter, Reading};
use crate::detect::measure::round::round3;
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::{Events, SpanChange, SpanTracker};
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{AudioFrame, MediaTime};

/// What a loudness or level of no sound at all reads.
const FLOOR: f64 = -120.0;

/// A loudness (LUFS) or level (dB) for a report: rounded, and `FLOOR` for silence.
fn shown(x: f64) -> f64 {
    if x.is_nan() {
        FLOOR
    } else {
        round3(x.max(FLOOR))
    }
}

fn db(linear: f64) -> f64 {
    if linear > 0.0 {
        20.0 * linear.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Extremes of the judged loudness during a `loudness_out_of_range` interval.
#[derive(Clone, Copy, Debug)]
struct Extremes {
    min: f64,
    max: f64,
    /// The value when the interval was confirmed.
    at_start: f64,
}

/// Measures loudness and true peak. Built from a [`LoudnessConfig`].
pub struct Loudness {
    cfg: LoudnessConfig,
    /// Target and tolerance judged, if any.
    range: Option<(f64, f64)>,
    /// True-peak ceiling, linear.
    ceiling: Option<f64>,
    clock: SampleClock,
    meter: Option<Meter>,
    /// A format that could not be measured (reported once).
    unsupported: Option<(u32, usize)>,
    non_finite_told: bool,
    /// End of the last frame measured.
    last_end: MediaTime,
    level: SpanTracker,
    level_extremes: Option<Extremes>,
    peak: SpanTracker,
    /// Highest true peak of the current `audio_true_peak` candidate or interval, linear.
    peak_max: f64,
    /// Sub-blocks between metric reports (0: only at the end) and since the last one.
    period_blocks: u64,
    since_report: u64,
}

impl Loudness {
    /// A loudness detector named `name`. Prefer
    /// [`LoudnessConfig::build`](crate::DetectorConfig::build), which checks the values.
    pub fn new(cfg: LoudnessConfig) -> Self {
        Loudness {
            range: cfg.range(),
            ceiling: cfg.true_peak_max.map(|d| 10f64.powf(d / 20.0)),
            clock: SampleClock::default(),
            meter: None,
            unsupported: None,
            non_finite_told: false,
            last_end: MediaTime::ZERO,
            level: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            level_extremes: None,
            peak: SpanTracker::new(0.0, cfg.true_peak_clear_for),
            peak_max: 0.0,
            period_blocks: (cfg.period * 10.0).round() as u64,
            since_report: 0,
            cfg,
        }
    }

    fn level_details(&self, change: SpanChange) -> Details {
        let mut d = Details::new();
        if let Some((target, tolerance)) = self.range {
            d.insert("target_lufs".into(), json!(target));
            d.insert("tolerance_lu".into(), json!(tolerance));
        }
        let measure = match self.cfg.measure {
            LoudnessMeasure::ShortTerm => "short_term",
            LoudnessMeasure::Integrated => "integrated",
        };
        d.insert("measure".into(), json!(measure));
        if let Some(x) = self.level_extremes {
            match change {
                SpanChange::Started { .. } => {
                    d.insert("loudness_lufs".into(), json!(shown(x.at_start)));
                }
                SpanChange::Ended { start, end } => {
                    d.insert("min_lufs".into(), json!(shown(x.min)));
                    d.insert("max_lufs".into(), json!(shown(x.max)));
                    d.insert("duration".into(), json!(round3(end.secs_since(start))));
                }
            }
        }
        d
    }

    fn peak_details(&self, change: SpanChange) -> Details {
        let mut d = Details::new();
        d.insert(
            "ceiling_dbtp".into(),
            json!(self.cfg.true_peak_max.unwrap_or(0.0)),
        );
        d.insert("peak_dbtp".into(), json!(shown(db(self.peak_max))));
        if let SpanChange::Ended { start, end } = change {
            d.insert("duration".into(), json!(round3(end.secs_since(start))));
        }
        d
    }

    /// Judges the sub-block `[t0, t1)` that just ended.
    fn judge(&mut self, r: Reading, t0: MediaTime, t1: MediaTime, out: &mut Events) {
        if let Some(ceiling) = self.ceiling {
            let over = r.peak > ceiling;
            if over {
                if self.peak.current_start().is_none() {
                    self.peak_max = 0.0;
                }
                self.peak_max = self.peak_max.max(r.peak);
            }
            if let Some(c) = self.peak.observe(over, t0, t1) {
                out.span(&DefectKind::AUDIO_TRUE_PEAK, c, t1, self.peak_details(c));
            }
        }
        let Some((target, tolerance)) = self.range else {
            return;
        };
        let value = match self.cfg.measure {
            LoudnessMeasure::ShortTerm => r.short_term,
            LoudnessMeasure::Integrated => self.meter.as_ref().and_then(Meter::integrated),
        };
        let Some(v) = value else { return };
        let out_of_range = v >= ABSOLUTE_GATE && (v - target).abs() > tolerance;
        if out_of_range {
            match &mut self.level_extremes {
                Some(x) if self.level.current_start().is_some() => {
                    x.min = x.min.min(v);
                    x.max = x.max.max(v);
                }
                x => {
                    *x = Some(Extremes {
                        min: v,
                        max: v,
                        at_start: v,
                    })
                }
            }
        }
        if let Some(c) = self.level.observe(out_of_range, t0, t1) {
            if let (SpanChange::Started { .. }, Some(x)) = (c, &mut self.level_extremes) {
                x.at_start = v;
            }
            out.span(
                &DefectKind::LOUDNESS_OUT_OF_RANGE,
                c,
                t1,
                self.level_details(c),
            );
        }
    }

    /// Writes the metrics at `at`.
    fn report(&self, at: MediaTime, out: &mut Events) {
        let Some(m) = &self.meter else { return };
        let (momentary, short_term) = m.current();
        if let Some(v) = momentary {
            out.metric("momentary_lufs", shown(v), at);
        }
        if let Some(v) = short_term {
            out.metric("short_term_lufs", shown(v), at);
        }
        if let Some(v) = m.integrated() {
            out.metric("integrated_lufs", shown(v), at);
        }
        if let Some(v) = m.range() {
            out.metric("lra_lu", round3(v), at);
        }
        if let Some(p) = m.max_peak() {
            out.metric("true_peak_dbtp", shown(db(p)), at);
        }
    }

    /// Closes open intervals at `at`.
    fn close_spans(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.level.close() {
            out.span(
                &DefectKind::LOUDNESS_OUT_OF_RANGE,
                c,
                at,
                self.level_details(c),
            );
        }
        if let Some(c) = self.peak.close() {
            out.span(&DefectKind::AUDIO_TRUE_PEAK, c, at, self.peak_details(c));
        }
    }

    /// Makes sure the meter measures `f`'s format; false when it cannot be measured.
    fn ensure_meter(&mut self, f: &AudioFrame, out: &mut Events) -> bool {
        let format = (f.rate(), f.channels());
        if self.meter.as_ref().is_some_and(|m| m.format() == format) {
            return true;
        }
        if self.meter.is_some() {
            // A new format: report the old measurement, then start afresh.
            let at = self.last_end;
            self.close_spans(at, out);
            self.report(at, out);
        }
        self.meter = Meter::new(f.rate(), f.channels());
        self.since_report = 0;
        self.non_finite_told = false;
        if self.meter.is_none() && self.unsupported != Some(format) {
            self.unsupported = Some(format);
            out.notice(
                "loudness_unsupported",
                format!(
                    "cannot measure loudness of {} channels at {} Hz",
                    format.1, format.0
                ),
                f.time(),
            );
        }
        self.meter.is_some()
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, _) = self.clock.begin(f);
        if !self.ensure_meter(f, out) {
            return;
        }
        let len = f.samples_per_channel();
        let Some(m) = self.meter.as_mut() else { return };
        m.load(f);
        let sub_len = m.sub_len() as i64;
        let mut i = 0;
        while i < len {
            let Some(m) = self.meter.as_mut() else { return };
            let (took, reading) = m.feed(i, len);
            i += took;
            if let Some(r) = reading {
                let t1 = self.clock.time(tick + i as i64);
                let t0 = self.clock.time(tick + i as i64 - sub_len);
                self.judge(r, t0, t1, out);
                self.since_report += 1;
                if self.period_blocks > 0 && self.since_report >= self.period_blocks {
                    self.since_report = 0;
                    self.report(t1, out);
                }
            }
        }
        self.last_end = self.clock.time(tick.saturating_add(len as i64));
        if let Some(m) = &self.meter {
            if m.non_finite > 0 && !self.non_finite_told {
                self.non_finite_told = true;
                out.notice(
                    "non_finite_samples",
                    "NaN or infinite audio samples, measured as 0",
                    f.time(),
                );
            }
        }
    }
}

impl AudioDetector for Loudness {
    fn sound(&mut self, f: &AudioFrame, out: &mut Events) {
        self.feed(f, out);
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close_spans(at, out);
        if let Some(m) = &mut self.meter {
            m.restart();
        }
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close_spans(at, out);
        self.report(at, out);
    }
}
