//! `clipping` (issue 17): a shouted voice's lone first clipped pulse, its corners rounded by
//! the codec but its top left at the rail with a ripple, starts the passage that the louder
//! syllable after it confirms: its flattest sample near the peak, not its tallest (the tip of
//! a ripple), is the apex its shoulders are measured against. A smooth pulse as high does not
//! start it. Pure Rust, synthetic audio.

mod common;

use common::clipping::{low_pass, passages};
use std::f64::consts::PI;

const RATE: u32 = 48_000;

/// A quiet hum; at 1.0 s one pulse (a Gaussian `width` samples wide, `gain` times the rail,
/// cut at the rail 1.0) standing over a 200 Hz voice at 0.3; from 1.23 s to 1.53 s a loud
/// 200 Hz voice boosted 6 dB and cut at the rail; quiet to 2.5 s. All of it band-limited to
/// 8 kHz (the codec), which rounds the pulse's corners and leaves a ripple on its top.
fn shout(gain: f64, width: f64) -> Vec<f32> {
    let n = (2.5 * RATE as f64) as usize;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let voice = |amp: f64| amp * (2.0 * PI * 200.0 * t).sin();
            if (0.99..1.01).contains(&t) {
                let d = (t - 1.0) * RATE as f64;
                let pulse = (gain * (-(d / width).powi(2)).exp()).min(1.0);
                pulse + voice(0.3) * (1.0 - pulse)
            } else if (1.23..1.53).contains(&t) {
                voice(2.0).clamp(-1.0, 1.0)
            } else {
                voice(0.005)
            }
        })
        .collect();
    low_pass(&x, 8_000.0)
}

/// The start of the one passage reported on `signal`.
fn start(signal: &[f32]) -> f64 {
    let p = passages(signal);
    assert_eq!(p.len(), 1, "{p:?}");
    p[0].0
}

#[test]
fn a_lone_first_pulse_cut_at_the_rail_starts_the_passage() {
    // Cut over 7 samples (boosted 1.6 dB), decoded at the rail with a ripple: its knee about
    // 0.044, under the bar, and 0.02 more at its shoulders than at its tallest sample, but
    // 0.04 more than at its flattest.
    let s = start(&shout(1.2, 8.0));
    assert!((s - 1.0).abs() < 0.01, "{s}");
}

#[test]
fn a_smooth_pulse_as_high_does_not_start_it() {
    // A Gaussian 10 samples wide peaking just under the rail: as high, with runs at full
    // scale, but bending most at its apex.
    let s = start(&shout(0.995, 10.0));
    assert!((s - 1.23).abs() < 0.01, "{s}");
}
