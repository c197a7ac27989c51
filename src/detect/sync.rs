//! `sync`: audio and video out of step (`av_sync`).
//!
//! Two independent checks, each with its own interval and `details.source`:
//!
//! - **`timestamps`** — the two timelines themselves. (a) A *start gap*: the first sound and the
//!   first picture are more than [`max_start_gap`](SyncConfig::max_start_gap) apart (the
//!   decoder maps both onto the input's start time, and an AAC encoder's priming is either
//!   dropped by the decoder, from the skip samples FFmpeg reports, or sits *before* the first
//!   picture, so a few tens of ms are normal). (b) A *discontinuity* that moves the two raw
//!   timelines by different amounts: the decoder bridges each stream's jump on its own, so the
//!   difference of the two jumps (each less its stream's frame step) is an offset that the
//!   bridged timeline no longer shows. (c) *Drift*: the audio timestamps against the count of
//!   samples since the first frame (the sample clock); a skew of the audio clock against the
//!   timestamps accumulates into an offset (reported once it passes the tolerance) and a skew in
//!   ppm (metric `clock_skew_ppm`). A step of more than 10 ms between two frames is a gap (lost
//!   packets), not drift, and is not counted.
//! - **`pattern`** — flash/beep test signals. A *flash* is a picture whose mean luma jumps by at
//!   least [`flash_jump`](SyncConfig::flash_jump) over the previous picture's and falls back
//!   by half of that within [`max_flash`](SyncConfig::max_flash) seconds; its time is the
//!   picture's presentation time. A *beep* is a rise of the 1 ms peak level by at least
//!   [`beep_rise_db`](SyncConfig::beep_rise_db) over the loudest of the previous 50 ms that falls
//!   back under a tenth of its peak within [`max_beep`](SyncConfig::max_beep) seconds; its
//!   onset is refined to the first sample whose magnitude reaches half the burst's peak over its
//!   first 10 ms. Each flash is paired with the nearest beep within
//!   [`search_range`](SyncConfig::search_range): offset = beep − flash (positive = audio late),
//!   one metric `av_offset_ms` per pair followed by `av_offset_confidence`. The estimate is the
//!   median of the last [`window_pairs`](SyncConfig::window_pairs) pairs; its confidence is the
//!   share of them within 10 ms of it. `av_sync` opens once at least
//!   [`min_pairs`](SyncConfig::min_pairs) pairs give an estimate beyond the tolerance with
//!   confidence ≥ [`min_confidence`](SyncConfig::min_confidence), and closes when the estimate
//!   is back within it (or at the end).
//!
//! Tolerance: EBU R37 by default (audio may lead by 40 ms or lag by 60 ms); presets for ITU-R
//! BT.1359 (detectability, +45/−125 ms) and ATSC IS-191 (+15/−45 ms), or
//! [`max_lead_ms`](SyncConfig::max_lead_ms)/[`max_lag_ms`](SyncConfig::max_lag_ms).
//!
//! Limits: the pattern check needs flashes at least `search_range` apart from other flashes'
//! beeps (a 1 s period allows offsets up to ±0.5 s); offsets of whole pattern periods cannot be
//! told apart. Drift is measured on the audio clock only (video has no clock of its own to
//! count against).

use crate::detect::lock::StreamLock;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::decode::NoticeKind;
use crate::event::Details;
use crate::{
    AudioFrame, DefectKind, Detector, DetectorConfig, Events, Media, MediaTime, Result, SpanChange,
    VideoFrame, Wants,
};

use super::ConfigCheck;

/// A published A/V sync tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPreset {
    /// EBU Recommendation R37: audio may lead by 40 ms and lag by 60 ms.
    EbuR37,
    /// ITU-R BT.1359 detectability thresholds: lead 45 ms, lag 125 ms.
    ItuBt1359,
    /// ATSC IS-191: lead 15 ms, lag 45 ms.
    AtscIs191,
}

impl SyncPreset {
    /// `(max lead, max lag)` in ms.
    pub fn limits(self) -> (f64, f64) {
        match self {
            SyncPreset::EbuR37 => (40.0, 60.0),
            SyncPreset::ItuBt1359 => (45.0, 125.0),
            SyncPreset::AtscIs191 => (15.0, 45.0),
        }
    }
}

/// Configuration of the [`AvSync`] detector (type `"sync"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::SyncConfig};
/// let c: SyncConfig = serde_json::from_str(r#"{"preset": "itu_bt1359"}"#).unwrap();
/// assert_eq!(c.limits(), (45.0, 125.0));
/// assert!(SyncConfig { search_range: 0.0, ..Default::default() }.build("sync").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// The tolerance. Default `ebu_r37` (lead 40 ms, lag 60 ms): the broadcast recommendation for
    /// the whole chain.
    pub preset: SyncPreset,
    /// How far audio may lead (ms, ≥ 0), overriding the preset. Default none.
    pub max_lead_ms: Option<f64>,
    /// How far audio may lag (ms, ≥ 0), overriding the preset. Default none.
    pub max_lag_ms: Option<f64>,
    /// Run the timeline checks. Default `true`.
    pub timestamps: bool,
    /// Run the flash/beep check. Default `true`.
    pub pattern: bool,
    /// Seconds between the first sound and the first picture beyond which the start is reported.
    /// Default `1.0`: far above codec priming (21 ms for AAC) and B-frame reordering delays
    /// (< 0.2 s), so only a stream that really began late is reported.
    pub max_start_gap: f64,
    /// Minimum jump of mean luma (8-bit code values) from one picture to the next for a flash.
    /// Default `50`: a white flash over a mid-grey pattern jumps by about 110; half of that
    /// keeps dimmer flashes while most scene changes of real footage fall back too slowly.
    pub flash_jump: f64,
    /// Longest flash, seconds: the picture must fall back within it. Default `0.2` (5 frames at
    /// 25 fps; test patterns flash for one or two).
    pub max_flash: f64,
    /// Minimum rise of the 1 ms peak level over the loudest of the previous 50 ms for a beep
    /// onset, dB. Default `20`: a tone burst after quiet rises by far more; music rarely does.
    pub beep_rise_db: f64,
    /// Longest beep, seconds: the level must fall under a tenth of the burst's peak within it.
    /// Default `0.5` (test beeps are 10–200 ms; music after a pause goes on).
    pub max_beep: f64,
    /// Seconds around a flash searched for its beep. Default `1.0` (the issue's ±1 s; the
    /// nearest beep wins, so a 1 s pattern period resolves offsets up to ±0.5 s).
    pub search_range: f64,
    /// Pairs in the running estimate. Default `5`.
    pub window_pairs: usize,
    /// Pairs needed before `av_sync` can be raised. Default `3`: one odd pair is not an alarm.
    pub min_pairs: usize,
    /// Minimum confidence (share of the window's pairs within 10 ms of the estimate) to raise
    /// `av_sync`. Default `0.6`.
    pub min_confidence: f64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            preset: SyncPreset::EbuR37,
            max_lead_ms: None,
            max_lag_ms: None,
            timestamps: true,
            pattern: true,
            max_start_gap: 1.0,
            flash_jump: 50.0,
            max_flash: 0.2,
            beep_rise_db: 20.0,
            max_beep: 0.5,
            search_range: 1.0,
            window_pairs: 5,
            min_pairs: 3,
            min_confidence: 0.6,
        }
    }
}

impl SyncConfig {
    /// `(max lead, max lag)` in ms after overrides.
    pub fn limits(&self) -> (f64, f64) {
        let (lead, lag) = self.preset.limits();
        (
            self.max_lead_ms.unwrap_or(lead),
            self.max_lag_ms.unwrap_or(lag),
        )
    }
}

impl DetectorConfig for SyncConfig {
    const TYPE: &'static str = "sync";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        if let Some(v) = self.max_lead_ms {
            c.at_least("max_lead_ms", v, 0.0)?;
        }
        if let Some(v) = self.max_lag_ms {
            c.at_least("max_lag_ms", v, 0.0)?;
        }
        c.positive_seconds("max_start_gap", self.max_start_gap)?;
        c.require(
            self.flash_jump.is_finite() && self.flash_jump > 0.0 && self.flash_jump <= 255.0,
            "flash_jump",
            "must be between 0 and 255",
        )?;
        c.positive_seconds("max_flash", self.max_flash)?;
        c.require(
            self.beep_rise_db.is_finite() && self.beep_rise_db > 0.0,
            "beep_rise_db",
            "must be a finite number of dB > 0",
        )?;
        c.positive_seconds("max_beep", self.max_beep)?;
        c.require(
            self.search_range.is_finite() && self.search_range > 0.0 && self.search_range <= 10.0,
            "search_range",
            "must be between 0 and 10 seconds",
        )?;
        c.require(
            (1..=64).contains(&self.window_pairs),
            "window_pairs",
            "must be 1 to 64",
        )?;
        c.require(
            self.min_pairs >= 1 && self.min_pairs <= self.window_pairs,
            "min_pairs",
            "must be 1 to window_pairs",
        )?;
        c.require(
            (0.0..=1.0).contains(&self.min_confidence),
            "min_confidence",
            "must be between 0 and 1",
        )?;
        Ok(Box::new(AvSync::new(name, self.clone())))
    }
}

/// A fixed-capacity queue of times (no allocation after construction).
#[derive(Clone, Debug)]
struct TimeRing {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl TimeRing {
    fn new(cap: usize) -> Self {
        TimeRing {
            buf: vec![0.0; cap.max(1)],
            head: 0,
            len: 0,
        }
    }
    fn push(&mut self, v: f64) {
        let cap = self.buf.len();
        if self.len == cap {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        self.buf[(self.head + self.len) % cap] = v;
        self.len += 1;
    }
    fn front(&self) -> Option<f64> {
        (self.len > 0).then(|| self.buf[self.head])
    }
    fn pop(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % self.buf.len();
            self.len -= 1;
        }
    }
    fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).map(move |i| self.buf[(self.head + i) % self.buf.len()])
    }
    fn clear(&mut self) {
        self.len = 0;
    }
    fn len(&self) -> usize {
        self.len
    }
}

/// One `av_sync` interval of one source.
#[derive(Clone, Copy, Debug, Default)]
struct Alarm {
    open: Option<MediaTime>,
    /// Offsets seen while open (for the end event).
    worst: f64,
}

impl Alarm {
    fn details(source: &'static str, offset_ms: f64, confidence: Option<f64>) -> Details {
        let mut d = Details::new();
        d.insert("offset_ms".into(), json!((offset_ms * 10.0).round() / 10.0));
        d.insert("source".into(), json!(source));
        if let Some(c) = confidence {
            d.insert("confidence".into(), json!((c * 100.0).round() / 100.0));
        }
        d
    }

    /// Offset `offset_ms` (beyond tolerance or not) observed from `start` at `now`.
    fn observe(
        &mut self,
        bad: bool,
        start: MediaTime,
        now: MediaTime,
        (offset_ms, confidence): (f64, Option<f64>),
        source: &'static str,
        out: &mut Events,
    ) {
        match (self.open, bad) {
            (None, true) => {
                let start = start.min(now);
                self.open = Some(start);
                self.worst = offset_ms;
                out.span(
                    &DefectKind::AV_SYNC,
                    SpanChange::Started { start },
                    now,
                    Self::details(source, offset_ms, confidence),
                );
            }
            (Some(_), true) => {
                if offset_ms.abs() > self.worst.abs() {
                    self.worst = offset_ms;
                }
            }
            (Some(_), false) => self.close(now, offset_ms, confidence, source, out),
            (None, false) => {}
        }
    }

    fn close(
        &mut self,
        at: MediaTime,
        offset_ms: f64,
        confidence: Option<f64>,
        source: &'static str,
        out: &mut Events,
    ) {
        if let Some(start) = self.open.take() {
            let end = at.max(start);
            let mut d = Self::details(source, offset_ms, confidence);
            d.insert("worst_offset_ms".into(), json!(self.worst.round()));
            out.span(
                &DefectKind::AV_SYNC,
                SpanChange::Ended { start, end },
                end,
                d,
            );
        }
    }
}

/// Samples kept for refining a beep onset (a power of two).
const RING: usize = 8192;
/// Level-block length, seconds.
const BLOCK_SECS: f64 = 0.001;
/// Blocks of history a beep onset must rise over.
const HISTORY_BLOCKS: usize = 50;
/// Seconds after an onset used to find the burst's peak.
const PEAK_SECS: f64 = 0.010;
/// A drift step larger than this between two audio frames is a gap, not drift (seconds).
const MAX_DRIFT_STEP: f64 = 0.010;
/// Pairs within this of the estimate count for its confidence (ms).
const AGREE_MS: f64 = 10.0;

/// Flash detection state.
#[derive(Clone, Copy, Debug, Default)]
struct FlashState {
    prev_mean: Option<f64>,
    /// A candidate: time, the mean before it, its mean.
    candidate: Option<(MediaTime, f64, f64)>,
}

/// Beep detection state.
#[derive(Clone, Debug)]
struct BeepState {
    /// |sample| (loudest channel) by absolute tick, `RING` deep.
    ring: Vec<f32>,
    /// Peak level of the last `HISTORY_BLOCKS` blocks.
    history: [f32; HISTORY_BLOCKS],
    hist_pos: usize,
    hist_filled: usize,
    block_len: usize,
    block_n: usize,
    block_peak: f32,
    block_start: i64,
    /// Onset block start tick, waiting for `PEAK_SECS` of samples.
    pending: Option<i64>,
    /// A refined onset (tick) and the burst's peak, waiting for the burst to end.
    burst: Option<(i64, f32)>,
    quiet_blocks: usize,
    rate: u32,
    next: Option<i64>,
}

impl Default for BeepState {
    fn default() -> Self {
        BeepState {
            ring: vec![0.0; RING],
            history: [0.0; HISTORY_BLOCKS],
            hist_pos: 0,
            hist_filled: 0,
            block_len: 48,
            block_n: 0,
            block_peak: 0.0,
            block_start: 0,
            pending: None,
            burst: None,
            quiet_blocks: 0,
            rate: 0,
            next: None,
        }
    }
}

impl BeepState {
    fn reset(&mut self) {
        self.hist_filled = 0;
        self.hist_pos = 0;
        self.block_n = 0;
        self.block_peak = 0.0;
        self.pending = None;
        self.burst = None;
        self.quiet_blocks = 0;
        self.next = None;
    }
}

/// Detects audio/video offsets. Built from a [`SyncConfig`].
pub struct AvSync {
    name: String,
    cfg: SyncConfig,
    lead: f64,
    lag: f64,
    video_stream: StreamLock,
    audio_stream: StreamLock,
    first_video: Option<MediaTime>,
    first_audio: Option<MediaTime>,
    start_checked: bool,
    video_now: Option<MediaTime>,
    audio_now: Option<MediaTime>,
    video_step: f64,
    audio_step: f64,
    // timestamps
    /// Raw jumps seen at discontinuities, not yet paired: (time, jump less the stream's step).
    jump_audio: Option<(MediaTime, f64)>,
    jump_video: Option<(MediaTime, f64)>,
    /// Offset introduced by discontinuities, ms.
    disc_offset: f64,
    /// Audio sample clock: anchor tick and samples counted since, at the stream's rate.
    anchor: Option<(i64, u32)>,
    counted: i64,
    /// Drift accumulated (timestamps minus sample clock), seconds, and skipped gaps.
    drift: f64,
    gap_total: f64,
    last_dev: f64,
    /// Least-squares sums of deviation against elapsed seconds.
    fit: [f64; 5],
    next_skew_metric: f64,
    ts_alarm: Alarm,
    // pattern
    flash: FlashState,
    beep: BeepState,
    flashes: TimeRing,
    beeps: TimeRing,
    pairs: TimeRing,
    scratch: Vec<f64>,
    pattern_alarm: Alarm,
    pattern_start: Option<MediaTime>,
}

impl AvSync {
    /// A sync detector named `name`. Prefer [`SyncConfig::build`], which checks the values.
    pub fn new(name: &str, cfg: SyncConfig) -> Self {
        let (lead, lag) = cfg.limits();
        let window = cfg.window_pairs.max(1);
        AvSync {
            name: name.to_string(),
            lead,
            lag,
            video_stream: StreamLock::default(),
            audio_stream: StreamLock::default(),
            first_video: None,
            first_audio: None,
            start_checked: false,
            video_now: None,
            audio_now: None,
            video_step: 0.04,
            audio_step: 0.0,
            jump_audio: None,
            jump_video: None,
            disc_offset: 0.0,
            anchor: None,
            counted: 0,
            drift: 0.0,
            gap_total: 0.0,
            last_dev: 0.0,
            fit: [0.0; 5],
            next_skew_metric: 60.0,
            ts_alarm: Alarm::default(),
            flash: FlashState::default(),
            beep: BeepState::default(),
            flashes: TimeRing::new(32),
            beeps: TimeRing::new(64),
            pairs: TimeRing::new(window),
            scratch: Vec::with_capacity(window),
            pattern_alarm: Alarm::default(),
            pattern_start: None,
            cfg,
        }
    }

    /// True when `offset_ms` (positive = audio late) is beyond the tolerance.
    fn beyond(&self, offset_ms: f64) -> bool {
        offset_ms > self.lag + 1e-6 || -offset_ms > self.lead + 1e-6
    }

    // ---- timestamps ------------------------------------------------------------------------

    fn check_start(&mut self, out: &mut Events) {
        if self.start_checked || !self.cfg.timestamps {
            return;
        }
        let (Some(a), Some(v)) = (self.first_audio, self.first_video) else {
            return;
        };
        self.start_checked = true;
        let gap = a.secs_since(v);
        if gap.abs() > self.cfg.max_start_gap + 1e-9 {
            let (start, end) = (a.min(v), a.max(v));
            let ms = gap * 1000.0;
            let mut d = Alarm::details("timestamps", ms, None);
            d.insert("check".into(), json!("start"));
            out.span(
                &DefectKind::AV_SYNC,
                SpanChange::Started { start },
                end,
                d.clone(),
            );
            out.span(
                &DefectKind::AV_SYNC,
                SpanChange::Ended { start, end },
                end,
                d,
            );
        }
    }

    /// The timestamp offset now: discontinuities plus drift, ms.
    fn ts_offset(&self) -> f64 {
        self.disc_offset + self.drift * 1000.0
    }

    fn ts_update(&mut self, at: MediaTime, out: &mut Events) {
        if !self.cfg.timestamps {
            return;
        }
        let off = self.ts_offset();
        let bad = self.beyond(off);
        self.ts_alarm
            .observe(bad, at, at, (off, None), "timestamps", out);
    }

    fn pair_jumps(&mut self, now: MediaTime, out: &mut Events) {
        // A jump of one stream is paired with the other's within 2 s; alone after that, it
        // moved one timeline only.
        let (a, v) = (self.jump_audio, self.jump_video);
        let delta = match (a, v) {
            (Some((_, ja)), Some((_, jv))) => Some(ja - jv),
            (Some((t, ja)), None)
                if now.secs_since(t) > 2.0 && self.video_stream.stream().is_some() =>
            {
                Some(ja)
            }
            (None, Some((t, jv)))
                if now.secs_since(t) > 2.0 && self.audio_stream.stream().is_some() =>
            {
                Some(-jv)
            }
            _ => None,
        };
        if let Some(d) = delta {
            self.jump_audio = None;
            self.jump_video = None;
            self.disc_offset += d * 1000.0;
            self.ts_update(now, out);
        }
    }

    fn audio_clock(&mut self, f: &AudioFrame, out: &mut Events) {
        let rate = f.rate();
        let tick = f
            .time()
            .rescale(crate::Rational::new(1, rate as i32))
            .ticks();
        match self.anchor {
            Some((_, r)) if r == rate => {}
            _ => {
                self.anchor = Some((tick, rate));
                self.counted = 0;
                self.last_dev = 0.0;
                self.fit = [0.0; 5];
            }
        }
        let (t0, _) = self.anchor.unwrap_or((tick, rate));
        let dev = (tick - t0 - self.counted) as f64 / rate as f64 - self.gap_total;
        let step = dev - self.last_dev;
        if step.abs() > MAX_DRIFT_STEP {
            // lost or inserted audio: a gap, not drift
            self.gap_total += step;
        }
        let dev = (tick - t0 - self.counted) as f64 / rate as f64 - self.gap_total;
        self.last_dev = dev;
        self.counted += f.samples_per_channel() as i64;
        let x = (tick - t0) as f64 / rate as f64;
        {
            let s = &mut self.fit;
            s[0] += 1.0;
            s[1] += x;
            s[2] += x * x;
            s[3] += dev;
            s[4] += x * dev;
        }
        if (dev - self.drift).abs() > 1e-9 {
            self.drift = dev;
            self.ts_update(f.time(), out);
        }
        if x >= self.next_skew_metric {
            self.next_skew_metric = x + 60.0;
            let s = &self.fit;
            let den = s[0] * s[2] - s[1] * s[1];
            if den > 0.0 {
                let slope = (s[0] * s[4] - s[1] * s[3]) / den;
                out.metric("clock_skew_ppm", (slope * 1e7).round() / 10.0, f.time());
            }
        }
    }

    // ---- pattern ---------------------------------------------------------------------------

    fn video(&mut self, f: &VideoFrame, out: &mut Events) {
        let t = f.time();
        if let Some(d) = f.duration().filter(|d| *d > 0.0 && d.is_finite()) {
            self.video_step = d;
        }
        self.first_video.get_or_insert(t);
        self.video_now = Some(self.video_now.map_or(t, |n| n.max(t)));
        self.check_start(out);
        if self.cfg.timestamps {
            self.pair_jumps(t, out);
        }
        if !self.cfg.pattern {
            return;
        }
        let mean = mean_luma(f.analysis().luma());
        if let Some((ft, before, peak)) = self.flash.candidate {
            if mean <= peak - 0.5 * (peak - before) {
                self.flashes.push(ft.as_secs_f64());
                self.flash.candidate = None;
            } else if t.secs_since(ft) > self.cfg.max_flash + 1e-6 {
                self.flash.candidate = None;
            }
        }
        if let Some(prev) = self.flash.prev_mean {
            if mean - prev >= self.cfg.flash_jump && self.flash.candidate.is_none() {
                self.flash.candidate = Some((t, prev, mean));
            }
        }
        self.flash.prev_mean = Some(mean);
        self.pair(out);
    }

    fn audio(&mut self, f: &AudioFrame, out: &mut Events) {
        let n = f.samples_per_channel();
        if n == 0 {
            return;
        }
        self.audio_step = f.duration_secs();
        self.first_audio.get_or_insert(f.time());
        let end = f.end_time();
        self.audio_now = Some(self.audio_now.map_or(end, |x| x.max(end)));
        self.check_start(out);
        if self.cfg.timestamps {
            self.audio_clock(f, out);
            self.pair_jumps(f.time(), out);
        }
        if !self.cfg.pattern {
            return;
        }
        self.beeps_in(f);
        self.pair(out);
    }

    fn beeps_in(&mut self, f: &AudioFrame) {
        let rate = f.rate();
        let base = crate::Rational::new(1, rate as i32);
        let tick = f.time().rescale(base).ticks();
        let b = &mut self.beep;
        if b.rate != rate
            || b.next
                .is_none_or(|n| (tick - n).abs() > (rate / 500).max(1) as i64)
        {
            b.reset();
            b.rate = rate;
            b.block_len = ((rate as f64 * BLOCK_SECS).round() as usize).max(1);
            b.block_start = tick;
        }
        let first = b.next.unwrap_or(tick);
        let n = f.samples_per_channel();
        b.next = Some(first + n as i64);
        let rise = 10f32.powf(self.cfg.beep_rise_db as f32 / 20.0);
        let peak_len = (PEAK_SECS * rate as f64).round() as i64;
        let max_beep = (self.cfg.max_beep * rate as f64) as i64;
        let quiet_needed = 20usize;
        for i in 0..n {
            let mut v = 0f32;
            for c in 0..f.channels() {
                let x = f.channel(c)[i].abs();
                if x.is_finite() && x > v {
                    v = x;
                }
            }
            let abs = first + i as i64;
            b.ring[(abs as usize) & (RING - 1)] = v;
            b.block_peak = b.block_peak.max(v);
            b.block_n += 1;
            if let Some(onset_block) = b.pending {
                if abs >= onset_block + peak_len + b.block_len as i64 {
                    b.pending = None;
                    // refine: peak over the first PEAK_SECS, then the first sample at half it
                    let from = onset_block - 2 * b.block_len as i64;
                    let to = onset_block + b.block_len as i64 + peak_len;
                    let peak = (from..to)
                        .map(|k| b.ring[(k as usize) & (RING - 1)])
                        .fold(0f32, f32::max);
                    let onset = (from..to)
                        .find(|&k| b.ring[(k as usize) & (RING - 1)] >= 0.5 * peak)
                        .unwrap_or(onset_block);
                    b.burst = Some((onset, peak));
                    b.quiet_blocks = 0;
                }
            }
            if b.block_n == b.block_len {
                let bp = b.block_peak;
                let hist_max = b.history[..b.hist_filled]
                    .iter()
                    .copied()
                    .fold(0f32, f32::max);
                if let Some((onset, peak)) = b.burst {
                    if bp < 0.1 * peak {
                        b.quiet_blocks += 1;
                        if b.quiet_blocks >= quiet_needed {
                            b.burst = None;
                            self.beeps.push(onset as f64 / rate as f64);
                        }
                    } else {
                        b.quiet_blocks = 0;
                    }
                    if abs - onset > max_beep {
                        b.burst = None;
                    }
                } else if b.pending.is_none()
                    && b.hist_filled == HISTORY_BLOCKS
                    && bp >= 1e-3
                    && bp >= rise * hist_max.max(1e-5)
                {
                    b.pending = Some(b.block_start);
                }
                b.history[b.hist_pos] = bp;
                b.hist_pos = (b.hist_pos + 1) % HISTORY_BLOCKS;
                b.hist_filled = (b.hist_filled + 1).min(HISTORY_BLOCKS);
                b.block_peak = 0.0;
                b.block_n = 0;
                b.block_start = abs + 1;
            }
        }
    }

    /// Pairs every flash whose search range both streams have passed.
    fn pair(&mut self, out: &mut Events) {
        let (Some(v), Some(a)) = (self.video_now, self.audio_now) else {
            return;
        };
        let now = v.min(a).as_secs_f64();
        self.pair_until(now, v.max(a), out);
    }

    fn pair_until(&mut self, now: f64, emitted: MediaTime, out: &mut Events) {
        let range = self.cfg.search_range;
        while let Some(ft) = self.flashes.front() {
            if ft + range > now {
                break;
            }
            self.flashes.pop();
            // beeps too old for this flash (or any later one) go
            while self.beeps.front().is_some_and(|b| b < ft - range) {
                self.beeps.pop();
            }
            let best = self
                .beeps
                .iter()
                .filter(|b| (b - ft).abs() <= range)
                .min_by(|x, y| (x - ft).abs().total_cmp(&(y - ft).abs()));
            let Some(bt) = best else { continue };
            let offset = (bt - ft) * 1000.0;
            self.pattern_start
                .get_or_insert(MediaTime::from_secs_f64(ft.min(bt)));
            self.pairs.push(offset);
            let (est, conf) = self.estimate();
            let at = MediaTime::from_secs_f64(ft.max(bt));
            out.metric("av_offset_ms", (offset * 10.0).round() / 10.0, at);
            out.metric("av_offset_confidence", (conf * 100.0).round() / 100.0, at);
            let enough = self.pairs.len() >= self.cfg.min_pairs;
            let bad = enough && conf >= self.cfg.min_confidence && self.beyond(est);
            let good = enough && !self.beyond(est);
            if bad || good {
                let start = self.pattern_start.unwrap_or(at);
                let emitted_at = emitted.max(at);
                self.pattern_alarm.observe(
                    bad,
                    start,
                    emitted_at,
                    (est, Some(conf)),
                    "pattern",
                    out,
                );
                if good {
                    self.pattern_start = None;
                }
            }
        }
    }

    /// Median of the window's pairs and the share within `AGREE_MS` of it.
    fn estimate(&mut self) -> (f64, f64) {
        self.scratch.clear();
        self.scratch.extend(self.pairs.iter());
        let n = self.scratch.len();
        if n == 0 {
            return (0.0, 0.0);
        }
        self.scratch.sort_by(f64::total_cmp);
        let med = if n % 2 == 1 {
            self.scratch[n / 2]
        } else {
            0.5 * (self.scratch[n / 2 - 1] + self.scratch[n / 2])
        };
        let agree = self
            .scratch
            .iter()
            .filter(|&&x| (x - med).abs() <= AGREE_MS)
            .count();
        (med, agree as f64 / n as f64)
    }

    fn close_all(&mut self, at: MediaTime, out: &mut Events) {
        // flashes still waiting: pair with what arrived
        self.pair_until(f64::INFINITY, at, out);
        let off = self.ts_offset();
        self.ts_alarm.close(at, off, None, "timestamps", out);
        let (est, conf) = self.estimate();
        self.pattern_alarm
            .close(at, est, Some(conf), "pattern", out);
    }
}

/// Mean of a luma plane, every 4th pixel of every 4th row.
fn mean_luma(p: &crate::Plane) -> f64 {
    let (mut sum, mut n) = (0u64, 0u64);
    let mut y = 0;
    while y < p.height() {
        let row = p.row(y);
        sum += row.iter().step_by(4).map(|&v| v as u32).sum::<u32>() as u64;
        n += row.len().div_ceil(4) as u64;
        y += 4;
    }
    if n == 0 {
        0.0
    } else {
        sum as f64 / n as f64
    }
}

impl Detector for AvSync {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::VIDEO | Wants::AUDIO | Wants::NOTICES
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Video(f) => {
                if self.video_stream.accepts(f.stream()) {
                    self.video(f, out);
                }
            }
            Media::Audio(f) => {
                if self.audio_stream.accepts(f.stream()) {
                    self.audio(f, out);
                }
            }
            Media::Notice(n) => {
                let NoticeKind::Discontinuity { jump_secs } = n.kind else {
                    return;
                };
                if !self.cfg.timestamps || !jump_secs.is_finite() {
                    return;
                }
                if n.stream.is_some() && n.stream == self.audio_stream.stream() {
                    self.jump_audio = Some((n.time, jump_secs - self.audio_step));
                } else if n.stream.is_some() && n.stream == self.video_stream.stream() {
                    self.jump_video = Some((n.time, jump_secs - self.video_step));
                }
                self.pair_jumps(n.time, out);
            }
        }
    }

    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {
        // Pattern history does not compare across the jump; the timestamp offset carries over
        // (the jumps themselves are judged from the decoder's notices).
        self.flash = FlashState::default();
        self.beep.reset();
        self.flashes.clear();
        self.beeps.clear();
        self.anchor = None;
        self.gap_total = 0.0;
        self.drift = 0.0;
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close_all(at, out);
    }
}
