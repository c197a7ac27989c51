//! `clipping` (issue 17): a shouted voice's first clipped syllable, high-pitched, has narrow
//! tops cut at the rail, too few and too narrow to confirm a passage; the louder syllables
//! after it confirm one. The passage starts with the first syllable's tops that held runs at
//! full scale and bent sharply at their shoulders (the corners the rail cut), not with the
//! syllable that confirmed it; a loud syllable whose tops are as high but smooth (boosted,
//! not yet clipped) does not start it. Pure Rust, synthetic audio.

mod common;

use std::f64::consts::PI;

use common::clipping::passages;
use common::sounds::RATE;

/// The first syllable, if any, before the loud clipped one.
#[derive(Clone, Copy, PartialEq)]
enum First {
    None,
    /// Four narrow pulses (a Gaussian of 8 samples boosted to 1.15) cut at 1.0 and decoded
    /// at 0.97: 7 samples over 0.93 each, with sharp shoulders.
    Clipped,
    /// Four smooth pulses (a Gaussian of 10 samples) peaking at 0.975: 5 samples over 0.93
    /// each, rounded.
    Smooth,
}

/// Quiet (a 200 Hz hum at 0.005) for 1 s; from 1.0 s, the `first` syllable: four pulses 12 ms
/// apart, alternating in sign, standing over a 200 Hz voice at 0.3; quiet again; from 1.45 s a
/// loud 200 Hz voice hard-clipped at 0.98 for 0.4 s (flat tops); quiet to 2.5 s.
fn shout(first: First) -> Vec<f32> {
    let n = (2.5 * RATE as f64) as usize;
    let (gain, width, rail) = match first {
        First::Clipped => (1.15, 8.0, 0.97),
        _ => (0.975, 10.0, 1.0),
    };
    (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let hum = 0.005 * (2.0 * PI * 200.0 * t).sin();
            let v = if (1.0..1.05).contains(&t) && first != First::None {
                let pulse = (0..4)
                    .map(|k| {
                        let d = (t - 1.002 - 0.012 * k as f64) * RATE as f64;
                        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                        let top = (gain * (-(d / width).powi(2)).exp()).min(1.0) * rail;
                        sign * top
                    })
                    .sum::<f64>();
                pulse + 0.3 * (2.0 * PI * 200.0 * t).sin() * (1.0 - pulse.abs())
            } else if (1.45..1.85).contains(&t) {
                (2.0 * (2.0 * PI * 200.0 * t).sin()).clamp(-0.98, 0.98)
            } else {
                hum
            };
            v as f32
        })
        .collect()
}

/// The start of the one passage reported on `signal`.
fn start(signal: &[f32]) -> f64 {
    let p = passages(signal);
    assert_eq!(p.len(), 1, "{p:?}");
    p[0].0
}

#[test]
fn a_passage_starts_with_the_first_tops_cut_at_the_rail() {
    let s = start(&shout(First::Clipped));
    assert!((s - 1.0).abs() < 0.01, "{s}");
}

#[test]
fn smooth_loud_tops_before_a_passage_do_not_start_it() {
    let s = start(&shout(First::Smooth));
    assert!((s - 1.45).abs() < 0.01, "{s}");
    // the loud syllable alone starts where it does
    let s = start(&shout(First::None));
    assert!((s - 1.45).abs() < 0.01, "{s}");
}
