//! The **dips** of `stutter`: near-repeat steps in motion, the texture of a programme whose
//! pictures were rate-converted.
//!
//! A step is a dip when the scene moves on both sides of it (the steps before and after each
//! changed the worst block by `min_motion` and moved 3 in 100 blocks, see `Held::moving`) and
//! it changed the worst block by at most 1 / [`DIP_RATIO`] of either: the picture was (nearly)
//! shown again. Film telecined 3:2, deinterlaced and decimated to 25 fps (a standards
//! converter: `bwdif` + `fps=25`) shows such near-repeats several times a second, at places
//! that follow the beat of the pulldown against the decimation (no period to learn), and only
//! some of them are close enough to count as repeats. Footage shot or converted at its frame
//! rate shows none in motion; a 24 → 25 conversion about one a second or fewer (its repeats
//! are a cadence of their own).

use super::step::{Step, MOVED_SHARE};
use super::StutterConfig;

/// Dips within [`DIP_SECS`] before a repeat that make a picture repeated once part of the
/// programme's texture (1.4 a second). Measured on the 30-minute channels of two seeds (every
/// programme at 25 fps): 18 to 39 before each of the 12 pictures repeated once that were
/// reported as stutter in their four 3:2 → deinterlaced → 25 fps programmes; at most 10 in
/// any 10 s of a 24 → 25 conversion (one repeat a second), 7 in film, 0 or 1 in footage at its
/// frame rate.
pub(super) const DIPS_MIN: usize = 14;
/// A step is a dip when it changed the worst block by at most this fraction of each step in
/// motion around it.
const DIP_RATIO: f32 = 2.5;
/// Seconds over which dips are counted.
pub(super) const DIP_SECS: f64 = 10.0;

/// Dips remembered: [`DIPS_MIN`] and the repeat's own.
const RING: usize = DIPS_MIN + 1;

/// The last [`RING`] dips and the last two steps.
pub(super) struct Dips {
    /// Times (seconds) of the last dips, a ring buffer.
    times: [f64; RING],
    n: usize,
    next: usize,
    /// The last two steps, older first: time of the frame they led to, worst-block change, and
    /// whether the scene moved.
    last: [Option<(f64, f32, bool)>; 2],
}

impl Dips {
    /// No dip seen.
    pub(super) fn new() -> Self {
        Dips {
            times: [0.0; RING],
            n: 0,
            next: 0,
            last: [None; 2],
        }
    }

    /// The step `step` led to the frame at `t` (seconds): the step before it is a dip when it
    /// fell between two steps in motion.
    pub(super) fn step(&mut self, t: f64, step: Step, cfg: &StutterConfig) {
        let moving = step.worst >= cfg.min_motion && step.moved >= MOVED_SHARE;
        if let [Some((_, before, true)), Some((at, worst, _))] = self.last {
            if moving && worst * DIP_RATIO <= before.min(step.worst) {
                self.times[self.next] = at;
                self.next = (self.next + 1) % RING;
                self.n = (self.n + 1).min(RING);
            }
        }
        self.last = [self.last[1], Some((t, step.worst, moving))];
    }

    /// [`DIPS_MIN`] dips or more came within [`DIP_SECS`] before `start` (seconds); dips from
    /// `start` on (the repeat's own) do not count.
    pub(super) fn frequent(&self, start: f64) -> bool {
        let before = self.times[..self.n]
            .iter()
            .filter(|&&d| d < start && start - d <= DIP_SECS)
            .count();
        before >= DIPS_MIN
    }

    /// The next step follows no other (a new picture size).
    pub(super) fn restart(&mut self) {
        self.last = [None; 2];
    }

    /// Forgets everything (after a discontinuity).
    pub(super) fn clear(&mut self) {
        *self = Dips::new();
    }
}
