//! Cost of each built-in detector per item: a 1080p picture (yuv420p) or 1024 stereo samples
//! at 48 kHz; and of `click` per 1024 samples of 48 kHz 5.1 music. Run: `cargo bench --bench
//! detectors`. Compare with the decode cost of the same picture in `benches/README.md`.

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
        let mut det = reg.build_names(&[&ty]).unwrap().pop().unwrap();
        let what = if det.wants().video() {
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
                    Media::Video(f) if det.wants().video() => {
                        Media::Video(f.clone().with_time(MediaTime::new(i, Rational::new(1, 25))))
                    }
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

fn bench_surround(c: &mut Criterion) {
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench, bench_surround
}
criterion_main!(benches);
