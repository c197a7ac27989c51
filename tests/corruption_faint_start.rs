//! `corruption`: damage that the blockiness index shows faint from its first picture, and that
//! only sharp steps on the block grid confirm later (an HEVC bit flip whose wrong blocks spread
//! by prediction): the episode starts where the index first rose faintly.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, W};

/// Whether (x, y) lies in one of 3 blocks of 16×16 on points of the 8-pixel grid half-way
/// between those of the 16-pixel one, in the left half.
fn in_block(x: usize, y: usize) -> bool {
    (0..3).any(|k| {
        let (bx, by) = (40 + 48 * k, 72);
        (bx..bx + 16).contains(&x) && (by..by + 16).contains(&y)
    })
}

/// 6 s of a smooth ramp on the left half and noise on the right. From 2.4 s to 3.36 s every
/// other 16×16 block of the noise is `faint` code values brighter (a faint rise on the
/// 16-pixel grid); from 3 s to 5 s three blocks of the ramp are `paste` code values brighter
/// (sharp steps on the 8-pixel grid, half-way between the lines of the 16-pixel one).
fn damaged(faint: u8, paste: u8) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| {
        frame(i, |x, y| {
            if x >= W / 2 {
                let h = (x * 7919 + y * 104_729 + i * 31).wrapping_mul(2_654_435_761) >> 16;
                let lift = if (60..84).contains(&i) && (x / 16 + y / 16) % 2 == 0 {
                    faint
                } else {
                    0
                };
                return 100 + (h % 60) as u8 + lift;
            }
            let v = (60 + x / 4 + y / 4 + (i / 5) % 3) as u8;
            if (75..125).contains(&i) && in_block(x, y) {
                v.saturating_add(paste)
            } else {
                v
            }
        })
    })
}

#[test]
fn an_episode_confirmed_by_grid_steps_starts_where_the_index_rose_faintly() {
    let found = corruption_intervals(&CorruptionConfig::default(), damaged(4, 40));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    // The faint run began at 2.4 s (up to `band_phases - 1` pictures earlier); it ended
    // before the grid steps, begun at 3 s, were confirmed.
    assert!(
        (2.28..=2.48).contains(&s) && (e - 5.0).abs() <= 0.2,
        "{s}..{e}"
    );
}

#[test]
fn without_a_faint_rise_it_starts_with_the_grid_steps() {
    let found = corruption_intervals(&CorruptionConfig::default(), damaged(0, 40));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!(
        (s - 3.0).abs() <= 0.08 && (e - 5.0).abs() <= 0.2,
        "{s}..{e}"
    );
}
