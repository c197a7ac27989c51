//! `freeze`: a picture held where the scene was moving fast.
//!
//! A synthetic or graphic scene moving fast (every frame stepping a block by tens of code
//! values, over a still background) that stops on one picture is a freeze; coded as interlaced
//! MPEG-2, each predicted picture of the hold re-codes its sharp edges, stepping a block by up
//! to about 5.2 code values (over the tolerance of 4) and a cell by 13–20 (an edge's amount),
//! in frame after frame until the hold ends, not only after a key frame. Judged by the
//! tolerance and the edge rule, such a hold breaks into pieces shorter than `min_duration`.
//!
//! Motion as fast as that does not slow to an edge's crawl in a frame: when the two steps
//! before a picture both moved a block by [`FAST_STEP`] or more without being a cut, the frames
//! repeating that picture may each step a block by up to `anchor_factor` times the allowance
//! (the anchor test is unchanged: every frame stays within the anchor allowance of the held
//! picture), and their edge moves are not slow motion. A presenter nearly still never steps a
//! block by [`FAST_STEP`]; a cut (most blocks replaced) is not fast motion. The allowance holds
//! for the hold's frames only: it ends with the first frame that is not a repeat.
//!
//! Cost: one counting pass over the block changes of a frame that steps by [`FAST_STEP`].

use super::Freeze;
use crate::detect::measure::median::is_cut;

/// Worst block change (code values) of a step of fast motion: testsrc2's moving shapes stepped
/// a block by 130–160 in every frame before its held pictures; ten times the anchor
/// allowance (twice the tolerance of 4), far over the 5.2 of an interlaced hold's re-coding.
const FAST_STEP: f32 = 80.0;
/// Steps of fast motion in a row before the held picture.
const FAST_STEPS: u32 = 2;

/// Fast motion just before the current picture, and whether its hold is being followed.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Fast {
    /// Steps of fast motion in a row, up to the previous picture.
    steps: u32,
    /// The frames since the last fast step repeat the picture it brought.
    pub(super) held: bool,
}

impl Freeze {
    /// Whether the frame being judged may repeat the held picture by the re-coding allowance:
    /// it follows fast motion, or repeats the picture fast motion brought.
    pub(super) fn after_fast(&self) -> bool {
        self.fast.held || self.fast.steps >= FAST_STEPS
    }

    /// Follows a frame that repeated the previous one (`same`) or stepped by `step` (its block
    /// changes against the previous picture in `self.mad`).
    pub(super) fn follow_fast(&mut self, same: bool, step: f32) {
        if same {
            self.fast.held = self.after_fast();
            self.fast.steps = 0;
            return;
        }
        self.fast.held = false;
        let fast = step >= FAST_STEP && !is_cut(&self.mad);
        self.fast.steps = if fast { self.fast.steps + 1 } else { 0 };
    }
}
