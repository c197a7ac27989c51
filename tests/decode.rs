//! The FFmpeg decoder on the fixtures of tests/data (made by scripts/make-fixtures.sh).
#![cfg(feature = "ffmpeg")]

mod common;

use std::time::{Duration, Instant};

use common::decoding::{data, drain, open};

use avqc::{
    ColorRange, Decoder, DecoderOptions, FfmpegDecoder, FrameFlags, Media, MediaKind, NoticeKind,
    PixelFormat, PushInput, StopSignal, StreamSelection,
};

#[test]
fn demo_stream_infos() {
    let d = open("demo.ts");
    assert_eq!(d.name(), data("demo.ts"));
    let s = d.streams();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].kind, MediaKind::Video);
    assert_eq!(s[0].codec, "h264");
    assert_eq!((s[0].width, s[0].height), (Some(320), Some(180)));
    assert_eq!(s[0].frame_rate, Some(avqc::Rational::new(25, 1)));
    assert_eq!(s[1].kind, MediaKind::Audio);
    assert_eq!(s[1].codec, "aac");
    assert_eq!(s[1].sample_rate, Some(48_000));
    assert_eq!(s[1].channels, Some(2));
    let dur = s[0].duration.expect("duration").as_secs_f64();
    assert!((dur - 10.0).abs() < 0.2, "{dur}");
}

#[test]
fn demo_decodes_every_frame_with_exact_times() {
    let mut d = open("demo.ts");
    let s = drain(&mut d);
    assert_eq!(s.video.len(), 250);
    assert_eq!(s.count("end_of_stream"), 1);
    assert!(matches!(
        s.notices.last().map(|n| &n.kind),
        Some(NoticeKind::EndOfStream)
    ));
    assert_eq!(s.count("decode_error"), 0, "{:?}", s.notices);
    assert_eq!(s.count("corrupt_packet"), 0);
    assert_eq!(s.count("discontinuity"), 0);

    // Video: frame n at (1024/48000 + n/25) s: the AAC priming makes audio start first,
    // and the input's start time is the first audio sample (as ffprobe shows).
    let mut times: Vec<f64> = s.video.iter().map(|v| v.time().as_secs_f64()).collect();
    assert!(
        times[0].abs() < 0.04 + 1e-9,
        "first video frame at {}",
        times[0]
    );
    times.sort_by(f64::total_cmp);
    for (n, t) in times.iter().enumerate() {
        let want = 1024.0 / 48000.0 + n as f64 / 25.0;
        assert!((t - want).abs() < 1e-4, "frame {n}: {t} != {want}");
    }
    let v = &s.video[0];
    assert_eq!((v.width(), v.height()), (320, 180));
    assert_eq!(v.format(), PixelFormat::Yuv420p);
    assert!(v.flags().contains(FrameFlags::KEY));
    assert!(!v.flags().is_damaged());
    assert_eq!(v.picture_type(), avqc::PictureType::I);
    assert!((v.duration().unwrap() - 0.04).abs() < 1e-9);
    assert_eq!(v.stream(), 0);

    // Black frames 125..149 (5.0–6.0 s of content): luma 16.
    let mut by_time = s.video.clone();
    by_time.sort_by_key(|a| a.time());
    let mean = |f: &avqc::VideoFrame| {
        let l = f.luma();
        let sum: u64 = l.rows().flatten().map(|&b| b as u64).sum();
        sum as f64 / (l.width() * l.height()) as f64
    };
    assert!(
        (mean(&by_time[130]) - 16.0).abs() < 2.0,
        "{}",
        mean(&by_time[130])
    );
    assert!(mean(&by_time[100]) > 40.0);

    // Audio: sample-exact and contiguous from 0.
    assert_eq!(s.audio[0].time().ticks(), 0);
    assert_eq!(s.audio[0].rate(), 48_000);
    assert_eq!(s.audio[0].channels(), 2);
    let mut next = 0i64;
    for a in &s.audio {
        assert_eq!(a.time().base(), avqc::Rational::new(1, 48_000));
        assert_eq!(a.time().ticks(), next);
        next += a.samples_per_channel() as i64;
    }
    let secs = s.audio_samples() as f64 / 48_000.0;
    assert!((secs - 10.0).abs() < 0.1, "{secs} s of audio");
    // the sine is at 0.5 peak; 7–8 s of content (7.0213 s on the timeline) is digital silence
    let at = |t: f64| {
        let a = s
            .audio
            .iter()
            .find(|a| a.time().as_secs_f64() <= t && a.end_time().as_secs_f64() > t)
            .unwrap();
        a.channel(0).iter().fold(0f32, |m, x| m.max(x.abs()))
    };
    assert!((at(2.0) - 0.5).abs() < 0.05, "{}", at(2.0));
    assert!(at(7.5) < 1e-3);
    assert!(at(8.75) > 0.95);
}

#[test]
fn planes_share_the_decoded_picture() {
    let mut d = open("video_only.mp4");
    let mut frames = Vec::new();
    while let Some(m) = d.next().unwrap() {
        if let Media::Video(v) = m {
            frames.push(v);
        }
    }
    assert_eq!(frames.len(), 75);
    let first_copy: Vec<u8> = frames[0].luma().rows().flatten().copied().collect();
    for v in &frames {
        let c = v.clone();
        for i in 0..3 {
            let a = v.plane(i).unwrap();
            let b = c.plane(i).unwrap();
            // clones share the bytes
            assert_eq!(a.data().as_ptr(), b.data().as_ptr());
            assert_eq!(a.data().len(), a.stride() * (a.height() - 1) + a.width());
            // FFmpeg's frame pool aligns every plane to 32 bytes or more; a heap copy would
            // not be aligned like this for 225 planes in a row
            assert_eq!(
                a.data().as_ptr() as usize % 32,
                0,
                "plane {i} is not FFmpeg's buffer"
            );
        }
    }
    // the decoder did not reuse a buffer we still hold: the first picture is intact
    let again: Vec<u8> = frames[0].luma().rows().flatten().copied().collect();
    assert_eq!(first_copy, again);
    let mut ptrs: Vec<usize> = frames
        .iter()
        .map(|f| f.luma().data().as_ptr() as usize)
        .collect();
    ptrs.sort();
    ptrs.dedup();
    assert_eq!(ptrs.len(), 75, "held pictures must not share buffers");
}

#[test]
fn analysis_size_attaches_a_smaller_copy() {
    let opts = DecoderOptions {
        analysis_size: Some((160, 160)),
        ..Default::default()
    };
    let mut d = FfmpegDecoder::open(&data("video_only.mp4"), &opts).unwrap();
    let s = drain(&mut d);
    assert_eq!(s.video.len(), 75);
    for v in &s.video {
        let a = v.analysis();
        assert_eq!((a.width(), a.height()), (160, 90));
        assert_eq!(a.time(), v.time());
        assert_eq!(a.flags(), v.flags());
    }
    // without the option the analysis frame is the frame itself
    let mut d = open("video_only.mp4");
    let Some(Media::Video(v)) = d.next().unwrap() else {
        panic!()
    };
    assert_eq!(v.analysis().width(), 320);
}

#[test]
fn reader_channel_and_push_inputs_match_the_file() {
    let file = drain(&mut open("demo.ts"));
    let opts = DecoderOptions::default();

    let reader = std::fs::File::open(data("demo.ts")).unwrap();
    let mut d = FfmpegDecoder::from_reader("demo.ts", reader, &opts).unwrap();
    assert_eq!(d.name(), "demo.ts");
    let r = drain(&mut d);
    assert_eq!(r.video.len(), file.video.len());
    assert_eq!(r.audio_samples(), file.audio_samples());
    assert_eq!(r.video[0].time(), file.video[0].time());

    let bytes = std::fs::read(data("demo.ts")).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    for chunk in bytes.chunks(1000) {
        tx.send(bytes::Bytes::copy_from_slice(chunk)).unwrap();
    }
    drop(tx);
    let c = drain(&mut FfmpegDecoder::from_channel("demo.ts", rx, &opts).unwrap());
    assert_eq!(c.video.len(), file.video.len());
    assert_eq!(c.audio_samples(), file.audio_samples());

    let (input, rx) = PushInput::new(4);
    let feeder = std::thread::spawn(move || {
        for chunk in bytes.chunks(7 * 188) {
            input
                .push(bytes::Bytes::copy_from_slice(chunk))
                .expect("decoder alive");
        }
        input.finish();
    });
    let p = drain(&mut FfmpegDecoder::from_channel("push.ts", rx, &opts).unwrap());
    feeder.join().unwrap();
    assert_eq!(p.video.len(), file.video.len());
    assert_eq!(p.audio_samples(), file.audio_samples());
}

#[test]
fn push_fails_once_the_decoder_is_gone() {
    let (input, rx) = PushInput::new(1);
    drop(rx);
    assert!(input.push(bytes::Bytes::from_static(b"x")).is_err());
}

#[test]
fn stream_selection() {
    let only = |sel| {
        let opts = DecoderOptions {
            streams: sel,
            ..Default::default()
        };
        let d = FfmpegDecoder::open(&data("demo.ts"), &opts).unwrap();
        d.streams().iter().map(|s| s.kind).collect::<Vec<_>>()
    };
    assert_eq!(only(StreamSelection::VideoOnly), vec![MediaKind::Video]);
    assert_eq!(only(StreamSelection::AudioOnly), vec![MediaKind::Audio]);
    assert_eq!(
        only(StreamSelection::Indices(vec![1])),
        vec![MediaKind::Audio]
    );
    let opts = DecoderOptions {
        streams: StreamSelection::Indices(vec![7]),
        ..Default::default()
    };
    assert!(matches!(
        FfmpegDecoder::open(&data("demo.ts"), &opts),
        Err(avqc::Error::NoStream { .. })
    ));
    let opts = DecoderOptions {
        streams: StreamSelection::VideoOnly,
        ..Default::default()
    };
    let s = drain(&mut FfmpegDecoder::open(&data("demo.ts"), &opts).unwrap());
    assert!(s.audio.is_empty());
    assert_eq!(s.video.len(), 250);
}

#[test]
fn corrupt_ts_reports_damage() {
    let mut d = open("corrupt.ts");
    let s = drain(&mut d);
    let errors = s.count("decode_error");
    assert!(errors >= 2, "{:?}", s.notices);
    let damaged = s.video.iter().filter(|v| v.flags().is_damaged()).count();
    assert!(damaged >= 2, "{damaged} damaged frames");
    assert!(s.video.len() >= 245);
    // the first flip is in the second half of the clip
    let first = s
        .notices
        .iter()
        .find(|n| n.kind.name() == "decode_error")
        .unwrap();
    assert!(first.time.as_secs_f64() > 4.0, "{:?}", first);
    assert!(matches!(&first.kind, NoticeKind::DecodeError { message } if !message.is_empty()));
}

#[test]
fn high_bit_depth_is_converted() {
    let mut d = open("high10.mp4");
    let s = drain(&mut d);
    assert_eq!(s.video.len(), 50);
    let v = &s.video[0];
    assert_eq!(v.format(), PixelFormat::Yuv420p);
    assert_eq!((v.width(), v.height()), (320, 180));
    // testsrc2 has saturated colour bars: not a flat picture
    let l = v.luma();
    let (mn, mx) = l
        .rows()
        .flatten()
        .fold((255u8, 0u8), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(mx - mn > 100, "{mn}..{mx}");
    assert_ne!(v.range(), ColorRange::Full);
}

#[test]
fn packed_surround_pcm_becomes_planar_f32() {
    let s = drain(&mut open("surround.wav"));
    assert_eq!(s.audio_samples(), 12_000);
    let a = &s.audio[0];
    assert_eq!(a.channels(), 6);
    for c in 0..6 {
        let want = (c + 1) as f32 / 10.0;
        assert!(
            a.channel(c).iter().all(|x| (x - want).abs() < 1e-3),
            "channel {c}"
        );
    }
}

#[test]
fn encrypted_mp4_decrypts_with_the_key() {
    let opts = DecoderOptions {
        decryption_key: Some("00112233445566778899aabbccddeeff".into()),
        ..Default::default()
    };
    let mut d = FfmpegDecoder::open(&data("encrypted.mp4"), &opts).unwrap();
    let s = drain(&mut d);
    assert_eq!(s.video.len(), 50);
    assert_eq!(s.count("decode_error"), 0, "{:?}", s.notices);
    assert!(s.video.iter().all(|v| !v.flags().is_damaged()));

    // without the key: garbage in, but no panic and an orderly end
    let mut d = open("encrypted.mp4");
    let mut n = 0;
    let mut errors = 0;
    loop {
        match d.next() {
            Ok(Some(Media::Notice(x))) if x.kind.name() == "decode_error" => errors += 1,
            Ok(Some(_)) => n += 1,
            Ok(None) => break,
            Err(_) => break,
        }
        assert!(n < 100_000);
    }
    assert!(errors > 0, "scrambled video must show decode errors");
    assert!(d.next().unwrap().is_none());

    // a malformed key is a configuration error
    let opts = DecoderOptions {
        decryption_key: Some("xyz".into()),
        ..Default::default()
    };
    assert!(matches!(
        FfmpegDecoder::open(&data("encrypted.mp4"), &opts),
        Err(avqc::Error::Config { .. })
    ));
}

#[test]
fn stop_interrupts_realtime_decoding() {
    let opts = DecoderOptions {
        realtime: true,
        ..Default::default()
    };
    let mut d = FfmpegDecoder::open(&data("demo.ts"), &opts).unwrap();
    let stop = StopSignal::new();
    d.set_stop_signal(stop.clone());
    let s2 = stop.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        s2.stop();
    });
    let started = Instant::now();
    let mut last = 0.0;
    while let Some(m) = d.next().unwrap() {
        last = m.time().as_secs_f64();
    }
    stopper.join().unwrap();
    // paced: nowhere near the 10 s of the clip were decoded, and the stop ended it
    assert!(last < 5.0, "reached {last} s");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(d.next().unwrap().is_none());
}

/// Video frames a decoder gives until it ends.
fn video_frames(d: &mut dyn Decoder) -> usize {
    let mut n = 0;
    while let Some(m) = d.next().unwrap() {
        n += usize::from(matches!(m, Media::Video(_)));
    }
    n
}

#[test]
fn a_stop_still_gives_the_pictures_in_the_decoder() {
    // Every byte pushed, the input left open (a live source gone quiet), then a stop: the
    // pictures the decoder holds (reordering, frame threads) still come out, so at most the
    // last one the demuxer holds back is missing.
    let bytes = std::fs::read(data("demo.ts")).unwrap();
    let whole = video_frames(&mut open("demo.ts"));
    let (input, rx) = PushInput::new(1024);
    for chunk in bytes.chunks(188 * 50) {
        input
            .push(bytes::Bytes::copy_from_slice(chunk))
            .expect("room for every chunk");
    }
    let mut d = FfmpegDecoder::from_channel("quiet.ts", rx, &DecoderOptions::default()).unwrap();
    let stop = StopSignal::new();
    d.set_stop_signal(stop.clone());
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        stop.stop();
    });
    let got = video_frames(&mut d);
    stopper.join().unwrap();
    drop(input);
    assert!(
        got + 1 >= whole && got <= whole,
        "{got} of {whole} pictures"
    );
}

#[test]
fn decoder_is_send() {
    fn send<T: Send>() {}
    send::<FfmpegDecoder>();
    send::<PushInput>();
}

/// Decodes the labelled corpus (if present) and prints the damage signals per clip.
#[test]
#[ignore = "needs target/eval/corpus-public; run with --ignored --nocapture"]
fn corpus_damage_signals() {
    let dir = std::path::Path::new("target/eval/corpus-public");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts"))
        .collect();
    names.sort();
    for p in names {
        let t = Instant::now();
        let mut d = FfmpegDecoder::open(p.to_str().unwrap(), &DecoderOptions::default()).unwrap();
        let s = drain(&mut d);
        let damaged: Vec<f64> = s
            .video
            .iter()
            .filter(|v| v.flags().is_damaged())
            .map(|v| (v.time().as_secs_f64() * 100.0).round() / 100.0)
            .collect();
        let errs: Vec<f64> = s
            .notices
            .iter()
            .filter(|n| matches!(n.kind.name(), "decode_error" | "corrupt_packet"))
            .map(|n| (n.time.as_secs_f64() * 100.0).round() / 100.0)
            .collect();
        println!(
            "{:32} v={:4} a={:6.2}s v0={:.3} a0={:.4} decode_errors={} corrupt_packets={} \
             damaged_frames={}\n    notices at {:?}\n    damaged at {:?} [{:?}]",
            p.file_name().unwrap().to_string_lossy(),
            s.video.len(),
            s.audio_samples() as f64 / 48_000.0,
            s.video.first().map_or(-1.0, |v| v.time().as_secs_f64()),
            s.audio.first().map_or(-1.0, |a| a.time().as_secs_f64()),
            s.count("decode_error"),
            s.count("corrupt_packet"),
            damaged.len(),
            errs,
            damaged,
            t.elapsed()
        );
    }
}
