//! Unit tests of the built-in detectors on synthetic media (pure Rust, no FFmpeg): freeze,
//! black, silence and clipping. Decoder damage and config checks: tests/detectors_errors.rs.

mod common;

use avqc::detect::audio::{ClippingConfig, SilenceConfig};
use avqc::detect::video::{BlackConfig, FreezeConfig};
use avqc::{
    AudioFrame, ColorRange, Detector, DetectorConfig, Media, MediaTime, PixelFormat, VideoFrame,
};
use common::defects::{ends, near, run, starts, t};
use common::rng::Rng;

const FPS: f64 = 25.0;

/// A textured picture, shifted `shift` pixels to the right.
fn texture(x: usize, y: usize, shift: f64) -> f64 {
    let x = x as f64 - shift;
    let y = y as f64;
    128.0 + 50.0 * (x * 0.21).sin() * (y * 0.17).cos() + 30.0 * ((x + 2.0 * y) * 0.07).sin()
}

fn clamp8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

fn video(i: usize, f: impl FnMut(usize, usize, usize) -> u8) -> Media {
    Media::Video(
        VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t(i as f64 / FPS), f)
            .with_duration(Some(1.0 / FPS)),
    )
}

fn freeze() -> Box<dyn Detector> {
    FreezeConfig::default().build("freeze").unwrap()
}

#[test]
fn freeze_with_noise_is_detected_at_the_right_times() {
    // Moving picture for 2 s (frames 0..50), frozen on frame 49's picture for frames 50..90
    // with noise and a "GOP re-code" every 12 frames, then moving again.
    let mut rng = Rng(7);
    let media: Vec<Media> = (0..140)
        .map(|i| {
            let pos = if (50..90).contains(&i) { 49 } else { i };
            let recode = if (50..90).contains(&i) && i % 12 == 0 {
                1.5
            } else {
                0.0
            };
            video(i, |p, x, y| {
                if p > 0 {
                    return 128;
                }
                let n = rng.gauss() * 1.5 + recode * ((x * 7 + y * 3) % 3) as f64 - recode;
                clamp8(texture(x, y, pos as f64 * 3.0) + n)
            })
        })
        .collect();
    let ev = run(freeze(), media);
    let e = ends(&ev, "video_freeze");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 2.0, 0.001), "{:?}", e[0]);
    assert!(near(e[0].end.unwrap(), 3.6, 0.001), "{:?}", e[0]);
    let s = starts(&ev, "video_freeze");
    let latency = s[0].emitted_at.secs_since(s[0].start);
    assert!((0.3..=0.5).contains(&latency), "latency {latency}");
}

#[test]
fn freeze_with_grain_is_detected() {
    // Strong grain (sigma 6) on a frozen picture.
    let mut rng = Rng(3);
    let media: Vec<Media> = (0..100)
        .map(|i| {
            let pos = if (25..75).contains(&i) { 24 } else { i };
            video(i, |p, x, y| {
                if p > 0 {
                    return 128;
                }
                clamp8(texture(x, y, pos as f64 * 2.0) + rng.gauss() * 6.0)
            })
        })
        .collect();
    let ev = run(freeze(), media);
    let e = ends(&ev, "video_freeze");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.0, 0.041) && near(e[0].end.unwrap(), 3.0, 0.041));
}

#[test]
fn no_freeze_on_slowly_moving_gradient() {
    // A smooth gradient sliding a quarter pixel per frame.
    let media: Vec<Media> = (0..150)
        .map(|i| {
            video(i, |p, x, y| {
                if p > 0 {
                    return 128;
                }
                clamp8(20.0 + (x as f64 + y as f64 - i as f64 * 0.25) * 0.8)
            })
        })
        .collect();
    let ev = run(freeze(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn no_freeze_on_a_static_picture_with_a_small_moving_region() {
    // A still slide with a 24x8 ticker box moving 2 px per frame along the bottom.
    let media: Vec<Media> = (0..150)
        .map(|i| {
            let bx = (i * 2) % 136;
            video(i, |p, x, y| {
                if p > 0 {
                    return 128;
                }
                if (84..92).contains(&y) && (bx..bx + 24).contains(&x) {
                    230
                } else {
                    clamp8(texture(x, y, 0.0))
                }
            })
        })
        .collect();
    let ev = run(freeze(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn freeze_open_at_the_end_is_closed_by_finish() {
    let media: Vec<Media> = (0..50)
        .map(|i| {
            video(i, |p, x, y| {
                if p > 0 {
                    128
                } else {
                    clamp8(texture(x, y, i.min(20) as f64))
                }
            })
        })
        .collect();
    let ev = run(freeze(), media);
    let e = ends(&ev, "video_freeze");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 21.0 / FPS, 0.001));
    assert!(near(e[0].end.unwrap(), 2.0, 0.001));
}

fn black() -> Box<dyn Detector> {
    BlackConfig::default().build("black").unwrap()
}

#[test]
fn black_with_a_small_logo_is_detected() {
    let mut rng = Rng(11);
    let media: Vec<Media> = (0..100)
        .map(|i| {
            let is_black = (25..60).contains(&i);
            video(i, |p, x, y| {
                let logo = (8..28).contains(&x) && (6..18).contains(&y);
                match (p, is_black) {
                    (0, true) if logo => 200,
                    (0, true) => 16 + (rng.next() % 2) as u8,
                    (0, false) => clamp8(texture(x, y, i as f64)),
                    _ => 128,
                }
            })
        })
        .collect();
    let ev = run(black(), media);
    let e = ends(&ev, "video_black");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.0, 0.001) && near(e[0].end.unwrap(), 2.4, 0.001));
}

#[test]
fn black_respects_full_range() {
    // Luma 0 in full range is black; luma 16 in full range is a dark grey, not black.
    let frames = |v: u8| -> Vec<Media> {
        (0..20)
            .map(|i| {
                Media::Video(
                    VideoFrame::filled(
                        64,
                        36,
                        PixelFormat::Yuv420p,
                        t(i as f64 / FPS),
                        [v, 128, 128],
                    )
                    .with_range(ColorRange::Full)
                    .with_duration(Some(1.0 / FPS)),
                )
            })
            .collect()
    };
    assert_eq!(ends(&run(black(), frames(0)), "video_black").len(), 1);
    assert!(run(black(), frames(30)).is_empty());
}

#[test]
fn dark_textured_picture_is_not_black() {
    // A night scene: dark, noisy, with detail just above black and a few lights.
    let mut rng = Rng(5);
    let media: Vec<Media> = (0..100)
        .map(|i| {
            video(i, |p, x, y| {
                if p > 0 {
                    return 128;
                }
                if (x / 20 + y / 20) % 7 == 0 && x % 20 < 3 && y % 20 < 3 {
                    return 220; // lights
                }
                let v = 18.0
                    + 4.0 * ((x as f64 * 0.3).sin() + (y as f64 * 0.2).cos()).abs()
                    + rng.gauss() * 2.0;
                clamp8(v)
            })
        })
        .collect();
    let ev = run(black(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn short_fade_through_black_is_not_black() {
    // 0.08 s fully black inside a fast fade (about 0.3 s).
    let levels = [1.0, 0.66, 0.33, 0.0, 0.0, 0.33, 0.66, 1.0];
    let media: Vec<Media> = (0..60)
        .map(|i| {
            let g = if (20..28).contains(&i) {
                levels[i - 20]
            } else {
                1.0
            };
            video(i, |p, x, y| {
                if p > 0 {
                    128
                } else {
                    clamp8(16.0 + (texture(x, y, 0.0) - 16.0) * g)
                }
            })
        })
        .collect();
    let ev = run(black(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

const RATE: u32 = 48_000;

/// Stereo audio in 1024-sample frames from a per-sample function of the time in seconds.
fn audio(secs: f64, mut f: impl FnMut(f64) -> f32) -> Vec<Media> {
    let total = (secs * RATE as f64) as usize;
    let mut media = Vec::new();
    let mut i = 0;
    while i < total {
        let n = 1024.min(total - i);
        let mono: Vec<f32> = (i..i + n).map(|k| f(k as f64 / RATE as f64)).collect();
        let mut planar = mono.clone();
        planar.extend_from_slice(&mono);
        let time = MediaTime::new(i as i64, avqc::Rational::new(1, RATE as i32));
        media.push(Media::Audio(
            AudioFrame::new(RATE, 2, time, planar).unwrap(),
        ));
        i += n;
    }
    media
}

fn sine(t: f64, hz: f64, amp: f64) -> f32 {
    (amp * (2.0 * std::f64::consts::PI * hz * t).sin()) as f32
}

fn silence() -> Box<dyn Detector> {
    SilenceConfig::default().build("silence").unwrap()
}

#[test]
fn noise_floor_at_minus_70_dbfs_is_silence() {
    let mut rng = Rng(1);
    let sigma = 10f64.powf(-70.0 / 20.0);
    let media = audio(4.0, |s| {
        if (1.5..3.0).contains(&s) {
            (rng.gauss() * sigma) as f32
        } else {
            sine(s, 440.0, 0.3)
        }
    });
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_silence");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.5, 0.005), "{:?}", e[0]);
    assert!(near(e[0].end.unwrap(), 3.0, 0.005), "{:?}", e[0]);
    let s = starts(&ev, "audio_silence");
    let latency = s[0].emitted_at.secs_since(s[0].start);
    assert!((0.29..=0.35).contains(&latency), "latency {latency}");
    assert!(ends(&ev, "audio_dropout").is_empty());
}

#[test]
fn short_zero_gap_in_a_sine_is_a_dropout() {
    let media = audio(2.0, |s| {
        if (1.0..1.03).contains(&s) {
            0.0
        } else {
            sine(s, 1000.0, 0.5)
        }
    });
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_dropout");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.0, 0.005), "{:?}", e[0]);
    assert!(near(e[0].end.unwrap(), 1.03, 0.005), "{:?}", e[0]);
    let s = starts(&ev, "audio_dropout");
    assert!(near(s[0].emitted_at, 1.03, 0.005));
    assert!(ends(&ev, "audio_silence").is_empty());
}

#[test]
fn quiet_sound_and_a_gap_too_short_are_not_reported() {
    // -40 dBFS sine with a 4 ms gap: quiet but present sound; a gap under `dropout_min`
    // (5 ms: one 2.5 ms window under the threshold).
    let media = audio(2.0, |s| {
        if (1.0..1.004).contains(&s) {
            0.0
        } else {
            sine(s, 200.0, 0.014)
        }
    });
    let ev = run(silence(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn silence_at_the_end_is_closed_by_finish() {
    let media = audio(2.0, |s| if s < 1.0 { sine(s, 440.0, 0.3) } else { 0.0 });
    let ev = run(silence(), media);
    let e = ends(&ev, "audio_silence");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].end.unwrap(), 2.0, 0.005));
}

fn clipping() -> Box<dyn Detector> {
    ClippingConfig::default().build("clipping").unwrap()
}

#[test]
fn clipped_passage_is_detected() {
    // A 440 Hz sine boosted to 1.6 and clipped at ±1.0 from 1.0 s to 2.0 s.
    let media = audio(3.0, |s| {
        if (1.0..2.0).contains(&s) {
            sine(s, 440.0, 1.6).clamp(-1.0, 1.0)
        } else {
            sine(s, 440.0, 0.5)
        }
    });
    let ev = run(clipping(), media);
    let e = ends(&ev, "audio_clipping");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.0, 0.005), "{:?}", e[0]);
    assert!(near(e[0].end.unwrap(), 2.0, 0.005), "{:?}", e[0]);
    let s = starts(&ev, "audio_clipping");
    assert!(s[0].emitted_at.secs_since(s[0].start) < 0.05);
}

#[test]
fn a_single_loud_peak_is_not_clipping() {
    // A loud clean sine whose one cycle peaks at 0.99.
    let media = audio(2.0, |s| {
        let amp = if (1.0..1.0 + 1.0 / 440.0).contains(&s) {
            0.99
        } else {
            0.7
        };
        sine(s, 440.0, amp)
    });
    let ev = run(clipping(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn loud_clean_sines_are_not_clipping() {
    // Smooth peaks at 0.99 stay above the level for many samples at 100 Hz (~50) and a few at
    // 1 kHz (~5), but their tops are rounded, not flat.
    for hz in [100.0, 1000.0] {
        let media = audio(2.0, |s| sine(s, hz, 0.99));
        let ev = run(clipping(), media);
        assert!(ev.is_empty(), "{hz} Hz: {ev:?}");
    }
}

#[test]
fn clipped_tops_under_full_scale_with_ripple_are_detected() {
    // As decoded after a lossy codec: a 440 Hz sine boosted 2x and hard-clipped at ±1.0 from
    // 1.0 s to 2.0 s, the whole scaled by 0.95, with ±0.01 ripple at 15 kHz; clean before and
    // after at 0.95 peak.
    let media = audio(3.0, |s| {
        let x = if (1.0..2.0).contains(&s) {
            sine(s, 440.0, 2.0).clamp(-1.0, 1.0)
        } else {
            sine(s, 440.0, 1.0)
        };
        0.95 * x + sine(s, 15_000.0, 0.01)
    });
    let ev = run(clipping(), media);
    let e = ends(&ev, "audio_clipping");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.0, 0.01), "{:?}", e[0]);
    assert!(near(e[0].end.unwrap(), 2.0, 0.01), "{:?}", e[0]);
}

#[test]
fn clipping_shape_settings_have_documented_defaults_and_are_checked() {
    let k: ClippingConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(k.base_level, 0.7);
    assert_eq!(k.min_flat_share, 0.6);
    for bad in [
        r#"{"base_level":0.95}"#,
        r#"{"base_level":-0.1}"#,
        r#"{"min_flat_share":1.5}"#,
    ] {
        let c: ClippingConfig = serde_json::from_str(bad).unwrap();
        assert!(c.build("clipping").is_err(), "{bad}");
    }
}
