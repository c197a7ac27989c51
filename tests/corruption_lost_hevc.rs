//! Whole HEVC pictures lost in transport (x265 through the ffmpeg CLI, whole PES packets cut
//! out of the transport stream): a lost non-reference picture is confirmed
//! (`non_reference_loss`) and its damage ends at the next anchor picture; a lost P-picture is
//! held to the key frame.
#![cfg(feature = "ffmpeg")]

mod common;

use std::process::Command;

use avqc::{Decoder, DecoderOptions, FfmpegDecoder, Media};
use common::gop::corruption_intervals;

const PID: u16 = 0x100;
const FPS: f64 = 25.0;

/// 4 s of moving pictures at 25/s, a key frame every 2 s, x265's B-pyramid, in MPEG-TS.
fn encode(name: &str) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("avqc-hevc-{}-{name}.ts", std::process::id()));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=s=320x180:r=25:d=4")
        .args(["-c:v", "libx265", "-x265-params"])
        .arg(
            "keyint=50:min-keyint=50:bframes=4:b-pyramid=1:pools=1:frame-threads=1:log-level=error",
        )
        .args(["-f", "mpegts"])
        .arg(&path)
        .status()
        .expect("the ffmpeg CLI runs (scripts/install-deps.sh installs it)");
    assert!(status.success(), "ffmpeg made the fixture");
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

/// The video PES packets in stream order: (first TS packet index, packets, NAL type and
/// `slice_type` of the first slice).
fn pes_slices(ts: &[u8]) -> Vec<(usize, usize, u8, u32)> {
    let mut out: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for (i, p) in ts.chunks_exact(188).enumerate() {
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        if pid != PID {
            continue;
        }
        let start = match (p[3] >> 4) & 3 {
            1 => 4,
            3 => 5 + p[4] as usize,
            _ => continue,
        };
        if p[1] & 0x40 != 0 {
            out.push((i, 0, Vec::new()));
        }
        if let Some(last) = out.last_mut() {
            last.1 += 1;
            if last.2.len() < 4096 {
                last.2.extend_from_slice(&p[start.min(188)..]);
            }
        }
    }
    out.into_iter()
        .map(|(i, n, data)| {
            let (kind, slice_type) = first_slice(&data);
            (i, n, kind, slice_type)
        })
        .collect()
}

/// NAL type and `slice_type` of the first slice of a PES packet (x265: no extra slice header
/// bits); (99, 9) when there is none.
fn first_slice(pes: &[u8]) -> (u8, u32) {
    let body = pes
        .get(9 + *pes.get(8).unwrap_or(&0) as usize..)
        .unwrap_or(&[]);
    for (i, w) in body.windows(5).enumerate() {
        let kind = (w[3] >> 1) & 0x3f;
        if w[..3] == [0, 0, 1] && kind <= 31 {
            let mut bits = body[i + 5..]
                .iter()
                .flat_map(|b| (0..8).rev().map(move |k| (b >> k) & 1))
                .take(64);
            // first_slice_segment_in_pic_flag, no_output_of_prior_pics_flag (IRAP).
            bits.next();
            if (16..=23).contains(&kind) {
                bits.next();
            }
            let mut ue = || {
                let mut zeros = 0;
                while bits.next()? == 0 {
                    zeros += 1;
                }
                (0..zeros)
                    .try_fold(1u32, |v, _| Some((v << 1) | u32::from(bits.next()?)))
                    .map(|v| v - 1)
            };
            let slice_type = ue().and_then(|_| ue()).unwrap_or(9);
            return (kind, slice_type);
        }
    }
    (99, 9)
}

/// `(first TS packet, packets)` of the first video PES after 0.8 s (the 20th) whose first
/// slice has this NAL type and `slice_type` (0 B, 1 P, 2 I).
fn first_picture(ts: &[u8], kind: u8, slice_type: u32) -> (usize, usize) {
    let (first, n, _, _) = *pes_slices(ts)
        .iter()
        .skip(20)
        .find(|p| p.2 == kind && p.3 == slice_type)
        .expect("such a picture in the stream");
    (first, n)
}

/// `ts` without the video PES whose first TS packet is `first` (`packets` long).
fn without(ts: &[u8], first: usize, packets: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(ts.len());
    let mut skip = 0;
    for (i, p) in ts.chunks_exact(188).enumerate() {
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        if i == first {
            skip = packets;
        }
        if pid == PID && skip > 0 {
            skip -= 1;
            continue;
        }
        out.extend_from_slice(p);
    }
    out
}

/// Every item the decoder gives, in its order.
fn decode_in_order(ts: Vec<u8>, name: &str) -> Vec<Media> {
    let path = std::env::temp_dir().join(format!("avqc-hevc-{}-{name}-cut.ts", std::process::id()));
    std::fs::write(&path, ts).unwrap();
    let mut d =
        FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).expect("open");
    let mut out = Vec::new();
    while let Some(m) = d.next().expect("decode") {
        out.push(m);
    }
    let _ = std::fs::remove_file(&path);
    out
}

fn count(media: &[Media], name: &str) -> usize {
    media
        .iter()
        .filter(|m| matches!(m, Media::Notice(n) if n.kind.name() == name))
        .count()
}

#[test]
fn a_lost_non_reference_picture_is_confirmed_and_short() {
    let ts = encode("nonref");
    // TRAIL_N: a sub-layer non-reference picture (x265's B-pictures nothing predicts from).
    let (first, n) = first_picture(&ts, 0, 0);
    let media = decode_in_order(without(&ts, first, n), "nonref");
    assert!(count(&media, "corrupt_packet") >= 1);
    assert_eq!(
        count(&media, "non_reference_loss"),
        1,
        "one loss, confirmed"
    );
    let found = corruption_intervals("corruption", &media);
    assert_eq!(found.len(), 1, "{found:?}");
    // The lost picture, the B-pictures shown before the anchor the demuxer marked, and it.
    assert!(found[0].1 - found[0].0 <= 6.0 / FPS + 1e-6, "{found:?}");
    assert!(found[0].1 < 1.6, "{found:?}");
}

#[test]
fn a_lost_p_picture_is_held_to_the_key_frame() {
    let ts = encode("p");
    // TRAIL_R with a P slice.
    let (first, n) = first_picture(&ts, 1, 1);
    let media = decode_in_order(without(&ts, first, n), "p");
    assert_eq!(count(&media, "non_reference_loss"), 0);
    let found = corruption_intervals("corruption", &media);
    assert_eq!(found.len(), 1, "{found:?}");
    // Lost after 0.8 s; the next key frame is at 2 s.
    assert!((found[0].1 - 2.0).abs() < 1.5 / FPS, "{found:?}");
}
