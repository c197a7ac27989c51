//! Where a rise of the block-edge index began, when the measure reads in phases.
//!
//! In phases ([`super::BlockMeasure::in_phases`]) a picture's index is the sum of its own
//! bands and of the other bands as the last pictures showed them: damage that begins on one
//! picture moves that sum by only its own bands' share, and shows past a threshold a few
//! pictures later. [`RiseOnset`] keeps the last pictures' indices and their own bands' rise
//! against the same bands' last reading, and walks back from the first picture past the
//! threshold over the pictures just before it that rose on their own bands as well, by more
//! than the bands' readings usually swing ([`BAND_SPREAD`] mean absolute deviations: on a
//! picture with little detail the readings of a quarter of it swing by 20–25 % unchanged).

use std::collections::VecDeque;

use super::BlockStats;
use crate::media::MediaTime;

/// Mean absolute deviations of the bands' rise on undamaged pictures that a picture's own
/// bands must rise by to count as the start of a rise.
const BAND_SPREAD: f32 = 3.0;

/// One picture as [`RiseOnset`] keeps it: logarithms of the index on the 8- and 16-pixel
/// grids, and of its own bands' rise on each.
#[derive(Clone, Copy, Debug)]
struct Picture {
    t: MediaTime,
    index: [f32; 2],
    band: [f32; 2],
}

/// The last pictures of one stream, to place the start of a rise of the index.
#[derive(Clone, Debug)]
pub(crate) struct RiseOnset {
    /// Newest last; at most `depth` pictures.
    recent: VecDeque<Picture>,
    depth: usize,
    /// Mean absolute rise of the bands on each grid, learnt from undamaged pictures.
    dev: [f32; 2],
}

impl RiseOnset {
    /// Looks back at most `phases - 1` pictures (the phases of the measure): damage begun
    /// further back already counts whole in the index.
    pub(crate) fn new(phases: usize) -> Self {
        // The picture a rise shows on, and `phases - 1` before it, each with the one before.
        let depth = phases.max(1) + 1;
        RiseOnset {
            recent: VecDeque::with_capacity(depth + 1),
            depth,
            dev: [0.0; 2],
        }
    }

    /// Adds the picture at `t`: its index `now` and its bands' statistics `band` (now, at
    /// their last reading), as [`super::BlockMeasure::band`] gives them.
    pub(crate) fn push(&mut self, t: MediaTime, now: &BlockStats, band: (BlockStats, BlockStats)) {
        let ln = |r: f32| r.max(1e-3).ln();
        // Bands with nothing to read, now or before (the first pictures, a flat picture), read
        // as no rise.
        let read = band.0.activity > 0.0 && band.1.activity > 0.0;
        let rise =
            |now: f32, before: f32| Some(ln(now) - ln(before)).filter(|d| read && d.is_finite());
        if self.recent.len() == self.depth {
            self.recent.pop_front();
        }
        self.recent.push_back(Picture {
            t,
            index: [ln(now.r8), ln(now.r16)],
            band: [
                rise(band.0.r8, band.1.r8).unwrap_or(0.0),
                rise(band.0.r16, band.1.r16).unwrap_or(0.0),
            ],
        });
    }

    /// Learns the usual swing of the bands' readings from the last picture pushed, an undamaged
    /// one, by the share `a` (0–1).
    pub(crate) fn learn(&mut self, a: f32) {
        if let Some(p) = self.recent.back() {
            for g in 0..2 {
                self.dev[g] += a * (p.band[g].abs() - self.dev[g]);
            }
        }
    }

    /// Forgets the pictures and the swing learnt (a discontinuity).
    pub(crate) fn clear(&mut self) {
        self.recent.clear();
        self.dev = [0.0; 2];
    }

    /// The first picture of the rise that first shows at `at` (the last picture pushed): the
    /// earliest of the pictures just before it whose index rose over the picture before it on
    /// a grid where its own bands rose by `min` (logarithm) and by [`BAND_SPREAD`] times their
    /// usual swing against their last reading (whatever the index did on the other grid);
    /// the walk passes pictures whose own bands did not rise while their index held on both
    /// grids, and ends at the first whose index fell on either (itself the start if its own
    /// bands rose so). `at` when none did, or when the pictures kept do not reach `at`; never
    /// at or before `not_before`.
    pub(crate) fn begin(
        &self,
        at: MediaTime,
        min: f32,
        not_before: Option<MediaTime>,
    ) -> MediaTime {
        if self.recent.back().map(|p| p.t) != Some(at) {
            return at;
        }
        let mut start = at;
        let n = self.recent.len();
        for i in (1..n - 1).rev() {
            let (p, q) = (&self.recent[i], &self.recent[i - 1]);
            if not_before.is_some_and(|e| p.t <= e) {
                break;
            }
            // A picture whose own bands rose on a grid, with its index on that grid, begins
            // the rise whatever the other grid's index did meanwhile (damage that shows on
            // the 8-pixel grid alone leaves the 16-pixel index to the content's swing).
            if self.own_rise(p, q, min) {
                start = p.t;
            }
            // Damage stays on screen: the walk goes on past a picture only while its index
            // held on both grids (a picture whose own bands show none of it, read in a phase
            // the damage had not reached, still keeps the index from falling).
            let kept = (0..2).all(|g| p.index[g] >= q.index[g]);
            if !kept {
                break;
            }
        }
        start
    }

    /// Where the rise that the picture at `at` (the last pushed) shows began, if it began on
    /// that picture or just before it: `at` when its own bands rose by `min` (logarithm) and by
    /// [`BAND_SPREAD`] times their usual swing while its index rose over the picture before it
    /// on that grid, or the start [`begin`](Self::begin) finds before it. `None` when no
    /// picture's own bands rose so (the rise crept up in the sum, or spread from pictures
    /// further back), and never at or before `not_before`.
    pub(crate) fn fresh(
        &self,
        at: MediaTime,
        min: f32,
        not_before: Option<MediaTime>,
    ) -> Option<MediaTime> {
        let begun = self.begin(at, min, not_before);
        if begun < at {
            return Some(begun);
        }
        let mut last = self.recent.iter().rev();
        let (p, q) = (last.next()?, last.next()?);
        let own = self.own_rise(p, q, min);
        (p.t == at && own && not_before.is_none_or(|e| e < at)).then_some(at)
    }

    /// Whether picture `p`'s own bands rose on a grid by `min` (logarithm) and by
    /// [`BAND_SPREAD`] times their usual swing while its index rose over `q`'s (the picture
    /// before it) on that grid.
    fn own_rise(&self, p: &Picture, q: &Picture, min: f32) -> bool {
        (0..2).any(|g| p.index[g] > q.index[g] && p.band[g] >= min.max(BAND_SPREAD * self.dev[g]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(r: f32) -> BlockStats {
        BlockStats {
            ratio: r,
            r8: r,
            r16: 1.0,
            share: 0.0,
            activity: 1.0,
        }
    }

    fn at(i: u32) -> MediaTime {
        MediaTime::from_secs_f64(i as f64 * 0.1)
    }

    /// Pictures 0..6: index (combined) and own-band rise on the 8 grid as given.
    fn onset(index: &[f32], band: &[f32]) -> RiseOnset {
        let mut o = RiseOnset::new(4);
        for (i, (&r, &b)) in index.iter().zip(band).enumerate() {
            o.push(at(i as u32), &stats(r), (stats(b), stats(1.0)));
        }
        o
    }

    #[test]
    fn walks_back_over_pictures_whose_own_bands_rose() {
        // Damage begins on picture 3 (its bands 1.12×), shows past the threshold on 5.
        let o = onset(
            &[1.03, 1.04, 1.03, 1.06, 1.09, 1.12],
            &[1.0, 1.0, 0.97, 1.12, 1.11, 1.13],
        );
        assert_eq!(o.begin(at(5), 0.066, None), at(3));
        // Not before the end of the last interval.
        assert_eq!(o.begin(at(5), 0.066, Some(at(3))), at(4));
    }

    #[test]
    fn a_picture_whose_own_bands_rose_begins_the_rise_though_the_other_grid_fell() {
        let s = |r8: f32, r16: f32| BlockStats {
            ratio: r8,
            r8,
            r16,
            share: 0.0,
            activity: 1.0,
        };
        // Damage begins on picture 3 (its bands 1.12× on the 8-pixel grid) while the
        // 16-pixel index dips; it shows past the threshold on 4.
        let pics = [
            (1.03, 1.0, 1.0),
            (1.03, 1.0, 1.0),
            (1.03, 1.01, 1.0),
            (1.06, 0.99, 1.12),
            (1.1, 1.0, 1.12),
        ];
        let mut o = RiseOnset::new(4);
        for (i, &(r8, r16, b)) in pics.iter().enumerate() {
            o.push(at(i as u32), &s(r8, r16), (s(b, 1.0), s(1.0, 1.0)));
        }
        assert_eq!(o.begin(at(4), 0.066, None), at(3));
    }

    #[test]
    fn walks_back_over_pictures_whose_bands_the_damage_had_not_reached() {
        // Damage begins on picture 2 (its bands 1.25×); picture 3 reads bands it has not
        // reached (no rise of its own) while the index holds; it shows on 5.
        let o = onset(
            &[1.03, 1.03, 1.08, 1.09, 1.12, 1.16],
            &[1.0, 1.0, 1.25, 1.0, 1.13, 1.2],
        );
        assert_eq!(o.begin(at(5), 0.066, None), at(2));
    }

    #[test]
    fn stays_where_the_bands_swing_as_much_unchanged() {
        let mut o = RiseOnset::new(4);
        // Undamaged pictures whose bands' readings swing by ±10 %.
        for i in 0..40 {
            let b = if i % 2 == 0 { 1.1 } else { 0.9 };
            o.push(at(i), &stats(1.03), (stats(b), stats(1.0)));
            o.learn(0.1);
        }
        for (i, (r, b)) in [(1.04, 1.12), (1.06, 1.12), (1.09, 1.2)]
            .into_iter()
            .enumerate()
        {
            o.push(at(40 + i as u32), &stats(r), (stats(b), stats(1.0)));
        }
        // A rise of 12 % is within three swings: the start stays.
        assert_eq!(o.begin(at(42), 0.066, None), at(42));
    }

    #[test]
    fn fresh_only_where_a_picture_s_own_bands_rose() {
        // Damage begun on picture 3: found before the picture asked about.
        let o = onset(
            &[1.03, 1.04, 1.03, 1.06, 1.09, 1.12],
            &[1.0, 1.0, 0.97, 1.12, 1.11, 1.13],
        );
        assert_eq!(o.fresh(at(5), 0.066, None), Some(at(3)));
        // On the picture asked about alone.
        let o = onset(
            &[1.03, 1.03, 1.03, 1.03, 1.03, 1.1],
            &[1.0, 1.0, 1.0, 1.0, 1.0, 1.2],
        );
        assert_eq!(o.fresh(at(5), 0.066, None), Some(at(5)));
        assert_eq!(o.fresh(at(5), 0.066, Some(at(5))), None);
        // The index crept up, no picture's own bands rose.
        let o = onset(
            &[1.03, 1.04, 1.05, 1.06, 1.07, 1.08],
            &[1.0, 1.0, 1.02, 1.03, 1.02, 1.03],
        );
        assert_eq!(o.fresh(at(5), 0.066, None), None);
    }

    #[test]
    fn stays_where_the_bands_did_not_rise() {
        // The index crept up, but no picture's own bands rose: noise of the sum.
        let o = onset(
            &[1.03, 1.04, 1.05, 1.06, 1.07, 1.12],
            &[1.0, 1.0, 1.02, 1.03, 1.02, 1.2],
        );
        assert_eq!(o.begin(at(5), 0.066, None), at(5));
        // A picture whose bands rose while the index fell ends the walk too.
        let o = onset(
            &[1.03, 1.04, 1.06, 1.05, 1.09, 1.12],
            &[1.0, 1.0, 1.1, 1.1, 1.1, 1.2],
        );
        assert_eq!(o.begin(at(5), 0.066, None), at(4));
        // Asked about a picture that is not the last one pushed.
        assert_eq!(o.begin(at(9), 0.066, None), at(9));
    }

    #[test]
    fn bands_with_nothing_read_before_are_no_rise() {
        // The first readings of a stream (nothing measured before: ratio 0/0) and a flat
        // picture read as no rise, and do not count in the usual swing.
        let mut o = RiseOnset::new(4);
        let empty = BlockStats {
            r8: f32::NAN,
            r16: f32::NAN,
            ..Default::default()
        };
        for i in 0..3 {
            o.push(at(i), &stats(1.03), (stats(1.03), empty));
            o.learn(0.5);
        }
        assert_eq!(o.dev, [0.0; 2]);
        for (i, (r, b)) in [(1.04, 1.12), (1.06, 1.12), (1.09, 1.2)]
            .into_iter()
            .enumerate()
        {
            o.push(at(3 + i as u32), &stats(r), (stats(b), stats(1.0)));
        }
        assert_eq!(o.begin(at(5), 0.066, None), at(3));
    }
}
