//! `stutter` on animation on twos (every drawing held 2 frames at 23.976 fps) cut into short
//! shots, on synthetic frames (pure Rust, no FFmpeg). A shot whose every picture repeated is
//! at a rate of its own until one is shown once, and no picture of twos is: before the fix, a
//! drawing held 3 frames or more in the first 3 s of a shot was never judged, and most shots of
//! a cartoon are shorter. Drawings held the stream's cadence of 2 frames, 4 in a row in
//! motion, now show the shot runs at the stream's rate. Twos converted to 25 fps hold one
//! drawing 3 frames a second, 24 or 25 frames apart: the conversion's, no stutter.

mod common;

use avqc::{Media, MediaTime, PixelFormat, VideoFrame};
use common::pictures::stutter_spans;

/// Drawings move the bar `STEP` pixels each.
const STEP: f64 = 8.0;
/// Drawings per shot (2 s at 12 drawings a second).
const SHOT: usize = 24;

/// Frame `i` at `fps` of shot `shot` (each its own background) with a bright bar, 40 pixels
/// wide, at `x`.
fn frame(i: usize, fps: f64, shot: usize, x: f64) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 / fps);
    let (a, b) = (
        0.13 + 0.05 * (shot % 4) as f64,
        0.1 + 0.07 * (shot % 3) as f64,
    );
    let w = 160.0 + 40.0;
    let x0 = x.rem_euclid(w) - 40.0;
    Media::Video(
        VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t, |p, px, py| {
            if p > 0 {
                return 128;
            }
            let (fx, fy) = (px as f64, py as f64);
            if (x0..x0 + 40.0).contains(&fx) {
                return 235;
            }
            let v = 120.0 + 50.0 * (fx * a + shot as f64).sin() * (fy * b).cos();
            v.round() as u8
        })
        .with_duration(Some(1.0 / fps)),
    )
}

/// The drawings of `shots` shots at `fps`, drawing `k` held `holds(k)` frames.
fn cartoon(shots: usize, fps: f64, holds: impl Fn(usize) -> usize) -> Vec<Media> {
    let mut states = Vec::new();
    for k in 0..shots * SHOT {
        states.extend(std::iter::repeat_n(k, holds(k)));
    }
    frames(&states, fps)
}

fn frames(states: &[usize], fps: f64) -> Vec<Media> {
    states
        .iter()
        .enumerate()
        .map(|(i, &k)| frame(i, fps, k / SHOT, (k % SHOT) as f64 * STEP))
        .collect()
}

#[test]
fn a_drawing_held_longer_early_in_a_shot_is_stutter() {
    let fps = 24000.0 / 1001.0;
    // drawing 90 (the 19th of the 4th shot, 1.5 s after its cut) held 3 frames
    let f = stutter_spans(cartoon(6, fps, |k| if k == 90 { 3 } else { 2 }));
    assert_eq!(f.len(), 1, "{f:?}");
    let (start, end, repeated) = f[0];
    assert!((start - 182.0 / fps).abs() < 1e-3, "{f:?}");
    assert!((end - 183.0 / fps).abs() < 1e-3, "{f:?}");
    assert_eq!(repeated, 1, "{f:?}");
}

#[test]
fn twos_converted_to_25_fps_are_no_stutter() {
    // 24000/1001 fps on twos at 25 fps: frame `i` shows drawing `i * 11.988 / 25`, so a
    // drawing is held 3 frames 23 or 25 frames after the last one so held
    let per_frame = 12000.0 / 1001.0 / 25.0;
    let states: Vec<usize> = (0..)
        .map(|i| (i as f64 * per_frame) as usize)
        .take_while(|&k| k < 6 * SHOT)
        .collect();
    let f = stutter_spans(frames(&states, 25.0));
    assert!(f.is_empty(), "{f:?}");
}
