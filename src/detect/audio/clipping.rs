//! `clipping`: sound clipped at full scale (`audio_clipping`).
//!
//! A clipped waveform has flat tops: runs of consecutive samples at (or, after a lossy codec, just
//! under) full scale. The detector finds runs of at least `min_run` samples with `|x| >= level`
//! in any channel. A loud but clean peak can hold such a run too (a 1 kHz sine at 0.95 stays
//! above 0.93 for three samples, a 100 Hz one for thirty), so each run is judged by the shape of
//! the excursion holding it: the stretch of same-sign samples with `|x| >= base_level`. A smooth
//! peak is a rounded hump whose width shrinks towards its top (for a sine peaking at `A`, the
//! part above `level` is `acos(level/A) / acos(base_level/A)` of the part above `base_level`:
//! under a half for any `A <= 1.0` with the defaults), while a clipped top rises steeply to its
//! ceiling and stays there, so most of the excursion is above `level`. An excursion's runs count
//! as flat tops only when that share, `(above_level - 1) / (above_base + 1)` (sample counts,
//! widened by a sample of rounding each way), is at least `min_flat_share`; they are counted
//! when the excursion ends.
//!
//! Flat tops at full scale are one sign of clipping; the other, which also finds clipping under
//! full scale and clipping that a lossy codec has rounded off, is a pile-up of peaks at a
//! ceiling (see `detect::measure::ceiling`): in each channel, the peaks of the half-waves
//! (stretches between sign changes) that lie within `pile_band_db` of the ceiling (the loudest
//! sample of the last `ceiling_memory` seconds, or the next loudest window's when the loudest
//! is one window's overshoot within `pile_band_db` over it, if at least `min_ceiling_db`) are
//! counted; at least `min_pile` of them within `pile_window`, whose half-waves are on average
//! at least `min_pile_flatness` flat (share of the samples over half the peak that are over 0.9
//! of it: a sine gives 0.43), mark the window as clipped, and confirm the passage at once. Within a
//! confirmed passage, a window's peaks in the band also go on with it when they are brief
//! lobes (over half their peak for at most half the window) not sharper than a sine's: the
//! lightly clipped tips of a voice's last pulses, rounded by the codec, unlike a steady tone
//! held at the rail's level; and so does a window with no peak in the band but two or more of
//! one polarity just under it (within three times `pile_band_db` of the ceiling) that are on
//! average at least `min_pile_flatness` flat: the last clipped pulses of a voice whose ceiling
//! a codec's overshoots set above the rail earlier in the passage. Tops just under the band
//! that are fewer or rounder (one or more of one polarity, not sharper than a sine's on
//! average) only trail the passage: they carry its end when they follow its last tops, the
//! first of them within two windows of the last top that went on with it, and follow a weak
//! link (trailing or sharp tops), a window of them right after tops that carried the end being
//! held until then: a voice's last clipped pulses, which AAC rounds to a sine's shape under the
//! band, follow each other pulse after pulse to the end, while what a codec spreads after the
//! last clipped top is one window (see `trail`).
//!
//! Each short window in which flat tops are counted is marked as clipped. A passage is confirmed
//! once `confirm_windows` clipped windows follow each other with gaps shorter than `clear_for`
//! (a single loud peak is not clipping), and ends when no clipped run was seen for `clear_for`
//! seconds. The interval runs from the first sample of the first run to just after the last
//! sample of the last run; a pile that the sound rose into, confirmed after flat tops opened the
//! passage, moves its start back to where the ceiling began. Piled peaks that go on with a passage only by
//! being brief lobes or a share of the loud half-waves, and are sharper than a sine's on
//! average, keep it open but are not its end: the sharp tip of a loud unclipped pulse just
//! after a clipped passage looks the same.
//!
//! Sound at full scale that was not clipped is not told apart: a programme peak-normalised to
//! 0 dBFS (not delivered sound, which stays under −1 dBTP) has tops as broad and as many at its
//! loudest level as a lightly clipped one (86 of the 188 clean programmes of the evaluations,
//! normalised to −0.1 dBFS and coded by AAC again, alarm).

use crate::detect::one_stream::{AudioDetector, OnAudio};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::ceiling::{PileSettings, Piles};
use crate::detect::measure::round::dbfs;
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{AudioFrame, MediaTime};

mod trail;
use trail::{Trail, TRAIL_GAP};

/// Configuration of the [`Clipping`] detector (type `"clipping"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::audio::ClippingConfig};
/// let c: ClippingConfig = serde_json::from_str(r#"{"level": 0.98}"#).unwrap();
/// assert_eq!(c.min_run, ClippingConfig::default().min_run);
/// assert!(ClippingConfig { min_run: 0, ..Default::default() }.build("clipping").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClippingConfig {
    /// A sample is at full scale when `|x| >= level` (full scale = 1.0). Default `0.93`: a signal
    /// hard-clipped at ±1.0 and then coded with AAC decodes with its flat tops at about 0.95
    /// (the codec's smoothing pulls them under full scale, with ripple of a few hundredths).
    pub level: f32,
    /// Shortest run of consecutive samples at full scale that counts as a flat top. Default `3`:
    /// a flat top spans many samples, while an unclipped peak of a mid- or high-frequency sound
    /// stays above the level for only a sample or two.
    pub min_run: usize,
    /// Level (full scale = 1.0, below `level`) bounding the excursion whose shape is judged: the
    /// same-sign stretch with `|x| >= base_level` around a run. Default `0.7`: low enough that
    /// a smooth peak's excursion is clearly wider than its part above `level`, high enough that
    /// a clipped passage's flat tops are not merged with the rest of the waveform.
    pub base_level: f32,
    /// Least share of an excursion's samples at or above `level` for its runs to count as flat
    /// tops. Default `0.6`: a clean sine peaking at up to full scale (any frequency) gives at
    /// most about 0.47, a sine hard-clipped 3 dB over full scale about 0.75 and more when
    /// clipped harder; the ripple a lossy codec leaves on clipped music lowers some of its
    /// excursions under the bar, but enough stay above it to mark every window. `0` turns the
    /// shape test off (every run of `min_run` samples is a flat top).
    pub min_flat_share: f32,
    /// Length of the windows in which runs are counted, in seconds. Default `0.01`.
    pub window: f64,
    /// Windows with flat tops needed, each within `clear_for` of the previous one, before a
    /// passage is reported. Default `3`: one loud peak touches one or two windows; a clipped
    /// passage keeps producing flat tops.
    pub confirm_windows: u32,
    /// Seconds without any flat top that end a clipped passage. Default `0.75`: clipped music
    /// hits its ceiling only at its loudest beats, clipped speech only at its loudest
    /// syllables (0.6 s apart in shouted speech), so one clipped passage is one interval.
    pub clear_for: f64,
    /// Width of the band under the ceiling in which half-wave peaks pile up, in dB. Default
    /// `0.5`: the tops of a clipped passage decoded after AAC or AC-3 stay within about 0.5 dB
    /// of its loudest (overshooting) sample.
    pub pile_band_db: f32,
    /// Least ceiling looked at for piled peaks, in dBFS. Default `-3.0`: the loudest clean
    /// programmes (speech normalised to a peak, limited music) also gather peaks at their own
    /// top level; after a lossy codec, a lightly clipped top cannot be told from such a peak,
    /// so only ceilings near full scale (clipping at 0 or −1 dBFS, say) are looked at.
    pub min_ceiling_db: f32,
    /// Seconds over which the ceiling is the loudest sample (or the next loudest `window`'s,
    /// when the loudest is a single window within `pile_band_db` over it: a codec's
    /// overshoot where a clipped passage starts). Default `2.0`.
    pub ceiling_memory: f64,
    /// Seconds over which piled peaks are counted. Default `0.1`.
    pub pile_window: f64,
    /// Least piled peaks within `pile_window` in one channel. Default `5`: the loudest clean
    /// music of the evaluation (limited to −0.1 dBTP) gathers at most 3 peaks in 0.5 dB of its
    /// ceiling in 0.1 s, clipped speech 6–80. `0` turns the pile-up test off.
    pub min_pile: u32,
    /// Least mean flatness of the piled peaks' half-waves (share of the samples over half the
    /// peak that are over 0.9 of it). Default `0.5`: a steady sine, whose peaks all pile up,
    /// gives 0.43; clipped tops more, even rounded by a codec.
    pub min_pile_flatness: f32,
}

impl Default for ClippingConfig {
    fn default() -> Self {
        ClippingConfig {
            level: 0.93,
            min_run: 3,
            base_level: 0.7,
            min_flat_share: 0.6,
            window: 0.01,
            confirm_windows: 3,
            clear_for: 0.75,
            pile_band_db: 0.5,
            min_ceiling_db: -3.0,
            ceiling_memory: 2.0,
            pile_window: 0.1,
            min_pile: 5,
            min_pile_flatness: 0.5,
        }
    }
}

impl DetectorConfig for ClippingConfig {
    const TYPE: &'static str = "clipping";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        let level = self.level;
        c.require(
            level > 0.0 && level <= 2.0,
            "level",
            "must be in (0, 2] (full scale = 1.0)",
        )?;
        let run_ok = (1..=10_000).contains(&self.min_run);
        c.require(run_ok, "min_run", "must be between 1 and 10000 samples")?;
        let base_ok = self.base_level >= 0.0 && self.base_level < level;
        c.require(base_ok, "base_level", "must be >= 0 and below `level`")?;
        let share_ok = (0.0..=1.0).contains(&self.min_flat_share);
        c.require(share_ok, "min_flat_share", "must be between 0 and 1")?;
        let window_ok = self.window.is_finite() && self.window > 0.0 && self.window <= 1.0;
        c.require(window_ok, "window", "must be between 0 and 1 second")?;
        c.require(
            self.confirm_windows > 0,
            "confirm_windows",
            "must be at least 1",
        )?;
        c.seconds("clear_for", self.clear_for)?;
        let band_ok = self.pile_band_db > 0.0 && self.pile_band_db <= 6.0;
        c.require(band_ok, "pile_band_db", "must be in (0, 6] dB")?;
        let ceiling_ok = self.min_ceiling_db >= -40.0 && self.min_ceiling_db <= 6.0;
        c.require(
            ceiling_ok,
            "min_ceiling_db",
            "must be between -40 and 6 dBFS",
        )?;
        let memory_ok = self.ceiling_memory >= self.window && self.ceiling_memory <= 60.0;
        c.require(
            memory_ok,
            "ceiling_memory",
            "must be between `window` and 60 seconds",
        )?;
        let pile_ok = self.pile_window >= self.window && self.pile_window <= 10.0;
        c.require(
            pile_ok,
            "pile_window",
            "must be between `window` and 10 seconds",
        )?;
        let flat_ok = (0.0..=1.0).contains(&self.min_pile_flatness);
        c.require(flat_ok, "min_pile_flatness", "must be between 0 and 1")?;
        Ok(Box::new(OnAudio::new(name, Clipping::new(self.clone()))))
    }
}

/// Seconds before a dense pile of pointed tops, or a burst of them, in which the sound must
/// have been quiet once (see `detect::measure::ceiling`): a clipped voice rises into them, a
/// steady tone held at the ceiling does not.
const RISE: f64 = 0.5;

/// Flat tops found in a window or an excursion.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    /// Samples and runs of flat tops.
    samples: u64,
    runs: u64,
    /// Start of the first run.
    first: Option<i64>,
    /// End (exclusive) of the last run.
    last: i64,
    /// Largest `|x|` in the runs.
    peak: f32,
}

impl Tally {
    /// Adds `other`'s flat tops (a later stretch) to these.
    fn add(&mut self, other: &Tally) {
        if let Some(f) = other.first {
            self.samples += other.samples;
            self.runs += other.runs;
            let first = self.first.get_or_insert(f);
            *first = (*first).min(f);
            self.last = self.last.max(other.last);
            self.peak = self.peak.max(other.peak);
        }
    }
}

/// The current excursion of one channel: same-sign samples with `|x| >= base_level`.
#[derive(Clone, Copy, Debug, Default)]
struct Excursion {
    positive: bool,
    /// Samples in the excursion, and those at or above `level`.
    len: usize,
    high: usize,
    /// The current run at or above `level`.
    run_len: usize,
    run_start: i64,
    run_peak: f32,
    /// Runs of at least `min_run` samples so far.
    tops: Tally,
}

impl Excursion {
    /// Ends the current run, keeping it if it is long enough.
    fn end_run(&mut self, min_run: usize) {
        if self.run_len >= min_run {
            self.tops.samples += self.run_len as u64;
            self.tops.runs += 1;
            self.tops.first.get_or_insert(self.run_start);
            self.tops.last = self.run_start + self.run_len as i64;
            self.tops.peak = self.tops.peak.max(self.run_peak);
        }
        self.run_len = 0;
    }

    /// Ends the excursion: its runs are flat tops when enough of it is at or above `level`.
    fn end(&mut self, min_run: usize, min_share: f32, window: &mut Tally) {
        self.end_run(min_run);
        if self.tops.first.is_some() {
            let share = (self.high as f64 - 1.0) / (self.len as f64 + 1.0);
            if share >= min_share as f64 {
                window.add(&self.tops);
            }
        }
        *self = Excursion::default();
    }
}

/// A clipped passage, candidate or confirmed.
#[derive(Clone, Copy, Debug)]
struct Passage {
    start: i64,
    last_end: i64,
    windows: u32,
    samples: u64,
    runs: u64,
    peak: f32,
}

/// Detects clipped sound. Built from a [`ClippingConfig`].
pub struct Clipping {
    cfg: ClippingConfig,
    tracker: SpanTracker,
    clock: SampleClock,
    excursions: Vec<Excursion>,
    /// Peaks piling up at a ceiling, per channel, and the settings in samples.
    piles: Vec<Piles>,
    pile: PileSettings,
    window_len: usize,
    win_start: i64,
    win_n: usize,
    /// Flat tops whose excursion ended in the current window (`last` is kept across windows).
    win: Tally,
    passage: Option<Passage>,
    /// Just after the last top that went on with a passage (carrying its end or keeping it
    /// open, or trailing it): trailing tops must follow it closely.
    last_on: i64,
    trail: Trail,
}

impl Clipping {
    /// A clipping detector named `name`. Prefer [`ClippingConfig::build`], which checks the
    /// values.
    pub fn new(cfg: ClippingConfig) -> Self {
        Clipping {
            tracker: SpanTracker::new(0.0, cfg.clear_for),
            cfg,
            clock: SampleClock::default(),
            excursions: Vec::new(),
            piles: Vec::new(),
            pile: PileSettings {
                band: 1.0,
                floor: 1.0,
                memory: 1,
                span: 1,
                min_pile: 0,
                min_flatness: 0.0,
                chain_gap: 0,
                burst: 0,
                rise: 0,
                full: 1.0,
                min_run: 1,
            },
            window_len: 0,
            win_start: 0,
            win_n: 0,
            win: Tally::default(),
            passage: None,
            last_on: i64::MIN,
            trail: Trail::default(),
        }
    }

    fn details(&self, p: &Passage, change: SpanChange) -> Details {
        let mut d = Details::new();
        d.insert("level".into(), json!(self.cfg.level));
        d.insert("clipped_samples".into(), json!(p.samples));
        d.insert("runs".into(), json!(p.runs));
        d.insert("peak_db".into(), json!(dbfs(p.peak as f64)));
        if let SpanChange::Ended { start, end } = change {
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 10000.0).round() / 10000.0),
            );
        }
        d
    }

    fn close_window(&mut self, out: &mut Events) {
        if self.win_n == 0 {
            return;
        }
        let win_start = self.win_start;
        let win_end = self.win_start.saturating_add(self.win_n as i64);
        let t0 = self.clock.time(win_start);
        let t1 = self.clock.time(win_end);
        let clear_ticks = (self.cfg.clear_for * self.clock.rate() as f64).round() as i64;
        let (mut piled, mut rose) = (false, false);
        let mut kept = false;
        let open = self.tracker.is_open();
        // Trailing tops go on only right after the passage's last tops (see `TRAIL_GAP`).
        let trail_from = self.last_on;
        let trail_gap = TRAIL_GAP * self.window_len as i64;
        if !open {
            self.trail = Trail::default();
        }
        let weak = self.trail.weak;
        let mut trail = Tally::default();
        for piles in &mut self.piles {
            let found = piles.close_window(&self.pile);
            if let Some(p) = found.filter(|p| p.confirmed || (open && p.goes_on)) {
                let tops = Tally {
                    samples: p.count as u64,
                    runs: p.count as u64,
                    first: Some(p.first),
                    last: p.last,
                    peak: p.peak,
                };
                if p.trailing {
                    if p.first.saturating_sub(trail_from) <= trail_gap {
                        trail.add(&tops);
                    }
                    continue;
                }
                if p.sharp && !p.confirmed {
                    // Sharp tops going on with the passage keep it open but do not carry its
                    // end: a loud unclipped pulse after the last clipped one is as sharp. They
                    // do link the chain that trailing tops follow.
                    kept = true;
                    self.last_on = self.last_on.max(p.last);
                    continue;
                }
                piled |= p.confirmed;
                rose |= p.confirmed && p.rose;
                self.win.add(&tops);
            }
        }
        if trail.first.is_some() {
            self.last_on = self.last_on.max(trail.last);
        }
        self.trail.link(weak, kept, &trail, &mut self.win);
        if let Some(first) = self.win.first.take() {
            self.last_on = self.last_on.max(self.win.last);
            let p = self.passage.get_or_insert(Passage {
                start: first,
                last_end: self.win.last,
                windows: 0,
                samples: 0,
                runs: 0,
                peak: 0.0,
            });
            if rose && !self.tracker.is_open() {
                // A ceiling the sound rose into, confirmed after flat tops opened the passage,
                // began where its chain began (see `Piles::close_window`).
                p.start = p.start.min(first);
            }
            p.windows += 1;
            if piled {
                p.windows = p.windows.max(self.cfg.confirm_windows);
            }
            p.samples += self.win.samples;
            p.runs += self.win.runs;
            p.peak = p.peak.max(self.win.peak);
            p.last_end = self.win.last;
            let p = *p;
            if self.tracker.is_open() {
                self.tracker.observe(true, self.clock.time(first), t1);
                // The clear stretch, if any, starts after the last flat top.
                if self.win.last < win_end {
                    self.observe_clear(self.clock.time(self.win.last), t1, out);
                }
            } else if p.windows >= self.cfg.confirm_windows {
                if let Some(c) = self.tracker.observe(
                    true,
                    self.clock.time(p.start),
                    self.clock.time(self.win.last),
                ) {
                    out.span(&DefectKind::AUDIO_CLIPPING, c, t1, self.details(&p, c));
                }
                if self.win.last < win_end {
                    self.observe_clear(self.clock.time(self.win.last), t1, out);
                }
            }
        } else if kept {
            self.tracker.observe(true, t0, t1);
        } else if self.tracker.is_open() {
            self.observe_clear(t0, t1, out);
        } else if self
            .passage
            .is_some_and(|p| win_end.saturating_sub(p.last_end) >= clear_ticks)
        {
            self.passage = None;
        }
        self.win_start = win_end;
        self.win_n = 0;
        self.win.samples = 0;
        self.win.runs = 0;
        self.win.peak = 0.0;
    }

    /// Records a stretch without flat tops inside an open passage.
    fn observe_clear(&mut self, t: MediaTime, until: MediaTime, out: &mut Events) {
        if let Some(SpanChange::Ended { start, .. }) = self.tracker.observe(false, t, until) {
            self.end_passage(start, until, out);
        }
    }

    fn end_passage(&mut self, start: MediaTime, at: MediaTime, out: &mut Events) {
        if let Some(p) = self.passage.take() {
            let c = SpanChange::Ended {
                start,
                end: self.clock.time(p.last_end),
            };
            out.span(&DefectKind::AUDIO_CLIPPING, c, at, self.details(&p, c));
        }
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        if !contiguous {
            self.close_window(out);
            self.excursions.clear();
            self.excursions.resize(f.channels(), Excursion::default());
            self.window_len = ((self.cfg.window * f.rate() as f64).round() as usize).max(1);
            let windows = |secs: f64| ((secs / self.cfg.window).round() as usize).max(1);
            self.pile = PileSettings {
                band: 10f32.powf(-self.cfg.pile_band_db / 20.0),
                floor: 10f32.powf(self.cfg.min_ceiling_db / 20.0),
                memory: windows(self.cfg.ceiling_memory),
                span: windows(self.cfg.pile_window),
                min_pile: self.cfg.min_pile,
                min_flatness: self.cfg.min_pile_flatness,
                chain_gap: (self.cfg.clear_for * f.rate() as f64).round() as i64,
                burst: 2 * self.window_len as i64,
                rise: windows(RISE),
                full: self.cfg.level,
                min_run: self.cfg.min_run as u32,
            };
            self.piles.resize_with(f.channels(), Piles::default);
            self.piles.truncate(f.channels());
            let pile = self.pile;
            self.piles.iter_mut().for_each(|p| p.reset(&pile));
            self.win_start = tick;
            self.win_n = 0;
        }
        let len = f.samples_per_channel();
        let level = self.cfg.level;
        let base = self.cfg.base_level;
        let min_run = self.cfg.min_run;
        let min_share = self.cfg.min_flat_share;
        let mut i = 0;
        while i < len {
            let take = (self.window_len - self.win_n).min(len - i);
            let at0 = self.win_start + self.win_n as i64;
            let pile = &self.pile;
            for ((c, ex), piles) in self.excursions.iter_mut().enumerate().zip(&mut self.piles) {
                let s = &f.channel(c)[i..i + take];
                for (k, &x) in s.iter().enumerate() {
                    piles.push(x, at0 + k as i64, pile);
                    let a = x.abs();
                    let positive = x > 0.0;
                    if ex.len > 0 && (a < base || positive != ex.positive) {
                        ex.end(min_run, min_share, &mut self.win);
                    }
                    if a < base {
                        continue;
                    }
                    if ex.len == 0 {
                        ex.positive = positive;
                    }
                    ex.len += 1;
                    if a >= level {
                        if ex.run_len == 0 {
                            ex.run_start = at0 + k as i64;
                            ex.run_peak = 0.0;
                        }
                        ex.run_len += 1;
                        ex.run_peak = ex.run_peak.max(a);
                        ex.high += 1;
                    } else if ex.run_len > 0 {
                        ex.end_run(min_run);
                    }
                }
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
        if let Some(SpanChange::Ended { start, .. }) = self.tracker.close() {
            self.end_passage(start, at, out);
        }
        self.passage = None;
        self.last_on = i64::MIN;
        self.trail = Trail::default();
        // An excursion cut short cannot be judged: it is dropped.
        self.excursions
            .iter_mut()
            .for_each(|e| *e = Excursion::default());
        let pile = self.pile;
        self.piles.iter_mut().for_each(|p| p.reset(&pile));
    }
}

impl AudioDetector for Clipping {
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
