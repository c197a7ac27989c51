//! `freeze`: a still cut to from moving footage, and a freeze that began on a cut.
//!
//! A channel cuts from one programme's moving footage straight to the next one's still (a
//! slideshow's first picture, the picture a newsreader talks over). That picture replaced the
//! footage (a cut: more than 3 in 5 blocks changed by a cut's amount), has content and is then
//! held: a still, held by design, not a freeze before `still_hold`. A feed that freezes
//! repeats the last picture of the moving scene, which is no cut, unless the freeze began
//! exactly on a cut's first picture (about 1 picture in 500 of the footage of the freeze
//! corpora: 154 such cuts in 3,162 s; none of their 206 freezes began on one).
//!
//! The two part where the hold ends. A still is replaced by the next picture: a cut, or a new
//! still (photos over a common background change only part of the picture) that is held in
//! turn, so the picture after it repeats it or steps slightly (the encoder refining it, within
//! the anchor allowance of the tolerance). A frozen scene resumes: the picture that ends the
//! hold is no cut, and the scene moves on from it, the next picture stepping a block by more
//! than the anchor allowance. A still cut to from motion whose hold ends so is reported, one
//! picture after its end, as the freeze it was: from its first repeated frame to the first new
//! one, as any freeze of moving footage (when it lasted `min_duration`, or the stream's
//! `step_hold`, and was neither slow motion nor reported from `still_hold` already).
//!
//! Cost: none per frame but a few comparisons; a picture's spatial contrast is read on a cut.

use super::Freeze;
use crate::detect::measure::median::{cut_blocks, cut_by};
use crate::detect::Events;
use crate::media::MediaTime;

/// Seconds before a cut from moving footage in which no other picture changed by a cut's
/// amount: the footage moved by less than a cut before it. In the channel of seed 18's clean
/// programmes, the five stills cut to from motion came 0.96–63 s after the last cut-sized
/// change; synthetic fast motion changes most blocks by a cut's amount in 3 frames of 4.
const CUT_ALONE_SECS: f64 = 0.4;

/// New pictures after a cut, each calm (fewer than 1 in [`CALM_SHARE`] blocks changed by a
/// cut's amount), after which the next cut stands alone however soon it comes: a shot of a
/// few pictures ended by a cut (a programme's last shot cut short at a junction: in the channel
/// of seed 20's clean programmes, a film's last cut 0.16 s, three calm pictures, before the
/// next programme's first still). Fast motion moves much of the picture by a cut's amount
/// between its cut-sized steps.
const CALM_PICTURES: u32 = 3;

/// A picture is calm when fewer than 1 in this many of its blocks changed by a cut's amount.
const CALM_SHARE: usize = 10;

/// A still cut to from moving footage, followed to the end of its hold.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MotionCut {
    /// The current picture replaced moving footage by a cut and has content.
    now: bool,
    /// The current candidate is a held still only because its picture came in so.
    hold: bool,
    /// As of its last frame, the current candidate would be a freeze but for `still_hold`.
    pub(super) excused: bool,
    /// When the last picture that replaced the previous one by a cut's amount came.
    last_cut: Option<MediaTime>,
    /// New pictures since that cut, while every one was calm (`None` after a busy one).
    calm_since_cut: Option<u32>,
    /// Such a hold ended by a picture that did not replace it: the freeze it was, if the scene
    /// moves on in the next picture.
    pending: Option<Pending>,
}

/// A hold of a still cut to from motion that may have been a freeze.
#[derive(Clone, Copy, Debug)]
struct Pending {
    start: MediaTime,
    end: MediaTime,
    frames: u64,
    worst: f32,
    noise: f32,
}

impl Freeze {
    /// For a new picture at `t` (`self.mad` holding its block changes against the previous
    /// one), after a held picture when `held_before`: true when it replaced moving footage by
    /// a cut and has content, a still once held. Ends the hold of a still cut to from motion
    /// that this picture did not replace, keeping the freeze it may have been.
    pub(super) fn cut_from_motion(&mut self, t: MediaTime, held_before: bool) -> bool {
        let moved = cut_blocks(&self.mad);
        let blocks = self.mad.len();
        let cut = cut_by(moved, blocks);
        let mc = &mut self.motion_cut;
        mc.pending = None;
        if self.frames > 0 && mc.hold && mc.excused && !cut && !self.tracker.is_open() {
            let needed = self.cfg.min_duration.max(self.step_hold);
            if let Some(start) = self
                .candidate_since
                .filter(|&s| t.secs_since(s) >= needed - 1e-9)
            {
                mc.pending = Some(Pending {
                    start,
                    end: t,
                    frames: self.frames,
                    worst: self.worst,
                    noise: self.noise,
                });
            }
        }
        // A cut stands alone in footage: fast motion (a pan, a crowd, a shaking camera) may
        // move most blocks by a cut's amount in step after step.
        // A cut after a short calm shot stands alone too.
        let alone = mc
            .last_cut
            .is_none_or(|c| t.secs_since(c) > CUT_ALONE_SECS + 1e-9)
            || mc.calm_since_cut.is_some_and(|n| n >= CALM_PICTURES);
        if cut {
            mc.last_cut = Some(t);
            mc.calm_since_cut = Some(0);
        } else if moved * CALM_SHARE < blocks {
            mc.calm_since_cut = mc.calm_since_cut.map(|n| n.saturating_add(1));
        } else {
            mc.calm_since_cut = None;
        }
        let from_motion =
            cut && alone && !self.last_same && self.means.contrast() >= super::STILL_CONTRAST;
        mc.now = from_motion && !held_before;
        from_motion
    }

    /// Marks a candidate beginning now as a still cut to from motion (when its picture came
    /// in so and made it a still).
    pub(super) fn begin_motion_cut(&mut self) {
        self.motion_cut.hold = self.cut_in && self.motion_cut.now;
        self.motion_cut.excused = false;
    }

    /// With the picture at `t` after a hold's end (`moved`: it stepped beyond the anchor
    /// allowance of the tolerance): reports the pending freeze when the scene moved on, else
    /// drops it.
    pub(super) fn resolve_motion_cut(
        &mut self,
        moved: bool,
        t: MediaTime,
        until: MediaTime,
        out: &mut Events,
    ) {
        let Some(p) = self.motion_cut.pending.take() else {
            return;
        };
        if !moved || self.tracker.current_start().is_some() {
            return;
        }
        if let Some(c) = self.tracker.observe(true, p.start, p.end) {
            (self.frames, self.worst, self.noise) = (p.frames, p.worst, p.noise);
            self.emit(c, t, out);
            if let Some(c) = self.tracker.observe(false, p.end, until) {
                self.emit(c, t, out);
            }
        }
    }

    /// Forgets the still followed (a discontinuity).
    pub(super) fn reset_motion_cut(&mut self) {
        self.motion_cut = MotionCut::default();
    }
}
