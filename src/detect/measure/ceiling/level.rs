//! The ceiling's level: the loudest sample of the last windows, or, when that sample is one
//! window's overshoot, the next loudest.
//!
//! A lossy codec rings where a clipped passage starts: the first clipped pulse (the sound
//! stepping up to the rail) can decode a few tenths of a dB over every top after it, in one
//! window. The rail is the level the passage keeps reaching, so a single window louder than
//! all others by at most the pile band is taken for such an overshoot, and the ceiling is the
//! second loudest window. (A window louder by more than the band stays the ceiling: no rail
//! is that far under a codec's overshoot, and nothing piles under it then.)

/// The two largest of `maxima`, leaving out the `skip`-th.
fn two_largest(maxima: &[f32], skip: usize) -> (f32, f32) {
    let mut top = (0.0f32, 0.0f32);
    for (i, &m) in maxima.iter().enumerate() {
        if i == skip {
            continue;
        }
        if m > top.0 {
            top = (m, top.0);
        } else if m > top.1 {
            top.1 = m;
        }
    }
    top
}

/// The ceiling as two window maxima `(loudest, next)` set it: `next` when `loudest` is within
/// a factor `1 / band` of it (one window's overshoot), else `loudest`.
fn ceiling_of((loudest, next): (f32, f32), band: f32) -> f32 {
    if next > 0.0 && loudest * band <= next {
        next
    } else {
        loudest
    }
}

/// The ceiling of the windows whose loudest samples are `maxima`, the ceiling as it was
/// before the `newest` of them, and the loudest sample (an overshoot's, if any).
pub(super) fn ceilings(maxima: &[f32], newest: usize, band: f32) -> (f32, f32, f32) {
    let before = two_largest(maxima, newest);
    let m = maxima[newest];
    let now = if m > before.0 {
        (m, before.0)
    } else if m > before.1 {
        (before.0, m)
    } else {
        before
    };
    (ceiling_of(now, band), ceiling_of(before, band), now.0)
}
