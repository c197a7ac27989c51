//! The `click` detector on a sharp click followed by its codec's smear: short runs of residual
//! under a quarter of the click's peak within a few milliseconds after it (AC-3 codes every
//! block in a 512-sample window, so a click's quantisation noise comes back over the excess
//! threshold after the excess has ended) are the click's, not other excess; the same runs
//! farther from the click are the programme's sound after it.

mod common;

use std::f64::consts::PI;

use avqc::detect::audio::ClickConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime};
use common::rng::Rng;

const RATE: u32 = 48_000;

fn ends(x: &[f32]) -> Vec<DefectEvent> {
    let media: Vec<Media> = x
        .chunks(1024)
        .enumerate()
        .map(|(k, c)| {
            let time = MediaTime::new(k as i64 * 1024, avqc::Rational::new(1, RATE as i32));
            Media::Audio(AudioFrame::new(RATE, 1, time, c.to_vec()).unwrap())
        })
        .collect();
    let det = ClickConfig::default().build("click").unwrap();
    common::defect_ends(common::run_all(det, media))
}

/// A 440 Hz tone over a uniform noise bed of half-width 0.004, with an impulse of 0.4 at 1.5 s
/// and, `from` samples after it, single samples of ±0.07 (between an eighth and a quarter of
/// the impulse's residual) every 8 samples over 48 samples: a run of 41 samples of weak excess
/// (over 1 % of the 40 ms after the click), more than the 1 ms gap that ends the excess after
/// the impulse.
fn tone_with_click_and_runs(from: usize) -> Vec<f32> {
    let mut rng = Rng(17);
    let at = (1.5 * RATE as f64) as usize;
    (0..3 * RATE as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let mut v = 0.1 * (2.0 * PI * 440.0 * t).sin() + 0.004 * rng.range(-1.0, 1.0);
            if i == at {
                v += 0.4;
            }
            let k = i.wrapping_sub(at + from);
            if k <= 40 && k.is_multiple_of(8) {
                v += if k.is_multiple_of(16) { 0.07 } else { -0.07 };
            }
            v as f32
        })
        .collect()
}

#[test]
fn a_click_followed_by_its_codecs_smear_is_a_click() {
    // The runs 2-3 ms after the impulse: within the codec's smear.
    let e = ends(&tone_with_click_and_runs(100));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        (e[0].start.as_secs_f64() - 1.5).abs() <= 0.002,
        "{:?}",
        e[0]
    );
    // The runs are not the click's excess: it stays a few samples long.
    let duration = e[0].details["duration"].as_f64().unwrap();
    assert!(duration < 0.001, "{:?}", e[0]);
}

#[test]
fn the_same_runs_farther_after_it_are_other_excess() {
    // 9-10 ms after the impulse: past any codec's smear, the programme's sound after it, which
    // keeps the impulse from being a click (the runs, a crackle of their own, may be one).
    let e = ends(&tone_with_click_and_runs(440));
    assert!(
        e.iter()
            .all(|d| (d.start.as_secs_f64() - 1.5).abs() > 0.002),
        "{e:#?}"
    );
}
