//! `corruption`: damage in part of a picture that is otherwise still. A graphic with a small
//! moving inset, where a decoder's wrong blocks fill a band of the picture: the measure reads
//! one band of rows in four per picture, and the pictures that read only still rows are held
//! pictures. They neither count nor end the run of damaged pictures (HEVC bit flips on a
//! talk-show graphic: a band of wrong blocks on a dark background, no decoder notice).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth};

/// Picture `i`: a still graphic (the first picture's gradient), with bars moving across rows
/// 2..30 and, over pictures `damaged`, moving blocks of 16×16 in rows 32..48 and 96..112.
/// Of the four phases (bands 0, 4, 8 / 1, 5, 9 / 2, 6, 10 / 3, 7, 11) the last reads only
/// still rows.
fn picture(i: usize, damaged: &std::ops::Range<usize>) -> Media {
    let bad = damaged.contains(&i);
    frame(i, move |x, y| {
        if (2..30).contains(&y) && (x + 3 * i) % 64 < 21 {
            smooth(x, y, 0) + 40
        } else if bad && ((32..48).contains(&y) || (96..112).contains(&y)) {
            let v = smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i) as i32 + (x / 16 % 3) as i32 * 9;
            v.min(250) as u8
        } else {
            smooth(x, y, 0)
        }
    })
}

fn intervals(damaged: std::ops::Range<usize>) -> Vec<(f64, f64)> {
    let frames = (0..175).map(move |i| picture(i, &damaged));
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn damage_in_bands_of_a_still_graphic_is_damage() {
    // 3 s clean; 2 s with the bands of wrong blocks; 2 s clean: one interval over them.
    let found = intervals(75..125);
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.1 && e > 4.9 && e < 5.3, "{s}..{e}");
}

#[test]
fn the_still_graphic_with_its_inset_is_not_damage() {
    assert_eq!(intervals(0..0), vec![]);
}
