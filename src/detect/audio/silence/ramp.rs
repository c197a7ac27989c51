//! Fades for the `silence` detector: a playout chain joins two programmes with a V-fade (the
//! sound faded out over about 20 ms, the next programme faded in over as long), which is no
//! defect, while a dropout cuts the waveform at once (a lossy codec smears the cut over
//! 5–7.5 ms, on the gap's side).
//!
//! A linear fade of 20 ms seen in 2.5 ms windows falls steadily through all of them (about
//! −0.5, −1.8, −3.2, −5, −7, −10, −14, −24 dB), so the 15 ms before the sound is far under the
//! programme's level hold little of it, a cut's hold the programme (only the last windows are
//! its smear). [`Ramp`] keeps the last `2 × fade` window levels and judges the fall into a gap
//! on them when it happens: a fall is *faded* when the windows 2 to `fade − 1` before the first
//! far window are on average 3 dB under the `fade` windows before them, their first half 3 dB
//! under their second (the level still going down), and at most one of them rises more than
//! 2 dB over the one before (the 2.5 ms windows of voiced speech jump by 10 dB with the pitch
//! pulses: such a fall is not taken for a fade). A silence's fall is a fade too when, paired
//! into 5 ms windows, each pair is under the one before it and the first 3 dB under the last:
//! a fade of a bass note or of lossy-coded music ripples through its 2.5 ms windows, shorter
//! than half the note's period (a window holding a crest, the next a zero crossing), while its
//! 5 ms windows fall with the gain (a dropout's fall is not judged so: the pitch pulses of
//! voiced speech can leave a syllable's decay falling steadily in 5 ms windows). The return is
//! a fade-in ([`RampIn`]) when the first three windows after the gap are on average 6 dB under
//! windows `fade` to `2 × fade − 1` after it. A gap is a junction, not a dropout, only when
//! both its edges are fades.

/// Power ratios of the tests above (−3 dB, −3 dB, +2 dB and −6 dB).
const FALL_MEAN: f64 = 0.501_187_233_627_272_3;
const FALL_SLOPE: f64 = 0.501_187_233_627_272_3;
const FALL_JUMP: f64 = 1.584_893_192_461_113_5;
const RISE_MEAN: f64 = 0.251_188_643_150_958;
/// Longest fade judged, in windows (the ring holds twice this).
const MAX_FADE: usize = 32;
/// Windows at the start of a return judged as its first ones.
const RISE_EARLY: usize = 3;

/// The last window levels, for judging a fall when it happens.
pub(crate) struct Ramp {
    /// Windows of a fade (20 ms), at least 4, at most [`MAX_FADE`].
    fade: usize,
    ring: [f64; 2 * MAX_FADE],
    pos: usize,
    filled: usize,
}

impl Ramp {
    /// A ramp judge for fades of `fade` windows.
    pub(crate) fn new(fade: usize) -> Self {
        Ramp {
            fade: fade.clamp(4, MAX_FADE),
            ring: [0.0; 2 * MAX_FADE],
            pos: 0,
            filled: 0,
        }
    }

    /// Windows of a fade.
    pub(crate) fn fade(&self) -> usize {
        self.fade
    }

    /// Forgets the levels (a new timeline or format).
    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.filled = 0;
    }

    /// Adds a window's level (mean square).
    pub(crate) fn push(&mut self, ms: f64) {
        if !ms.is_finite() {
            self.reset();
            return;
        }
        let n = 2 * self.fade;
        self.ring[self.pos] = ms;
        self.pos = (self.pos + 1) % n;
        self.filled = (self.filled + 1).min(n);
    }

    /// The `k`-th window back (1 = the last one pushed).
    fn back(&self, k: usize) -> f64 {
        let n = 2 * self.fade;
        self.ring[(self.pos + n - k) % n]
    }

    fn mean(&self, from: usize, to: usize) -> f64 {
        (from..=to).map(|k| self.back(k)).sum::<f64>() / (to + 1 - from) as f64
    }

    /// The windows pushed so far end in a fade: the window to come is the first far under the
    /// programme's level after a steady fall over a fade's length (its 2.5 ms windows).
    pub(crate) fn faded_fall(&self) -> bool {
        self.fall_verdict(false)
    }

    /// As [`faded_fall`](Self::faded_fall), or the fall's 5 ms windows fall steadily (see
    /// `steady_pairs`): for a silence, where a fall taken for a fade only delays the alarm
    /// to `quiet_min_duration`; a dropout's fall is judged on its 2.5 ms windows, whose jumps
    /// tell a syllable's decay, cut, from a fade (voiced speech's pitch pulses can leave its
    /// 5 ms windows falling steadily too).
    pub(crate) fn faded_fall_paired(&self) -> bool {
        self.fall_verdict(true)
    }

    fn fall_verdict(&self, paired: bool) -> bool {
        let f = self.fade;
        if self.filled < 2 * f {
            return false;
        }
        let reference = self.mean(f + 1, 2 * f);
        let half = f.div_ceil(2);
        let fall = self.mean(2, f - 1);
        let low = self.mean(2, half);
        let high = self.mean(half + 1, f - 1);
        let jumps = (2..f)
            .filter(|&k| self.back(k) > self.back(k + 1) * FALL_JUMP)
            .count();
        let steady = low <= high * FALL_SLOPE && jumps <= 1;
        reference > 0.0
            && fall <= reference * FALL_MEAN
            && (steady || (paired && self.steady_pairs()))
    }

    /// Windows 2 to `fade − 1` before the first far one, paired into 5 ms windows, fall
    /// steadily: each pair under the one before it, the first 3 dB under the last. A window
    /// of 2.5 ms is shorter than half a period of a note under 200 Hz and its level follows
    /// the wave's phase (a bass note's windows swing 3–10 dB), so a fade of such a note
    /// ripples through its 2.5 ms windows; 5 ms windows hold half a period of a 100 Hz note
    /// and fall with the gain.
    fn steady_pairs(&self) -> bool {
        let pairs = (self.fade - 2) / 2;
        let pair = |j: usize| self.back(2 * j) + self.back(2 * j + 1);
        pairs >= 2
            && pair(1) <= pair(pairs) * FALL_SLOPE
            && (1..pairs).all(|j| pair(j) < pair(j + 1))
    }
}

/// The windows after a gap, judged as a fade-in once `2 × fade` of them are in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RampIn {
    fade: usize,
    windows: usize,
    early: f64,
    late: f64,
}

impl RampIn {
    /// A return to judge, for fades of `fade` windows (as [`Ramp::fade`]).
    pub(crate) fn new(fade: usize) -> Self {
        RampIn {
            fade: fade.clamp(4, MAX_FADE),
            windows: 0,
            early: 0.0,
            late: 0.0,
        }
    }

    /// Adds the next window after the gap; the verdict once enough are in: `Some(true)` when
    /// the return was a fade-in.
    pub(crate) fn push(&mut self, ms: f64) -> Option<bool> {
        if self.windows < RISE_EARLY {
            self.early += ms;
        }
        if self.windows >= self.fade && self.windows < 2 * self.fade {
            self.late += ms;
        }
        self.windows += 1;
        (self.windows >= 2 * self.fade).then(|| self.faded_in())
    }

    /// The return so far was a fade-in (false before `2 × fade` windows are in).
    pub(crate) fn faded_in(&self) -> bool {
        if self.windows < 2 * self.fade {
            return false;
        }
        let early = self.early / RISE_EARLY as f64;
        let late = self.late / self.fade as f64;
        late > 0.0 && early <= late * RISE_MEAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Window levels of a linear fade of 8 windows ending at the last one, after `before`
    /// windows at 1.0: the mean of the gain squared over each window.
    fn fade_out(before: usize) -> Vec<f64> {
        let mut v = vec![1.0; before];
        for w in 0..8 {
            let (a, b) = (1.0 - w as f64 / 8.0, 1.0 - (w + 1) as f64 / 8.0);
            v.push((a * a + a * b + b * b) / 3.0);
        }
        v
    }

    #[test]
    fn a_linear_fade_is_faded_a_held_cut_is_not() {
        let mut r = Ramp::new(8);
        fade_out(16).iter().for_each(|&m| r.push(m));
        assert!(r.faded_fall());
        // a cut smeared over 7.5 ms: the programme held until three windows before
        let mut r = Ramp::new(8);
        [vec![1.0; 21], vec![0.3, 0.1, 0.02]]
            .concat()
            .iter()
            .for_each(|&m| r.push(m));
        assert!(!r.faded_fall());
        // voiced speech: windows jumping with the pitch pulses as the sound falls (low on
        // average, lower towards the gap, but not steadily)
        let mut r = Ramp::new(8);
        let mut v = vec![1.0; 16];
        v.extend([0.1, 0.063, 1.0, 1.0, 0.08, 0.16, 0.16, 0.2]);
        v.iter().for_each(|&m| r.push(m));
        assert!(!r.faded_fall());
    }

    #[test]
    fn a_fade_rippling_in_its_windows_is_faded_a_rippling_cut_is_not() {
        // a bass note's 2.5 ms windows swing with its phase: 3 dB over and under in turn
        let ripple = |v: Vec<f64>| -> Vec<f64> {
            v.iter()
                .enumerate()
                .map(|(i, &m)| if i % 2 == 0 { m * 2.0 } else { m * 0.5 })
                .collect()
        };
        let mut r = Ramp::new(8);
        ripple(fade_out(16)).iter().for_each(|&m| r.push(m));
        assert!(r.faded_fall_paired());
        assert!(!r.faded_fall(), "its 2.5 ms windows jump");
        let mut r = Ramp::new(8);
        ripple([vec![1.0; 21], vec![0.3, 0.1, 0.02]].concat())
            .iter()
            .for_each(|&m| r.push(m));
        assert!(!r.faded_fall_paired());
    }

    #[test]
    fn a_fade_in_is_told_from_an_abrupt_return() {
        let mut fade = fade_out(0);
        fade.reverse();
        let mut r = RampIn::new(8);
        let verdicts: Vec<_> = fade
            .iter()
            .chain([1.0; 8].iter())
            .map(|&m| r.push(m))
            .collect();
        assert_eq!(verdicts[..15], [None; 15]);
        assert_eq!(verdicts[15], Some(true));
        let mut r = RampIn::new(8);
        let mut v = vec![0.3];
        v.extend([1.0; 15]);
        assert_eq!(v.iter().map(|&m| r.push(m)).last(), Some(Some(false)));
    }
}
