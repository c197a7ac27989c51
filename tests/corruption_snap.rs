//! `corruption`: detail that the next key frame takes away (a bit flip in H.264 or HEVC slice
//! data, smeared over the picture by prediction without a step on the block grid) is damage,
//! from where it rose to that key frame.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::{Media, MediaTime, PictureType, PixelFormat, VideoFrame};
use common::pictures::{corruption_intervals, smooth, W};

/// Picture `i` (25 per second, a key frame every 25): `smooth`, with speckles of `amp` code
/// values off the block grid over the left `w` columns.
fn picture(i: usize, amp: u8, w: usize) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    let key = i.is_multiple_of(25);
    let f = VideoFrame::from_fn(W, 192, PixelFormat::Yuv420p, t, |p, x, y| {
        if p != 0 {
            return 128;
        }
        let v = smooth(x, y, i);
        let speck = (x * 13 + y * 7 + i * 3).is_multiple_of(11);
        if x < w && speck {
            v.saturating_add(amp)
        } else {
            v
        }
    })
    .with_duration(Some(0.04))
    .with_picture_type(if key { PictureType::I } else { PictureType::P });
    Media::Video(f)
}

/// 6 s of pictures, speckled from picture `from` to the key frame at 100 (4 s).
fn run(from: usize, amp: u8) -> Vec<(f64, f64)> {
    let frames = (0..150).map(move |i| {
        let damaged = (from..100).contains(&i);
        picture(i, if damaged { amp } else { 0 }, W / 2)
    });
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn detail_that_the_next_key_frame_takes_away_is_damage() {
    let found = run(80, 40);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.2).abs() < 0.1 && (e - 4.0).abs() < 0.05, "{s}..{e}");
}

#[test]
fn detail_that_stays_after_the_key_frame_is_content() {
    let frames = (0..150).map(|i| picture(i, if i >= 80 { 40 } else { 0 }, W / 2));
    let found = corruption_intervals(&CorruptionConfig::default(), frames);
    assert!(found.is_empty(), "{found:?}");
}
