//! `corruption`: damage whose strong pictures are not consecutive (HEVC bit flips: the
//! pictures carrying the most damaged blocks show strong, those between them weaker).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::{DetectorConfig, Events, Media, MediaTime};
use common::pictures::{frame, smooth, W};

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
    let mut det = cfg.build("c").unwrap();
    let mut out = Events::new("test", "c");
    let mut found = Vec::new();
    let mut last = MediaTime::ZERO;
    let take = |out: &mut Events, found: &mut Vec<(f64, f64)>| {
        for e in out.drain() {
            if let Some(d) = e.as_defect() {
                if let Some(end) = d.end {
                    found.push((d.start.as_secs_f64(), end.as_secs_f64()));
                }
            }
        }
    };
    for m in frames {
        if let Media::Video(f) = &m {
            last = f.time();
        }
        det.process(&m, &mut out);
        take(&mut out, &mut found);
    }
    det.finish(last.add_secs(0.04), &mut out);
    take(&mut out, &mut found);
    found
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
