//! Dubbed-track sync: the offset of each audio track against a reference track, from the
//! sound they share (music and effects under different dialogue).
//!
//! Each track's channel mean is turned into an onset envelope: every 5 ms, the spectral flux
//! (the sum over FFT bins of the rise of the log magnitude since the previous spectrum, a
//! 1024-point Hann window at 48 kHz). Every `period` the last `window` seconds of the
//! reference's envelope are cross-correlated (Pearson) with the track's over lags up to
//! `max_offset_ms`; the best lag, refined to a fraction of a hop by a parabola through its
//! neighbours, is the offset (positive: the track is late); the confidence is the correlation
//! at it less the best correlation more than 50 ms away (music with a steady beat correlates
//! at several lags: an estimate is only as good as its margin over the next candidate). An offset beyond `tolerance_ms` at a confidence of at least `min_confidence`
//! is an `av_sync` defect with `details.source` `"track"`, on the track.

use std::collections::VecDeque;
use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig, Events, SpanTracker, Wants};
use crate::error::Result;
use crate::event::{DefectKind, Details};
use crate::media::{AudioFrame, Media, MediaTime, Needs};

/// Config of [`TrackSync`] (type `track_sync`, off by default).
///
/// ```
/// use avqc::DetectorConfig;
/// use avqc::detect::audio::TrackSyncConfig;
/// let c: TrackSyncConfig = serde_json::from_str(r#"{"reference": 2}"#).unwrap();
/// assert!(c.build("track_sync").is_ok());
/// ```
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackSyncConfig {
    /// The reference track (stream index). Default: the first audio track (the lowest
    /// stream index).
    pub reference: Option<usize>,
    /// Seconds of envelope correlated for one estimate. Default `20`.
    pub window: f64,
    /// Seconds of the reference between estimates. Default `5`.
    pub period: f64,
    /// Largest offset looked for, in ms. Default `600`.
    pub max_offset_ms: f64,
    /// Offsets within ± this are in sync, in ms. Default `40`.
    pub tolerance_ms: f64,
    /// Least confidence for an estimate to count: the correlation at the best lag less the
    /// best correlation more than 50 ms away from it (a steady beat makes several lags
    /// nearly as good: ambiguous). Default `0.15`.
    pub min_confidence: f64,
}

impl Default for TrackSyncConfig {
    fn default() -> Self {
        TrackSyncConfig {
            reference: None,
            window: 20.0,
            period: 5.0,
            max_offset_ms: 600.0,
            tolerance_ms: 40.0,
            min_confidence: 0.15,
        }
    }
}

impl DetectorConfig for TrackSyncConfig {
    const TYPE: &'static str = "track_sync";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.window.is_finite() && (2.0..=120.0).contains(&self.window),
            "window",
            "must be between 2 and 120 seconds",
        )?;
        c.require(
            self.period.is_finite() && self.period >= 0.5,
            "period",
            "must be at least 0.5 second",
        )?;
        c.require(
            self.max_offset_ms.is_finite()
                && self.max_offset_ms >= 10.0
                && self.max_offset_ms <= self.window * 250.0,
            "max_offset_ms",
            "must be at least 10 ms and at most a quarter of the window",
        )?;
        c.at_least("tolerance_ms", self.tolerance_ms, 0.0)?;
        c.require(
            (0.0..=1.0).contains(&self.min_confidence),
            "min_confidence",
            "must be between 0 and 1",
        )?;
        Ok(Box::new(TrackSync::new(name, self.clone())))
    }
}

/// Envelope hops per second.
const HOPS_PER_SEC: f64 = 200.0;
/// FFT length at 48 kHz (scaled with the rate, to a power of two).
const FFT_48K: usize = 1024;

/// One audio track's onset envelope.
struct Track {
    stream: usize,
    rate: u32,
    /// Media time of envelope hop 0 (the track's first sample).
    origin: MediaTime,
    /// Hops pushed out of `env` (the index of its first value).
    dropped: u64,
    env: VecDeque<f32>,
    /// The last `n` samples of the channel mean, as a ring; samples since the last hop.
    ring: Vec<f32>,
    pos: usize,
    since: usize,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
    buf: Vec<Complex32>,
    prev: Vec<f32>,
    tracker: SpanTracker,
}

impl Track {
    fn new(f: &AudioFrame, keep: usize) -> Self {
        let rate = f.rate().max(1);
        let n = (FFT_48K as f64 * rate as f64 / 48_000.0)
            .max(64.0)
            .round()
            .max(1.0) as usize;
        let n = n.next_power_of_two();
        let window = (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos())
            .collect();
        Track {
            stream: f.stream(),
            rate,
            origin: f.time(),
            dropped: 0,
            env: VecDeque::with_capacity(keep + 1),
            ring: vec![0.0; n],
            pos: 0,
            since: 0,
            hop: ((rate as f64 / HOPS_PER_SEC).round() as usize).max(1),
            window,
            fft: FftPlanner::<f32>::new().plan_fft_forward(n),
            buf: vec![Complex32::new(0.0, 0.0); n],
            prev: vec![0.0; n / 2],
            tracker: SpanTracker::new(0.0, 0.0),
        }
    }

    /// Seconds per hop.
    fn hop_secs(&self) -> f64 {
        self.hop as f64 / self.rate as f64
    }

    /// Adds a block of sound; the envelope grows by one value per hop.
    fn push(&mut self, f: &AudioFrame, keep: usize) {
        let ch = f.channels().max(1);
        let scale = 1.0 / ch as f32;
        let n = self.ring.len();
        for i in 0..f.samples_per_channel() {
            let mut s = 0.0;
            for c in 0..ch {
                s += f.channel(c)[i];
            }
            self.ring[self.pos] = s * scale;
            self.pos = (self.pos + 1) % n;
            self.since += 1;
            if self.since >= self.hop {
                self.since = 0;
                let v = self.flux();
                if self.env.len() >= keep {
                    self.env.pop_front();
                    self.dropped += 1;
                }
                self.env.push_back(v);
            }
        }
    }

    /// The spectral flux of the last `n` samples against the previous spectrum.
    fn flux(&mut self) -> f32 {
        let n = self.ring.len();
        for (k, b) in self.buf.iter_mut().enumerate() {
            *b = Complex32::new(self.ring[(self.pos + k) % n] * self.window[k], 0.0);
        }
        self.fft.process(&mut self.buf);
        let mut flux = 0.0;
        for (p, b) in self.prev.iter_mut().zip(&self.buf) {
            let m = (1.0 + 100.0 * b.norm()).ln();
            flux += (m - *p).max(0.0);
            *p = m;
        }
        flux
    }

    /// Index (in hops since its origin) of the envelope's first and one-past-last values.
    fn span(&self) -> (u64, u64) {
        (self.dropped, self.dropped + self.env.len() as u64)
    }
}

/// Pearson correlation of `a` with `b` (same length).
fn pearson(a: impl Iterator<Item = f32> + Clone, b: impl Iterator<Item = f32> + Clone) -> f64 {
    let (mut n, mut sa, mut sb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.clone().zip(b.clone()) {
        n += 1.0;
        sa += x as f64;
        sb += y as f64;
    }
    if n < 2.0 {
        return 0.0;
    }
    let (ma, mb) = (sa / n, sb / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The offset of audio tracks against a reference track. Built from a [`TrackSyncConfig`].
pub struct TrackSync {
    name: String,
    cfg: TrackSyncConfig,
    tracks: Vec<Track>,
    /// Reference media time of the next estimate.
    next: Option<MediaTime>,
    /// Scratch: correlations per lag.
    corr: Vec<f64>,
}

impl TrackSync {
    /// A detector named `name`.
    pub fn new(name: &str, cfg: TrackSyncConfig) -> Self {
        TrackSync {
            name: name.to_string(),
            cfg,
            tracks: Vec::new(),
            next: None,
            corr: Vec::new(),
        }
    }

    /// Envelope values kept per track: the window plus the lags either side.
    fn keep(&self) -> usize {
        ((self.cfg.window + 2.0 * self.cfg.max_offset_ms / 1000.0) * HOPS_PER_SEC).ceil() as usize
            + 2
    }

    fn reference(&self) -> Option<usize> {
        match self.cfg.reference {
            Some(s) => self.tracks.iter().position(|t| t.stream == s),
            None => (self.tracks.iter().enumerate())
                .min_by_key(|(_, t)| t.stream)
                .map(|(i, _)| i),
        }
    }

    /// Estimates every other track's offset at `at`.
    fn estimate(&mut self, at: MediaTime, out: &mut Events) {
        let Some(r) = self.reference() else { return };
        let w = (self.cfg.window * HOPS_PER_SEC) as i64;
        let m = (self.cfg.max_offset_ms / 1000.0 * HOPS_PER_SEC).ceil() as i64;
        for x in 0..self.tracks.len() {
            if x == r || self.tracks[x].hop_secs() != self.tracks[r].hop_secs() {
                continue;
            }
            let (rt, xt) = (&self.tracks[r], &self.tracks[x]);
            let hs = rt.hop_secs();
            // Hop h of the reference is at the same media time as hop h + shift of x.
            let d = rt.origin.secs_since(xt.origin) / hs;
            let shift = d.round() as i64;
            let frac = (d - shift as f64) * hs * 1000.0;
            let (r0, r1) = rt.span();
            let (x0, x1) = xt.span();
            // The reference window [end - w, end) with x's hops h+shift+lag inside x's envelope.
            let end = (r1 as i64).min(x1 as i64 - shift - m);
            let start = end - w;
            if start < r0 as i64 || start + shift - m < x0 as i64 {
                continue;
            }
            self.corr.clear();
            for lag in -m..=m {
                let a = (start..end).map(|h| rt.env[(h - r0 as i64) as usize]);
                let b = (start..end).map(|h| xt.env[(h + shift + lag - x0 as i64) as usize]);
                self.corr.push(pearson(a, b));
            }
            let (best, &peak) = (self.corr.iter().enumerate())
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap_or((0, &0.0));
            let refine = if best > 0 && best + 1 < self.corr.len() {
                let (l, c, rr) = (self.corr[best - 1], peak, self.corr[best + 1]);
                let den = l - 2.0 * c + rr;
                if den < 0.0 {
                    (0.5 * (l - rr) / den).clamp(-0.5, 0.5)
                } else {
                    0.0
                }
            } else {
                0.0
            };
            // The best correlation at lags more than 50 ms away from the peak: a second
            // candidate nearly as good (a steady beat) makes the estimate ambiguous.
            let second = (self.corr.iter().enumerate())
                .filter(|(i, _)| i.abs_diff(best) > 10)
                .map(|(_, &c)| c)
                .fold(0.0f64, f64::max);
            let lag = best as f64 - m as f64 + refine;
            // Positive: the same sound comes later on x than on the reference.
            let offset_ms = ((lag * hs * 1000.0 - frac) * 10.0).round() / 10.0;
            let confidence = ((peak - second).max(0.0) * 1000.0).round() / 1000.0;
            let stream = self.tracks[x].stream;
            out.set_track(Some(stream), None);
            out.metric("track_offset_ms", offset_ms, at);
            out.metric("track_offset_confidence", confidence, at);
            let off =
                confidence >= self.cfg.min_confidence && offset_ms.abs() > self.cfg.tolerance_ms;
            if confidence >= self.cfg.min_confidence {
                let t = &mut self.tracks[x];
                if let Some(c) = t.tracker.observe(off, at, at) {
                    let mut details = Details::new();
                    details.insert("source".into(), "track".into());
                    details.insert("offset_ms".into(), offset_ms.into());
                    details.insert("confidence".into(), confidence.into());
                    details.insert("reference".into(), self.tracks[r].stream.into());
                    out.span(&DefectKind::AV_SYNC, c, at, details);
                }
            }
            out.set_track(None, None);
        }
    }
}

impl Detector for TrackSync {
    fn name(&self) -> &str {
        &self.name
    }
    fn wants(&self) -> Wants {
        Wants::AUDIO
    }
    fn needs(&self) -> Needs {
        Needs::NONE
    }
    fn per_stream(&self) -> bool {
        false
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        let Media::Audio(f) = media else { return };
        if f.samples_per_channel() == 0 {
            return;
        }
        let keep = self.keep();
        let i = match self.tracks.iter().position(|t| t.stream == f.stream()) {
            Some(i) => i,
            None => {
                self.tracks.push(Track::new(f, keep));
                self.tracks.len() - 1
            }
        };
        self.tracks[i].push(f, keep);
        if Some(i) != self.reference() {
            return;
        }
        let at = f.end_time();
        let next = *self.next.get_or_insert(
            self.tracks[i]
                .origin
                .add_secs(self.cfg.window + self.cfg.max_offset_ms / 1000.0),
        );
        if at >= next {
            self.next = Some(at.add_secs(self.cfg.period));
            self.estimate(at, out);
        }
    }
    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        for t in &mut self.tracks {
            if let Some(c) = t.tracker.close() {
                out.set_track(Some(t.stream), None);
                let mut details = Details::new();
                details.insert("source".into(), "track".into());
                out.span(&DefectKind::AV_SYNC, c, at, details);
            }
        }
        out.set_track(None, None);
    }
}
