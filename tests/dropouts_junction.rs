//! Programme junctions (issue 17): a playout chain joins programmes with a V-fade (the sound
//! faded out over 20 ms, the next programme faded in over 20 ms). A loud programme followed by
//! a quiet one (−45 dBFS speech whose pauses are room tone at −77 dBFS) gives a short silence
//! at the junction, far under the loud programme's floor, that ends with the quiet programme's
//! sound: it is no dropout, since the sound never comes back to the level it fell from. A cut
//! to digital zero inside either programme still is. Pure Rust, synthetic audio.

mod common;

use common::rng::Rng;
use common::sounds::{at, music, silence_dropouts, v_fade, RATE};
use std::f64::consts::PI;

/// Speech-like sound at RMS `level_db` dBFS over room tone 32 dB under it (as tests/dropouts.rs):
/// syllables of 120–300 ms on a 140 Hz voice with harmonics, rising in 10 ms and decaying over
/// about 40 ms, separated by pauses of 20–60 ms (one in seven of 200–400 ms); the first
/// syllable `first` seconds in.
fn speech_over_room_tone(secs: f64, level_db: f64, first: f64, seed: u64) -> Vec<f32> {
    let n = at(secs);
    let mut rng = Rng(seed);
    let amp = 10f64.powf(level_db / 20.0) * 1.6;
    let room = 10f64.powf((level_db - 32.0) / 20.0);
    let mut env = vec![0.0f64; n];
    let mut i = at(first);
    let mut k = 0;
    while i < n {
        let len = at(rng.range(0.12, 0.3));
        for j in 0..len.min(n - i) {
            let t = j as f64 / RATE as f64;
            let left = (len - j) as f64 / RATE as f64;
            let fall = (-(0.04 - left.min(0.04)) / 0.006).exp();
            env[i + j] = (t / 0.01).min(1.0) * fall;
        }
        let pause = if k % 7 == 6 {
            rng.range(0.2, 0.4)
        } else {
            rng.range(0.02, 0.06)
        };
        i += len + at(pause);
        k += 1;
    }
    (0..n)
        .map(|j| {
            let t = j as f64 / RATE as f64;
            let f0 = 140.0 * (1.0 + 0.05 * (2.0 * PI * 3.0 * t).sin());
            let voice: f64 = (1..6)
                .map(|h| (2.0 * PI * f0 * h as f64 * t).sin() / h as f64)
                .sum();
            (amp * env[j] * voice * 0.5 + room * rng.gauss()) as f32
        })
        .collect()
}

/// A quiet programme of `secs`: speech at −45 dBFS over room tone at −77 dBFS, its first
/// syllable 0.25 s in (a programme that starts in a pause of its own).
fn quiet_programme(secs: f64, seed: u64) -> Vec<f32> {
    speech_over_room_tone(secs, -45.0, 0.25, seed)
}

#[test]
fn a_junction_from_a_loud_programme_into_a_quiet_one_is_no_dropout() {
    for seed in [1, 2, 3] {
        let loud = music(6.0, seed, 0.6);
        let (s, _) = v_fade(loud, quiet_programme(8.0, seed));
        let d = silence_dropouts(&s);
        assert!(d.is_empty(), "seed {seed}: {d:?}");
    }
}

#[test]
fn a_cut_to_digital_zero_around_the_junction_is_still_a_dropout() {
    let loud = music(6.0, 4, 0.6);
    let (mut s, junction) = v_fade(loud, quiet_programme(8.0, 4));
    // 40 ms zeroed in the loud programme, 2 s before the junction
    let cut = junction - at(2.0);
    s[cut..cut + at(0.04)].iter_mut().for_each(|x| *x = 0.0);
    let d = silence_dropouts(&s);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].details["source"], "level");
    assert!(
        (d[0].start.as_secs_f64() - cut as f64 / RATE as f64).abs() < 0.005,
        "{d:?}"
    );
    let end = d[0].end.unwrap().as_secs_f64();
    assert!(
        (end - (cut + at(0.04)) as f64 / RATE as f64).abs() < 0.005,
        "{d:?}"
    );
}
