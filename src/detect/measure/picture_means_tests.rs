//! Tests of `freeze`'s means of its pictures: in quarters they give what `f32` means give; the
//! origin is kept apart.

use super::*;
use crate::media::{MediaTime, PixelFormat};

fn picture(w: usize, h: usize, seed: u64) -> VideoFrame {
    VideoFrame::from_fn(w, h, PixelFormat::Gray8, MediaTime::ZERO, |_, x, y| {
        let v = (x as u64 * 7919 + y as u64 * 104_729 + seed * 1_000_003) ^ (x as u64 * y as u64);
        // Mostly a smooth picture with some noise, so block differences stay small and varied.
        ((v % 23) as u8).wrapping_add((x / 3 + y / 5) as u8)
    })
}

/// Everything `freeze` reads of a sequence of pictures: per picture the block differences to
/// the previous one and to an anchor (the first picture) and the contrast, as bits.
fn run(means: &mut PictureMeans, grid: &CellGrid, pictures: &[VideoFrame]) -> Vec<Vec<u32>> {
    let (mut mad, mut dc, mut acc) = (Vec::new(), Vec::new(), GridScratch::default());
    let mut out = Vec::new();
    for (i, f) in pictures.iter().enumerate() {
        means.measure(f, grid);
        let mut seen = vec![means.contrast().to_bits()];
        if i > 0 {
            means.diff_prev(grid, &mut mad, &mut acc);
            seen.extend(mad.iter().map(|v| v.to_bits()));
        }
        if i > 1 {
            means.diff_held(Held::Anchor, grid, &mut mad, &mut dc, &mut acc);
            seen.extend(mad.iter().chain(&dc).map(|v| v.to_bits()));
        }
        out.push(seen);
        if i == 1 {
            means.prev_to_anchor();
        }
        means.cur_to_prev();
    }
    out
}

#[test]
fn quarters_give_the_same_differences_and_contrast_as_f32_means() {
    // Whole and partial cells and blocks (odd sizes), blocks of 4 and of other sizes.
    for (w, h, cell, step, block) in [
        (64, 48, 4, 2, 4),
        (61, 37, 4, 2, 4),
        (130, 67, 4, 2, 3),
        (96, 64, 8, 4, 2),
        (45, 29, 5, 3, 4),
    ] {
        let grid = CellGrid::new(w, h, cell, step, block);
        assert!(grid.in_quarters(), "{w}x{h} {cell}/{step}");
        let pictures: Vec<VideoFrame> = (0..5).map(|k| picture(w, h, k)).collect();
        let mut quarters = PictureMeans::default();
        quarters.fit(&grid);
        assert!(matches!(quarters, PictureMeans::Quarters(_)));
        let mut plain = PictureMeans::Plain(Three::default());
        let want = run(&mut plain, &grid, &pictures);
        assert!(want[1][1..].iter().any(|&b| f32::from_bits(b) > 0.0));
        assert_eq!(
            run(&mut quarters, &grid, &pictures),
            want,
            "{w}x{h} {cell}/{step}"
        );
    }
}

#[test]
fn grids_with_more_samples_a_cell_keep_f32_means() {
    let grid = CellGrid::new(64, 48, 8, 2, 2);
    assert!(!grid.in_quarters());
    let mut means = PictureMeans::default();
    means.fit(&CellGrid::new(64, 48, 4, 2, 4));
    means.fit(&grid);
    assert!(matches!(means, PictureMeans::Plain(_)));
}

#[test]
fn the_origin_is_a_copy_kept_apart_from_the_anchor() {
    // the origin taken from the previous picture, and from the anchor, compares as they do
    let grid = CellGrid::new(64, 48, 4, 2, 4);
    let pictures: Vec<VideoFrame> = (0..3).map(|k| picture(64, 48, k)).collect();
    let (mut mad, mut dc, mut acc) = (Vec::new(), Vec::new(), GridScratch::default());
    let (mut want, mut want_dc) = (Vec::new(), Vec::new());
    let mut means = PictureMeans::default();
    means.fit(&grid);
    means.measure(&pictures[0], &grid);
    means.cur_to_prev();
    means.prev_to_anchor();
    means.measure(&pictures[1], &grid);
    means.cur_to_prev();
    means.prev_to_origin();
    means.measure(&pictures[2], &grid);
    // the origin is picture 1, still the previous picture
    means.diff_prev(&grid, &mut want, &mut acc);
    means.diff_held(Held::Origin, &grid, &mut mad, &mut dc, &mut acc);
    assert_eq!(mad, want);
    assert!(want.iter().any(|&v| v > 0.0));
    // from the anchor: picture 0
    means.diff_held(Held::Anchor, &grid, &mut want, &mut want_dc, &mut acc);
    means.anchor_to_origin();
    means.diff_held(Held::Origin, &grid, &mut mad, &mut dc, &mut acc);
    assert_eq!((&mad, &dc), (&want, &want_dc));
}
