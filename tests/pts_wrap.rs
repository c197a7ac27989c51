//! The 33-bit PTS of MPEG-TS wraps every 26.5 hours: a channel watched for a day crosses it.
//! A stream whose timestamps wrap mid-way is one continuous timeline (pictures 40 ms apart
//! across the wrap, sound continuous), read from a file or from bytes pushed from memory, and
//! the default detector set reports nothing on it.
#![cfg(feature = "ffmpeg")]

mod common;

use avqc::{Decoder, DecoderOptions, Event, FfmpegDecoder, Media, Registry};

/// The 90 kHz PTS domain, in seconds.
const WRAP_SECS: f64 = (1u64 << 33) as f64 / 90_000.0;

/// 12 s of moving pictures at 25/s and a tone, H.264 + AAC in MPEG-TS, timestamps offset so
/// that the PTS wraps about 6 s in (the muxer starts 1.4 s after the offset).
fn wrapping() -> Vec<u8> {
    let offset = format!("{:.3}", WRAP_SECS - 1.4 - 6.0);
    let args = [
        "-c:v", "libx264", "-g", "50", "-threads", "1", "-c:a", "aac", "-ac", "2",
    ];
    let mut args = args.to_vec();
    args.extend(["-output_ts_offset", &offset]);
    common::ts_cut::encode_av("wrap", 12, &args)
}

/// Raw PTS (seconds, modulo the wrap) of the first and last video PES headers in the bytes:
/// the fixture really wraps.
fn raw_pts_span(ts: &[u8]) -> (f64, f64) {
    let mut seen = Vec::new();
    for p in ts.chunks_exact(188) {
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        if pid != 0x100 || p[1] & 0x40 == 0 {
            continue;
        }
        let start = if (p[3] >> 4) & 3 == 3 {
            5 + p[4] as usize
        } else {
            4
        };
        let pes = &p[start.min(188)..];
        if pes.len() >= 14 && pes[..3] == [0, 0, 1] && pes[7] & 0x80 != 0 {
            let b = &pes[9..14];
            let pts = (u64::from(b[0] >> 1 & 7) << 30)
                | (u64::from(b[1]) << 22)
                | (u64::from(b[2] >> 1) << 15)
                | (u64::from(b[3]) << 7)
                | u64::from(b[4] >> 1);
            seen.push(pts as f64 / 90_000.0);
        }
    }
    (seen[0], *seen.last().unwrap())
}

fn check_timeline(mut d: FfmpegDecoder, what: &str) {
    let (mut video, mut audio_end, mut samples) = (Vec::new(), None::<f64>, 0usize);
    while let Some(m) = d.next().unwrap() {
        match m {
            Media::Video(f) => video.push(f.time().as_secs_f64()),
            Media::Audio(f) => {
                let t = f.time().as_secs_f64();
                if let Some(end) = audio_end {
                    assert!(
                        (t - end).abs() < 0.002,
                        "{what}: sound jumps at {t:.3} (from {end:.3})"
                    );
                }
                audio_end = Some(t + f.duration_secs());
                samples += f.samples_per_channel();
            }
            _ => {}
        }
    }
    assert!(video.len() >= 295, "{what}: {} pictures", video.len());
    for w in video.windows(2) {
        let step = w[1] - w[0];
        assert!(
            (step - 0.04).abs() < 0.002,
            "{what}: pictures {:.3} then {:.3}",
            w[0],
            w[1]
        );
    }
    let span = video.last().unwrap() - video[0];
    assert!(
        (11.8..12.1).contains(&span),
        "{what}: pictures span {span:.3} s"
    );
    assert!(samples > 11 * 48_000, "{what}: {samples} samples");
}

#[test]
fn a_wrapping_pts_is_one_continuous_timeline_from_a_file_and_from_memory() {
    let bytes = wrapping();
    let (first, last) = raw_pts_span(&bytes);
    assert!(
        first > WRAP_SECS - 8.0 && last < 8.0,
        "the fixture wraps: {first:.3} .. {last:.3}"
    );
    let path = std::env::temp_dir().join(format!("avqc-wrap-file-{}.ts", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let file = FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).unwrap();
    check_timeline(file, "file");
    let (tx, rx) = crossbeam_channel::unbounded();
    for c in bytes.chunks(7 * 188) {
        tx.send(bytes::Bytes::copy_from_slice(c)).unwrap();
    }
    drop(tx);
    let pushed = FfmpegDecoder::from_channel("wrap.ts", rx, &DecoderOptions::default()).unwrap();
    check_timeline(pushed, "pushed");

    let d = FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).unwrap();
    let dets = Registry::builtin().build_defaults().unwrap();
    let defects: Vec<String> = common::run_in_driver("wrap", d, dets, false)
        .into_iter()
        .filter_map(|e| match e {
            Event::Defect(d) => Some(format!(
                "{} at {:.2}",
                d.defect.as_str(),
                d.start.as_secs_f64()
            )),
            _ => None,
        })
        .collect();
    let _ = std::fs::remove_file(&path);
    assert!(defects.is_empty(), "{defects:?}");
}
