//! `corruption` and `decode_errors` place decoder-reported damage in display order: pictures
//! come out in display order, notices in decode order.

mod common;

use avqc::{DecoderNotice, FrameFlags, Media, NoticeKind};
use common::gop::{corruption_intervals, picture, t, STEP};

fn notice(i: usize) -> Media {
    Media::Notice(DecoderNotice::new(
        t(i),
        Some(0),
        NoticeKind::DecodeError {
            message: "error while decoding MB".into(),
        },
    ))
}

fn run(kind: &str, media: Vec<Media>) -> Vec<(f64, f64)> {
    corruption_intervals(kind, &media)
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Asserts that `found` holds exactly the intervals from picture `a` to picture `b` of `want`.
fn assert_pictures(found: &[(f64, f64)], want: &[(usize, usize)]) {
    assert_eq!(found.len(), want.len(), "{found:?}");
    for (f, &(a, b)) in found.iter().zip(want) {
        assert!(
            near(f.0, a as f64 * STEP) && near(f.1, b as f64 * STEP),
            "{found:?}"
        );
    }
}

/// Pictures 0..80 in display order; `before(i)` items are handed in just before picture `i`.
fn stream(flags: impl Fn(usize) -> FrameFlags, before: impl Fn(usize) -> Vec<Media>) -> Vec<Media> {
    (0..80)
        .flat_map(|i| {
            let mut v = before(i);
            v.push(picture(i, flags(i), None));
            v
        })
        .collect()
}

#[test]
fn damage_of_an_anchor_starts_at_the_b_pictures_shown_before_it() {
    // P-picture 30 is damaged. In decode order it comes before B 28 and 29, which are shown
    // before it and predicted from it: its notice arrives before picture 28 (after anchor 27
    // was shown). Damage is on screen from 28 until the clean key frame 36.
    let concealed = |i| {
        if i == 30 {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        }
    };
    let media = stream(
        concealed,
        |i| if i == 28 { vec![notice(30)] } else { vec![] },
    );
    for kind in ["corruption", "decode_errors"] {
        let found = run(kind, media.clone());
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        assert!(near(found[0].0, 28.0 * STEP), "{kind}: {found:?}");
        assert!(near(found[0].1, 36.0 * STEP), "{kind}: {found:?}");
    }
}

#[test]
fn pictures_delayed_by_the_decoder_before_the_last_anchor_are_not_damaged() {
    // A decoder with output delay hands out B 25, 26 and anchor 27 after the notice about
    // picture 30: they were decoded before it. The damage starts at B 28, after that anchor.
    let media = stream(
        |_| FrameFlags::NONE,
        |i| if i == 25 { vec![notice(30)] } else { vec![] },
    );
    let found = run("corruption", media);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(near(found[0].0, 28.0 * STEP), "{found:?}");
    assert!(near(found[0].1, 36.0 * STEP), "{found:?}");
}

/// `stream` without the pictures in `missing` (lost whole, never shown).
fn stream_missing(
    missing: &[usize],
    flags: impl Fn(usize) -> FrameFlags,
    before: impl Fn(usize) -> Vec<Media>,
) -> Vec<Media> {
    (0..80)
        .flat_map(|i| {
            let mut v = before(i);
            if !missing.contains(&i) {
                v.push(picture(i, flags(i), None));
            }
            v
        })
        .collect()
}

#[test]
fn b_pictures_lost_before_a_damaged_anchor_start_the_damage() {
    // Anchor 30 is marked damaged; B 28, shown right after anchor 27 and decoded after 30, never
    // arrived (lost with it); B 29 is shown. The damage starts where B 28 was due, not at B 29.
    // Without B 29 (both lost) it starts there too.
    let marked = |i| {
        if i == 30 {
            FrameFlags::DAMAGED_INPUT
        } else {
            FrameFlags::NONE
        }
    };
    let corrupt = |i| {
        if i == 28 {
            vec![Media::Notice(DecoderNotice::new(
                t(30),
                Some(0),
                NoticeKind::CorruptPacket,
            ))]
        } else {
            vec![]
        }
    };
    for missing in [&[28][..], &[28, 29][..]] {
        let media = stream_missing(missing, marked, corrupt);
        for kind in ["corruption", "decode_errors"] {
            let found = run(kind, media.clone());
            assert_eq!(found.len(), 1, "{kind} {missing:?}: {found:?}");
            assert!(
                near(found[0].0, 28.0 * STEP),
                "{kind} {missing:?}: {found:?}"
            );
            assert!(
                near(found[0].1, 36.0 * STEP),
                "{kind} {missing:?}: {found:?}"
            );
        }
    }
}

/// Two anchors damaged, P 9 and P `second`, each reported before the B-pictures shown before
/// it; each episode lasts to the next clean key frame.
fn two_episodes(second: usize) -> Vec<Media> {
    let concealed = move |i| {
        if i == 9 || i == second {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        }
    };
    stream(concealed, move |i| {
        if i == 7 {
            vec![notice(9)]
        } else if i == second - 2 {
            vec![notice(second)]
        } else {
            vec![]
        }
    })
}

#[test]
fn decoder_damage_more_than_merge_gap_apart_is_two_intervals() {
    // 7..12 and 28..36: 0.64 s apart, over `merge_gap` (0.5 s).
    assert_pictures(&run("corruption", two_episodes(30)), &[(7, 12), (28, 36)]);
}

#[test]
fn decoder_damage_within_merge_gap_is_one_interval() {
    // 7..12 and 19..24: 0.28 s apart.
    assert_pictures(&run("corruption", two_episodes(21)), &[(7, 24)]);
}

#[test]
fn damage_reported_on_its_own_picture_more_than_merge_gap_apart_is_two_intervals() {
    // P 9 and P 30 damaged, each reported just before it is shown (nothing shown before it
    // predicts from it): 9..12 and 30..36, 0.72 s apart, over `merge_gap` (0.5 s) but within
    // the 0.8 s the interval is held open for content damage.
    let concealed = |i| {
        if i == 9 || i == 30 {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        }
    };
    let media = stream(concealed, |i| {
        if i == 9 || i == 30 {
            vec![notice(i)]
        } else {
            vec![]
        }
    });
    assert_pictures(&run("corruption", media), &[(9, 12), (30, 36)]);
}
