//! `corruption`: damage whose strong pictures are not consecutive (HEVC bit flips: the
//! pictures carrying the most damaged blocks show strong, those between them weaker).

use avqc::detect::video::CorruptionConfig;
use avqc::{DetectorConfig, Events, Media, MediaTime, PixelFormat, VideoFrame};

const W: usize = 320;
const H: usize = 192;

/// A smooth, slowly moving gradient with mild pixel noise (natural-looking, no grid).
fn smooth(x: usize, y: usize, i: usize) -> u8 {
    let n = ((x * 7919 + y * 104_729 + i * 31) % 5) as f64;
    (60.0 + 0.3 * x as f64 + 0.25 * y as f64 + (i as f64 * 0.7) + n).min(250.0) as u8
}

/// `smooth` flattened to 16x16 blocks (steps on the 8- and the 16-pixel grid) left of `x1`.
fn blocks16(x: usize, y: usize, i: usize, x1: usize) -> u8 {
    if x < x1 {
        let v = smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i) as i32;
        ((v / 6) * 6) as u8
    } else {
        smooth(x, y, i)
    }
}

fn frame(i: usize, f: impl Fn(usize, usize) -> u8) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    Media::Video(
        VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| {
            if p == 0 {
                f(x, y)
            } else {
                128
            }
        })
        .with_duration(Some(0.04)),
    )
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
