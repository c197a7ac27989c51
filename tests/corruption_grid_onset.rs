//! `corruption`: decoder damage flagged after its wrong blocks had begun to step on the block
//! grid. A decoder may notice an HEVC bit flip only some pictures after the blocks it wrote
//! wrong began to spread; when its damage comes on screen during a run of pictures whose sharp
//! grid steps rose (see `steps`), not yet confirmed as damage, the interval starts where that
//! run began (realeval seed 18 at 1280×720: the grid steps rose from 6.72 s, the decoder
//! flagged from 6.92 s, the damage began at 6.62 s), as it does after a run of pictures whose
//! blockiness index rose.

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::Media;
use common::pictures::{corruption_intervals, frame, keyed_every_5s, W};

/// Whether (x, y) lies in one of 2 blocks of 16×16 on grid points of the left half (too few
/// for the blockiness index of the whole picture to rise).
fn in_block(x: usize, y: usize) -> bool {
    (0..2).any(|k| {
        let (bx, by) = (32 + 48 * k, 64);
        (bx..bx + 16).contains(&x) && (by..by + 16).contains(&y)
    })
}

/// 6 s of a smooth ramp, slowly moving, on the left half and noise on the right, key frames at
/// 0 and 5 s; from 3 s (picture 75) to the key frame the blocks are 40 code values brighter,
/// and from picture `flagged` the decoder flags the pictures concealed. `b_refs`: whether
/// every picture may be a reference (H.264, HEVC; not MPEG-2).
fn stream(flagged: usize, b_refs: bool) -> impl Iterator<Item = Media> {
    (0..150).map(move |i| {
        let picture = frame(i, |x, y| {
            if x >= W / 2 {
                let h = (x * 7919 + y * 104_729 + i * 31).wrapping_mul(2_654_435_761) >> 16;
                return 100 + (h % 60) as u8;
            }
            let v = (60 + x / 4 + y / 4 + (i / 5) % 3) as u8;
            if (75..125).contains(&i) && in_block(x, y) {
                v.saturating_add(40)
            } else {
                v
            }
        });
        keyed_every_5s(picture, i, flagged, b_refs)
    })
}

#[test]
fn decoder_damage_flagged_during_a_run_of_grid_steps_starts_where_the_run_began() {
    // The blocks from 3 s; the decoder flags them from 3.2 s (picture 80), before the grid
    // steps are confirmed as damage (0.6 s).
    let found = corruption_intervals(&CorruptionConfig::default(), stream(80, true));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.0).abs() < 0.02 && (e - 5.0).abs() < 0.02, "{s}..{e}");
}

#[test]
fn in_mpeg2_it_starts_at_the_first_flag() {
    // An MPEG-2 decoder flags damage at once: what rose before is the content's own.
    let found = corruption_intervals(&CorruptionConfig::default(), stream(80, false));
    assert_eq!(found.len(), 1, "{found:?}");
    let (s, e) = found[0];
    assert!((s - 3.2).abs() < 1e-6 && (e - 5.0).abs() < 0.02, "{s}..{e}");
}
