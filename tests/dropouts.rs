//! `audio_dropout` of `silence` told apart from natural pauses, and sound lost from the timeline
//! (synthetic, pure Rust): the pauses of speech over room tone never alarm at any programme
//! level, a cut of the whole waveform to digital zero does, and a missing audio frame is a
//! `"timestamps"` dropout unless the timeline was bridged there.

mod common;

use avqc::detect::audio::SilenceConfig;
use avqc::event::DefectEvent;
use avqc::{
    AudioFrame, DecoderNotice, Detector, DetectorConfig, Event, Events, Media, MediaTime,
    NoticeKind, Phase, Rational,
};
use common::rng::Rng;
use common::sounds::steps;
use std::f64::consts::PI;

const RATE: u32 = 48_000;
const FRAME: usize = 1024;

fn silence() -> Box<dyn Detector> {
    SilenceConfig::default().build("silence").unwrap()
}

/// One stereo frame of samples `s` (the same on both channels) starting at sample `at`.
fn frame(at: i64, s: &[f32]) -> Media {
    let mut planar = s.to_vec();
    planar.extend_from_slice(s);
    let t = MediaTime::new(at, Rational::new(1, RATE as i32));
    Media::Audio(AudioFrame::new(RATE, 2, t, planar).unwrap())
}

/// `signal` cut into frames at their own times.
fn frames(signal: &[f32]) -> Vec<Media> {
    signal
        .chunks(FRAME)
        .enumerate()
        .map(|(i, s)| frame((i * FRAME) as i64, s))
        .collect()
}

/// Speech-like sound at RMS `level_db` dBFS over room tone 32 dB under it: syllables of
/// 120–300 ms on a 140 Hz voice with harmonics, rising in 10 ms and decaying over about 40 ms,
/// separated by pauses of 20–60 ms (a few of 200–400 ms); one syllable in four stops short
/// (speech cut within 1 ms, the room tone going on).
fn speech(secs: f64, level_db: f64, seed: u64) -> Vec<f32> {
    let n = (secs * RATE as f64) as usize;
    let mut rng = Rng(seed);
    let amp = 10f64.powf(level_db / 20.0) * 1.6;
    let room = 10f64.powf((level_db - 32.0) / 20.0);
    let mut env = vec![0.0f64; n];
    let mut i = (0.2 * RATE as f64) as usize;
    let mut k = 0;
    while i < n {
        let len = (rng.range(0.12, 0.3) * RATE as f64) as usize;
        let hard = k % 4 == 3;
        for j in 0..len.min(n - i) {
            let t = j as f64 / RATE as f64;
            let left = (len - j) as f64 / RATE as f64;
            let rise = (t / 0.01).min(1.0);
            let fall = if hard {
                (left / 0.001).min(1.0)
            } else {
                (-(0.04 - left.min(0.04)) / 0.006).exp()
            };
            env[i + j] = rise * fall;
        }
        let pause = if k % 7 == 6 {
            rng.range(0.2, 0.4)
        } else {
            rng.range(0.02, 0.06)
        };
        i += len + (pause * RATE as f64) as usize;
        k += 1;
    }
    (0..n)
        .map(|j| {
            let t = j as f64 / RATE as f64;
            let f0 = 140.0 * (1.0 + 0.05 * (2.0 * PI * 3.0 * t).sin());
            let voice: f64 = (1..6)
                .map(|h| (2.0 * PI * f0 * h as f64 * t).sin() / h as f64)
                .sum();
            (amp * env[j] * voice * 0.5 + room * rng.gauss()) as f32
        })
        .collect()
}

fn run(det: &mut Box<dyn Detector>, media: &[Media]) -> Vec<Event> {
    let mut out = Events::new("test", det.name());
    let mut events = Vec::new();
    let mut end = MediaTime::ZERO;
    for m in media {
        if let Media::Audio(a) = m {
            end = end.max(a.end_time());
        }
        det.process(m, &mut out);
        events.extend(out.drain());
    }
    det.finish(end, &mut out);
    events.extend(out.drain());
    events
}

fn dropouts(events: &[Event]) -> Vec<DefectEvent> {
    events
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.phase == Phase::End && d.defect.as_str() == "audio_dropout")
        .cloned()
        .collect()
}

fn show(d: &[DefectEvent]) -> Vec<String> {
    d.iter()
        .map(|d| {
            format!(
                "{:.3}-{:.3} {}",
                d.start.as_secs_f64(),
                d.end.map_or(0.0, |e| e.as_secs_f64()),
                d.details["source"]
            )
        })
        .collect()
}

#[test]
fn pauses_of_speech_never_alarm_at_any_programme_level() {
    // −23 dBFS news (room tone at −55), −40 and −45 quiet programmes (pauses at −72/−77 dBFS)
    for (level, seed) in [(-23.0, 1), (-40.0, 2), (-45.0, 3), (-50.0, 4)] {
        let s = speech(12.0, level, seed);
        let ev = run(&mut silence(), &frames(&s));
        let d = dropouts(&ev);
        assert!(d.is_empty(), "speech at {level} dBFS: {:?}", show(&d));
    }
}

/// Start of the loudest 10 ms of `s` between 4 and 6 s: inside a syllable.
fn loudest_10ms_past_4s(s: &[f32]) -> usize {
    (4 * RATE as usize..6 * RATE as usize)
        .step_by(480)
        .max_by(|&a, &b| {
            let e = |i: usize| s[i..i + 480].iter().map(|x| x * x).sum::<f32>();
            e(a).total_cmp(&e(b))
        })
        .unwrap()
}

/// `d` is a `level` dropout from sample `at` lasting `secs` (both within 5 ms).
fn assert_level_cut(d: &DefectEvent, at: usize, secs: f64) {
    let start = at as f64 / RATE as f64;
    let shown = show(std::slice::from_ref(d));
    assert!((d.start.as_secs_f64() - start).abs() < 0.005, "{shown:?}");
    let end = d.end.unwrap().as_secs_f64();
    assert!((end - start - secs).abs() < 0.005, "{shown:?}");
    assert_eq!(d.details["source"], "level");
}

#[test]
fn a_cut_to_digital_zero_inside_speech_is_a_dropout() {
    for (level, seed) in [(-23.0, 5), (-45.0, 6)] {
        let mut s = speech(8.0, level, seed);
        let at = loudest_10ms_past_4s(&s);
        let len = (0.04 * RATE as f64) as usize;
        s[at..at + len].iter_mut().for_each(|x| *x = 0.0);
        let ev = run(&mut silence(), &frames(&s));
        let d = dropouts(&ev);
        assert_eq!(d.len(), 1, "speech at {level} dBFS: {:?}", show(&d));
        assert_level_cut(&d[0], at, 0.04);
    }
}

#[test]
fn a_cut_of_10_ms_smeared_by_a_codec_is_a_dropout() {
    // 10 ms zeroed, as a lossy codec leaves it: its first and last 2.5 ms keep the sound 30 dB
    // down, so only 5 ms are under the threshold, and a 10 ms mean of the gap is its edges'
    for (level, seed) in [(-23.0, 7), (-40.0, 8)] {
        let mut s = speech(8.0, level, seed);
        let at = loudest_10ms_past_4s(&s);
        let edge = RATE as usize / 400;
        s[at..at + edge].iter_mut().for_each(|x| *x *= 0.03);
        s[at + edge..at + 3 * edge]
            .iter_mut()
            .for_each(|x| *x = 0.0);
        s[at + 3 * edge..at + 4 * edge]
            .iter_mut()
            .for_each(|x| *x *= 0.03);
        let ev = run(&mut silence(), &frames(&s));
        let d = dropouts(&ev);
        assert_eq!(d.len(), 1, "speech at {level} dBFS: {:?}", show(&d));
        let start = at as f64 / RATE as f64;
        let got = d[0].start.as_secs_f64();
        assert!(
            got >= start - 0.001 && got <= start + 0.01,
            "{:?}",
            show(&d)
        );
    }
}

fn chord(secs: f64) -> Vec<f32> {
    (0..(secs * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            (0.08 * (2.0 * PI * 262.0 * t).sin()
                + 0.06 * (2.0 * PI * 330.0 * t).sin()
                + 0.05 * (2.0 * PI * 392.0 * t).sin()) as f32
        })
        .collect()
}

#[test]
fn a_frame_missing_from_the_timeline_is_a_timestamps_dropout() {
    let s = chord(3.0);
    let mut media = frames(&s);
    // the frame at 1.5 s lost in transport: the next one starts 21.3 ms late
    let lost = (1.5 * RATE as f64) as usize / FRAME;
    media.remove(lost);
    let ev = run(&mut silence(), &media);
    let d = dropouts(&ev);
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["source"], "timestamps");
    assert_eq!(d[0].details["missing_samples"], FRAME);
    let start = (lost * FRAME) as f64 / RATE as f64;
    assert!(
        (d[0].start.as_secs_f64() - start).abs() < 1e-6,
        "{:?}",
        show(&d)
    );
    let end = d[0].end.unwrap().as_secs_f64();
    assert!((end - start - FRAME as f64 / RATE as f64).abs() < 1e-6);
    // reported once 0.1 s more came without another hole (holes closer are one dropout)
    let started = ev
        .iter()
        .filter_map(|e| e.as_defect())
        .find(|d| d.phase == Phase::Start)
        .unwrap();
    let latency = started.emitted_at.as_secs_f64() - end;
    assert!((0.1..0.13).contains(&latency), "{latency}");

    // two frames lost 21 ms apart: one dropout over both holes
    let mut media = frames(&s);
    media.remove(lost + 1);
    media.remove(lost - 1);
    let d = dropouts(&run(&mut silence(), &media));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["missing_samples"], 2 * FRAME);
    let first = ((lost - 1) * FRAME) as f64 / RATE as f64;
    assert!(
        (d[0].start.as_secs_f64() - first).abs() < 1e-6,
        "{:?}",
        show(&d)
    );

    // jitter of 1 ms is not a gap; a frame missing during a silence is not heard
    let mut media = frames(&s);
    if let Media::Audio(a) = &media[40] {
        let mut planar = a.channel(0).to_vec();
        planar.extend_from_slice(a.channel(1));
        let t = a.time().add_secs(0.001);
        media[40] = Media::Audio(AudioFrame::new(RATE, 2, t, planar).unwrap());
    }
    let mut quiet = s.clone();
    let hole = (1.0 * RATE as f64) as usize / FRAME;
    quiet[(hole - 20) * FRAME..(hole + 20) * FRAME].fill(0.0);
    let mut q = frames(&quiet);
    q.remove(hole);
    for m in [media, q] {
        let d = dropouts(&run(&mut silence(), &m));
        assert!(d.is_empty(), "{:?}", show(&d));
    }
}

#[test]
fn a_bridged_discontinuity_and_the_stream_start_are_not_dropouts() {
    let s = chord(3.0);
    let media = frames(&s);
    let mut det = silence();
    let mut out = Events::new("test", det.name());
    let mut events = Vec::new();
    // the stream starts at 0.5 s; the timeline jumps by 0.2 s at 1.5 s with a discontinuity
    // notice (the pipeline calls `discontinuity` before the frame after the jump)
    let jump = (0.2 * RATE as f64) as i64;
    let mut end = MediaTime::ZERO;
    for (i, m) in media.iter().enumerate().skip(24) {
        let Media::Audio(a) = m else { continue };
        let at = (i * FRAME) as i64;
        let shifted = if at >= (1.5 * RATE as f64) as i64 {
            at + jump
        } else {
            at
        };
        if at >= (1.5 * RATE as f64) as i64 && at - (FRAME as i64) < (1.5 * RATE as f64) as i64 {
            det.discontinuity(
                MediaTime::new(shifted, Rational::new(1, RATE as i32)),
                &mut out,
            );
        }
        let f = frame(shifted, a.channel(0));
        end = end.max(MediaTime::new(
            shifted + FRAME as i64,
            Rational::new(1, RATE as i32),
        ));
        det.process(&f, &mut out);
        events.extend(out.drain());
    }
    det.finish(end, &mut out);
    events.extend(out.drain());
    let d = dropouts(&events);
    assert!(d.is_empty(), "{:?}", show(&d));

    // the same jump without the notice is sound lost
    let mut det = silence();
    let moved: Vec<Media> = media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let Media::Audio(a) = m else { unreachable!() };
            let at = (i * FRAME) as i64;
            frame(if i >= 70 { at + jump } else { at }, a.channel(0))
        })
        .collect();
    let d = dropouts(&run(&mut det, &moved));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["missing_samples"], jump);
}

#[test]
fn new_settings_have_defaults_and_are_checked() {
    let s = SilenceConfig::default();
    assert_eq!((s.floor_drop_db, s.floor_context), (20.0, 4.0));
    assert!(s.timestamp_dropouts);
    for bad in [
        SilenceConfig {
            floor_drop_db: -1.0,
            ..Default::default()
        },
        SilenceConfig {
            floor_context: 0.0,
            ..Default::default()
        },
    ] {
        assert!(bad.build("s").is_err());
    }
}

#[test]
fn the_second_hole_of_one_loss_counts_in_a_quiet_stretch() {
    // a chord, then film ambience under the silence threshold (noise at -66 dBFS) from frame
    // `l` on; a packet lost in an audio PES: frame `l` does not decode and the next three get
    // timestamps one frame early, so the timeline shows a second hole before frame `l + 4`
    let mut s = chord(3.0);
    let l = (1.5 * RATE as f64) as usize / FRAME;
    let mut rng = Rng(7);
    let amp = 10f64.powf(-66.0 / 20.0) * 3f64.sqrt();
    for x in &mut s[l * FRAME..] {
        *x = (amp * rng.range(-1.0, 1.0)) as f32;
    }
    let mut media = frames(&s);
    media.remove(l + 4);
    media.remove(l);
    let d = dropouts(&run(&mut silence(), &media));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["source"], "timestamps");
    assert_eq!(d[0].details["missing_samples"], 2 * FRAME, "both holes");
    let secs = |i: usize| (i * FRAME) as f64 / RATE as f64;
    assert!(
        (d[0].start.as_secs_f64() - secs(l)).abs() < 1e-6,
        "{:?}",
        show(&d)
    );
    let end = d[0].end.unwrap().as_secs_f64();
    assert!((end - secs(l + 5)).abs() < 1e-6, "{:?}", show(&d));

    // a hole in the quiet stretch with no loss just before it: the ambience is sound, and a
    // frame of it lost is a dropout too (a whole audio PES lost leaves no other trace)
    let mut media = frames(&s);
    media.remove(l + 10);
    let d = dropouts(&run(&mut silence(), &media));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert!((d[0].start.as_secs_f64() - secs(l + 10)).abs() < 1e-6);
}

#[test]
fn a_loss_the_decoder_saw_counts_in_ambience_under_the_threshold() {
    // speech at -30 dBFS over its room tone at -62 dBFS (under the silence threshold), and a
    // long pause of room tone alone from 2 s to `quiet_end` (a quiet silence: the programme's
    // own floor, not reported unless it lasts `quiet_min_duration`)
    let secs = |i: usize| (i * FRAME) as f64 / RATE as f64;
    let clip = |quiet_end: f64| {
        let mut s = speech(6.0, -30.0, 3);
        let mut rng = Rng(11);
        let room = 10f64.powf(-62.0 / 20.0);
        let (a, b) = (
            (2.0 * RATE as f64) as usize,
            (quiet_end * RATE as f64) as usize,
        );
        for x in &mut s[a..b] {
            *x = (room * rng.gauss()) as f32;
        }
        frames(&s)
    };
    // at 2.5 s the decoder reports two corrupt packets and the four frames after them never
    // come (the PES was lost): the timeline shows a hole
    let l = (2.5 * RATE as f64) as usize / FRAME;
    let lose = |mut media: Vec<Media>, hole: bool| {
        if hole {
            media.drain(l + 2..l + 6);
        }
        for k in [1, 0] {
            let t = MediaTime::new(((l + k) * FRAME) as i64, Rational::new(1, RATE as i32));
            media.insert(
                l,
                Media::Notice(DecoderNotice::new(t, Some(0), NoticeKind::CorruptPacket)),
            );
        }
        media
    };
    let d = dropouts(&run(&mut silence(), &lose(clip(3.5), true)));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["source"], "timestamps");
    assert_eq!(d[0].details["missing_samples"], 4 * FRAME);
    assert_eq!(d[0].details["decoder_notices"], 2);
    assert!((d[0].start.as_secs_f64() - secs(l + 2)).abs() < 1e-6);
    assert!((d[0].end.unwrap().as_secs_f64() - secs(l + 6)).abs() < 1e-6);

    // the damage alone (no frame missing) is a "decoder" dropout there too
    let d = dropouts(&run(&mut silence(), &lose(clip(3.5), false)));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["source"], "decoder");
    assert!((d[0].start.as_secs_f64() - secs(l)).abs() < 1e-6);

    // a silence that is reported (the sound cut to digital zero from 2 s to 3.5 s) covers
    // the damage inside it: one event, the silence
    let mut cut = clip(2.1);
    for m in &mut cut {
        if let Media::Audio(a) = m {
            let t = a.time().as_secs_f64();
            if (2.0..3.5).contains(&t) {
                let z = vec![0.0; a.samples().len()];
                *m = Media::Audio(AudioFrame::new(RATE, 2, a.time(), z).unwrap());
            }
        }
    }
    let ev = run(&mut silence(), &lose(cut, false));
    assert!(dropouts(&ev).is_empty(), "{:?}", show(&dropouts(&ev)));
    assert!(ev
        .iter()
        .filter_map(|e| e.as_defect())
        .any(|d| { d.defect.as_str() == "audio_silence" && d.start.as_secs_f64() < secs(l) }));
}

#[test]
fn a_frame_stamped_late_whose_successor_comes_on_time_is_no_dropout() {
    // Vorbis in Ogg: after a change of block size FFmpeg stamps one frame 448 samples late;
    // the frame after it starts on time, 448 samples before the late one ended
    let s = chord(3.0);
    let mut media = frames(&s);
    let k = (1.5 * RATE as f64) as usize / FRAME;
    if let Media::Audio(a) = &media[k] {
        let mut planar = a.channel(0).to_vec();
        planar.extend_from_slice(a.channel(1));
        let t = MediaTime::new((k * FRAME + 448) as i64, Rational::new(1, RATE as i32));
        media[k] = Media::Audio(AudioFrame::new(RATE, 2, t, planar).unwrap());
    }
    let d = dropouts(&run(&mut silence(), &media));
    assert!(d.is_empty(), "{:?}", show(&d));

    // a frame lost for real: the timeline does not come back
    let mut media = frames(&s);
    media.remove(k);
    let d = dropouts(&run(&mut silence(), &media));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
}

#[test]
fn a_cut_whose_sound_comes_back_smeared_is_a_dropout() {
    // −18 dBFS speech, 30 ms zeroed, then 2.5 ms at −57 dBFS before the speech: a lossy codec
    // smears the return of the sound as it smears the cut, so the first window over the
    // threshold is still far (over 30 dB) under the programme's level; the sound is back
    // 2.5 ms later
    let mut s = speech(8.0, -18.0, 9);
    let at = loudest_10ms_past_4s(&s);
    let len = (0.03 * RATE as f64) as usize;
    let edge = RATE as usize / 400;
    s[at..at + len].iter_mut().for_each(|x| *x = 0.0);
    let amp = 10f64.powf(-57.0 / 20.0) * 2f64.sqrt();
    for (j, x) in s[at + len..at + len + edge].iter_mut().enumerate() {
        *x = (amp * (2.0 * PI * 2400.0 * j as f64 / RATE as f64).sin()) as f32;
    }
    let d = dropouts(&run(&mut silence(), &frames(&s)));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_level_cut(&d[0], at, 0.03);

    // the sound staying 20 ms that low after the silence is no cut's return: not reported
    let mut s = speech(8.0, -18.0, 9);
    s[at..at + len].iter_mut().for_each(|x| *x = 0.0);
    for (j, x) in s[at + len..at + len + 8 * edge].iter_mut().enumerate() {
        *x = (amp * (2.0 * PI * 2400.0 * j as f64 / RATE as f64).sin()) as f32;
    }
    let d = dropouts(&run(&mut silence(), &frames(&s)));
    assert!(d.is_empty(), "{:?}", show(&d));
}

#[test]
fn a_relative_gap_must_fall_from_the_programmes_level_at_once() {
    // a loud passage, then 0.3 s 14 dB quieter: the mean of the last 0.3 s (the relative
    // context) is that quieter sound, while the programme's level still holds the loud one
    let det = || {
        SilenceConfig {
            threshold_db: -70.0,
            ..Default::default()
        }
        .build("silence")
        .unwrap()
    };
    let gap = [(0.04, -56.0), (0.5, -24.0)];
    // straight from the sound into a gap 32 dB under it: a cut
    let s = steps(&[&[(2.0, -10.0), (0.3, -24.0)][..], &gap[..]].concat());
    let d = dropouts(&run(&mut det(), &frames(&s)));
    assert_eq!(d.len(), 1, "{:?}", show(&d));
    assert_eq!(d[0].details["source"], "relative");
    assert!(
        (d[0].start.as_secs_f64() - 2.3).abs() < 0.003,
        "{:?}",
        show(&d)
    );
    // through 15 ms at −34 dBFS first (near the quieter context, 20 dB under the programme's
    // level): the sound had already fallen, as a note decays into its rest
    let s = steps(&[&[(2.0, -10.0), (0.3, -24.0), (0.015, -34.0)][..], &gap[..]].concat());
    let d = dropouts(&run(&mut det(), &frames(&s)));
    assert!(d.is_empty(), "{:?}", show(&d));
}

#[test]
fn room_tone_before_the_programme_is_its_floor() {
    // A quiet programme that opens on 0.9 s of room tone (−72 dBFS), speaks without a pause
    // until 2.5 s and then stops within 1 ms for 95 ms of the same room tone: the first pause
    // sits at the floor heard before the speech, it is no cut. Cut to digital zero instead, the
    // same gap is a dropout.
    let mut rng = Rng(11);
    let room = 10f64.powf(-72.0 / 20.0);
    let voice = 10f64.powf(-40.0 / 20.0) * 1.4;
    let (on, stop, back) = (at(0.9), at(2.5), at(2.595));
    let sound: Vec<f32> = (0..at(6.0))
        .map(|j| {
            let t = j as f64 / RATE as f64;
            let speaking = (on..stop).contains(&j) || j >= back;
            let v = if speaking {
                (1..6)
                    .map(|h| (2.0 * PI * 150.0 * h as f64 * t).sin() / h as f64)
                    .sum::<f64>()
                    * voice
            } else {
                0.0
            };
            (v + room * rng.gauss()) as f32
        })
        .collect();
    let d = dropouts(&run(&mut silence(), &frames(&sound)));
    assert!(d.is_empty(), "a pause at the room tone: {:?}", show(&d));
    let mut cut = sound.clone();
    cut[stop..back].iter_mut().for_each(|x| *x = 0.0);
    let d = dropouts(&run(&mut silence(), &frames(&cut)));
    assert_eq!(d.len(), 1, "a cut to digital zero: {:?}", show(&d));
    assert_level_cut(&d[0], stop, 0.095);
}

fn at(secs: f64) -> usize {
    (secs * RATE as f64) as usize
}
