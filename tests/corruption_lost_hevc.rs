//! Whole HEVC pictures lost in transport (x265 through the ffmpeg CLI, whole PES packets cut
//! out of the transport stream): a lost non-reference picture is confirmed
//! (`non_reference_loss`) and its damage ends at the next anchor picture; a lost P-picture is
//! held to the key frame; a picture that lost TS packets inside it is damage whatever the
//! decoder's threads; one nothing is predicted from that lost TS packets inside it is damage
//! up to the next anchor picture only, unless a loss the headers do not show may have hit a
//! reference picture.
#![cfg(feature = "ffmpeg")]

mod common;

use common::ts_cut::{
    assert_confirmed_and_short, assert_held_to_key_frame, bits, count, decode_in_order,
    encode as encode_ts, ue, video_pes, without, FPS,
};

/// 4 s of moving pictures at 25/s, a key frame every 2 s, x265's B-pyramid, in MPEG-TS.
fn encode(name: &str) -> Vec<u8> {
    let params =
        "keyint=50:min-keyint=50:bframes=4:b-pyramid=1:pools=1:frame-threads=1:log-level=error";
    encode_ts(name, &["-c:v", "libx265", "-x265-params", params])
}

/// NAL type and `slice_type` of the first slice of a PES packet's body (x265: no extra slice
/// header bits); (99, 9) when there is none.
fn first_slice(body: &[u8]) -> (u8, u32) {
    for (i, w) in body.windows(5).enumerate() {
        let kind = (w[3] >> 1) & 0x3f;
        if w[..3] == [0, 0, 1] && kind <= 31 {
            let mut b = bits(&body[i + 5..]);
            // first_slice_segment_in_pic_flag, no_output_of_prior_pics_flag (IRAP).
            b.next();
            if (16..=23).contains(&kind) {
                b.next();
            }
            let slice_type = ue(&mut b).and_then(|_| ue(&mut b)).unwrap_or(9);
            return (kind, slice_type);
        }
    }
    (99, 9)
}

/// `(first TS packet, packets)` of the first video PES after 0.8 s (the 20th) whose first
/// slice has this NAL type and `slice_type` (0 B, 1 P, 2 I).
fn first_picture(ts: &[u8], kind: u8, slice_type: u32) -> (usize, usize) {
    let (first, n, _) = video_pes(ts)
        .into_iter()
        .skip(20)
        .find(|p| first_slice(&p.2) == (kind, slice_type))
        .expect("such a picture in the stream");
    (first, n)
}

#[test]
fn a_lost_non_reference_picture_is_confirmed_and_short() {
    let ts = encode("nonref");
    // TRAIL_N: a sub-layer non-reference picture (x265's B-pictures nothing predicts from).
    let (first, n) = first_picture(&ts, 0, 0);
    let media = decode_in_order(without(&ts, first, n), "nonref");
    assert!(count(&media, "corrupt_packet") >= 1);
    // The lost picture, the B-pictures shown before the anchor the demuxer marked, and it.
    assert_confirmed_and_short(&media, 6.0);
}

#[test]
fn a_lost_p_picture_is_held_to_the_key_frame() {
    let ts = encode("p");
    // TRAIL_R with a P slice.
    let (first, n) = first_picture(&ts, 1, 1);
    let media = decode_in_order(without(&ts, first, n), "p");
    assert_held_to_key_frame(&media);
}

#[test]
fn a_lost_non_reference_picture_is_damage_of_its_slot_only() {
    let ts = encode("nonref-slot");
    let (first, n) = first_picture(&ts, 0, 0);
    let media = decode_in_order(without(&ts, first, n), "nonref-slot");
    // No later reference picture set lists the picture lost: it took no reference at all.
    assert_eq!(count(&media, "unreferenced_loss"), 1);
    // The anchor the demuxer marked (decoded just before the lost picture) is intact: the
    // damage is the lost picture's display slot.
    let found = common::gop::corruption_intervals("corruption", &media);
    assert_eq!(found.len(), 1, "{found:?}");
    let mut last: Option<f64> = None;
    let mut lost = None;
    for m in &media {
        if let avqc::Media::Video(f) = m {
            let t = f.time().as_secs_f64();
            if let Some(l) = last.filter(|l| t - l > 1.5 / FPS) {
                lost = lost.or(Some((l + 1.0 / FPS, t)));
            }
            last = Some(t);
        }
    }
    let (from, to) = lost.expect("a picture missing from the display");
    assert!((found[0].0 - from).abs() < 1e-3, "{from}: {found:?}");
    assert!((found[0].1 - to).abs() < 1e-3, "{to}: {found:?}");
}

/// Every item the decoder gives for `ts` with `threads` decoder threads (0: FFmpeg's choice,
/// frame threads on this machine), in its order.
fn decode_threads(ts: &[u8], name: &str, threads: usize) -> Vec<avqc::Media> {
    use avqc::{Decoder, DecoderOptions, FfmpegDecoder};
    let path = std::env::temp_dir().join(format!("avqc-cut-{}-{name}.ts", std::process::id()));
    std::fs::write(&path, ts).unwrap();
    let opts = DecoderOptions {
        threads,
        ..DecoderOptions::default()
    };
    let mut d = FfmpegDecoder::open(path.to_str().unwrap(), &opts).expect("open");
    let mut out = Vec::new();
    while let Some(m) = d.next().expect("decode") {
        out.push(m);
    }
    let _ = std::fs::remove_file(&path);
    out
}

#[test]
fn a_picture_cut_short_is_damage_whatever_the_threads() {
    // Wavefront parallel processing: entry points in every slice header.
    let params = "keyint=50:min-keyint=50:bframes=4:b-pyramid=1:wpp=1:log-level=error";
    let ts = encode_ts("cut-short", &["-c:v", "libx265", "-x265-params", params]);
    // The first P-picture after 0.8 s of 6 TS packets or more loses 4 of them after its
    // first: more than its last substream holds (a CTU row of three), so the slice is
    // shorter than its entry points say. A loss inside the last substream would not show.
    let (first, n, _) = video_pes(&ts)
        .into_iter()
        .skip(20)
        .find(|p| first_slice(&p.2) == (1, 1) && p.1 >= 6)
        .expect("such a picture");
    let lossy = without(&ts, first + 1, 4);
    for threads in [1, 0] {
        let media = decode_threads(&lossy, &format!("cut-short-{threads}"), threads);
        // A reference picture lost bytes: its damage (from the B-pictures shown before it,
        // predicted from it) lasts to the key frame at 2 s.
        let found = common::gop::corruption_intervals("corruption", &media);
        assert_eq!(found.len(), 1, "threads {threads}: {found:?} ({n} packets)");
        assert!(
            (0.5..1.2).contains(&found[0].0) && (found[0].1 - 2.0).abs() < 1.5 / FPS,
            "threads {threads}: {found:?}"
        );
    }
}

#[test]
fn a_picture_nothing_predicts_from_cut_short_is_damage_to_the_next_anchor_only() {
    // Wavefront parallel processing (entry points); pictures large enough to cut inside.
    let params = "keyint=50:min-keyint=50:bframes=4:b-pyramid=1:wpp=1:crf=10:log-level=error";
    let ts = encode_ts("cut-nonref", &["-c:v", "libx265", "-x265-params", params]);
    // The first TRAIL_N B-picture after 0.8 s decoded right after the pyramid's B-reference
    // (TRAIL_R): the demuxer's mark for the loss lands on that reference, which is intact.
    let pes = video_pes(&ts);
    let i = (20..pes.len())
        .find(|&i| {
            first_slice(&pes[i].2) == (0, 0)
                && first_slice(&pes[i - 1].2) == (1, 0)
                && pes[i].1 >= 6
        })
        .expect("such a picture");
    // Every TS packet but its first and last: more than its last substream holds.
    let lossy = without(&ts, pes[i].0 + 1, pes[i].1 - 2);
    for threads in [1, 0] {
        let media = decode_threads(&lossy, &format!("cut-nonref-{threads}"), threads);
        assert!(
            count(&media, "non_reference_loss") >= 2,
            "threads {threads}"
        );
        // The picture cut short, and the pictures shown after it up to the next anchor (at
        // most the rest of the pyramid), not up to the key frame at 2 s.
        let found = common::gop::corruption_intervals("corruption", &media);
        assert_eq!(found.len(), 1, "threads {threads}: {found:?}");
        assert!(
            found[0].0 > 0.7 && found[0].1 - found[0].0 <= 3.0 / FPS + 1e-6,
            "threads {threads}: {found:?}"
        );
    }
}

#[test]
fn a_mark_on_a_picture_nothing_predicts_from_is_held_when_its_loss_is_not_found() {
    // No entry points (no wavefront, no tiles): a picture cut short does not show.
    let params = "keyint=50:min-keyint=50:bframes=4:b-pyramid=1:wpp=0:crf=10:log-level=error";
    let ts = encode_ts("unfound", &["-c:v", "libx265", "-x265-params", params]);
    // The first P-picture after 0.8 s decoded right after a TRAIL_N B-picture: the demuxer's
    // mark for a loss inside the P-picture lands on the B-picture, which nothing predicts
    // from, while the P-picture's damage reaches the key frame.
    let pes = video_pes(&ts);
    let i = (20..pes.len())
        .find(|&i| {
            first_slice(&pes[i].2) == (1, 1)
                && first_slice(&pes[i - 1].2) == (0, 0)
                && pes[i].1 >= 6
        })
        .expect("such a picture");
    let lossy = without(&ts, pes[i].0 + 1, pes[i].1 - 2);
    for threads in [1, 0] {
        let media = decode_threads(&lossy, &format!("unfound-{threads}"), threads);
        assert_eq!(count(&media, "non_reference_cut"), 0, "threads {threads}");
        let found = common::gop::corruption_intervals("corruption", &media);
        assert_eq!(found.len(), 1, "threads {threads}: {found:?}");
        assert!(
            (found[0].1 - 2.0).abs() < 1.5 / FPS,
            "threads {threads}: {found:?}"
        );
    }
}

/// Decode order after 0.8 s: the pyramid's B-reference, then two TRAIL_N B-pictures, the
/// first shown first; the second is cut short (found; the demuxer's mark lands on the first)
/// and `lose_more` takes TS packets from the other two (`pes[i]`: the first TRAIL_N). The first
/// TRAIL_N, shown first of the three, must be damage, whatever the decoder's threads.
fn first_b_stays_damage(
    name: &str,
    lose_more: impl Fn(&[(usize, usize, Vec<u8>)], usize, Vec<u8>) -> Vec<u8>,
) {
    let params = "keyint=50:min-keyint=50:bframes=4:b-pyramid=1:wpp=1:crf=10:log-level=error";
    let ts = encode_ts(name, &["-c:v", "libx265", "-x265-params", params]);
    let pes = video_pes(&ts);
    let i = (20..pes.len() - 1)
        .find(|&i| {
            first_slice(&pes[i - 1].2) == (1, 0)
                && first_slice(&pes[i].2) == (0, 0)
                && first_slice(&pes[i + 1].2) == (0, 0)
                && pes[i - 1].1 >= 6
                && pes[i].1 >= 6
                && pes[i + 1].1 >= 6
        })
        .expect("such pictures");
    let lossy = without(&ts, pes[i + 1].0 + 1, pes[i + 1].1 - 2);
    let lossy = lose_more(&pes, i, lossy);
    for threads in [1, 0] {
        let media = decode_threads(&lossy, &format!("{name}-{threads}"), threads);
        assert!(count(&media, "non_reference_cut") >= 1, "threads {threads}");
        // The first picture marked in display order (the first TRAIL_N).
        let first = media
            .iter()
            .filter_map(|m| match m {
                avqc::Media::Video(f) if f.flags().contains(avqc::FrameFlags::DAMAGED_INPUT) => {
                    Some(f.time().as_secs_f64())
                }
                _ => None,
            })
            .fold(f64::MAX, f64::min);
        let found = common::gop::corruption_intervals("corruption", &media);
        assert!(
            found.iter().any(|r| r.0 <= first + 1e-6 && first < r.1),
            "threads {threads}: {first} {found:?}"
        );
    }
}

#[test]
fn a_picture_a_mark_before_it_reported_stays_damage_when_the_next_loss_is_found() {
    // The first TRAIL_N loses one TS packet inside its last substream (no header shows it;
    // the demuxer's mark lands on the B-reference).
    first_b_stays_damage("reported", |pes, i, ts| {
        without(&ts, pes[i].0 + pes[i].1 - 2, 1)
    });
}

#[test]
fn a_picture_predicted_from_one_cut_short_stays_damage_when_the_next_loss_is_found() {
    // The B-reference, which the first TRAIL_N predicts from, is cut short too.
    first_b_stays_damage("uses-cut", |pes, i, ts| {
        without(&ts, pes[i - 1].0 + 1, pes[i - 1].1 - 2)
    });
}
