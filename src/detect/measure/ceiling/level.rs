//! The ceiling's level: the loudest sample of the last windows, or, when that sample is one
//! window's overshoot, the next loudest.
//!
//! A lossy codec rings where a clipped passage starts: the first clipped pulse (the sound
//! stepping up to the rail) can decode a few tenths of a dB over every top after it, in one
//! window. The rail is the level the passage keeps reaching, so a single window louder than
//! all others by at most the pile band is taken for such an overshoot, and the ceiling is the
//! second loudest window. A second lossy generation, or a codec band-limiting the sound well
//! under 20 kHz (at 32 kHz), rings further: up to 1.4 dB over the rail (seed 13's 0 dBFS AAC
//! passages coded again as AAC at 32 kHz or at 96 kb/s: 0.5 to 1.0 dB over the next loudest
//! window). A window louder than the others by more than the band, but by no more than a
//! band-limited step can overshoot ([`GIBBS`]), is taken for an overshoot too once a later
//! window has stayed under it: sound getting louder (a crescendo, 1 to 1.4 dB a window at a
//! voice's onset) sets each newest window over the last, which stays its ceiling until then.
//! (A window louder by more than that stays the ceiling: no rail is that far under a codec's
//! overshoot, and nothing piles under it then.)

/// Most a band-limited step overshoots the level it settles at, as a factor (1.43 dB): the
/// Gibbs overshoot, 8.95 % of a step from one rail to the other (twice the rail).
const GIBBS: f32 = 1.179;

/// The two largest of `maxima`, leaving out the `skip`-th, and where the largest is.
fn two_largest(maxima: &[f32], skip: usize) -> (f32, f32, usize) {
    let mut top = (0.0f32, 0.0f32, 0);
    for (i, &m) in maxima.iter().enumerate() {
        if i == skip {
            continue;
        }
        if m > top.0 {
            top = (m, top.0, i);
        } else if m > top.1 {
            top.1 = m;
        }
    }
    top
}

/// The ceiling as two window maxima `(loudest, next)` set it: `next` when `loudest` is within
/// a factor `1 / band` of it (one window's overshoot), or within [`GIBBS`] of it when a later
/// window stayed under it (`settled`), else `loudest`.
fn ceiling_of(loudest: f32, next: f32, band: f32, settled: bool) -> f32 {
    let over = next > 0.0 && (loudest * band <= next || (settled && loudest <= GIBBS * next));
    if over {
        next
    } else {
        loudest
    }
}

/// The ceiling of the windows whose loudest samples are `maxima` (a ring whose newest is the
/// `newest`-th), the ceiling as it was before the newest of them, and the loudest sample (an
/// overshoot's, if any).
pub(super) fn ceilings(maxima: &[f32], newest: usize, band: f32) -> (f32, f32, f32) {
    let len = maxima.len();
    let (b0, b1, at) = two_largest(maxima, newest);
    // Before the newest window, the loudest had settled if a window after it stayed under it.
    let before = ceiling_of(b0, b1, band, at != (newest + len - 1) % len);
    let m = maxima[newest];
    let (now, settled) = if m > b0 {
        ((m, b0), false)
    } else if m > b1 {
        ((b0, m), true)
    } else {
        ((b0, b1), true)
    };
    (ceiling_of(now.0, now.1, band, settled), before, now.0)
}

#[cfg(test)]
mod tests {
    use super::ceilings;

    const BAND: f32 = 0.944_060_9;

    #[test]
    fn an_overshoot_under_gibbs_is_not_the_ceiling_once_a_later_window_stayed_under_it() {
        // 0.8 dB over the rail (0.85) in the window just closed: the ceiling until the next.
        let rail = 0.85;
        let over = rail * 1.096;
        assert_eq!(ceilings(&[rail, rail, over, 0.0], 2, BAND).0, over);
        let (now, before, loudest) = ceilings(&[rail, rail, over, 0.8], 3, BAND);
        assert_eq!((now, before, loudest), (rail, over, over));
        let (now, before, _) = ceilings(&[0.8, rail, over, 0.8], 0, BAND);
        assert_eq!((now, before), (rail, rail));
        // 1.6 dB over it: no overshoot, the ceiling.
        let high = rail * 1.2;
        assert_eq!(ceilings(&[rail, rail, high, 0.8], 3, BAND).0, high);
    }

    #[test]
    fn a_crescendo_sets_its_newest_window_as_the_ceiling() {
        // Each window 1.4 dB over the last: each the ceiling as it closes, and as it was
        // before the next.
        let (now, before, _) = ceilings(&[0.636, 0.75, 0.876, 0.0], 2, BAND);
        assert_eq!((now, before), (0.876, 0.75));
        let (now, before, _) = ceilings(&[0.636, 0.75, 0.876, 0.908], 3, BAND);
        assert_eq!((now, before), (0.876, 0.876));
    }
}
