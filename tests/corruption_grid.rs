//! `corruption`: a few wrong blocks pasted on the block grid of a smooth area (HEVC bit flips
//! the decoder never reports: ghosts and grey squares predicted from wrong blocks) while the
//! rest of the picture is busy texture: the blockiness index of the whole picture barely
//! moves, but the blocks are bounded by sharp steps on the grid and not half-way between its
//! lines.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, W};

/// Whether (x, y) lies in one of 3 blocks of 16×16 whose corners sit `off` pixels right of and
/// below grid points of the left half.
fn in_block(x: usize, y: usize, off: usize) -> bool {
    (0..3).any(|k| {
        let (bx, by) = (32 + 48 * k + off, 64 + off);
        (bx..bx + 16).contains(&x) && (by..by + 16).contains(&y)
    })
}

/// 6 s of a smooth ramp, slowly moving, on the left half and noise (0–59 over 100) on the right; from 3 s to 5 s the
/// blocks (see [`in_block`]) are 40 code values brighter.
fn pasted(off: usize) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| {
        frame(i, |x, y| {
            if x >= W / 2 {
                let h = (x * 7919 + y * 104_729 + i * 31).wrapping_mul(2_654_435_761) >> 16;
                return 100 + (h % 60) as u8;
            }
            let v = (60 + x / 4 + y / 4 + (i / 5) % 3) as u8;
            if (75..125).contains(&i) && in_block(x, y, off) {
                v.saturating_add(40)
            } else {
                v
            }
        })
    })
}

/// `corruption` with the grid-steps rule on (the default) or off.
fn grid_steps(on: bool) -> CorruptionConfig {
    CorruptionConfig {
        grid_steps: on,
        ..CorruptionConfig::default()
    }
}

#[test]
fn wrong_blocks_on_the_grid_are_damage() {
    let found = corruption_intervals(&CorruptionConfig::default(), pasted(0));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() <= 0.2 && (e - 5.0).abs() <= 0.2, "{s}..{e}");
    // Without the rule the block-edge measure alone does not see them.
    let found = corruption_intervals(&grid_steps(false), pasted(0));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_same_edges_off_the_grid_are_not() {
    // Natural edges fall on the grid and between its lines alike.
    let found = corruption_intervals(&grid_steps(true), pasted(4));
    assert!(found.is_empty(), "{found:?}");
}
