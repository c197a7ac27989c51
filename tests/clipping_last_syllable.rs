//! `clipping` (issue 17): a shouted voice's last clipped syllable, which a codec decodes just
//! under the pile band (its lightly clipped tops rounded, one a window, half a dB under a
//! ceiling the first syllables' overshoots set), carries the passage's end when its tops hold
//! runs of samples at full scale, however long after the last piled top it comes; a loud
//! syllable as round but under full scale only holds the passage open. Pure Rust, synthetic
//! audio.

mod common;

use common::clipping::{low_pass, passages};
use std::f64::consts::PI;

const RATE: u32 = 48_000;

/// Adds a syllable of a `hz` voice from `from` to `to` seconds: `gain` times a sine cut at the
/// rail (1.0), scaled by `scale` (a codec decodes lightly clipped tops a little under the
/// rail), faded in and out over 5 ms.
fn syllable(x: &mut [f64], (from, to): (f64, f64), hz: f64, gain: f64, scale: f64) {
    let (a, b) = ((from * RATE as f64) as usize, (to * RATE as f64) as usize);
    for (i, v) in x.iter_mut().enumerate().take(b).skip(a) {
        let t = i as f64 / RATE as f64;
        let fade = ((t - from).min(to - t) / 0.005).min(1.0);
        *v = (gain * (2.0 * PI * hz * t).sin()).clamp(-1.0, 1.0) * scale * fade;
    }
}

/// A quiet hum, a syllable hard-clipped at the rail from 1.0 s to 1.3 s (a 200 Hz voice
/// boosted 6 dB: flat tops), and 0.25 s later a last syllable from 1.55 s to 1.8 s of a
/// 90 Hz voice cut lightly (boosted 0.4 dB) whose tops decode at `top` (one a window each
/// way, a little flatter than a sine's).
fn voice(top: f64) -> Vec<f32> {
    let n = (2.5 * RATE as f64) as usize;
    let mut x: Vec<f64> = (0..n)
        .map(|i| 0.005 * (2.0 * PI * 200.0 * i as f64 / RATE as f64).sin())
        .collect();
    syllable(&mut x, (1.0, 1.3), 200.0, 2.0, 1.0);
    syllable(&mut x, (1.55, 1.8), 90.0, 1.05, top);
    low_pass(&x, 12_000.0)
}

#[test]
fn a_last_syllable_whose_rounded_tops_hold_runs_at_full_scale_ends_the_passage() {
    // Its tops at 0.945, half a dB under the ceiling, each over 0.93 for about 60 samples.
    let p = passages(&voice(0.945));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!((p[0].0 - 1.0).abs() < 0.01, "{p:?}");
    assert!((p[0].1 - 1.8).abs() < 0.015, "{p:?}");
}

#[test]
fn a_last_syllable_as_round_under_full_scale_only_holds_the_passage_open() {
    // Its tops at 0.915, under full scale (0.93): the end stays at the clipped syllable.
    let p = passages(&voice(0.915));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!((p[0].1 - 1.3).abs() < 0.01, "{p:?}");
}
