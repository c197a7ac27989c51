//! `freeze` on a picture held where the scene was moving fast, re-coded on every predicted
//! picture (an interlaced MPEG-2 hold of testsrc2: a block stepping by 5 code values and a
//! cell by 20 in frame after frame): a freeze; the same re-coding after slow motion stays
//! unreported. Pure Rust, synthetic frames.

mod common;

use avqc::detect::video::FreezeConfig;
use avqc::{DetectorConfig, Media, MediaTime, PixelFormat, VideoFrame};

const FPS: f64 = 25.0;
const W: usize = 160;
const H: usize = 96;

/// A bright square (32 pixels) at `x0` over a plain grey background.
fn square(x0: usize, x: usize, y: usize) -> u8 {
    if (x0..x0 + 32).contains(&x) && (32..64).contains(&y) {
        220
    } else {
        100
    }
}

/// `(start, end)` of every freeze for frames `picture(i, x, y)`, `n` frames.
fn freezes(n: usize, picture: impl Fn(usize, usize, usize) -> u8) -> Vec<(f64, f64)> {
    let det = FreezeConfig::default().build("freeze").unwrap();
    let media = (0..n).map(|i| {
        let t = MediaTime::from_secs_f64(i as f64 / FPS);
        Media::Video(
            VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| {
                if p > 0 {
                    128
                } else {
                    picture(i, x, y)
                }
            })
            .with_duration(Some(1.0 / FPS)),
        )
    });
    common::defect_ends(common::run_all(det, media))
        .iter()
        .map(|d| (d.start.as_secs_f64(), d.end.unwrap().as_secs_f64()))
        .collect()
}

/// The square moving `speed` pixels a frame (wrapping), held at frame 49's place for frames
/// 50..75; each held frame re-codes four cells of one block (an 8-pixel patch) by ±10 in
/// turn: a step of 20 per cell (5 per block) in every frame, 2.5 per block from the held
/// picture.
fn held(speed: usize) -> Vec<(f64, f64)> {
    freezes(100, |i, x, y| {
        let k = if (50..75).contains(&i) { 49 } else { i };
        let v = square((k * speed) % (W - 32), x, y);
        let patch = (8..16).contains(&x) && (8..16).contains(&y);
        match (50..75).contains(&i) && patch {
            true if i % 2 == 0 => v + 10,
            true => v - 10,
            false => v,
        }
    })
}

#[test]
fn a_picture_held_after_fast_motion_and_recoded_every_frame_is_a_freeze() {
    let f = held(20);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        (f[0].0 - 2.0).abs() < 0.05 && (f[0].1 - 3.0).abs() < 0.05,
        "{f:?}"
    );
}

#[test]
fn the_same_recoding_after_slow_motion_is_not_taken_for_a_hold() {
    // one pixel a frame steps a block by far less than fast motion: the tolerance stays
    let f = held(1);
    assert!(f.is_empty(), "{f:?}");
}
