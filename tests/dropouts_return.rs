//! Relative dropouts (issue 17): the sound must come back as abruptly as it went. A synthetic
//! voice that stops short at the end of a phrase falls as fast as a cut, but its pause lingers
//! under the programme's level before the next phrase comes in; a cut ends with the sound
//! back at once. Pure Rust, synthetic audio.

mod common;

use common::sounds::{silence_dropouts, steps};

#[test]
fn a_gap_whose_sound_lingers_under_the_programme_after_it_is_no_dropout() {
    // 15 ms 32 dB under a steady sound (past the 30 dB of a relative gap), then 30 ms 28 dB
    // under it (out of the gap, not back), then the sound again: the mean of the 0.1 s after
    // the gap is back, but the sound did not come back at once
    let lingers = steps(&[(2.0, -20.0), (0.015, -52.0), (0.03, -48.0), (0.5, -20.0)]);
    let d = silence_dropouts(&lingers);
    assert!(d.is_empty(), "{d:?}");
    // the same gap with the sound back at once is a dropout
    let cut = steps(&[(2.0, -20.0), (0.015, -52.0), (0.5, -20.0)]);
    let d = silence_dropouts(&cut);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].details["source"], "relative");
    assert!((d[0].start.as_secs_f64() - 2.0).abs() < 0.003, "{d:?}");
}

#[test]
fn a_dip_of_the_programme_just_after_a_dropout_is_judged_on_its_own_levels() {
    // Pauses faded down to -35, -50 and -58 dBFS make the floor (each within 20 dB of the one
    // before, so none is a cut); a 30 ms cut to digital zero; 60 ms later, while the cut's
    // return is still being judged, the sound dips 10 ms to -62 dBFS (a voice's closure, 4 dB
    // under its floor, under the silence threshold): only the cut is a dropout
    let mut parts = vec![(1.5, -20.0)];
    for pause in [-35.0, -50.0, -58.0] {
        let fade = |from: f64, to: f64, k: usize| (0.01, from + (to - from) * k as f64 / 4.0);
        parts.extend((1..4).map(|k| fade(-20.0, pause, k)));
        parts.push((0.15, pause));
        parts.extend((1..4).map(|k| fade(pause, -20.0, k)));
        parts.push((0.5, -20.0));
    }
    let cut = parts.iter().map(|p| p.0).sum::<f64>();
    parts.extend([(0.03, -200.0), (0.06, -20.0), (0.01, -62.0), (0.5, -20.0)]);
    let d = silence_dropouts(&steps(&parts));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!((d[0].start.as_secs_f64() - cut).abs() < 0.005, "{d:?}");
}
