//! `freeze` on a still cut to from moving footage (issue 17): a channel cuts from a
//! programme's footage straight to a slideshow's first still, which is held like any still;
//! a freeze of moving footage is still a freeze, and so is one that began exactly on a cut's
//! first picture, reported once the scene resumes from it. Pure Rust, synthetic frames.

mod common;

use avqc::detect::video::FreezeConfig;
use avqc::{DetectorConfig, Media, MediaTime, PixelFormat, VideoFrame};

const FPS: f64 = 25.0;

/// A textured photo `n` in the left `part` of the picture over a common background.
fn photo(n: usize, part: f64, x: usize, y: usize) -> u8 {
    let (xf, yf) = (x as f64, y as f64);
    let v = if xf < 160.0 * part {
        let k = n as f64 + 1.0;
        110.0 + 60.0 * (xf * 0.13 * k).sin() * (yf * 0.11 + k).cos() + 10.0 * k.sin()
    } else {
        90.0 + 40.0 * (xf * 0.05).sin() + 30.0 * (yf * 0.09).cos()
    };
    v.round().clamp(0.0, 255.0) as u8
}

/// Scene `n`: its own textured background (photo `n + 2`) and a bright box moving 3
/// pixels a picture, at `pos` after `i` pictures.
fn scene(n: usize, i: usize, x: usize, y: usize) -> u8 {
    let pos = 3 * i % 130;
    if (pos..pos + 24).contains(&x) && (30..60).contains(&y) {
        230
    } else {
        photo(n + 2, 1.0, x, y)
    }
}

/// `(start, end)` of every freeze for frames `picture(i)`, `n` frames.
fn freezes(n: usize, picture: impl Fn(usize, usize, usize) -> u8) -> Vec<(f64, f64)> {
    let det = FreezeConfig::default().build("freeze").unwrap();
    let media = (0..n).map(|i| {
        let t = MediaTime::from_secs_f64(i as f64 / FPS);
        let f = VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t, |p, x, y| {
            if p > 0 {
                128
            } else {
                picture(i, x, y)
            }
        });
        Media::Video(f.with_duration(Some(1.0 / FPS)))
    });
    common::defect_ends(common::run_all(det, media))
        .iter()
        .map(|d| (d.start.as_secs_f64(), d.end.unwrap().as_secs_f64()))
        .collect()
}

#[test]
fn a_still_cut_to_from_moving_footage_is_not_a_freeze() {
    // footage moving for 2 s, then a cut to a photo held 4 s, then (a) the footage again,
    // (b) the next photo, changing the whole picture, (c) the next photo over the same
    // background as the first (only 2 in 5 blocks change: no cut), each held 4 s
    for next in 0..3 {
        let f = freezes(300, |i, x, y| match (i, next) {
            (0..50, _) => scene(0, i, x, y),
            (50..150, 2) => photo(0, 0.4, x, y),
            (50..150, _) => photo(0, 1.0, x, y),
            (_, 0) => scene(0, i, x, y),
            (_, 1) => photo(1, 1.0, x, y),
            _ => photo(1, 0.4, x, y),
        });
        assert!(f.is_empty(), "next {next}: {f:?}");
    }
}

#[test]
fn moving_footage_that_stops_is_still_a_freeze() {
    // footage moving for 2 s, its last picture repeated for 2 s, then moving on: a freeze
    // from the first repeated frame (2.0 s) to the first new one (4.0 s)
    let f = freezes(150, |i, x, y| {
        let i = if (50..100).contains(&i) { 49 } else { i };
        scene(0, i, x, y)
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        (f[0].0 - 2.0).abs() < 0.01 && (f[0].1 - 4.0).abs() < 0.01,
        "{f:?}"
    );
}

#[test]
fn a_freeze_beginning_on_a_cut_is_reported_when_the_scene_resumes() {
    // scene 0 moving for 2 s, a cut to scene 1 whose first picture is repeated for 2 s, then
    // scene 1 moves on from it: a freeze from the first repeated frame (2.04 s) to the first
    // new one (4.0 s), reported once the scene moved on
    let f = freezes(150, |i, x, y| match i {
        0..50 => scene(0, i, x, y),
        50..100 => scene(1, 50, x, y),
        _ => scene(1, i - 49, x, y),
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        (f[0].0 - 2.04).abs() < 0.01 && (f[0].1 - 4.0).abs() < 0.01,
        "{f:?}"
    );
}

#[test]
fn a_still_cut_to_just_after_a_short_calm_shot_is_not_a_freeze() {
    // footage moving for 2 s, a cut to a short calm shot (4 pictures, a box moving: a
    // programme's last shot cut short at a junction), then a cut to a photo held 4 s, then
    // the next photo: the second cut comes 0.16 s after the first, but the shot between moved
    // little, so the photo was cut to from footage like any still
    let f = freezes(250, |i, x, y| match i {
        0..50 => scene(0, i, x, y),
        50..54 => scene(1, i, x, y),
        54..154 => photo(0, 1.0, x, y),
        _ => photo(1, 1.0, x, y),
    });
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn footage_frozen_just_after_a_short_busy_shot_is_still_a_freeze() {
    // footage moving for 2 s, a cut to a shot of 4 pictures each replacing the last (fast
    // motion: every step a cut's amount), then that footage's next picture held 2 s and the
    // scene moving on: the hold is a freeze from its first repeated frame
    let f = freezes(200, |i, x, y| match i {
        0..50 => scene(0, i, x, y),
        50..54 => photo(i, 1.0, x, y),
        54..104 => scene(2, 54, x, y),
        _ => scene(2, i - 49, x, y),
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        (f[0].0 - 2.2).abs() < 0.01 && (f[0].1 - 4.16).abs() < 0.01,
        "{f:?}"
    );
}
