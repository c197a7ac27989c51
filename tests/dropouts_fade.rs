//! Faded junctions against smeared cuts (issue 17): a playout chain joins programmes with a
//! V-fade (the sound faded out linearly over 20 ms, the next programme faded in over 20 ms), so
//! the sound falls steadily through every 2.5 ms window of the fade; a dropout cuts the waveform
//! at once, and a lossy codec only smears the cut over 5–7.5 ms. A junction with a short pause
//! between the fades, or a fade into a pause before a quiet programme, is neither a dropout nor
//! a silence worth an alarm; a cut smeared on both edges still is. Pure Rust, synthetic audio.

mod common;

use avqc::event::DefectEvent;
use avqc::DetectorConfig;
use common::sounds::{at, music, same_stereo_frames, RATE};

/// Every defect that `silence` (default settings) ends on `signal` (the same on both channels).
fn silence_defects(signal: &[f32]) -> Vec<DefectEvent> {
    let det = avqc::detect::audio::SilenceConfig::default()
        .build("silence")
        .unwrap();
    common::defect_ends(common::run_all(det, same_stereo_frames(signal, RATE)))
}

/// Gain of a linear ramp of `len` samples at sample `k` (0 at the start, 1 at the end).
fn ramp(k: usize, len: usize) -> f32 {
    k as f32 / len as f32
}

/// `a` faded out over `fade_out` samples, `pause` samples of digital zero, then `b` faded in
/// over `fade_in` samples. Returns the signal and the pause's first sample.
fn joined(
    mut a: Vec<f32>,
    b: Vec<f32>,
    fade_out: usize,
    pause: usize,
    fade_in: usize,
) -> (Vec<f32>, usize) {
    let n = a.len();
    for (k, x) in a[n - fade_out..].iter_mut().enumerate() {
        *x *= ramp(fade_out - 1 - k, fade_out);
    }
    a.extend(std::iter::repeat_n(0.0, pause));
    a.extend(
        b.iter()
            .enumerate()
            .map(|(k, &x)| x * ramp(k.min(fade_in), fade_in)),
    );
    (a, n)
}

#[test]
fn a_v_fade_with_a_short_pause_between_two_programmes_is_no_dropout() {
    for (seed, pause_ms) in [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0)] {
        let a = music(5.0, seed, 0.6);
        let b = music(5.0, seed + 10, 0.9);
        let (s, _) = joined(a, b, at(0.02), at(pause_ms / 1000.0), at(0.02));
        let d = silence_defects(&s);
        assert!(d.is_empty(), "seed {seed}, pause {pause_ms} ms: {d:?}");
    }
}

#[test]
fn a_fade_into_a_pause_before_a_quiet_programme_is_no_silence() {
    // the loud programme faded out into 0.45 s of digital zero, a programme 25 dB quieter after
    for seed in [1, 2] {
        let a = music(5.0, seed, 0.6);
        let b: Vec<f32> = music(5.0, seed + 10, 0.9)
            .iter()
            .map(|x| x * 0.056)
            .collect();
        let (s, _) = joined(a, b, at(0.02), at(0.45), at(0.02));
        let d = silence_defects(&s);
        assert!(d.is_empty(), "seed {seed}: {d:?}");
    }
}

/// `signal` with a cut of `gap` samples from `start`, smeared as a lossy codec smears it: the
/// sound goes on falling over `smear` samples into the gap (a linear ramp), and comes back over
/// `smear` samples out of it.
fn smeared_cut(signal: &mut [f32], start: usize, gap: usize, smear: usize) {
    for (k, x) in signal[start..start + smear].iter_mut().enumerate() {
        *x *= ramp(smear - k, smear);
    }
    signal[start + smear..start + gap].fill(0.0);
    for (k, x) in signal[start + gap..start + gap + smear]
        .iter_mut()
        .enumerate()
    {
        *x *= ramp(k, smear);
    }
}

#[test]
fn a_cut_smeared_on_both_edges_is_still_a_dropout() {
    for (seed, gap_ms, smear_ms) in [
        (1, 12.5, 5.0),
        (2, 15.0, 7.5),
        (3, 40.0, 7.5),
        (4, 60.0, 5.0),
    ] {
        let mut s = music(6.0, seed, 0.6);
        let start = at(3.0);
        smeared_cut(&mut s, start, at(gap_ms / 1000.0), at(smear_ms / 1000.0));
        let d = silence_defects(&s);
        assert_eq!(
            d.len(),
            1,
            "seed {seed}, {gap_ms} ms smeared {smear_ms} ms: {d:?}"
        );
        assert_eq!(d[0].defect.as_str(), "audio_dropout", "{d:?}");
        let t = d[0].start.as_secs_f64();
        assert!(
            (t - start as f64 / RATE as f64).abs() < 0.01,
            "seed {seed}: {d:?}"
        );
    }
}

#[test]
fn a_smeared_cut_into_a_long_gap_is_still_a_silence() {
    // a cut of 0.45 s, as abrupt as a codec leaves it, inside one programme
    let mut s = music(6.0, 5, 0.6);
    smeared_cut(&mut s, at(3.0), at(0.45), at(0.0075));
    let d = silence_defects(&s);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].defect.as_str(), "audio_silence", "{d:?}");
}
