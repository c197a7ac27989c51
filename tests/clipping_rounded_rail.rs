//! `clipping` (issue 17): a shouted voice's syllable whose tops a codec has rounded back to a
//! sine's shape at the rail, in both polarities, one pitch period a window (every window's
//! loud half-waves but one at the rail, none flat enough on average), confirms the passage
//! when each of its tops holds a run of samples at full scale and the sound rose into them:
//! such a syllable began the seed-22 AC-3 passage 1.9 s before the one with flat tops that
//! confirmed it. The same syllable under full scale confirms nothing. Pure Rust, synthetic
//! audio.

mod common;

use std::f64::consts::PI;

use common::clipping::{low_pass, passages};
use common::sounds::RATE;

/// A half-sine lobe of `amp` from `t0` lasting `width` seconds, at `t`.
fn lobe(t: f64, t0: f64, width: f64, amp: f64) -> f64 {
    if (t0..t0 + width).contains(&t) {
        amp * (PI * (t - t0) / width).sin()
    } else {
        0.0
    }
}

/// A quiet hum; from 1.0 s to 1.3 s a 100 Hz voice whose every period (one 10 ms window) is a
/// positive and a negative lobe of `top` (cut at the rail 1.0) and a third one at 0.7, each
/// 1.1 ms long, its level rising from 55 % over the first 40 ms; band-limited to 12 kHz.
fn syllable(top: f64) -> Vec<f32> {
    let n = (2.5 * RATE as f64) as usize;
    let w = 0.0011;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            if !(1.0..1.3).contains(&t) {
                return 0.005 * (2.0 * PI * 200.0 * t).sin();
            }
            let env = (0.55 + 0.45 * (t - 1.0) / 0.04).min(1.0);
            let t0 = 1.002 + ((t - 1.0) / 0.01).floor() * 0.01;
            let v: f64 = [(0.0, top), (w, -top), (2.0 * w, 0.7 * env)]
                .iter()
                .map(|&(at, amp)| lobe(t, t0 + at, w, amp * env))
                .sum();
            v.clamp(-1.0, 1.0)
        })
        .collect();
    low_pass(&x, 12_000.0)
}

#[test]
fn rounded_tops_at_full_scale_that_the_voice_rose_into_confirm_a_passage() {
    // Lobes of 1.03 cut at the rail: tops at 1.0, flatness about 0.45, over 0.93 for about
    // 7 samples each.
    let p = passages(&syllable(1.03));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!((1.0..1.06).contains(&p[0].0), "{p:?}");
    assert!((p[0].1 - 1.3).abs() < 0.015, "{p:?}");
}

#[test]
fn the_same_tops_under_full_scale_confirm_nothing() {
    let p = passages(&syllable(0.92));
    assert!(p.is_empty(), "{p:?}");
}
