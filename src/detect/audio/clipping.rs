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
//! is one window's overshoot within `pile_band_db` over it, or within 1.43 dB once a later
//! window stayed under it, if at least `min_ceiling_db`) are
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
//! last clipped top is one window (see `trail`). Tops there that come later than a trail may
//! (which would only hold the passage open, see below) still carry its end when they hold a
//! run of `min_run` samples at or over `level`: a voice's later syllable clipped lightly,
//! which AAC decodes half a dB under a ceiling its louder syllables' overshoots set, its tops
//! rounded to about a sine's shape one a window, yet over `level` for 5 to 14 samples each,
//! where no delivered programme peaks; trailing tops do not follow them, the rest of such a
//! syllable under `level` being its unclipped decay.
//!
//! Each short window in which flat tops are counted is marked as clipped. A passage is confirmed
//! once `confirm_windows` clipped windows follow each other with gaps shorter than `clear_for`
//! (a single loud peak is not clipping), and ends when no clipped run was seen for `clear_for`
//! seconds; tops that would only trail it but come later than a trail may (a shouted voice's
//! loud syllables, just under the rail, between its clipped ones) hold it open meanwhile
//! without carrying its end. The interval runs from the first sample of the first run to just after the last
//! sample of the last run; a pile that the sound rose into, confirmed after flat tops opened the
//! passage, moves its start back to where the ceiling began; and a passage, when it is
//! confirmed, starts at the first of the tops leading to it (each less than `clear_for` after
//! the one before) that held a run at full scale in the pile band with a sharp knee at its
//! shoulders: a voice's first clipped syllable, its narrow tops too few to confirm it (see
//! `Piles::full_run_start`). Piled peaks that go on with a passage only by being brief lobes
//! or a share of the loud half-waves, and are sharper than a sine's on average, keep it open
//! but are not its end: the sharp tip of a loud unclipped pulse just after a clipped passage
//! looks the same; unless one of them bends more at its shoulders than at its apex (by
//! `Piles::shoulder`'s bar): the corners a rail cut, which a codec keeps on a pointed top
//! (seed 22's AAC passage ended with two such pulses, 0.05 more at their shoulders, 0.13 s
//! after its round tops), while an unclipped point bends most at its apex. Tops that go on
//! with a passage without confirming a ceiling after a break (their window's first more than
//! `TRAIL_GAP` windows after the last top that went on), one in their window and not pressed
//! to the ceiling (within half the band), keep it open but do not carry its end either: a
//! boosted voice's lone unclipped peak a syllable after the clipped ones, 0.4 dB under the
//! ceiling (seed 26's AC-3 passage ended 0.28 s late on two of them, 26 ms apart among pulses
//! 2 dB lower); tops that follow them within `TRAIL_GAP` windows carry it (a later syllable
//! clipped lightly reaches the rail pulse after pulse, or presses to it).
//!
//! Sound at full scale that was not clipped is not told apart: a programme peak-normalised to
//! 0 dBFS (not delivered sound, which stays under −1 dBTP) has tops as broad and as many at its
//! loudest level as a lightly clipped one (86 of the 188 clean programmes of the evaluations,
//! normalised to −0.1 dBFS and coded by AAC again, alarm).

use serde_json::json;

use crate::detect::measure::ceiling::{PileSettings, Piles};
use crate::detect::measure::round::dbfs;
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::one_stream::AudioDetector;
use crate::detect::{Events, SpanChange, SpanTracker};
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{AudioFrame, MediaTime};

mod config;
mod excursion;
mod trail;
pub use config::ClippingConfig;
use excursion::{Excursion, Tally};
use trail::{Trail, TRAIL_GAP};

/// Seconds before a dense pile of pointed tops, or a burst of them, in which the sound must
/// have been quiet once (see `detect::measure::ceiling`): a clipped voice rises into them, a
/// steady tone held at the ceiling does not.
const RISE: f64 = 0.5;

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
    /// A clipping detector named `name`. Prefer
    /// [`ClippingConfig::build`](crate::detect::DetectorConfig::build), which checks the values.
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
                per_48k: 1.0,
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
        let (mut kept, mut loud) = (false, false);
        let open = self.tracker.is_open();
        // Trailing tops go on only right after the passage's last tops (see `TRAIL_GAP`).
        let trail_from = self.last_on;
        let trail_gap = TRAIL_GAP * self.window_len as i64;
        if !open {
            self.trail = Trail::default();
        }
        let weak = self.trail.weak;
        let mut trail = Tally::default();
        let mut full = Tally::default();
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
                    } else if let Some(last) = p.full_end {
                        // A later syllable's lightly clipped tops, rounded under the band,
                        // carry the end when they hold runs at full scale (see `under`).
                        full.add(&Tally { last, ..tops });
                    } else {
                        // Loud syllables between clipped ones hold the passage open.
                        loud = true;
                    }
                    continue;
                }
                let lone = p.count < 2 && !p.pressed;
                let late = lone && p.first.saturating_sub(trail_from) > trail_gap;
                let sharp = p.sharp && !p.kneed;
                if (sharp || late) && !p.confirmed {
                    // Sharp tops going on with the passage keep it open but do not carry its
                    // end: a loud unclipped pulse after the last clipped one is as sharp,
                    // unless bent at its shoulders (`kneed`). They do link the chain that
                    // trailing tops follow. So do a lone top that goes on without confirming
                    // a ceiling after a break, under the rail (`late`): the next window's
                    // tops, following it closely, carry the end.
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
        // Tops carrying the end only by their runs at full scale are not followed by trailing
        // ones: the rest of such a syllable, under full scale, is its unclipped decay.
        let by_runs = self.win.first.is_none() && full.first.is_some();
        self.win.add(&full);
        if let Some(first) = self.win.first.take() {
            if !by_runs {
                self.last_on = self.last_on.max(self.win.last);
            }
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
                // Tops holding runs at full scale that led to it began the passage (see
                // `Piles::full_run_start`).
                let back = self
                    .piles
                    .iter()
                    .filter_map(|pl| pl.full_run_start(p.start, &self.pile));
                let p = match back.min() {
                    Some(from) => {
                        if let Some(q) = self.passage.as_mut() {
                            q.start = from;
                        }
                        Passage { start: from, ..p }
                    }
                    None => p,
                };
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
        } else if kept || loud {
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
                per_48k: f.rate() as f32 / 48_000.0,
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
