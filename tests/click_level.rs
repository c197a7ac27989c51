//! The `click` detector on a loud click where the programme's level moves fast around it (as in
//! speech): found, while the same level change without a click raises nothing; a weaker click
//! on one channel of a programme both channels carry alike is found too, and so is a weaker
//! sharp click that stands clear of the residual on both sides, but not one over a noise bed
//! the predictor cannot whiten that far.

mod common;

use std::f64::consts::PI;

use avqc::detect::audio::ClickConfig;
use avqc::event::DefectEvent;
use avqc::{DetectorConfig, Media};
use common::rng::Rng;
use common::sounds::stereo_frames;

const RATE: u32 = 48_000;

/// Stereo frames: `x` on the left, 0.9 times it on the right.
fn frames(x: &[f32]) -> Vec<Media> {
    let right: Vec<f32> = x.iter().map(|v| v * 0.9).collect();
    stereo_frames(x, &right)
}

fn click_ends(x: &[f32]) -> Vec<DefectEvent> {
    ends(frames(x))
}

fn ends(media: Vec<Media>) -> Vec<DefectEvent> {
    let det = ClickConfig::default().build("click").unwrap();
    common::defect_ends(common::run_all(det, media))
}

/// A vowel-like tone (220 Hz and two partials) whose level rises 8 dB over the 60 ms around
/// `at` seconds.
fn rising(secs: f64, at: f64) -> Vec<f32> {
    (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let r = ((t - at + 0.03) / 0.06).clamp(0.0, 1.0);
            let gain = 0.05 * 10f64.powf(8.0 / 20.0 * (0.5 - 0.5 * (PI * r).cos()));
            let w = (2.0 * PI * 220.0 * t).sin()
                + 0.5 * (2.0 * PI * 440.0 * t + 0.4).sin()
                + 0.3 * (2.0 * PI * 660.0 * t + 1.1).sin();
            (gain * w) as f32
        })
        .collect()
}

#[test]
fn a_loud_click_where_the_level_rises_8_db_is_found() {
    let mut x = rising(3.0, 1.5);
    let i = (1.5 * RATE as f64) as usize;
    x[i] = 0.7;
    x[i + 1] = -0.6;
    let e = click_ends(&x);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
}

/// `x` with Gaussian noise of RMS `rms` added (a bed the predictor cannot whiten).
fn with_bed(mut x: Vec<f32>, rms: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    x.iter_mut().for_each(|v| *v += (rms * rng.gauss()) as f32);
    x
}

#[test]
fn the_rise_alone_or_with_a_weak_impulse_over_a_noise_bed_raises_nothing() {
    assert!(click_ends(&rising(3.0, 1.5)).is_empty());
    assert!(click_ends(&with_bed(rising(3.0, 1.5), 0.004, 7)).is_empty());
    // An impulse under 5 times the programme's RMS gets no allowance for the level change
    // when the residual around it is less than 46 dB under it (here about 40 dB).
    let mut x = with_bed(rising(3.0, 1.5), 0.004, 7);
    let i = (1.5 * RATE as f64) as usize;
    x[i] += 0.25;
    assert!(click_ends(&x).is_empty());
}

#[test]
fn a_weak_sharp_click_clear_of_the_residual_is_found_at_the_rise() {
    // The tone is predicted to far under the impulse on both sides of it (a voice getting
    // louder): the impulse, under 5 times the programme's RMS, is the defect.
    let mut x = rising(3.0, 1.5);
    let i = (1.5 * RATE as f64) as usize;
    x[i] += 0.25;
    let e = click_ends(&x);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
}

#[test]
fn a_weak_click_on_one_channel_of_panned_mono_is_found_at_the_rise() {
    // The impulse of the test above, on the left channel only, over a noise bed the channels
    // share (so that it does not stand clear of the residual): the right channel carries the
    // same programme without it, so the impulse is not the programme's.
    let x = with_bed(rising(3.0, 1.5), 0.004, 7);
    let right: Vec<f32> = x.iter().map(|v| v * 0.9).collect();
    let mut left = x.clone();
    let i = (1.5 * RATE as f64) as usize;
    left[i] += 0.25;
    let e = ends(stereo_frames(&left, &right));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
    assert_eq!(
        e[0].details["channels"],
        serde_json::json!([0]),
        "{:?}",
        e[0]
    );
    // With another programme on the right channel, it gets no allowance.
    let other: Vec<f32> = rising(3.0, 0.7).iter().map(|v| v * 0.5).collect();
    assert!(ends(stereo_frames(&left, &other)).is_empty());
}
