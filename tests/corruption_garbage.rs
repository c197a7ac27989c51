//! `corruption`: decoder garbage colours (Cb and Cr both at one extreme, outside every RGB
//! gamut) that appear where the picture was legal are damage, though the blocks do not show
//! it; the same colours from the first picture on, or the gamut's own extreme colours, are not.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::{Media, MediaTime, PixelFormat, VideoFrame};
use common::pictures::{corruption_intervals, smooth, H, W};

/// Picture `i` (25 per second) of the smooth gradient, whose chroma rows from `from` down
/// (of the `H / 2` chroma rows) hold `(u, v)`, the others neutral.
fn picture(i: usize, from: usize, (u, v): (u8, u8)) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    Media::Video(
        VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| match p {
            0 => smooth(x, y, i),
            _ if y < from => 128,
            1 => u,
            _ => v,
        })
        .with_duration(Some(0.04)),
    )
}

/// 6 s of pictures; those of `bad` have their last 12 of 96 chroma rows (1/8 of the picture)
/// at `uv`.
fn intervals(bad: std::ops::Range<usize>, uv: (u8, u8)) -> Vec<(f64, f64)> {
    let frames = (0..150).map(move |i| {
        let from = if bad.contains(&i) { H / 2 - 12 } else { H / 2 };
        picture(i, from, uv)
    });
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn garbage_colours_that_appear_are_damage() {
    // Green and red bars of a decoder's garbage (Cb, Cr near 0) for 1 s from 3 s.
    for uv in [(3, 8), (250, 252)] {
        let found = intervals(75..100, uv);
        assert_eq!(found.len(), 1, "{uv:?}: {found:?}");
        let (s, e) = found[0];
        assert!(
            (s - 3.0).abs() < 0.05 && (e - 4.0).abs() < 0.05,
            "{uv:?}: {s}..{e}"
        );
    }
}

#[test]
fn garbage_colours_that_flash_are_not_damage() {
    // Two pictures: shorter than `min_duration`.
    let found = intervals(75..77, (3, 8));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn garbage_colours_from_the_first_picture_are_the_source() {
    // Never legal before: a source's own colours (a stream of them is out of range), not
    // damage that appeared.
    let found = intervals(0..150, (3, 8));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_gamuts_extreme_colours_are_not_garbage() {
    // Pure green and magenta of full-range BT.709 (the lowest and highest Cb and Cr together
    // that a legal colour takes) appearing for 1 s.
    for uv in [(30, 12), (226, 244)] {
        let found = intervals(75..100, uv);
        assert!(found.is_empty(), "{uv:?}: {found:?}");
    }
}
