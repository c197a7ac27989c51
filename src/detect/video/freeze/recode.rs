//! `freeze`: an encoder re-coding a held picture in a predicted frame or two.
//!
//! Over film grain an encoder keeps re-coding a held picture: a key frame codes it afresh, and
//! a B-picture or a P-picture after it may step a block back toward the picture it had before
//! (by 4–5.5 code values, over the tolerance of 4, the rest of the picture unchanged) while the
//! picture stays within the anchor allowance of the held one; the next frame repeats it again.
//! Judged by the tolerance alone, each such step ends the freeze and a new one begins: one
//! freeze reported as two, split by one or two frames.
//!
//! So inside an open freeze, within [`RECODE_SECS`] after a key frame, a predicted picture may
//! step a block by up to `anchor_factor` times the allowance, as the key frame may, for at most
//! [`RECODE_FRAMES`] frames in a row, and only while it stays with the anchor (the anchor test
//! is unchanged). Motion that resumes with steps as small goes on for more frames, or drifts
//! from the anchor: the freeze then ends at the first of those frames, as it would have without
//! this allowance (only the end's report comes a frame or two later). Away from key frames the
//! tolerance stays: a slowly swaying head steps by as much now and then, between repeats, and
//! allowing it any time kept such a freeze open 0.2 s past its end.
//!
//! Cost: none (the anchor test is read for every repeat already).

use super::{Freeze, Verdict};
use crate::media::MediaTime;

/// Seconds after a key frame inside an open freeze in which predicted pictures may re-code it:
/// the steps came 0.04–0.48 s after the key frame (GOPs of 25 and 50 pictures at 25 fps).
const RECODE_SECS: f64 = 0.5;
/// Frames in a row that may repeat the held picture only by the re-coding allowance: a
/// B-picture and the P-picture it leads to.
const RECODE_FRAMES: u32 = 2;

/// The frames of an open freeze that repeated the held picture only by the re-coding allowance.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Recoding {
    /// The first of them, while they go on.
    since: Option<MediaTime>,
    /// How many, in a row.
    frames: u32,
    /// The last key frame inside the open freeze.
    key: Option<MediaTime>,
}

impl Freeze {
    /// Whether frame `t` (a predicted picture) may repeat the held picture by the re-coding
    /// allowance.
    pub(super) fn may_recode(&self, t: MediaTime) -> bool {
        let after_key = self
            .recoding
            .key
            .is_some_and(|k| k < t && t.secs_since(k) <= RECODE_SECS + 1e-9);
        self.tracker.is_open() && after_key && self.recoding.frames < RECODE_FRAMES
    }

    /// Follows frame `t` (verdict `v`, `intra` for a key frame) of an open freeze.
    pub(super) fn follow_recoding(&mut self, v: &Verdict, t: MediaTime, intra: bool) {
        if intra && v.same_as_prev && self.tracker.is_open() {
            // The key frame's own step is allowed as a key frame's.
            self.recoding.key = Some(t);
            self.recoding.since = None;
            self.recoding.frames = 0;
            return;
        }
        if !v.same_as_prev {
            // The freeze ends with this frame: the end takes the run ([`recoded_end`](Self::recoded_end)).
            return;
        }
        // A fast-motion hold's frames repeat it by the allowance throughout ([`fast`](super::fast)).
        let strict =
            v.step <= self.cfg.tolerance + self.cfg.noise_factor * v.noise || self.fast.held;
        if !self.tracker.is_open() {
            self.recoding = Recoding::default();
            return;
        }
        if strict {
            self.recoding.since = None;
            self.recoding.frames = 0;
            return;
        }
        self.recoding.since.get_or_insert(t);
        self.recoding.frames += 1;
    }

    /// Where a freeze that ends at frame `t` ends: at the first of the frames just before
    /// that repeated it only by the re-coding allowance (the motion began there).
    pub(super) fn recoded_end(&mut self, t: MediaTime) -> MediaTime {
        let end = self.recoding.since.unwrap_or(t);
        self.recoding = Recoding::default();
        end
    }
}
