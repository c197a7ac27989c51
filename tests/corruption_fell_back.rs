//! `corruption`'s content episodes that rose on the 16-pixel grid end when that grid falls
//! back: the 8-pixel grid alone (an encoder's transform blocks coding the clean pictures that
//! follow the damage) no longer holds them, while damage seen on the 8-pixel grid alone is
//! still held by it.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::{Media, MediaTime, PictureType, PixelFormat, VideoFrame};
use common::pictures::{corruption_intervals, smooth, H, W};

/// Picture `i` (25 per second): `smooth` quantised to flat `n`x`n` blocks (steps of 6 code
/// values) left of column `x1` (0: none), a key frame when `key`.
fn picture(n: usize, i: usize, x1: usize, key: bool) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    let f = VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| match p {
        0 if x < x1 => (smooth(x / n * n + n / 2, y / n * n + n / 2, i) as i32 / 6 * 6) as u8,
        0 => smooth(x, y, i),
        _ => 128,
    })
    .with_duration(Some(0.04))
    .with_picture_type(if key { PictureType::I } else { PictureType::P });
    Media::Video(f)
}

/// The (start, end) of every ended `video_corruption` interval. The grid-steps rule (on by
/// default) takes these synthetic flat blocks stepping by 6 for damage by itself: it is off
/// here, so that only the block-grid indexes judge the episode.
fn intervals(frames: impl Iterator<Item = Media>) -> Vec<(f64, f64)> {
    let cfg = CorruptionConfig {
        grid_steps: false,
        ..Default::default()
    };
    corruption_intervals(&cfg, frames)
}

#[test]
fn the_8_pixel_grid_alone_does_not_hold_damage_seen_on_the_16_pixel_grid() {
    // 3 s clean; 1 s of 16-pixel blocks over the whole picture (macroblocks); then 1 s of a
    // few 8-pixel blocks (a tenth of the width: the encoder's residue, above half the
    // firing threshold on the 8-pixel grid, nothing on the 16-pixel one); clean from 5 s.
    let frames = (0..200).map(|i| match i {
        75..100 => picture(16, i, W, false),
        100..125 => picture(8, i, W / 10, false),
        _ => picture(8, i, 0, i % 75 == 0),
    });
    let found = intervals(frames);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.05, "{s}..{e}");
    assert!(e > 3.95 && e < 4.2, "ends with the macroblocks: {s}..{e}");
}

#[test]
fn damage_on_the_8_pixel_grid_alone_is_still_held() {
    // As above, but the first second shows 8-pixel blocks: the 16-pixel grid never rose, and
    // the few blocks after it hold the episode.
    let frames = (0..200).map(|i| match i {
        75..100 => picture(8, i, W, false),
        100..125 => picture(8, i, W / 10, false),
        _ => picture(8, i, 0, i % 75 == 0),
    });
    let found = intervals(frames);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.05, "{s}..{e}");
    assert!(e > 4.95 && e < 5.2, "held by the 8-pixel grid: {s}..{e}");
}
