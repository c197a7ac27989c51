//! `click`: clicks and pops (`audio_click`): impulses of a few samples added to the sound, and
//! short crackle (several such impulses close together).
//!
//! Each channel is whitened by a short-term linear predictor (order `order`, re-estimated every
//! 10.7 ms from the last 21.3 ms of sound by the autocorrelation method; while an impulse is in
//! that window the old predictor is kept, for up to 43 ms, so that one click does not hide the
//! next). Programme sound — tones, chords, voices — is largely predictable from the samples
//! before it; an impulse is not, so it stands out in the prediction residual.
//!
//! **Trigger.** A residual sample more than `ratio` times the local residual level (the median
//! of the mean magnitude of 1.3 ms pieces over the previous 43 ms) opens a candidate.
//!
//! **Judgement.** Each candidate is judged once 60 ms of sound after it have arrived, on the
//! residual of the predictor that was in force before it, kept fixed from 30 ms before the
//! candidate to 40 ms after it. A click is an excess that
//!
//! - is short: the stretch of residual above an eighth of its peak (and above 4× the median
//!   before) lasts at most `max_duration` — a drum hit, a plosive or a new note keeps the
//!   fixed predictor wrong for as long as it sounds;
//! - leaves the sound as it was: after it, the residual of the same predictor returns to its
//!   level before (median within `max_residual_rise_db` above and `max_residual_fall_db`
//!   below; levels 46 dB or more under the click's peak count as equal), at most
//!   `max_other_share` of the 40 ms after it is taken by other, longer or weaker, excess
//!   (further impulses of comparable size are allowed: crackle), and the programme's level
//!   after it is within `max_level_change_db` of its level before it, over 6–30 ms or over
//!   10–60 ms on each side (the smaller change counts) — a cut, an onset or a percussive
//!   sound changes what follows;
//! - is loud enough to be a defect: its energy (the residual's energy over the excess, divided
//!   by the predictor's power gain: for a white impulse, the impulse's own energy) is at least
//!   that of a single sample at `min_level_db` dBFS.
//!
//! Clicks found on any channel within 2 ms of each other are one click; clicks less than
//! `burst_gap` apart are one event (crackle), with their number in `details.count`. An event
//! runs from the start of the first click's excess to the end of the last one's, and is
//! reported (start and end together) once `burst_gap` has passed without another, or once it
//! spans a second (continuous crackle is reported a second at a time).
//!
//! `details`: `count` (clicks in the event), `channels` (indices of the channels they were found
//! on), `level_db` (energy of the loudest, as the level of one sample of that energy, dBFS),
//! `excess_db` (the largest residual peak over the residual's median before it) and `duration`
//! (seconds).
//!
//! Lossy codecs smear an impulse into the short transform block around it (AAC: 5.3 ms), which
//! is why `max_duration` is 6 ms and not a few samples. A click in the first 21 ms of the
//! stream, or in the last 60 ms before its end or a gap, is not judged. Non-finite samples are
//! taken as 0 (in sound, that makes them clicks).
//!
//! Limits: under dense percussion (eighth-note hi-hats) the residual's level stays high and
//! only much louder clicks stand out; a click within 30 ms of an onset or a cut is taken for
//! part of it; a cut between two tonal sounds that keeps the level within
//! `max_level_change_db` is a waveform jump like a click, and is reported as one.

use crate::detect::lock::StreamLock;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::sample_clock::SampleClock;
use crate::event::Details;
use crate::{
    AudioFrame, DefectKind, Detector, DetectorConfig, Events, Media, MediaTime, Result, SpanChange,
    Wants,
};

/// Highest predictor order accepted.
const MAX_ORDER: usize = 32;

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
    /// shape tests.
    pub ratio: f64,
    /// Least energy of a click, as the level (dBFS) of a single sample of the same energy.
    /// Default `-20.0`: the corpus's clicks (0.3–0.9 full scale, 1–5 samples) measure −14 to
    /// −3 dB after AAC or AC-3 (MP2 at 192 kb/s removes more of their top octave: −20 to
    /// −14 dB); the short impacts of real film sound (foley in the Big Buck Bunny soundtrack)
    /// measure −21 dB and below and are programme, not defects.
    pub min_level_db: f64,
    /// Longest excess that is a click, in seconds. Default `0.006`: a click of 1–5 samples
    /// stays a few samples long in PCM, but AAC spreads it over its 5.3 ms short block (4.8 ms
    /// measured); percussive sounds and onsets keep the residual high for 8 ms and more.
    pub max_duration: f64,
    /// Largest change of the programme's level from before a click to after it, in dB, over
    /// 6–30 ms or 10–60 ms on each side (whichever changed less). Default `4.0`: an added click
    /// leaves the sound around it as it was, and music's own level (partials beating) moves by
    /// more than 4 dB between such windows at 0.1 % of places in the corpus's music; onsets of
    /// notes and drums change it by 10 dB and more, the impacts in the real film soundtrack by
    /// 7 dB and more, cuts between different sounds usually by more.
    pub max_level_change_db: f64,
    /// Largest rise of the residual's median level after a click over its level before, in dB.
    /// Default `8.0`: a codec stirs up noise around a click for longer than the click itself
    /// (a few dB in music), while a new sound that the old predictor does not know raises it
    /// 10–40 dB.
    pub max_residual_rise_db: f64,
    /// Largest fall of the residual's median level after a click, in dB. Default `6.0`: sound
    /// that stops or drops (a cut to silence) is not a click.
    pub max_residual_fall_db: f64,
    /// Largest share of the 40 ms after a click taken by other excess: stretches longer than
    /// `max_duration`, or with a peak under a quarter of the click's. Default `0.01`: after an
    /// added click the residual returns to its level at once (share 0 on the corpus), while
    /// percussive sound, onsets and cuts fill 20–100 % of it.
    pub max_other_share: f64,
    /// Clicks closer than this, in seconds, are one event (crackle). Default `0.1`: impulses
    /// repeating faster than 10 per second are heard as one crackle.
    pub burst_gap: f64,
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
            max_residual_rise_db: 8.0,
            max_residual_fall_db: 6.0,
            max_other_share: 0.01,
            burst_gap: 0.1,
            order: 16,
        }
    }
}

impl DetectorConfig for ClickConfig {
    const TYPE: &'static str = "click";

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

/// Sample counts of the analysis at one sample rate.
#[derive(Clone, Copy, Debug, Default)]
struct Geometry {
    rate: u32,
    order: usize,
    /// Predictor estimation window and hop.
    window: usize,
    hop: usize,
    /// Pieces whose mean residual magnitude makes up the local level.
    piece: usize,
    /// A trigger cluster ends after this many samples below the trigger.
    cluster_gap: usize,
    /// Longest trigger cluster kept.
    cluster_max: usize,
    /// Judgement windows before and after a candidate.
    pre: usize,
    post: usize,
    /// Samples next to the peak left out of the "before" median.
    guard: usize,
    /// How far the excess may reach before and after the peak, and the gap that ends it.
    reach_back: usize,
    reach_fwd: usize,
    excess_gap: usize,
    max_duration: usize,
    /// Programme level windows: `inner..outer` samples on each side (short, long).
    level_windows: [(usize, usize); 2],
    /// Samples needed after a candidate's peak to judge it.
    wait: usize,
    /// Clicks closer than this on different channels are one click.
    same_click: usize,
    burst_gap: usize,
    /// A burst is reported once it is this long (continuous crackle: one event a second).
    max_burst: usize,
    /// Samples kept in each channel's buffer, and its capacity.
    keep: usize,
    capacity: usize,
}

impl Geometry {
    fn new(rate: u32, cfg: &ClickConfig) -> Self {
        let ms = |m: f64| ((m * rate as f64 / 1000.0).round() as usize).max(1);
        let order = cfg.order;
        let window = ms(21.333).max(2 * order + 2) & !1;
        let pre = ms(30.0);
        let post = ms(40.0);
        let reach_back = ms(6.0);
        let cluster_gap = ms(2.0);
        let cluster_max = ms(10.0);
        // The oldest sample still needed: a candidate is judged once `wait` samples follow its
        // peak (its cluster closes at most `cluster_max + cluster_gap` after it), at the end of
        // a chunk; its judgement starts `pre + order` (or `level_outer`) before the peak. The
        // predictor needs the last `window` samples.
        let reach_fwd = ms(10.0);
        let level_outer = ms(60.0);
        let wait = (post + reach_fwd).max(level_outer);
        let keep =
            (pre.max(level_outer) + order + wait.max(cluster_max + cluster_gap) + 64).max(window);
        Geometry {
            rate,
            order,
            window,
            hop: window / 2,
            piece: ms(1.3333),
            cluster_gap,
            cluster_max,
            pre,
            post,
            guard: ms(3.0),
            reach_back,
            reach_fwd,
            excess_gap: ms(1.0),
            max_duration: ((cfg.max_duration * rate as f64).round() as usize).max(1),
            level_windows: [(ms(6.0), ms(30.0)), (ms(10.0), level_outer)],
            wait,
            same_click: ms(2.0),
            burst_gap: (cfg.burst_gap * rate as f64).round() as usize,
            max_burst: rate as usize,
            keep,
            capacity: keep + CHUNK,
        }
    }
}

/// Samples processed at a time (per channel).
const CHUNK: usize = 4096;
/// Pieces in the local level (43 ms at 48 kHz).
const PIECES: usize = 32;
/// Predictors remembered (each in force for at least one hop: 256 ms at 48 kHz, more than a
/// candidate can wait with a chunk).
const SNAPSHOTS: usize = 24;
/// Residual level, relative to a click's peak, under which the residual counts as quiet when
/// comparing its level before and after the click (−46 dB).
const QUIET_AFTER: f32 = 1.0 / 200.0;
/// Predictor updates skipped in a row while impulses are in its window (4 × 10.7 ms).
const MAX_SKIPPED: usize = 4;
/// Candidates waiting for judgement per channel; more are dropped (unreachable for sound
/// that is not itself a stream of impulses).
const MAX_PENDING: usize = 64;

/// A predictor and where it took over.
#[derive(Clone, Copy, Debug)]
struct Predictor {
    /// First sample position it filters.
    from: i64,
    /// `a[0] = 1`, `a[1..=order]`: residual `e[n] = sum a[k] x[n-k]`.
    a: [f32; MAX_ORDER + 1],
    /// `sum a[k]^2`: the power gain of the whitening filter for white input.
    gain: f32,
}

impl Predictor {
    fn identity(from: i64) -> Self {
        let mut a = [0.0; MAX_ORDER + 1];
        a[0] = 1.0;
        Predictor { from, a, gain: 1.0 }
    }
}

/// A run of trigger samples.
#[derive(Clone, Copy, Debug)]
struct Cluster {
    start: i64,
    last: i64,
    peak: i64,
    peak_abs: f32,
}

/// An impulse accepted on one channel.
#[derive(Clone, Copy, Debug)]
struct Found {
    start: i64,
    end: i64,
    channel: usize,
    /// Energy, dB re one full-scale sample.
    level_db: f64,
    /// Peak residual over the residual's median before it, dB.
    excess_db: f64,
}

/// Analysis state of one channel.
#[derive(Debug, Default)]
struct Channel {
    /// Samples from absolute position `start` on.
    buf: Vec<f32>,
    start: i64,
    /// Predictor in force and the ones before it (ring).
    current: Option<Predictor>,
    history: Vec<Predictor>,
    /// Local residual level: mean magnitude of the current piece, the last finished ones.
    piece_sum: f32,
    piece_n: usize,
    pieces: RunningMedian,
    level: f32,
    /// Least trigger (set from `min_level_db` and the predictor's gain).
    floor: f32,
    cluster: Option<Cluster>,
    pending: Vec<Cluster>,
    /// Last position that set off the trigger, and predictor updates skipped because of it.
    last_trigger: i64,
    skipped: usize,
}

impl Channel {
    fn reset(&mut self, g: &Geometry) {
        if self.buf.capacity() < g.capacity {
            self.buf = Vec::with_capacity(g.capacity);
        }
        self.buf.clear();
        self.start = 0;
        self.current = None;
        if self.history.capacity() < SNAPSHOTS {
            self.history = Vec::with_capacity(SNAPSHOTS);
        }
        self.history.clear();
        self.piece_sum = 0.0;
        self.piece_n = 0;
        self.pieces = RunningMedian::default();
        self.level = f32::INFINITY;
        self.floor = f32::INFINITY;
        self.cluster = None;
        if self.pending.capacity() < MAX_PENDING {
            self.pending = Vec::with_capacity(MAX_PENDING);
        }
        self.pending.clear();
        self.last_trigger = i64::MIN / 2;
        self.skipped = 0;
    }

    /// Position just after the newest sample.
    fn end(&self) -> i64 {
        self.start + self.buf.len() as i64
    }

    /// The predictor that filtered position `pos`.
    fn predictor_at(&self, pos: i64) -> Option<Predictor> {
        let cur = self.current?;
        if cur.from <= pos {
            return Some(cur);
        }
        self.history
            .iter()
            .filter(|p| p.from <= pos)
            .max_by_key(|p| p.from)
            .copied()
    }
}

/// Median of the last `PIECES` values: a ring in arrival order and the same values sorted.
#[derive(Clone, Copy, Debug)]
struct RunningMedian {
    ring: [f32; PIECES],
    sorted: [f32; PIECES],
    len: usize,
    next: usize,
}

impl Default for RunningMedian {
    fn default() -> Self {
        RunningMedian {
            ring: [0.0; PIECES],
            sorted: [0.0; PIECES],
            len: 0,
            next: 0,
        }
    }
}

impl RunningMedian {
    /// Adds `v` (dropping the oldest value once full); returns the median.
    fn push(&mut self, v: f32) -> f32 {
        if self.len == PIECES {
            let old = self.ring[self.next];
            let i = self.sorted[..self.len]
                .iter()
                .position(|&x| x == old)
                .unwrap_or(self.len - 1);
            self.sorted.copy_within(i + 1..self.len, i);
            self.len -= 1;
        }
        self.ring[self.next] = v;
        self.next = (self.next + 1) % PIECES;
        let i = self.sorted[..self.len].partition_point(|&x| x < v);
        self.sorted.copy_within(i..self.len, i + 1);
        self.sorted[i] = v;
        self.len += 1;
        self.sorted[self.len / 2]
    }
}

/// Scratch buffers for estimation and judgement, sized once per format.
#[derive(Debug, Default)]
struct Scratch {
    hann: Vec<f32>,
    /// Residual of the samples up to the next predictor update.
    segment: Vec<f32>,
    windowed: Vec<f32>,
    residual: Vec<f32>,
    select: Vec<f32>,
    found: Vec<Found>,
}

/// A crackle burst (or single click) being gathered.
#[derive(Clone, Copy, Debug)]
struct Burst {
    start: i64,
    /// End of the last click (the next click is the same one if it starts before this plus
    /// `same_click`).
    end: i64,
    count: u32,
    channels: u64,
    level_db: f64,
    excess_db: f64,
}

/// Detects clicks and crackle. Built from a [`ClickConfig`].
pub struct Click {
    name: String,
    cfg: ClickConfig,
    clock: SampleClock,
    stream: StreamLock,
    geometry: Geometry,
    /// Tick (1/rate) of position 0.
    origin: i64,
    channels: Vec<Channel>,
    scratch: Scratch,
    burst: Option<Burst>,
    /// `min_level_db` as energy.
    min_energy: f32,
}

impl Click {
    /// A click detector named `name`. Prefer [`ClickConfig::build`], which checks the values.
    pub fn new(name: &str, cfg: ClickConfig) -> Self {
        Click {
            name: name.to_string(),
            min_energy: 10f64.powf(cfg.min_level_db / 10.0) as f32,
            cfg,
            clock: SampleClock::default(),
            stream: StreamLock::default(),
            geometry: Geometry::default(),
            origin: 0,
            channels: Vec::new(),
            scratch: Scratch::default(),
            burst: None,
        }
    }

    fn time(&self, pos: i64) -> MediaTime {
        self.clock.time(self.origin + pos)
    }

    /// Sets up for a new format (or after a gap), keeping buffers when the format is the same.
    fn restart(&mut self, f: &AudioFrame, tick: i64) {
        if self.geometry.rate != f.rate() || self.channels.len() != f.channels() {
            self.geometry = Geometry::new(f.rate(), &self.cfg);
            let g = &self.geometry;
            self.channels.clear();
            self.channels.resize_with(f.channels(), Channel::default);
            let w = g.window;
            self.scratch.hann = (0..w)
                .map(|i| {
                    let t = std::f64::consts::PI * 2.0 * (i as f64 + 0.5) / w as f64;
                    (0.5 - 0.5 * t.cos()) as f32
                })
                .collect();
            self.scratch.windowed = vec![0.0; w];
            self.scratch.segment = vec![0.0; g.hop + 1];
            self.scratch.residual = vec![0.0; g.pre + g.post + g.reach_fwd + 8];
            self.scratch.select = Vec::with_capacity(g.pre + g.post + 8);
            self.scratch.found = Vec::with_capacity(MAX_PENDING * f.channels().min(64));
        }
        let g = self.geometry;
        for ch in &mut self.channels {
            ch.reset(&g);
        }
        self.origin = tick;
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        if !contiguous {
            self.flush(out);
            self.restart(f, tick);
        }
        let len = f.samples_per_channel();
        let mut i = 0;
        while i < len {
            let take = CHUNK.min(len - i);
            for c in 0..self.channels.len() {
                let samples = &f.channel(c)[i..i + take];
                trigger(
                    &mut self.channels[c],
                    samples,
                    &self.geometry,
                    &mut self.scratch,
                    self.cfg.ratio as f32,
                    self.min_energy,
                );
            }
            i += take;
            self.judge_ready(out);
        }
    }

    /// Judges every candidate whose after-window is complete, then closes a burst that can no
    /// longer grow.
    fn judge_ready(&mut self, out: &mut Events) {
        let g = self.geometry;
        let mut found = std::mem::take(&mut self.scratch.found);
        found.clear();
        for (c, ch) in self.channels.iter_mut().enumerate() {
            let end = ch.end();
            let mut k = 0;
            while k < ch.pending.len() {
                let cand = ch.pending[k];
                if cand.peak + g.wait as i64 <= end {
                    ch.pending.swap_remove(k);
                    if let Some(hit) = judge(ch, &cand, c, &g, &self.cfg, &mut self.scratch) {
                        if found.len() < found.capacity() {
                            found.push(hit);
                        }
                    }
                } else {
                    k += 1;
                }
            }
        }
        found.sort_unstable_by_key(|f| f.start);
        for hit in &found {
            self.add(hit, out);
        }
        self.scratch.found = found;
        // Nothing can start before the oldest open or waiting candidate (less the reach back).
        let frontier = self
            .channels
            .iter()
            .map(|ch| {
                let pending = ch.pending.iter().map(|p| p.start).min();
                let open = ch.cluster.map(|c| c.start);
                pending.into_iter().chain(open).min().unwrap_or(ch.end())
            })
            .min()
            .unwrap_or(0)
            - g.reach_back as i64;
        if let Some(b) = self.burst {
            if frontier > b.end + g.burst_gap as i64 {
                let at = self.channels.first().map_or(b.end, Channel::end);
                self.emit(at, out);
            }
        }
    }

    /// Adds an accepted impulse to the current burst, or starts a new one.
    fn add(&mut self, hit: &Found, out: &mut Events) {
        let g = self.geometry;
        let bit = if hit.channel < 64 {
            1u64 << hit.channel
        } else {
            0
        };
        if let Some(b) = &mut self.burst {
            let same = hit.start <= b.end + g.same_click as i64;
            let close = hit.start <= b.end + g.burst_gap as i64;
            if same || (close && hit.start - b.start < g.max_burst as i64) {
                if !same {
                    b.count += 1;
                }
                b.end = b.end.max(hit.end);
                b.channels |= bit;
                b.level_db = b.level_db.max(hit.level_db);
                b.excess_db = b.excess_db.max(hit.excess_db);
                return;
            }
            let at = self.channels.first().map_or(hit.start, Channel::end);
            self.emit(at, out);
        }
        self.burst = Some(Burst {
            start: hit.start,
            end: hit.end,
            count: 1,
            channels: bit,
            level_db: hit.level_db,
            excess_db: hit.excess_db,
        });
    }

    /// Reports the current burst (start and end), emitted at position `at`.
    fn emit(&mut self, at: i64, out: &mut Events) {
        let Some(b) = self.burst.take() else { return };
        let start = self.time(b.start);
        let end = self.time(b.end);
        let emitted = self.time(at.max(b.end));
        let channels: Vec<usize> = (0..64).filter(|c| b.channels & (1 << c) != 0).collect();
        let mut d = Details::new();
        d.insert("count".into(), json!(b.count));
        d.insert("channels".into(), json!(channels));
        d.insert("level_db".into(), json!((b.level_db * 10.0).round() / 10.0));
        d.insert(
            "excess_db".into(),
            json!((b.excess_db.min(200.0) * 10.0).round() / 10.0),
        );
        d.insert(
            "duration".into(),
            json!((end.secs_since(start) * 100_000.0).round() / 100_000.0),
        );
        let s = SpanChange::Started { start };
        out.span(&DefectKind::AUDIO_CLICK, s, emitted, d.clone());
        out.span(
            &DefectKind::AUDIO_CLICK,
            SpanChange::Ended { start, end },
            emitted,
            d,
        );
    }

    /// End of input or a gap: candidates without their after-window are dropped, a burst is
    /// reported.
    fn flush(&mut self, out: &mut Events) {
        if let Some(b) = self.burst {
            let at = self.channels.first().map_or(b.end, Channel::end);
            self.emit(at, out);
        }
        for ch in &mut self.channels {
            ch.pending.clear();
            ch.cluster = None;
        }
    }
}

/// Appends `samples` to the channel, whitens them and collects trigger clusters.
fn trigger(
    ch: &mut Channel,
    samples: &[f32],
    g: &Geometry,
    scratch: &mut Scratch,
    ratio: f32,
    min_energy: f32,
) {
    // Make room, keeping the newest `keep` samples.
    if ch.buf.len() + samples.len() > g.capacity {
        let drop = ch.buf.len() - g.keep.min(ch.buf.len());
        ch.buf.copy_within(drop.., 0);
        ch.buf.truncate(ch.buf.len() - drop);
        ch.start += drop as i64;
    }
    let first = ch.end();
    ch.buf.extend(samples.iter().map(|&v| {
        if v.is_finite() {
            v.clamp(-64.0, 64.0)
        } else {
            0.0
        }
    }));
    let end = ch.end();
    let hop = g.hop as i64;
    let mut pos = first;
    while pos < end {
        if pos >= g.window as i64 && pos % hop == 0 {
            // An impulse inside the estimation window would bend the predictor towards it and
            // hide the next one (crackle): keep the one from before, for a while.
            if ch.current.is_some()
                && pos - ch.last_trigger <= g.window as i64
                && ch.skipped < MAX_SKIPPED
            {
                ch.skipped += 1;
            } else {
                ch.skipped = 0;
                estimate(ch, pos, g, scratch, min_energy);
            }
        }
        // Up to the next predictor update.
        let seg_end = end.min((pos / hop + 1) * hop);
        let Some(pred) = ch.current else {
            pos = seg_end;
            continue;
        };
        let len = (seg_end - pos) as usize;
        let e = &mut scratch.segment[..len];
        whiten(&ch.buf, (pos - ch.start) as usize, &pred.a[..=g.order], e);
        e.iter_mut().for_each(|v| *v = v.abs());
        scan(ch, pos, e, g, ratio);
        pos = seg_end;
    }
}

/// The residual of `a` over `buf[from..from + out.len()]` (needs `a.len() - 1` samples before).
fn whiten(buf: &[f32], from: usize, a: &[f32], out: &mut [f32]) {
    let n = out.len();
    out.copy_from_slice(&buf[from..from + n]);
    for (k, &ak) in a.iter().enumerate().skip(1) {
        for (o, &x) in out.iter_mut().zip(&buf[from - k..from - k + n]) {
            *o += ak * x;
        }
    }
}

/// Residual magnitudes `e` from position `pos` on: trigger clusters and the local level, a piece
/// at a time (the trigger level is constant within a piece).
fn scan(ch: &mut Channel, mut pos: i64, mut e: &[f32], g: &Geometry, ratio: f32) {
    while !e.is_empty() {
        let (block, rest) = e.split_at((g.piece - ch.piece_n).min(e.len()));
        let thr = ch.floor.max(ratio * ch.level);
        let (sum, max) = sum_max(block);
        if max > thr {
            for (j, &a) in block.iter().enumerate() {
                let at = pos + j as i64;
                if a > thr {
                    trigger_at(ch, at, a, g);
                } else if ch
                    .cluster
                    .is_some_and(|c| at - c.last > g.cluster_gap as i64)
                {
                    close_cluster(ch, g);
                }
            }
        } else if ch
            .cluster
            .is_some_and(|c| pos + block.len() as i64 - 1 - c.last > g.cluster_gap as i64)
        {
            close_cluster(ch, g);
        }
        // Local level: median of the mean magnitudes of the last pieces.
        ch.piece_sum += sum;
        ch.piece_n += block.len();
        if ch.piece_n == g.piece {
            let mean = ch.piece_sum / g.piece as f32;
            ch.piece_sum = 0.0;
            ch.piece_n = 0;
            ch.level = ch.pieces.push(mean);
        }
        pos += block.len() as i64;
        e = rest;
    }
}

/// Sum and maximum of non-negative values (eight lanes: vectorises).
fn sum_max(v: &[f32]) -> (f32, f32) {
    let mut sum = [0.0f32; 8];
    let mut max = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            sum[k] += c[k];
            max[k] = if c[k] > max[k] { c[k] } else { max[k] };
        }
    }
    let mut s: f32 = sum.iter().sum();
    let mut m = max.iter().fold(0.0f32, |a, &b| if b > a { b } else { a });
    for &x in rest {
        s += x;
        m = if x > m { x } else { m };
    }
    (s, m)
}

/// A residual sample over the trigger at `pos`: extends the open cluster or opens one.
fn trigger_at(ch: &mut Channel, pos: i64, a: f32, g: &Geometry) {
    ch.last_trigger = pos;
    match &mut ch.cluster {
        Some(c) if pos - c.last <= g.cluster_gap as i64 => {
            c.last = pos;
            if a > c.peak_abs {
                c.peak_abs = a;
                c.peak = pos;
            }
        }
        _ => {
            close_cluster(ch, g);
            ch.cluster = Some(Cluster {
                start: pos,
                last: pos,
                peak: pos,
                peak_abs: a,
            });
        }
    }
}

/// Ends the open cluster; a short one becomes a candidate.
fn close_cluster(ch: &mut Channel, g: &Geometry) {
    if let Some(c) = ch.cluster.take() {
        if c.last - c.start <= g.cluster_max as i64 && ch.pending.len() < MAX_PENDING {
            ch.pending.push(c);
        }
    }
}

/// Estimates the predictor for the hop starting at `pos` from the `window` samples before it.
fn estimate(ch: &mut Channel, pos: i64, g: &Geometry, scratch: &mut Scratch, min_energy: f32) {
    let p = g.order;
    let w = g.window;
    let i = (pos - ch.start) as usize;
    let seg = &ch.buf[i - w..i];
    for ((y, &x), &h) in scratch.windowed.iter_mut().zip(seg).zip(&scratch.hann) {
        *y = x * h;
    }
    let y = &scratch.windowed;
    let mut r = [0.0f64; MAX_ORDER + 1];
    for (k, rk) in r.iter_mut().enumerate().take(p + 1) {
        *rk = dot(&y[..w - k], &y[k..]) as f64;
    }
    let mut pred = Predictor::identity(pos);
    if r[0] > 1e-20 {
        // White-noise correction (−40 dB) and a 40 Hz Gaussian lag window keep the estimate
        // well conditioned on pure tones.
        r[0] *= 1.0 + 1e-4;
        let bw = 2.0 * std::f64::consts::PI * 40.0 / g.rate as f64;
        for (k, rk) in r.iter_mut().enumerate().take(p + 1).skip(1) {
            *rk *= (-0.5 * (bw * k as f64).powi(2)).exp();
        }
        let a = levinson(&r, p);
        for (d, &v) in pred.a.iter_mut().zip(&a).take(p + 1) {
            *d = v as f32;
        }
        pred.gain = pred.a[..=p].iter().map(|v| v * v).sum();
    }
    if let Some(old) = ch.current.replace(pred) {
        if ch.history.len() == SNAPSHOTS {
            ch.history.remove(0);
        }
        ch.history.push(old);
    }
    // An impulse of the least energy gives at least a 16th of its amplitude in its loudest
    // residual sample, even when a codec spreads it over 256 samples.
    ch.floor = (min_energy * pred.gain).sqrt() / 16.0;
}

/// Dot product with eight accumulators (vectorises).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, ar) = a.split_at(a.len() / 8 * 8);
    let (bc, br) = b.split_at(ac.len());
    for (x, y) in ac.chunks_exact(8).zip(bc.chunks_exact(8)) {
        for ((s, &u), &v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// Levinson–Durbin recursion: the predictor `a` (with `a[0] = 1`) of order `p` from the
/// autocorrelation `r`.
fn levinson(r: &[f64; MAX_ORDER + 1], p: usize) -> [f64; MAX_ORDER + 1] {
    let mut a = [0.0f64; MAX_ORDER + 1];
    let mut prev = [0.0f64; MAX_ORDER + 1];
    a[0] = 1.0;
    let mut err = r[0];
    for i in 1..=p {
        if err <= r[0] * 1e-12 {
            break;
        }
        let mut acc = r[i];
        for j in 1..i {
            acc += a[j] * r[i - j];
        }
        let k = -acc / err;
        prev[..i].copy_from_slice(&a[..i]);
        for j in 1..i {
            a[j] = prev[j] + k * prev[i - j];
        }
        a[i] = k;
        err *= 1.0 - k * k;
    }
    a
}

/// Median of `v` (reordered).
fn median(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, f32::total_cmp).1
}

fn db(ratio: f64) -> f64 {
    if ratio > 0.0 {
        20.0 * ratio.log10()
    } else {
        -f64::INFINITY
    }
}

/// RMS of the channel's samples in `[from, to)` (clamped to the buffer).
fn rms(ch: &Channel, from: i64, to: i64) -> f64 {
    let a = from.max(ch.start);
    let b = to.min(ch.end());
    if b <= a {
        return 0.0;
    }
    let s = &ch.buf[(a - ch.start) as usize..(b - ch.start) as usize];
    (s.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / s.len() as f64).sqrt()
}

/// Judges one candidate; `Some` when it is a click.
fn judge(
    ch: &Channel,
    cand: &Cluster,
    channel: usize,
    g: &Geometry,
    cfg: &ClickConfig,
    scratch: &mut Scratch,
) -> Option<Found> {
    let peak = cand.peak;
    let p = g.order;
    // The programme's level on both sides (cheapest test first), over a short and a long
    // stretch: the smaller change counts.
    let change = g
        .level_windows
        .iter()
        .map(|&(inner, outer)| {
            let before = rms(ch, peak - outer as i64, peak - inner as i64);
            let after = rms(ch, peak + inner as i64, peak + outer as i64);
            if before == after {
                0.0
            } else {
                db(after / before)
            }
        })
        .min_by(|a, b| a.abs().total_cmp(&b.abs()))
        .unwrap_or(0.0);
    if !(0.0..=cfg.max_level_change_db).contains(&change.abs()) {
        return None;
    }
    // The residual of the predictor in force before the candidate, kept fixed.
    let pred = ch.predictor_at(peak)?;
    let lo = (peak - g.pre as i64).max(ch.start + p as i64);
    let hi = peak + (g.post + g.reach_fwd) as i64;
    if peak - lo < (g.pre / 3) as i64 || hi > ch.end() {
        return None;
    }
    let n = (hi - lo) as usize;
    let ef = &mut scratch.residual[..n];
    whiten(&ch.buf, (lo - ch.start) as usize, &pred.a[..=p], ef);
    ef.iter_mut().for_each(|v| *v = v.abs());
    // Peak (within a few samples of the trigger's).
    let q0 = (peak - lo) as usize;
    let (q, amp) = (q0.saturating_sub(3)..=(q0 + 3).min(n - 1))
        .map(|j| (j, ef[j]))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let pre_end = q.saturating_sub(g.guard);
    if pre_end == 0 {
        return None;
    }
    scratch.select.clear();
    scratch.select.extend_from_slice(&ef[..pre_end]);
    let med_pre = median(&mut scratch.select);
    let thr = (amp / 8.0).max(4.0 * med_pre);
    // The excess around the peak: samples above `thr`, gaps of at most `excess_gap`.
    let mut s = q;
    let mut j = q;
    while j > 0 && q - j < g.reach_back {
        j -= 1;
        if ef[j] > thr {
            s = j;
        } else if s - j > g.excess_gap {
            break;
        }
    }
    let mut e = q;
    let mut j = q;
    while j + 1 < n && j - q < g.reach_fwd {
        j += 1;
        if ef[j] > thr {
            e = j;
        } else if j - e > g.excess_gap {
            break;
        }
    }
    if e - s + 1 > g.max_duration {
        return None;
    }
    // Energy of the excess, as the energy of a white impulse.
    let energy: f64 = ef[s..=e]
        .iter()
        .map(|&v| (v as f64) * (v as f64))
        .sum::<f64>()
        / pred.gain.max(1e-12) as f64;
    let level_db = 10.0 * energy.max(1e-30).log10();
    if level_db < cfg.min_level_db {
        return None;
    }
    // After the excess: the residual's level, and other excess.
    let post_from = e + g.excess_gap + 1;
    let post_to = (q + g.post).min(n);
    if post_to <= post_from {
        return None;
    }
    let post = &ef[post_from..post_to];
    let mut other = 0usize;
    let mut run: Option<(usize, usize, f32)> = None;
    let close = |r: (usize, usize, f32), other: &mut usize| {
        let len = r.1 - r.0 + 1;
        if len > g.max_duration || r.2 < amp / 4.0 {
            *other += len;
        }
    };
    for (k, &v) in post.iter().enumerate() {
        if v > thr {
            run = match run {
                Some((a, last, pk)) if k - last <= g.excess_gap => Some((a, k, pk.max(v))),
                Some(r) => {
                    close(r, &mut other);
                    Some((k, k, v))
                }
                None => Some((k, k, v)),
            };
        }
    }
    if let Some(r) = run {
        close(r, &mut other);
    }
    if other as f64 > cfg.max_other_share * post.len() as f64 {
        return None;
    }
    scratch.select.clear();
    scratch.select.extend_from_slice(post);
    let med_post = median(&mut scratch.select);
    // Residual levels far under the click's own peak are all quiet: a codec spreads a loud
    // click's quantisation noise over its transform block (AAC: up to 43 ms, before and after
    // it), which on a pure tone is far above the tone's own residual.
    let quiet = amp * QUIET_AFTER;
    let rise = db(med_post.max(quiet) as f64 / med_pre.max(quiet) as f64);
    if !(-cfg.max_residual_fall_db..=cfg.max_residual_rise_db).contains(&rise) {
        return None;
    }
    Some(Found {
        start: lo + s as i64,
        end: lo + e as i64 + 1,
        channel,
        level_db,
        excess_db: if med_pre > 0.0 {
            db(amp as f64 / med_pre as f64)
        } else {
            200.0
        },
    })
}

impl Detector for Click {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::AUDIO
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        let Some(f) = self.stream.audio(media) else {
            return;
        };
        self.feed(f, out);
    }

    fn discontinuity(&mut self, _at: MediaTime, out: &mut Events) {
        self.flush(out);
        self.clock.reset();
    }

    fn finish(&mut self, _at: MediaTime, out: &mut Events) {
        self.flush(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levinson_finds_an_ar2_process() {
        // x[n] = 1.6 x[n-1] - 0.8 x[n-2] + w[n]: r from its exact autocorrelation.
        let (a1, a2) = (1.6f64, -0.8f64);
        let r1_over_r0 = a1 / (1.0 - a2);
        let r2_over_r0 = a1 * r1_over_r0 + a2;
        let mut r = [0.0; MAX_ORDER + 1];
        r[0] = 1.0;
        r[1] = r1_over_r0;
        r[2] = r2_over_r0;
        r[3] = a1 * r[2] + a2 * r[1];
        let a = levinson(&r, 3);
        assert!((a[1] + a1).abs() < 1e-9 && (a[2] + a2).abs() < 1e-9 && a[3].abs() < 1e-9);
    }

    #[test]
    fn running_median_follows_the_last_values() {
        let mut m = RunningMedian::default();
        let mut all = Vec::new();
        let mut x = 0.37f32;
        for i in 0..200 {
            x = (x * 997.0 + 0.123).fract();
            let v = if i % 17 == 0 { 0.5 } else { x };
            all.push(v);
            let got = m.push(v);
            let mut last: Vec<f32> = all[all.len().saturating_sub(PIECES)..].to_vec();
            last.sort_by(f32::total_cmp);
            assert_eq!(got, last[last.len() / 2], "at {i}");
        }
    }

    #[test]
    fn dot_matches_a_plain_sum() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.01).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }
}
