//! Level dropouts after a lossy codec's ringing (issue 17): AAC at 32 kHz, or a second AAC
//! generation at 48 kHz, leaves the frame a cut falls in ringing for 15–25 ms 20–35 dB under
//! the programme before the silence, where a single 48 kHz generation is silent within a few
//! milliseconds. A cut that falls far under the programme at once is still a cut when its
//! silence begins that late; sound that decays into a silence is not. Pure Rust, synthetic.

mod common;

use avqc::detect::audio::SilenceConfig;
use avqc::event::DefectEvent;
use avqc::DetectorConfig;
use std::f64::consts::PI;

/// A steady tone of five periods per 2.5 ms window (every window's RMS is exact) at `rate`,
/// whose level in dBFS follows `parts` (seconds, level; `None` is digital zero).
fn steps(rate: u32, parts: &[(f64, Option<f64>)]) -> Vec<f32> {
    let hz = 2000.0;
    let mut s = Vec::new();
    for &(secs, db) in parts {
        let amp = db.map_or(0.0, |db| 10f64.powf(db / 20.0) * 2f64.sqrt());
        for _ in 0..(secs * rate as f64).round() as usize {
            let t = s.len() as f64 / rate as f64;
            s.push((amp * (2.0 * PI * hz * t).sin()) as f32);
        }
    }
    s
}

/// The dropouts `silence` reports on `signal` at `rate` (the same on both channels of a
/// stereo stream, in frames of 1024 samples).
fn dropouts(rate: u32, signal: &[f32]) -> Vec<DefectEvent> {
    let det = SilenceConfig::default().build("silence").unwrap();
    let media = common::sounds::same_stereo_frames(signal, rate);
    common::defect_ends(common::run_all(det, media))
        .into_iter()
        .filter(|d| d.defect.as_str() == "audio_dropout")
        .collect()
}

/// A −20 dBFS programme cut at 2 s: `tail` seconds of the cut's frame ringing 28 dB under it
/// (far under the programme, not yet silent), 30 ms of digital zero, the programme back.
fn cut_with_tail(rate: u32, tail: f64) -> Vec<f32> {
    steps(
        rate,
        &[
            (2.0, Some(-20.0)),
            (tail, Some(-48.0)),
            (0.03, None),
            (0.5, Some(-20.0)),
        ],
    )
}

#[test]
fn a_cut_whose_silence_begins_after_a_codec_tail_is_a_dropout_at_any_rate() {
    for rate in [32_000, 44_100, 48_000] {
        // 20 ms of tail: the silence begins 8 windows after the last one near the programme
        let d = dropouts(rate, &cut_with_tail(rate, 0.02));
        assert_eq!(d.len(), 1, "{rate}: {d:?}");
        assert_eq!(d[0].details["source"], "level");
        assert!(
            (d[0].start.as_secs_f64() - 2.02).abs() < 0.003,
            "{rate}: {d:?}"
        );
        assert!(
            (d[0].end.unwrap().as_secs_f64() - 2.05).abs() < 0.003,
            "{rate}: {d:?}"
        );
        // a short tail too
        let d = dropouts(rate, &cut_with_tail(rate, 0.005));
        assert_eq!(d.len(), 1, "{rate}: {d:?}");
        // 30 ms of tail (12 windows) is too long
        let d = dropouts(rate, &cut_with_tail(rate, 0.03));
        assert!(d.is_empty(), "{rate}: {d:?}");
    }
}

#[test]
fn sound_that_decays_into_a_silence_is_no_dropout() {
    // the same 20 ms before the silence, but the sound took two windows to fall far under
    // the programme (15 dB under it first): the end of a sound, not a cut
    for rate in [32_000, 48_000] {
        let decay = steps(
            rate,
            &[
                (2.0, Some(-20.0)),
                (0.005, Some(-35.0)),
                (0.015, Some(-48.0)),
                (0.03, None),
                (0.5, Some(-20.0)),
            ],
        );
        let d = dropouts(rate, &decay);
        assert!(d.is_empty(), "{rate}: {d:?}");
    }
}

#[test]
fn a_relative_gap_whose_floor_flickers_under_the_threshold_is_judged_whole() {
    // a −20 dBFS programme falls at once 32 dB under it (a relative gap), its floor dips under
    // the silence threshold, flickers 2.5 ms over it and stays under it for 50 ms: one
    // relative dropout from the fall, not a level one from the last flicker (which began 9
    // windows after the fall, within the allowance after a fall in one step)
    let flicker = steps(
        32_000,
        &[
            (2.0, Some(-20.0)),
            (0.005, Some(-52.0)),
            (0.015, Some(-62.0)),
            (0.0025, Some(-59.0)),
            (0.05, Some(-62.0)),
            (0.5, Some(-20.0)),
        ],
    );
    let d = dropouts(32_000, &flicker);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].details["source"], "relative");
    assert!((d[0].start.as_secs_f64() - 2.0).abs() < 0.003, "{d:?}");
}
