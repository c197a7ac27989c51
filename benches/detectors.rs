//! Cost of each built-in detector per item: a 1080p picture (yuv420p) or 1024 stereo samples
//! at 48 kHz, and in the same run the reference it is compared with: libavcodec decoding a
//! 1080p H.264 picture single-threaded (`decode / ...`; the clip is made with the ffmpeg CLI
//! in `target/bench` the first time, skipped without it); and of the audio detectors on one
//! second of a 48 kHz 5.1 stream (50 frames of 960 samples), which reads directly as the share
//! of one core needed in real time, and of `click` per 1024 samples of 48 kHz 5.1 music, and of
//! the MPEG-TS transport analyser in bytes per second; `stutter + out_of_range` runs the two
//! that share a read of the luma rows together. Run: `cargo bench --bench detectors`
//! (`-- 5.1` for the surround rows only, `-- transport` for the analyser); results in
//! `benches/README.md`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};

use avqc::{AudioFrame, Events, Media, MediaTime, PixelFormat, Rational, Registry, VideoFrame};

fn video_frames() -> Vec<Media> {
    // Two alternating textured pictures, so detectors do their full work (no early exits).
    (0..2)
        .map(|k| {
            let f = VideoFrame::from_fn(
                1920,
                1080,
                PixelFormat::Yuv420p,
                MediaTime::ZERO,
                move |p, x, y| {
                    if p == 0 {
                        ((x * 7 + y * 13 + k * 31) % 200 + 20) as u8
                    } else {
                        128
                    }
                },
            );
            Media::Video(f.with_duration(Some(0.04)))
        })
        .collect()
}

fn audio_buffers() -> Vec<Arc<Vec<f32>>> {
    (0..2)
        .map(|k| {
            Arc::new(
                (0..2048)
                    .map(|i| ((i + k * 17) as f32 * 0.05).sin() * 0.5)
                    .collect(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let reg = Registry::builtin();
    let video = video_frames();
    let audio = audio_buffers();
    for ty in reg.types().map(str::to_string).collect::<Vec<_>>() {
        let probe = reg.build_names(&[&ty]).unwrap().pop().unwrap();
        // detectors that see both get a row for each: pictures, then sound
        let mut modes = vec![probe.wants().video()];
        if probe.wants().video() && probe.wants().audio() {
            modes.push(false);
        }
        for video_mode in modes {
            let mut det = reg.build_names(&[&ty]).unwrap().pop().unwrap();
            let what = if video_mode {
                "1080p frame"
            } else {
                "1024 stereo samples"
            };
            let mut out = Events::new("bench", &ty);
            let mut i = 0i64;
            c.bench_function(&format!("{ty} / {what}"), |b| {
                b.iter(|| {
                    i += 1;
                    let k = (i % 2) as usize;
                    let m = match &video[k] {
                        Media::Video(f) if video_mode => Media::Video(
                            f.clone().with_time(MediaTime::new(i, Rational::new(1, 25))),
                        ),
                        _ => Media::Audio(
                            AudioFrame::from_shared(
                                48_000,
                                2,
                                MediaTime::new(i * 1024, Rational::new(1, 48_000)),
                                audio[k].clone(),
                            )
                            .unwrap(),
                        ),
                    };
                    det.process(&m, &mut out);
                    out.drain().count()
                })
            });
        }
    }
}

/// `stutter` and `out_of_range` on the same thread, as in the default set: `out_of_range`'s
/// area means come from `stutter`'s cell means of the same read, so its share is this row
/// minus `stutter`'s.
fn bench_shared(c: &mut Criterion) {
    let reg = Registry::builtin();
    let video = video_frames();
    let mut dets = reg.build_names(&["stutter", "out_of_range"]).unwrap();
    let mut out = Events::new("bench", "shared");
    let mut i = 0i64;
    c.bench_function("stutter + out_of_range / 1080p frame", |b| {
        b.iter(|| {
            i += 1;
            if let Media::Video(f) = &video[(i % 2) as usize] {
                let m = Media::Video(f.clone().with_time(MediaTime::new(i, Rational::new(1, 25))));
                for d in &mut dets {
                    d.process(&m, &mut out);
                }
            }
            out.drain().count()
        })
    });
}

/// A 2 s 1080p25 H.264 clip (testsrc2, as `benches/compare.sh` uses), made once.
#[cfg(feature = "ffmpeg")]
fn decode_clip() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let clip = dir.join("testsrc2_1080p_2s.ts");
    if clip.exists() {
        return Some(clip);
    }
    std::fs::create_dir_all(&dir).ok()?;
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1920x1080:rate=25:duration=2")
        .args(["-c:v", "libx264", "-preset", "veryfast", "-g", "50"])
        .args(["-pix_fmt", "yuv420p", "-an"])
        .arg(&clip)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(clip)
}

/// libavcodec's single-threaded decode of one 1080p H.264 picture (the reference).
#[cfg(feature = "ffmpeg")]
fn decode(c: &mut Criterion) {
    use avqc::{Decoder, DecoderOptions, FfmpegDecoder};
    let Some(clip) = decode_clip() else {
        eprintln!("decode bench skipped: no ffmpeg CLI to make the clip");
        return;
    };
    let clip = clip.to_string_lossy().into_owned();
    let opts = DecoderOptions {
        threads: 1,
        ..Default::default()
    };
    let open = || FfmpegDecoder::open(&clip, &opts).expect("bench clip opens");
    let mut dec = open();
    c.bench_function("decode / 1080p H.264 frame, 1 thread", |b| {
        b.iter_custom(|iters| {
            let mut spent = std::time::Duration::ZERO;
            let mut frames = 0;
            while frames < iters {
                let t0 = std::time::Instant::now();
                let item = dec.next().expect("bench clip decodes");
                spent += t0.elapsed();
                match item {
                    Some(Media::Video(_)) => frames += 1,
                    Some(_) => {}
                    // End of the clip: start again (reopening is not timed).
                    None => dec = open(),
                }
            }
            spent
        })
    });
}

#[cfg(not(feature = "ffmpeg"))]
fn decode(_: &mut Criterion) {}

const RATE: usize = 48_000;
const LEN: usize = 960;

/// One second of 48 kHz 5.1 (FL FR FC LFE BL BR) as 50 frames of 960 samples: a different
/// chord per channel with a slow swell, so the loudness changes and every path runs.
fn surround_second() -> Vec<Arc<Vec<f32>>> {
    (0..RATE / LEN)
        .map(|k| {
            let mut planar = Vec::with_capacity(LEN * 6);
            for c in 0..6 {
                let f = [220.0, 277.0, 330.0, 55.0, 440.0, 523.0][c];
                planar.extend((0..LEN).map(|i| {
                    let t = (k * LEN + i) as f32 / RATE as f32;
                    let swell = 0.3 + 0.2 * (t * 3.0).sin();
                    let x = std::f32::consts::TAU * f * t;
                    swell * (x.sin() + 0.3 * (2.0 * x).sin() + 0.1 * (5.0 * x).sin())
                }));
            }
            Arc::new(planar)
        })
        .collect()
}

/// Each audio detector, and the whole audio set, on one second of 48 kHz 5.1: the time per
/// iteration is the time per second of sound, so 10 ms = 1 % of one core in real time.
fn bench_surround(c: &mut Criterion) {
    let reg = Registry::builtin();
    let second = surround_second();
    let audio_types: Vec<String> = reg
        .types()
        .filter(|ty| {
            reg.build_names(&[ty])
                .unwrap()
                .iter()
                .all(|d| d.wants().audio() && !d.wants().video())
        })
        .map(str::to_string)
        .collect();
    let mut sets: Vec<(String, Vec<String>)> = audio_types
        .iter()
        .map(|ty| (ty.clone(), vec![ty.clone()]))
        .collect();
    sets.push(("audio set".to_string(), audio_types.clone()));
    for (label, types) in sets {
        let mut dets = reg.build_names(&types).unwrap();
        let mut out = Events::new("bench", "audio");
        let mut sec = 0i64;
        c.bench_function(&format!("{label} / 1 s of 48 kHz 5.1"), |b| {
            b.iter(|| {
                // Each second follows the previous one on the timeline.
                let mut n = 0;
                for (k, buf) in second.iter().enumerate() {
                    let tick = sec * RATE as i64 + (k * LEN) as i64;
                    let t = MediaTime::new(tick, Rational::new(1, RATE as i32));
                    let m = Media::Audio(
                        AudioFrame::from_shared(RATE as u32, 6, t, buf.clone()).unwrap(),
                    );
                    for d in dets.iter_mut() {
                        d.process(&m, &mut out);
                    }
                    n += out.drain().count();
                }
                sec += 1;
                n
            })
        });
    }
}

/// 2 s of music-like 5.1 sound at 48 kHz in 1024-sample frames (planar): partials that change
/// pitch every half second, a little noise, and a click in one channel every 0.5 s, so `click`
/// does all its work (triggers and judgements) at a realistic rate.
fn surround_buffers() -> Vec<Arc<Vec<f32>>> {
    let n = 96_000;
    let mut seed = 7u64;
    let mut noise = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.004
    };
    let channels: Vec<Vec<f32>> = (0..6)
        .map(|c| {
            let mut x: Vec<f32> = (0..n)
                .map(|i| {
                    let t = i as f32 / 48_000.0;
                    let f =
                        [196.0, 220.0, 261.6, 174.6][(i / 24_000) % 4] * (1.0 + c as f32 * 0.01);
                    let env = (std::f32::consts::PI * 2.0 * t).sin().powi(2);
                    let tau = std::f32::consts::TAU;
                    0.2 * env * ((tau * f * t).sin() + 0.5 * (2.0 * tau * f * t).sin()) + noise()
                })
                .collect();
            for k in 0..4 {
                if k % 6 == c {
                    x[12_000 + k * 24_000] += 0.5;
                }
            }
            x
        })
        .collect();
    (0..n / 1024)
        .map(|f| {
            let mut planar = Vec::with_capacity(6 * 1024);
            for ch in &channels {
                planar.extend_from_slice(&ch[f * 1024..(f + 1) * 1024]);
            }
            Arc::new(planar)
        })
        .collect()
}

/// `click` on music-like 5.1 with real clicks, per 1024-sample frame.
fn bench_click(c: &mut Criterion) {
    let frames = surround_buffers();
    let mut det = Registry::builtin()
        .build_names(&["click"])
        .unwrap()
        .pop()
        .unwrap();
    let mut out = Events::new("bench", "click");
    let mut i = 0i64;
    c.bench_function("click / 1024 samples of 5.1", |b| {
        b.iter(|| {
            let buf = frames[i as usize % frames.len()].clone();
            let time = MediaTime::new(i * 1024, Rational::new(1, 48_000));
            i += 1;
            let m = Media::Audio(AudioFrame::from_shared(48_000, 6, time, buf).unwrap());
            det.process(&m, &mut out);
            out.drain().count()
        })
    });
}

/// The TR 101 290 analyser (`transport`, in the decoder's read path) on the bytes of
/// `tests/data/demo.ts` fed in 64 KiB reads, as libavformat reads: bytes per second.
fn bench_transport(c: &mut Criterion) {
    let ts = std::fs::read("tests/data/demo.ts").unwrap();
    let mut g = c.benchmark_group("transport");
    g.throughput(criterion::Throughput::Bytes(ts.len() as u64));
    g.bench_function("analyser / demo.ts in 64 KiB reads", |b| {
        b.iter(|| {
            let mut a = avqc::transport::TsAnalyzer::new();
            for chunk in ts.chunks(64 * 1024) {
                a.feed(chunk);
            }
            a.finish();
            a.drain().count()
        })
    });
    g.finish();
}

// criterion's macros define undocumented functions.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = decode, bench, bench_shared, bench_surround, bench_click, bench_transport
    }
}
criterion_main!(group::benches);
