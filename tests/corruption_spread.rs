//! `corruption`: damage whose strong pictures are not consecutive (HEVC bit flips: the
//! pictures carrying the most damaged blocks show strong, those between them weaker).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth, W};

/// `smooth` flattened to 16x16 blocks (steps on the 8- and the 16-pixel grid) left of `x1`.
fn blocks16(x: usize, y: usize, i: usize, x1: usize) -> u8 {
    if x < x1 {
        let v = smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i) as i32;
        ((v / 6) * 6) as u8
    } else {
        smooth(x, y, i)
    }
}

/// `video_corruption` intervals (start, end) over `frames`, every picture measured whole
/// (`band_phases` 1: a picture's verdict is its own, not shared with the pictures after it).
fn intervals(frames: impl Iterator<Item = Media>) -> Vec<(f64, f64)> {
    let cfg = CorruptionConfig {
        band_phases: 1,
        ..Default::default()
    };
    corruption_intervals(&cfg, frames)
}

/// Pictures 75..100 damaged: every other one strongly (half the picture in 16x16 blocks),
/// the others weakly (a sixteenth of it: a rise under the thresholds, over half of them).
fn alternating(i: usize) -> Media {
    match i {
        75..=99 if i.is_multiple_of(2) => frame(i, |x, y| blocks16(x, y, i, W / 2)),
        75..=99 => frame(i, |x, y| blocks16(x, y, i, W / 16)),
        _ => frame(i, |x, y| smooth(x, y, i)),
    }
}

#[test]
fn strong_pictures_apart_in_a_lasting_rise_are_damage() {
    let found = intervals((0..150).map(alternating));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.1, "{s}..{e}");
    assert!(e > 3.9 && e < 4.2, "{s}..{e}");
}

#[test]
fn strong_pictures_apart_in_a_short_rise_are_not_damage() {
    // The same, for 5 pictures (0.2 s, under `min_duration`): nothing.
    let found = intervals((0..150).map(|i| {
        if (75..80).contains(&i) {
            alternating(i)
        } else {
            frame(i, |x, y| smooth(x, y, i))
        }
    }));
    assert!(found.is_empty(), "{found:?}");
}
