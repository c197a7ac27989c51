//! Synthetic sound for the audio detector tests: tones, music, drums and percussion, and a
//! formant-filtered speech-like signal, at 48 kHz (tests/click.rs).

use std::f64::consts::PI;

use super::rng::Rng;

pub const RATE: u32 = 48_000;

pub fn at(t: f64) -> usize {
    (t * RATE as f64).round() as usize
}

pub fn tone(secs: f64, hz: f64, amp: f64, phase: f64) -> Vec<f32> {
    (0..at(secs))
        .map(|i| (amp * (2.0 * PI * hz * i as f64 / RATE as f64 + phase).sin()) as f32)
        .collect()
}
/// A tone of 330 Hz at `amp`, 8 s, with noise of RMS 0.002: a quiet bed an impulse stands
/// out of.
pub fn noisy_bed(amp: f64, phase: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    tone(8.0, 330.0, amp, phase)
        .into_iter()
        .map(|v| v + (0.002 * rng.gauss()) as f32)
        .collect()
}

/// Adds a 2-sample impulse of `amp` at `t` (the second sample -0.6 of the first).
pub fn add_impulse(x: &mut [f32], t: f64, amp: f32) {
    let i = at(t);
    x[i] += amp;
    x[i + 1] -= 0.6 * amp;
}

/// Music-like sound: two voices of three and two partials that change pitch at the zeros of
/// their cross-faded envelopes, a slow tremolo and a little noise (never silent).
pub fn music(secs: f64, seed: u64, pan: f64) -> Vec<f32> {
    let mut rng = Rng(seed);
    let roots = [196.0, 220.0, 174.6, 246.9, 261.6, 207.7];
    let second = [130.8, 146.8, 164.8, 123.5, 110.0, 155.6];
    (0..at(secs))
        .map(|i| {
            let t = secs_f(i);
            let k = t.floor() as usize;
            let j = (t + 0.5).floor() as usize;
            let (fa, fb) = (roots[k % 6], second[j % 6]);
            let va = (PI * t).sin().powi(2)
                * ((2.0 * PI * fa * t).sin()
                    + 0.5 * (4.0 * PI * fa * t).sin()
                    + 0.25 * (6.0 * PI * fa * t).sin());
            let vb = (PI * t).cos().powi(2)
                * ((2.0 * PI * fb * t).sin() + 0.4 * (4.0 * PI * fb * t).sin());
            let trem = 0.85 + 0.15 * (2.0 * PI * 0.23 * t).sin();
            (0.22 * trem * (pan * va + (1.2 - pan) * vb) + 0.002 * rng.gauss()) as f32
        })
        .collect()
}

pub fn secs_f(i: usize) -> f64 {
    i as f64 / RATE as f64
}

pub fn mix(x: &mut [f32], sound: &[f32], t: f64) {
    let i = at(t);
    for (d, s) in x[i..].iter_mut().zip(sound) {
        *d += s;
    }
}

/// A kick drum: a sine sweeping from 155 Hz down to 45 Hz, starting at full level.
pub fn kick(amp: f64) -> Vec<f32> {
    let mut ph = 0.0;
    (0..at(0.35))
        .map(|i| {
            let t = secs_f(i);
            ph += 2.0 * PI * (45.0 + 110.0 * (-t / 0.04).exp()) / RATE as f64;
            (amp * ph.sin() * (-t / 0.12).exp()) as f32
        })
        .collect()
}

/// A decaying noise burst with a sharp start (snare: plus a 190 Hz body).
pub fn snare(amp: f64, rng: &mut Rng) -> Vec<f32> {
    (0..at(0.25))
        .map(|i| {
            let t = secs_f(i);
            (amp * (0.6 * rng.gauss() * (-t / 0.05).exp()
                + 0.5 * (2.0 * PI * 190.0 * t).sin() * (-t / 0.03).exp())
                / 1.5) as f32
        })
        .collect()
}

/// A hi-hat: high-passed noise decaying in 15 ms.
pub fn hihat(amp: f64, rng: &mut Rng) -> Vec<f32> {
    let mut prev = 0.0;
    (0..at(0.08))
        .map(|i| {
            let w = rng.gauss();
            let v = w - prev;
            prev = w;
            (amp * 0.5 * v * (-secs_f(i) / 0.015).exp()) as f32
        })
        .collect()
}

/// A hand clap: three 2 ms noise bursts 9 ms apart, then a 30 ms tail.
pub fn clap(amp: f64, rng: &mut Rng) -> Vec<f32> {
    let mut y = vec![0.0f32; at(0.12)];
    for k in 0..4 {
        let s = at(k as f64 * 0.009);
        let (len, tau) = if k < 3 {
            (at(0.002), 0.0015)
        } else {
            (y.len() - s, 0.03)
        };
        for i in 0..len {
            y[s + i] += (amp * 0.5 * rng.gauss() * (-secs_f(i) / tau).exp()) as f32;
        }
    }
    y
}

/// A woodblock: a 900 Hz partial decaying in 10 ms, starting from zero.
pub fn woodblock(amp: f64) -> Vec<f32> {
    (0..at(0.05))
        .map(|i| {
            let t = secs_f(i);
            (amp * (2.0 * PI * 900.0 * t).sin() * (-t / 0.01).exp()) as f32
        })
        .collect()
}

/// A drum pattern at 120 beats per minute (with eighth-note hi-hats if `hats`), over music or
/// silence.
pub fn drums(secs: f64, with_bed: bool, hats: bool, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    let mut x = if with_bed {
        music(secs, seed, 0.75).iter().map(|v| v * 0.5).collect()
    } else {
        vec![0.0f32; at(secs)]
    };
    let mut t = 0.5;
    let mut k = 0;
    while t < secs - 0.5 {
        match k % 4 {
            0 => mix(&mut x, &kick(0.8), t),
            2 => mix(&mut x, &snare(0.6, &mut rng), t),
            _ => {}
        }
        if k % 8 == 5 {
            mix(&mut x, &clap(0.7, &mut rng), t);
        }
        if k % 8 == 3 {
            mix(&mut x, &woodblock(0.6), t + 0.06);
        }
        if hats {
            mix(&mut x, &hihat(0.3, &mut rng), t);
            mix(&mut x, &hihat(0.45, &mut rng), t + 0.125);
        }
        k += 1;
        t += 0.25;
    }
    x
}

/// A two-pole resonator over `x`, normalised to a peak of 1.
pub fn resonate(x: &[f64], hz: f64, bandwidth: f64) -> Vec<f64> {
    let r = (-PI * bandwidth / RATE as f64).exp();
    let th = 2.0 * PI * hz / RATE as f64;
    let (a1, a2) = (2.0 * r * th.cos(), -r * r);
    let (mut s1, mut s2) = (0.0, 0.0);
    let y: Vec<f64> = x
        .iter()
        .map(|&v| {
            let o = v + a1 * s1 + a2 * s2;
            s2 = s1;
            s1 = o;
            o
        })
        .collect();
    let peak = y.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
    y.iter().map(|v| v / peak).collect()
}

/// Speech-like sound: syllables of a plosive (60 ms closure, a 4 ms broadband burst, 30 ms of
/// aspiration), a vowel (glottal pulses at 100–220 Hz through three formants) and sometimes a
/// fricative, with short pauses.
pub fn speech(secs: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    let mut x = vec![0.0f32; at(secs)];
    let vowels = [
        (700.0, 1200.0, 2600.0),
        (300.0, 2200.0, 3000.0),
        (500.0, 900.0, 2500.0),
        (400.0, 1900.0, 2550.0),
    ];
    let mut t = 0.3;
    while t < secs - 0.7 {
        t += 0.06;
        let amp = rng.range(0.2, 0.5);
        let burst: Vec<f32> = (0..at(0.004))
            .map(|i| (amp * rng.gauss() * (1.0 - 0.7 * i as f64 / at(0.004) as f64)) as f32)
            .collect();
        mix(&mut x, &burst, t);
        t += 0.004;
        let aspiration: Vec<f32> = (0..at(0.03))
            .map(|i| (0.05 * rng.gauss() * (-secs_f(i) / 0.01).exp()) as f32)
            .collect();
        mix(&mut x, &aspiration, t);
        t += 0.01;
        // Vowel: a glottal pulse train (smoothed) through the formants.
        let len = at(rng.range(0.15, 0.3));
        let f0 = rng.range(100.0, 220.0);
        let (mut phase, mut smooth) = (0.0f64, 0.0f64);
        let source: Vec<f64> = (0..len)
            .map(|i| {
                let f = f0 * (1.0 + 0.1 * (3.0 * i as f64 / len as f64).sin());
                let before = phase.floor();
                phase += f / RATE as f64;
                let pulse = if phase.floor() > before { 1.0 } else { 0.0 };
                smooth += 0.3 * (pulse - smooth);
                smooth
            })
            .collect();
        let (f1, f2, f3) = vowels[rng.next() as usize % 4];
        let (y1, y2, y3) = (
            resonate(&source, f1, 80.0),
            resonate(&source, f2, 100.0),
            resonate(&source, f3, 150.0),
        );
        let ramp = at(0.02) as f64;
        let vowel: Vec<f32> = (0..len)
            .map(|i| {
                let edge = (i.min(len - i) as f64 / ramp).min(1.0);
                (0.3 * edge * (y1[i] + y2[i] + y3[i]) / 3.0) as f32
            })
            .collect();
        mix(&mut x, &vowel, t);
        t += secs_f(len);
        if rng.uniform() < 0.4 {
            let len = at(rng.range(0.08, 0.15));
            let mut prev = 0.0;
            let fricative: Vec<f32> = (0..len)
                .map(|i| {
                    let w = rng.gauss();
                    let v = w - prev;
                    prev = w;
                    let edge = (i.min(len - i) as f64 / at(0.01) as f64).min(1.0);
                    (0.06 * edge * v) as f32
                })
                .collect();
            mix(&mut x, &fricative, t);
            t += secs_f(len);
        }
        t += rng.range(0.02, 0.2);
    }
    x
}

pub fn stereo(x: Vec<f32>) -> Vec<Vec<f32>> {
    let right = x.iter().map(|v| v * 0.9).collect();
    vec![x, right]
}

/// `x` on both channels of stereo frames of 1024 samples at [`RATE`].
pub fn dual_mono_frames(x: &[f32]) -> Vec<avqc::Media> {
    stereo_frames(x, x)
}

/// `left` and `right` as the channels of stereo frames of 1024 samples at [`RATE`].
pub fn stereo_frames(left: &[f32], right: &[f32]) -> Vec<avqc::Media> {
    left.chunks(1024)
        .zip(right.chunks(1024))
        .enumerate()
        .map(|(k, (l, r))| {
            let mut planar = l.to_vec();
            planar.extend_from_slice(r);
            let time = avqc::MediaTime::new(k as i64 * 1024, avqc::Rational::new(1, RATE as i32));
            avqc::Media::Audio(avqc::AudioFrame::new(RATE, 2, time, planar).unwrap())
        })
        .collect()
}
/// The clicks the default `click` detector reports on a stereo pair: its defect end events.
pub fn stereo_click_ends(left: &[f32], right: &[f32]) -> Vec<avqc::event::DefectEvent> {
    use avqc::DetectorConfig;
    let det = avqc::detect::audio::ClickConfig::default()
        .build("click")
        .unwrap();
    super::defect_ends(super::run_all(det, stereo_frames(left, right)))
}

/// The `audio_clipping` intervals the default `clipping` detector ends on `x` (both channels).
pub fn clipping_ends(x: &[f32]) -> Vec<avqc::event::DefectEvent> {
    use avqc::DetectorConfig;
    let det = avqc::detect::audio::ClippingConfig::default()
        .build("clipping")
        .unwrap();
    super::defect_ends(super::run_all(det, dual_mono_frames(x)))
}

/// Asserts that the default `clipping` detector reports `x` as one passage whose boundaries
/// lie within 50 ms of `first` and `last` (seconds); `what` names the case in a failure.
pub fn assert_one_clipped_passage(x: &[f32], first: f64, last: f64, what: &str) {
    let e = clipping_ends(x);
    assert_eq!(e.len(), 1, "{what}: {e:#?}");
    let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
    assert!((s - first).abs() <= 0.05, "{what}: start {s} vs {first}");
    assert!((end - last).abs() <= 0.05, "{what}: end {end} vs {last}");
}

/// Hard-clips `x` at `ceiling`; the times of the first clipped sample and of the sample after
/// the last one, `None` when nothing reached it.
pub fn hard_clip(x: &mut [f64], ceiling: f64) -> Option<(f64, f64)> {
    let mut first = None;
    let mut last = 0;
    for (i, v) in x.iter_mut().enumerate() {
        if v.abs() >= ceiling {
            *v = ceiling.copysign(*v);
            first.get_or_insert(i);
            last = i + 1;
        }
    }
    first.map(|f| (f as f64 / RATE as f64, last as f64 / RATE as f64))
}

/// A steady 2400 Hz tone (6 periods in each 2.5 ms window: every window's RMS is exact) whose
/// level, in dBFS, follows `parts` (seconds, level).
pub fn steps(parts: &[(f64, f64)]) -> Vec<f32> {
    let mut s = Vec::new();
    for &(secs, db) in parts {
        let amp = 10f64.powf(db / 20.0) * 2f64.sqrt();
        for _ in 0..(secs * RATE as f64).round() as usize {
            let t = s.len() as f64 / RATE as f64;
            s.push((amp * (2.0 * PI * 2400.0 * t).sin()) as f32);
        }
    }
    s
}

/// `signal` as a stereo stream at `rate` (the same sound on both channels) in frames of 1024
/// samples at their own times.
pub fn same_stereo_frames(signal: &[f32], rate: u32) -> impl Iterator<Item = avqc::Media> + '_ {
    signal.chunks(1024).enumerate().map(move |(i, s)| {
        let mut planar = s.to_vec();
        planar.extend_from_slice(s);
        let t = avqc::MediaTime::new((i * 1024) as i64, avqc::Rational::new(1, rate as i32));
        avqc::Media::Audio(avqc::AudioFrame::new(rate, 2, t, planar).unwrap())
    })
}

/// The dropouts the default `silence` detector reports on `signal` (the same on both channels
/// of a stereo stream at [`RATE`]).
pub fn silence_dropouts(signal: &[f32]) -> Vec<avqc::event::DefectEvent> {
    use avqc::DetectorConfig;
    let det = avqc::detect::audio::SilenceConfig::default()
        .build("silence")
        .unwrap();
    super::defect_ends(super::run_all(det, same_stereo_frames(signal, RATE)))
        .into_iter()
        .filter(|d| d.defect.as_str() == "audio_dropout")
        .collect()
}

/// `a` then `b`, joined as a playout chain does: `a` faded out over its last 20 ms, `b` faded in
/// over its first 20 ms (linear gains). Returns the signal and the junction's sample.
pub fn v_fade(mut a: Vec<f32>, mut b: Vec<f32>) -> (Vec<f32>, usize) {
    let fade = at(0.02);
    let n = a.len();
    for (k, x) in a[n - fade..].iter_mut().enumerate() {
        *x *= (fade - 1 - k) as f32 / fade as f32;
    }
    for (k, x) in b[..fade].iter_mut().enumerate() {
        *x *= k as f32 / fade as f32;
    }
    a.extend_from_slice(&b);
    (a, n)
}
