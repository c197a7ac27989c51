//! Whole pictures lost in transport: damage that took only non-reference pictures (a
//! `non_reference_loss` notice confirms the corrupt packet, pictures are missing from the
//! display, the decoder says nothing) ends at the next anchor; any other loss is held to the
//! key frame. Synthetic pictures first, then H.264 made with the ffmpeg CLI with whole PES
//! packets cut out of the transport stream.

mod common;

use avqc::{DecoderNotice, FrameFlags, Media, NoticeKind};
use common::gop::{corruption_intervals, picture, t, STEP};

fn notice(i: usize, kind: NoticeKind) -> Media {
    Media::Notice(DecoderNotice::new(t(i), Some(0), kind))
}

/// Pictures 0..80 of an H.264-like stream (B-pictures may be references) but `missing`;
/// picture 28 (a B-picture) came from the packet the demuxer marked corrupt, and
/// `before_28` are handed in just before it.
fn stream(missing: &[usize], before_28: Vec<Media>) -> Vec<Media> {
    stream_of(missing, before_28, true)
}

/// As [`stream`]; `b_refs`: whether the stream's B-pictures may be references.
fn stream_of(missing: &[usize], before_28: Vec<Media>, b_refs: bool) -> Vec<Media> {
    let mut v = Vec::new();
    for i in 0..80 {
        if i == 28 {
            v.extend(before_28.iter().cloned());
        }
        if missing.contains(&i) {
            continue;
        }
        let flags = if i == 28 {
            FrameFlags::DAMAGED_INPUT
        } else {
            FrameFlags::NONE
        };
        v.push(picture(i, flags, Some(b_refs)));
    }
    v
}

fn corrupt() -> Media {
    notice(28, NoticeKind::CorruptPacket)
}

fn confirmed() -> Media {
    notice(28, NoticeKind::NonReferenceLoss)
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn decode_error(i: usize) -> Media {
    notice(
        i,
        NoticeKind::DecodeError {
            message: "error while decoding MB 3 4".into(),
        },
    )
}

/// The one `corruption` interval on `media`; `start` (when given) and `end` in pictures.
fn one_interval(media: &[Media], start: Option<usize>, end: usize) {
    let found = corruption_intervals("corruption", media);
    assert_eq!(found.len(), 1, "{found:?}");
    if let Some(s) = start {
        assert!(near(found[0].0, s as f64 * STEP), "{found:?}");
    }
    assert!(near(found[0].1, end as f64 * STEP), "{found:?}");
}

#[test]
fn a_lost_non_reference_picture_ends_at_the_next_anchor() {
    // B 29 never arrived; the next picture's frame_num showed no reference picture lost.
    let media = stream(&[29], vec![corrupt(), confirmed()]);
    for kind in ["corruption", "decode_errors"] {
        let found = corruption_intervals(kind, &media);
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        assert!(near(found[0].0, 28.0 * STEP), "{kind}: {found:?}");
        assert!(near(found[0].1, 30.0 * STEP), "{kind}: {found:?}");
    }
}

#[test]
fn a_loss_not_confirmed_is_held_to_the_key_frame() {
    let media = stream(&[29], vec![corrupt()]);
    one_interval(&media, None, 36);
}

#[test]
fn a_confirmed_loss_with_no_picture_missing_is_held() {
    // The loss cut picture 28 short instead of taking whole pictures: it may be a reference.
    let media = stream(&[], vec![corrupt(), confirmed()]);
    one_interval(&media, None, 36);
}

#[test]
fn a_confirmed_loss_the_decoder_complained_about_in_an_anchor_is_held() {
    // The decoder reports errors in P 30, the anchor after the loss: a reference is damaged.
    let error = decode_error(30);
    let media = stream(&[29], vec![corrupt(), confirmed(), error]);
    one_interval(&media, None, 36);
}

#[test]
fn errors_in_a_b_picture_alone_do_not_hold_a_confirmed_loss() {
    // The decoder reports errors in B 28 only (a B-reference cut short): its damage reaches
    // the B-pictures around it, not the anchor after them.
    let error = decode_error(28);
    let media = stream(&[29], vec![corrupt(), confirmed(), error]);
    one_interval(&media, Some(28), 30);
}

#[test]
fn a_confirmation_of_another_loss_does_not_count() {
    let other = notice(10, NoticeKind::NonReferenceLoss);
    let media = stream(&[29], vec![corrupt(), other]);
    one_interval(&media, None, 36);
}

#[test]
fn a_notice_about_a_later_key_frame_is_kept_for_it() {
    // A loss marks P 33, and the decoder reports errors in the key frame 36 that follows:
    // both notices arrive before picture 33 is shown. The damaged key frame does not end the
    // damage; the next one (48) does.
    let error = decode_error(36);
    let mut media = Vec::new();
    for i in 0..80 {
        if i == 33 {
            media.push(notice(33, NoticeKind::CorruptPacket));
            media.push(error.clone());
        }
        media.push(picture(i, FrameFlags::NONE, Some(true)));
    }
    one_interval(&media, Some(33), 48);
}

#[test]
fn a_corrupt_mark_on_a_later_key_frame_does_not_hold_the_damage() {
    // Marks on P 33 and on key frame 36, both before picture 33 is shown: the mark on a key
    // frame reports packets lost before it (the demuxer sees the loss at the next packet), and
    // the key frame decodes clean, so it ends the damage.
    let mut media = Vec::new();
    for i in 0..80 {
        if i == 33 {
            media.push(notice(33, NoticeKind::CorruptPacket));
            media.push(notice(36, NoticeKind::CorruptPacket));
        }
        media.push(picture(i, FrameFlags::NONE, Some(true)));
    }
    one_interval(&media, Some(33), 36);
}

/// Pictures 0..80 of an MPEG-2-like stream (B-pictures never references) but `missing`, the
/// demuxer's mark on B 28, `extra` handed in with the mark.
fn mpeg2_like(missing: &[usize], extra: Vec<Media>) -> Vec<Media> {
    let mut with_mark = vec![corrupt()];
    with_mark.extend(extra);
    stream_of(missing, with_mark, false)
}

#[test]
fn a_marked_b_picture_is_let_pass_and_the_picture_lost_after_it_is_the_damage_in_mpeg2() {
    // The parser held one packet back: the mark landed on B 28, decoded just before the lost
    // B 29; B 28 decodes clean, and the anchor 30 predicts from neither.
    one_interval(&mpeg2_like(&[29], Vec::new()), Some(29), 30);
}

#[test]
fn a_marked_b_picture_with_nothing_lost_near_it_is_no_damage_in_mpeg2() {
    let media = mpeg2_like(&[], Vec::new());
    assert!(corruption_intervals("corruption", &media).is_empty());
}

#[test]
fn a_picture_missing_with_no_mark_is_no_damage_in_mpeg2() {
    // A gap in the display times alone (no mark, no complaint) is not damage.
    let media: Vec<Media> = (0..80)
        .filter(|&i| i != 28)
        .map(|i| picture(i, FrameFlags::NONE, Some(false)))
        .collect();
    assert!(corruption_intervals("corruption", &media).is_empty());
}

#[test]
fn an_anchor_lost_in_mpeg2_is_held_to_the_key_frame() {
    // The picture numbers after the loss showed an anchor lost: whatever pictures the mark
    // landed on, the anchors after it predict from the wrong picture.
    let media = mpeg2_like(&[30], vec![notice(28, NoticeKind::ReferenceLoss)]);
    one_interval(&media, Some(28), 36);
}

#[cfg(feature = "ffmpeg")]
mod h264 {
    use super::common::gop::corruption_intervals;
    use super::common::ts_cut::{
        assert_confirmed_and_short, assert_held_to_key_frame, bits, continuous, count,
        decode_in_order, encode as encode_ts, ue, video_pes, without, FPS,
    };
    use avqc::Media;

    /// 4 s of moving pictures, a key frame every 2 s, in MPEG-TS; `bframes` 0 gives an
    /// I/P-only stream, otherwise x264's B-pyramid.
    fn encode(name: &str, bframes: u32) -> Vec<u8> {
        encode_with(name, bframes, "veryfast")
    }

    /// As [`encode`] with an x264 preset: "veryfast" keeps one reference (a B-reference is
    /// used only by the B-pictures around it), "medium" three.
    fn encode_with(name: &str, bframes: u32, preset: &str) -> Vec<u8> {
        let bf = bframes.to_string();
        let args = [
            "-c:v", "libx264", "-preset", preset, "-g", "50", "-threads", "1", "-bf", &bf,
        ];
        encode_ts(name, &args)
    }

    /// `(first TS packet, packets)` of the first video PES after 0.8 s (the 20th) whose first
    /// slice has this `nal_ref_idc`, NAL type and `slice_type % 5` (0 P, 1 B, 2 I).
    fn first_picture(
        ts: &[u8],
        wanted: impl Fn(u8, u8, u32) -> bool,
        what: &str,
    ) -> (usize, usize) {
        let (first, n, _) = video_pes(ts)
            .into_iter()
            .skip(20)
            .find(|p| {
                let (refidc, kind, slice_type) = first_slice(&p.2);
                wanted(refidc, kind, slice_type)
            })
            .unwrap_or_else(|| panic!("{what} in the stream"));
        (first, n)
    }

    /// `nal_ref_idc`, NAL type and `slice_type % 5` of the first slice of `body`.
    fn first_slice(body: &[u8]) -> (u8, u8, u32) {
        for (i, w) in body.windows(4).enumerate() {
            if w[..3] == [0, 0, 1] && matches!(w[3] & 0x1f, 1 | 5) {
                // first_mb_in_slice, then slice_type: two Exp-Golomb codes.
                let mut b = bits(&body[i + 4..]);
                let slice_type = ue(&mut b).and_then(|_| ue(&mut b)).map_or(9, |t| t % 5);
                return ((w[3] >> 5) & 3, w[3] & 0x1f, slice_type);
            }
        }
        (0xff, 0, 9)
    }

    #[test]
    fn a_lost_non_reference_picture_is_confirmed_and_short() {
        let ts = encode("pyramid", 3);
        let (first, n) = first_picture(&ts, |r, k, _| r == 0 && k == 1, "a non-reference picture");
        let media = decode_in_order(without(&ts, first, n), "pyramid");
        let notices = count(&media, "non_reference_loss");
        assert_eq!(notices, 1, "one loss, confirmed");
        assert_eq!(count(&media, "unreferenced_loss"), 1, "frame_num continued");
        let found = corruption_intervals("corruption", &media);
        assert_eq!(found.len(), 1, "{found:?}");
        // From the lost picture (shown right after an anchor) through the anchor the
        // demuxer marked, shown after the two B-pictures of its pyramid.
        let lost = first_missing(&media).expect("a picture missing from the display");
        assert!(
            (found[0].0 - lost).abs() < 1e-6,
            "lost at {lost}: {found:?}"
        );
        assert!(found[0].1 - found[0].0 <= 4.0 / FPS + 1e-6, "{found:?}");
    }

    /// When the first picture missing from the display was due, seconds.
    fn first_missing(media: &[Media]) -> Option<f64> {
        let mut last: Option<f64> = None;
        for m in media {
            if let Media::Video(f) = m {
                let t = f.time().as_secs_f64();
                if let Some(l) = last.filter(|l| t - l > 1.5 / FPS) {
                    return Some(l + 1.0 / FPS);
                }
                last = Some(t);
            }
        }
        None
    }

    #[test]
    fn a_lost_reference_picture_is_held_to_the_key_frame() {
        let ts = encode("ipp", 0);
        let (first, n) = first_picture(&ts, |r, k, _| r != 0 && k == 1, "a P-picture");
        let media = decode_in_order(without(&ts, first, n), "ipp");
        assert_held_to_key_frame(&media);
    }

    /// Cuts the first B-picture kept as a reference after 0.8 s from a B-pyramid of `preset`.
    fn without_b_reference(preset: &str) -> Vec<Media> {
        let name = format!("bref-{preset}");
        let ts = encode_with(&name, 3, preset);
        let (first, n) = first_b_reference(&ts);
        decode_in_order(without(&ts, first, n), &name)
    }

    /// `(first TS packet, packets)` of the first B-reference after 0.8 s.
    fn first_b_reference(ts: &[u8]) -> (usize, usize) {
        first_picture(ts, |r, k, t| r != 0 && k == 1 && t == 1, "a B-reference")
    }

    #[test]
    fn a_lost_b_reference_the_transport_did_not_see_is_found_and_short() {
        let ts = encode_with("bref-unseen", 3, "veryfast");
        let (first, n) = first_b_reference(&ts);
        let cut = continuous(without(&ts, first, n));
        let media = decode_in_order(cut, "bref-unseen");
        assert_eq!(count(&media, "corrupt_packet"), 0, "no continuity error");
        assert_eq!(count(&media, "reference_loss"), 1, "the frame_num jump");
        assert_eq!(count(&media, "non_reference_loss"), 1, "confined");
        assert_eq!(count(&media, "unreferenced_loss"), 0, "a reference lost");
        let found = corruption_intervals("corruption", &media);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1 - found[0].0 <= 6.0 / FPS + 1e-6, "{found:?}");
    }

    #[test]
    fn a_lost_b_reference_no_anchor_uses_ends_at_the_next_anchor() {
        // One reference: the next P-picture skips the B-reference, the next B-reference's
        // marking drops it. Damaged: the B-pictures around it only.
        let media = without_b_reference("veryfast");
        // The loss is confined.
        assert_confirmed_and_short(&media, 6.0);
    }

    #[test]
    fn a_lost_b_reference_later_anchors_use_is_held_to_the_key_frame() {
        // Three references: the next P-pictures predict from the B-reference too.
        let media = without_b_reference("medium");
        assert_held_to_key_frame(&media);
    }
}

/// MPEG-2 never predicts from a B-picture: a lost B-picture is confirmed from
/// `temporal_reference` and its damage ends at the next anchor; a lost P-picture is held.
#[cfg(feature = "ffmpeg")]
mod mpeg2 {
    use super::common::ts_cut::{
        assert_confirmed_and_short, assert_held_to_key_frame, count, decode_in_order, encode,
        one_short_interval, video_pes, without, FPS,
    };
    use avqc::Media;

    /// MPEG-2 with two B-pictures between anchors, a GOP of 2 s.
    fn stream(name: &str) -> Vec<u8> {
        let args = ["-c:v", "mpeg2video", "-bf", "2", "-g", "50", "-q:v", "4"];
        encode(name, &args)
    }

    /// `(first TS packet, packets)` of the first picture after 0.8 s (the 20th) of coding
    /// type `coding` (1 I, 2 P, 3 B).
    fn first_picture(ts: &[u8], coding: u8) -> (usize, usize) {
        let (first, n, _) = video_pes(ts)
            .into_iter()
            .skip(20)
            .find(|p| {
                let at = p.2.windows(4).position(|w| w == [0, 0, 1, 0]);
                at.and_then(|i| p.2.get(i + 5)).map(|b| (b >> 3) & 7) == Some(coding)
            })
            .expect("the picture in the stream");
        (first, n)
    }

    fn cut(name: &str, coding: u8) -> Vec<Media> {
        let ts = stream(name);
        let (first, n) = first_picture(&ts, coding);
        decode_in_order(without(&ts, first, n), name)
    }

    #[test]
    fn a_lost_b_picture_is_confirmed_and_short() {
        let media = cut("m2-b", 3);
        assert!(
            count(&media, "corrupt_packet") >= 1,
            "the demuxer saw the loss"
        );
        assert_confirmed_and_short(&media, 3.0);
    }

    #[test]
    fn a_lost_p_picture_is_held_to_the_key_frame() {
        let media = cut("m2-p", 2);
        assert_held_to_key_frame(&media);
    }

    /// `ts` with the picture whose PES starts at TS packet `first` (`n` packets, the first
    /// one without an adaptation field) cut right after its first slice start code: that
    /// packet keeps its payload to there (the rest becomes adaptation-field stuffing), the
    /// others are lost. The decoder gives up on the picture ("slice too small") and shows
    /// nothing for it, as it did on a live reception.
    fn cut_after_slice_start(ts: &[u8], first: usize, n: usize) -> Vec<u8> {
        let mut out = without(ts, first + 1, n - 1);
        let p = &mut out[first * 188..(first + 1) * 188];
        assert_eq!((p[3] >> 4) & 3, 1, "a payload-only packet");
        let payload = p[4..].to_vec();
        let at = payload
            .windows(4)
            .position(|w| w[..3] == [0, 0, 1] && (0x01..=0xaf).contains(&w[3]))
            .expect("a slice start in the picture's first packet");
        let keep = at + 4;
        let stuffing = 183 - keep;
        p[3] = (p[3] & 0xcf) | 0x30;
        p[4] = stuffing as u8;
        if stuffing > 0 {
            p[5] = 0;
            p[6..5 + stuffing].fill(0xff);
        }
        p[5 + stuffing..].copy_from_slice(&payload[..keep]);
        out
    }

    #[test]
    fn a_b_picture_the_decoder_gave_up_on_is_damage_of_its_slot_only() {
        let ts = stream("m2-b-short");
        let (first, n, _) = video_pes(&ts)
            .into_iter()
            .skip(20)
            .find(|p| {
                let at = p.2.windows(4).position(|w| w == [0, 0, 1, 0]);
                let b = at.and_then(|i| p.2.get(i + 5)).map(|b| (b >> 3) & 7) == Some(3);
                b && (ts[p.0 * 188 + 3] >> 4) & 3 == 1
            })
            .expect("a B-picture in the stream");
        let media = decode_in_order(cut_after_slice_start(&ts, first, n), "m2-b-short");
        assert!(count(&media, "decode_error") >= 1, "the decoder complained");
        assert_eq!(count(&media, "non_reference_error"), 1, "of a B-picture");
        assert_eq!(count(&media, "reference_loss"), 0);
        // The picture it gave up on was not shown; its slot is the damage, nothing after it.
        let (start, end) = one_short_interval(&media, 1.0);
        let missing = first_missing(&media).expect("a picture missing");
        assert!((start - missing).abs() < 1e-3, "{start} {missing}");
        assert!((end - (missing + 1.0 / FPS)).abs() < 1e-3, "{end}");
    }

    /// The display time of the first picture missing from `media`.
    fn first_missing(media: &[Media]) -> Option<f64> {
        let times: Vec<f64> = media
            .iter()
            .filter_map(|m| match m {
                Media::Video(v) => Some(v.time().as_secs_f64()),
                _ => None,
            })
            .collect();
        times
            .windows(2)
            .find(|w| w[1] - w[0] > 1.5 / FPS)
            .map(|w| w[0] + 1.0 / FPS)
    }
}
