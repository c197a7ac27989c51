//! A decode error the decoder traced to a picture no other picture is predicted from (an
//! MPEG-1/2 B-picture: a `non_reference_error` notice follows it) is damage of that picture's
//! own slot: when the decoder gave up on the picture (nothing shown for it) the damage ends at
//! the next picture, instead of being held to the key frame as an error that may have hit an
//! anchor is. Synthetic MPEG-2-like pictures (B-pictures never references).

mod common;

use avqc::{DecoderNotice, FrameFlags, Media, NoticeKind};
use common::gop::{corruption_intervals, one_interval, picture, t, STEP};

fn notice(i: usize, kind: NoticeKind) -> Media {
    Media::Notice(DecoderNotice::new(t(i), Some(0), kind))
}

fn decode_error(i: usize) -> Media {
    notice(
        i,
        NoticeKind::DecodeError {
            message: "slice too small".into(),
        },
    )
}

/// Pictures 0..80 (I every 12, P every 3), B 29 not shown. As on a live reception: the
/// demuxer's mark landed on B 28 (decoded clean, the parser holds one packet back), the
/// decoder's error on B 29 comes with `at_29` before anchor 30 is shown, and the loss is
/// confirmed (no anchor lost) after it.
fn stream(at_29: Vec<Media>) -> Vec<Media> {
    let mut v = Vec::new();
    for i in 0..80 {
        match i {
            28 => v.push(notice(28, NoticeKind::CorruptPacket)),
            29 => {
                v.extend(at_29.iter().cloned());
                continue;
            }
            31 => v.push(notice(28, NoticeKind::NonReferenceLoss)),
            _ => {}
        }
        let flags = if i == 28 {
            FrameFlags::DAMAGED_INPUT
        } else {
            FrameFlags::NONE
        };
        v.push(picture(i, flags, Some(false)));
    }
    v
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn a_b_picture_the_decoder_gave_up_on_is_damage_of_its_slot() {
    let media = stream(vec![
        decode_error(29),
        notice(29, NoticeKind::NonReferenceError),
    ]);
    one_interval(&media, 29, 30);
}

#[test]
fn without_the_notice_the_error_may_have_hit_an_anchor_and_is_held() {
    let media = stream(vec![decode_error(29)]);
    one_interval(&media, 29, 36);
}

#[test]
fn a_notice_about_another_error_does_not_count() {
    let media = stream(vec![
        decode_error(29),
        notice(27, NoticeKind::NonReferenceError),
    ]);
    one_interval(&media, 29, 36);
    // Two errors, one of them of a B-picture: the other may be an anchor's.
    let media = stream(vec![
        decode_error(29),
        notice(29, NoticeKind::NonReferenceError),
        decode_error(30),
    ]);
    one_interval(&media, 29, 36);
}

#[test]
fn an_anchor_lost_with_it_holds_the_damage() {
    let media = stream(vec![
        decode_error(29),
        notice(29, NoticeKind::NonReferenceError),
        notice(28, NoticeKind::ReferenceLoss),
    ]);
    let found = corruption_intervals("corruption", &media);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(near(found[0].1, 36.0 * STEP), "{found:?}");
}

#[test]
fn a_shown_b_picture_the_decoder_complained_of_is_damage_until_the_next_anchor() {
    // The decoder concealed B 29 (and flagged it): damage seen on a B-picture alone.
    let mut media = Vec::new();
    for i in 0..80 {
        if i == 29 {
            media.push(decode_error(29));
            media.push(notice(29, NoticeKind::NonReferenceError));
        }
        let flags = if i == 29 {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        };
        media.push(picture(i, flags, Some(false)));
    }
    one_interval(&media, 29, 30);
}
