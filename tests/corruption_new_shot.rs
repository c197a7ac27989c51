//! `corruption` at a cut: a new shot coded coarser than the last one steps on the 8-pixel grid
//! of its transform blocks; that is its coding, not damage. Damage at a cut (steps on the
//! 16-pixel grid of macroblocks as well) is still damage.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth, H, W};

/// A detailed still (no grid of its own).
fn detail(x: usize, y: usize) -> f64 {
    let (x, y) = (x as f64, y as f64);
    128.0 + 50.0 * (x / 3.1 + y / 5.3).sin() + 40.0 * (y / 2.7 - x / 7.1).cos()
}

/// [`detail`] coded in square blocks of `n` pixels: each block keeps its mean and a fifth of
/// its detail, so the blocks step against each other.
fn coded(x: usize, y: usize, n: usize) -> u8 {
    let (bx, by) = (x / n * n, y / n * n);
    let mut mean = 0.0;
    for j in 0..n {
        for i in 0..n {
            mean += detail(bx + i, by + j);
        }
    }
    mean /= (n * n) as f64;
    (mean + 0.2 * (detail(x, y) - mean))
        .round()
        .clamp(0.0, 255.0) as u8
}

/// The still [`coded`] in blocks of `n` pixels, row by row.
fn still(n: usize) -> Vec<u8> {
    (0..H)
        .flat_map(|y| (0..W).map(move |x| coded(x, y, n)))
        .collect()
}

/// `video_corruption` intervals (start, end) found in `frames` (default configuration: one
/// band in four read per picture).
fn intervals(frames: impl Iterator<Item = Media>) -> Vec<(f64, f64)> {
    corruption_intervals(&CorruptionConfig::default(), frames)
}

/// 3 s of a natural-looking moving picture, then a cut to the still coded in blocks of `n`
/// pixels, held 3 s (a slideshow).
fn cut_to_still(n: usize) -> Vec<(f64, f64)> {
    let still = still(n);
    intervals((0..150).map(|i| {
        if i < 75 {
            frame(i, |x, y| smooth(x, y, i))
        } else {
            frame(i, |x, y| still[y * W + x])
        }
    }))
}

#[test]
fn a_cut_to_a_still_coded_in_coarser_8x8_blocks_is_not_corruption() {
    let found = cut_to_still(8);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_cut_to_a_picture_in_16x16_blocks_is_still_corruption() {
    // The new shot moves (brightens by 0.7 code values a picture): held, it would bring no
    // new evidence (see `corruption_still`).
    let still = still(16);
    let found = intervals((0..150).map(|i| {
        if i < 75 {
            frame(i, |x, y| smooth(x, y, i))
        } else {
            let lift = ((i - 75) as f64 * 0.7) as u8;
            frame(i, |x, y| still[y * W + x].saturating_add(lift))
        }
    }));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!((found[0].0 - 3.0).abs() < 0.1, "{found:?}");
}

/// Pixel noise of amplitude `n` (a detailed texture: steps everywhere, on no grid).
fn noise(x: usize, y: usize, i: usize, n: f64) -> f64 {
    let h = (x * 7919 + y * 104_729 + i * 31).wrapping_mul(2_654_435_761) % 1000;
    n * (h as f64 / 500.0 - 1.0)
}

/// A plainer still than the first shot: [`detail`] over a slope across the picture (other
/// low-frequency content: another picture), coded in 8×8 blocks as [`coded`] does.
fn plainer(x: usize, y: usize) -> u8 {
    let v = |x: usize, y: usize| 40.0 + 0.5 * x as f64 + 0.5 * (detail(x, y) - 128.0);
    let (bx, by) = (x / 8 * 8, y / 8 * 8);
    let mean = (0..64).map(|i| v(bx + i % 8, by + i / 8)).sum::<f64>() / 64.0;
    (mean + 0.2 * (v(x, y) - mean)).round().clamp(0.0, 255.0) as u8
}

/// 3 s of a detailed texture (pixel noise of amplitude `n` over a slope down the picture,
/// changing on each picture), then a cut to [`plainer`], held 3 s.
fn cut_to_plainer(n: f64) -> Vec<(f64, f64)> {
    let still: Vec<u8> = (0..H)
        .flat_map(|y| (0..W).map(move |x| plainer(x, y)))
        .collect();
    intervals((0..150).map(|i| {
        if i < 75 {
            frame(i, |x, y| (200.0 - 0.5 * y as f64 + noise(x, y, i, n)) as u8)
        } else {
            frame(i, |x, y| still[y * W + x])
        }
    }))
}

#[test]
fn a_cut_to_a_plainer_still_coded_coarser_is_not_corruption() {
    // The still's steps are 2–3× fewer than the last shot's (not the 3× of a cut by detail
    // alone), but the picture is another: its blocks' means moved everywhere.
    for n in [12.0, 14.0] {
        let found = cut_to_plainer(n);
        assert!(found.is_empty(), "{n}: {found:?}");
    }
}

#[test]
fn a_cut_to_another_still_of_about_the_same_detail_coded_coarser_is_not_corruption() {
    // The first shot's noise is stronger: the shots' steps differ less than 2× by the bands'
    // activity, so only the tiles' means show the new picture.
    for n in [20.0, 24.0] {
        let found = cut_to_plainer(n);
        assert!(found.is_empty(), "{n}: {found:?}");
    }
}
