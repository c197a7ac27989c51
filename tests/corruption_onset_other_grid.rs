//! `corruption`: where a rise of the blockiness index began, when the damage steps on the
//! 8-pixel grid half-way between the lines of the 16-pixel one. Its blocks raise the 8-pixel
//! index and lower the 16-pixel one (their edges fall between the 16-pixel lines); the
//! measure reads one band of rows in four per picture, so the first damaged picture moves the
//! index by its own bands only and the rise shows past the thresholds a few pictures later.
//! The episode starts at the first damaged picture, though the 16-pixel index fell on it (an
//! HEVC bit flip whose wrong blocks showed on the 8-pixel grid alone was reported one picture
//! late).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, spreading_blocks};

/// 6 s of the smooth picture. From picture `from` (to 5 s) blocks of 16×16, 10 code values
/// brighter, whose edges lie on the 8-pixel grid half-way between the 16-pixel lines (x and y
/// at 8 modulo 16): one per block row at first, one more every 4 pictures (up to 6).
fn damaged(from: Option<usize>) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| frame(i, move |x, y| spreading_blocks(x, y, i, from)))
}

/// Without grid steps: the episode is confirmed by the index alone, from where its rise began.
fn intervals(from: Option<usize>) -> Vec<(f64, f64)> {
    let cfg = CorruptionConfig {
        grid_steps: false,
        ..CorruptionConfig::default()
    };
    corruption_intervals(&cfg, damaged(from))
}

#[test]
fn the_episode_starts_on_the_first_damaged_picture_though_the_16_pixel_index_fell() {
    let found = intervals(Some(75));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    // The damage began at 3 s (picture 75); one picture later is 3.04 s.
    assert!((s - 3.0).abs() < 0.02 && e > 4.9 && e < 5.3, "{s}..{e}");
}

#[test]
fn the_clean_picture_is_not_damage() {
    assert_eq!(intervals(None), vec![]);
}
