//! A loss the headers after it show took no reference picture at all (`unreferenced_loss`
//! after the `non_reference_loss` of its mark): the demuxer's mark landed on the packet decoded
//! just before the pictures lost (FFmpeg's parser holds one back), so the marked picture is
//! intact when the decoder says nothing of it, and the damage is the lost pictures' display
//! slots alone. Synthetic HEVC-like pictures (B-pictures may be references).

mod common;

use avqc::{DecoderNotice, FrameFlags, Media, NoticeKind};
use common::gop::{corruption_intervals, one_interval, picture, t, STEP};

fn notice(i: usize, kind: NoticeKind) -> Media {
    Media::Notice(DecoderNotice::new(t(i), Some(0), kind))
}

/// Pictures 0..80 (I every 12, P every 3) but `missing`; anchor 30 came from the packet the
/// demuxer marked, decoded before B 28 and 29 (its mark comes before B 28 is shown), and
/// `confirm` comes before B 29 is shown.
fn stream(missing: &[usize], confirm: Vec<Media>) -> Vec<Media> {
    marked_stream(30, missing, confirm)
}

/// Pictures 0..80 but `missing`; picture `mark` came from the packet the demuxer marked,
/// decoded before the two B-pictures shown just before it: the mark comes before the first of
/// them is shown, `confirm` before the second.
fn marked_stream(mark: usize, missing: &[usize], confirm: Vec<Media>) -> Vec<Media> {
    let mut v = Vec::new();
    for i in 0..80 {
        if i == mark - 2 {
            v.push(notice(mark, NoticeKind::CorruptPacket));
        } else if i == mark - 1 {
            v.extend(confirm.iter().cloned());
        }
        if missing.contains(&i) {
            continue;
        }
        let flags = if i == mark {
            FrameFlags::DAMAGED_INPUT
        } else {
            FrameFlags::NONE
        };
        v.push(picture(i, flags, Some(true)));
    }
    v
}

fn unreferenced() -> Vec<Media> {
    vec![
        notice(30, NoticeKind::NonReferenceLoss),
        notice(30, NoticeKind::UnreferencedLoss),
    ]
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn the_lost_picture_is_the_damage_and_the_marked_anchor_is_intact() {
    one_interval(&stream(&[28], unreferenced()), 28, 29);
}

#[test]
fn a_loss_only_confined_reaches_the_marked_anchor() {
    // Reference pictures lost that only B-pictures before the next anchor predicted from:
    // no `unreferenced_loss`, the damage runs from the lost picture through the anchor.
    let confined = vec![notice(30, NoticeKind::NonReferenceLoss)];
    one_interval(&stream(&[28], confined), 28, 31);
}

#[test]
fn an_anchor_the_decoder_complains_of_is_damage() {
    let mut confirm = unreferenced();
    confirm.push(notice(
        30,
        NoticeKind::DecodeError {
            message: "error while decoding CTU".into(),
        },
    ));
    let found = corruption_intervals("corruption", &stream(&[28], confirm));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(near(found[0].0, 28.0 * STEP), "{found:?}");
    assert!(found[0].1 > 30.0 * STEP, "{found:?}");
}

#[test]
fn a_confirmation_of_another_mark_does_not_count() {
    let other = vec![
        notice(27, NoticeKind::NonReferenceLoss),
        notice(27, NoticeKind::UnreferencedLoss),
    ];
    let found = corruption_intervals("corruption", &stream(&[28], other));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1 > 30.0 * STEP, "{found:?}");
}

#[test]
fn pictures_lost_right_after_the_marked_anchor_are_damage_too() {
    one_interval(&stream(&[31], unreferenced()), 31, 32);
}

/// Pictures 0..80 with key frame 36 from the packet the demuxer marked, decoded before its
/// leading B-pictures 34 and 35 (shown before it): the mark comes before B 34 is shown,
/// `confirm` before B 35.
fn key_stream(confirm: Vec<Media>) -> Vec<Media> {
    marked_stream(36, &[], confirm)
}

#[test]
fn a_marked_key_frame_is_intact_and_its_leading_pictures_are_the_damage() {
    let confirm = vec![
        notice(36, NoticeKind::NonReferenceLoss),
        notice(36, NoticeKind::UnreferencedLoss),
    ];
    one_interval(&key_stream(confirm), 34, 36);
}

#[test]
fn a_marked_key_frame_without_the_confirmation_is_damage() {
    let confirm = vec![notice(36, NoticeKind::NonReferenceLoss)];
    let found = corruption_intervals("corruption", &key_stream(confirm));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(near(found[0].0, 34.0 * STEP), "{found:?}");
    assert!(found[0].1 > 36.0 * STEP, "{found:?}");
}
