//! The `click` detector on a long (more than 4 ms), sharp excess: reported when the sound after
//! it is the sound before (a click a codec smeared over its blocks), not when the residual
//! after it stays raised (a long transient of the programme that starts a new sound); sharp
//! even when the codec left it little bandwidth.

mod common;

use std::f64::consts::PI;

use avqc::detect::audio::ClickConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime};
use common::rng::Rng;

const RATE: u32 = 48_000;

fn ends(x: &[f32]) -> Vec<DefectEvent> {
    ends_at(x, RATE)
}

fn ends_at(x: &[f32], rate: u32) -> Vec<DefectEvent> {
    let media: Vec<Media> = x
        .chunks(1024)
        .enumerate()
        .map(|(k, c)| {
            let time = MediaTime::new(k as i64 * 1024, avqc::Rational::new(1, rate as i32));
            Media::Audio(AudioFrame::new(rate, 1, time, c.to_vec()).unwrap())
        })
        .collect();
    let det = ClickConfig::default().build("click").unwrap();
    common::defect_ends(common::run_all(det, media))
}

/// A 440 Hz tone over a uniform noise bed of half-width 0.004 (its residual: the bed, never
/// over twice its median), with a 5 ms burst of white noise (RMS 0.1) at 1.5 s; after the
/// burst the bed is `after` times as wide.
fn tone_with_burst(after: f64) -> Vec<f32> {
    let mut rng = Rng(11);
    let at = (1.5 * RATE as f64) as usize;
    let burst = RATE as usize / 200;
    (0..3 * RATE as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let bed = if i < at + burst { 0.004 } else { 0.004 * after };
            let mut v = 0.1 * (2.0 * PI * 440.0 * t).sin() + bed * rng.range(-1.0, 1.0);
            if (at..at + burst).contains(&i) {
                v += 0.1 * rng.gauss();
            }
            v as f32
        })
        .collect()
}

#[test]
fn a_long_sharp_excess_that_leaves_the_sound_as_it_was_is_a_click() {
    let e = ends(&tone_with_burst(1.0));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
    // The excess is long: the burst's 5 ms.
    let duration = e[0].details["duration"].as_f64().unwrap();
    assert!(duration > 0.004, "{:?}", e[0]);
}

#[test]
fn a_long_sharp_excess_after_which_the_residual_stays_raised_is_not() {
    // The bed 1.9 times as wide after the burst: the residual's median 5.6 dB over its level
    // before (within the 8 dB a short click may raise it), its peaks still under the excess
    // threshold (so not other excess).
    let e = ends(&tone_with_burst(1.9));
    assert!(e.is_empty(), "{e:#?}");
}

/// A 440 Hz tone over a uniform noise bed of half-width `bed`, with a click as AC-3 leaves a
/// loud one at 1.5 s: an impulse of 0.4 in the middle of `len` samples of white quantisation
/// noise (RMS 0.06).
fn tone_with_smeared_click(len: usize, bed: f64) -> Vec<f32> {
    tone_with_smeared_click_at(len, bed, RATE)
}

/// [`tone_with_smeared_click`] at sample rate `rate`.
fn tone_with_smeared_click_at(len: usize, bed: f64, rate: u32) -> Vec<f32> {
    let mut rng = Rng(13);
    let from = (1.5 * rate as f64) as usize - len / 2;
    (0..3 * rate as usize)
        .map(|i| {
            let t = i as f64 / rate as f64;
            let mut v = 0.1 * (2.0 * PI * 440.0 * t).sin() + bed * rng.range(-1.0, 1.0);
            if (from..from + len).contains(&i) {
                v += 0.06 * rng.gauss();
                if i == from + len / 2 {
                    v += 0.4;
                }
            }
            v as f32
        })
        .collect()
}

#[test]
fn a_sharp_excess_over_an_ac3_window_standing_far_over_the_residual_is_a_click() {
    // 9.5 ms (456 samples: longer than AAC's 8 ms, within AC-3's 512-sample window), the
    // impulse 46 dB over the residual's median.
    let e = ends(&tone_with_smeared_click(456, 0.004));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
    let duration = e[0].details["duration"].as_f64().unwrap();
    assert!(duration > 0.008, "{:?}", e[0]);
}

#[test]
fn a_sharp_excess_longer_than_an_ac3_window_or_not_far_over_the_residual_is_not() {
    // 12 ms: longer than any codec's window.
    let e = ends(&tone_with_smeared_click(576, 0.004));
    assert!(e.is_empty(), "{e:#?}");
    // 9.5 ms, but a bed 2.5 times as wide: the impulse 38-40 dB over the residual (enough
    // for a sharp excess of 4-8 ms, not the 42 dB a longer one needs).
    let e = ends(&tone_with_smeared_click(456, 0.01));
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn at_32_khz_a_sharp_excess_over_an_ac3_window_is_a_click_a_longer_one_is_not() {
    // A codec's window is a number of samples whatever the rate: 480 samples at 32 kHz are
    // 15 ms, within AC-3's 512-sample window (16 ms there), longer than the 10.7 ms it lasts
    // at 48 kHz.
    let rate = 32_000;
    let e = ends_at(&tone_with_smeared_click_at(480, 0.004, rate), rate);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
    let duration = e[0].details["duration"].as_f64().unwrap();
    assert!(duration > 0.0107, "{:?}", e[0]);
    // 576 samples (18 ms): longer than any codec's window.
    let e = ends_at(&tone_with_smeared_click_at(576, 0.004, rate), rate);
    assert!(e.is_empty(), "{e:#?}");
}

/// A 1 kHz tone at 0.25 over a uniform noise bed of half-width 0.0005, with a click as a
/// low-bandwidth AAC encoder leaves it at 1.5 s: an impulse of 0.5 in the middle of `len`
/// samples of quantisation noise (RMS 0.03), all of it cut at `cutoff` Hz (a windowed-sinc
/// low-pass of 63 taps).
fn tone_with_lowpassed_click(len: usize, cutoff: f64) -> Vec<f32> {
    let mut rng = Rng(17);
    let from = (1.5 * RATE as f64) as usize - len / 2;
    let mut burst: Vec<f64> = (0..len).map(|_| 0.03 * rng.gauss()).collect();
    burst[len / 2] += 0.5;
    let half = 31i64;
    let fc = cutoff / RATE as f64;
    let taps: Vec<f64> = (-half..=half)
        .map(|k| {
            let sinc = if k == 0 {
                2.0 * fc
            } else {
                (2.0 * PI * fc * k as f64).sin() / (PI * k as f64)
            };
            let w = 0.5 + 0.5 * (PI * k as f64 / (half + 1) as f64).cos();
            sinc * w
        })
        .collect();
    let smeared: Vec<f64> = (0..len as i64 + 2 * half)
        .map(|i| {
            taps.iter()
                .enumerate()
                .map(|(j, t)| {
                    let s = i - j as i64;
                    if (0..len as i64).contains(&s) {
                        t * burst[s as usize]
                    } else {
                        0.0
                    }
                })
                .sum()
        })
        .collect();
    (0..3 * RATE as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let mut v = 0.25 * (2.0 * PI * 1000.0 * t).sin() + 0.0005 * rng.range(-1.0, 1.0);
            let k = i as i64 - (from as i64 - half);
            if (0..smeared.len() as i64).contains(&k) {
                v += smeared[k as usize];
            }
            v as f32
        })
        .collect()
}

#[test]
fn a_click_smeared_by_a_low_bandwidth_codec_over_more_than_6_ms_is_a_click() {
    // 6.7 ms (about 330 samples of excess: longer than `max_duration`, so it must be sharp)
    // cut at 8.5 kHz, 54 dB over the residual: its residual around the peak measures 0.32 (the
    // AAC-smeared clicks on a 1 kHz tone and on music that were missed: 0.33), far more than
    // the programme's smooth pulses (0.07-0.15).
    let e = ends(&tone_with_lowpassed_click(320, 8_500.0));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!((e[0].start.as_secs_f64() - 1.5).abs() <= 0.01, "{:?}", e[0]);
}
