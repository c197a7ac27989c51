//! `freeze`: a held picture the encoder goes on refining before it repeats.
//!
//! A picture that came in by a clear change and is then held is coded coarsely first; the
//! encoder refines it over the next pictures (an interlaced MPEG-2 picture over about 7), and
//! its predicted pictures may step a block by a little more than the tolerance, so the repeat
//! test only passes once the refinement settles. Refinement does not move the picture: every
//! refined frame stays within the anchor allowance of the picture's first coding (the
//! *origin*), however many frames it takes, while motion that steps by as much drifts out of
//! it within a frame or two.
//!
//! So when a slight step (within the anchor allowance) follows a clear change (a step beyond
//! it), the frames from it on are followed as long as each steps slightly and stays within the
//! anchor allowance of the origin, the picture the clear change brought (without a shift of
//! the median block brightness). When a freeze first seen within [`SETTLE_SECS`] after the
//! origin is confirmed, its candidate having begun after the origin and every frame since
//! having stayed with it, the freeze is reported from the first frame after the origin. (A
//! refined interlaced picture also moves a cell by an edge's amount now and then, so the edge
//! rule may let the freeze be seen a few frames after its candidate began.) Only the start moves: a freeze is
//! confirmed exactly as before, so none is added. A held still (cut to) is left as it is.
//!
//! Cost: one copy of the previous picture's cell means when a slight step that is no repeat
//! follows a clear change, and one comparison with the origin per slight frame while the run
//! can still move a freeze (at most [`SETTLE_SECS`] and twice `min_duration`); none while the
//! origin is the candidate's anchor (then the anchor test is the same test), and none in
//! motion (a clear change ends the run).

use super::{Freeze, Verdict, STEP_FACTOR};
use crate::detect::measure::cells::CellGrid;
use crate::detect::measure::median::{max, median};
use crate::detect::measure::picture_means::Held;
use crate::media::MediaTime;

/// Seconds after a picture's first coding within which a held picture's refinement settles
/// (a candidate beginning later is reported from its first repeated frame): the refinement of
/// an interlaced MPEG-2 picture, GOP 12, took 7–9 frames (0.28–0.36 s).
pub(super) const SETTLE_SECS: f64 = 0.5;

/// The frames following a picture that came in by a clear change.
#[derive(Clone, Debug, Default)]
pub(super) struct Settling {
    /// The previous picture came in by a clear change (a step beyond the anchor allowance).
    after_change: bool,
    /// The first frame after the origin, while every frame since stayed with it.
    from: Option<MediaTime>,
    /// Frames from `from` on.
    frames: u64,
    /// The origin is the current candidate's anchor (not copied apart).
    in_anchor: bool,
    /// Block differences against the origin (absolute and signed).
    mad: Vec<f32>,
    dc: Vec<f32>,
}

impl Settling {
    /// Ends the run followed: the frames since the origin were motion, not refinement.
    pub(super) fn forget(&mut self) {
        self.from = None;
    }
}

impl Freeze {
    /// Follows the run after a clear change with frame `t` (its verdict `v`), once the
    /// candidate and the anchor are updated for it and before the freeze is confirmed.
    pub(super) fn settle(&mut self, v: Option<Verdict>, t: MediaTime) {
        let (Some(v), Some(grid)) = (v, self.grid) else {
            self.settling.from = None;
            self.settling.after_change = false;
            return;
        };
        let af = self.cfg.anchor_factor;
        let slight = v.same_as_prev || v.step <= af * self.cfg.tolerance;
        let after_change = std::mem::replace(&mut self.settling.after_change, !slight);
        if self.tracker.is_open() || self.still_since.is_some() {
            self.settling.from = None;
            return;
        }
        if let Some(from) = self.settling.from {
            let since = if self.frames > 0 {
                self.candidate_since.unwrap_or(t)
            } else {
                t
            };
            // A freeze is confirmed at most `STEP_FACTOR * min_duration` after it was first
            // seen, and is moved back only when first seen within `SETTLE_SECS`.
            let useful = since.secs_since(from) <= SETTLE_SECS + 1e-9
                && t.secs_since(from) <= SETTLE_SECS + STEP_FACTOR * self.cfg.min_duration + 1e-9;
            let kept = slight && useful && self.with_origin(v, from, &grid);
            if kept {
                self.settling.frames += 1;
            } else {
                self.settling.from = None;
            }
        }
        if self.settling.from.is_none() && after_change && slight {
            // The previous picture is the origin: the anchor of the candidate beginning now,
            // or copied apart.
            self.settling.in_anchor = v.same_as_prev && self.frames == 1;
            if !self.settling.in_anchor {
                self.means.prev_to_origin();
            }
            self.settling.from = Some(t);
            self.settling.frames = 1;
        }
    }

    /// True when the current picture stays with the origin of the run beginning at `from`.
    fn with_origin(&mut self, v: Verdict, from: MediaTime, grid: &CellGrid) -> bool {
        if self.settling.in_anchor {
            if v.same_as_prev {
                // Still the candidate whose anchor is the origin (the anchor test was this
                // test), or a new one begun because the picture drifted from it.
                return self.candidate_since == Some(from);
            }
            // The candidate ended on a new picture; its anchor (not replaced before the next
            // repeat) is kept apart.
            self.means.anchor_to_origin();
            self.settling.in_anchor = false;
        }
        let (mad, dc) = (&mut self.settling.mad, &mut self.settling.dc);
        self.means
            .diff_held(Held::Origin, grid, mad, dc, &mut self.acc);
        let worst = max(mad);
        let drift = median(dc, &mut self.scratch).abs();
        let allowed = self.cfg.tolerance + self.cfg.noise_factor * v.noise;
        worst <= allowed * self.cfg.anchor_factor && drift <= self.cfg.drift_tolerance
    }

    /// Where a freeze first seen at `start` is reported from: the first frame after its
    /// origin when its candidate began after the origin and every frame since stayed with it,
    /// within [`SETTLE_SECS`] of `start` (which the edge rule may have set after the
    /// candidate's first frame: a refined interlaced picture moves a cell by an edge's amount
    /// now and then). A held still is left as it is.
    fn settled_from(&self, start: MediaTime) -> Option<MediaTime> {
        let from = self.settling.from?;
        let plain = self.candidate_since.is_some_and(|s| s <= start) && self.still_since.is_none();
        (plain && from < start && start.secs_since(from) <= SETTLE_SECS + 1e-9).then_some(from)
    }

    /// Where a freeze first seen at `start` and confirmed now is reported from
    /// ([`settled_from`](Self::settled_from), else `start`); the frames moved back are counted
    /// in the freeze.
    pub(super) fn settle_back(&mut self, start: MediaTime) -> MediaTime {
        match self.settled_from(start) {
            Some(from) => {
                self.frames = self.frames.max(self.settling.frames);
                from
            }
            None => start,
        }
    }
}
