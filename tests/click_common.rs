//! The `click` detector on an impulse that both channels carry, found on one channel only: the
//! other channel's judgement rejected it (a loud sound starts with it there), so it is the
//! programme's own transient (a percussion attack in an orchestral recording) and raises
//! nothing; the same impulse added to one channel alone is still found.

mod common;

use avqc::detect::audio::ClickConfig;
use avqc::event::DefectEvent;
use avqc::{DetectorConfig, Event};
use common::rng::Rng;
use common::sounds::{at, stereo_frames, tone};

fn clicks(left: &[f32], right: &[f32]) -> Vec<DefectEvent> {
    let det = ClickConfig::default().build("click").unwrap();
    common::run_all(det, stereo_frames(left, right))
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.phase == avqc::Phase::End)
        .cloned()
        .collect()
}

/// A quiet tone with a little noise on each channel (the same noise level, so an impulse
/// stands out of both residuals alike).
fn bed(amp: f64, phase: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    tone(8.0, 330.0, amp, phase)
        .into_iter()
        .map(|v| v + (0.002 * rng.gauss()) as f32)
        .collect()
}

/// Adds a 2-sample impulse of `amp` at `t`.
fn impulse(x: &mut [f32], t: f64, amp: f32) {
    let i = at(t);
    x[i] += amp;
    x[i + 1] -= 0.6 * amp;
}

/// Adds 0.3 s of loud noise (RMS 0.25) starting `delay` seconds after `t`: a sound the
/// channel's judgement does not take for a click's surroundings.
fn onset(x: &mut [f32], t: f64, delay: f64, seed: u64) {
    let mut rng = Rng(seed);
    let i = at(t + delay);
    for v in &mut x[i..i + at(0.3)] {
        *v += (0.25 * rng.gauss()) as f32;
    }
}

#[test]
fn an_impulse_both_channels_carry_that_one_of_them_rejects_is_the_programmes() {
    let (mut left, mut right) = (bed(0.1, 0.0, 1), bed(0.1, 0.5, 2));
    // 2.0 s: the programme's transient, in both channels; on the right a loud sound starts
    // with it, so the right channel's judgement rejects it.
    impulse(&mut left, 2.0, 0.5);
    impulse(&mut right, 2.0, 0.5);
    onset(&mut right, 2.0, 0.0005, 3);
    // 5.0 s: the same impulse on the left alone, the same sound starting on the right.
    impulse(&mut left, 5.0, 0.5);
    onset(&mut right, 5.0, 0.0005, 4);
    let ev = clicks(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!((ev[0].start.as_secs_f64() - 5.0).abs() < 0.01, "{ev:#?}");
    assert_eq!(ev[0].details["channels"], serde_json::json!([0]));
}

#[test]
fn an_impulse_on_both_channels_that_both_find_is_one_click() {
    let (mut left, mut right) = (bed(0.1, 0.0, 5), bed(0.1, 0.5, 6));
    impulse(&mut left, 3.0, 0.5);
    impulse(&mut right, 3.0, 0.5);
    let ev = clicks(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(ev[0].details["channels"], serde_json::json!([0, 1]));
}
