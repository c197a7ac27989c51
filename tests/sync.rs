//! The `sync` detector on synthetic media (pure Rust, no FFmpeg).

mod common;

use avqc::detect::{SyncConfig, SyncPreset};
use avqc::event::DefectEvent;
use avqc::{
    AudioFrame, DecoderNotice, DetectorConfig, Event, Media, MediaTime, NoticeKind, Phase,
    PixelFormat, VideoFrame,
};

const RATE: u32 = 48_000;
const BLOCK: usize = 1024;

fn t(s: f64) -> MediaTime {
    MediaTime::from_secs_f64(s)
}

/// Pictures at 25 fps for `secs`: mid grey, white at every `flash(t)`.
fn pictures(secs: f64, start: f64, flash: impl Fn(f64) -> bool) -> Vec<(f64, Media)> {
    let n = (secs * 25.0).round() as usize;
    (0..n)
        .map(|i| {
            let ts = start + i as f64 / 25.0;
            let y = if flash(ts) { 235 } else { 110 };
            let f = VideoFrame::filled(64, 36, PixelFormat::Gray8, t(ts), [y, 0, 0])
                .with_duration(Some(0.04));
            (ts, Media::Video(f))
        })
        .collect()
}

/// Stereo sound in 1024-sample blocks for `secs` starting at `start`; block *k* is stamped
/// `start + k·1024/48000·stretch` (stretch ≠ 1: a skewed audio clock).
fn sound(secs: f64, start: f64, stretch: f64, mut f: impl FnMut(f64) -> f32) -> Vec<(f64, Media)> {
    let total = (secs * RATE as f64) as usize;
    let mut out = Vec::new();
    let mut i = 0;
    while i < total {
        let n = BLOCK.min(total - i);
        let ts = start + i as f64 / RATE as f64 * stretch;
        let mut s = vec![0f32; 2 * n];
        for k in 0..n {
            let v = f(start + (i + k) as f64 / RATE as f64);
            s[k] = v;
            s[n + k] = v;
        }
        let stamp = MediaTime::new(
            (ts * RATE as f64).round() as i64,
            avqc::Rational::new(1, RATE as i32),
        );
        let a = AudioFrame::new(RATE, 2, stamp, s).unwrap().with_stream(1);
        out.push((ts, Media::Audio(a)));
        i += n;
    }
    out
}

/// A 40 ms 1 kHz beep at `first + k` seconds (k = 0, 1, ...), delayed by `delay`.
fn beeps(first: f64, delay: f64) -> impl FnMut(f64) -> f32 {
    move |ts: f64| {
        let rel = ts - first - delay;
        if rel < 0.0 {
            return 0.0;
        }
        let ph = rel - rel.floor();
        if ph < 0.040 {
            0.5 * (2.0 * std::f64::consts::PI * 1000.0 * ph).sin() as f32
        } else {
            0.0
        }
    }
}

/// Interleaves by time (as a demuxer would, roughly).
fn mux(mut a: Vec<(f64, Media)>, b: Vec<(f64, Media)>) -> Vec<Media> {
    a.extend(b);
    a.sort_by(|x, y| x.0.total_cmp(&y.0));
    a.into_iter().map(|(_, m)| m).collect()
}

fn flash_at(first: f64) -> impl Fn(f64) -> bool {
    move |ts: f64| {
        let rel = ts - first;
        rel > -1e-6 && (rel - rel.round()).abs() < 1e-6
    }
}

fn run(cfg: SyncConfig, media: Vec<Media>) -> (Vec<DefectEvent>, Vec<(String, f64)>) {
    let events = common::run_all(cfg.build("sync").unwrap(), media);
    let mut defects = Vec::new();
    let mut metrics = Vec::new();
    for e in events {
        match e {
            Event::Defect(d) => defects.push(d),
            Event::Metric(m) => metrics.push((m.name.to_string(), m.value)),
            _ => {}
        }
    }
    // every start has its end
    let starts = defects.iter().filter(|d| d.phase == Phase::Start).count();
    let ends = defects.iter().filter(|d| d.phase == Phase::End).count();
    assert_eq!(starts, ends, "{defects:?}");
    (defects, metrics)
}

fn offset(d: &DefectEvent) -> f64 {
    d.details["offset_ms"].as_f64().unwrap()
}

fn source(d: &DefectEvent) -> &str {
    d.details["source"].as_str().unwrap()
}

fn pattern_clip(delay: f64) -> Vec<Media> {
    mux(
        pictures(12.0, 0.0, flash_at(0.48)),
        sound(12.0, 0.0, 1.0, beeps(0.48, delay)),
    )
}

#[test]
fn late_audio_on_a_flash_beep_pattern_is_measured_and_reported() {
    let (defects, metrics) = run(SyncConfig::default(), pattern_clip(0.080));
    let offsets: Vec<f64> = metrics
        .iter()
        .filter(|(n, _)| n == "av_offset_ms")
        .map(|m| m.1)
        .collect();
    assert!(offsets.len() >= 10, "{offsets:?}");
    assert!(
        offsets.iter().all(|o| (o - 80.0).abs() < 2.0),
        "{offsets:?}"
    );
    assert!(metrics
        .iter()
        .any(|(n, v)| n == "av_offset_confidence" && *v == 1.0));
    assert_eq!(defects.len(), 2, "{defects:?}");
    for d in &defects {
        assert_eq!(d.defect.as_str(), "av_sync");
        assert_eq!(source(d), "pattern");
        assert!((offset(d) - 80.0).abs() < 2.0, "{d:?}");
    }
    assert!(defects[0].start.as_secs_f64() < 1.0);
}

#[test]
fn leading_audio_has_a_negative_offset() {
    let (defects, _) = run(SyncConfig::default(), pattern_clip(-0.200));
    assert_eq!(defects.len(), 2);
    assert!((offset(&defects[0]) + 200.0).abs() < 2.0, "{defects:?}");
}

#[test]
fn in_sync_pattern_raises_nothing() {
    let (defects, metrics) = run(SyncConfig::default(), pattern_clip(0.0));
    assert!(defects.is_empty(), "{defects:?}");
    let offsets: Vec<f64> = metrics
        .iter()
        .filter(|(n, _)| n == "av_offset_ms")
        .map(|m| m.1)
        .collect();
    assert!(!offsets.is_empty());
    assert!(offsets.iter().all(|o| o.abs() < 2.0), "{offsets:?}");
}

#[test]
fn tolerance_follows_the_preset() {
    // 30 ms lead: inside EBU R37 (40 ms), outside ATSC IS-191 (15 ms)
    let (defects, _) = run(SyncConfig::default(), pattern_clip(-0.030));
    assert!(defects.is_empty(), "{defects:?}");
    let atsc = SyncConfig {
        preset: SyncPreset::AtscIs191,
        ..Default::default()
    };
    let (defects, _) = run(atsc, pattern_clip(-0.030));
    assert_eq!(defects.len(), 2, "{defects:?}");
    // 100 ms lag: outside R37 (60 ms), inside BT.1359 (125 ms)
    let bt = SyncConfig {
        preset: SyncPreset::ItuBt1359,
        ..Default::default()
    };
    assert!(run(bt, pattern_clip(0.100)).0.is_empty());
    let custom = SyncConfig {
        max_lag_ms: Some(150.0),
        ..Default::default()
    };
    assert!(run(custom, pattern_clip(0.100)).0.is_empty());
}

#[test]
fn streams_that_start_apart_are_reported_from_timestamps() {
    let media = mux(
        pictures(6.0, 0.0, |_| false),
        sound(4.0, 2.0, 1.0, |ts| (ts * 2000.0).sin() as f32 * 0.3),
    );
    let (defects, _) = run(SyncConfig::default(), media);
    assert_eq!(defects.len(), 2, "{defects:?}");
    assert_eq!(source(&defects[0]), "timestamps");
    assert!((offset(&defects[0]) - 2000.0).abs() < 1.0);
    assert_eq!(defects[0].details["check"], "start");
}

#[test]
fn a_skewed_audio_clock_drifts_into_an_alarm() {
    // audio timestamps run 1000 ppm fast against the samples: 60 ms after 60 s
    let media = mux(
        pictures(100.0, 0.0, |_| false),
        sound(100.0, 0.0, 1.001, |ts| (ts * 2000.0).sin() as f32 * 0.3),
    );
    let (defects, metrics) = run(SyncConfig::default(), media);
    assert_eq!(defects.len(), 2, "{defects:?}");
    assert_eq!(source(&defects[0]), "timestamps");
    let s = defects[0].start.as_secs_f64();
    assert!((58.0..64.0).contains(&s), "{s}");
    assert!(offset(&defects[1]) > 90.0, "{:?}", defects[1]);
    let skew: Vec<f64> = metrics
        .iter()
        .filter(|(n, _)| n == "clock_skew_ppm")
        .map(|m| m.1)
        .collect();
    assert!(!skew.is_empty());
    assert!(skew.iter().all(|p| (p - 1000.0).abs() < 20.0), "{skew:?}");
}

#[test]
fn steady_timestamps_with_an_audio_gap_raise_nothing() {
    let mut a = sound(10.0, 0.0, 1.0, |ts| (ts * 2000.0).sin() as f32 * 0.3);
    a.remove(200); // one lost audio frame: a gap, not drift
    let media = mux(pictures(10.0, 0.0, |_| false), a);
    let (defects, _) = run(SyncConfig::default(), media);
    assert!(defects.is_empty(), "{defects:?}");
}

#[test]
fn discontinuities_that_move_the_streams_apart_are_reported() {
    let mut media = mux(
        pictures(8.0, 0.0, |_| false),
        sound(8.0, 0.0, 1.0, |ts| (ts * 2000.0).sin() as f32 * 0.3),
    );
    // at 4 s the raw video timestamps jumped 0.3 s further than the audio ones
    let pos = media.iter().position(|m| m.time() >= t(4.0)).unwrap();
    let step_a = BLOCK as f64 / RATE as f64;
    media.insert(
        pos,
        Media::Notice(DecoderNotice::new(
            t(4.0),
            Some(1),
            NoticeKind::Discontinuity {
                jump_secs: 10.0 + step_a,
            },
        )),
    );
    media.insert(
        pos,
        Media::Notice(DecoderNotice::new(
            t(4.0),
            Some(0),
            NoticeKind::Discontinuity {
                jump_secs: 10.3 + 0.04,
            },
        )),
    );
    let (defects, _) = run(SyncConfig::default(), media.clone());
    assert_eq!(defects.len(), 2, "{defects:?}");
    assert_eq!(source(&defects[0]), "timestamps");
    assert!((offset(&defects[0]) + 300.0).abs() < 1.0, "{defects:?}");
    assert!((defects[0].start.as_secs_f64() - 4.0).abs() < 0.05);

    // equal jumps keep sync
    for m in media.iter_mut() {
        if let Media::Notice(n) = m {
            n.kind = NoticeKind::Discontinuity {
                jump_secs: 10.0 + if n.stream == Some(1) { step_a } else { 0.04 },
            };
        }
    }
    assert!(run(SyncConfig::default(), media).0.is_empty());
}

#[test]
fn missing_streams_and_bad_samples_do_not_panic() {
    // video only, audio only, NaN and infinite samples, a change of rate and size
    let (d, _) = run(
        SyncConfig::default(),
        mux(pictures(3.0, 0.0, flash_at(0.48)), vec![]),
    );
    assert!(d.is_empty());
    let (d, _) = run(
        SyncConfig::default(),
        mux(vec![], sound(3.0, 0.0, 1.0, beeps(0.48, 0.0))),
    );
    assert!(d.is_empty());
    let mut media = mux(
        pictures(4.0, 0.0, flash_at(0.48)),
        sound(4.0, 0.0, 1.0, |ts| {
            if (ts * 10.0) as i64 % 3 == 0 {
                f32::NAN
            } else {
                f32::INFINITY
            }
        }),
    );
    media.push(Media::Audio(
        AudioFrame::new(44_100, 1, t(4.0), vec![0.1; 441])
            .unwrap()
            .with_stream(1),
    ));
    media.push(Media::Video(VideoFrame::filled(
        32,
        18,
        PixelFormat::Yuv420p,
        t(4.0),
        [16, 128, 128],
    )));
    let (d, _) = run(SyncConfig::default(), media);
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn sync_config_defaults_and_checks() {
    let c = SyncConfig::default();
    assert_eq!(c.limits(), (40.0, 60.0));
    assert_eq!(c.search_range, 1.0);
    assert_eq!(c.min_pairs, 3);
    assert!(serde_json::from_str::<SyncConfig>(r#"{"serch_range": 1}"#).is_err());
    let bad = [
        SyncConfig {
            max_lead_ms: Some(-1.0),
            ..Default::default()
        },
        SyncConfig {
            min_pairs: 9,
            ..Default::default()
        },
        SyncConfig {
            flash_jump: f64::NAN,
            ..Default::default()
        },
        SyncConfig {
            min_confidence: 1.5,
            ..Default::default()
        },
    ];
    for b in bad {
        assert!(b.build("sync").is_err(), "{b:?}");
    }
    let reg = avqc::Registry::builtin();
    assert!(reg.types().any(|t| t == "sync"));
    assert_eq!(avqc::Registry::builtin().on_by_default("sync"), Some(true));
}

// --- content: picture cuts matched with audio splices ----------------------------------------

/// Cut times of the synthetic programme (irregular, as edits are).
const CUTS: [f64; 8] = [1.32, 3.08, 4.92, 7.16, 9.04, 11.44, 13.2, 15.64];

/// Pictures at 25 fps: a new flat scene (level 60 or 160, alternating) from each cut on.
fn scenes(secs: f64) -> Vec<(f64, Media)> {
    let n = (secs * 25.0).round() as usize;
    (0..n)
        .map(|i| {
            let ts = i as f64 / 25.0;
            let scene = CUTS.iter().filter(|&&c| c <= ts + 1e-9).count();
            let y = if scene % 2 == 0 { 60 } else { 160 };
            let f = VideoFrame::filled(64, 36, PixelFormat::Gray8, t(ts), [y, 0, 0])
                .with_duration(Some(0.04));
            (ts, Media::Video(f))
        })
        .collect()
}

/// Continuous noise-like programme sound; with `notch`, a 5 ms silent splice `delay` after
/// each cut (an edit whose sound was cut with it, `delay` late).
fn programme(delay: f64, notch: bool) -> impl FnMut(f64) -> f32 {
    let mut state = 12345u32;
    move |ts: f64| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let v = ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.6;
        if notch && CUTS.iter().any(|&c| (ts - c - delay).abs() < 0.0025) {
            0.0
        } else {
            v
        }
    }
}

fn content_clip(delay: f64, notch: bool) -> Vec<Media> {
    mux(scenes(18.0), sound(18.0, 0.0, 1.0, programme(delay, notch)))
}

#[test]
fn edits_whose_sound_is_late_are_measured_from_the_content() {
    for delay in [0.200, -0.120] {
        let (defects, metrics) = run(SyncConfig::default(), content_clip(delay, true));
        let offsets: Vec<f64> = metrics
            .iter()
            .filter(|(n, _)| n == "av_offset_ms")
            .map(|(_, v)| *v)
            .collect();
        assert!(
            offsets.len() >= 4,
            "one estimate per matched cut: {offsets:?}"
        );
        let last = *offsets.last().unwrap();
        assert!((last - delay * 1000.0).abs() <= 5.0, "{delay}: {offsets:?}");
        let starts: Vec<_> = defects.iter().filter(|d| d.phase == Phase::Start).collect();
        assert_eq!(starts.len(), 1, "{delay}: {defects:?}");
        assert_eq!(source(starts[0]), "content");
        let end = defects.iter().find(|d| d.phase == Phase::End).unwrap();
        assert!((offset(end) - delay * 1000.0).abs() <= 5.0, "{end:?}");
    }
}

#[test]
fn edits_in_sync_raise_nothing() {
    let (defects, metrics) = run(SyncConfig::default(), content_clip(0.0, true));
    assert!(defects.is_empty(), "{defects:?}");
    let offsets: Vec<f64> = metrics
        .iter()
        .filter(|(n, _)| n == "av_offset_ms")
        .map(|(_, v)| *v)
        .collect();
    assert!(
        !offsets.is_empty() && offsets.iter().all(|o| o.abs() <= 5.0),
        "{offsets:?}"
    );
}

#[test]
fn cuts_without_splices_give_no_content_estimate() {
    // The sound runs on through the cuts (music under a montage): nothing to match.
    let (defects, metrics) = run(SyncConfig::default(), content_clip(0.2, false));
    assert!(defects.is_empty(), "{defects:?}");
    assert!(
        !metrics.iter().any(|(n, _)| n == "av_offset_ms"),
        "{metrics:?}"
    );
    // And with the content check off, late edits are not judged either.
    let off = SyncConfig {
        content: false,
        ..SyncConfig::default()
    };
    let (defects, _) = run(off, content_clip(0.2, true));
    assert!(defects.is_empty(), "{defects:?}");
}
