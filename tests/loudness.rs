//! The `loudness` detector on synthetic sound (pure Rust, no FFmpeg): EBU Tech 3341 style cases,
//! a 5.1 case, out-of-range and true-peak intervals, config validation, bad input.

mod common;

use avqc::detect::audio::{LoudnessConfig, LoudnessMeasure, LoudnessPreset};
use avqc::event::{DefectEvent, MetricEvent, NoticeEvent};
use avqc::{
    AudioFrame, Detector, DetectorConfig, Error, Event, Events, Media, MediaTime, Phase, Registry,
};

const RATE: u32 = 48_000;
/// Samples per channel in each frame (an AAC frame).
const FRAME: usize = 1024;

/// One channel's signal: a sine of `freq` Hz and peak level `dbfs` (None: silence), phase in
/// radians.
#[derive(Clone, Copy)]
struct Tone {
    dbfs: Option<f64>,
    freq: f64,
    phase: f64,
}

fn sine(dbfs: f64) -> Tone {
    Tone {
        dbfs: Some(dbfs),
        freq: 1000.0,
        phase: 0.0,
    }
}

const QUIET: Tone = Tone {
    dbfs: None,
    freq: 0.0,
    phase: 0.0,
};

/// Audio frames at `rate` for a sequence of `(seconds, per-channel tones)` segments.
fn frames(rate: u32, segments: &[(f64, Vec<Tone>)]) -> Vec<Media> {
    let channels = segments[0].1.len();
    let mut per_channel: Vec<Vec<f32>> = vec![Vec::new(); channels];
    for (secs, tones) in segments {
        let start = per_channel[0].len();
        let n = (secs * rate as f64).round() as usize;
        for (c, t) in tones.iter().enumerate() {
            let amp = t.dbfs.map_or(0.0, |d| 10f64.powf(d / 20.0));
            per_channel[c].extend((start..start + n).map(|i| {
                let x = 2.0 * std::f64::consts::PI * t.freq * i as f64 / rate as f64 + t.phase;
                (amp * x.sin()) as f32
            }));
        }
    }
    let total = per_channel[0].len();
    (0..total)
        .step_by(FRAME)
        .map(|s| {
            let n = FRAME.min(total - s);
            let mut planar = Vec::with_capacity(n * channels);
            for ch in &per_channel {
                planar.extend_from_slice(&ch[s..s + n]);
            }
            let t = MediaTime::new(s as i64, avqc::Rational::new(1, rate as i32));
            Media::Audio(AudioFrame::new(rate, channels, t, planar).unwrap())
        })
        .collect()
}

fn stereo(segments: &[(f64, f64)]) -> Vec<Media> {
    let segs: Vec<(f64, Vec<Tone>)> = segments
        .iter()
        .map(|&(s, d)| (s, vec![sine(d); 2]))
        .collect();
    frames(RATE, &segs)
}

fn build(cfg: LoudnessConfig) -> Box<dyn Detector> {
    cfg.build("loudness").unwrap()
}

fn metrics<'a>(events: &'a [Event], name: &str) -> Vec<&'a MetricEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Metric(m) if m.name == name => Some(m),
            _ => None,
        })
        .collect()
}

fn last(events: &[Event], name: &str) -> f64 {
    metrics(events, name)
        .last()
        .unwrap_or_else(|| panic!("no {name} metric"))
        .value
}

fn defects<'a>(events: &'a [Event], defect: &str, phase: Phase) -> Vec<&'a DefectEvent> {
    events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.defect.as_str() == defect && d.phase == phase)
        .collect()
}

fn notices(events: &[Event]) -> Vec<&NoticeEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn integrated(media: Vec<Media>) -> f64 {
    last(
        &common::run_all(build(LoudnessConfig::default()), media),
        "integrated_lufs",
    )
}

#[test]
fn tech3341_case1_stereo_sine_at_minus_23() {
    let i = integrated(stereo(&[(20.0, -23.0)]));
    assert!((i + 23.0).abs() <= 0.1, "{i}");
}

#[test]
fn tech3341_case2_stereo_sine_at_minus_33() {
    let i = integrated(stereo(&[(20.0, -33.0)]));
    assert!((i + 33.0).abs() <= 0.1, "{i}");
}

#[test]
fn tech3341_case3_relative_gate() {
    // 10 s at -36, 60 s at -23, 10 s at -36 dBFS: the quiet parts fall under the relative gate.
    let ev = common::run_all(
        build(LoudnessConfig::default()),
        stereo(&[(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)]),
    );
    let i = last(&ev, "integrated_lufs");
    assert!((i + 23.0).abs() <= 0.1, "{i}");
    // Without the relative gate the mean would be about -24.
    // Loudness range: the 3 s windows run from -36 to -23, so the 10th..95th percentiles span
    // most of the 13 LU.
    let lra = last(&ev, "lra_lu");
    assert!((12.0..=13.5).contains(&lra), "{lra}");
}

#[test]
fn surround_5_1_weights_surrounds_and_leaves_out_lfe() {
    // FFmpeg order FL FR FC LFE BL BR: fronts at -28, a loud LFE at -20, surrounds at -26 dBFS.
    let tones = vec![
        sine(-28.0),
        sine(-28.0),
        sine(-28.0),
        sine(-20.0),
        sine(-26.0),
        sine(-26.0),
    ];
    let i = integrated(frames(RATE, &[(20.0, tones)]));
    // Relative to the stereo -23 dBFS reference (-23 LUFS): sum of weight x mean square.
    let ms = |d: f64| 10f64.powf(d / 10.0) / 2.0;
    let sum = 3.0 * ms(-28.0) + 2.0 * 1.41 * ms(-26.0);
    let want = -23.0 + 10.0 * (sum / (2.0 * ms(-23.0))).log10();
    assert!((i - want).abs() <= 0.1, "{i} vs {want}");
    // Surrounds weighted 1.0 would give about -23.1; the LFE counted, about -20.6.
    assert!((i - -23.1).abs() > 0.5 && (i - -20.6).abs() > 0.5, "{i}");
}

#[test]
fn other_sample_rates_and_mono() {
    let i = integrated(frames(44_100, &[(10.0, vec![sine(-20.0); 2])]));
    assert!((i + 20.0).abs() <= 0.1, "{i}");
    // Mono counts once: 3 LU under the same sine on two channels.
    let i = integrated(frames(RATE, &[(10.0, vec![sine(-20.0)])]));
    assert!((i + 23.0).abs() <= 0.1, "{i}");
}

#[test]
fn metrics_every_period_and_at_the_end() {
    let ev = common::run_all(build(LoudnessConfig::default()), stereo(&[(5.5, -23.0)]));
    let ints = metrics(&ev, "integrated_lufs");
    // At 1, 2, 3, 4, 5 s and at the end (5.5 s, rounded up to whole frames).
    assert_eq!(ints.len(), 6, "{ints:?}");
    for (k, m) in ints[..5].iter().enumerate() {
        assert!((m.at.as_secs_f64() - (k + 1) as f64).abs() < 1e-6, "{m:?}");
    }
    assert!(ints[5].at.as_secs_f64() >= 5.5);
    // Short-term from 3 s of sound on; momentary from 400 ms.
    assert_eq!(metrics(&ev, "short_term_lufs").len(), 4);
    assert_eq!(metrics(&ev, "momentary_lufs").len(), 6);
    for name in ["momentary_lufs", "short_term_lufs", "integrated_lufs"] {
        let v = last(&ev, name);
        assert!((v + 23.0).abs() <= 0.1, "{name} {v}");
    }
    let tp = last(&ev, "true_peak_dbtp");
    assert!((tp + 23.0).abs() <= 0.2, "{tp}");
    assert!(last(&ev, "lra_lu").abs() < 0.1);
    // No target: no loudness defect; -23 dBFS peaks are far under the ceiling.
    assert!(ev.iter().all(|e| e.as_defect().is_none()), "{ev:?}");

    let only_end = LoudnessConfig {
        period: 0.0,
        ..Default::default()
    };
    let ev = common::run_all(build(only_end), stereo(&[(5.5, -23.0)]));
    assert_eq!(metrics(&ev, "integrated_lufs").len(), 1);
}

#[test]
fn loudness_out_of_range_on_a_loud_passage() {
    // 20 s on target, 30 s 10 LU too loud, 20 s on target again.
    let cfg = LoudnessConfig {
        preset: Some(LoudnessPreset::EbuR128),
        ..Default::default()
    };
    let ev = common::run_all(
        build(cfg),
        stereo(&[(20.0, -23.0), (30.0, -13.0), (20.0, -23.0)]),
    );
    let starts = defects(&ev, "loudness_out_of_range", Phase::Start);
    let ends = defects(&ev, "loudness_out_of_range", Phase::End);
    assert_eq!((starts.len(), ends.len()), (1, 1), "{ev:?}");
    let (s, e) = (starts[0], ends[0]);
    // The 3 s window goes over -22 LUFS within 0.1 s of the step up...
    assert!((s.start.as_secs_f64() - 20.0).abs() < 0.15, "{s:?}");
    // ... is confirmed after min_duration (10 s) ...
    assert!((s.emitted_at.as_secs_f64() - 30.0).abs() < 0.15, "{s:?}");
    // ... and comes back once the loud part has left the window (just under 3 s later).
    let end = e.end.unwrap().as_secs_f64();
    assert!((52.8..=53.1).contains(&end), "{e:?}");
    assert!(
        e.emitted_at.as_secs_f64() >= end + 2.0 - 0.11,
        "clear_for: {e:?}"
    );
    let max = e.details["max_lufs"].as_f64().unwrap();
    assert!((max + 13.0).abs() <= 0.1, "{e:?}");
    assert_eq!(e.details["target_lufs"].as_f64(), Some(-23.0));
}

#[test]
fn loudness_in_range_and_short_excursions_are_not_reported() {
    let cfg = LoudnessConfig {
        preset: Some(LoudnessPreset::EbuR128),
        ..Default::default()
    };
    // On target, with a 5 s loud passage (shorter than min_duration) and a silence (left to
    // `silence`): nothing.
    let ev = common::run_all(
        build(cfg),
        frames(
            RATE,
            &[
                (10.0, vec![sine(-23.5); 2]),
                (5.0, vec![sine(-15.0); 2]),
                (10.0, vec![sine(-22.5); 2]),
                (15.0, vec![QUIET; 2]),
                (5.0, vec![sine(-23.0); 2]),
            ],
        ),
    );
    assert!(
        defects(&ev, "loudness_out_of_range", Phase::Start).is_empty(),
        "{ev:?}"
    );
}

#[test]
fn presets_and_integrated_measure() {
    // ATSC A/85 (-24 +/- 2) accepts -23; streaming -16 (+/- 1) does not.
    let run = |preset, measure| {
        let cfg = LoudnessConfig {
            preset: Some(preset),
            measure,
            min_duration: 2.0,
            ..Default::default()
        };
        common::run_all(build(cfg), stereo(&[(8.0, -23.0)]))
    };
    let ev = run(LoudnessPreset::AtscA85, LoudnessMeasure::ShortTerm);
    assert!(defects(&ev, "loudness_out_of_range", Phase::End).is_empty());
    let ev = run(LoudnessPreset::Streaming16, LoudnessMeasure::Integrated);
    let ends = defects(&ev, "loudness_out_of_range", Phase::End);
    assert_eq!(ends.len(), 1, "{ev:?}");
    // The integrated loudness exists from the first 400 ms block on; the stream end closes it.
    assert!(
        (ends[0].start.as_secs_f64() - 0.3).abs() < 1e-6,
        "{:?}",
        ends[0]
    );
    assert!((ends[0].end.unwrap().as_secs_f64() - 8.0).abs() < 0.03);
    assert_eq!(ends[0].details["measure"], "integrated");
    // Short-term judging needs 3 s of sound first.
    let ev = run(LoudnessPreset::Streaming14, LoudnessMeasure::ShortTerm);
    let ends = defects(&ev, "loudness_out_of_range", Phase::End);
    assert_eq!(ends.len(), 1, "{ev:?}");
    assert!(
        (ends[0].start.as_secs_f64() - 2.9).abs() < 1e-6,
        "{:?}",
        ends[0]
    );
}

/// A full-scale sine at a quarter of the sample rate with a 45° phase: every sample is at
/// ±0.707 (−3 dBFS) while the waveform between them reaches ±1.0 (0 dBTP).
fn inter_sample_peaks() -> Tone {
    Tone {
        dbfs: Some(0.0),
        freq: RATE as f64 / 4.0,
        phase: std::f64::consts::FRAC_PI_4,
    }
}

#[test]
fn true_peak_between_samples() {
    let media = frames(
        RATE,
        &[
            (2.0, vec![sine(-20.0); 2]),
            (1.0, vec![inter_sample_peaks(); 2]),
            (2.0, vec![sine(-20.0); 2]),
        ],
    );
    let sample_peak = media
        .iter()
        .filter_map(|m| match m {
            Media::Audio(a) => a.samples().iter().map(|x| x.abs()).reduce(f32::max),
            _ => None,
        })
        .fold(0.0f32, f32::max);
    assert!(sample_peak < 0.71, "samples stay at -3 dBFS");

    let ev = common::run_all(build(LoudnessConfig::default()), media);
    let tp = last(&ev, "true_peak_dbtp");
    assert!(tp > -0.5 && tp < 0.5, "true peak {tp} dBTP");
    let ends = defects(&ev, "audio_true_peak", Phase::End);
    assert_eq!(ends.len(), 1, "{ev:?}");
    let e = ends[0];
    assert!((e.start.as_secs_f64() - 2.0).abs() <= 0.1, "{e:?}");
    assert!((e.end.unwrap().as_secs_f64() - 3.0).abs() <= 0.11, "{e:?}");
    let p = e.details["peak_dbtp"].as_f64().unwrap();
    assert!(p > -0.5, "{e:?}");

    // With the ceiling off, no defect; at +1 dBTP, none either.
    for ceiling in [None, Some(1.0)] {
        let cfg = LoudnessConfig {
            true_peak_max: ceiling,
            ..Default::default()
        };
        let ev = common::run_all(
            build(cfg),
            frames(RATE, &[(1.0, vec![inter_sample_peaks(); 2])]),
        );
        assert!(defects(&ev, "audio_true_peak", Phase::End).is_empty());
    }
}

#[test]
fn config_errors_name_the_field() {
    let reg = Registry::builtin();
    for (json, field) in [
        (r#"[{"type":"loudness","tolerance":1.0}]"#, "tolerance"),
        (
            r#"[{"type":"loudness","preset":"ebu_r128","tolerance":0}]"#,
            "tolerance",
        ),
        (r#"[{"type":"loudness","target":3.0}]"#, "target"),
        (r#"[{"type":"loudness","period":0.05}]"#, "period"),
        (r#"[{"type":"loudness","min_duration":-1}]"#, "min_duration"),
        (
            r#"[{"type":"loudness","true_peak_max":30}]"#,
            "true_peak_max",
        ),
        (
            r#"[{"type":"loudness","true_peak_clear_for":-0.5}]"#,
            "true_peak_clear_for",
        ),
        (r#"[{"type":"loudness","preset":"ebu"}]"#, "ebu"),
        (r#"[{"type":"loudness","measure":"long"}]"#, "long"),
        (r#"[{"type":"loudness","targett":-23}]"#, "targett"),
    ] {
        match reg.build_json(json) {
            Err(e @ Error::Config { .. }) => {
                assert!(e.to_string().contains(field), "{json}: {e}")
            }
            Err(e) => panic!("{json}: unexpected error {e}"),
            Ok(_) => panic!("{json} was accepted"),
        }
    }
    assert!(LoudnessConfig {
        true_peak_max: Some(f64::NAN),
        ..Default::default()
    }
    .build("l")
    .is_err());
    // Good ones, and on by default.
    reg.build_json(r#"[{"type":"loudness","preset":"atsc_a85","measure":"integrated","true_peak_max":null,"period":0}]"#)
        .unwrap();
    reg.build_json(r#"[{"type":"loudness","target":-18,"tolerance":3}]"#)
        .unwrap();
    assert_eq!(
        avqc::Registry::builtin().on_by_default("loudness"),
        Some(true)
    );
    assert_eq!(
        LoudnessConfig {
            target: Some(-20.0),
            ..Default::default()
        }
        .range(),
        Some((-20.0, 1.0))
    );
}

#[test]
fn nan_and_infinite_samples_do_not_break_the_measurement() {
    let mut media = stereo(&[(6.0, -23.0)]);
    for m in media.iter_mut().skip(50).step_by(7) {
        let Media::Audio(a) = m else { unreachable!() };
        let mut s = a.samples().to_vec();
        s[3] = f32::NAN;
        s[100] = f32::INFINITY;
        s[200] = f32::NEG_INFINITY;
        *m = Media::Audio(AudioFrame::new(a.rate(), 2, a.time(), s).unwrap());
    }
    let ev = common::run_all(build(LoudnessConfig::default()), media);
    let i = last(&ev, "integrated_lufs");
    assert!((i + 23.0).abs() <= 0.2, "{i}");
    assert!(ev.iter().all(|e| match e {
        Event::Metric(m) => m.value.is_finite(),
        _ => true,
    }));
    let n = notices(&ev);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].name, "non_finite_samples");
}

#[test]
fn format_changes_restart_the_measurement() {
    // 5 s stereo 48 kHz at -23, then 5 s mono 44.1 kHz at -30 dBFS (-33 LUFS), then 5 s of
    // 5.1, then a rate too low to measure.
    let mut media = stereo(&[(5.0, -23.0)]);
    let shift = |m: Media, by: f64| {
        let Media::Audio(a) = m else { unreachable!() };
        Media::Audio(
            AudioFrame::new(
                a.rate(),
                a.channels(),
                a.time().add_secs(by),
                a.samples().into(),
            )
            .unwrap(),
        )
    };
    media.extend(
        frames(44_100, &[(5.0, vec![sine(-30.0)])])
            .into_iter()
            .map(|m| shift(m, 5.0)),
    );
    media.extend(
        frames(RATE, &[(5.0, vec![sine(-23.0); 6])])
            .into_iter()
            .map(|m| shift(m, 10.0)),
    );
    media.push(Media::Audio(
        AudioFrame::new(8, 2, MediaTime::from_secs_f64(15.0), vec![0.1; 16]).unwrap(),
    ));
    let ev = common::run_all(build(LoudnessConfig::default()), media);
    let ints = metrics(&ev, "integrated_lufs");
    // The stereo part's value at the change (5 s), the mono part's at 10 s.
    let at = |t: f64| {
        ints.iter()
            .filter(|m| (m.at.as_secs_f64() - t).abs() < 0.01)
            .map(|m| m.value)
            .next_back()
            .unwrap()
    };
    assert!((at(5.0) + 23.0).abs() <= 0.1, "{ints:?}");
    assert!((at(10.0) + 33.0).abs() <= 0.1, "{ints:?}");
    let n = notices(&ev);
    assert!(n.iter().any(|n| n.name == "loudness_unsupported"), "{n:?}");
}

#[test]
fn discontinuity_and_finish_close_open_intervals() {
    let cfg = LoudnessConfig {
        preset: Some(LoudnessPreset::EbuR128),
        min_duration: 1.0,
        ..Default::default()
    };
    let mut det = build(cfg);
    let mut out = Events::new("test", det.name());
    let mut events = Vec::new();
    let media = frames(RATE, &[(6.0, vec![sine(-13.0), sine(-13.0)])]);
    for m in &media {
        det.process(m, &mut out);
        events.extend(out.drain());
    }
    assert_eq!(
        defects(&events, "loudness_out_of_range", Phase::Start).len(),
        1
    );
    assert_eq!(defects(&events, "audio_true_peak", Phase::Start).len(), 0);
    det.discontinuity(MediaTime::from_secs_f64(6.0), &mut out);
    events.extend(out.drain());
    let ends = defects(&events, "loudness_out_of_range", Phase::End);
    assert_eq!(ends.len(), 1, "{events:?}");
    assert!((ends[0].end.unwrap().as_secs_f64() - 6.0).abs() < 0.11);
    // Windows start afresh after the jump: short-term needs 3 s again.
    let later = frames(RATE, &[(2.0, vec![sine(-13.0), sine(-13.0)])]);
    for m in later {
        let Media::Audio(a) = m else { unreachable!() };
        let a = AudioFrame::new(RATE, 2, a.time().add_secs(100.0), a.samples().into()).unwrap();
        det.process(&Media::Audio(a), &mut out);
        events.extend(out.drain());
    }
    det.finish(MediaTime::from_secs_f64(102.0), &mut out);
    events.extend(out.drain());
    assert_eq!(
        defects(&events, "loudness_out_of_range", Phase::Start).len(),
        1
    );
    assert!(metrics(&events, "short_term_lufs")
        .iter()
        .all(|m| m.at.as_secs_f64() < 7.0));
    // The integrated loudness goes on across the jump.
    let i = last(&events, "integrated_lufs");
    assert!((i + 13.0).abs() <= 0.1, "{i}");
}
