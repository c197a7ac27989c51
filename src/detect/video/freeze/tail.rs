//! `freeze`: motion dying out just before a picture is held.
//!
//! A scene that slows to a stop before its picture is held (a dark, quiet scene whose last
//! movement is a small figure settling) steps each frame by less than the tolerance while the
//! movement dies out, so its last moving frames already pass the repeat test and a freeze
//! would be reported from them. They differ from a held picture's frames in one way: a few
//! cells change by an edge's amount in every one of them ([`TAIL_STEP`] code values or more,
//! [`EDGE_NOISE_FACTOR`] times the noise), while a held picture's re-coding moves its cells by
//! about 3 at most, and by more only in a frame or two after a key frame.
//!
//! An encoder re-coding grain over a held picture, or an interlaced held picture, moves cells as
//! much in frame after frame, but only until the next key frame, and keeps the picture near the
//! one before (the candidate's anchor); motion dying out stops between key frames and carries
//! the picture away from it.
//!
//! So a candidate freeze that begins with [`TAIL_FRAMES`] or more such frames in a row, with no
//! intra picture among them or at their end, and whose first quiet frame is more than
//! [`TAIL_AWAY`] times the tolerance away from its anchor, begins again at that frame: the freeze is reported from the first frame that repeats the
//! held picture. The run after a clear change that would move the start
//! back for an encoder's refinement ([`settle`](super::settle)) is dropped then: those frames
//! were motion. Only the start of a freeze moves later, by the frames of the dying motion; a
//! candidate that never turns quiet is judged as before.
//!
//! A movement dying out slowly may carry the picture past the anchor allowance before it stops
//! (a dark scene's figure walking its last steps): the candidate then begins again with the
//! previous picture as its anchor, and its moving frames go on counting for the new candidate,
//! which has drifted away from where it began by then. When the tail begins the candidate again,
//! the anchor becomes the picture the quiet frame repeats: the held picture, not the motion's
//! first, so that a key frame's re-coding later in the hold is judged against it.
//!
//! Not at the other end: motion that resumes with steps as small passes the repeat test for a
//! few frames, until the picture drifts from the anchor, but an encoder re-coding grain or an
//! interlaced held picture moves cells as much in the frames before a freeze's end (ending
//! freezes at the first of such frames moved three ends of the shared corpus 2–3 frames early).
//!
//! Cost: none beyond the repeat test (the largest cell change of a repeat is read already).

use super::{Freeze, Verdict, EDGE_NOISE_FACTOR};
use crate::media::MediaTime;

/// Change of one cell's mean (code values) in a repeat that is a movement dying out: a held
/// picture's frames moved a cell by at most 2.8 between key frames in the frozen passages of
/// the interlaced and dark-footage draws, while a small figure settling in a dark scene moved
/// one by 5.5–14.5 in each of its last 7 frames.
const TAIL_STEP: f32 = 5.0;
/// The first quiet frame must differ from the candidate's anchor by this many times the
/// tolerance: the encoder's re-coding of grain or of an interlaced held picture took it 3.0–4.3
/// code values (tolerance 4) away from the picture before it, a small figure settling in a dark
/// scene 7.0.
const TAIL_AWAY: f32 = 1.5;
/// Frames in a row that make a movement dying out: one or two are a key frame's re-coding
/// refined in the next frame.
const TAIL_FRAMES: u32 = 3;

/// The first frames of a candidate freeze.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tail {
    /// Frames in a row, from the candidate's first, in which a cell moved by [`TAIL_STEP`].
    moving: u32,
    /// A quiet frame came: the candidate's beginning is judged.
    settled: bool,
    /// Moving frames of a candidate that drifted from its anchor while the motion was still
    /// dying out: the next candidate goes on counting from them.
    carried: u32,
    /// The candidate goes on from one that drifted from its anchor while the motion was dying
    /// out: the motion took the picture away from where it began already.
    drifted: bool,
}

impl Freeze {
    /// Follows the beginning of the candidate with its repeated frame `t` (verdict `v`,
    /// `intra` for an intra picture), once the candidate counted it: at the first quiet frame
    /// after [`TAIL_FRAMES`] moving ones, the candidate begins again with this frame.
    pub(super) fn follow_tail(&mut self, v: &Verdict, intra: bool, t: MediaTime, until: MediaTime) {
        if self.frames == 1 {
            let carried = std::mem::take(&mut self.tail.carried);
            self.tail = Tail {
                moving: carried,
                drifted: carried > 0,
                ..Tail::default()
            };
        }
        if self.tail.settled || self.tracker.is_open() {
            return;
        }
        if intra {
            // A key frame re-coded the picture: what moved its cells before was the encoder's
            // re-coding of grain or of an interlaced picture, which goes on to a key frame.
            self.tail.settled = true;
            return;
        }
        if v.most >= TAIL_STEP && v.most >= EDGE_NOISE_FACTOR * v.noise {
            self.tail.moving += 1;
            return;
        }
        self.tail.settled = true;
        // The motion took the picture away from where the candidate began (a re-coding's
        // cells stay near the held picture).
        let away = self.tail.drifted || v.worst >= TAIL_AWAY * self.cfg.tolerance;
        if self.tail.moving < TAIL_FRAMES || !away {
            return;
        }
        // The unconfirmed candidate of the dying motion is dropped; the freeze's own begins
        // with this frame when it is observed.
        self.tracker.observe(false, t, until);
        // The held picture is the one this frame repeats, not the motion's first.
        self.anchor_is_prev = true;
        self.candidate_since = Some(t);
        self.frames = 1;
        self.edge_moves = 0;
        self.worst = v.worst;
        self.noise = v.noise;
        self.settling.forget();
    }

    /// Called when a candidate drifted from its anchor at frame `v` and begins again: when
    /// the motion that began it was still dying out (no quiet frame yet), its moving frames
    /// count for the next candidate, whose anchor is the last of them.
    pub(super) fn carry_tail(&mut self, v: &Verdict) {
        let dying = !self.tail.settled && !self.tracker.is_open() && self.tail.moving > 0;
        self.tail.carried = if dying && v.most >= TAIL_STEP {
            self.tail.moving
        } else {
            0
        };
    }
}
