//! The `clipping` detector on a voice clipped lightly at full scale, its tops rounded back to a
//! sine's shape (as AAC leaves them) and spread over a few tenths of a dB: one polarity piles
//! sparsely at the rail, neither flat nor pressed together, but each top holds a run of
//! samples at full scale, after quiet.

mod common;

use std::f64::consts::PI;

use common::sounds::{clipping_ends, RATE};

/// Quiet (a 100 Hz sine at 0.1) until 3 s, then a 100 Hz voice of 14 periods whose positive
/// half-waves are sine lobes peaking at `tops[k]` dB re 0.99 (`None`: the `k`-th is cut
/// flat at 0.97 instead, a broad clipped top), its negative ones 4 dB under, then silence.
fn voice(tops: &[Option<f64>]) -> Vec<f32> {
    (0..4 * RATE as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let s = (2.0 * PI * 100.0 * t).sin();
            if t < 3.0 {
                return (0.1 * s) as f32;
            }
            let k = ((t - 3.0) * 100.0) as usize;
            let x = match tops.get(k) {
                None => 0.0,
                Some(_) if s < 0.0 => 0.62 * s,
                Some(Some(db)) => 0.99 * 10f64.powf(db / 20.0) * s,
                Some(None) => (1.3 * s).min(0.97),
            };
            x as f32
        })
        .collect()
}

#[test]
fn rounded_tops_at_full_scale_after_quiet_are_one_passage_from_its_first_top() {
    // Two tops at the rail, six 1.5 dB under it (out of the pile band), one broad clipped top
    // (a flat top by itself, one window), then five rounded ones spread over 0.44 dB: the
    // pile confirms only at the fifth, and the passage starts at the first top, 80 ms before
    // the broad one.
    let under = Some(-1.5);
    let mut tops = vec![Some(0.0), Some(-0.11)];
    tops.extend([under; 6]);
    tops.push(None);
    tops.extend([-0.33, 0.0, -0.22, -0.44, -0.11].map(Some));
    let e = clipping_ends(&voice(&tops));
    assert_eq!(e.len(), 1, "{e:#?}");
    let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
    assert!((s - 3.0025).abs() <= 0.01, "start {s}");
    assert!((end - 3.1325).abs() <= 0.01, "end {end}");
}

#[test]
fn the_same_tops_under_full_scale_are_not_clipping() {
    // Every top 1 dB lower (0.88 and under): the same sparse pile of rounded tops of one
    // polarity, without a run at full scale, is a loud voice's (bar the one broad top).
    let mut tops = vec![Some(-1.0), Some(-1.11)];
    tops.extend([-1.33, -1.0, -1.22, -1.44, -1.11, -1.33, -1.0].map(Some));
    let e = clipping_ends(&voice(&tops));
    assert!(e.is_empty(), "{e:#?}");
}
