//! The FFmpeg decoder on the fixtures of tests/data: one timeline across concatenated streams
//! and timestamp wraps, the corpus's throughput, HTTP input, and relaxed decoding.
#![cfg(feature = "ffmpeg")]

mod common;

use std::time::Instant;

use avqc::{Decoder, DecoderOptions, FfmpegDecoder, Media, NoticeKind};
use common::decoding::{data, drain, open, Summary};

#[test]
fn concatenated_ts_is_bridged_with_a_discontinuity_notice() {
    // demo.ts twice in a row: the timestamps jump back 10 s in the middle
    let one = std::fs::read(data("demo.ts")).unwrap();
    let two = [one.clone(), one].concat();
    let opts = DecoderOptions::default();
    let mut d = FfmpegDecoder::from_reader("twice.ts", std::io::Cursor::new(two), &opts).unwrap();
    let s = drain(&mut d);
    assert_eq!(s.video.len(), 500);
    let jumps: Vec<f64> = s
        .notices
        .iter()
        .filter_map(|n| match n.kind {
            NoticeKind::Discontinuity { jump_secs } => Some(jump_secs),
            _ => None,
        })
        .collect();
    assert!(!jumps.is_empty(), "{:?}", s.notices);
    assert!(jumps.iter().all(|j| (j + 10.0).abs() < 0.2), "{jumps:?}");
    // one continuous timeline: the last picture is near 20 s, and times never go back by
    // more than the B-frame reordering
    let last = s
        .video
        .iter()
        .map(|v| v.time().as_secs_f64())
        .fold(0.0, f64::max);
    assert!((last - 20.0).abs() < 0.2, "{last}");
    let audio_end = s.audio.last().unwrap().end_time().as_secs_f64();
    assert!((audio_end - 20.0).abs() < 0.2, "{audio_end}");
}

/// Decoding speed on a few corpus clips (frames dropped as they come), for comparison with
/// `ffmpeg -i X -f null -`.
#[test]
#[ignore = "needs target/eval/corpus-public; run in release with --ignored --nocapture"]
fn corpus_throughput() {
    for name in [
        "clean_testsrc2_1080p.ts",
        "freeze_bbb_720p.ts",
        "clean_carphone.ts",
    ] {
        let path = format!("target/eval/corpus-public/{name}");
        let t = Instant::now();
        let mut d = FfmpegDecoder::open(&path, &DecoderOptions::default()).unwrap();
        let (mut v, mut a) = (0, 0);
        while let Some(m) = d.next().unwrap() {
            match m {
                Media::Video(_) => v += 1,
                Media::Audio(_) => a += 1,
                _ => {}
            }
        }
        println!(
            "{name:28} {v} pictures {a} audio frames in {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn mpegts_timestamp_wrap_keeps_one_continuous_timeline() {
    let s = drain(&mut open("wrap.ts"));
    assert_eq!(s.video.len(), 100);
    assert!(
        s.notices
            .iter()
            .all(|n| !matches!(n.kind, NoticeKind::Discontinuity { .. })),
        "a wrap is not a discontinuity"
    );
    let first = s.video[0].time().as_secs_f64();
    assert!(first.abs() < 0.05, "first picture at {first}");
    for w in s.video.windows(2) {
        let step = w[1].time().secs_since(w[0].time());
        assert!((step - 0.04).abs() < 1e-6, "step {step} at {}", w[0].time());
    }
    let last = s.audio.last().unwrap().end_time().as_secs_f64();
    assert!((last - 4.0).abs() < 0.05, "audio ends at {last}");
}

/// Serves `body` once over HTTP/1.0 on a loopback port; returns the URL.
fn serve_once(body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/demo.ts", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        // FFmpeg may probe with more than one request; serve a few, then stop.
        for _ in 0..4 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req);
            let head = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = s
                .write_all(head.as_bytes())
                .and_then(|_| s.write_all(&body));
        }
    });
    url
}

#[test]
fn http_url_input_decodes_like_the_file() {
    let url = serve_once(std::fs::read(data("demo.ts")).unwrap());
    let mut d = FfmpegDecoder::open(&url, &DecoderOptions::default()).expect("open over http");
    assert_eq!(d.name(), url);
    let s = drain(&mut d);
    assert_eq!(s.video.len(), 250);
}

/// `Decoder::relax`: without the deblocking filter every picture still comes, with block edges
/// left in; without every picture the non-reference ones are skipped; `full_decode` ignores it.
#[test]
fn relaxed_decoding_skips_only_what_no_detector_needs() {
    use avqc::Needs;
    let luma = |s: &Summary| -> Vec<Vec<u8>> {
        s.video
            .iter()
            .map(|v| {
                let p = v.luma();
                (0..p.height()).flat_map(|y| p.row(y).to_vec()).collect()
            })
            .collect()
    };
    let full = drain(&mut open("demo.ts"));
    assert_eq!(full.video.len(), 250);

    let mut d = open("demo.ts");
    d.relax(Needs {
        deblocked: false,
        ..Needs::ALL
    });
    let no_deblock = drain(&mut d);
    assert_eq!(
        no_deblock.video.len(),
        full.video.len(),
        "every picture still comes"
    );
    let times = |s: &Summary| s.video.iter().map(|v| v.time()).collect::<Vec<_>>();
    assert_eq!(times(&no_deblock), times(&full));
    let (a, b) = (luma(&full), luma(&no_deblock));
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(
        differing > 100,
        "block edges left in: {differing} pictures differ"
    );
    assert_eq!(no_deblock.audio_samples(), full.audio_samples());

    let mut d = open("demo.ts");
    d.relax(Needs::NONE);
    let skipping = drain(&mut d);
    assert!(
        skipping.video.len() < full.video.len() && skipping.video.len() >= 90,
        "non-reference pictures skipped: {} of {}",
        skipping.video.len(),
        full.video.len()
    );
    assert_eq!(
        skipping.audio_samples(),
        full.audio_samples(),
        "sound untouched"
    );

    let opts = DecoderOptions {
        full_decode: true,
        ..Default::default()
    };
    let mut d = FfmpegDecoder::open(&data("demo.ts"), &opts).unwrap();
    d.relax(Needs::NONE);
    let forced = drain(&mut d);
    assert_eq!(
        luma(&forced),
        a,
        "full_decode decodes as if nothing were relaxed"
    );
}
