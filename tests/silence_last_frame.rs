//! `audio_silence` at the end of a file (issue 17): a quiet programme's pause that the file's
//! last frame ends with a few milliseconds of digital zero (an encoder pads its last frame) is
//! not a cut of the sound; a cut must itself last `min_duration` (less a little), as a silence
//! that begins as one does. Pure Rust, synthetic audio.

mod common;

use avqc::detect::audio::SilenceConfig;
use avqc::event::DefectEvent;
use avqc::DetectorConfig;
use common::sounds::{steps, RATE};

/// The silences `silence` reports on `signal` (the same on both channels), the stream ending
/// with its last sample.
fn silences(signal: &[f32]) -> Vec<DefectEvent> {
    let det = SilenceConfig::default().build("silence").unwrap();
    let media = common::sounds::same_stereo_frames(signal, RATE);
    common::defect_ends(common::run_all(det, media))
        .into_iter()
        .filter(|d| d.defect.as_str() == "audio_silence")
        .collect()
}

/// A programme at -40 dBFS whose pauses fade (over 30 ms, as a voice's do) to its room tone
/// (-62 dBFS, just under the -60 dBFS threshold), ending in a pause of `pause` seconds that a
/// synthetic voice enters at once (at the floor, not under it) and then `zero` seconds of
/// digital zero. Returns the signal and where the last pause begins.
fn quiet_programme(pause: f64, zero: f64) -> (Vec<f32>, f64) {
    let fade = |from: f64, to: f64, k: usize| (0.01, from + (to - from) * k as f64 / 4.0);
    let mut parts = vec![(1.5, -40.0)];
    for _ in 0..3 {
        parts.extend((1..4).map(|k| fade(-40.0, -62.0, k)));
        parts.push((0.2, -62.0));
        parts.extend((1..4).map(|k| fade(-62.0, -40.0, k)));
        parts.push((1.0, -40.0));
    }
    let start = parts.iter().map(|p| p.0).sum::<f64>();
    parts.extend([(pause, -62.0), (zero, -200.0)]);
    (steps(&parts), start)
}

#[test]
fn a_pause_ended_by_a_padded_last_frame_is_no_silence() {
    // 0.33 s of room tone, then 20 ms of zeros as the file ends
    let (sound, _) = quiet_programme(0.33, 0.02);
    let s = silences(&sound);
    assert!(s.is_empty(), "{s:?}");
}

#[test]
fn a_pause_that_turns_into_a_lasting_cut_is_a_silence_from_its_start() {
    // the same pause, then 0.4 s of zeros: the sound was cut during the pause
    let (sound, start) = quiet_programme(0.33, 0.4);
    let s = silences(&sound);
    assert_eq!(s.len(), 1, "{s:?}");
    assert!((s[0].start.as_secs_f64() - start).abs() < 0.03, "{s:?}");
}
