//! `clipping` (issue 17): one interval per clipped passage of a shouted voice, whose syllables
//! reach the rail one by one. A lone pulse cut at the rail, which a codec rounds back until it
//! bends only gently at its shoulders (but still more there than at its apex), starts the
//! passage that the louder syllables after it confirm; and loud syllables just under the rail
//! between two clipped ones hold the passage open without carrying its end. Pure Rust,
//! synthetic audio.

mod common;

use common::clipping::{low_pass, passages};
use std::f64::consts::PI;

const RATE: u32 = 48_000;

/// A quiet hum (200 Hz at 0.005) for `secs` seconds.
fn hum(secs: f64) -> Vec<f64> {
    let n = (secs * RATE as f64) as usize;
    (0..n)
        .map(|i| 0.005 * (2.0 * PI * 200.0 * i as f64 / RATE as f64).sin())
        .collect()
}

/// Adds a loud 200 Hz voice from `from` to `to` seconds: `2 sin` hard-clipped at 0.98 (flat
/// tops) when `clipped`, else a sine at `top` (round tops), faded in and out over 5 ms.
fn voice(x: &mut [f64], from: f64, to: f64, clipped: bool, top: f64) {
    let (a, b) = ((from * RATE as f64) as usize, (to * RATE as f64) as usize);
    for (i, v) in x.iter_mut().enumerate().take(b).skip(a) {
        let t = i as f64 / RATE as f64;
        let fade = ((t - from).min(to - t) / 0.005).min(1.0);
        let s = (2.0 * PI * 200.0 * t).sin();
        *v = if clipped {
            (2.0 * s).clamp(-0.98, 0.98) * fade
        } else {
            top * s * fade
        };
    }
}

/// Adds a lone pulse at `at` seconds: a Gaussian of 8 samples, boosted to `gain` and cut at
/// the rail (1.0) when it passes it, scaled by `scale` (a codec decodes a rounded clipped top
/// a little under the rail).
fn pulse(x: &mut [f64], at: f64, gain: f64, scale: f64) {
    let c = (at * RATE as f64) as i64;
    for d in -40i64..=40 {
        let g = (gain * (-(d as f64 / 8.0).powi(2)).exp()).min(1.0) * scale;
        x[(c + d) as usize] += g;
    }
}

#[test]
fn a_lone_clipped_pulse_rounded_by_a_codec_starts_the_passage() {
    // Cut over 5 samples, band-limited at 12 kHz: 0.95 with 5 samples over 0.93, bending
    // 0.047 at its shoulders (under the knee a sharp corner keeps) and 0.009 at its apex.
    let mut x = hum(2.5);
    pulse(&mut x, 1.0, 1.1, 0.95);
    voice(&mut x, 1.45, 1.85, true, 0.0);
    let p = passages(&low_pass(&x, 12_000.0));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!((p[0].0 - 1.0).abs() < 0.01, "{p:?}");
    // An unclipped top as high, as long over 0.93 and as gently bent, but most at its apex
    // (pointed), does not start it.
    let mut x = hum(2.5);
    pulse(&mut x, 1.0, 0.975, 1.0);
    voice(&mut x, 1.45, 1.85, true, 0.0);
    let p = passages(&low_pass(&x, 12_000.0));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!((p[0].0 - 1.45).abs() < 0.01, "{p:?}");
}

/// Two clipped syllables 0.8 s apart (longer than `clear_for`), with `between` a loud
/// unclipped syllable (a sine at 0.86, 0.5 dB to 1.5 dB under the rail) from 1.4 s to 1.95 s,
/// 0.1 s after the first and 0.15 s before the second.
fn two_syllables(between: bool) -> Vec<f32> {
    let mut x = hum(3.2);
    voice(&mut x, 1.0, 1.3, true, 0.0);
    if between {
        voice(&mut x, 1.4, 1.95, false, 0.86);
    }
    voice(&mut x, 2.1, 2.4, true, 0.0);
    x.iter().map(|&v| v as f32).collect()
}

#[test]
fn loud_syllables_just_under_the_rail_hold_a_passage_open() {
    let p = passages(&two_syllables(true));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        (p[0].0 - 1.0).abs() < 0.01 && (p[0].1 - 2.4).abs() < 0.01,
        "{p:?}"
    );
    // Quiet between them: two passages.
    let p = passages(&two_syllables(false));
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn a_loud_syllable_after_the_last_clipped_one_is_not_its_end() {
    let mut x = hum(3.0);
    voice(&mut x, 1.0, 1.3, true, 0.0);
    voice(&mut x, 1.4, 1.95, false, 0.86);
    let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let p = passages(&x);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!((p[0].1 - 1.3).abs() < 0.01, "{p:?}");
}
