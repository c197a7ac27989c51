//! `corruption`: damaged picture (`video_corruption`), from the decoder's signals **or** from the
//! picture itself.
//!
//! - **Decoder signals**: exactly those of `decode_errors` (damage flags on frames, decode-error
//!   and corrupt-packet notices; damage stays on screen until the next clean key frame or
//!   `max_recovery` seconds; intervals start at the first damaged picture in display order,
//!   or in H.264 and HEVC where a run of rising pictures or of sharp grid steps below began
//!   before it: `run_start`),
//!   through the same shared code. A key frame that ends decoder damage but itself still
//!   looks damaged to the content measure below (at half its thresholds, on it and the
//!   `band_phases - 1` pictures after it: lost packets of the key frame concealed without a
//!   flag) does not end it: the damage is carried on as content damage, if the 16-pixel
//!   grid rose on the last of those pictures, the first judged on no band read before the
//!   key frame (concealment takes macroblocks and CTUs; a rise on the 8-pixel grid alone is
//!   the key frame's own coarser coding, a 16-pixel rise before that picture the damaged
//!   bands read before the key frame). Content damage of an
//!   interval the decoder reported stays, like the decoder's, until a clean key frame.
//! - **Picture content**: the block-edge measure of `blockiness` gives, per picture, the
//!   blockiness index on the 8-pixel grid and on the 16-pixel grid (steps on the grid lines
//!   against steps half-way between them, ≈ 1 for natural content; graphic edges left out).
//!   For each grid the stream's own normal index is learnt as a slow running mean of its
//!   logarithm, with its mean absolute deviation (time constant `adapt`, from pictures not
//!   judged damaged and not too flat to judge). A picture is damaged when the index of either
//!   grid exceeds its baseline by `ratio_factor` and by `spread_factor` deviations.
//!   Macroblocking and tiling from a starved encode, a damaged contribution feed or
//!   concealment that the decoder did not flag appear suddenly against that baseline; a stream
//!   that is always blocky only raises its baseline (a steadily, heavily blocky stream is
//!   `blockiness`'s job). Content damage must last `min_duration` seconds. Once confirmed it
//!   holds while the rise stays above half the thresholds (in the logarithm: the index of
//!   propagated damage drifts down as it is smeared by prediction, and damage shows weaker
//!   before it shows strong), and it starts at the first picture of that run (at most
//!   `merge_gap` before the confirmed start); the baseline
//!   learns slowly all that time. A clean key frame ends it: a refresh clears propagated
//!   damage (damage that persists fires again on the next pictures). The measure reads
//!   one band of 16 rows in `band_phases` (4) per picture, the others on the next pictures, and
//!   judges the last `band_phases` pictures together: a quarter of the cost, the whole picture.
//!   A run of rising pictures (half the thresholds) that lasts `min_duration` with three
//!   pictures past the thresholds that rose on both grids is damage too, though its strong
//!   pictures were not consecutive; a rising picture does not lift the baseline mean; the
//!   episode starts where the rise first shows faint (a quarter of the thresholds), unless that
//!   faint rise crept in more than `band_phases - 1` pictures before (see `faint_run`); in
//!   codecs whose every picture may be a reference it holds while it shows faint. A run of
//!   consecutive pictures risen on both grids by half the thresholds that lasts 0.6 s is
//!   damage as well (see `BOTH_LASTS`). **The 16-pixel grid fallen back**: once the 16-pixel
//!   grid of an episode that rose on it (or of the run of rising pictures that may confirm
//!   one) shows no faint rise, the 8-pixel grid is no evidence for that episode, and a faint
//!   rise no longer holds it, until the 16-pixel grid rises again: what stays on the 8-pixel
//!   grid alone is the encoder's coding of the clean pictures after the damage (`fell_back`).
//!   Where the sums first show a rise, its start is looked for on the pictures just before:
//!   those whose own bands rose against their last reading, by more than the bands' usual
//!   swing, while the index rose (at most `band_phases - 1` of them; damage that begins on one
//!   picture moves the sums by its own bands' share only).
//!   **At a cut** (a new picture in the bands a picture reads), the new shot's own coding is not
//!   damage: a rise on the 8-pixel grid alone until the new shot has been read; on both grids
//!   when a clean key picture brings a plainer or a whole new picture (see `cut`).
//!   **Held pictures**: a picture whose bands did not move since they were last read (no
//!   tile's mean luma moved by a quarter of a code value per picture between the readings: a
//!   frozen picture, which an encoder may code ever blockier) brings no new evidence: it
//!   neither starts nor confirms content damage, nor counts in the runs above; an episode
//!   already confirmed holds over it (see `still`). Fewer than `band_phases` of them in a row
//!   do not end those runs either: the still bands of a graphic damaged in a few others.
//!   **Garbage**: a run of pictures where both chroma planes sit at one extreme (Cb and Cr
//!   both under 16 or both over 240, outside every RGB gamut) on 0.5 % of the picture, or
//!   where the luma of a limited-range picture sits at both rails at once (1 % of it at code 3
//!   or under and 1 % at 252 or over to start, 0.25 % each to go on), after a legal picture, is
//!   damage as well once it lasts `min_duration`, whatever a key frame does meanwhile: what a
//!   decoder writes when it decodes corrupt data without noticing (see `garbage`).
//!   **Grid steps**: a run of pictures whose block borders step sharply on the 8-pixel grid,
//!   far more than the stream's own coding and not half-way between the grid lines, that lasts
//!   0.6 s is damage as well, from its first picture to a clean key frame (see `steps`), or
//!   from where the run of pictures whose index rose faintly that held that first picture
//!   began (see `faint_run`).
//!   On by default; `grid_steps` false leaves it out (a third of the detector's cost).
//!   **Key-frame snap**: in H.264 and HEVC, a run of pictures whose detail (mean step) stood
//!   well above the level that the next key frame brought back, risen off that same level
//!   without a cut, is damage from where it rose to that key frame, reported once the key
//!   frame is judged (six pictures later); it never moves the start of an interval already
//!   reported (see `snap`).
//!
//! The two are OR'ed into one interval (episodes closer than `merge_gap` merge), so a damage
//! episode is reported once even when both see it. `details` carries `damaged_share` (0–1): the
//! largest share of the picture, among its 8×8 tiles with enough detail to judge, whose own
//! index rose against that tile's own baseline as the picture's does, seen in a damaged picture of the
//! interval (0 when the damage does not show as blocks), and which signals (`decoder`,
//! `content`) saw it.

mod baseline;
mod carry;
mod config;
mod cut;
mod faint_run;
mod fell_back;
mod garbage;
mod run_start;
mod seen;
mod snap;
mod steps;
mod still;
mod thresholds;
mod tiles;

use baseline::GridBaseline;
use carry::Carry;
use cut::{NewShot, CUT_ACTIVITY, CUT_MOVED, CUT_WHOLE};
use faint_run::{Faint, FaintRuns};
use fell_back::FellBack;
use garbage::Garbage;
use seen::Seen;
use snap::KeySnap;
use steps::GridDamage;
use thresholds::{BOTH_LASTS, HOLD, MIN_ACTIVITY, SPREAD_HITS};
use tiles::TileBaselines;

pub use config::CorruptionConfig;

use crate::detect::lock::StreamLock;

use crate::detect::measure::block_edge::{BlockMeasure, RiseOnset};
use crate::detect::measure::decoder_damage::DecoderDamage;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::{Detector, Events, SpanChange, SpanTracker, Wants};
use crate::event::DefectKind;
use crate::media::{FrameFlags, Media, MediaTime, PictureType};

/// Detects damaged picture from decoder signals and sudden blockiness. Built from a
/// [`CorruptionConfig`].
pub struct Corruption {
    name: String,
    cfg: CorruptionConfig,
    damage: DecoderDamage,
    measure: BlockMeasure,
    tracker: SpanTracker,
    content: SpanTracker,
    clock: FrameClock,
    stream: StreamLock,
    /// Baseline blockiness index on the 8- and the 16-pixel grid, and seconds of informative
    /// pictures they were learnt from.
    grid8: GridBaseline,
    grid16: GridBaseline,
    /// Per tile of the measure: seconds learnt and baselines on the 8 and 16 grids.
    tile_base: TileBaselines,
    learnt: f32,
    seen: Seen,
    /// First picture of the current run of pictures whose rise keeps [`HOLD`] of the
    /// thresholds: where a content episode confirmed in that run starts.
    weak_since: Option<MediaTime>,
    /// First picture of the current run of pictures whose rise keeps half of [`HOLD`] of the
    /// thresholds: damage shows faint on its first picture (the lower part of it, or a few
    /// blocks) before prediction spreads it, so a weak run starts where its faint run began.
    /// With it, where the rise of that run began: the same picture, or up to
    /// `band_phases - 1` pictures before it (see [`RiseOnset`]); and whether it crept in.
    faint: Option<Faint>,
    /// The current faint run and the one before it (see [`faint_run`]).
    faint_runs: FaintRuns,
    onset: RiseOnset,
    /// Pictures of the current weak run that rose past the thresholds on both grids.
    run_both: u32,
    /// First picture of the current run of consecutive judged pictures that rose on both grids
    /// by [`HOLD`] of the thresholds (see [`BOTH_LASTS`]).
    both_since: Option<MediaTime>,
    /// End of the last interval reported: an early start never goes back before it.
    last_end: Option<MediaTime>,
    /// Decoder damage was on screen with the last picture.
    was_decoder: bool,
    /// The last picture decoder damage was on screen with.
    decoder_at: Option<MediaTime>,
    /// Decoder damage ended by a key frame that still looks damaged (see [`carry`]).
    carry: Carry,
    /// A new shot's start, during which its blockiness is its own coding (see [`NewShot`]).
    new_shot: NewShot,
    /// The current run of pictures showing decoder garbage (see [`garbage`]).
    garbage: Garbage,
    /// Sharp steps on the block grid (see [`steps`]).
    grid_damage: GridDamage,
    /// The 16-pixel grid fallen back in the open episode (see [`fell_back`]).
    fell_back: FellBack,
    /// Held pictures in a row (see [`still::Held`]).
    held: still::Held,
    /// Detail that a key frame took away (see [`snap`]).
    snap: KeySnap,
}

impl Corruption {
    /// A corruption detector named `name`. Prefer [`CorruptionConfig`]'s
    /// [`build`](crate::DetectorConfig::build), which checks the values.
    pub fn new(name: &str, cfg: CorruptionConfig) -> Self {
        Corruption {
            name: name.to_string(),
            damage: DecoderDamage::new(cfg.max_recovery, cfg.notices),
            measure: BlockMeasure::new(cfg.sample_step, 2.0, 2.0)
                .in_phases(cfg.band_phases)
                .leaving_out_graphics(),
            // A content episode is confirmed `min_duration` after it began: wait that much
            // longer before ending the interval, so that episodes `merge_gap` apart still merge.
            tracker: SpanTracker::new(0.0, cfg.merge_gap + cfg.min_duration),
            // Open across dips shorter than `merge_gap`, so that it may hold again after them.
            content: SpanTracker::new(cfg.min_duration, cfg.merge_gap),
            clock: FrameClock::default(),
            stream: StreamLock::default(),
            grid8: GridBaseline::default(),
            grid16: GridBaseline::default(),
            tile_base: TileBaselines::default(),
            learnt: 0.0,
            seen: Seen::default(),
            weak_since: None,
            faint: None,
            faint_runs: FaintRuns::default(),
            onset: RiseOnset::new(cfg.band_phases),
            run_both: 0,
            both_since: None,
            last_end: None,
            was_decoder: false,
            decoder_at: None,
            carry: Carry::default(),
            new_shot: NewShot::default(),
            garbage: Garbage::default(),
            grid_damage: GridDamage::new(cfg.band_phases, cfg.adapt as f32),
            fell_back: FellBack::default(),
            held: still::Held::default(),
            snap: KeySnap::new(cfg.min_duration),
            cfg,
        }
    }

    fn observe(&mut self, active: bool, t: MediaTime, until: MediaTime, out: &mut Events) {
        if active && !self.tracker.is_open() && self.tracker.current_start().is_none() {
            self.seen.frames = 0;
        }
        if let Some(c) = self.tracker.observe(active, t, until) {
            out.span(&DefectKind::VIDEO_CORRUPTION, c, t, self.seen.details(c));
            if let SpanChange::Ended { end, .. } = c {
                self.seen = Seen::default();
                self.last_end = Some(end);
            }
        }
    }

    /// Decoder damage that starts at `e`, more than `merge_gap` after the open interval
    /// became clear, is an interval of its own: the open one ends where it became clear. (The
    /// interval is held open `merge_gap + min_duration` for content damage, which is
    /// confirmed `min_duration` after it starts; decoder damage is known at its start.)
    fn split_apart(&mut self, e: MediaTime, out: &mut Events) {
        let apart = self
            .tracker
            .clear_since()
            .is_some_and(|since| e.secs_since(since) > self.cfg.merge_gap + 1e-6);
        if apart {
            if let Some(c) = self.tracker.close() {
                out.span(&DefectKind::VIDEO_CORRUPTION, c, e, self.seen.details(c));
                if let SpanChange::Ended { end, .. } = c {
                    self.last_end = Some(end);
                }
                self.seen = Seen::default();
            }
        }
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::VIDEO_CORRUPTION, c, at, self.seen.details(c));
        }
        self.content.close();
        self.damage.reset();
        self.seen = Seen::default();
        self.learnt = 0.0;
        self.weak_since = None;
        self.faint = None;
        self.faint_runs.clear();
        self.onset.clear();
        self.run_both = 0;
        self.both_since = None;
        self.last_end = None;
        self.was_decoder = false;
        self.decoder_at = None;
        self.carry.reset();
        self.new_shot = NewShot::default();
        self.garbage.clear();
        self.grid_damage.clear();
        self.fell_back = FellBack::default();
        self.held = still::Held::default();
        self.snap.clear();
        self.grid8 = GridBaseline::default();
        self.grid16 = GridBaseline::default();
        self.tile_base.clear();
    }
}

impl Detector for Corruption {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        if self.cfg.decoder {
            Wants::VIDEO | Wants::NOTICES
        } else {
            Wants::VIDEO
        }
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Notice(n) if self.cfg.decoder => {
                // Held until the pictures reach it (display order): see `DecoderDamage`.
                self.damage.notice(n);
            }
            Media::Video(f) => {
                if !self.stream.accepts(f.stream()) {
                    return;
                }
                let t = f.time();
                let until = self.clock.until(f);
                let mut decoder = false;
                if self.cfg.decoder {
                    let d = self.damage.frame(f);
                    if let Some((s, e)) = d.lost {
                        // Pictures lost before this one: an interval already over.
                        self.split_apart(s, out);
                        self.seen.decoder = true;
                        self.observe(true, s, e, out);
                        self.observe(false, e, e, out);
                    }
                    if let Some(e) = d.early {
                        self.split_apart(e, out);
                        self.seen.decoder = true;
                        self.observe(true, e, e, out);
                    }
                    decoder = d.on_screen;
                    if decoder && !self.was_decoder {
                        self.split_apart(t, out);
                    }
                }
                let (mut content, mut early) = (false, None);
                if self.cfg.content {
                    let s = self.measure.measure(f.analysis().luma());
                    let band = self.measure.band();
                    self.onset.push(t, &s, band);
                    let dt = until.secs_since(t).clamp(0.001, 1.0) as f32;
                    let warm = self.learnt >= self.cfg.warmup as f32;
                    let (min, z) = (
                        (self.cfg.ratio_factor as f32).ln(),
                        self.cfg.spread_factor as f32,
                    );
                    let informative = s.activity >= MIN_ACTIVITY;
                    // The weak rise (HOLD of the thresholds) and the faint one (half that);
                    // the 16-pixel baseline does not change before they are used, the 8-pixel
                    // one may (a cut's baseline restored), so its rises are taken after.
                    let (wmin, wz) = (min * HOLD, z * HOLD);
                    let weak16 = self.grid16.rise(s.r16, wmin, wz);
                    let faint16 = self.grid16.rise(s.r16, wmin * 0.5, wz * 0.5);
                    // A cut: the bands read now show a different picture than when last read.
                    // Until the new shot has been read, its blockiness is its own coding, on the
                    // 8-pixel grid, and on the 16-pixel one too where a clean key picture
                    // brought the shot (see `cut`).
                    let (now, before) = band;
                    let (lo, hi) = (
                        now.activity.min(before.activity),
                        now.activity.max(before.activity),
                    );
                    let moved = self.measure.moved().share >= CUT_MOVED;
                    let cut = !decoder && hi >= MIN_ACTIVITY && (hi >= CUT_ACTIVITY * lo || moved);
                    let key =
                        f.flags().contains(FrameFlags::KEY) || f.picture_type() == PictureType::I;
                    let damage = decoder || faint16;
                    let plainer = now.activity < before.activity;
                    let whole = self.measure.moved().share >= CUT_WHOLE;
                    // A key picture that ends damage is a refresh, not a new shot's start.
                    let refreshes = self.was_decoder || self.content.is_open();
                    let clean_key = key && !decoder && !refreshes;
                    let at = (cut, clean_key, plainer, whole, damage, self.cfg.band_phases);
                    let grids = (&mut self.grid8, &mut self.grid16);
                    let (shot, keyed) = self.new_shot.push(at, grids);
                    let judged = warm && informative && !decoder && !shot;
                    // Colours outside every gamut, or luma at both rails, where the picture was
                    // legal: decoder garbage whatever the blocks show (see `garbage`).
                    let garbled = self.garbage.push(f.analysis(), t, key).is_some();
                    // The 16-pixel grid fell back: the 8-pixel grid is no evidence (`fell_back`).
                    let faint8 = self.grid8.rise(s.r8, wmin * 0.5, wz * 0.5);
                    let (open, rising) = (self.content.is_open(), judged && (faint8 || faint16));
                    let n = self.cfg.band_phases;
                    let fell = self
                        .fell_back
                        .push(open, judged, rising, weak16, faint16, n);
                    let rise8 = |m: f32, z: f32| !fell && self.grid8.rise(s.r8, m, z);
                    let blocky = rise8(min, z) || self.grid16.rise(s.r16, min, z);
                    let weak8 = rise8(wmin, wz);
                    let weak = judged && (weak8 || weak16);
                    // Risen on both grids (by half the thresholds): see `SPREAD_HITS`.
                    let both = weak8 && weak16;
                    // Detail that the next key frame took away: damage over already (see `snap`).
                    let (share, refs) = (self.measure.moved().share, f.b_pictures_referenced());
                    let snapped = self.snap.push(t, s.activity, share, key && refs);
                    if let Some((b, e)) = snapped.filter(|r| self.last_end.is_none_or(|l| l < r.0))
                    {
                        self.seen.content = true;
                        self.observe(true, b, e, out);
                        self.observe(false, e, e, out);
                    }
                    // A held picture (its bands did not move since last read) brings no new
                    // evidence: it neither starts nor confirms an episode; it holds one already
                    // confirmed (see `still`).
                    let fresh = open || !still::still(&self.measure.moved(), self.cfg.band_phases);
                    let pause = self.held.pause(fresh, n);
                    // The run of sharp grid steps going on before this picture (see `steps`).
                    let grid_run = self.grid_damage.run_since();
                    let grid = if self.cfg.grid_steps {
                        let (at, luma) = ((t, until, dt), f.analysis().luma());
                        self.grid_damage
                            .push(luma, at, (decoder, shot, key, fresh, pause))
                    } else {
                        None
                    };
                    // A clean key frame ends propagated damage: the episode ends with it (damage
                    // that persists fires again and merges into the same interval).
                    let refresh = key && !decoder && open;
                    if refresh {
                        self.content.close();
                    }
                    let hit = judged && blocky && !refresh;
                    // Confirmed damage fades as prediction smears it; where any picture may be
                    // a reference (H.264, HEVC) it stays on screen until a refresh, and holds
                    // while it still shows faint (half the weak rise). Damage that vanished
                    // (the picture back at its baseline) was not propagated: it ends there.
                    let faint = judged && ((faint8 && !fell) || faint16);
                    // Damage of an interval the decoder reported (a key frame hit as well and
                    // concealed without a flag) stays, like the decoder's, until a clean key
                    // frame or `max_recovery`, however faint prediction smears it.
                    let reported = self.seen.decoder
                        && self
                            .decoder_at
                            .is_some_and(|d| t.secs_since(d) <= self.cfg.max_recovery);
                    let persists = f.b_pictures_referenced() && ((faint && !fell) || reported);
                    let hold = open && (weak || persists) && !refresh;
                    // A key frame ends decoder damage, unless it was damaged itself (see `carry`).
                    let ended = self.was_decoder && !decoder && key;
                    self.carry
                        .push(ended, key, weak, judged && weak16, self.cfg.band_phases);
                    let carried = self.carry.carried(self.cfg.band_phases);
                    if carried {
                        self.seen.content = true;
                    }
                    // Decoder damage come on screen during a run of rising pictures or of sharp
                    // grid steps, in H.264 or HEVC: the damage showed first (see `run_start`).
                    let onset = decoder && !self.was_decoder && f.b_pictures_referenced();
                    let runs = self.weak_since.map(|_| self.run_start(t));
                    let runs = runs.into_iter().chain(grid_run.map(|g| self.bounded(g, t)));
                    early = runs.min().filter(|&w| onset && w < t);
                    self.follow_runs(t, dt as f64, (faint, weak), !refresh && fresh, pause, wmin);
                    // Learn from pictures not judged damaged; from damaged ones ten times
                    // slower, so a lasting change of the stream is absorbed in the end.
                    let slow = hit || garbled || grid.is_some() || (open && !refresh);
                    let slow = slow || decoder || self.carry.active();
                    let tau = self.cfg.adapt as f32 * if slow { 10.0 } else { 1.0 };
                    if informative {
                        // Until warm: the plain mean of what was seen.
                        let a = if warm {
                            (dt / tau).min(1.0)
                        } else {
                            dt / (self.learnt + dt)
                        };
                        // A picture rising towards damage (not yet confirmed) keeps the
                        // level it is judged against: damage builds up over a few pictures
                        // as prediction spreads it, and must not lift its own baseline. Its
                        // swing still counts in the deviation.
                        let am = if weak { a / 10.0 } else { a };
                        if !slow && !weak {
                            self.onset.learn(a);
                        }
                        if shot {
                            self.grid8.raise_to(s.r8);
                        } else {
                            self.grid8.learn(s.r8, a, am);
                        }
                        // The start of a plainer or whole new shot a clean key picture brought
                        // read: its 16-pixel index is its own coding as well (see `cut`).
                        if keyed {
                            self.grid16.raise_to(s.r16);
                        } else {
                            self.grid16.learn(s.r16, a, am);
                        }
                        let tiles = self.measure.tiles();
                        self.tile_base.learn(tiles, MIN_ACTIVITY, a, dt);
                        self.learnt += dt;
                    }
                    if warm && informative && slow {
                        let tiles = self.measure.tiles();
                        let share = self.tile_base.share(tiles, MIN_ACTIVITY, min, z);
                        self.seen.share = self.seen.share.max(share);
                    }
                    // Damage of codecs with blocks of 16 pixels and more (macroblocks, CTUs)
                    // steps on the 16-pixel grid as on the 8-pixel one; graphics drawn on an
                    // 8-pixel period raise only the latter. A weak run that lasted
                    // `min_duration`, with `SPREAD_HITS` pictures past the thresholds that
                    // also rose on both grids, is damage, though its strong pictures were not
                    // consecutive (damage shows strongest on the pictures that carry the most
                    // damaged blocks).
                    self.run_both = match (weak && !refresh && fresh, hit && both) {
                        _ if pause => self.run_both,
                        (false, _) => 0,
                        (true, h) => self.run_both + u32::from(h),
                    };
                    self.both_since = if pause {
                        self.both_since
                    } else if judged && both && !refresh && fresh {
                        self.both_since.or(Some(t))
                    } else {
                        None
                    };
                    let lasting = self
                        .both_since
                        .is_some_and(|b| until.secs_since(b) >= BOTH_LASTS);
                    let spread = !open
                        && !pause
                        && ((self.run_both >= SPREAD_HITS
                            && self
                                .weak_since
                                .is_some_and(|w| until.secs_since(w) >= self.cfg.min_duration))
                            || lasting);
                    let change = if spread {
                        let w = self.weak_since.unwrap_or(t);
                        self.content.close();
                        self.content.observe(true, w, until)
                    } else if let Some(g) = grid.filter(|_| !open) {
                        self.content.close();
                        self.content.observe(true, g, until)
                    } else if pause && !carried && !garbled {
                        None
                    } else {
                        let on = (hit && fresh) || hold || carried || garbled || grid.is_some();
                        self.content.observe(on, t, until)
                    };
                    if let Some(SpanChange::Started { start }) = change {
                        self.seen.content = true;
                        let start = self.run_start(start);
                        self.observe(true, start, until, out);
                    }
                    let on = hit || hold || garbled || grid.is_some();
                    content = (self.content.is_open() && on) || carried;
                }
                if decoder {
                    self.seen.decoder = true;
                    self.decoder_at = Some(t);
                }
                self.was_decoder = decoder;
                let active = decoder || content;
                if let Some(w) = early.filter(|_| !self.tracker.is_open()) {
                    self.seen.content = true;
                    self.observe(true, w, w, out);
                }
                if active || self.tracker.is_open() {
                    self.seen.frames += 1;
                }
                self.observe(active, t, until, out);
            }
            _ => {}
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
