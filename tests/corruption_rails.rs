//! `corruption`: luma driven to both rails at once (code 3 or under *and* 252 or over, mixed
//! through the picture), appearing where the picture was legal, is decoder garbage, also when
//! it comes on a key frame (which otherwise ends content damage); one rail alone (a black
//! letterbox, a white title) is not, nor are both rails in a full-range picture.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::{ColorRange, FrameFlags, Media, MediaTime, PictureType, PixelFormat, VideoFrame};
use common::pictures::{corruption_intervals, smooth, H, W};

/// Picture `i` (25 per second, a key frame every 25) of the smooth gradient; with `rails`,
/// its rows 96.. hold every 4th sample at the low rail and the next at the high one
/// (`lo`, `hi` choose which), as damaged residuals clipped both ways leave them.
fn picture(i: usize, rails: bool, lo: bool, hi: bool, range: ColorRange) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    let key = i.is_multiple_of(25);
    let f = VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| match p {
        0 if rails && y >= H / 2 && x % 4 == 0 && lo => 0,
        0 if rails && y >= H / 2 && x % 4 == 1 && hi => 255,
        0 => smooth(x, y, i),
        _ => 128,
    })
    .with_duration(Some(0.04))
    .with_range(range)
    .with_picture_type(if key { PictureType::I } else { PictureType::P });
    Media::Video(if key {
        f.with_flags(FrameFlags::KEY)
    } else {
        f
    })
}

/// 6 s of pictures; those of `bad` carry the rails.
fn intervals(
    bad: std::ops::Range<usize>,
    lo: bool,
    hi: bool,
    range: ColorRange,
) -> Vec<(f64, f64)> {
    let frames = (0..150).map(move |i| picture(i, bad.contains(&i), lo, hi, range));
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn both_rails_from_a_key_frame_to_the_next_are_damage() {
    // A key frame at 3 s decoded into garbage, carried to the key frame at 4 s.
    let found = intervals(75..100, true, true, ColorRange::Limited);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.05 && (e - 4.0).abs() < 0.05, "{s}..{e}");
}

#[test]
fn one_rail_alone_is_not_damage() {
    for (lo, hi) in [(true, false), (false, true)] {
        let found = intervals(75..100, lo, hi, ColorRange::Limited);
        assert!(found.is_empty(), "{lo} {hi}: {found:?}");
    }
}

#[test]
fn both_rails_in_a_full_range_picture_are_legal_codes() {
    let found = intervals(75..100, true, true, ColorRange::Full);
    assert!(found.is_empty(), "{found:?}");
}
