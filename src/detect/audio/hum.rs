//! `hum`: a steady 50 or 60 Hz mains line with harmonics (`audio_hum`).
//!
//! The channels are averaged, low-passed at 300 Hz (8th-order Butterworth) and decimated to
//! about 1 kHz (by the largest whole factor of the sample rate that keeps at least 1 kHz), and
//! the last second of it (1 Hz resolution) is Hann-windowed and transformed with `rustfft`
//! every `hop` seconds (plans and buffers made once per sample rate): a thousand-point
//! transform instead of a 48,000-point one, for lines that all lie below 256 Hz. For each mains frequency *f* (50 and 60 Hz), the power of each of the lines *k·f*
//! (k = 1..4) is compared with the median power of the spectrum 4 to 15 Hz either side of it.
//! A line stands out when it is a local peak exactly at *k·f* (a note at 49 or 61.7 Hz peaks
//! elsewhere), `prominence_db` above its neighbourhood and above `min_level_db`. A hop is hummy
//! when the fundamental and at least one harmonic stand out; hum is reported once that holds
//! for `min_duration` seconds (a bass note that changes does not last), each spectrum marking
//! the `hop` seconds at the middle of its window (so reports come about 0.5 s late). The frequency and the fundamental's level are in
//! `details`.
//!
//! NaN and infinite samples count as 0. A change of sample rate or channel count, a gap in the
//! timeline or a discontinuity close an open interval and start afresh.

use crate::detect::one_stream::{AudioDetector, OnAudio};
use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::lowpass::LowPass8;
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::{Detector, DetectorConfig, Events, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{AudioFrame, MediaTime};

/// Configuration of the [`Hum`] detector (type `"hum"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::HumConfig};
/// let c: HumConfig = serde_json::from_str(r#"{"min_duration": 5.0}"#).unwrap();
/// assert_eq!(c.hop, HumConfig::default().hop);
/// assert!(HumConfig { hop: 0.0, ..Default::default() }.build("hum").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HumConfig {
    /// Seconds between spectra (each over the last second). Default `0.25`: places the edges of
    /// a hum within a quarter second; four thousand-point transforms per second cost little
    /// next to the low-pass every sample goes through.
    pub hop: f64,
    /// Least height of a line over the median of its neighbourhood, in dB. Default `15.0`: a
    /// mains line is a single bin towering over its surroundings; music's partials near it are
    /// spread by vibrato and note changes.
    pub prominence_db: f64,
    /// Least level of a line, in dBFS (RMS of the sine). Default `-70.0`: audible hum in quiet
    /// passages; below it the numerical floor of silence could form lines.
    pub min_level_db: f64,
    /// Seconds the hum must last. Default `2.0`: a bass note held exactly on 50 or 60 Hz with
    /// overtones is over within a bar; hum stays.
    pub min_duration: f64,
    /// Seconds without hum that end it. Default `0.5`.
    pub clear_for: f64,
}

impl Default for HumConfig {
    fn default() -> Self {
        HumConfig {
            hop: 0.25,
            prominence_db: 15.0,
            min_level_db: -70.0,
            min_duration: 2.0,
            clear_for: 0.5,
        }
    }
}

impl DetectorConfig for HumConfig {
    const TYPE: &'static str = "hum";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.hop.is_finite() && self.hop >= 0.05 && self.hop <= 1.0,
            "hop",
            "must be between 0.05 and 1 second",
        )?;
        c.at_least("prominence_db", self.prominence_db, 0.0)?;
        c.require(
            self.min_level_db.is_finite() && self.min_level_db < 0.0,
            "min_level_db",
            "must be a finite level below 0 dBFS",
        )?;
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        Ok(Box::new(OnAudio::new(name, Hum::new(self.clone()))))
    }
}

/// Mains frequencies judged, Hz.
const MAINS: [usize; 2] = [50, 60];
/// Lines judged per mains frequency (the fundamental and three harmonics).
const LINES: usize = 4;
/// Neighbourhood of a line: bins `GUARD..=REACH` away on either side.
const GUARD: usize = 4;
const REACH: usize = 15;
/// Cutoff of the anti-alias low-pass, Hz: above the highest line judged (4 × 60 + `REACH`).
const LOW_PASS_HZ: f64 = 300.0;
/// Least sample rate after decimation, Hz: content above `1000 - 260` Hz that would fold onto
/// the judged lines is at least 60 dB down.
const MIN_DECIMATED_RATE: usize = 1000;

/// Detects mains hum. Built from a [`HumConfig`].
pub struct Hum {
    cfg: HumConfig,
    clock: SampleClock,
    tracker: SpanTracker,
    /// The last second of the channel mean (low-passed and decimated), as a ring.
    ring: Vec<f32>,
    /// Anti-alias filter, decimation factor, and input samples since the last kept one.
    lp: LowPass8,
    decim: usize,
    phase: usize,
    pos: usize,
    filled: usize,
    /// Samples since the last spectrum, and per hop.
    since: usize,
    hop_len: usize,
    window: Vec<f32>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    fft: Option<Arc<dyn Fft<f32>>>,
    /// Neighbourhood powers (for the median), sized once.
    hood: Vec<f32>,
    /// Mains frequency and fundamental level (dBFS) of the current interval.
    found: (usize, f64),
    prominence: f32,
    min_power: f32,
}

impl Hum {
    /// A hum detector named `name`. Prefer [`HumConfig::build`], which checks the values.
    pub fn new(cfg: HumConfig) -> Self {
        Hum {
            clock: SampleClock::default(),
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            ring: Vec::new(),
            lp: LowPass8::default(),
            decim: 1,
            phase: 0,
            pos: 0,
            filled: 0,
            since: 0,
            hop_len: 1,
            window: Vec::new(),
            buf: Vec::new(),
            scratch: Vec::new(),
            fft: None,
            hood: Vec::with_capacity(2 * (REACH - GUARD + 1)),
            found: (0, 0.0),
            prominence: 10f32.powf(cfg.prominence_db as f32 / 10.0),
            min_power: 10f32.powf(cfg.min_level_db as f32 / 10.0),
            cfg,
        }
    }

    /// Sets up buffers and the transform for `rate` (1 s of sound).
    fn setup(&mut self, rate: u32) {
        let rate = rate.max(1) as usize;
        // The largest factor that divides the rate (so bins stay exactly 1 Hz apart) and keeps
        // at least 1 kHz: 48 at 48 kHz, 42 at 44.1 kHz; 1 (no decimation) for odd rates.
        self.decim = (1..=rate / MIN_DECIMATED_RATE)
            .rev()
            .find(|&d| rate.is_multiple_of(d))
            .unwrap_or(1);
        self.lp = LowPass8::new(rate as f64, LOW_PASS_HZ);
        self.phase = 0;
        let n = rate / self.decim;
        if self.ring.len() != n {
            self.ring = vec![0.0; n];
            self.buf = vec![Complex32::new(0.0, 0.0); n];
            self.window = (0..n)
                .map(|i| {
                    let x = std::f64::consts::PI * i as f64 / n as f64;
                    (x.sin() * x.sin()) as f32
                })
                .collect();
            let fft = FftPlanner::<f32>::new().plan_fft_forward(n);
            self.scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
            self.fft = Some(fft);
        }
        self.hop_len = ((self.cfg.hop * rate as f64).round() as usize).max(1);
        self.pos = 0;
        self.filled = 0;
        self.since = 0;
    }

    fn details(&self) -> Details {
        let mut d = Details::new();
        d.insert("frequency".into(), json!(self.found.0));
        d.insert("level_db".into(), json!(self.found.1));
        d
    }

    /// Power of the line at bin `k` (its bin and the two beside it: the Hann window spreads a
    /// line over three bins), if it stands out.
    fn line(&mut self, k: usize) -> Option<f32> {
        let p = |i: usize| self.buf[i].norm_sqr();
        let n = self.buf.len();
        if k < REACH + 1 || k + REACH + 1 >= n / 2 {
            return None;
        }
        if p(k) < p(k - 1) || p(k) < p(k + 1) {
            return None;
        }
        let line = p(k - 1) + p(k) + p(k + 1);
        self.hood.clear();
        for d in GUARD..=REACH {
            self.hood.push(p(k - d));
            self.hood.push(p(k + d));
        }
        let mid = self.hood.len() / 2;
        let (_, median, _) = self.hood.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
        // Three bins against one: compare per bin.
        (line / 3.0 >= *median * self.prominence).then_some(line)
    }

    /// Spectrum of the last second: the mains frequency heard with harmonics, and the
    /// fundamental's level (dBFS RMS).
    fn judge(&mut self) -> Option<(usize, f64)> {
        let n = self.ring.len();
        for i in 0..n {
            let x = self.ring[(self.pos + i) % n];
            self.buf[i] = Complex32::new(x * self.window[i], 0.0);
        }
        let fft = self.fft.clone()?;
        fft.process_with_scratch(&mut self.buf, &mut self.scratch);
        // A sine of amplitude A gives |X|² summed over its three Hann bins of A²·n²·3/32;
        // its RMS power is A²/2.
        let scale = 16.0 / (3.0 * (n as f32) * (n as f32));
        for f in MAINS {
            let Some(fund) = self.line(f) else { continue };
            if fund * scale < self.min_power {
                continue;
            }
            let harmonics = (2..=LINES)
                .filter(|&h| {
                    self.line(h * f)
                        .is_some_and(|p| p * scale >= self.min_power)
                })
                .count();
            if harmonics >= 1 {
                let db = 10.0 * ((fund * scale) as f64).log10();
                return Some((f, (db * 10.0).round() / 10.0));
            }
        }
        None
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::AUDIO_HUM, c, at, self.details());
        }
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        if !contiguous {
            self.close(f.time(), out);
            self.setup(f.rate());
        }
        let n = self.ring.len();
        // The window in input samples.
        let span = n * self.decim;
        let chans = f.channels();
        let scale = 1.0 / chans as f32;
        let len = f.samples_per_channel();
        let mut i = 0;
        while i < len {
            let take = (self.hop_len - self.since).min(len - i);
            for j in i..i + take {
                let mut x = 0.0f32;
                for c in 0..chans {
                    let v = f.channel(c)[j];
                    x += if v.is_finite() { v } else { 0.0 };
                }
                let x = x * scale;
                let y = if self.decim > 1 {
                    let y = self.lp.run(x as f64) as f32;
                    self.phase += 1;
                    if self.phase < self.decim {
                        continue;
                    }
                    self.phase = 0;
                    y
                } else {
                    x
                };
                self.ring[self.pos] = y;
                self.pos = (self.pos + 1) % n;
                self.filled = (self.filled + 1).min(n);
            }
            self.since += take;
            i += take;
            if self.since == self.hop_len {
                self.since = 0;
                if self.filled < n {
                    continue;
                }
                // The hop at the middle of the 1 s window stands for it.
                let now = self.clock.time(tick + i as i64);
                let mid = tick + i as i64 - (span / 2) as i64 + (self.hop_len / 2) as i64;
                let end = self.clock.time(mid);
                let start = self.clock.time(mid - self.hop_len as i64);
                let hum = self.judge();
                if let Some(h) = hum {
                    if self.tracker.current_start().is_none() {
                        self.found = h;
                    }
                }
                if let Some(c) = self.tracker.observe(hum.is_some(), start, end) {
                    out.span(&DefectKind::AUDIO_HUM, c, now, self.details());
                }
            }
        }
    }
}

impl AudioDetector for Hum {
    fn sound(&mut self, f: &AudioFrame, out: &mut Events) {
        self.feed(f, out);
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
