//! The shape of one half-wave's top, from its loud samples and their bends: how flat it is
//! (`flatness`), how sharply it bends near its peak (`knee`) and how much more at its shoulders
//! than at its apex (`shoulder`). A rail cuts broad tops with cornered shoulders into a wave; a
//! codec rounds them but keeps the corners as sharp bends, while an unclipped top, pointed or
//! round, bends most at its apex.

use super::{Piles, TIGHT};

impl Piles {
    /// Flatness of a half-wave peaking at `peak` whose samples at or above half of it are
    /// `loud`: the share of those at or above 0.9 of the peak. A sine's half-wave gives 0.43
    /// (`acos 0.9 / acos 0.5`), a hard-clipped one more the harder it is clipped (0.7 at 3 dB
    /// over the ceiling), a clipped one decoded after a lossy codec a little less.
    /// Also returns the width of the half-wave: its samples at or above half the peak.
    pub(crate) fn flatness(loud: &[f32], peak: f32) -> (f32, u32) {
        let (mut hi, mut half) = (0u32, 0u32);
        for &a in loud {
            hi += u32::from(a >= 0.9 * peak);
            half += u32::from(a >= 0.5 * peak);
        }
        if half == 0 {
            (0.0, 0)
        } else {
            (hi as f32 / half as f32, half)
        }
    }

    /// Knee of a half-wave peaking at `peak` whose loud samples are `loud`, with their
    /// `bends`: the sharpest bend (`|x|`'s second difference) among the samples at or over
    /// 0.8 of the peak, as a share of the peak. A rail cuts a corner into a top, which a codec
    /// keeps as a sharp bend at its shoulders; a smooth top bends gently (see `rise`).
    pub(crate) fn knee(loud: &[f32], bends: &[f32], peak: f32) -> f32 {
        let sharpest = loud
            .iter()
            .zip(bends)
            .filter(|&(&a, _)| a >= 0.8 * peak)
            .fold(0.0f32, |m, (_, &b)| m.max(b));
        if peak > 0.0 {
            sharpest / peak
        } else {
            0.0
        }
    }

    /// Shoulder of a half-wave peaking at `peak` whose loud samples are `loud`, with their
    /// `bends`: how much more its sharpest bend among the samples at or over 0.8 of the peak
    /// more than one sample from its apex is than the apex's own bend, as a share of the peak.
    /// The apex is the flattest of the samples within [`TIGHT`] (0.1 dB) of the peak (the
    /// first of them, and the nearest to their middle, when several bend as little): a codec
    /// leaves ripple on a rail, and the tallest sample of a rippled top is the tip of a ripple,
    /// bending as sharply as the top's shoulders, while an unclipped top bends most at its
    /// tallest samples however they are sampled.
    pub(crate) fn shoulder(loud: &[f32], bends: &[f32], peak: f32) -> f32 {
        let near = |i: usize| loud.get(i).is_some_and(|&a| a * TIGHT >= peak);
        let first = (0..loud.len()).find(|&i| near(i));
        let last = (0..loud.len()).rev().find(|&i| near(i));
        let (Some(first), Some(last)) = (first, last) else {
            return 0.0;
        };
        let middle = (first + last) / 2;
        let apex = (first..=last)
            .filter(|&i| near(i))
            .min_by(|&i, &j| {
                let by_bend = bends[i].total_cmp(&bends[j]);
                by_bend.then(i.abs_diff(middle).cmp(&j.abs_diff(middle)))
            })
            .unwrap_or(middle);
        let side = loud
            .iter()
            .zip(bends)
            .enumerate()
            .filter(|&(i, (&a, _))| a >= 0.8 * peak && i.abs_diff(apex) > 1)
            .fold(0.0f32, |m, (_, (_, &b))| m.max(b));
        match bends.get(apex) {
            Some(&at) if peak > 0.0 => (side - at) / peak,
            _ => 0.0,
        }
    }
}
