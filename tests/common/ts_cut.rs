//! Transport streams made with the ffmpeg CLI and cut by hand: whole video PES packets taken
//! out, continuity counters renumbered, then decoded item by item.

use std::path::PathBuf;
use std::process::Command;

use avqc::Media;

/// The video PID ffmpeg's MPEG-TS muxer gives the first stream.
pub const VIDEO_PID: u16 = 0x100;

/// Frames per second of [`encode`]'s pictures.
pub const FPS: f64 = 25.0;

/// 4 s of moving 320×180 pictures at 25 fps, coded with `codec_args`, in MPEG-TS.
pub fn encode(name: &str, codec_args: &[&str]) -> Vec<u8> {
    ffmpeg_ts(
        &format!("cut-{name}"),
        &["testsrc2=s=320x180:r=25:d=4".into()],
        codec_args,
    )
}

/// `secs` seconds of moving 320×180 pictures at 25 fps and a 440 Hz tone, coded with `args`
/// (video and sound codec options, muxer options), in MPEG-TS.
pub fn encode_av(name: &str, secs: u32, args: &[&str]) -> Vec<u8> {
    let inputs = [
        format!("testsrc2=s=320x180:r=25:d={secs}"),
        format!("sine=f=440:sample_rate=48000:d={secs}"),
    ];
    ffmpeg_ts(&format!("av-{name}"), &inputs, args)
}

/// The MPEG-TS the ffmpeg CLI makes of the lavfi sources `inputs` with `args`.
fn ffmpeg_ts(name: &str, inputs: &[String], args: &[&str]) -> Vec<u8> {
    let path: PathBuf = std::env::temp_dir().join(format!("avqc-{name}-{}.ts", std::process::id()));
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y"]);
    for input in inputs {
        cmd.args(["-f", "lavfi", "-i"]).arg(input);
    }
    let status = cmd
        .args(args)
        .args(["-f", "mpegts"])
        .arg(&path)
        .status()
        .expect("the ffmpeg CLI runs (scripts/install-deps.sh installs it)");
    assert!(status.success(), "ffmpeg made the fixture");
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

fn pid(p: &[u8]) -> u16 {
    (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2])
}

/// The video PES packets in stream order: (first TS packet index, packets, the start of the
/// elementary stream it carries: up to 4 KiB after the PES header).
pub fn video_pes(ts: &[u8]) -> Vec<(usize, usize, Vec<u8>)> {
    let mut out: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for (i, p) in ts.chunks_exact(188).enumerate() {
        if pid(p) != VIDEO_PID {
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
    for pes in &mut out {
        let header = 9 + usize::from(*pes.2.get(8).unwrap_or(&0));
        pes.2.drain(..header.min(pes.2.len()));
    }
    out
}

/// `ts` without the video PES whose first TS packet is `first` (`packets` long).
pub fn without(ts: &[u8], first: usize, packets: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(ts.len());
    let mut skip = 0;
    for (i, p) in ts.chunks_exact(188).enumerate() {
        if i == first {
            skip = packets;
        }
        if pid(p) == VIDEO_PID && skip > 0 {
            skip -= 1;
            continue;
        }
        out.extend_from_slice(p);
    }
    out
}

/// Renumbers the continuity counters of the video packets, as if a loss had taken a multiple
/// of 16 of them: the demuxer sees no gap.
pub fn continuous(mut ts: Vec<u8>) -> Vec<u8> {
    let mut cc = None;
    for p in ts.chunks_exact_mut(188) {
        if pid(p) == VIDEO_PID && p[3] & 0x10 != 0 {
            let next: u8 = cc.map_or(p[3] & 0x0f, |c: u8| (c + 1) & 0x0f);
            p[3] = (p[3] & 0xf0) | next;
            cc = Some(next);
        }
    }
    ts
}

/// The notices named `name` in `media`.
pub fn count(media: &[Media], name: &str) -> usize {
    media
        .iter()
        .filter(|m| matches!(m, Media::Notice(n) if n.kind.name() == name))
        .count()
}

/// Every item the decoder gives for `ts`, in its order.
pub fn decode_in_order(ts: Vec<u8>, name: &str) -> Vec<Media> {
    use avqc::{Decoder, DecoderOptions, FfmpegDecoder};
    let path = std::env::temp_dir().join(format!("avqc-cut-{}-{name}-cut.ts", std::process::id()));
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

/// The one `corruption` interval on `media`, checked to last at most `pictures` pictures.
pub fn one_short_interval(media: &[Media], pictures: f64) -> (f64, f64) {
    let found = super::gop::corruption_intervals("corruption", media);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1 - found[0].0 <= pictures / FPS + 1e-6,
        "{found:?}"
    );
    found[0]
}

/// Checks that no loss on `media` was confirmed and that its one `corruption` interval lasts
/// to the key frame at 2 s (the loss is after 0.8 s).
pub fn assert_held_to_key_frame(media: &[Media]) {
    assert_eq!(count(media, "non_reference_loss"), 0);
    let found = super::gop::corruption_intervals("corruption", media);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!((found[0].1 - 2.0).abs() < 1.5 / FPS, "{found:?}");
}

/// Checks that the one loss on `media` was confirmed (`non_reference_loss`) and that its one
/// `corruption` interval lasts at most `pictures` pictures, ending before 1.6 s (the loss is
/// after 0.8 s).
pub fn assert_confirmed_and_short(media: &[Media], pictures: f64) {
    assert_eq!(count(media, "non_reference_loss"), 1, "one loss, confirmed");
    let found = one_short_interval(media, pictures);
    assert!(found.1 < 1.6, "{found:?}");
}

/// The first 64 bits of `data`, most significant first (enough for a slice header's start).
pub fn bits(data: &[u8]) -> impl Iterator<Item = u8> + '_ {
    data.iter()
        .flat_map(|b| (0..8).rev().map(move |k| (b >> k) & 1))
        .take(64)
}

/// One unsigned Exp-Golomb code read from `bits`.
pub fn ue(bits: &mut impl Iterator<Item = u8>) -> Option<u32> {
    let mut zeros = 0;
    while bits.next()? == 0 {
        zeros += 1;
    }
    (0..zeros)
        .try_fold(1u32, |v, _| Some((v << 1) | u32::from(bits.next()?)))
        .map(|v| v - 1)
}
