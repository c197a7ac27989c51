//! `corruption`: decoder damage that the picture showed first. A decoder may flag a bit flip
//! only some pictures after its wrong blocks began to spread; when its damage comes on screen
//! during a run of pictures whose blockiness rose (not yet confirmed as damage), the interval
//! starts where that run began, not at the first flagged picture (an HEVC bit flip in a
//! mandelbrot zoom was reported 0.2 s late).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, keyed_every_5s, spreading_blocks};

/// 6 s of the smooth picture, key frames at 0 and 5 s. From picture `from` to the key frame, blocks of 16×16, 10 code values brighter, on the 8-pixel grid (one per block row at
/// first, one more every 4 pictures, up to 6); from picture `flagged` to that key frame the
/// decoder flags the pictures concealed. `b_refs`: whether every picture may be a reference
/// (H.264, HEVC; not MPEG-2).
fn stream(from: Option<usize>, flagged: usize, b_refs: bool) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| {
        let picture = frame(i, move |x, y| spreading_blocks(x, y, i, from));
        keyed_every_5s(picture, i, flagged, b_refs)
    })
}

fn intervals(from: Option<usize>, flagged: usize, b_refs: bool) -> Vec<(f64, f64)> {
    let cfg = CorruptionConfig {
        grid_steps: false,
        ..CorruptionConfig::default()
    };
    corruption_intervals(&cfg, stream(from, flagged, b_refs))
}

#[test]
fn decoder_damage_flagged_after_the_picture_rose_starts_where_it_rose() {
    // The blocks from 3 s (picture 75); the decoder flags them from 3.28 s (picture 82).
    let found = intervals(Some(75), 82, true);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.02 && (e - 5.0).abs() < 0.02, "{s}..{e}");
}

#[test]
fn decoder_damage_on_a_clean_picture_starts_at_its_first_flag() {
    let found = intervals(None, 82, true);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!(
        (s - 3.28).abs() < 1e-6 && (e - 5.0).abs() < 0.02,
        "{s}..{e}"
    );
}

#[test]
fn in_mpeg2_decoder_damage_starts_at_its_first_flag() {
    // An MPEG-2 decoder flags damage at once: what rose before is the content's own.
    let found = intervals(Some(75), 82, false);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!(
        (s - 3.28).abs() < 1e-6 && (e - 5.0).abs() < 0.02,
        "{s}..{e}"
    );
}
