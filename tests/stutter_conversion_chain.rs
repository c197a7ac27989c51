//! `stutter` on a 24 → 25 fps conversion whose rhythm is not learned yet, on synthetic frames
//! (pure Rust, no FFmpeg). A rhythm is learned from 4 repeats on its periods; three repeats
//! 24 or 25 frames apart are already the conversion's own. A 24 → 25 programme follows a
//! programme of its own rate and a still: its first repeats wait for the shot's cadence
//! (`pending.rs`). Before the fix, when the scene stopped moving before the 4th came they
//! were reported (a live join of a channel: a 24 → 25 film under a voice, its first repeats
//! after a still), and so were they when a true stutter, judged at once, came before it.

mod common;

use common::pictures::{stutter_spans, textured};

const FPS: f64 = 25.0;
/// Film pictures move `PAN` pixels each.
const PAN: f64 = 6.0;

/// The film picture shown at frame `j` of a 24 → 25 conversion (one repeat every 25 frames,
/// the first at frames 25 and 26).
fn film(j: usize) -> usize {
    j * 24 / 25
}

/// Frames of the programme before (its own rate: a pan, one picture a frame, 6 s).
const NATIVE: usize = 150;
/// Frames its last picture is held (a still that ends the shot).
const STILL: usize = 30;
/// First frame of the 24 → 25 programme (its first picture is the still's).
const FROM: usize = NATIVE + STILL;

/// The shift of every frame up to `total`: the native pan, the still, then the conversion of
/// a pan over `pan` frames, its last picture held to the end. The conversion repeats a
/// picture from frames 205, 230, 255, … (8.2, 9.2, 10.2 s, …).
fn programme(pan: usize, total: usize) -> Vec<f64> {
    (0..total)
        .map(|i| {
            if i < NATIVE {
                return i as f64 * PAN;
            }
            let j = i.saturating_sub(FROM).min(pan);
            (NATIVE - 1 + film(j)) as f64 * PAN
        })
        .collect()
}

fn spans(shifts: &[f64]) -> Vec<(f64, f64, u64)> {
    stutter_spans(
        shifts
            .iter()
            .enumerate()
            .map(|(i, &s)| textured(i, FPS, s, 1.0)),
    )
}

#[test]
fn three_repeats_a_second_apart_after_a_still_are_the_conversion_s() {
    // the conversion's repeats at 8.2, 9.2 and 10.2 s, each in the first 4 s after the still
    // (it ended at 7.24 s); the scene stops at 10.8 s, before a 4th repeat
    let f = spans(&programme(90, 350));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn the_conversion_s_first_repeats_are_not_reported_with_a_stutter() {
    // the picture of frame 267 (10.68 s, 3.44 s after the still) is held 2 frames more, in
    // place of the next two pictures: a stutter judged at once, before the rhythm was learned
    let mut shifts = programme(200, 400);
    shifts[268] = shifts[267];
    shifts[269] = shifts[267];
    let f = spans(&shifts);
    assert_eq!(f.len(), 1, "{f:?}");
    let (start, end, repeated) = f[0];
    assert!((start - 268.0 / FPS).abs() < 1e-6, "{f:?}");
    assert!((end - 270.0 / FPS).abs() < 1e-6, "{f:?}");
    assert_eq!(repeated, 2, "{f:?}");
}
