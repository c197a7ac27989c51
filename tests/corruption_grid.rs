//! `corruption`: wrong blocks pasted on the block grid of a smooth picture (HEVC bit flips the
//! decoder never reports: ghosts and grey squares predicted from wrong blocks), their edges
//! too sharp for the blockiness index (it leaves graphic edges out) but bounded by sharp steps
//! on the grid and not half-way between its lines.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth};

/// Whether (x, y) lies in one of 12 blocks of 16×16 whose corners sit `off` pixels right of and
/// below grid points.
fn in_block(x: usize, y: usize, off: usize) -> bool {
    (0..12).any(|k| {
        let (bx, by) = (32 + 48 * (k % 6) + off, 40 + 64 * (k / 6) + off);
        (bx..bx + 16).contains(&x) && (by..by + 16).contains(&y)
    })
}

/// 6 s of `smooth`; from 3 s to 5 s the blocks (see [`in_block`]) are 70 code values brighter.
fn pasted(off: usize) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| {
        frame(i, |x, y| {
            let v = smooth(x, y, i);
            if (75..125).contains(&i) && in_block(x, y, off) {
                v.saturating_add(70)
            } else {
                v
            }
        })
    })
}

#[test]
fn wrong_blocks_on_the_grid_are_damage() {
    let found = corruption_intervals(&CorruptionConfig::default(), pasted(0));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() <= 0.2 && (e - 5.0).abs() <= 0.2, "{s}..{e}");
}

#[test]
fn the_same_edges_off_the_grid_are_not() {
    // Natural edges fall on the grid and between its lines alike.
    let found = corruption_intervals(&CorruptionConfig::default(), pasted(4));
    assert!(found.is_empty(), "{found:?}");
}
