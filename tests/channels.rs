//! `channels`, `hum` and the relative/decoder dropouts of `silence` on synthetic sound (pure
//! Rust): each fault caught at the right times, clean signals left alone, bad input survived.

mod common;

use avqc::detect::audio::{ChannelsConfig, HumConfig, SilenceConfig};
use avqc::event::DefectEvent;
use avqc::{
    AudioFrame, DecoderNotice, Detector, DetectorConfig, Event, Media, MediaTime, NoticeKind,
    Phase, Rational,
};
use std::f64::consts::PI;

const RATE: u32 = 48_000;
const FRAME: usize = 1024;

/// Frames of `secs` seconds of `channels` channels; `f(channel, t)` gives each sample.
fn audio(secs: f64, channels: usize, f: impl Fn(usize, f64) -> f64) -> Vec<Media> {
    let total = (secs * RATE as f64).round() as usize;
    (0..total)
        .step_by(FRAME)
        .map(|s| {
            let n = FRAME.min(total - s);
            let mut planar = Vec::with_capacity(n * channels);
            for c in 0..channels {
                planar.extend((s..s + n).map(|i| f(c, i as f64 / RATE as f64) as f32));
            }
            let t = MediaTime::new(s as i64, Rational::new(1, RATE as i32));
            Media::Audio(AudioFrame::new(RATE, channels, t, planar).unwrap())
        })
        .collect()
}

fn sine(t: f64, hz: f64, amp: f64) -> f64 {
    amp * (2.0 * PI * hz * t).sin()
}

/// A music-like stereo programme: a centre voice whose note changes every 0.5 s and a quieter
/// voice of its own on each side.
fn programme(c: usize, t: f64) -> f64 {
    let step = (2.0 * t).floor();
    let f = 220.0 * 2f64.powf(((step * 5.0) % 12.0) / 12.0);
    let centre = sine(t, f, 0.5) + sine(t, 2.0 * f, 0.2);
    let side = if c == 0 {
        sine(t, 330.0 * 2f64.powf(((step * 7.0) % 12.0) / 12.0), 0.15)
    } else {
        sine(t, 277.0 * 2f64.powf(((step * 3.0) % 12.0) / 12.0), 0.15)
    };
    0.3 * (centre + side)
}

fn run(det: Box<dyn Detector>, media: Vec<Media>) -> Vec<Event> {
    common::run_all(det, media)
}

fn ends(events: &[Event], defect: &str) -> Vec<DefectEvent> {
    events
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.phase == Phase::End && d.defect.as_str() == defect)
        .cloned()
        .collect()
}

fn defects(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e.as_defect())
        .map(|d| format!("{} {:.3}", d.defect, d.start.as_secs_f64()))
        .collect()
}

fn near(t: MediaTime, want: f64, tol: f64) -> bool {
    (t.as_secs_f64() - want).abs() <= tol
}

fn channels() -> Box<dyn Detector> {
    ChannelsConfig::default().build("channels").unwrap()
}

fn hum() -> Box<dyn Detector> {
    HumConfig::default().build("hum").unwrap()
}

fn silence() -> Box<dyn Detector> {
    SilenceConfig::default().build("silence").unwrap()
}

// --- channels ---------------------------------------------------------------------------

#[test]
fn clean_stereo_programme_has_no_channel_fault_nor_hum() {
    let media = audio(8.0, 2, programme);
    let ev = run(channels(), media.clone());
    assert!(defects(&ev).is_empty(), "{:?}", defects(&ev));
    let ev = run(hum(), media.clone());
    assert!(defects(&ev).is_empty(), "{:?}", defects(&ev));
    let ev = run(silence(), media);
    assert!(defects(&ev).is_empty(), "{:?}", defects(&ev));
}

#[test]
fn inverted_right_channel_is_phase_inverted() {
    let media = audio(8.0, 2, |c, t| {
        let inv = c == 1 && (2.0..5.0).contains(&t);
        programme(c, t) * if inv { -1.0 } else { 1.0 }
    });
    let ev = run(channels(), media);
    let e = ends(&ev, "audio_phase_inverted");
    assert_eq!(e.len(), 1, "{:?}", defects(&ev));
    assert!(near(e[0].start, 2.0, 0.5) && near(e[0].end.unwrap(), 5.0, 0.5));
    assert!(e[0].details["correlation"].as_f64().unwrap() < -0.8);
    assert_eq!(
        defects(&ev).len(),
        2,
        "only the phase fault: {:?}",
        defects(&ev)
    );
}

#[test]
fn missing_right_channel_is_reported_with_its_index() {
    let media = audio(8.0, 2, |c, t| {
        if c == 1 && (3.0..6.0).contains(&t) {
            0.0
        } else {
            programme(c, t)
        }
    });
    let ev = run(channels(), media);
    let e = ends(&ev, "audio_channel_missing");
    assert_eq!(e.len(), 1, "{:?}", defects(&ev));
    assert_eq!(e[0].details["channel"], 1);
    assert!(near(e[0].start, 3.0, 0.5) && near(e[0].end.unwrap(), 6.0, 0.5));
}

#[test]
fn quiet_surrounds_and_lfe_of_5_1_are_not_missing_by_default() {
    // FL FR FC LFE BL BR: programme on the fronts and centre, LFE and surrounds silent.
    let media = audio(6.0, 6, |c, t| match c {
        0 | 1 => programme(c, t),
        2 => programme(0, t) * 0.5,
        _ => 0.0,
    });
    assert!(defects(&run(channels(), media.clone())).is_empty());
    let all = ChannelsConfig {
        all_channels: true,
        ..Default::default()
    };
    let ev = run(all.build("channels").unwrap(), media);
    let mut missing: Vec<u64> = ends(&ev, "audio_channel_missing")
        .iter()
        .map(|d| d.details["channel"].as_u64().unwrap())
        .collect();
    missing.sort();
    assert_eq!(missing, vec![3, 4, 5]);
}

#[test]
fn dc_offset_is_reported_and_a_loud_bass_is_not() {
    let media = audio(8.0, 2, |c, t| {
        programme(c, t)
            + if c == 0 && (2.0..5.0).contains(&t) {
                0.1
            } else {
                0.0
            }
    });
    let ev = run(channels(), media);
    let e = ends(&ev, "audio_dc_offset");
    assert_eq!(e.len(), 1, "{:?}", defects(&ev));
    assert_eq!(e[0].details["channel"], 0);
    assert!(near(e[0].start, 2.0, 0.5) && near(e[0].end.unwrap(), 5.0, 0.5));

    let bass = audio(8.0, 2, |_, t| sine(t, 30.0, 0.9));
    assert!(defects(&run(channels(), bass)).is_empty());
}

#[test]
fn dual_mono_is_one_notice_per_episode_only_when_asked_for() {
    let media = audio(10.0, 2, |c, t| {
        if (3.0..7.0).contains(&t) {
            programme(0, t)
        } else {
            programme(c, t)
        }
    });
    let notices = |ev: &[Event]| {
        ev.iter()
            .filter_map(|e| match e {
                Event::Notice(n) if n.name == "audio_dual_mono" => Some(n.at.as_secs_f64()),
                _ => None,
            })
            .collect::<Vec<f64>>()
    };
    assert!(notices(&run(channels(), media.clone())).is_empty());
    let on = ChannelsConfig {
        dual_mono: true,
        ..Default::default()
    };
    let ev = run(on.build("channels").unwrap(), media);
    let n = notices(&ev);
    assert_eq!(n.len(), 1, "{ev:?}");
    assert!((5.0..=5.8).contains(&n[0]), "{n:?}");
    assert!(defects(&ev).is_empty());
}

#[test]
fn channels_survive_nan_format_changes_and_discontinuities() {
    let mut media = audio(3.0, 2, |c, t| {
        if (1.0..1.1).contains(&t) {
            f64::NAN
        } else {
            programme(c, t)
        }
    });
    // then mono, then 5.1 at 44.1 kHz, each restarting the timeline
    let mono = AudioFrame::new(
        RATE,
        1,
        MediaTime::from_secs_f64(3.0),
        vec![f32::INFINITY; 960],
    );
    media.push(Media::Audio(mono.unwrap()));
    let six = AudioFrame::new(44_100, 6, MediaTime::from_secs_f64(3.1), vec![0.1; 6 * 441]);
    media.push(Media::Audio(six.unwrap()));
    media.push(Media::Notice(DecoderNotice::new(
        MediaTime::from_secs_f64(3.2),
        Some(0),
        NoticeKind::Discontinuity { jump_secs: 5.0 },
    )));
    for det in [channels(), hum(), silence()] {
        let mut d = det;
        let mut out = avqc::Events::new("t", d.name());
        for m in &media {
            d.process(m, &mut out);
        }
        d.discontinuity(MediaTime::from_secs_f64(3.3), &mut out);
        d.finish(MediaTime::from_secs_f64(3.3), &mut out);
        let starts = out
            .as_slice()
            .iter()
            .filter_map(|e| e.as_defect())
            .filter(|e| e.phase == Phase::Start)
            .count();
        let ends = out
            .as_slice()
            .iter()
            .filter_map(|e| e.as_defect())
            .filter(|e| e.phase == Phase::End)
            .count();
        assert_eq!(starts, ends, "every start gets an end");
    }
}

// --- hum --------------------------------------------------------------------------------

fn mains(t: f64, f: f64) -> f64 {
    sine(t, f, 0.025) + sine(t, 2.0 * f, 0.0125) + sine(t, 3.0 * f, 0.008)
}

#[test]
fn hum_with_harmonics_is_detected_at_50_and_60_hz() {
    for f in [50.0, 60.0] {
        let media = audio(8.0, 2, |c, t| {
            programme(c, t)
                + if (2.0..6.0).contains(&t) {
                    mains(t, f)
                } else {
                    0.0
                }
        });
        let ev = run(hum(), media);
        let e = ends(&ev, "audio_hum");
        assert_eq!(e.len(), 1, "{f} Hz: {:?}", defects(&ev));
        assert_eq!(e[0].details["frequency"], f as u64);
        assert!(near(e[0].start, 2.0, 0.5) && near(e[0].end.unwrap(), 6.0, 0.5));
    }
}

#[test]
fn hum_is_not_a_pure_tone_nor_a_changing_bass_line_on_50_hz() {
    let tone = audio(6.0, 2, |_, t| sine(t, 1000.0, 0.5));
    assert!(defects(&run(hum(), tone)).is_empty());
    // a bass with overtones that sits on 50 Hz for a beat (0.5 s) in every bar of four notes
    let bass = audio(10.0, 2, |_, t| {
        let notes = [50.0, 41.2, 55.0, 61.7];
        let f = notes[((2.0 * t).floor() as usize) % 4];
        sine(t, f, 0.3) + sine(t, 2.0 * f, 0.15) + sine(t, 3.0 * f, 0.1)
    });
    assert!(defects(&run(hum(), bass)).is_empty());
    // a steady note at 49 Hz (G1) with overtones: a line, but not on the mains frequency
    let g1 = audio(6.0, 2, |_, t| sine(t, 49.0, 0.3) + sine(t, 98.0, 0.15));
    assert!(defects(&run(hum(), g1)).is_empty());
}

// --- dropouts ---------------------------------------------------------------------------

fn chord(t: f64) -> f64 {
    sine(t, 262.0, 0.08) + sine(t, 330.0, 0.06) + sine(t, 392.0, 0.05)
}

#[test]
fn drop_far_below_the_programme_is_a_relative_dropout() {
    // −20 dBFS chord dropping by 35 dB (to about −55 dBFS) 2.00–2.05 s and 4.00–4.30 s
    let gain = |t: f64| {
        if (2.0..2.05).contains(&t) || (4.0..4.3).contains(&t) {
            0.0178
        } else {
            1.0
        }
    };
    let media = audio(6.0, 2, |_, t| gain(t) * chord(t));
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_dropout");
    assert_eq!(e.len(), 2, "{:?}", defects(&ev));
    for (d, (s, end)) in e.iter().zip([(2.0, 2.05), (4.0, 4.3)]) {
        assert!(
            near(d.start, s, 0.05) && near(d.end.unwrap(), end, 0.05),
            "{d:?}"
        );
        assert_eq!(d.details["source"], "relative");
    }
    assert!(ends(&ev, "audio_silence").is_empty());
}

#[test]
fn digital_zero_gap_is_reported_once() {
    let media = audio(4.0, 2, |_, t| {
        if (2.0..2.05).contains(&t) {
            0.0
        } else {
            chord(t)
        }
    });
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_dropout");
    assert_eq!(e.len(), 1, "{:?}", defects(&ev));
    assert_eq!(e[0].details["source"], "level");
}

#[test]
fn fades_staccato_and_a_shallow_dip_are_not_dropouts() {
    // a fade out over 0.2 s to 35 dB under the chord (−55 dBFS, above the silence threshold),
    // held 0.1 s, and a fade back in
    let fade = audio(4.0, 2, |_, t| {
        let g = if (2.0..2.2).contains(&t) {
            10f64.powf(-35.0 * (t - 2.0) / 0.2 / 20.0)
        } else if (2.2..2.3).contains(&t) {
            0.0178
        } else if (2.3..2.5).contains(&t) {
            10f64.powf(-35.0 * (2.5 - t) / 0.2 / 20.0)
        } else {
            1.0
        };
        g * chord(t)
    });
    let ev = run(silence(), fade);
    assert!(defects(&ev).is_empty(), "fade: {:?}", defects(&ev));
    // staccato: 150 ms notes and 100 ms gaps at 35 dB under them, abrupt edges
    let staccato = audio(4.0, 2, |_, t| {
        let on = (t * 4.0).fract() < 0.6;
        chord(t) * if on { 1.0 } else { 0.0178 }
    });
    let ev = run(silence(), staccato);
    assert!(defects(&ev).is_empty(), "staccato: {:?}", defects(&ev));
    // a dip of 20 dB only
    let dip = audio(4.0, 2, |_, t| {
        chord(t) * if (2.0..2.05).contains(&t) { 0.1 } else { 1.0 }
    });
    assert!(defects(&run(silence(), dip)).is_empty());
}

#[test]
fn decoder_damage_on_the_audio_stream_is_a_dropout() {
    let mut media = audio(3.0, 2, |_, t| chord(t));
    let at = |s: f64| MediaTime::from_secs_f64(s);
    let notice = |s: f64, stream| {
        Media::Notice(DecoderNotice::new(
            at(s),
            stream,
            NoticeKind::DecodeError {
                message: "bad".into(),
            },
        ))
    };
    // two notices 20 ms apart at 1.0 s on the audio stream (0), one on a video stream (1)
    let i = media.iter().position(|m| m.time() >= at(1.0)).unwrap();
    media.insert(i, notice(1.02, Some(0)));
    media.insert(i, notice(1.0, Some(0)));
    media.insert(i, notice(1.5, Some(1)));
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_dropout");
    assert_eq!(e.len(), 1, "{:?}", defects(&ev));
    assert_eq!(e[0].details["source"], "decoder");
    assert_eq!(e[0].details["notices"], 2);
    assert!(near(e[0].start, 1.0, 0.001));
    assert!(near(
        e[0].end.unwrap(),
        1.02 + FRAME as f64 / RATE as f64,
        0.001
    ));

    // off: nothing
    let off = SilenceConfig {
        decoder_dropouts: false,
        ..Default::default()
    };
    let mut media = audio(2.0, 2, |_, t| chord(t));
    media.insert(10, notice(0.2, Some(0)));
    assert!(defects(&run(off.build("s").unwrap(), media)).is_empty());
}

#[test]
fn decoder_damage_inside_a_reported_gap_is_not_reported_twice() {
    let mut media = audio(3.0, 2, |_, t| {
        if (1.0..1.05).contains(&t) {
            0.0
        } else {
            chord(t)
        }
    });
    let i = media
        .iter()
        .position(|m| m.time() >= MediaTime::from_secs_f64(0.98))
        .unwrap();
    media.insert(
        i,
        Media::Notice(DecoderNotice::new(
            MediaTime::from_secs_f64(1.0),
            Some(0),
            NoticeKind::CorruptPacket,
        )),
    );
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_dropout");
    assert_eq!(e.len(), 1, "{:?}", defects(&ev));
    assert_eq!(e[0].details["source"], "level");
    assert_eq!(e[0].details["decoder_notices"], 1);
}

#[test]
fn new_settings_have_documented_defaults_and_are_checked() {
    let s = SilenceConfig::default();
    assert_eq!(
        (
            s.relative_drop_db,
            s.relative_context,
            s.relative_max,
            s.relative_edge
        ),
        (30.0, 0.3, 0.5, 0.01)
    );
    assert!(s.relative && s.decoder_dropouts);
    let bad = SilenceConfig {
        relative_drop_db: 2.0,
        ..Default::default()
    };
    assert!(bad.build("s").is_err());
    let c = ChannelsConfig::default();
    assert_eq!((c.window, c.min_duration, c.dc_max), (0.25, 2.0, 0.05));
    assert!(!c.dual_mono && !c.all_channels);
    assert!(ChannelsConfig {
        dc_max: 0.0,
        ..Default::default()
    }
    .build("c")
    .is_err());
    let h = HumConfig::default();
    assert_eq!((h.hop, h.prominence_db, h.min_duration), (0.25, 15.0, 2.0));
    let reg = avqc::Registry::builtin();
    assert!(reg
        .build_json(r#"[{"type":"channels","phase_correlation":0.3}]"#)
        .is_err());
    assert!(reg
        .build_json(r#"[{"type":"hum","prominence_db":-1}]"#)
        .is_err());
    assert!(reg.build_json(r#"[{"type":"hum","nope":1}]"#).is_err());
}
