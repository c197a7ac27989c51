//! Faded junctions against smeared cuts (issue 17): a playout chain joins programmes with a
//! V-fade (the sound faded out linearly over 20 ms, the next programme faded in over 20 ms), so
//! the sound falls steadily through every 2.5 ms window of the fade; a dropout cuts the waveform
//! at once, and a lossy codec only smears the cut over 5–7.5 ms. A junction with a short pause
//! between the fades, or a fade into a pause before a quiet programme, is neither a dropout nor
//! a silence worth an alarm; a cut smeared on both edges still is. Pure Rust, synthetic audio.

mod common;

use avqc::event::DefectEvent;
use avqc::DetectorConfig;
use common::sounds::{at, music, same_stereo_frames, steps, tone, RATE};

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

/// A bass note of `hz` (with two weaker overtones) at about −13 dBFS, `secs` long, starting at
/// `phase`: a 2.5 ms window is shorter than half its period, so its windows' levels swing with
/// the wave's phase, as those of lossy-coded music with a bass line do.
fn bass(secs: f64, hz: f64, phase: f64) -> Vec<f32> {
    let partials = [
        tone(secs, hz, 0.3, phase),
        tone(secs, 2.02 * hz, 0.08, 2.0 * phase),
        tone(secs, 3.01 * hz, 0.05, 3.0 * phase),
    ];
    (0..partials[0].len())
        .map(|i| partials.iter().map(|p| p[i]).sum())
        .collect()
}

#[test]
fn a_rippling_fade_into_the_next_programmes_lead_in_is_no_silence() {
    // the junction of an AAC-coded channel (issue 17): music faded out over 20 ms whose 2.5 ms
    // windows jump up to 7 dB inside the fade (its bass, the codec), its first window far under
    // the programme one before the silence (the codec's smear of the fade's end), then the next
    // programme, whose source starts with 0.6 s of digital zero and its first note at once (its
    // fade-in falls on the zeros). The window levels, dBFS, as decoded:
    let fall = [
        -31.4, -25.9, -29.8, -27.8, -25.9, -24.9, -22.7, -26.8, -21.4, -27.6, -24.9, -25.2, -32.7,
        -30.6, -33.9, -38.3, -41.8, -51.3, -60.3, -63.8, -70.7, -78.0, -87.6,
    ];
    let mut parts = vec![(3.0, -25.0)];
    parts.extend(fall.iter().map(|&db| (0.0025, db)));
    let s: Vec<f32> = steps(&parts)
        .into_iter()
        .chain(std::iter::repeat_n(0.0, at(0.6)))
        .chain(steps(&[(2.0, -27.0)]))
        .collect();
    let d = silence_defects(&s);
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn a_smeared_cut_of_a_bass_note_is_still_a_silence() {
    // the same notes cut, as abruptly as a codec leaves a cut (5–7.5 ms), into 0.45 s of zero
    for hz in [55.0, 90.0, 110.0] {
        for (k, smear) in [(0, 0.005), (3, 0.0075), (5, 0.005), (7, 0.0075)] {
            let mut s = bass(6.0, hz, k as f64 * 0.785);
            smeared_cut(&mut s, at(3.0), at(0.45), at(smear));
            let d = silence_defects(&s);
            assert_eq!(d.len(), 1, "{hz} Hz, phase {k}: {d:?}");
            assert_eq!(d[0].defect.as_str(), "audio_silence", "{d:?}");
        }
    }
}
