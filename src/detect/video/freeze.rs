//! `freeze`: the picture stops changing (`video_freeze`).
//!
//! Frame *i* is frozen when it shows the same picture as frame *i − 1*: every block of it
//! changed little against the previous frame **and** against the anchor (the last picture
//! before the candidate freeze began, which catches slow drift that no single frame step
//! shows). "Little" adapts to noise spread over the whole picture: the worst block may exceed
//! a fixed tolerance by `noise_factor` times the median block change, so film grain or encoder
//! re-coding of a still picture (change everywhere, similar in every block) stays frozen, while a
//! ticker, a clock or a moving object (change concentrated in a few blocks) breaks it.
//!
//! **Held stills and frozen feeds.** The rule: a picture that was *cut to* and is then held is
//! a programme's still (a slideshow picture, a title card, a graphic between shots), held by
//! design; a picture that stops where the scene was moving is a freeze. A picture was cut to
//! when
//! - the picture before it was itself held `min_duration` or more (one still replaced by the
//!   next, however much of the picture changed: photos over a common background change only
//!   part of it), or
//! - it replaced a held picture (more than 3 in 5 blocks changed by 12 code values or more), or
//! - it replaced moving footage by a cut (likewise, with no other picture changing so in the
//!   0.4 s before it, or only calm pictures since the last cut a short shot ago: a cut, not
//!   fast motion) and has content (a channel cutting from one programme's footage to the next
//!   one's still). A freeze that began on such a picture is
//!   reported once its hold ends, when the scene then moves on from where it stood
//!   (`freeze/motion_cut.rs`), or
//! - it is the stream's first picture (or the first after a discontinuity) and has content
//!   (spatial contrast of 3 code values or more: a plain grey or black picture held from the
//!   start is a dead feed and a freeze after `min_duration`).
//!
//! A held still is not a freeze until it has been held `still_hold` seconds (10 s by default,
//! longer than any programme holds a still); from then on it is (the interval then starts
//! `still_hold` after the still began). A hold of moving footage is a freeze after
//! `min_duration`. Noise and grain are handled by the noise allowance above, so dark,
//! low-motion footage is judged against its own noise floor; and a step that changes most
//! blocks by a cut's amount (12 code values at the median block) is a change, never noise.
//!
//! A stream that **moves by steps** (8 short holds, pictures repeated for less than
//! `min_duration`, within 10 s: drawn or animated pictures, a synthetic presenter whose face
//! stays pixel-identical between mouth movements) holds pictures now and then by itself, and
//! shows how long: there a hold is a freeze after twice the longest short hold of those 10 s
//! (at least `min_duration`, at most twice it), reported from its first repeated frame. Camera
//! footage shot at its frame rate has no short holds, and a rate conversion's repeats are
//! single pictures (24→25 fps: one 0.08 s hold a second), so their freezes keep
//! `min_duration`.
//!
//! **Slow motion is not a repeat.** A presenter nearly still (a head swaying through its turn
//! in a pause of speech) changes each frame by less than the tolerance, yet an edge crossing a
//! pixel changes the cells it passes by a good part of its contrast. Re-coding of a held
//! picture moves a cell that much in one frame or two after a key frame; an edge does so in
//! frame after frame. A candidate freeze in which such a cell change (12 code values, and 8
//! times the noise) came in half of its frames, 3 or more, is motion and not reported.
//!
//! **A key frame re-codes the held picture** from scratch: inside a candidate freeze an intra
//! picture may step a block by up to `anchor_factor` times the tolerance and still repeat the
//! previous one (it stays held to the anchor test); predicted pictures keep the tolerance.
//!
//! **An encoder refines a held picture** over its first frames (an interlaced MPEG-2 picture
//! over about 7), its predicted pictures stepping a block by a little more than the tolerance,
//! so the repeat test passes only once the refinement settles. A freeze that began within
//! half a second of a clear change, every frame since having stayed within the anchor
//! allowance of the picture that change brought (motion stepping as much drifts out of it in a
//! frame or two), is reported from the first frame after that picture (`freeze/settle.rs`).
//!
//! **A picture held where the scene moved fast** (two steps in a row moving a block by 80 code
//! values or more, neither a cut) may step a block by up to `anchor_factor` times the
//! allowance in every frame of its hold, and its edge moves are not slow motion: an interlaced
//! MPEG-2 hold of sharp synthetic edges is re-coded so on every predicted picture
//! (`freeze/fast.rs`). The anchor test is unchanged.
//!
//! **Motion dying out** in steps under the tolerance (a dark scene's figure walking its last
//! steps before the picture is held) is not part of the freeze, even where it drifted past the
//! anchor allowance before it stopped; the held picture is the anchor from then on
//! (`freeze/tail.rs`).
//!
//! The interval starts at the first repeated (or refined) frame and ends at the first new
//! frame.

use crate::detect::one_stream::VideoDetector;
use serde_json::json;

use crate::detect::measure::cells::{CellGrid, GridScratch};
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::measure::median::{is_cut, max, median, surely_over_noise, CUT_LEVEL};
use crate::detect::measure::picture_means::{Held, PictureMeans};
use crate::detect::measure::round::round2;
use crate::detect::{Events, SpanChange, SpanTracker};
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, PictureType, VideoFrame};

mod config;
mod fast;
mod motion_cut;
mod recode;
mod settle;
mod tail;
pub use config::FreezeConfig;
use fast::Fast;
use motion_cut::MotionCut;
use recode::Recoding;
use settle::Settling;
use tail::Tail;

/// Detects frozen picture: reports `video_freeze` from the first repeated frame to the first new
/// one. Built from a [`FreezeConfig`].
pub struct Freeze {
    cfg: FreezeConfig,
    tracker: SpanTracker,
    clock: FrameClock,
    grid: Option<CellGrid>,
    /// Column sums (scratch for `CellGrid::means` and `CellGrid::diff`).
    acc: GridScratch,
    /// Cell means of the current, previous and anchor pictures.
    means: PictureMeans,
    have_prev: bool,
    have_anchor: bool,
    /// The anchor is the previous picture (no separate comparison needed).
    anchor_is_prev: bool,
    mad: Vec<f32>,
    dc: Vec<f32>,
    scratch: Vec<f32>,
    /// Frames in the current candidate or open freeze.
    frames: u64,
    /// Largest worst-block difference seen in the current freeze.
    worst: f32,
    /// Largest noise estimate (median block difference) seen in the current freeze.
    noise: f32,
    /// The last changing picture came in by a cut from a held picture.
    cut_in: bool,
    /// The previous picture repeated the one before it.
    last_same: bool,
    /// The current candidate is a held still that began at this time.
    still_since: Option<MediaTime>,
    /// The current candidate began at this time.
    candidate_since: Option<MediaTime>,
    /// The current picture was first shown at this time.
    shown_since: Option<MediaTime>,
    /// Ends and lengths (seconds) of the last short holds (pictures repeated for less than
    /// `min_duration`), ring.
    short_holds: [(MediaTime, f64); STEP_RING],
    n_short: usize,
    next_short: usize,
    /// Seconds the current candidate must last to be a freeze, when it began while the stream
    /// was moving by steps and that is longer than `min_duration` (else 0).
    step_hold: f64,
    /// Frames of the current candidate in which an edge moved ([`Verdict::edge_moved`]).
    edge_moves: u64,
    /// The frames after a clear change, for a held picture the encoder refines ([`settle`]).
    settling: Settling,
    /// The first frames of the current candidate, for motion dying out ([`tail`]).
    tail: Tail,
    /// Frames of an open freeze repeating it only as re-coding ([`recode`]).
    recoding: Recoding,
    /// Fast motion before the current picture and its hold ([`fast`]).
    fast: Fast,
    /// A still cut to from moving footage, to the end of its hold ([`motion_cut`]).
    motion_cut: MotionCut,
}

/// Short holds within [`STEP_SECS`] that make a stream one that moves by steps.
const STEP_HOLDS: usize = 8;
/// Short holds remembered (those within [`STEP_SECS`] give the longest recent hold).
const STEP_RING: usize = 32;
/// Seconds over which short holds are counted.
const STEP_SECS: f64 = 10.0;
/// In a stream that moves by steps, a hold is a freeze after this many times the longest of
/// its recent short holds, and after at most this many times `min_duration`.
const STEP_FACTOR: f64 = 2.0;

/// Smallest spatial contrast (mean absolute deviation of the cell means, code values) of a
/// stream's first picture for it to be a held still: a plain picture (a grey or black slate)
/// held from the start is a dead feed, not a programme's still.
const STILL_CONTRAST: f32 = 3.0;

/// Change of one cell's mean (code values) that is an edge moving across it, not re-coding
/// (measured on the decoded pictures, 4×4 cells read every 2nd pixel): a held picture's
/// re-coding moved a cell by at most 12.8 in the frozen passages of five real-content draws,
/// and by 16–23 in one or two frames of a freeze in the shared corpus (a key frame's re-coding
/// refined in the next frame), while an edge of a presenter's head moved by a pixel changes a
/// cell by 12–57 in nearly every frame.
const EDGE_STEP: f32 = 12.0;
/// The edge's change must also be this many times the noise (median block change): grain
/// moves every cell a little, its largest cell up to about 16 with a median of 1–4.
const EDGE_NOISE_FACTOR: f32 = 8.0;
/// A candidate freeze in which an edge moved in at least this many frames, and in at least
/// half of its frames, is slow motion (a presenter nearly still), not a repeated picture.
const EDGE_MOVES_MIN: u64 = 3;

/// What one frame looks like against the previous one and the anchor.
#[derive(Clone, Copy, Debug)]
struct Verdict {
    same_as_prev: bool,
    same_as_anchor: bool,
    /// Within the tolerance, yet some cell changed by an edge's amount ([`EDGE_STEP`]).
    edge_moved: bool,
    /// Largest change of one cell against the previous frame (read for repeats only, else 0).
    most: f32,
    /// Worst block difference against the previous frame.
    step: f32,
    worst: f32,
    noise: f32,
}

impl Freeze {
    /// A freeze detector. Prefer
    /// [`FreezeConfig::build`](crate::detect::DetectorConfig::build), which checks the values.
    pub fn new(cfg: FreezeConfig) -> Self {
        Freeze {
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            cfg,
            clock: FrameClock::default(),
            grid: None,
            acc: GridScratch::default(),
            means: PictureMeans::default(),
            have_prev: false,
            have_anchor: false,
            anchor_is_prev: false,
            mad: Vec::new(),
            dc: Vec::new(),
            scratch: Vec::new(),
            frames: 0,
            worst: 0.0,
            noise: 0.0,
            cut_in: false,
            last_same: false,
            still_since: None,
            candidate_since: None,
            shown_since: None,
            short_holds: [(MediaTime::ZERO, 0.0); STEP_RING],
            n_short: 0,
            next_short: 0,
            step_hold: 0.0,
            edge_moves: 0,
            settling: Settling::default(),
            tail: Tail::default(),
            recoding: Recoding::default(),
            fast: Fast::default(),
            motion_cut: MotionCut::default(),
        }
    }

    /// How long a hold beginning at `t` must last to be a freeze when the stream moves by
    /// steps ([`STEP_HOLDS`] short holds ended within [`STEP_SECS`] before `t`): the stream
    /// shows how long it holds pictures by itself, so [`STEP_FACTOR`] times its longest recent
    /// short hold, within `min_duration` and [`STEP_FACTOR`] times `min_duration`. A rate
    /// conversion's single repeats (24→25 fps: one a second, 0.08 s each) leave it at
    /// `min_duration`; a synthetic presenter holding its face for 0.36 s raises it to 0.72 s.
    /// 0 when the stream does not move by steps.
    fn step_hold(&self, t: MediaTime) -> f64 {
        let recent = self.short_holds[..self.n_short]
            .iter()
            .filter(|&&(end, _)| t.secs_since(end) <= STEP_SECS);
        let (count, longest) = recent.fold((0, 0.0f64), |(n, l), &(_, len)| (n + 1, l.max(len)));
        if count < STEP_HOLDS {
            return 0.0;
        }
        let min = self.cfg.min_duration;
        (STEP_FACTOR * longest).clamp(min, STEP_FACTOR * min)
    }

    /// Compares `cur` with the previous picture and the anchor; leaves its cell means in
    /// `self.cur`.
    fn judge(&mut self, cur: &VideoFrame, intra: bool) -> Option<Verdict> {
        let plane = cur.luma();
        let cells_per_block = (self.cfg.block_size / self.cfg.cell_size).max(1);
        let (grid, rebuilt) = CellGrid::fitting(
            &mut self.grid,
            plane,
            self.cfg.cell_size,
            self.cfg.sample_step,
            cells_per_block,
        );
        if rebuilt {
            self.have_prev = false;
            self.have_anchor = false;
        }
        self.means.fit(&grid);
        self.means.measure(cur, &grid);
        if !self.have_prev {
            return None;
        }
        self.means.diff_prev(&grid, &mut self.mad, &mut self.acc);
        let mut worst = max(&self.mad);
        let (tol, k) = (self.cfg.tolerance, self.cfg.noise_factor);
        // An intra picture inside a candidate freeze re-codes the held picture from scratch,
        // which may step a block by up to `anchor_factor` times the tolerance; so may a
        // predicted picture or two inside an open freeze ([`recode`]).
        let recoded = (intra || self.may_recode(cur.time()))
            && self.frames > 0
            && self.have_anchor
            && !self.anchor_is_prev;
        // So may a picture held where the scene was moving fast ([`fast`]).
        let recoded = recoded || self.after_fast();
        let step = if recoded { self.cfg.anchor_factor } else { 1.0 };
        if surely_over_noise(&self.mad, worst, tol * step, k * step) {
            // A moving picture: its median (the noise) is only read for repeats.
            return Some(Verdict {
                same_as_prev: false,
                same_as_anchor: false,
                edge_moved: false,
                most: 0.0,
                step: worst,
                worst,
                noise: 0.0,
            });
        }
        let noise = median(&self.mad, &mut self.scratch);
        let allowed = tol + k * noise;
        // Noise never moves the median block by a cut's change: a picture replaced almost
        // evenly (a cut between photos of alike brightness spread) is a change.
        let same_as_prev = worst <= allowed * step && noise < CUT_LEVEL;
        // Only a repeat's cells are read again (a held picture's frames, not motion's).
        let most = if same_as_prev {
            self.means.max_change_prev()
        } else {
            0.0
        };
        let edge_moved = most >= EDGE_STEP && most >= EDGE_NOISE_FACTOR * noise;
        let to_prev = worst;
        let mut same_as_anchor = true;
        if same_as_prev && self.have_anchor && !self.anchor_is_prev {
            self.means.diff_held(
                Held::Anchor,
                &grid,
                &mut self.mad,
                &mut self.dc,
                &mut self.acc,
            );
            let worst_anchor = max(&self.mad);
            // Noise and grain leave block means in place; a fade or a slowly sliding picture
            // moves most of them the same way.
            let drift = median(&self.dc, &mut self.scratch).abs();
            worst = worst.max(worst_anchor);
            same_as_anchor = worst_anchor <= allowed * self.cfg.anchor_factor
                && drift <= self.cfg.drift_tolerance;
        }
        Some(Verdict {
            same_as_prev,
            same_as_anchor,
            edge_moved,
            most,
            step: to_prev,
            worst,
            noise,
        })
    }

    fn details(&self) -> Details {
        let mut d = Details::new();
        d.insert("frames".into(), json!(self.frames));
        d.insert("max_block_diff".into(), json!(round2(self.worst)));
        d.insert("noise".into(), json!(round2(self.noise)));
        d
    }

    fn emit(&mut self, change: SpanChange, at: MediaTime, out: &mut Events) {
        out.span(&DefectKind::VIDEO_FREEZE, change, at, self.details());
        if matches!(change, SpanChange::Ended { .. }) {
            self.frames = 0;
        }
    }

    fn observe(&mut self, frozen: bool, t: MediaTime, until: MediaTime, out: &mut Events) {
        // A freeze ends where the frames that repeated it only as re-coding began.
        let seen = match !frozen && self.tracker.is_open() {
            true => self.recoded_end(t),
            false => t,
        };
        if let Some(mut c) = self.tracker.observe(frozen, seen, until) {
            // A held picture refined before it repeated: the freeze began with the refinement.
            if let SpanChange::Started { start } = c {
                let from = self.settle_back(start);
                if from < start {
                    self.tracker.backdate(from);
                    c = SpanChange::Started { start: from };
                }
            }
            self.emit(c, t, out);
        }
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            self.emit(c, at, out);
        }
        self.frames = 0;
    }
}

impl VideoDetector for Freeze {
    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        let intra = frame.picture_type() == PictureType::I;
        let verdict = self.judge(frame.analysis(), intra);
        let same_now = verdict.is_some_and(|v| v.same_as_prev);
        // The picture after the end of a still cut to from motion: did the scene move on?
        let moved = verdict.is_some_and(|v| {
            !v.same_as_prev && v.step > self.cfg.anchor_factor * self.cfg.tolerance
        });
        self.resolve_motion_cut(moved, t, until, out);
        let frozen = match verdict {
            None => {
                // The first picture (of the stream, or after a discontinuity) came in by a cut
                // from nothing: held, it is a still when it has content.
                self.cut_in = self.means.contrast() >= STILL_CONTRAST;
                self.reset_motion_cut();
                self.shown_since = Some(t);
                false
            }
            Some(v) if !v.same_as_prev => {
                // A new picture after a held one: a slideshow's next still, not motion, when
                // the previous picture was held `min_duration` or more, or when this one
                // replaced it (`mad` holds this picture's block changes against the previous).
                let held_before = self.frames > 0
                    && self
                        .candidate_since
                        .is_some_and(|s| t.secs_since(s) >= self.cfg.min_duration - 1e-9);
                let moving_cut = self.cut_from_motion(t, held_before);
                self.cut_in = held_before || (self.last_same && is_cut(&self.mad)) || moving_cut;
                // The picture just replaced was repeated for less than `min_duration`.
                let short = self
                    .shown_since
                    .map(|s| t.secs_since(s))
                    .filter(|&held| self.last_same && held < self.cfg.min_duration - 1e-9);
                if let Some(held) = short {
                    self.short_holds[self.next_short] = (t, held);
                    self.next_short = (self.next_short + 1) % STEP_RING;
                    self.n_short = (self.n_short + 1).min(STEP_RING);
                }
                self.shown_since = Some(t);
                false
            }
            Some(v) => {
                if !v.same_as_anchor {
                    // The picture repeats the previous one but has drifted from the anchor:
                    // whatever was frozen before ends here, and a new candidate starts with
                    // the previous picture as its anchor.
                    self.carry_tail(&v);
                    self.observe(false, t, until, out);
                    if !self.tracker.is_open() {
                        self.frames = 0;
                    }
                    // (The anchor becomes the previous picture: moved into place below.)
                    self.anchor_is_prev = true;
                    self.have_anchor = true;
                    self.cut_in = false;
                }
                if self.frames == 0 {
                    self.worst = 0.0;
                    self.noise = 0.0;
                    self.still_since = self.cut_in.then_some(t);
                    self.begin_motion_cut();
                    self.candidate_since = Some(t);
                    self.step_hold = self.step_hold(t);
                    self.edge_moves = 0;
                }
                self.frames += 1;
                self.edge_moves += u64::from(v.edge_moved);
                self.worst = self.worst.max(v.worst);
                self.noise = self.noise.max(v.noise);
                self.follow_tail(&v, intra, t, until);
                true
            }
        };
        if frozen {
            if self.anchor_is_prev {
                // The anchor was the previous picture, which the next frame no longer keeps:
                // its cell means move into the anchor (a swap, no copy).
                self.means.prev_to_anchor();
            }
            self.anchor_is_prev = false;
        } else {
            // The anchor of the next candidate freeze is the picture it would repeat: this
            // one, which becomes the previous picture below (so nothing is copied).
            self.have_anchor = true;
            self.anchor_is_prev = true;
            if !self.tracker.is_open() {
                self.frames = 0;
            }
        }
        self.settle(verdict, t);
        if let Some(v) = verdict {
            self.follow_fast(v.same_as_prev && v.same_as_anchor, v.step);
            self.follow_recoding(&v, t, intra);
        }
        // A held still is not a freeze before `still_hold`.
        let held_still = frozen
            && !self.tracker.is_open()
            && self
                .still_since
                .is_some_and(|s| t.secs_since(s) < self.cfg.still_hold - 1e-9);
        // Edges moving in half the candidate's frames: slow motion, not a repeated picture.
        let slow_motion = frozen
            && !self.tracker.is_open()
            && self.edge_moves >= EDGE_MOVES_MIN
            && 2 * self.edge_moves >= self.frames
            && !self.fast.held;
        let hold = frozen && !held_still && !slow_motion;
        if frozen {
            self.motion_cut.excused = held_still && !slow_motion;
        }
        match self.candidate_since {
            // A stream that moves by steps holds pictures now and then: its hold is a freeze
            // after `step_hold`, from its first repeated frame on.
            Some(since)
                if hold && self.step_hold > self.cfg.min_duration && !self.tracker.is_open() =>
            {
                if t.secs_since(since) >= self.step_hold - 1e-9 {
                    let from = self.settle_back(since);
                    if let Some(c) = self.tracker.observe(true, from, until) {
                        self.emit(c, t, out);
                    }
                }
            }
            _ => self.observe(hold, t, until, out),
        }
        self.last_same = same_now;
        self.means.cur_to_prev();
        self.have_prev = true;
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.have_prev = false;
        self.have_anchor = false;
        self.cut_in = false;
        self.last_same = false;
        self.still_since = None;
        self.candidate_since = None;
        self.shown_since = None;
        self.n_short = 0;
        self.step_hold = 0.0;
        self.reset_motion_cut();
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
