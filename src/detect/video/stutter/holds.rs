//! The holds of `stutter`'s last pictures (how many frames, or base pictures, each was shown)
//! and the stream's regular **cadence** learned from them.
//!
//! A hold of *h* frames is the cadence when the pictures held *h* frames or longer recur
//! regularly and fill the recent history: at least `cadence_min` of them, at least 3 in 4 of
//! the distances between them equal to their median (or to a multiple of it: a repeat the
//! comparison missed; within one picture for medians of 6 pictures or more, as a conversion's
//! rhythm falls with the rounding), at most one
//! missed repeat per repeat found, the pattern spanning at least 3 in 4 of the remembered
//! pictures (24 or more) and reaching the present. A few neighbouring pictures of a slow scene
//! that happen to be held alike are not a cadence: they span a small part of the history.

/// Held pictures remembered for the cadence.
pub(super) const HISTORY: usize = 160;
/// Pictures seen before a cadence can be learned from their holds (a second or so).
const MIN_PICTURES: usize = 24;

/// Holds of the last [`HISTORY`] pictures (a ring buffer).
pub(super) struct Holds {
    holds: [u32; HISTORY],
    n_holds: usize,
    next_hold: usize,
}

impl Holds {
    /// No hold remembered.
    pub(super) fn new() -> Self {
        Holds {
            holds: [0; HISTORY],
            n_holds: 0,
            next_hold: 0,
        }
    }

    /// Forgets every hold: the next one is written from the start of the ring again.
    pub(super) fn clear(&mut self) {
        self.n_holds = 0;
        self.next_hold = 0;
    }

    /// The hold `i` places after the oldest remembered (`i` below the holds remembered).
    fn oldest_plus(&self, i: usize) -> u32 {
        self.holds[(self.next_hold + HISTORY - self.n_holds + i) % HISTORY]
    }

    /// Counts the holds in pictures of `base` frames (at least 1): a picture held 1 to `base`
    /// frames is held once, one held 4 frames twice at a base of 2.
    pub(super) fn rescale(&mut self, base: u32) {
        for h in &mut self.holds {
            *h = (*h / base).max(1);
        }
    }

    /// 3 in 4 of the pictures remembered or more were shown once.
    pub(super) fn mostly_once(&self) -> bool {
        let once = (0..self.n_holds)
            .filter(|&i| self.oldest_plus(i) == 1)
            .count();
        once * 4 >= self.n_holds * 3
    }

    /// Remembers a picture held `h` frames.
    pub(super) fn push(&mut self, h: u32) {
        self.holds[self.next_hold] = h;
        self.next_hold = (self.next_hold + 1) % HISTORY;
        self.n_holds = (self.n_holds + 1).min(HISTORY);
    }

    /// The longest hold that is the stream's regular cadence (1 when there is none), and the
    /// number of frames from the start of one such hold to the next (module doc).
    pub(super) fn cadence(&self, cadence_min: usize) -> (u32, u32) {
        let n = self.n_holds;
        let mut best = (1, 0);
        if n < MIN_PICTURES {
            return best;
        }
        for h in 2..=5u32 {
            // Distances between the pictures held h frames or longer, oldest first.
            let mut gaps = [0u32; HISTORY];
            let mut n_gaps = 0;
            let mut count = 0;
            let mut first: Option<usize> = None;
            let mut last: Option<usize> = None;
            for i in 0..n {
                if self.oldest_plus(i) >= h {
                    count += 1;
                    if let Some(l) = last {
                        gaps[n_gaps] = (i - l) as u32;
                        n_gaps += 1;
                    }
                    first.get_or_insert(i);
                    last = Some(i);
                }
            }
            if count < cadence_min || n_gaps == 0 {
                break;
            }
            let g = &mut gaps[..n_gaps];
            g.sort_unstable();
            let med = g[n_gaps / 2].max(1);
            // A repeat the comparison missed makes a distance of a multiple of the cadence.
            let (mut regular, mut missed) = (0, 0);
            // Short rhythms must be exact (any distance lies within one picture of a multiple
            // of 2 or 3); long ones may fall a picture either way (24 → 25).
            let slack = u32::from(med >= 6);
            for &d in g.iter() {
                let k = ((d as f32 / med as f32).round() as u32).max(1);
                // Every distance beyond one period stands for repeats not seen.
                missed += k as usize - 1;
                if d.abs_diff(k * med) <= slack {
                    regular += 1;
                }
            }
            // The pattern runs from its first picture to its last plus one period, and reaches
            // the present (a cadence of the past is not the stream's now).
            let (first, last) = (first.unwrap_or(0), last.unwrap_or(0));
            let span = last - first + med as usize;
            let current = n - last <= 2 * med as usize + 1;
            if regular * 4 < n_gaps * 3 || missed > count || span * 4 < n * 3 || !current {
                break;
            }
            best = (h, med + h - 1);
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cleared_ring_is_written_from_its_start() {
        let mut h = Holds::new();
        for _ in 0..100 {
            h.push(2);
        }
        h.clear();
        assert_eq!((h.n_holds, h.next_hold), (0, 0));
        // the holds pushed since are the ones read: every picture shown once
        for _ in 0..40 {
            h.push(1);
        }
        assert!(h.mostly_once());
    }

    #[test]
    fn only_the_last_holds_count_for_mostly_once() {
        // a ring that wrapped: the 40 holds remembered are slots 100..140, the rest older
        let wrapped = |remembered: u32, older: u32| {
            let mut holds = [older; HISTORY];
            holds[100..140].fill(remembered);
            Holds {
                holds,
                n_holds: 40,
                next_hold: 140,
            }
        };
        // the 40 remembered were shown once, slots 0..40 held older pictures 2 frames
        assert!(wrapped(1, 2).mostly_once());
        // and the other way round: the 40 remembered were held 2 frames
        assert!(!wrapped(2, 1).mostly_once());
    }
}
