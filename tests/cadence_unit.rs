//! `stutter` and `frame_drop` on synthetic frames (pure Rust, no FFmpeg).

mod common;

use avqc::detect::video::{FrameDropConfig, StutterConfig};
use avqc::{DetectorConfig, Event, Events, Media, MediaTime, PixelFormat, VideoFrame};

const FPS: f64 = 25.0;

/// A textured picture shifted `shift` pixels to the right.
fn picture(i: usize, shift: f64) -> Media {
    faded(i, shift, 1.0)
}

/// [`picture`] faded towards black (luma 16) by `gain` (1: full picture, 0: black).
fn faded(i: usize, shift: f64, gain: f64) -> Media {
    common::pictures::textured(i, FPS, shift, gain)
}

/// `(start, end, repeated_frames)` of every stutter, for frames showing content `content(i)`.
fn stutters(n: usize, content: impl Fn(usize) -> f64) -> Vec<(f64, f64, u64)> {
    stutters_of((0..n).map(|i| picture(i, content(i))), n)
}

/// [`stutters`] for any `n` frames.
fn stutters_of(frames: impl Iterator<Item = Media>, n: usize) -> Vec<(f64, f64, u64)> {
    watch(frames, n).0
}

/// Stutters (as [`stutters`]) and the messages of the `video_cadence` notices for `n` frames.
fn watch(frames: impl Iterator<Item = Media>, n: usize) -> (Vec<(f64, f64, u64)>, Vec<String>) {
    let mut det = StutterConfig::default().build("stutter").unwrap();
    let mut out = Events::new("t", "stutter");
    let mut found = Vec::new();
    for f in frames {
        det.process(&f, &mut out);
        found.extend(out.drain());
    }
    det.finish(MediaTime::from_secs_f64(n as f64 / FPS), &mut out);
    found.extend(out.drain());
    let stutters = common::pictures::stutter_ends(&found);
    let notices = found
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) if n.name == "video_cadence" => Some(n.message.clone()),
            _ => None,
        })
        .collect();
    (stutters, notices)
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn repeats_in_motion_are_one_episode_each() {
    // moving 3 px a frame; frame 100 repeats 99, frames 110 and 120 repeat their predecessors
    // (within 0.5 s: one episode)
    let repeated = [100, 110, 120];
    let f = stutters(200, |i| {
        let shown = if repeated.contains(&i) { i - 1 } else { i };
        shown as f64 * 3.0
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(near(f[0].0, 4.0) && near(f[0].1, 4.84), "{f:?}");
    assert_eq!(f[0].2, 3);
}

#[test]
fn static_scene_and_long_holds_are_not_stutter() {
    assert!(stutters(150, |_| 0.0).is_empty());
    // a picture held 0.4 s (10 frames) inside motion: a freeze, not a stutter
    let f = stutters(200, |i| {
        if (100..110).contains(&i) {
            297.0
        } else {
            i as f64 * 3.0
        }
    });
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn regular_doubling_is_cadence_but_a_triple_is_not() {
    // 12.5 fps content at 25 fps; picture 60 (frames 120, 121) also shown at frame 122
    let f = stutters(250, |i| {
        let pic = if i == 122 { 60 } else { i / 2 };
        pic as f64 * 5.0
    });
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        near(f[0].0, 122.0 / FPS) && near(f[0].1, 123.0 / FPS),
        "{f:?}"
    );
    assert_eq!(f[0].2, 1);
    // no triple: nothing
    assert!(stutters(250, |i| (i / 2) as f64 * 5.0).is_empty());
}

#[test]
fn a_fade_through_black_is_not_stutter_but_a_repeat_inside_a_fade_is() {
    // moving 3 px a frame; a fade through black over frames 100..=109 whose two middle frames
    // (104, 105) show the same picture at `bottom` gain
    let fade = |bottom: f64| {
        let gains = [0.8, 0.6, 0.4, 0.2, bottom, bottom, 0.2, 0.4, 0.6, 0.8];
        stutters_of(
            (0..200).map(move |i| {
                let g = if (100..110).contains(&i) {
                    gains[i - 100]
                } else {
                    1.0
                };
                let shown = if i == 105 { 104 } else { i };
                faded(i, shown as f64 * 3.0, g)
            }),
            200,
        )
    };
    // black: the same picture shown twice is invisible
    assert!(fade(0.0).is_empty(), "{:?}", fade(0.0));
    // half faded: the repeat is visible and reported
    let f = fade(0.5);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(near(f[0].0, 105.0 / FPS), "{f:?}");
}

/// A bright 32x24 box at `x` over a still textured background shifted `bg` pixels.
fn boxed(i: usize, x: usize, bg: f64) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 / FPS);
    Media::Video(
        VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t, |p, px, py| {
            if p > 0 {
                return 128;
            }
            if (x..x + 32).contains(&px) && (36..60).contains(&py) {
                return 235;
            }
            let v = 128.0 + 60.0 * ((px as f64 - bg) * 0.3).sin() * (py as f64 * 0.2).cos();
            v.round().clamp(0.0, 255.0) as u8
        })
        .with_duration(Some(1.0 / FPS)),
    )
}

#[test]
fn a_repeat_next_to_an_edit_is_not_stutter_but_one_in_steady_motion_is() {
    // a box moving 4 px a picture over a still background; at frame 100 a loop seam replaces
    // the background, and frame 102 repeats 101 (2 frames after the seam); frame 170 repeats
    // 169 in the same steady motion
    let frames = (0..250).map(|i| {
        let shown = if i == 102 || i == 170 { i - 1 } else { i };
        let bg = if shown >= 100 { 500.0 } else { 0.0 };
        boxed(i, (shown * 4) % 120, bg)
    });
    let f = stutters_of(frames, 250);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(near(f[0].0, 170.0 / FPS), "{f:?}");
}

#[test]
fn frequent_irregular_repeats_are_the_streams_habit_not_a_cadence() {
    // a picture that moves by steps: moving 3 px per picture, one picture in about 4 held 2
    // frames at irregular places (a drawn face following the sound), over 20 s
    let mut x = 7u32;
    let mut shown = Vec::new();
    let mut pic = 0usize;
    while shown.len() < 500 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let hold = if (x >> 16).is_multiple_of(4) { 2 } else { 1 };
        shown.extend(std::iter::repeat_n(pic, hold));
        pic += 1;
    }
    let (f, notices) = watch((0..500).map(|i| picture(i, shown[i] as f64 * 3.0)), 500);
    assert!(f.is_empty(), "{f:?}");
    assert!(notices.is_empty(), "{notices:?}");
}

#[test]
fn a_few_alike_holds_of_a_slow_moment_are_no_cadence() {
    // moving 3 px a frame for 10 s, but pictures 120..124 are each held 3 frames
    let mut shown = Vec::new();
    for pic in 0..260usize {
        let hold = if (120..124).contains(&pic) { 3 } else { 1 };
        shown.extend(std::iter::repeat_n(pic, hold));
    }
    let (_, notices) = watch((0..250).map(|i| picture(i, shown[i] as f64 * 3.0)), 250);
    assert!(notices.is_empty(), "{notices:?}");
    // every picture held 3 frames: one notice
    let (f, notices) = watch((0..250).map(|i| picture(i, (i / 3) as f64 * 3.0)), 250);
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("3 frames"), "{notices:?}");
}

#[test]
fn configs_are_checked() {
    assert!(StutterConfig {
        tolerance: -1.0,
        ..Default::default()
    }
    .build("s")
    .is_err());
    assert!(StutterConfig {
        cadence_min: 1,
        ..Default::default()
    }
    .build("s")
    .is_err());
    assert!(FrameDropConfig {
        jitter: 1.0,
        ..Default::default()
    }
    .build("f")
    .is_err());
    assert!(
        serde_json::from_str::<StutterConfig>(r#"{"merge_gapp": 1.0}"#).is_err(),
        "unknown fields are errors"
    );
}

/// A frame of a 30 frames/s stream: a still textured background crossed by a 16-pixel band
/// whose texture is shifted `shift` pixels (one block row in 6: motion too small to be taken
/// for an edit when it starts), with its top-left 16×16 block painted `patch`.
fn banded(i: usize, shift: f64, patch: u8) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 / 30.0);
    Media::Video(
        VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t, |p, x, y| {
            if p > 0 {
                return 128;
            }
            if x < 16 && y < 16 {
                return patch;
            }
            let (x, y) = (x as f64, y as f64);
            let v = if (48.0..64.0).contains(&y) {
                128.0 + 60.0 * ((x - shift) * 0.3).sin()
            } else {
                128.0 + 60.0 * (x * 0.3).sin() * (y * 0.2).cos()
            };
            v.round().clamp(0.0, 255.0) as u8
        })
        .with_duration(Some(1.0 / 30.0)),
    )
}

#[test]
fn chance_repeats_of_a_near_still_moment_do_not_move_a_pulldown_rhythm() {
    // 3:2 pulldown at 30 frames/s (the 4th picture of every 4 shown twice: holds start on
    // frames 5k + 3), the band moving 5 px a picture. Frames 240..330 (3 s) stand still but
    // for a small detail (one block in 60) that changes on every frame, which hides the
    // rhythm's own repeats, but stays for 2 frames at irregular places: chance repeats, the
    // last two one period apart and off the rhythm's phase (frames 321 and 326). Then the band
    // moves again, the rhythm on its own phase: no stutter anywhere.
    let film = |i: usize| 4 * (i / 5) + (i % 5).min(3);
    let (still, moves) = (240, 330);
    let chance = [246, 253, 261, 268, 277, 284, 293, 301, 309, 316, 321, 326];
    let (a, b) = (film(still), film(moves));
    let shift = |i: usize| match film(i) {
        f if f < a => 5 * f,
        f if f < b => 5 * (a - 1),
        f => 5 * (a + f - b),
    };
    let patch = |i: usize| {
        let i = i.clamp(still - 1, moves - 1);
        // frame s + 1 keeps the value of frame s
        let kept = chance.iter().filter(|&&s| s < i).count();
        (60 + 20 * ((i - kept) % 7)) as u8
    };
    let n = 420;
    let (f, notices) = watch((0..n).map(|i| banded(i, shift(i) as f64, patch(i))), n);
    assert!(
        notices.iter().any(|n| n.contains("pulldown")),
        "{notices:?}"
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_shot_of_a_lower_picture_rate_after_a_cut_is_its_own_cadence() {
    // 10 s of a box moving 4 px a frame, every picture shown once; then a cut to another
    // programme: 10 fps video at 25 fps (pictures held 3, 2, 3, 2 frames) whose texture moves
    // 6 px a picture. Its repeats are its cadence, not stutter, from its first picture on.
    let cut = 250;
    let frames = (0..400).map(|i| {
        if i < cut {
            boxed(i, (i * 4) % 120, 0.0)
        } else {
            let pic = (i - cut) * 10 / 25;
            picture(i, pic as f64 * 6.0)
        }
    });
    let f = stutters_of(frames, 400);
    assert!(f.is_empty(), "{f:?}");
}
