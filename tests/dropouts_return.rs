//! Relative dropouts (issue 17): the sound must come back as abruptly as it went. A synthetic
//! voice that stops short at the end of a phrase falls as fast as a cut, but its pause lingers
//! under the programme's level before the next phrase comes in; a cut ends with the sound
//! back at once. Pure Rust, synthetic audio.

mod common;

use avqc::detect::audio::SilenceConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime, Rational};
use common::sounds::steps;

const RATE: u32 = 48_000;
const FRAME: usize = 1024;

/// The dropouts `silence` reports on `signal` (the same on both channels of a stereo stream).
fn dropouts(signal: &[f32]) -> Vec<DefectEvent> {
    let det = SilenceConfig::default().build("silence").unwrap();
    let media = signal.chunks(FRAME).enumerate().map(|(i, s)| {
        let mut planar = s.to_vec();
        planar.extend_from_slice(s);
        let t = MediaTime::new((i * FRAME) as i64, Rational::new(1, RATE as i32));
        Media::Audio(AudioFrame::new(RATE, 2, t, planar).unwrap())
    });
    common::defect_ends(common::run_all(det, media))
        .into_iter()
        .filter(|d| d.defect.as_str() == "audio_dropout")
        .collect()
}

#[test]
fn a_gap_whose_sound_lingers_under_the_programme_after_it_is_no_dropout() {
    // 15 ms 32 dB under a steady sound (past the 30 dB of a relative gap), then 30 ms 28 dB
    // under it (out of the gap, not back), then the sound again: the mean of the 0.1 s after
    // the gap is back, but the sound did not come back at once
    let lingers = steps(&[(2.0, -20.0), (0.015, -52.0), (0.03, -48.0), (0.5, -20.0)]);
    let d = dropouts(&lingers);
    assert!(d.is_empty(), "{d:?}");
    // the same gap with the sound back at once is a dropout
    let cut = steps(&[(2.0, -20.0), (0.015, -52.0), (0.5, -20.0)]);
    let d = dropouts(&cut);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].details["source"], "relative");
    assert!((d[0].start.as_secs_f64() - 2.0).abs() < 0.003, "{d:?}");
}
