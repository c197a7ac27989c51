//! MPEG-2 picture numbering followed through losses.

use super::mpeg2::PictureOrder;
use super::Verdict;

/// A packet: an optional GOP header, then a picture header numbered `tr` of coding type
/// `kind` ('I', 'P' or 'B'), then a slice.
fn packet(gop: bool, tr: u16, kind: char) -> Vec<u8> {
    let mut p = Vec::new();
    if gop {
        p.extend_from_slice(&[0, 0, 1, 0xb8, 0x08, 0x00, 0x08, 0x00]);
    }
    let t = match kind {
        'I' => 1u16,
        'P' => 2,
        _ => 3,
    };
    // temporal_reference (10 bits), picture_coding_type (3), vbv_delay (first 3 bits).
    let bits = (tr << 6) | (t << 3);
    p.extend_from_slice(&[0, 0, 1, 0, (bits >> 8) as u8, bits as u8, 0xff, 0xf8]);
    p.extend_from_slice(&[0, 0, 1, 1, 0x12, 0x34, 0x56]);
    p
}

/// Reads a sequence of pictures ("g" before a picture: a GOP header), returning each `lost`.
fn follow(order: &mut PictureOrder, pics: &[&str]) -> Vec<Option<bool>> {
    pics.iter()
        .map(|p| {
            let gop = p.starts_with('g');
            let p = p.trim_start_matches('g');
            let kind = p.chars().next().unwrap();
            let tr: u16 = p[1..].parse().unwrap();
            order.read(&packet(gop, tr, kind)).lost
        })
        .collect()
}

/// An open GOP of M = 3, in decode order.
const GOP: [&str; 9] = ["gI2", "B0", "B1", "P5", "B3", "B4", "P8", "B6", "B7"];

fn warmed() -> PictureOrder {
    let mut o = PictureOrder::new();
    let lost = follow(&mut o, &GOP);
    assert_eq!(lost[0], None, "a GOP header starts the numbering again");
    assert!(lost[1..].iter().all(|l| *l == Some(false)), "{lost:?}");
    o
}

#[test]
fn b_pictures_lost_mid_run_took_no_anchor() {
    // M = 4; B9 lost between B8 and B10.
    let mut o = PictureOrder::new();
    let pics = [
        "gI3", "B0", "B1", "B2", "P7", "B4", "B5", "B6", "P11", "B8", "B10", "P15",
    ];
    let lost = follow(&mut o, &pics);
    assert!(lost[1..].iter().all(|l| *l == Some(false)), "{lost:?}");
    // The first B-picture of a run lost: the run's span is the stream's.
    let mut o = warmed();
    assert_eq!(follow(&mut o, &["P11", "B10", "P14"]), [Some(false); 3]);
}

#[test]
fn b_pictures_lost_at_the_end_of_a_run_took_no_anchor() {
    let mut o = warmed();
    // B10 lost: the next anchor comes early.
    assert_eq!(
        follow(&mut o, &["P11", "B9", "P14", "B12", "B13"]),
        [Some(false); 5]
    );
}

#[test]
fn a_run_lost_whole_with_the_usual_span_took_no_anchor() {
    let mut o = warmed();
    // B9 and B10 lost: the span 8 -> 11 is the stream's.
    assert_eq!(follow(&mut o, &["P11", "P14", "B12"]), [Some(false); 3]);
}

#[test]
fn an_anchor_lost_is_seen_on_the_b_pictures_after() {
    let mut o = warmed();
    // P11 and its B-pictures lost: the B-pictures after P14 start at 12, not 9.
    let lost = follow(&mut o, &["P14", "B12"]);
    assert_eq!(lost, [Some(false), Some(true)]);
    let mut o = warmed();
    // P11 lost alone: its B-pictures are numbered past the last anchor.
    assert_eq!(follow(&mut o, &["B9"]), [Some(true)]);
    assert_eq!(
        o.read(&packet(false, 10, 'B')).verdict,
        None,
        "waits for a GOP"
    );
    assert_eq!(follow(&mut o, &["gI2", "B0"]), [None, Some(false)]);
}

#[test]
fn an_anchor_lost_is_a_spread_verdict() {
    let mut o = warmed();
    let f = o.read(&packet(false, 9, 'B'));
    assert_eq!((f.lost, f.verdict), (Some(true), Some(Verdict::Spread)));
}

#[test]
fn a_lost_p_picture_without_b_pictures_is_an_anchor_lost() {
    let mut o = PictureOrder::new();
    let lost = follow(&mut o, &["gI0", "P1", "P2", "P3", "P5", "P6"]);
    // P4 lost: P5's run (4) has no B-picture and a span of 2 where the stream keeps 1.
    assert_eq!(lost[1..5], [Some(false); 4]);
    assert_eq!(lost[5], Some(true));
}

#[test]
fn second_fields_and_garbage_are_no_loss() {
    let mut o = warmed();
    assert_eq!(follow(&mut o, &["P11", "P11", "B9"]), [Some(false); 3]);
    for junk in [
        &b""[..],
        &[0, 0, 1],
        &[0, 0, 1, 0, 0xff],
        &[0, 0, 1, 1, 0, 0, 1, 0, 0, 8],
    ] {
        assert_eq!(o.read(junk).lost, None);
    }
    // A D-picture (coding type 4) is not followed.
    assert_eq!(o.read(&[0, 0, 1, 0, 0x02, 0x60, 0xff]).lost, None);
}

#[test]
fn b_pictures_are_read_as_never_references() {
    let mut o = PictureOrder::new();
    let never: Vec<bool> = ["gI2", "B0", "B1", "P5", "B3", "B4", "P8"]
        .iter()
        .map(|p| {
            let gop = p.starts_with('g');
            let p = p.trim_start_matches('g');
            let tr: u16 = p[1..].parse().unwrap();
            o.read(&packet(gop, tr, p.chars().next().unwrap()))
                .never_ref
        })
        .collect();
    assert_eq!(never, [false, true, true, false, true, true, false]);
    // Even a B-picture that shows its anchor lost is never a reference itself.
    let f = o.read(&packet(false, 12, 'B'));
    assert_eq!((f.lost, f.never_ref), (Some(true), true));
    // A packet whose picture header was lost (a slice first) says nothing.
    assert!(!o.read(&[0, 0, 1, 1, 0x12, 0x34]).never_ref);
}
