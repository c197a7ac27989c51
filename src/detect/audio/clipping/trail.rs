//! The trail of a clipped passage: tops just under the pile band that only trail it (see
//! `detect::measure::ceiling`), carrying its end when they follow its last tops pulse after
//! pulse.
//!
//! AAC rounds a voice's last clipped tops to a sine's shape, under the band, one or two a
//! window; they go on from the passage's last tops without a break (each window's first within
//! [`TRAIL_GAP`] windows of the last top that went on). A codec also spreads the last clipped
//! top over a few milliseconds after it: one window of trailing tops right after the tops that
//! carried the end is held, and carries it only when a second weak link follows (another window
//! of trailing tops, or sharp tops that kept the passage open), as a voice's pulses go on.

use super::excursion::Tally;

/// Windows within which trailing tops must follow the last top that went on with the passage:
/// a voice's pitch period is under one window (10 ms, 100 Hz) or a little over, so its pulses
/// held at the rail follow each other within two, while a loud pulse after the passage comes
/// after the voice fell away.
pub(super) const TRAIL_GAP: i64 = 2;

/// The chain of trailing tops after the tops that last carried a passage's end.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Trail {
    /// Whether the last link was weak: sharp tops that kept the passage open, or trailing ones.
    pub(super) weak: bool,
    /// Trailing tops right after the tops that carried the end, until a weak link follows.
    held: Tally,
}

impl Trail {
    /// Links a window to the trail: `weak` as it was before the window, `kept` whether sharp
    /// tops kept the passage open in it, `trail` its trailing tops that follow the chain, `win`
    /// the tops that carry the end in it, to which the trailing ones are added when they follow
    /// a weak link (with those held). Tops carrying the end start the chain afresh.
    pub(super) fn link(&mut self, weak: bool, kept: bool, trail: &Tally, win: &mut Tally) {
        if win.first.is_some() {
            *self = Trail::default();
            return;
        }
        if trail.first.is_some() {
            if weak {
                win.add(&std::mem::take(&mut self.held));
                win.add(trail);
            } else {
                self.held = *trail;
            }
        }
        self.weak |= kept || trail.first.is_some();
    }
}
