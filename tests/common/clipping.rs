//! Clipping tests' helpers: the passages `clipping` reports on a synthetic signal, and a
//! codec's low-pass of it (tests/clipping_syllables.rs, tests/clipping_last_syllable.rs,
//! tests/clipping_first_syllable.rs).

use std::f64::consts::PI;

use avqc::detect::audio::ClippingConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime, Rational};

use super::sounds::RATE;

/// The clipping passages `clipping` reports on `signal` (the same on both channels), as
/// (start, end) in seconds.
pub fn passages(signal: &[f32]) -> Vec<(f64, f64)> {
    let det = ClippingConfig::default().build("clipping").unwrap();
    let media = signal.chunks(1024).enumerate().map(|(i, s)| {
        let mut planar = s.to_vec();
        planar.extend_from_slice(s);
        let t = MediaTime::new((i * 1024) as i64, Rational::new(1, RATE as i32));
        Media::Audio(AudioFrame::new(RATE, 2, t, planar).unwrap())
    });
    let ends: Vec<DefectEvent> = super::defect_ends(super::run_all(det, media));
    ends.into_iter()
        .filter(|d| d.defect.as_str() == "audio_clipping")
        .map(|d| (d.start.as_secs_f64(), d.end.unwrap().as_secs_f64()))
        .collect()
}

/// `x` band-limited to `fc` Hz by a 31-tap Hann-windowed sinc (a codec's low-pass).
pub fn low_pass(x: &[f64], fc: f64) -> Vec<f32> {
    let taps: Vec<f64> = (0..31)
        .map(|k| {
            let m = k as f64 - 15.0;
            let a = 2.0 * fc / RATE as f64 * m;
            let sinc = if m == 0.0 {
                1.0
            } else {
                (PI * a).sin() / (PI * a)
            };
            sinc * (0.5 - 0.5 * (2.0 * PI * (k as f64 + 1.0) / 32.0).cos())
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    (0..x.len())
        .map(|i| {
            let v: f64 = taps
                .iter()
                .enumerate()
                .filter_map(|(k, h)| {
                    (i + k)
                        .checked_sub(15)
                        .and_then(|j| x.get(j))
                        .map(|v| h * v)
                })
                .sum();
            (v / sum) as f32
        })
        .collect()
}
