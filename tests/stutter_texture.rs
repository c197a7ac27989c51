//! `stutter` on film telecined 3:2, deinterlaced and decimated to 25 fps (what a standards
//! converter, or `bwdif` + `fps=25`, makes of it), on synthetic frames (pure Rust, no FFmpeg):
//! its near-repeats in motion are the programme's texture, a lone repeat among them is no
//! stutter, but a picture held longer still is.

mod common;

use avqc::Media;

const FPS: f64 = 25.0;

/// Film pictures move `PAN` pixels each.
const PAN: f64 = 6.0;
const EXACT: u32 = 20;

/// `(start, end, repeated_frames)` of every stutter over `frames`.
fn stutters(frames: &[Media]) -> Vec<(f64, f64, u64)> {
    common::pictures::stutter_spans(frames.iter().cloned())
}

/// The shift of every frame of `n` frames at 25 fps of 23.976 fps film panning [`PAN`] pixels
/// a picture, telecined 3:2 to 29.97 fps, deinterlaced and decimated. Deinterlacing the
/// frames that mix two film pictures rebuilds one of them from a single field: a near-repeat
/// of the frame before, here the same picture 1 pixel further (one in 5 frames at 29.97 fps),
/// and only some of them (1 in 3, at irregular places) as close as a repeat.
fn converted(n: usize) -> Vec<f64> {
    let mut x = 99u32;
    (0..n)
        .map(|j| {
            // 29.97 fps frame shown at 25 fps frame j
            let k = (j as f64 * 30000.0 / 1001.0 / FPS).round() as usize;
            let film = 4 * (k / 5) + [0, 0, 1, 2, 3][k % 5];
            // the rebuilt frame k % 5 == 1: near the frame before, or the same
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let near = k % 5 == 1 && !(x >> 16).is_multiple_of(EXACT);
            film as f64 * PAN + if near { 1.0 } else { 0.0 }
        })
        .collect()
}

fn frames(shift: &[f64]) -> Vec<Media> {
    shift
        .iter()
        .enumerate()
        .map(|(i, &s)| common::pictures::textured(i, FPS, s, 1.0))
        .collect()
}

#[test]
fn lone_repeats_of_pulldown_deinterlaced_and_decimated_are_no_stutter() {
    let f = stutters(&frames(&converted(1000)));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_picture_held_among_them_is_stutter() {
    // frame 700's picture is also shown at frames 701 and 702: 2 frames beyond it
    let mut shift = converted(1000);
    let held = shift[700];
    shift[701..703].fill(held);
    let f = stutters(&frames(&shift));
    assert_eq!(f.len(), 1, "{f:?}");
    let (start, _, repeated) = f[0];
    assert!((start - 701.0 / FPS).abs() < 1e-6, "{f:?}");
    assert!(repeated >= 2, "{f:?}");
}
