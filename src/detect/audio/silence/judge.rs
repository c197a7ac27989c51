//! How the `silence` detector judges a gap (a run of silent windows or a relative gap)
//! against the programme: its level (a mean over about `relative_context` seconds of the
//! windows outside gaps, and how long ago a window was near it) and its floor (see
//! [`Floor`](super::floor::Floor)): a gap's quietest 10 ms (5 ms for the shortest) must fall
//! `floor_drop_db` under it.
//!
//! A gap holding [`ROOM_TONE`] seconds in a row of quiet far under the programme's level but
//! above digital silence, risen [`DIP`] out of a deeper dip before it (two fades meeting at a
//! junction), is **room tone**, not a cut: a cut takes the whole waveform away, and
//! every codec measured (MP2, AAC once and twice, AC-3 at 44.1 kHz) leaves its gap under
//! −100 dBFS within 10–20 ms of the cut. Such a gap is a pause of the programme, or the quiet
//! at a junction where a quieter programme begins (its lead-in, the room tone of its pauses):
//! it is no dropout and no cut whatever the floor before it was, and its levels join the floor
//! (the new programme's, as the quiet before the stream's first sound does, see
//! [`Floor::lead`](super::floor::Floor::lead)). The floor of the programme before a junction
//! would otherwise stay for `floor_context` seconds and make every pause of the next one, 30 dB
//! quieter, a dropout.

use super::floor::DIGITAL_SILENCE;
use super::{Silence, FAR, NEAR};

/// Seconds in a row of quiet above digital silence that make a gap room tone (as long as the
/// lead-in before the first sound that makes a floor).
const ROOM_TONE: f64 = 0.1;

/// How far (power ratio, 10 dB) room tone stands over the dip before it.
const DIP: f64 = 10.0;

/// Seconds an abrupt fall into room tone must last to be a cut into silence all the same: a
/// programme cut to a noise floor (a dead source's hiss, −70 dBFS) stays there, while the
/// room tone a quieter programme begins with after a junction lasts a few tenths of a second
/// (0.2–0.45 s on the realeval channels) before its first sound.
pub(super) const TONE_CUT: f64 = 1.0;

/// Longest gap (windows held, its edges included) judged by its quietest 5 ms rather than
/// 10 ms: a cut of 10 ms that a lossy codec smears leaves 5 ms near zero between two edge
/// windows still sounding.
const SHORT_GAP: usize = 5;

/// A gap being judged (a run of silent windows or a relative gap): the floor before it and its
/// quietest 10 ms and 5 ms (mean squares).
#[derive(Clone, Copy, Debug)]
pub(super) struct Judged {
    pub(super) floor: Option<f64>,
    pub(super) low: f64,
    pub(super) low_short: f64,
    /// Reported as a dropout (its levels are then kept out of the floor).
    pub(super) reported: bool,
    /// Windows held.
    pub(super) windows: usize,
    /// Windows in a row, up to the last one, far under the programme's level and above
    /// digital silence, and the most of them in a row so far.
    pub(super) tone: usize,
    pub(super) tone_max: usize,
    /// 10 ms of such quiet stood [`DIP`] over the quietest 10 ms before them in the gap: the
    /// quiet came up out of a deeper dip (where a programme's fade-out met the next one's
    /// fade-in), as room tone after a junction does; a programme that only drops in level (a
    /// gain falling 35 dB) or is cut to a steady noise floor never rises out of a dip.
    pub(super) dipped: bool,
}

impl Silence {
    /// The gap being judged fell far enough under the programme's floor.
    pub(super) fn below_floor(&self) -> bool {
        self.judged
            .is_some_and(|j| self.deep(&j) && !self.room_tone(&j))
    }

    /// The gap held [`ROOM_TONE`] seconds in a row of quiet above digital silence, come up
    /// out of a dip.
    pub(super) fn room_tone(&self, j: &Judged) -> bool {
        let windows = ((ROOM_TONE / self.cfg.window).round() as usize).max(1);
        j.tone_max >= windows && j.dipped
    }

    /// The gap's quietest 10 ms, or its quietest 5 ms when it is held no longer than
    /// `SHORT_GAP` windows (a 10 ms mean of a 5 ms cut, edges and all, would be the edges'
    /// level), fell `floor_drop_db` under the floor.
    pub(super) fn deep(&self, j: &Judged) -> bool {
        let low = if j.windows <= SHORT_GAP {
            j.low.min(j.low_short)
        } else {
            j.low
        };
        j.floor.is_some_and(|f| low <= f * self.floor_ratio)
    }

    /// Windows the sound took to fall far under the programme's level (from the last window
    /// near it), or since a window was near it when it has not fallen that far yet.
    pub(super) fn fall_so_far(&self) -> usize {
        self.fall.unwrap_or(self.since_near)
    }

    /// The sound fell through a fade (see [`ramp`](super::ramp)): judged when it first fell
    /// far under the programme's level, or on the windows up to now when it has not yet.
    pub(super) fn faded_so_far(&self) -> bool {
        self.fall
            .map_or_else(|| self.ramp.faded_fall(), |_| self.fall_faded)
    }

    /// As [`faded_so_far`](Self::faded_so_far), the fall's 5 ms windows judged too (a
    /// silence's fall, see [`Ramp::faded_fall_paired`](super::ramp::Ramp::faded_fall_paired)).
    pub(super) fn faded_paired_so_far(&self) -> bool {
        self.fall
            .map_or_else(|| self.ramp.faded_fall_paired(), |_| self.fall_paired)
    }

    /// Follows the programme's level and how long ago a window was near it.
    pub(super) fn follow_level(&mut self, ms: f64) {
        if !ms.is_finite() {
            return;
        }
        let near = self.level.is_some_and(|l| ms >= l * NEAR);
        let far = self.level.is_some_and(|l| ms < l * FAR);
        if near {
            self.fall = None;
        } else if far && self.fall.is_none() {
            self.fall = Some(self.since_near);
            self.fall_faded = self.ramp.faded_fall();
            self.fall_paired = self.ramp.faded_fall_paired();
        }
        self.since_near = if near {
            0
        } else {
            self.since_near.saturating_add(1)
        };
        if self.run.is_none() && !self.relative.in_gap() {
            let n = (self.cfg.relative_context / self.cfg.window).max(1.0);
            self.level = Some(self.level.map_or(ms, |l| l + (ms - l) / n));
        }
    }

    /// Feeds the window's level to the floor; holds it while a gap is judged (or the sound dips
    /// more than 12 dB under the programme's level), settles the gap once nothing judges it
    /// any more.
    pub(super) fn follow_floor(&mut self, ms: f64, floor_before: Option<f64>) {
        // a dip under the programme's level is held too: the edges of a dropout must not lower
        // the floor either
        let dip = self.level.is_some_and(|l| ms < l * NEAR);
        let hold = self.run.is_some() || self.relative.in_gap() || dip;
        if self.sound_seen {
            self.floor.push(ms, hold);
        } else {
            self.floor.lead(ms);
        }
        if hold {
            let j = self.judged.get_or_insert(Judged {
                floor: floor_before,
                low: f64::INFINITY,
                low_short: f64::INFINITY,
                reported: false,
                windows: 0,
                tone: 0,
                tone_max: 0,
                dipped: false,
            });
            j.windows += 1;
            let far = self.level.is_some_and(|l| ms < l * FAR);
            j.tone = if far && ms >= DIGITAL_SILENCE {
                j.tone + 1
            } else {
                0
            };
            j.tone_max = j.tone_max.max(j.tone);
            if j.windows >= 2 {
                j.low_short = j.low_short.min(self.floor.mean_last(2));
            }
            if j.windows >= 4 {
                let mean = self.floor.mean_last(4);
                // 10 ms means: a chord's 2.5 ms windows swing 17 dB with its beats, its 10 ms
                // means 7 dB
                j.dipped |= j.tone >= 4 && j.low * DIP <= mean;
                j.low = j.low.min(mean);
            }
        } else if self.relative.pending_start().is_none() || self.judged.is_some_and(|j| j.reported)
        {
            // a gap reported is settled once the sound is back, though the relative rule
            // still judges its return: a dip of the programme meanwhile is judged on its own
            // levels, not on the gap's
            self.settle();
        }
        self.follow_level(ms);
    }

    /// The gap judged is settled: its levels join the floor unless it was a dropout or had the
    /// shape of one (far under the floor, shorter than a silence, no room tone; one too short
    /// to report must not hide the next).
    pub(super) fn settle(&mut self) {
        if let Some(j) = self.judged.take() {
            let secs = j.windows as f64 * self.cfg.window;
            let dropout_like = self.deep(&j) && secs < self.cfg.min_duration && !self.room_tone(&j);
            self.floor.release(!j.reported && !dropout_like);
        }
    }

    /// The gap judged was reported (a silence that is a cut): its levels stay out of the floor,
    /// so that the next cut within `floor_context` is compared with the programme.
    pub(super) fn mark_reported(&mut self) {
        if let Some(j) = &mut self.judged {
            j.reported = true;
        }
    }

    /// The silent run now is a cut: an abrupt fall far under the programme's floor, not
    /// through a fade (a playout's fade into silence or into a quiet programme is no cut).
    pub(super) fn cut(&self) -> bool {
        self.abrupt_run() && self.below_floor()
    }

    /// The silent run now is an abrupt fall far under the programme's floor into room tone:
    /// no cut while it is short (the lead-in of a quieter programme after a junction), a cut
    /// once it has lasted [`TONE_CUT`] (a programme cut to a noise floor).
    pub(super) fn cut_into_tone(&self) -> bool {
        self.abrupt_run()
            && self
                .judged
                .is_some_and(|j| self.deep(&j) && self.room_tone(&j))
    }

    /// The silent run fell abruptly, not through a fade.
    fn abrupt_run(&self) -> bool {
        self.run
            .is_some_and(|r| r.fall < self.relative_edge && !r.faded_silence)
    }
}
