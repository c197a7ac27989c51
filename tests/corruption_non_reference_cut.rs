//! Losses found inside pictures no other picture is predicted from (`non_reference_cut`
//! before the `non_reference_loss` of their mark; HEVC: sub-layer non-reference pictures cut
//! short): damage seen only on such pictures ends at the next anchor picture. Synthetic
//! HEVC-like pictures (B-pictures may be references; I every 12, P every 3).

mod common;

use avqc::{DecoderNotice, FrameFlags, Media, NoticeKind};
use common::gop::{corruption_intervals, one_interval, picture, t, STEP};

fn notice(i: usize, kind: NoticeKind) -> Media {
    Media::Notice(DecoderNotice::new(t(i), Some(0), kind))
}

/// Pictures 0..80; `notices` come just before picture `at` is shown; `flagged` pictures
/// carry their flags.
fn stream(at: usize, notices: Vec<Media>, flagged: &[(usize, FrameFlags)]) -> Vec<Media> {
    let mut v = Vec::new();
    for i in 0..80 {
        if i == at {
            v.extend(notices.iter().cloned());
        }
        let flags = flagged
            .iter()
            .find(|(k, _)| *k == i)
            .map_or(FrameFlags::NONE, |(_, f)| *f);
        v.push(picture(i, flags, Some(true)));
    }
    v
}

const CUT: FrameFlags = FrameFlags::DAMAGED_INPUT;

fn cut_non_ref() -> FrameFlags {
    FrameFlags::DAMAGED_INPUT | FrameFlags::NON_REFERENCE
}

/// Picture `i` cut short, found (`found`) and confirmed.
fn own_loss(i: usize, found: bool) -> Vec<Media> {
    let mut v = vec![notice(i, NoticeKind::CorruptPacket)];
    if found {
        v.push(notice(i, NoticeKind::NonReferenceCut));
    }
    v.push(notice(i, NoticeKind::NonReferenceLoss));
    v
}

#[test]
fn a_picture_nothing_predicts_from_cut_short_ends_at_the_next_anchor() {
    one_interval(
        &stream(28, own_loss(28, true), &[(28, cut_non_ref())]),
        28,
        30,
    );
}

#[test]
fn a_loss_confirmed_but_not_found_is_held_to_the_key_frame() {
    // No header showed where the bytes were lost: a reference may be damaged unflagged.
    one_interval(
        &stream(28, own_loss(28, false), &[(28, cut_non_ref())]),
        28,
        36,
    );
}

#[test]
fn a_b_reference_marked_for_a_loss_found_after_it_is_intact() {
    // Decode order: B-reference 29 (marked for the loss in 28), B 28 (cut short, found),
    // later B 32 (cut short, found), all confirmed before 29 is shown (frame threads).
    let mut n = vec![notice(29, NoticeKind::CorruptPacket)];
    n.push(notice(29, NoticeKind::NonReferenceCut));
    n.push(notice(29, NoticeKind::NonReferenceLoss));
    n.push(notice(29, NoticeKind::UnreferencedLoss));
    n.extend(own_loss(28, true));
    n.extend(own_loss(32, true));
    let flagged = [(28, cut_non_ref()), (29, CUT), (32, cut_non_ref())];
    let found = corruption_intervals("corruption", &stream(28, n, &flagged));
    assert!(!found.is_empty());
    for r in &found {
        assert!(
            r.1 <= 33.0 * STEP + 1e-6,
            "held past the next anchors: {found:?}"
        );
    }
}
