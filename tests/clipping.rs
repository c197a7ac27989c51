//! The `clipping` detector on speech-like sound clipped under full scale and rounded as a lossy
//! codec leaves it: one interval per clipped passage, its boundaries within 50 ms.

mod common;

use std::f64::consts::PI;

use common::sounds::{assert_one_clipped_passage, clipping_ends, hard_clip, RATE};

/// The syllable envelope at `t` seconds: 0.22 s on (a raised cosine), 0.12 s off.
fn syllable(t: f64) -> f64 {
    let syl = (t / 0.34).fract() * 0.34;
    if syl < 0.22 {
        0.5 - 0.5 * (2.0 * PI * syl / 0.22).cos()
    } else {
        0.0
    }
}

/// Voiced syllables (a 140 Hz wave of six harmonics whose phases make it asymmetric, as a
/// voice's is; 0.22 s on and 0.12 s off, a raised-cosine envelope) peaking at about 0.4,
/// `gain` times louder from `from` to `to` seconds.
fn speech(secs: f64, from: f64, to: f64, gain: f64) -> Vec<f64> {
    (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let env = syllable(t);
            const PHASES: [f64; 6] = [0.0, 1.3, 2.9, 0.7, 4.1, 2.2];
            let wave: f64 = (1..=6)
                .map(|h| (2.0 * PI * 140.0 * h as f64 * t + PHASES[h - 1]).sin() / h as f64)
                .sum();
            let g = if (from..to).contains(&t) { gain } else { 1.0 };
            0.4 / 1.7 * env * wave * g
        })
        .collect()
}

/// Hard-clips at `ceiling`, which the sound reaches; the first and last clipped sample times.
fn clip(x: &mut [f64], ceiling: f64) -> (f64, f64) {
    hard_clip(x, ceiling).expect("the sound reaches the ceiling")
}

/// What a lossy codec leaves: tops rounded (a short smoothing), a little ripple at 15 kHz.
fn codec(x: &[f64]) -> Vec<f32> {
    smoothed_with_ripple(x, 0.008)
}

/// `x` smoothed over 3 samples (0.2, 0.6, 0.2) plus a 15 kHz ripple of amplitude `ripple`.
fn smoothed_with_ripple(x: &[f64], ripple: f64) -> Vec<f32> {
    (0..x.len())
        .map(|i| {
            let at = |k: isize| x[(i as isize + k).clamp(0, x.len() as isize - 1) as usize];
            let smooth = 0.2 * at(-1) + 0.6 * at(0) + 0.2 * at(1);
            let t = i as f64 / RATE as f64;
            (smooth + ripple * (2.0 * PI * 15_000.0 * t).sin()) as f32
        })
        .collect()
}

#[test]
fn speech_clipped_under_full_scale_after_a_codec_is_one_interval() {
    for ceiling in [0.891, 0.97] {
        let mut x = speech(8.0, 3.0, 5.0, 4.0);
        let (first, last) = clip(&mut x, ceiling);
        assert_one_clipped_passage(&codec(&x), first, last, &format!("ceiling {ceiling}"));
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

/// A voice whose glottal pulses point one way (harmonics in cosine phase falling as 1/h²: a
/// tall positive cusp each period, a negative swing half as deep), in syllables as [`speech`], `gain` times
/// louder from `from` to `to` seconds; the loudest pulses of the quiet part reach about 0.45.
fn pulses(secs: f64, from: f64, to: f64, gain: f64) -> Vec<f64> {
    (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let env = syllable(t);
            // the syllables differ in loudness, as spoken ones do
            let k = (t / 0.34) as usize;
            let level = [1.0, 0.8, 0.93, 0.72, 0.88][k % 5];
            let wave: f64 = (1..=6)
                .map(|h| (2.0 * PI * 120.0 * h as f64 * t).cos() / (h * h) as f64)
                .sum();
            let g = if (from..to).contains(&t) { gain } else { 1.0 };
            0.45 / 1.6 * env * level * wave * g
        })
        .collect()
}

/// A codec that keeps clipped tops well (as AC-3 at 192k): a short smoothing, a ripple of a
/// few thousandths.
fn gentle_codec(x: &[f64]) -> Vec<f32> {
    smoothed_with_ripple(x, 0.002)
}

#[test]
fn a_voice_clipped_on_one_side_only_is_one_interval() {
    // Only the positive pulses reach the rail (at -1 dBFS, under the flat-top level).
    let mut x = pulses(8.0, 3.0, 5.0, 2.6);
    let (first, last) = clip(&mut x, 0.891);
    assert!(
        x.iter().all(|&v| v > -0.6),
        "the negative swings stay clear of the rail"
    );
    let e = clipping_ends(&gentle_codec(&x));
    assert_eq!(e.len(), 1, "{e:#?}");
    let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
    assert!((s - first).abs() <= 0.05, "start {s} vs {first}");
    assert!((end - last).abs() <= 0.05, "end {end} vs {last}");
}

/// Hits of a percussive sound (twelve inharmonic partials up to 17 kHz, an attack of a
/// fraction of a millisecond, decaying in about 4 ms) every 20 ms (a roll), their loudness and
/// polarity varying; the loudest peak is `peak`.
fn hits(secs: f64, peak: f64) -> Vec<f32> {
    let x: Vec<f64> = (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let k = (t / 0.02) as usize;
            let dt = t - k as f64 * 0.02;
            let level = [1.0, -0.97, 0.985, -0.96, -0.99, 0.975, -1.0][k % 7];
            let tone: f64 = (1..=12)
                .map(|p| {
                    let f = 700.0 * (p as f64).powf(1.3);
                    (2.0 * PI * f * dt + 1.7 * p as f64).sin() / (p as f64).sqrt()
                })
                .sum();
            let env = (1.0 - (-dt / 0.0003).exp()) * (-dt / 0.004).exp();
            level * env * tone
        })
        .collect();
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    x.iter().map(|v| (v * peak / max) as f32).collect()
}

#[test]
fn the_sharp_tips_of_loud_hits_are_not_a_ceiling() {
    // Percussive music near full scale (-2 dBFS), unclipped: its loudest peaks gather within
    // a few tenths of a dB, but each is the sharp tip of a transient.
    let e = clipping_ends(&hits(6.0, 0.79));
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn loud_sound_just_under_the_rail_before_the_clipping_is_not_its_start() {
    // The boosted passage opens with a syllable that peaks 0.35 dB under the rail, unclipped;
    // the clipping (and the interval) begins with the next one.
    let ceiling = 0.891;
    let mut x = speech(8.0, 3.0, 5.0, 4.0);
    let (a, b) = (3 * RATE as usize, (3.34 * RATE as f64) as usize);
    let top = x[a..b].iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = ceiling * 10f64.powf(-0.35 / 20.0) / top;
    x[a..b].iter_mut().for_each(|v| *v *= scale);
    let (first, last) = clip(&mut x, ceiling);
    assert!(first >= 3.34, "the first syllable is not clipped");
    let e = clipping_ends(&codec(&x));
    assert_eq!(e.len(), 1, "{e:#?}");
    let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
    assert!((s - first).abs() <= 0.05, "start {s} vs {first}");
    assert!((end - last).abs() <= 0.05, "end {end} vs {last}");
}

/// A codec that rounds short flat tops: `x` averaged over `n` samples (a low-pass at about
/// 48 kHz / `n`) plus a 15 kHz ripple of a few thousandths.
fn rounding_codec(x: &[f64], n: usize) -> Vec<f32> {
    let h = n as isize / 2;
    (0..x.len())
        .map(|i| {
            let at = |k: isize| x[(i as isize + k).clamp(0, x.len() as isize - 1) as usize];
            let avg = (-h..=h).map(at).sum::<f64>() / (2 * h + 1) as f64;
            let t = i as f64 / RATE as f64;
            (avg + 0.003 * (2.0 * PI * 15_000.0 * t).sin()) as f32
        })
        .collect()
}

/// One glottal pulse of a voice at `t` seconds (125 a second): one cycle of a 500 Hz formant
/// ringing, a positive then a negative lobe, then quiet until the next pulse.
fn formant_pulse(t: f64) -> f64 {
    let tau = (t / 0.008).fract() * 0.008;
    if tau < 0.002 {
        (2.0 * PI * 500.0 * tau).sin()
    } else {
        0.0
    }
}

/// Syllables (as [`speech`]) of [`formant_pulse`]s peaking at 0.4, 4 times louder from 3.0
/// to 4.7 s, then from 4.76 s a vowel held for `hold` seconds with its lobes at `top`, then
/// the same vowel at `after` for 0.2 s.
fn held_vowel(top: f64, hold: f64, after: f64) -> Vec<f64> {
    (0..(8.0 * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let level = if (3.0..4.7).contains(&t) {
                4.0 * 0.4 * syllable(t)
            } else if (4.76..4.76 + hold).contains(&t) {
                top
            } else if (4.76 + hold..4.96 + hold).contains(&t) {
                after
            } else {
                0.4 * syllable(t)
            };
            level * formant_pulse(t)
        })
        .collect()
}

#[test]
fn a_held_vowel_lightly_clipped_at_the_end_of_a_passage_is_still_clipping() {
    // The vowel's lobes lose only their tips (0.1 to 0.3 dB) to the rail at -1 dBFS; the
    // codec rounds those tops to a sine's shape, but they stay pressed against the rail that
    // the heavily clipped syllables before set, to the passage's last clipped sample.
    for top in [0.9, 0.92] {
        for hold in [0.08, 0.2] {
            for n in [3, 7] {
                let mut x = held_vowel(top, hold, 0.0);
                let (first, last) = clip(&mut x, 0.891);
                let e = clipping_ends(&rounding_codec(&x, n));
                assert_eq!(e.len(), 1, "{top} {hold} {n}: {e:#?}");
                let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
                assert!((s - first).abs() <= 0.05, "start {s} vs {first}");
                assert!(
                    (end - last).abs() <= 0.05,
                    "{top} {hold} {n}: end {end} vs {last}"
                );
            }
        }
    }
}

#[test]
fn a_vowel_going_on_under_the_rail_after_a_clipped_passage_does_not_prolong_it() {
    // The held vowel falls 1.5 dB under the rail for 0.2 s after its clipped part: off the
    // rail, its peaks no longer go on with the passage.
    let mut x = held_vowel(0.92, 0.08, 0.891 * 10f64.powf(-1.5 / 20.0));
    let (_, last) = clip(&mut x, 0.891);
    assert!(last < 4.85, "the vowel's quieter part is not clipped");
    let e = clipping_ends(&rounding_codec(&x, 3));
    assert_eq!(e.len(), 1, "{e:#?}");
    let end = e[0].end.unwrap().as_secs_f64();
    assert!((end - last).abs() <= 0.05, "end {end} vs {last}");
}

#[test]
fn a_clipped_passage_whose_first_tops_overshoot_is_found_to_its_end() {
    // Speech clipped at -1 dBFS for 2 s; the codec renders its first syllable `db` over the
    // rail and the rest `db` under it (its tops rounded and pulled down, as AAC leaves a
    // clipped voice's last pulses): those tops sit 0.7 or 1.2 dB under the ceiling the first
    // ones set, out of the pile band, but they are as flat, and the passage goes on to its end.
    for db in [0.35f32, 0.6] {
        let mut x = speech(8.0, 3.0, 5.0, 4.0);
        let (first, last) = clip(&mut x, 0.891);
        let y: Vec<f32> = codec(&x)
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let t = i as f64 / RATE as f64;
                let g = if (3.0..3.3).contains(&t) { db } else { -db };
                v * 10f32.powf(g / 20.0)
            })
            .collect();
        assert_one_clipped_passage(&y, first, last, &format!("first tops {db} dB over"));
    }
}

#[test]
fn a_sharp_loud_pulse_after_a_clipped_passage_does_not_prolong_it() {
    // Speech clipped at -1 dBFS, then 0.25 s after its last clipped sample one sharp pulse (a
    // triangle 1 ms wide peaking at the decoded rail, then a lower negative lobe), unclipped:
    // it keeps the passage open but is not its end.
    let mut x = speech(8.0, 3.0, 5.0, 4.0);
    let (first, last) = clip(&mut x, 0.891);
    let mut y = codec(&x);
    let at = ((last + 0.25) * RATE as f64) as usize;
    for k in 0..48usize {
        let tri = 1.0 - (k as f32 - 24.0).abs() / 24.0;
        y[at + k] = 0.897 * tri;
        y[at + 48 + k] = -0.6 * tri;
    }
    assert_one_clipped_passage(&y, first, last, "a sharp pulse after the passage");
}

/// Adds to `y`, from `at` seconds, `n` half-waves of alternating polarity 1 ms apart whose
/// sharp tops (`top * (1 - |u|)³`, flatness 0.11) peak at `top`: clipped pulses rounded to
/// points by a codec, or loud unclipped ones.
fn sharp_half_waves(y: &mut [f32], at: f64, n: usize, top: f32) {
    let i0 = (at * RATE as f64) as usize;
    for h in 0..n {
        let sign = if h % 2 == 0 { 1.0 } else { -1.0 };
        for k in 0..48usize {
            let u = (k as f32 - 24.0) / 24.0;
            y[i0 + 48 * h + k] = sign * top * (1.0 - u.abs()).powi(3);
        }
    }
}

#[test]
fn a_short_sharp_burst_at_the_rail_just_before_a_clipped_passage_starts_it() {
    // The clipping opens with a 6 ms burst 0.3 s before the passage, its tops rounded to
    // points at the rail: the passage starts with it. One loud pulse there (two half-waves)
    // does not start it.
    let mut x = speech(8.0, 3.0, 5.0, 4.0);
    let (first, last) = clip(&mut x, 0.891);
    let burst = first - 0.3;
    let mut y = codec(&x);
    sharp_half_waves(&mut y, burst, 6, 0.897);
    assert_one_clipped_passage(&y, burst, last, "a burst before the passage");
    let mut y = codec(&x);
    sharp_half_waves(&mut y, burst, 2, 0.897);
    assert_one_clipped_passage(&y, first, last, "one pulse before the passage");
}

/// Quiet speech with, from 3.0 to 4.0 s, a pulse every 8 ms (alternately up and down) whose
/// first half-wave peaks at `top(k)` for the `k`-th pulse and its second at 0.55 the other
/// way, both sharp (as [`sharp_half_waves`]): a voice whose clipped tops a codec has rounded
/// to points when `top` is the rail, one loud but unclipped when its peaks spread.
fn pointed_pulses(top: impl Fn(usize) -> f32) -> Vec<f32> {
    let mut y = codec(&speech(8.0, 0.0, 0.0, 1.0));
    for k in 0..125 {
        let at = 3.0 + 0.008 * k as f64;
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        let i0 = (at * RATE as f64) as usize;
        for (h, peak) in [(0, sign * top(k)), (1, -sign * 0.55)] {
            for j in 0..48usize {
                let u = (j as f32 - 24.0) / 24.0;
                y[i0 + 48 * h + j] = peak * (1.0 - u.abs()).powi(3);
            }
        }
    }
    y
}

#[test]
fn a_dense_pile_of_pointed_tops_at_one_rail_is_clipping_and_spread_ones_are_not() {
    let y = pointed_pulses(|_| 0.897);
    let last = 3.0 + 0.008 * 124.0 + 0.001;
    assert_one_clipped_passage(&y, 3.0, last, "pointed tops at the rail");
    // The same pulses peaking anywhere over the top dB (0.80 to 0.90): not pressed together.
    let y = pointed_pulses(|k| 0.80 + 0.1 * ((k * 7) % 11) as f32 / 10.0);
    let e = clipping_ends(&y);
    assert!(e.is_empty(), "{e:#?}");
}

/// A buzzy synth note held at `level`: a 62.5 Hz square wave through a bright resonance, each
/// edge ringing in four pointed 1 ms lobes (`(1 - |u|)³`, flatness 0.11) of alternating sign
/// falling by 0.8 (1, 0.8, 0.64, 0.51), the edges alternating in polarity: one top per edge
/// at the peak, three loud ones under it.
fn synth_note(t: f64, level: f64) -> f64 {
    let tau = (t / 0.008).fract() * 8.0;
    let edge = if ((t / 0.008) as usize).is_multiple_of(2) {
        1.0
    } else {
        -1.0
    };
    let lobe = tau as i32;
    if lobe >= 4 {
        return 0.0;
    }
    let u = 2.0 * tau.fract() - 1.0;
    edge * level * 0.8f64.powi(lobe) * (-1f64).powi(lobe) * (1.0 - u.abs()).powi(3)
}

/// Speech (as [`speech`], 4 times louder from 3 to 5 s) clipped at `level`, with a steady
/// note `note(t)` over its first 2 s and a 1 kHz line-up tone at `level` over its last 2 s; the
/// first and last clipped sample times.
fn tones_around_clipped_speech(level: f64, note: impl Fn(f64) -> f64) -> (Vec<f64>, f64, f64) {
    let mut x = speech(8.0, 3.0, 5.0, 4.0);
    let (first, last) = clip(&mut x, level);
    for (i, v) in x.iter_mut().enumerate() {
        let t = i as f64 / RATE as f64;
        if t < 2.0 {
            *v = note(t);
        } else if t >= 6.0 {
            *v = level * (2.0 * PI * 1000.0 * t).sin();
        }
    }
    (x, first, last)
}

#[test]
fn steady_tones_at_the_rail_before_and_after_a_clipped_passage_are_not_clipping() {
    // A line-up tone, a synth note or a sawtooth, as loud as the rail: its peaks press at the
    // ceiling, every period, in both polarities, rounded and rippled by the codec (the synth
    // note's pointed, among more loud half-waves than it piles): only the speech is clipped.
    for level in [0.891, 1.0] {
        let sine = |t: f64| level * (2.0 * PI * 1000.0 * t).sin();
        let saw = |t: f64| level * (2.0 * (110.0 * t).fract() - 1.0);
        for (note, x) in [
            ("tone", tones_around_clipped_speech(level, sine)),
            (
                "synth",
                tones_around_clipped_speech(level, |t| synth_note(t, level)),
            ),
            ("saw", tones_around_clipped_speech(level, saw)),
        ] {
            let (x, first, last) = x;
            // (Rounded over 5 samples, the synth note's tops are as broad as a sine's: a
            // sparse pile, but one the sound did not rise into.)
            let coded = [
                ("codec", codec(&x)),
                ("ripple", smoothed_with_ripple(&x, 0.01)),
                ("rounding", rounding_codec(&x, 5)),
            ];
            for (codec_name, y) in coded {
                let what = format!("{level} {note} {codec_name}");
                assert_one_clipped_passage(&y, first, last, &what);
            }
        }
    }
}

/// Writes into `y` from `at` seconds `n` pulses 9.5 ms apart (a 105 Hz voice), each a positive
/// lobe 1 ms wide peaking at `top` and a negative one half as deep: half-sines (flatness 0.43,
/// clipped tops a codec rounded) when `round`, else sharp tips (`(1 - |u|)³`, flatness 0.11).
/// The time just after the last positive top.
fn voice_pulses(y: &mut [f32], at: f64, n: usize, top: f32, round: bool) -> f64 {
    let lobe = |u: f32| match round {
        true => (std::f32::consts::FRAC_PI_2 * (1.0 - u.abs())).sin(),
        false => (1.0 - u.abs()).powi(3),
    };
    let mut peak = 0;
    for p in 0..n {
        let i0 = ((at + 0.0095 * p as f64) * RATE as f64) as usize;
        for k in 0..48usize {
            let u = (k as f32 - 24.0) / 24.0;
            y[i0 + k] = top * lobe(u);
            y[i0 + 48 + k] = -0.5 * top * lobe(u);
        }
        peak = i0 + 24;
    }
    (peak + 1) as f64 / RATE as f64
}

#[test]
fn a_clipped_voices_last_tops_rounded_under_the_band_carry_the_end() {
    // Speech clipped at -1 dBFS; after its last flat top, the voice's last clipped pulses come
    // out of the codec rounded to a sine's shape, one a window, 1 dB under the ceiling (out of
    // the pile band): they go on with the passage, pulse after pulse, to the last of them. The
    // sharp unclipped pulses that follow, as loud, do not; nor do rounded ones after a pause.
    let mut x = speech(8.0, 3.0, 4.64, 4.0);
    let (first, last) = clip(&mut x, 0.891);
    let mut y = codec(&x);
    y[(last * RATE as f64) as usize..].fill(0.0);
    let rounded = voice_pulses(&mut y, last + 0.0095, 8, 0.80, true);
    voice_pulses(&mut y, rounded + 0.0085, 6, 0.78, false);
    assert_one_clipped_passage(&y, first, rounded, "rounded tops, then sharp ones");
    let mut y = codec(&x);
    y[(last * RATE as f64) as usize..].fill(0.0);
    voice_pulses(&mut y, last + 0.1, 8, 0.80, true);
    assert_one_clipped_passage(&y, first, last, "rounded tops after a pause");
}

#[test]
fn one_rounded_top_right_after_a_clipped_passage_is_not_its_end() {
    // What a codec spreads after the last clipped top: one window of rounded tops under the
    // band, then nothing. The end stays at the last clipped sample.
    let mut x = speech(8.0, 3.0, 4.64, 4.0);
    let (_, last) = clip(&mut x, 0.891);
    let mut y = codec(&x);
    y[(last * RATE as f64) as usize..].fill(0.0);
    voice_pulses(&mut y, last + 0.0095, 1, 0.80, true);
    let e = clipping_ends(&y);
    assert_eq!(e.len(), 1, "{e:#?}");
    let end = e[0].end.unwrap().as_secs_f64();
    assert!((end - last).abs() < 0.005, "end {end} vs {last}");
}
