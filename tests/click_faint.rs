//! The `click` detector on a click in loud, noisy music: a lossy codec leaves an added click
//! standing only some 30 dB over the residual of such music, under the full trigger (60 times
//! the local residual level). A compact impulse standing 20–60 times over that level is still
//! a candidate (a faint one) and found; the same music without it raises nothing, and so does
//! a short burst of noise as high (a hi-hat's attack), which lasts too long for a faint
//! candidate. A compact click may come with the residual falling or rising after it by more
//! than the defaults allow (the music quietening, a new sound starting with it).

mod common;

use common::rng::Rng;
use common::sounds::{add_impulse, at, music, stereo_click_ends};

/// Music with a hiss of RMS 0.02 on each channel (different on each): its residual level is
/// the hiss's, about 0.016.
fn loud_music(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng(seed);
    let mut hiss = |x: Vec<f32>| -> Vec<f32> {
        x.into_iter()
            .map(|v| v + (0.02 * rng.gauss()) as f32)
            .collect()
    };
    let left = hiss(music(6.0, seed + 1, 0.7));
    let right = hiss(music(6.0, seed + 2, 0.5));
    (left, right)
}

/// Adds 2 ms of white noise of peak about `amp` at `t`.
fn noise_burst(x: &mut [f32], t: f64, amp: f64, seed: u64) {
    let mut rng = Rng(seed);
    let i = at(t);
    for v in &mut x[i..i + at(0.002)] {
        *v += (amp / 3.0 * rng.gauss()).clamp(-amp, amp) as f32;
    }
}

#[test]
fn a_compact_click_under_the_full_trigger_in_noisy_music_is_found() {
    let (mut left, right) = loud_music(31);
    // About 50 times the residual level: under the full trigger, over the faint one.
    add_impulse(&mut left, 3.0, 0.8);
    let ev = stereo_click_ends(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!((ev[0].start.as_secs_f64() - 3.0).abs() < 0.01, "{ev:#?}");
    assert_eq!(ev[0].details["channels"], serde_json::json!([0]));
}

#[test]
fn noisy_music_or_a_burst_of_noise_in_it_is_no_click() {
    let (mut left, right) = loud_music(41);
    assert!(stereo_click_ends(&left, &right).is_empty());
    // A hi-hat's attack as high as the click above: 2 ms of noise.
    noise_burst(&mut left, 3.0, 0.8, 42);
    let ev = stereo_click_ends(&left, &right);
    assert!(ev.is_empty(), "{ev:#?}");
}

#[test]
fn a_compact_click_as_the_music_quietens_is_found() {
    // The hiss drops by 9 dB at the click (the music's partials, far louder, keep its level):
    // the residual after the click falls by more than `max_residual_fall_db`.
    let (mut left, right) = loud_music(51);
    let mut rng = Rng(52);
    for v in &mut left[..at(3.0)] {
        *v += (0.04 * rng.gauss()) as f32;
    }
    add_impulse(&mut left, 3.0, 1.2);
    let ev = stereo_click_ends(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!((ev[0].start.as_secs_f64() - 3.0).abs() < 0.01, "{ev:#?}");
}

#[test]
fn a_compact_click_on_the_start_of_a_louder_sound_is_found() {
    // A hiss three times as loud starts with the click (the music's partials keep the level):
    // the residual after the click rises by about 10 dB, more than `max_residual_rise_db`.
    let (mut left, right) = loud_music(61);
    let mut rng = Rng(62);
    for v in &mut left[at(3.0) + 1..] {
        *v += (0.06 * rng.gauss()) as f32;
    }
    add_impulse(&mut left, 3.0, 2.4);
    let ev = stereo_click_ends(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!((ev[0].start.as_secs_f64() - 3.0).abs() < 0.01, "{ev:#?}");
}
