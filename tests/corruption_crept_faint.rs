//! `corruption`: a faint rise that crept over its threshold (the stream's own index drifting
//! up, no picture's bands jumping) long before damage does not carry the damage's start back
//! to it; a faint rise that began at once (the damage's first, faint showing) does.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth, W};

/// Picture `i`: still noise on the right half whose every other 16×16 block is `lift(i)` code
/// values brighter (dithered: a rise on the 16-pixel grid by a fraction of a code value at a
/// time); on the left half `smooth`, flattened to 16×16 blocks (steps on both grids) from 3 s
/// to 5 s.
fn picture(i: usize, lift: impl Fn(usize) -> f64) -> Media {
    let l = lift(i);
    frame(i, |x, y| {
        if x >= W / 2 {
            let h = (x * 7919 + y * 104_729).wrapping_mul(2_654_435_761) >> 16;
            let on = (x / 16 + y / 16) % 2 == 0;
            let u = ((x * 31 + y * 17) % 64) as f64 / 64.0;
            return 100 + (h % 60) as u8 + if on { (l + u) as u8 } else { 0 };
        }
        if (75..125).contains(&i) {
            let v = smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i) as i32;
            ((v / 6) * 6) as u8
        } else {
            smooth(x, y, i)
        }
    })
}

/// The intervals found over 6 s of [`picture`].
fn found(lift: impl Fn(usize) -> f64 + Copy) -> Vec<(f64, f64)> {
    let frames = (0..150).map(move |i| picture(i, lift));
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn a_faint_rise_that_crept_in_long_before_is_not_the_damage() {
    // The lift creeps up by a sixth of a code value a picture from 1.6 s to 2.56 s, and holds.
    let got = found(|i| (i.saturating_sub(40) as f64 / 6.0).min(4.0));
    assert_eq!(got.len(), 1, "{got:?}");
    let (s, e) = got[0];
    // The damage shows at 3 s (up to `band_phases - 1` pictures earlier).
    assert!((2.88..=3.04).contains(&s) && e > 4.9, "{s}..{e}");
}

#[test]
fn a_faint_rise_that_began_at_once_is_the_damage_showing() {
    // The same lift, at once at 2.6 s.
    let got = found(|i| if i >= 65 { 4.0 } else { 0.0 });
    assert_eq!(got.len(), 1, "{got:?}");
    let (s, e) = got[0];
    assert!((2.48..=2.64).contains(&s) && e > 4.9, "{s}..{e}");
}
