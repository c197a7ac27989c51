//! `corruption`: damage too faint to pass the thresholds on any picture, but risen on both the
//! 8- and the 16-pixel grid on every picture for a while (HEVC bit flips smeared by
//! prediction, on screen until the next key frame).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth, W};

/// `smooth` flattened to 16x16 blocks left of `a` (steps on both grids) and to 8x8 blocks
/// from the middle over `b` pixels (steps on the 8-pixel grid only).
fn blocky(x: usize, y: usize, i: usize, a: usize, b: usize) -> u8 {
    if x < a {
        smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i)
    } else if (W / 2..W / 2 + b).contains(&x) {
        smooth(x / 8 * 8 + 4, y / 8 * 8 + 4, i)
    } else {
        smooth(x, y, i)
    }
}

/// `video_corruption` intervals (start, end) over `frames`, every picture measured whole
/// (`band_phases` 1: a picture's verdict is its own, not shared with the pictures after it).
fn intervals(frames: impl Iterator<Item = Media>) -> Vec<(f64, f64)> {
    let cfg = CorruptionConfig {
        band_phases: 1,
        ..Default::default()
    };
    corruption_intervals(&cfg, frames)
}

/// Pictures 75..75 + n damaged faintly (see [`blocky`]).
fn faint(n: usize, a: usize, b: usize) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| {
        if (75..75 + n).contains(&i) {
            frame(i, |x, y| blocky(x, y, i, a, b))
        } else {
            frame(i, |x, y| smooth(x, y, i))
        }
    })
}

#[test]
fn a_faint_rise_on_both_grids_that_lasts_is_damage() {
    // 1 s of pictures risen on both grids, none past the thresholds: one interval over them.
    let found = intervals(faint(25, 24, 16));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.05 && (e - 4.0).abs() < 0.05, "{s}..{e}");
}

#[test]
fn a_faint_rise_on_both_grids_that_passes_is_not_damage() {
    // The same for 0.4 s: the swing of clean coding, nothing.
    let found = intervals(faint(10, 24, 16));
    assert!(found.is_empty(), "{found:?}");
}
