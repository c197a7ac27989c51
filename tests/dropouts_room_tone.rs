//! Room tone after a junction (issue 17): a playout chain ends a loud programme (music whose
//! quietest moments are some 35 dB under it) and begins a newscast whose pauses are room tone
//! at −65 dBFS, its voice stopping short at each pause (synthesized speech does). The floor of
//! the music would make every pause of the newscast a dropout, and a quiet programme that
//! begins with 0.45 s of its room tone under the silence threshold, after a newscast whose last
//! word stopped short, would begin with a cut into silence. A cut takes the whole waveform
//! away, room tone and all; a tenth of a second of quiet above digital silence is room tone,
//! the new programme's floor. A cut to digital zero in the newscast, or in the music, still is
//! a dropout, and a programme cut to a noise floor that stays there (1.5–2.5 s of hiss at
//! −70 dBFS) still is a silence from the cut. Pure Rust, synthetic audio.

mod common;

use common::rng::Rng;
use common::sounds::{at, music, same_stereo_frames, silence_dropouts, v_fade, RATE};
use std::f64::consts::PI;

/// A newscast of `secs`: `lead` seconds of room tone at `room_db` dBFS, then syllables of a
/// 150 Hz voice at about −20 dBFS, 80–250 ms long, that start and stop within 1 ms, with pauses
/// of 30–90 ms of the room tone between them (one in five of 150–300 ms); the voice stops
/// short `tail` seconds before the end.
fn newscast(secs: f64, lead: f64, tail: f64, room_db: f64, seed: u64) -> Vec<f32> {
    let n = at(secs);
    let voiced = n - at(tail);
    let mut rng = Rng(seed);
    let room = 10f64.powf(room_db / 20.0);
    let mut env = vec![0.0f64; n];
    let mut i = at(lead);
    let mut k = 0;
    while i < voiced {
        let len = at(rng.range(0.08, 0.25)).min(voiced - i);
        let edge = at(0.001) as f64;
        for j in 0..len {
            let from_edge = j.min(len - 1 - j) as f64;
            env[i + j] = (from_edge / edge).min(1.0);
        }
        let pause = if k % 5 == 4 {
            rng.range(0.15, 0.3)
        } else {
            rng.range(0.03, 0.09)
        };
        i += len + at(pause);
        k += 1;
    }
    (0..n)
        .map(|j| {
            let t = j as f64 / RATE as f64;
            let f0 = 150.0 * (1.0 + 0.04 * (2.0 * PI * 2.0 * t).sin());
            let voice: f64 = (1..6)
                .map(|h| (2.0 * PI * f0 * h as f64 * t).sin() / h as f64)
                .sum();
            (0.08 * env[j] * voice + room * rng.gauss()) as f32
        })
        .collect()
}

/// Every 2.5 ms of `x` is sound (RMS over −40 dBFS).
fn sounding(x: &[f32]) -> bool {
    x.chunks(at(0.0025)).all(|c| {
        let ms = c.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / c.len() as f64;
        ms > 1e-4
    })
}

/// Silences reported (end events).
fn silences(signal: &[f32]) -> Vec<avqc::event::DefectEvent> {
    use avqc::DetectorConfig;
    let det = avqc::detect::audio::SilenceConfig::default()
        .build("silence")
        .unwrap();
    common::defect_ends(common::run_all(det, same_stereo_frames(signal, RATE)))
        .into_iter()
        .filter(|d| d.defect.as_str() == "audio_silence")
        .collect()
}

#[test]
fn the_pauses_of_a_newscast_after_music_are_no_dropouts() {
    for seed in [1, 2, 3] {
        let (s, _) = v_fade(music(6.0, seed, 0.6), newscast(8.0, 0.2, 0.0, -65.0, seed));
        let d = silence_dropouts(&s);
        assert!(d.is_empty(), "seed {seed}: {d:?}");
    }
}

#[test]
fn a_quiet_programme_that_begins_in_room_tone_is_no_silence() {
    for seed in [4, 5] {
        // a newscast over room tone at −50 dBFS whose last word stops short 5 ms before its
        // end, then a quiet one that begins with 0.45 s of its room tone at −75 dBFS
        let first = newscast(6.0, 0.0, 0.005, -50.0, seed);
        let (s, _) = v_fade(first, newscast(8.0, 0.45, 0.0, -75.0, seed + 10));
        let d = silences(&s);
        assert!(d.is_empty(), "seed {seed}: {d:?}");
    }
}

#[test]
fn a_cut_to_digital_zero_on_either_side_of_the_junction_is_still_a_dropout() {
    for (seed, offset) in [(6, -2.0), (7, 1.5), (8, 3.0)] {
        let (mut s, junction) = v_fade(music(6.0, seed, 0.6), newscast(8.0, 0.2, 0.0, -65.0, seed));
        // 40 ms zeroed inside the sound: 50 ms into 150 ms of voice (or music) from the offset
        let mut cut = (junction as f64 + offset * RATE as f64) as usize;
        while !sounding(&s[cut..cut + at(0.15)]) {
            cut += at(0.005);
        }
        let cut = cut + at(0.05);
        s[cut..cut + at(0.04)].iter_mut().for_each(|x| *x = 0.0);
        let d = silence_dropouts(&s);
        assert_eq!(d.len(), 1, "seed {seed}: {d:?}");
        let start = cut as f64 / RATE as f64;
        assert!(
            (d[0].start.as_secs_f64() - start).abs() < 0.005,
            "seed {seed}: {d:?}"
        );
        let end = d[0].end.unwrap().as_secs_f64();
        assert!((end - start - 0.04).abs() < 0.005, "seed {seed}: {d:?}");
    }
}

#[test]
fn music_cut_to_a_noise_floor_for_seconds_is_a_silence_from_the_cut() {
    for (seed, secs) in [(9, 1.5), (10, 2.5)] {
        let mut s = music(8.0, seed, 0.6);
        let mut rng = Rng(seed + 100);
        let floor = 10f64.powf(-70.0 / 20.0);
        let (a, b) = (at(3.0), at(3.0 + secs));
        s[a..b]
            .iter_mut()
            .for_each(|x| *x = (floor * rng.gauss()) as f32);
        let d = silences(&s);
        assert_eq!(d.len(), 1, "seed {seed}: {d:?}");
        assert!(
            (d[0].start.as_secs_f64() - 3.0).abs() < 0.01,
            "seed {seed}: {d:?}"
        );
        let end = d[0].end.unwrap().as_secs_f64();
        assert!((end - 3.0 - secs).abs() < 0.01, "seed {seed}: {d:?}");
    }
}
