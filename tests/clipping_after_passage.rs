//! `clipping` (issue 17): what comes after a clipped passage's last tops. A lone loud pulse a
//! syllable later, in the pile band but under the rail (a boosted voice's unclipped peak, one a
//! window), does not carry the passage's end (seed 26's AC-3 passage ended 0.28 s late on two);
//! a pulse pressed to the rail or followed closely by another does. Sharp tops a little later
//! carry the end when they bend more at their shoulders than at their apex (a rail's corners,
//! kept by the codec: seed 22's AAC passage ended 0.14 s early without its last two pulses),
//! not when they bend most at their apex (unclipped points). Pure Rust, synthetic audio.

mod common;

use std::f64::consts::PI;

use common::clipping::{low_pass, passages};
use common::sounds::RATE;

/// A quiet hum and a 200 Hz voice boosted 6 dB and cut at the rail 1.0 from 1.0 s to 1.3 s,
/// band-limited to 12 kHz, to 2.0 s.
fn passage() -> Vec<f32> {
    let n = (2.0 * RATE as f64) as usize;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let voice = |amp: f64| amp * (2.0 * PI * 200.0 * t).sin();
            if (1.0..1.3).contains(&t) {
                let fade = ((t - 1.0).min(1.3 - t) / 0.005).min(1.0);
                voice(2.0).clamp(-1.0, 1.0) * fade
            } else {
                voice(0.005)
            }
        })
        .collect();
    low_pass(&x, 12_000.0)
}

/// The one passage reported on `signal`.
fn one(signal: &[f32]) -> (f64, f64) {
    let p = passages(signal);
    assert_eq!(p.len(), 1, "{p:?}");
    p[0]
}

/// Adds to `x` a positive half-sine lobe of `top`, 5.5 ms long (a 90 Hz pulse), at each of
/// `at` (seconds).
fn pulses(x: &mut [f32], top: f64, at: &[f64]) {
    for &t0 in at {
        let a = (t0 * RATE as f64) as usize;
        let len = (0.0055 * RATE as f64) as usize;
        for (k, v) in x[a..a + len].iter_mut().enumerate() {
            *v += (top * (PI * k as f64 / len as f64).sin()) as f32;
        }
    }
}

#[test]
fn a_lone_pulse_under_the_rail_a_syllable_later_does_not_end_the_passage() {
    // Two pulses at 0.96 (0.4 dB under the ceiling), 26 ms apart, 0.2 s after the last tops.
    let mut x = passage();
    pulses(&mut x, 0.96, &[1.5, 1.526]);
    let (start, end) = one(&x);
    assert!((start - 1.0).abs() < 0.01, "{start}");
    assert!((end - 1.3).abs() < 0.01, "{end}");
}

#[test]
fn pulses_pressed_to_the_rail_or_following_each_other_end_it() {
    // At 0.99, within a quarter of a dB of the ceiling.
    let mut x = passage();
    pulses(&mut x, 0.99, &[1.5, 1.526]);
    assert!((one(&x).1 - 1.529).abs() < 0.01, "{:?}", one(&x));
    // At 0.96, 12 ms apart: the second follows the first.
    let mut x = passage();
    pulses(&mut x, 0.96, &[1.5, 1.512]);
    assert!((one(&x).1 - 1.515).abs() < 0.01, "{:?}", one(&x));
}

/// Adds to `x`, in each of the windows from 1.42 s and 1.43 s, a group of four half-waves: a
/// positive and a negative pointed top (`gain` times a squared triangle 80 samples wide, cut
/// at 1.0, times 0.97: 0.3 dB under the ceiling) and a positive and a negative lobe at 0.6 (a
/// voice's loud half-waves under them).
fn pointed(x: &mut [f32], gain: f64) {
    let w = 40i64;
    let top = |d: i64| {
        let d = d.abs();
        if d < w {
            (gain * (1.0 - d as f64 / w as f64).powi(2)).min(1.0) * 0.97
        } else {
            0.0
        }
    };
    let lobe = |d: i64| {
        if (0..2 * w).contains(&d) {
            0.6 * (PI * d as f64 / (2 * w) as f64).sin()
        } else {
            0.0
        }
    };
    for k in 0..2 {
        let c = ((1.4212 + 0.01 * k as f64) * RATE as f64) as i64;
        for i in c - w..c + 7 * w {
            let d = i - c;
            let v = top(d) - top(d - 2 * w) + lobe(d - 3 * w) - lobe(d - 5 * w);
            x[i as usize] += v as f32;
        }
    }
}

#[test]
fn sharp_tops_bent_at_their_shoulders_end_the_passage() {
    // Cut from 1.1 times the rail: bent 0.044 at their shoulders, none at their apex
    // (flatness 0.27: sharper than a sine's).
    let mut x = passage();
    pointed(&mut x, 1.1);
    let (start, end) = one(&x);
    assert!((start - 1.0).abs() < 0.01, "{start}");
    assert!((end - 1.433).abs() < 0.01, "{end}");
}

#[test]
fn sharp_tops_bent_at_their_apex_only_hold_the_passage_open() {
    // Uncut points (flatness 0.22), bent 0.1 at the apex.
    let mut x = passage();
    pointed(&mut x, 1.0);
    assert!((one(&x).1 - 1.3).abs() < 0.01, "{:?}", one(&x));
}
