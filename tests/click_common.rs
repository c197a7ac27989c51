//! The `click` detector on an impulse that both channels carry, found on one channel only: the
//! other channel's judgement rejected it (a loud sound starts with it there), so it is the
//! programme's own transient (a percussion attack in an orchestral recording) and raises
//! nothing; the same impulse added to one channel alone is still found. An impulse after which
//! its channel's residual rises (a new sound starts with it) is the programme's when the other
//! channel carries it even 15 dB weaker (a percussion hit in a stereo mix). An impulse the
//! other channel carries sample for sample is a click added to both, found on one of them. An
//! impulse whose copy the other channel carries some milliseconds later or earlier, nearly as
//! large, is the programme's sound reaching two spaced microphones.

mod common;

use avqc::event::DefectEvent;
use common::rng::Rng;
use common::sounds::{add_impulse, at, noisy_bed};

fn clicks(left: &[f32], right: &[f32]) -> Vec<DefectEvent> {
    common::sounds::stereo_click_ends(left, right)
}

/// `ev` is one click starting at each of `at` (within 10 ms), in order.
fn starting_at(ev: &[DefectEvent], at: &[f64]) {
    assert_eq!(ev.len(), at.len(), "{ev:#?}");
    for (d, &t) in ev.iter().zip(at) {
        assert!((d.start.as_secs_f64() - t).abs() < 0.01, "{ev:#?}");
    }
}

/// Adds 0.3 s of noise (RMS `rms`) starting half a millisecond after `t`: at RMS 0.25 a loud
/// sound the channel's judgement does not take for a click's surroundings; at a few
/// thousandths a hiss that raises the channel's residual after an impulse at `t` without
/// changing its level.
fn noise_after(x: &mut [f32], t: f64, rms: f64, seed: u64) {
    let mut rng = Rng(seed);
    let i = at(t + 0.0005);
    for v in &mut x[i..i + at(0.3)] {
        *v += (rms * rng.gauss()) as f32;
    }
}

#[test]
fn an_impulse_both_channels_carry_that_one_of_them_rejects_is_the_programmes() {
    let (mut left, mut right) = (noisy_bed(0.1, 0.0, 1), noisy_bed(0.1, 0.5, 2));
    // 2.0 s: the programme's transient, in both channels (reaching the right one smaller, as
    // two microphones take it); on the right a loud sound starts with it, so the right
    // channel's judgement rejects it.
    add_impulse(&mut left, 2.0, 0.5);
    add_impulse(&mut right, 2.0, 0.35);
    noise_after(&mut right, 2.0, 0.25, 3);
    // 5.0 s: the same impulse on the left alone, the same sound starting on the right.
    add_impulse(&mut left, 5.0, 0.5);
    noise_after(&mut right, 5.0, 0.25, 4);
    let ev = clicks(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!((ev[0].start.as_secs_f64() - 5.0).abs() < 0.01, "{ev:#?}");
    assert_eq!(ev[0].details["channels"], serde_json::json!([0]));
}

#[test]
fn an_impulse_added_to_both_channels_is_a_click_where_one_of_them_rejects_it() {
    let (mut left, mut right) = (noisy_bed(0.1, 0.0, 11), noisy_bed(0.1, 0.5, 12));
    // 2.0 s: the same impulse on both channels, sample for sample; a loud sound starts with
    // it on the right, whose judgement rejects it.
    add_impulse(&mut left, 2.0, 0.5);
    add_impulse(&mut right, 2.0, 0.5);
    noise_after(&mut right, 2.0, 0.25, 13);
    let ev = clicks(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!((ev[0].start.as_secs_f64() - 2.0).abs() < 0.01, "{ev:#?}");
    assert_eq!(ev[0].details["channels"], serde_json::json!([0]));
}

#[test]
fn an_impulse_on_both_channels_that_both_find_is_one_click() {
    let (mut left, mut right) = (noisy_bed(0.1, 0.0, 5), noisy_bed(0.1, 0.5, 6));
    add_impulse(&mut left, 3.0, 0.5);
    add_impulse(&mut right, 3.0, 0.5);
    let ev = clicks(&left, &right);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(ev[0].details["channels"], serde_json::json!([0, 1]));
}

#[test]
fn an_impulse_that_starts_a_sound_and_that_the_other_channel_carries_weaker_is_the_programmes() {
    let left = noisy_bed(0.1, 0.0, 7);
    // The right channel's noise is 3 times the left's: an impulse there stands 15 dB less far
    // out of its residual than the same impulse half as large on the left.
    let right: Vec<f32> = noisy_bed(0.1, 0.5, 8)
        .into_iter()
        .zip(noisy_bed(0.0, 0.0, 9))
        .map(|(a, b)| a + 2.0 * b)
        .collect();
    let (mut left, mut right) = (left, right);
    // 2.0 s: the programme's hit, on the left with a hiss after it (its residual some 6 dB
    // up), on the right weaker.
    add_impulse(&mut left, 2.0, 0.5);
    noise_after(&mut left, 2.0, 0.007, 10);
    add_impulse(&mut right, 2.0, 0.25);
    // 4.0 s: the same on the left, nothing on the right: a click the codec smeared.
    add_impulse(&mut left, 4.0, 0.5);
    noise_after(&mut left, 4.0, 0.007, 11);
    // 6.0 s: the same pair of impulses, no hiss: the sound after is the one before.
    add_impulse(&mut left, 6.0, 0.5);
    add_impulse(&mut right, 6.0, 0.25);
    let ev = clicks(&left, &right);
    starting_at(&ev, &[4.0, 6.0]);
    assert_eq!(ev[0].details["channels"], serde_json::json!([0]));
}

#[test]
fn an_impulse_with_a_delayed_copy_on_the_other_channel_is_the_programmes() {
    let (mut left, mut right) = (noisy_bed(0.1, 0.0, 21), noisy_bed(0.1, 0.5, 22));
    // 1.5 s: a struck instrument's attack, reaching the right channel 16 ms later and a little
    // weaker (spaced microphones; an orchestral recording's percussion measured 15-17 ms).
    add_impulse(&mut left, 1.5, 0.5);
    add_impulse(&mut right, 1.516, 0.35);
    // 3.0 s: the same, the right channel first, 9 ms before.
    add_impulse(&mut right, 2.991, 0.4);
    add_impulse(&mut left, 3.0, 0.5);
    // 4.5 s: the same impulse on the left alone: a click.
    add_impulse(&mut left, 4.5, 0.5);
    // 6.0 s: on the left, with a far weaker transient on the right 10 ms later: a click.
    add_impulse(&mut left, 6.0, 0.5);
    add_impulse(&mut right, 6.01, 0.02);
    let ev = clicks(&left, &right);
    starting_at(&ev, &[4.5, 6.0]);
    assert_eq!(ev[1].details["channels"], serde_json::json!([0]));
}
