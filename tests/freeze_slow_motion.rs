//! `freeze` on slow motion against a repeated picture (issue 17): a presenter nearly still
//! (the head's edges crossing a pixel now and then, in frame after frame) is motion; a held
//! picture re-coded now and then (a cell changing in one frame or two) stays a freeze.
//! Pure Rust, synthetic frames.

mod common;

use avqc::detect::video::FreezeConfig;
use avqc::{DetectorConfig, Event, Media, MediaTime, Phase, PixelFormat, VideoFrame};

const FPS: f64 = 25.0;
const W: usize = 160;
const H: usize = 96;

/// A dark head (an ellipse) centred at `cx` over a plain light background, drawn with whole
/// pixels as a renderer does: a sub-pixel move shifts the edge of some rows only.
fn head(cx: f64, x: usize, y: usize) -> u8 {
    let (rx, ry, cy) = (22.0, 30.0, 48.0);
    let d = (y as f64 - cy) / ry;
    if d.abs() > 1.0 {
        return 200;
    }
    let half = rx * (1.0 - d * d).sqrt();
    let (x0, x1) = ((cx - half) as usize, (cx + half) as usize + 1);
    if (x0..x1).contains(&x) {
        40
    } else {
        200
    }
}

fn frame(i: usize, f: impl Fn(usize, usize) -> u8) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 / FPS);
    Media::Video(
        VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| {
            if p > 0 {
                128
            } else {
                f(x, y)
            }
        })
        .with_duration(Some(1.0 / FPS)),
    )
}

/// `(start, end)` of every freeze for frames `picture(i)`, `n` frames.
fn freezes(n: usize, picture: impl Fn(usize, usize, usize) -> u8) -> Vec<(f64, f64)> {
    let det = FreezeConfig::default().build("freeze").unwrap();
    let media = (0..n).map(|i| frame(i, |x, y| picture(i, x, y)));
    common::run_all(det, media)
        .iter()
        .filter_map(|e| match e {
            Event::Defect(d) if d.phase == Phase::End => {
                Some((d.start.as_secs_f64(), d.end.unwrap().as_secs_f64()))
            }
            _ => None,
        })
        .collect()
}

/// The head swaying 3 pixels either way with a period of 3.7 s (its turns are slow: about
/// 0.3 pixel in 0.4 s around each).
fn sway(i: usize) -> f64 {
    80.0 + 3.0 * (2.0 * std::f64::consts::PI * i as f64 / FPS / 3.7).sin()
}

#[test]
fn a_head_swaying_slowly_through_its_turn_is_not_a_freeze() {
    // 8 s of sway: four turns, each with 0.4 s or more in which only a few rows' edges move
    let f = freezes(200, |i, x, y| head(sway(i), x, y));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_swaying_head_that_stops_is_a_freeze() {
    // the sway stops mid-swing at 3.68 s for 1 s: a freeze (from its first repeated frame,
    // which at 0.2 pixel per frame may be a frame or three earlier)
    let f = freezes(150, |i, x, y| {
        let k = if (92..117).contains(&i) { 91 } else { i };
        head(sway(k), x, y)
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        (f[0].0 - 3.6).abs() < 0.1 && (f[0].1 - 4.68).abs() < 0.05,
        "{f:?}"
    );
}

#[test]
fn a_held_picture_recoded_in_one_frame_or_two_stays_a_freeze() {
    // the head held mid-swing from 3.68 s to 5.68 s; at 4.4 s one cell-sized patch of it
    // steps by 24 and at 4.44 s by 10 (a key frame's re-coding refined in the next frame)
    let f = freezes(175, |i, x, y| {
        let k = if (92..142).contains(&i) { 91 } else { i };
        let v = head(sway(k), x, y);
        let patch = (60..64).contains(&x) && (40..44).contains(&y);
        match i {
            110 if patch => v + 24,
            111 if patch => v + 10,
            _ => v,
        }
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        (f[0].0 - 3.6).abs() < 0.1 && (f[0].1 - 5.68).abs() < 0.05,
        "{f:?}"
    );
}
