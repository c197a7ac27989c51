//! Losses in a B-pyramid as x264 codes it with one reference: each B-picture kept as a
//! reference is used by the B-pictures around it, skipped by the next P-picture (a list
//! modification) and dropped by the next B-reference (a marking operation).

use super::header::{Ops, RefUse, SliceKind, SliceStart};
use super::*;

const DUR: i64 = 3600;
const T0: i64 = 900_000;

/// One picture of the pyramid: display index, decode index, kind, reference, `frame_num`.
struct P {
    show: i64,
    decode: i64,
    kind: SliceKind,
    reference: bool,
    frame_num: u32,
}

fn ops(list: &[(u32, u32)]) -> Ops {
    let mut o = Ops::default();
    for &(c, v) in list {
        o.push(c, v).unwrap();
    }
    o
}

/// The pictures of `gops` mini-GOPs after an IDR picture: P at +4, B-reference at +2,
/// B-pictures at +1 and +3; decode order P, B-reference, B, B.
fn pyramid(gops: i64) -> Vec<P> {
    let mut v = vec![P {
        show: 0,
        decode: 0,
        kind: SliceKind::I,
        reference: true,
        frame_num: 0,
    }];
    let mut fnum = 1u32;
    for g in 0..gops {
        let base = 4 * g;
        let d = 1 + 4 * g;
        let p = |show, decode, kind, reference, frame_num| P {
            show,
            decode,
            kind,
            reference,
            frame_num,
        };
        v.push(p(base + 4, d, SliceKind::P, true, fnum));
        v.push(p(base + 2, d + 1, SliceKind::B, true, fnum + 1));
        v.push(p(base + 1, d + 2, SliceKind::B, false, fnum + 2));
        v.push(p(base + 3, d + 3, SliceKind::B, false, fnum + 2));
        fnum += 2;
    }
    v
}

/// The slice header x264 writes for `p` (`skip_bref`: P-pictures skip the B-reference).
fn header(p: &P, skip_bref: bool) -> SliceStart {
    let mut u = RefUse::default();
    match p.kind {
        SliceKind::P => {
            u.active = [1, 0];
            if skip_bref && p.frame_num > 1 {
                u.mods[0] = ops(&[(0, 1)]);
            }
        }
        SliceKind::B => u.active = [1, 1],
        SliceKind::I => {}
    }
    if p.kind == SliceKind::B && p.reference && p.frame_num > 2 {
        u.marking = Some(ops(&[(1, 1)])); // drops the previous B-reference
    }
    SliceStart {
        reference: p.reference,
        idr: p.show == 0,
        kind: p.kind,
        frame_num: p.frame_num,
        bits: 8,
        gaps_allowed: false,
        max_refs: 3,
        refs: Some(u),
    }
}

fn timing(p: &P) -> Option<Timing> {
    Some(Timing {
        pts: T0 + p.show * DUR,
        dts: T0 + (p.decode - 2) * DUR,
        duration: DUR,
    })
}

/// Follows the pyramid with the picture shown at `lost` missing; returns the verdicts and
/// whether some picture's marking dropped the lost frame.
fn run(lost: i64, skip_bref: bool) -> (Vec<Verdict>, bool) {
    let mut t = RefTracker::new();
    let mut verdicts = Vec::new();
    let mut dropped = false;
    for p in pyramid(5).iter().filter(|p| p.show != lost) {
        let f = t.follow(&header(p, skip_bref), timing(p));
        verdicts.extend(f.verdict);
        dropped |= f.drops_lost;
    }
    (verdicts, dropped)
}

#[test]
fn clean_pyramid_has_no_loss() {
    let mut t = RefTracker::new();
    for p in &pyramid(4) {
        let f = t.follow(&header(p, true), timing(p));
        assert_ne!(f.lost, Some(true), "picture shown at {}", p.show);
        assert_eq!(f.verdict, None);
        assert!(!f.drops_lost);
    }
}

#[test]
fn lost_b_reference_skipped_and_dropped_is_confined() {
    let (v, dropped) = run(6, true);
    assert_eq!(v, vec![Verdict::Confined]);
    assert!(
        dropped,
        "the next B-reference's marking names the lost frame"
    );
}

#[test]
fn lost_b_reference_the_next_p_predicts_from_spreads() {
    // Without the list modification the next P-picture's first reference is the lost frame.
    let (v, _) = run(6, false);
    assert_eq!(v, vec![Verdict::Spread]);
}

#[test]
fn lost_p_picture_spreads() {
    let (v, _) = run(8, true);
    assert_eq!(v, vec![Verdict::Spread]);
}

#[test]
fn second_loss_while_following_spreads() {
    let mut t = RefTracker::new();
    let mut verdicts = Vec::new();
    for p in pyramid(5).iter().filter(|p| p.show != 6 && p.show != 10) {
        verdicts.extend(t.follow(&header(p, true), timing(p)).verdict);
    }
    assert_eq!(verdicts.first(), Some(&Verdict::Spread));
}

#[test]
fn loss_without_timing_spreads() {
    let mut t = RefTracker::new();
    let mut verdicts = Vec::new();
    for (i, p) in pyramid(5).iter().filter(|p| p.show != 6).enumerate() {
        let timing = if i < 6 { timing(p) } else { None };
        verdicts.extend(t.follow(&header(p, true), timing).verdict);
    }
    assert_eq!(verdicts, vec![Verdict::Spread]);
}

#[test]
fn a_long_outage_is_one_loss() {
    // Three mini-GOPs lost: one jump, a verdict, then the pictures follow again.
    let mut t = RefTracker::new();
    let (mut jumps, mut verdicts) = (0, Vec::new());
    for p in pyramid(8).iter().filter(|p| !(5..=17).contains(&p.show)) {
        let f = t.follow(&header(p, true), timing(p));
        jumps += usize::from(f.lost == Some(true));
        verdicts.extend(f.verdict);
    }
    assert_eq!(jumps, 1);
    assert_eq!(verdicts, vec![Verdict::Spread]);
}

#[test]
fn a_b_picture_after_every_reference_swaps_its_second_list() {
    use super::dpb::{Dpb, Num, Ref};
    // References shown at 10 (lost) and 20, a B-picture at 30 with one reference per list:
    // list 0 is [20, 10]; list 1 would be the same, so its first two swap: [10, 20].
    let mut dpb = Dpb::default();
    let num = |frame_num| Num {
        frame_num,
        modulus: 256,
    };
    for (frame_num, pts, lost) in [(1, 10, true), (2, 20, false)] {
        let r = Ref {
            frame_num,
            pts,
            lost,
            tainted: false,
        };
        dpb.add(num(frame_num), None, 4, r);
    }
    let mut u = RefUse {
        active: [1, 1],
        ..RefUse::default()
    };
    assert_eq!(dpb.uses_damaged(num(3), SliceKind::B, 30, &u), Some(true));
    u.active = [1, 0];
    assert_eq!(dpb.uses_damaged(num(3), SliceKind::B, 30, &u), Some(false));
    // A P-picture's list goes by frame number: the later frame first.
    assert_eq!(dpb.uses_damaged(num(3), SliceKind::P, 30, &u), Some(false));
    u.mods[0] = ops(&[(0, 1)]); // picture number 3 - 2 = 1: the lost frame
    assert_eq!(dpb.uses_damaged(num(3), SliceKind::P, 30, &u), Some(true));
}

#[test]
fn a_reset_of_every_reference_restarts_frame_num() {
    // A P-picture with memory management operation 5: the next picture's `frame_num` 1
    // follows it (as 0), no jump.
    let mut t = RefTracker::new();
    let pics = pyramid(2);
    for p in &pics[..5] {
        t.follow(&header(p, true), timing(p));
    }
    let mut reset = header(&pics[5], true);
    if let Some(u) = reset.refs.as_mut() {
        u.reset = true;
    }
    assert_eq!(t.follow(&reset, timing(&pics[5])).lost, Some(false));
    let mut next = header(&pics[6], true);
    next.frame_num = 1;
    next.refs = Some(RefUse {
        active: [1, 1],
        ..RefUse::default()
    });
    assert_eq!(t.follow(&next, timing(&pics[6])).lost, Some(false));
}
