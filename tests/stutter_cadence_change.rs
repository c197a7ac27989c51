//! `stutter` when the stream changes its cadence with no cut, on synthetic frames (pure Rust,
//! no FFmpeg): one programme follows another over the same film, its pictures shown once, then
//! drawn on twos (every drawing held 2 frames, one held 3 about once a second after a 24 → 25
//! conversion). Before the fix, the first drawings of twos were judged against the film's
//! cadence of 1 and reported as stutters (realeval seed 23's channel, `twos_1`), and so were
//! the drawings held 3 frames after a cut that showed one drawing once (`twos_0`). Three
//! pictures in a row held beyond the cadence are a new rhythm, not stutters: the shot's rate
//! is seen anew, as after a cut. A picture held longer alone in the same motion still is one.

mod common;

use avqc::{Media, MediaTime, PixelFormat, VideoFrame};
use common::pictures::stutter_spans;

const FPS: f64 = 25.0;

/// Frame `i` of scene `scene` (each its own background) with a bright bar, 40 pixels wide, at
/// `x`.
fn frame(i: usize, scene: usize, x: f64) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 / FPS);
    let (a, b) = (0.13 + 0.05 * scene as f64, 0.1 + 0.07 * scene as f64);
    let x0 = x.rem_euclid(200.0) - 40.0;
    Media::Video(
        VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t, |p, px, py| {
            if p > 0 {
                return 128;
            }
            let (fx, fy) = (px as f64, py as f64);
            if (x0..x0 + 40.0).contains(&fx) {
                return 235;
            }
            let v = 120.0 + 50.0 * (fx * a + scene as f64).sin() * (fy * b).cos();
            v.round() as u8
        })
        .with_duration(Some(1.0 / FPS)),
    )
}

/// Frames of (scene, bar position) pictures, picture `k` held `holds[k]` frames.
fn frames(pictures: &[(usize, f64)], holds: &[usize]) -> Vec<Media> {
    let mut out = Vec::new();
    for (&(scene, x), &h) in pictures.iter().zip(holds) {
        for _ in 0..h {
            out.push(frame(out.len(), scene, x));
        }
    }
    out
}

/// Holds of `n` drawings on twos converted 24 → 25: 2 frames, 3 for one drawing in 12
/// (`phase` shifts which).
fn twos(n: usize, phase: usize) -> Vec<usize> {
    (0..n)
        .map(|k| if (k + phase) % 12 == 11 { 3 } else { 2 })
        .collect()
}

#[test]
fn film_shown_once_then_drawings_on_twos_with_no_cut_is_no_stutter() {
    // 12 s of film (a picture a frame, the bar 4 pixels further each), then the same scene
    // on twos (the bar 8 pixels further each drawing) for 12 s
    let film = 300;
    let mut pictures: Vec<(usize, f64)> = (0..film).map(|k| (0, k as f64 * 4.0)).collect();
    let mut holds = vec![1; film];
    let x = film as f64 * 4.0;
    pictures.extend((0..150).map(|k| (0, x + k as f64 * 8.0)));
    holds.extend(twos(150, 0));
    let f = stutter_spans(frames(&pictures, &holds));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_drawing_shown_once_after_a_cut_does_not_make_twos_stutter() {
    // 12 s of film converted 24 → 25 (a picture held 2 frames every 24), a cut into twos, a
    // cut 1 s later whose first drawing is shown once, then twos (converted 24 → 25) for 10 s
    let film = 288;
    let mut pictures: Vec<(usize, f64)> = (0..film).map(|k| (0, k as f64 * 4.0)).collect();
    let mut holds: Vec<usize> = (0..film).map(|k| 1 + usize::from(k % 24 == 7)).collect();
    pictures.extend((0..12).map(|k| (1, k as f64 * 8.0)));
    holds.extend(twos(12, 5));
    pictures.extend((0..125).map(|k| (2, k as f64 * 8.0)));
    let mut after = twos(125, 3);
    after[0] = 1;
    holds.extend(after);
    let f = stutter_spans(frames(&pictures, &holds));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_picture_held_longer_alone_in_film_is_still_stutter() {
    // 20 s of film; picture 400 (16 s in) held 3 frames, the pictures around it shown once
    let mut holds = vec![1; 500];
    holds[400] = 3;
    let pictures: Vec<(usize, f64)> = (0..500).map(|k| (0, k as f64 * 4.0)).collect();
    let f = stutter_spans(frames(&pictures, &holds));
    assert_eq!(f.len(), 1, "{f:?}");
    let (start, end, repeated) = f[0];
    assert!((start - 401.0 / FPS).abs() < 1e-3, "{f:?}");
    assert!((end - 403.0 / FPS).abs() < 1e-3, "{f:?}");
    assert_eq!(repeated, 2, "{f:?}");
}
