//! The `click` detector on a voice's own glottal pulse train: a vocoder (or a creaky voice)
//! excites its vowels with sharp impulses at the pitch period, and the first ones of a voiced
//! onset can stand out of the residual as clicks would. A train of them at a voice's pitch
//! spacing is not a click; a single click inside such a voice still is.

mod common;

use std::f64::consts::PI;

use avqc::detect::audio::ClickConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime};
use common::sounds::RATE;

/// Stereo frames: `x` on the left, 0.9 times it on the right.
fn frames(x: &[f32]) -> Vec<Media> {
    x.chunks(1024)
        .enumerate()
        .map(|(k, c)| {
            let mut planar = c.to_vec();
            planar.extend(c.iter().map(|v| v * 0.9));
            let time = MediaTime::new(k as i64 * 1024, avqc::Rational::new(1, RATE as i32));
            Media::Audio(AudioFrame::new(RATE, 2, time, planar).unwrap())
        })
        .collect()
}

fn ends(x: &[f32]) -> Vec<DefectEvent> {
    let det = ClickConfig::default().build("click").unwrap();
    common::defect_ends(common::run_all(det, frames(x)))
}

/// A voiced tone at pitch `f0` (five harmonics, falling 6 dB each, peak about `amp`) for
/// `secs`, with `pulses` added on it: (time in seconds, height).
fn vowel(secs: f64, f0: f64, amp: f64, pulses: &[(f64, f32)]) -> Vec<f32> {
    let mut x: Vec<f32> = (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let w: f64 = (1..=5)
                .map(|h| 0.5f64.powi(h - 1) * (2.0 * PI * f0 * h as f64 * t + 0.3 * h as f64).sin())
                .sum();
            (amp / 2.0 * w) as f32
        })
        .collect();
    for &(t, h) in pulses {
        x[(t * RATE as f64).round() as usize] += h;
    }
    x
}

/// Pulses of `heights` from `t` seconds on, one pitch period of `f0` apart.
fn train(t: f64, f0: f64, heights: &[f32]) -> Vec<(f64, f32)> {
    heights
        .iter()
        .enumerate()
        .map(|(k, &h)| (t + k as f64 / f0, h))
        .collect()
}

#[test]
fn a_pulse_train_at_a_voice_pitch_is_not_a_click() {
    // Three sharp pulses at the voice's pitch (80-400 Hz), of similar heights: its own
    // excitation at a voiced onset, not damage.
    for f0 in [82.0, 165.0, 240.0, 390.0] {
        let mut pulses = train(1.0, f0, &[0.3, 0.4, 0.25]);
        pulses.extend(train(2.0, f0, &[0.4, 0.3, 0.3, 0.2]));
        let e = ends(&vowel(3.0, f0, 0.2, &pulses));
        assert!(e.is_empty(), "{f0} Hz: {e:#?}");
    }
}

#[test]
fn the_same_pulses_at_uneven_steps_are_clicks() {
    // The pulses of the test above, 6 ms then 9 ms apart: crackle (the detector sees each
    // of them as a click; only their regular step makes them a voice's).
    let pulses = [(1.0, 0.3), (1.006, 0.4), (1.015, 0.25)];
    let e = ends(&vowel(2.0, 165.0, 0.2, &pulses));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].details["count"], 3, "{e:#?}");
}

#[test]
fn a_click_inside_a_voice_with_weaker_pulses_is_found() {
    // The voice's pulses at 165 Hz, a fifth of the click or less: the click stands alone.
    let mut pulses = train(0.8, 165.0, &[0.06; 60]);
    pulses.push((1.2 + 0.5 / 165.0, 0.35));
    let e = ends(&vowel(2.0, 165.0, 0.2, &pulses));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.203).abs() < 0.01, "{e:#?}");
    // A single click on the tone alone, of a voice's pulse's height.
    let e = ends(&vowel(2.0, 165.0, 0.2, &[(1.2, 0.3)]));
    assert_eq!(e.len(), 1, "{e:#?}");
}
