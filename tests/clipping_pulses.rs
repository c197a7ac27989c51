//! The `clipping` detector on an impulse-like voice (a diphone/LPC synthesiser's: one narrow
//! pulse per pitch period, pointing one way) whose loudest pulses only are hard-clipped at full
//! scale, then band-limited by a codec: the clipped tops, rounded, spread over a few tenths of a
//! dB (each pulse was cut over a different width) but stay broader than an unclipped pulse's.

mod common;

use std::f64::consts::PI;

use common::sounds::{assert_one_clipped_passage, clipping_ends, hard_clip, RATE};

/// Pitch period of the voice, in seconds (about 90 Hz, as a shouted male diphone voice).
const PERIOD: f64 = 0.011;

/// One pulse at `tau` seconds after its start: a sharp positive lobe (half a cycle at
/// 1.6 kHz), then a negative one half as deep and a quiet rest of the period.
fn pulse(tau: f64) -> f64 {
    let half = 1.0 / 3200.0;
    if tau < half {
        (PI * tau / half).sin()
    } else if tau < 3.0 * half {
        -0.5 * (PI * (tau - half) / (2.0 * half)).sin()
    } else {
        0.0
    }
}

/// Shimmer: the loudness of pulse `k`, 1 down to `1 - depth` (a voice's pulses differ, in no
/// order).
fn shimmer(k: usize, depth: f64) -> f64 {
    let r = ((k as f64 * 12.9898).sin() * 43_758.545_3).fract().abs();
    1.0 - depth * r
}

/// `secs` of syllables of [`pulse`]s (0.25 s on, 0.15 s off, a raised cosine), their loudest
/// pulse at `quiet`, and a shouted word of `word` seconds at `from` whose loudest pulse is at
/// `loud`; [`shimmer`] of `depth`.
fn voice(secs: f64, quiet: f64, from: f64, word: f64, loud: f64, depth: f64) -> Vec<f64> {
    (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let k = (t / PERIOD) as usize;
            let tau = t - k as f64 * PERIOD;
            let (env, top) = if (from..from + word).contains(&t) {
                let u = (t - from) / word;
                ((PI * u).sin().min(0.5) * 2.0, loud)
            } else {
                let syl = (t / 0.4).fract() * 0.4;
                let env = if syl < 0.25 {
                    0.5 - 0.5 * (2.0 * PI * syl / 0.25).cos()
                } else {
                    0.0
                };
                (env, quiet)
            };
            top * env * shimmer(k, depth) * pulse(tau)
        })
        .collect()
}

/// A codec's band-limiting and quantisation: `x` averaged over 5 samples (a low-pass at about
/// 10 kHz, rounding short flat tops), each block of 1024 samples (a codec frame) rendered up to
/// 0.25 dB louder (its quantisation error), plus a 15 kHz ripple of a few
/// thousandths: the clipped tops, rounded, spread over a few tenths of a dB, as after AAC.
fn codec(x: &[f64]) -> Vec<f32> {
    (0..x.len())
        .map(|i| {
            let at = |k: isize| x[(i as isize + k).clamp(0, x.len() as isize - 1) as usize];
            let avg = (-2..=2).map(at).sum::<f64>() / 5.0;
            let frame = (i / 1024) as f64;
            let gain = 1.0 + 0.03 * ((frame * 78.233).sin() * 43_758.545_3).fract();
            let t = i as f64 / RATE as f64;
            (avg * gain + 0.003 * (2.0 * PI * 15_000.0 * t).sin()) as f32
        })
        .collect()
}

#[test]
fn a_pulse_voice_clipped_only_on_its_loudest_pulses_is_one_interval() {
    // A short shouted word (80-100 ms: seven to nine pitch periods) whose loudest pulses pass
    // full scale by 2-3 dB, their loudness varying by 2 dB: they are cut at the rail, each
    // over a different width, and the codec spreads their rounded tops over a few tenths of a
    // dB, so that they are not pressed together as a rail's tops of a longer passage are.
    for (word, loud) in [(0.08, 1.3), (0.1, 1.3), (0.1, 1.4)] {
        let mut x = voice(8.0, 0.45, 3.0, word, loud, 0.2);
        let (first, last) = hard_clip(&mut x, 1.0).unwrap();
        assert_one_clipped_passage(&codec(&x), first, last, &format!("{word} {loud}"));
    }
}

#[test]
fn the_same_pulse_voice_unclipped_near_full_scale_is_not_reported() {
    // The same shouted word with its loudest pulse at -0.1 or -1 dBFS, its pulses varying by
    // 0.5 dB only: their tops, as sharp as the voice makes them, pile one way under the
    // loudest, but are not broad.
    for loud in [0.989, 0.891] {
        let mut x = voice(8.0, 0.45, 3.0, 0.3, loud, 0.05);
        assert!(hard_clip(&mut x, 1.0).is_none());
        let e = clipping_ends(&codec(&x));
        assert!(e.is_empty(), "{loud}: {e:#?}");
    }
}
