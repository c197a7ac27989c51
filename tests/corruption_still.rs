//! `corruption`: a held picture brings no new evidence. An encoder that codes a frozen
//! picture again and again can leave it blockier than the stream (x265 on a picture repeated
//! upstream): the same picture held is not damage. Damage confirmed while the picture moved
//! is held while the picture stays still.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, smooth};

/// `smooth` of picture `i` flattened to 16x16 blocks (steps on the 8- and the 16-pixel grid).
fn blocks16(x: usize, y: usize, i: usize) -> u8 {
    let v = smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i) as i32;
    ((v / 6) * 6) as u8
}

/// Pictures 0..175 (7 s): moving, but for `blocky` (moving in blocks) and `held` (picture
/// `held.start`'s content in blocks, again and again).
fn pictures(
    blocky: std::ops::Range<usize>,
    held: std::ops::Range<usize>,
) -> impl Iterator<Item = Media> {
    (0..175).map(move |i| {
        if blocky.contains(&i) {
            frame(i, |x, y| blocks16(x, y, i))
        } else if held.contains(&i) {
            let h = held.start;
            frame(i, move |x, y| blocks16(x, y, h))
        } else {
            frame(i, |x, y| smooth(x, y, i))
        }
    })
}

fn intervals(frames: impl Iterator<Item = Media>) -> Vec<(f64, f64)> {
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn a_blocky_picture_held_is_not_damage() {
    // 3 s moving; the picture freezes, coded in 16x16 blocks, for 2 s; 2 s moving. Its first
    // pictures (against readings from before the hold) are under `min_duration`: nothing.
    let found = intervals(pictures(0..0, 75..125));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn damage_confirmed_on_moving_pictures_holds_while_the_picture_is_held() {
    // 3 s moving; 0.6 s moving in blocks (damage, confirmed); its last picture held for
    // 1.4 s; 2 s moving: one interval over the damage and the hold.
    let found = intervals(pictures(75..90, 90..125));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.05, "{s}..{e}");
    assert!(e > 4.95 && e < 5.2, "{s}..{e}");
}

#[test]
fn damage_on_moving_pictures_is_still_damage() {
    // 3 s moving; 2 s moving in blocks; 2 s moving: one interval over the blocks.
    let found = intervals(pictures(75..125, 0..0));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.05 && e > 4.95 && e < 5.2, "{s}..{e}");
}
