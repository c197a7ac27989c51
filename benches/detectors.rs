//! Cost of each built-in detector per item: a 1080p picture (yuv420p) or 1024 stereo samples
//! at 48 kHz. Run: `cargo bench --bench detectors`. Compare with the decode cost of the same
//! picture in `benches/README.md`.

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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
