//! The sums one block-edge measurement adds up per tile, and how the tiles' means moved
//! between two readings of the same rows.

use super::{BlockStats, FLOOR};

/// How much the low-frequency content of the bands a picture measured moved since they were
/// last measured: per tile, the mean luma of the rows read.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Moved {
    /// Share (0–1) of the tiles read both times whose mean moved by more than
    /// [`MOVED_STEP`] code values.
    pub(crate) share: f32,
    /// Mean absolute change of the tiles' means (code values).
    pub(crate) mean: f32,
    /// Tiles read both times.
    pub(crate) tiles: u32,
    /// Largest absolute change of a tile's mean (code values).
    pub(crate) max: f32,
}

/// A tile's mean that moves by more than this (code values) between two readings of the
/// same rows has changed content.
pub(crate) const MOVED_STEP: f32 = 12.0;

impl Moved {
    /// Between the tiles' sums `now` and `before` (of the same rows).
    pub(super) fn between(now: &[Sums], before: &[Sums]) -> Moved {
        let (mut moved, mut sum, mut n, mut max) = (0u32, 0.0f32, 0u32, 0.0f32);
        for (a, b) in now.iter().zip(before) {
            if a.lumas == 0.0 || b.lumas == 0.0 {
                continue;
            }
            let d = (a.luma / a.lumas - b.luma / b.lumas).abs();
            n += 1;
            sum += d;
            max = max.max(d);
            moved += u32::from(d > MOVED_STEP);
        }
        let k = n.max(1) as f32;
        Moved {
            share: moved as f32 / k,
            mean: sum / k,
            tiles: n,
            max,
        }
    }
}

/// The sums one measurement adds up.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Sums {
    pub(super) on8: f32,
    pub(super) off8: f32,
    pub(super) on16: f32,
    pub(super) off16: f32,
    pub(super) samples: f32,
    pub(super) blocky8: f32,
    pub(super) blocks8: f32,
    pub(super) blocky16: f32,
    pub(super) blocks16: f32,
    /// Sum of the luma samples read for the tiles' means, and how many.
    pub(super) luma: f32,
    pub(super) lumas: f32,
}

impl Sums {
    pub(super) fn plus(&self, o: &Sums) -> Sums {
        Sums {
            on8: self.on8 + o.on8,
            off8: self.off8 + o.off8,
            on16: self.on16 + o.on16,
            off16: self.off16 + o.off16,
            samples: self.samples + o.samples,
            blocky8: self.blocky8 + o.blocky8,
            blocks8: self.blocks8 + o.blocks8,
            blocky16: self.blocky16 + o.blocky16,
            blocks16: self.blocks16 + o.blocks16,
            luma: self.luma + o.luma,
            lumas: self.lumas + o.lumas,
        }
    }

    pub(super) fn stats(&self) -> BlockStats {
        let floor = FLOOR * self.samples;
        let r8 = (self.on8 + floor) / (self.off8 + floor);
        let r16 = (self.on16 + floor * 0.5) / (self.off16 + floor * 0.5);
        let share8 = self.blocky8 / self.blocks8.max(1.0);
        let share16 = self.blocky16 / self.blocks16.max(1.0);
        BlockStats {
            ratio: r8.max(r16),
            r8,
            r16,
            share: if r16 > r8 { share16 } else { share8 },
            activity: (self.on8 + self.off8) / self.samples.max(1.0),
        }
    }
}
