//! The `click` detector on an impulse that repeats one its channel had shortly before, which
//! the judgement rejected: the programme's own sound again (a hard-panned hi-hat whose hits
//! mostly stay under the trigger), not a click; a louder impulse there, or the same one long
//! after, is still found.

mod common;

use avqc::event::DefectEvent;
use common::rng::Rng;
use common::sounds::{add_impulse, at, noisy_bed};

fn clicks(left: &[f32], right: &[f32]) -> Vec<DefectEvent> {
    common::sounds::stereo_click_ends(left, right)
}

/// An impulse of `amp` at `t` with 0.1 s of noise starting with it: the judgement rejects it
/// (the residual after it rises 20 dB: a new sound).
fn rejected(x: &mut [f32], t: f64, amp: f32, seed: u64) {
    add_impulse(x, t, amp);
    let mut rng = Rng(seed);
    let i = at(t + 0.0005);
    for v in &mut x[i..i + at(0.1)] {
        *v += (0.02 * rng.gauss()) as f32;
    }
}

#[test]
fn an_impulse_like_a_rejected_one_shortly_before_it_is_the_programmes() {
    let (mut left, right) = (noisy_bed(0.1, 0.0, 1), noisy_bed(0.1, 0.5, 2));
    // 1.0 s: rejected; 1.3 s: the same impulse again, alone.
    rejected(&mut left, 1.0, 0.5, 3);
    add_impulse(&mut left, 1.3, 0.5);
    // 3.0 s: rejected; 3.3 s: an impulse twice as large.
    rejected(&mut left, 3.0, 0.25, 4);
    add_impulse(&mut left, 3.3, 0.5);
    // 5.0 s: rejected; 5.8 s: the same impulse, long after it.
    rejected(&mut left, 5.0, 0.5, 5);
    add_impulse(&mut left, 5.8, 0.5);
    let ev = clicks(&left, &right);
    let starts: Vec<f64> = ev.iter().map(|d| d.start.as_secs_f64()).collect();
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert!((starts[0] - 3.3).abs() < 0.01, "{ev:#?}");
    assert!((starts[1] - 5.8).abs() < 0.01, "{ev:#?}");
}
