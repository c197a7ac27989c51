//! The `sync` detector's lip-sync check on a synthetic talking head (pure Rust, no FFmpeg):
//! a dark "mouth" whose height follows the speech level, two shots cut every few seconds while
//! the speech runs on.

mod common;

use avqc::detect::SyncConfig;
use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Event, Media, MediaTime, Phase, PixelFormat, VideoFrame};

const RATE: u32 = 48_000;
const BLOCK: usize = 1024;
const SECS: f64 = 24.0;
/// Shot changes (the speech runs on through them).
const CUTS: [f64; 4] = [4.6, 9.8, 14.2, 19.4];

fn t(s: f64) -> MediaTime {
    MediaTime::from_secs_f64(s)
}

/// A deterministic syllable track: (start, end, amplitude), 120–300 ms syllables, 40–400 ms
/// gaps.
fn syllables() -> Vec<(f64, f64, f64)> {
    let mut r = common::rng::Rng(7);
    let mut out = Vec::new();
    let mut at = 0.3;
    while at < SECS + 2.0 {
        let len = 0.12 + 0.18 * r.uniform();
        let amp = 0.15 + 0.45 * r.uniform();
        out.push((at, at + len, amp));
        at += len + 0.04 + 0.36 * r.uniform();
    }
    out
}

/// The speech envelope at `ts` (smooth rise and fall over each syllable).
fn envelope(syl: &[(f64, f64, f64)], ts: f64) -> f64 {
    syl.iter()
        .find(|(a, b, _)| ts >= *a && ts < *b)
        .map_or(0.0, |&(a, b, amp)| {
            amp * (std::f64::consts::PI * (ts - a) / (b - a)).sin()
        })
}

/// Pictures at 25 fps: a textured background and a face-grey square with a dark mouth whose
/// height follows the speech level at the picture's time; shot 2 is moved and scaled.
fn pictures(syl: &[(f64, f64, f64)], mouth_moves: bool) -> Vec<(f64, Media)> {
    let n = (SECS * 25.0).round() as usize;
    let mut noise = common::rng::Rng(3);
    (0..n)
        .map(|i| {
            let ts = i as f64 / 25.0;
            let shot = CUTS.iter().filter(|&&c| c <= ts + 1e-9).count() % 2;
            let level = envelope(syl, ts);
            let db = 20.0 * (level.max(1e-6) / 0.7).log10();
            let open = if mouth_moves {
                ((db + 42.0) / 30.0).clamp(0.0, 1.0)
            } else {
                0.3
            };
            let (cx, cy, s) = if shot == 0 {
                (80.0, 70.0, 1.0)
            } else {
                (100.0, 76.0, 0.6)
            };
            let half_w = 18.0 * s;
            let half_h = (2.0 + 12.0 * open) * s;
            let jitter: Vec<u8> = (0..160 * 120)
                .map(|_| (noise.uniform() * 4.0) as u8)
                .collect();
            let f = VideoFrame::from_fn(160, 120, PixelFormat::Gray8, t(ts), |_, x, y| {
                let (fx, fy) = (x as f64, y as f64);
                let v = if (fx - cx).abs() < half_w && (fy - cy).abs() < half_h {
                    30
                } else if (fx - cx).abs() < 40.0 * s && (fy - cy + 20.0 * s).abs() < 50.0 * s {
                    165
                } else {
                    (60 + ((x * 7 + y * 13 + shot * 50) % 90)) as u8
                };
                v.saturating_add(jitter[y * 160 + x])
            })
            .with_duration(Some(0.04));
            (ts, Media::Video(f))
        })
        .collect()
}

/// Stereo speech-like sound (noise under the syllable envelope), `delay` seconds late.
fn sound(syl: &[(f64, f64, f64)], delay: f64) -> Vec<(f64, Media)> {
    let total = (SECS * RATE as f64) as usize;
    let mut r = common::rng::Rng(11);
    let mut out = Vec::new();
    let mut i = 0;
    while i < total {
        let n = BLOCK.min(total - i);
        let ts = i as f64 / RATE as f64;
        let mut s = vec![0f32; 2 * n];
        for k in 0..n {
            let at = (i + k) as f64 / RATE as f64;
            let v = envelope(syl, at - delay) * (r.uniform() - 0.5) * 2.0
                + 0.0005 * (r.uniform() - 0.5);
            s[k] = v as f32;
            s[n + k] = v as f32;
        }
        let stamp = MediaTime::new(i as i64, avqc::Rational::new(1, RATE as i32));
        let a = AudioFrame::new(RATE, 2, stamp, s).unwrap().with_stream(1);
        out.push((ts, Media::Audio(a)));
        i += n;
    }
    out
}

fn clip(delay: f64, mouth_moves: bool) -> Vec<Media> {
    let syl = syllables();
    let mut a = pictures(&syl, mouth_moves);
    a.extend(sound(&syl, delay));
    a.sort_by(|x, y| x.0.total_cmp(&y.0));
    a.into_iter().map(|(_, m)| m).collect()
}

fn run(media: Vec<Media>) -> (Vec<DefectEvent>, Vec<(String, f64)>) {
    let events = common::run_all(SyncConfig::default().build("sync").unwrap(), media);
    let mut defects = Vec::new();
    let mut metrics = Vec::new();
    for e in events {
        match e {
            Event::Defect(d) => defects.push(d),
            Event::Metric(m) => metrics.push((m.name.to_string(), m.value)),
            _ => {}
        }
    }
    (defects, metrics)
}

fn lip_offsets(metrics: &[(String, f64)]) -> Vec<f64> {
    metrics
        .iter()
        .filter(|(n, _)| n == "lipsync_offset_ms")
        .map(|(_, v)| *v)
        .collect()
}

#[test]
fn a_talking_head_with_late_or_early_sound_is_measured_from_the_mouth() {
    for delay in [0.200, -0.120, 0.300] {
        let (defects, metrics) = run(clip(delay, true));
        let offsets = lip_offsets(&metrics);
        assert!(offsets.len() >= 2, "{delay}: {offsets:?}");
        for o in &offsets {
            assert!((o - delay * 1000.0).abs() <= 20.0, "{delay}: {offsets:?}");
        }
        let starts: Vec<_> = defects.iter().filter(|d| d.phase == Phase::Start).collect();
        assert_eq!(starts.len(), 1, "{delay}: {defects:?}");
        assert_eq!(starts[0].details["source"], "lipsync", "{defects:?}");
        let end = defects.iter().find(|d| d.phase == Phase::End).unwrap();
        let off = end.details["offset_ms"].as_f64().unwrap();
        assert!((off - delay * 1000.0).abs() <= 20.0, "{end:?}");
    }
}

#[test]
fn an_in_sync_talking_head_raises_nothing() {
    // Nor does the content check match the shot changes with the gaps of the speech.
    let (defects, metrics) = run(clip(0.0, true));
    assert!(defects.is_empty(), "{defects:?}");
    let offsets = lip_offsets(&metrics);
    assert!(!offsets.is_empty(), "{metrics:?}");
    assert!(offsets.iter().all(|o| o.abs() <= 20.0), "{offsets:?}");
}

#[test]
fn speech_over_pictures_that_do_not_follow_it_gives_no_estimate() {
    let (defects, metrics) = run(clip(0.2, false));
    assert!(defects.is_empty(), "{defects:?}");
    assert!(lip_offsets(&metrics).is_empty(), "{metrics:?}");
}
