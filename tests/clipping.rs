//! The `clipping` detector on speech-like sound clipped under full scale and rounded as a lossy
//! codec leaves it: one interval per clipped passage, its boundaries within 50 ms.

mod common;

use std::f64::consts::PI;

use avqc::detect::audio::ClippingConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime};

const RATE: u32 = 48_000;

/// Stereo frames of 1024 samples.
fn frames(x: &[f32]) -> Vec<Media> {
    x.chunks(1024)
        .enumerate()
        .map(|(k, c)| {
            let mut planar = c.to_vec();
            planar.extend_from_slice(c);
            let time = MediaTime::new(k as i64 * 1024, avqc::Rational::new(1, RATE as i32));
            Media::Audio(AudioFrame::new(RATE, 2, time, planar).unwrap())
        })
        .collect()
}

fn clipping_ends(x: &[f32]) -> Vec<DefectEvent> {
    let det = ClippingConfig::default().build("clipping").unwrap();
    common::defect_ends(common::run_all(det, frames(x)))
}

/// Voiced syllables (a 140 Hz wave of six harmonics whose phases make it asymmetric, as a
/// voice's is; 0.22 s on and 0.12 s off, a raised-cosine envelope) peaking at about 0.4,
/// `gain` times louder from `from` to `to` seconds.
fn speech(secs: f64, from: f64, to: f64, gain: f64) -> Vec<f64> {
    (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let syl = (t / 0.34).fract() * 0.34;
            let env = if syl < 0.22 {
                0.5 - 0.5 * (2.0 * PI * syl / 0.22).cos()
            } else {
                0.0
            };
            const PHASES: [f64; 6] = [0.0, 1.3, 2.9, 0.7, 4.1, 2.2];
            let wave: f64 = (1..=6)
                .map(|h| (2.0 * PI * 140.0 * h as f64 * t + PHASES[h - 1]).sin() / h as f64)
                .sum();
            let g = if (from..to).contains(&t) { gain } else { 1.0 };
            0.4 / 1.7 * env * wave * g
        })
        .collect()
}

/// Hard-clips at `ceiling`; returns the first and last clipped sample times.
fn clip(x: &mut [f64], ceiling: f64) -> (f64, f64) {
    let mut first = None;
    let mut last = 0;
    for (i, v) in x.iter_mut().enumerate() {
        if v.abs() >= ceiling {
            *v = ceiling.copysign(*v);
            first.get_or_insert(i);
            last = i + 1;
        }
    }
    (
        first.unwrap() as f64 / RATE as f64,
        last as f64 / RATE as f64,
    )
}

/// What a lossy codec leaves: tops rounded (a short smoothing), a little ripple at 15 kHz.
fn codec(x: &[f64]) -> Vec<f32> {
    (0..x.len())
        .map(|i| {
            let at = |k: isize| x[(i as isize + k).clamp(0, x.len() as isize - 1) as usize];
            let smooth = 0.2 * at(-1) + 0.6 * at(0) + 0.2 * at(1);
            let t = i as f64 / RATE as f64;
            (smooth + 0.008 * (2.0 * PI * 15_000.0 * t).sin()) as f32
        })
        .collect()
}

#[test]
fn speech_clipped_under_full_scale_after_a_codec_is_one_interval() {
    for ceiling in [0.891, 0.97] {
        let mut x = speech(8.0, 3.0, 5.0, 4.0);
        let (first, last) = clip(&mut x, ceiling);
        let e = clipping_ends(&codec(&x));
        assert_eq!(e.len(), 1, "ceiling {ceiling}: {e:#?}");
        let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
        assert!((s - first).abs() <= 0.05, "start {s} vs {first}");
        assert!((end - last).abs() <= 0.05, "end {end} vs {last}");
    }
}

#[test]
fn the_same_speech_unclipped_or_clipped_far_under_full_scale_is_not_reported() {
    // Loud but not clipped: the boosted passage peaks at 0.82.
    let x = speech(8.0, 3.0, 5.0, 2.1);
    assert!(clipping_ends(&codec(&x)).is_empty());
    // A ceiling at -9 dBFS is under `min_ceiling_db`: not looked at.
    let mut x = speech(8.0, 3.0, 5.0, 3.0);
    clip(&mut x, 0.35);
    assert!(clipping_ends(&codec(&x)).is_empty());
}
