//! The programme's recent floor for the `silence` detector: how quiet its quietest moments of
//! the last few seconds were (the room tone in the pauses of speech, the softest passage of
//! music).
//!
//! A natural pause sits at that floor (the room tone continues under it); a dropout cuts the
//! whole waveform, room tone and all, and falls far below it. Fed one level per analysis
//! window, it keeps a 10 ms running mean (4 windows of 2.5 ms) and the minimum of that mean over
//! segments of `segment` windows in a ring sized once; the floor is the minimum over the ring
//! and the current segment. The onset of the sound (its first `skip` windows: encoder priming,
//! a fade-in) is left out. The quiet before the first sound (room tone before a programme
//! starts, under the silence threshold but above digital silence) is the programme's floor
//! too: it is kept in the first segment (see [`Floor::lead`]).
//!
//! A gap being judged is *held*: its levels do not lower the floor until it is settled, and a
//! gap reported as a dropout never does (the next dropout a few seconds later is compared with
//! the programme, not with the previous dropout).

/// Windows in the running mean (10 ms at 2.5 ms windows).
const MEAN: usize = 4;

/// Mean square of digital silence (−90 dBFS): quieter windows before the first sound (a
/// decoder's priming, a stream that starts in digital zero) say nothing about the floor.
pub(super) const DIGITAL_SILENCE: f64 = 1e-9;

/// Windows of quiet before the first sound that make a lead-in (0.1 s at 2.5 ms windows): a
/// codec's onset (a few milliseconds of pre-echo or ramp) is not room tone.
const LEAD_WINDOWS: usize = 40;

pub(crate) struct Floor {
    /// Windows per segment.
    segment: usize,
    /// Windows of sound needed before the floor is known.
    history: usize,
    /// First windows left out of the floor (the onset of the sound: encoder priming, a
    /// fade-in).
    skip: usize,
    /// The last `MEAN` window levels.
    recent: [f64; MEAN],
    recent_n: usize,
    recent_pos: usize,
    /// Minimum of the running mean over the current segment, and windows in it.
    seg_min: f64,
    seg_n: usize,
    /// Minima of the finished segments.
    ring: Vec<f64>,
    ring_pos: usize,
    ring_filled: usize,
    /// Windows seen since the last reset (saturating).
    seen: usize,
    /// Minimum of the running mean over the held windows (`INFINITY` when none).
    held: f64,
    /// Minimum of the running mean over the quiet before the first sound, and its windows in a
    /// row above digital silence.
    lead_min: f64,
    lead_n: usize,
}

impl Floor {
    /// A floor over `segments` segments of `segment` windows, known after `history` windows,
    /// the first `skip` windows left out.
    pub(crate) fn new(segment: usize, segments: usize, history: usize, skip: usize) -> Self {
        Floor {
            segment: segment.max(1),
            history,
            skip,
            recent: [0.0; MEAN],
            recent_n: 0,
            recent_pos: 0,
            seg_min: f64::INFINITY,
            seg_n: 0,
            ring: vec![f64::INFINITY; segments.max(1)],
            ring_pos: 0,
            ring_filled: 0,
            seen: 0,
            held: f64::INFINITY,
            lead_min: f64::INFINITY,
            lead_n: 0,
        }
    }

    /// Forgets everything (discontinuity, format change).
    pub(crate) fn reset(&mut self) {
        self.recent_n = 0;
        self.recent_pos = 0;
        self.seg_min = f64::INFINITY;
        self.seg_n = 0;
        self.ring.iter_mut().for_each(|m| *m = f64::INFINITY);
        self.ring_pos = 0;
        self.ring_filled = 0;
        self.seen = 0;
        self.held = f64::INFINITY;
        self.lead_min = f64::INFINITY;
        self.lead_n = 0;
    }

    /// The 10 ms running mean ending with the last window (mean square).
    pub(crate) fn mean(&self) -> f64 {
        if self.recent_n == 0 {
            return f64::INFINITY;
        }
        self.recent[..self.recent_n].iter().sum::<f64>() / self.recent_n as f64
    }

    /// Mean of the last `windows` window levels, at most the last 10 ms (mean square).
    pub(crate) fn mean_last(&self, windows: usize) -> f64 {
        let n = windows.min(self.recent_n);
        if n == 0 {
            return f64::INFINITY;
        }
        (1..=n)
            .map(|k| self.recent[(self.recent_pos + MEAN - k) % MEAN])
            .sum::<f64>()
            / n as f64
    }

    /// Adds window level `ms` to the 10 ms running mean.
    fn remember(&mut self, ms: f64) {
        self.recent[self.recent_pos] = ms;
        self.recent_pos = (self.recent_pos + 1) % MEAN;
        self.recent_n = (self.recent_n + 1).min(MEAN);
    }

    /// One window of level `ms`; `hold`: it belongs to a gap being judged.
    pub(crate) fn push(&mut self, ms: f64, hold: bool) {
        if self.lead_n > 0 {
            if self.lead_n >= LEAD_WINDOWS {
                self.seg_min = self.seg_min.min(self.lead_min);
            }
            self.lead_n = 0;
            self.lead_min = f64::INFINITY;
        }
        if !ms.is_finite() {
            return;
        }
        self.remember(ms);
        self.seen = self.seen.saturating_add(1);
        if self.recent_n == MEAN && self.seen > self.skip {
            let m = self.mean();
            if hold {
                self.held = self.held.min(m);
            } else {
                self.seg_min = self.seg_min.min(m);
            }
        }
        self.seg_n += 1;
        if self.seg_n >= self.segment {
            self.ring[self.ring_pos] = self.seg_min;
            self.ring_pos = (self.ring_pos + 1) % self.ring.len();
            self.ring_filled = (self.ring_filled + 1).min(self.ring.len());
            self.seg_min = f64::INFINITY;
            self.seg_n = 0;
        }
    }

    /// One window of level `ms` before the first sound. Room tone heard before a programme
    /// starts is where its pauses will sit: once the sound starts, the quietest 10 ms mean of
    /// the quiet just before it (at least [`LEAD_WINDOWS`] windows in a row above digital
    /// silence: a codec's onset is shorter) lowers the first segment's minimum, so it counts
    /// for the first `segments` segments of sound. Neither the windows of sound needed nor the
    /// onset left out count these windows.
    pub(crate) fn lead(&mut self, ms: f64) {
        if !ms.is_finite() || ms < DIGITAL_SILENCE {
            self.recent_n = 0;
            self.recent_pos = 0;
            self.lead_n = 0;
            self.lead_min = f64::INFINITY;
            return;
        }
        self.remember(ms);
        self.lead_n += 1;
        if self.recent_n == MEAN {
            self.lead_min = self.lead_min.min(self.mean());
        }
    }

    /// The held gap is settled: `keep` folds its levels into the floor (it was programme),
    /// otherwise they are dropped (it was a dropout).
    pub(crate) fn release(&mut self, keep: bool) {
        if keep {
            self.seg_min = self.seg_min.min(self.held);
        }
        self.held = f64::INFINITY;
    }

    /// The floor (mean square of the quietest 10 ms of the last few seconds), once enough sound
    /// was heard.
    pub(crate) fn level(&self) -> Option<f64> {
        if self.seen < self.history {
            return None;
        }
        let ring = self.ring[..self.ring_filled]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        Some(ring.min(self.seg_min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_follows_the_quietest_mean_and_skips_dropped_gaps() {
        let mut f = Floor::new(10, 4, 20, 0);
        for _ in 0..19 {
            f.push(1.0, false);
        }
        assert_eq!(f.level(), None);
        f.push(1.0, false);
        assert_eq!(f.level(), Some(1.0));
        // a quiet gap held, then dropped: the floor stays
        for _ in 0..8 {
            f.push(1e-9, true);
        }
        f.release(false);
        assert_eq!(f.level(), Some(1.0));
        // held and kept: it lowers the floor
        for _ in 0..8 {
            f.push(0.01, true);
        }
        f.release(true);
        // (the first running means still hold the end of the dropped gap)
        let l = f.level().unwrap();
        assert!((0.0025..=0.01 + 1e-12).contains(&l), "{l}");
        // forgotten after the ring has turned over
        for _ in 0..60 {
            f.push(1.0, false);
        }
        assert_eq!(f.level(), Some(1.0));
    }

    #[test]
    fn mean_last_averages_the_latest_windows_only() {
        let mut f = Floor::new(10, 4, 20, 0);
        assert_eq!(f.mean_last(2), f64::INFINITY);
        for ms in [8.0, 4.0, 0.0, 2.0, 0.0] {
            f.push(ms, false);
        }
        assert_eq!(f.mean_last(1), 0.0);
        assert_eq!(f.mean_last(2), 1.0);
        assert_eq!(f.mean_last(4), 1.5);
        // at most 10 ms (4 windows)
        assert_eq!(f.mean_last(9), 1.5);
    }
}
