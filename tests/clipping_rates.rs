//! The `clipping` detector on clipped sound at sample rates and after codecs it was not tuned
//! on: 32 kHz, band-limited under 16 kHz, and a second lossy generation that renders one top
//! of a passage (its first, where the sound steps up to the rail) further over the rail than
//! one generation does.

mod common;

use std::f64::consts::PI;

use avqc::event::DefectEvent;
use avqc::{AudioFrame, DetectorConfig, Media, MediaTime, Rational};

/// The sample rate of these tests (a 32 kHz AAC or MPEG-1 Layer II programme).
const RATE: u32 = 32_000;

/// `x` on both channels of stereo frames of 1024 samples at [`RATE`].
fn frames(x: &[f32]) -> Vec<Media> {
    x.chunks(1024)
        .enumerate()
        .map(|(k, c)| {
            let mut planar = c.to_vec();
            planar.extend_from_slice(c);
            let time = MediaTime::new(k as i64 * 1024, Rational::new(1, RATE as i32));
            Media::Audio(AudioFrame::new(RATE, 2, time, planar).unwrap())
        })
        .collect()
}

/// The `audio_clipping` intervals the default `clipping` detector ends on `x`.
fn clipping_ends(x: &[f32]) -> Vec<DefectEvent> {
    let det = avqc::detect::audio::ClippingConfig::default()
        .build("clipping")
        .unwrap();
    common::defect_ends(common::run_all(det, frames(x)))
}

/// A codec's band-limiting at 32 kHz: a 3-sample average (its first null at 10.7 kHz).
fn band_limit(x: &[f64]) -> Vec<f32> {
    (0..x.len())
        .map(|i| {
            let at = |k: isize| x[(i as isize + k).clamp(0, x.len() as isize - 1) as usize];
            ((at(-1) + at(0) + at(1)) / 3.0) as f32
        })
        .collect()
}

#[test]
fn a_passage_whose_first_top_overshoots_the_rail_by_most_of_a_db_is_found_from_its_start() {
    // A quiet 150 Hz tone until 2 s, then 1.5 s of it 3.5 dB over a rail at 0.85 (-1.4 dBFS:
    // no run at full scale), hard-clipped, its first top rendered `over` the rail (a second
    // generation's ringing where the sound steps up to it), band-limited, then silence. One
    // generation's overshoot stays within the pile band (0.5 dB) and is taken for an
    // overshoot; a second's reaches 0.6 to 1.4 dB, and the ceiling it set kept the rail's
    // tops out of the band for the whole `ceiling_memory`: nothing was found.
    for over_db in [0.3, 0.8, 1.2] {
        let rail = 0.85;
        let over = rail * 10f64.powf(over_db / 20.0);
        let x: Vec<f64> = (0..4 * RATE as usize)
            .map(|i| {
                let t = i as f64 / RATE as f64;
                let s = (2.0 * PI * 150.0 * t).sin();
                match t {
                    t if t < 2.0 => 0.1 * s,
                    t if t < 3.5 => {
                        let top = if t < 2.0 + 1.0 / 300.0 { over } else { rail };
                        (1.5 * s).clamp(-rail, top)
                    }
                    _ => 0.0,
                }
            })
            .collect();
        let e = clipping_ends(&band_limit(&x));
        assert_eq!(e.len(), 1, "{over_db} dB: {e:#?}");
        let (s, end) = (e[0].start.as_secs_f64(), e[0].end.unwrap().as_secs_f64());
        assert!((s - 2.0).abs() <= 0.05, "{over_db} dB: start {s}");
        assert!((end - 3.5).abs() <= 0.05, "{over_db} dB: end {end}");
    }
}

/// Quiet (a 200 Hz hum at 0.005) for 1 s; from 1.0 s, four pulses 12 ms apart alternating in
/// sign over a 200 Hz voice at 0.3: Gaussians `width` seconds wide peaking at `gain`, cut at
/// 1.0 and scaled to `rail`; quiet again; from 1.45 s a loud 200 Hz voice hard-clipped at 0.98
/// for 0.4 s (flat tops); quiet to 2.5 s.
fn shout(gain: f64, width: f64, rail: f64) -> Vec<f64> {
    (0..(2.5 * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let voice = (2.0 * PI * 200.0 * t).sin();
            if (1.0..1.05).contains(&t) {
                let pulse = (0..4)
                    .map(|k| {
                        let d = (t - 1.002 - 0.012 * k as f64) / width;
                        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                        sign * (gain * (-d * d).exp()).min(1.0) * rail
                    })
                    .sum::<f64>();
                pulse + 0.3 * voice * (1.0 - pulse.abs())
            } else if (1.45..1.85).contains(&t) {
                (2.0 * voice).clamp(-0.98, 0.98)
            } else {
                0.005 * voice
            }
        })
        .collect()
}

/// The start of the one passage reported on `x`.
fn start(x: &[f32]) -> f64 {
    let e = clipping_ends(x);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].start.as_secs_f64()
}

#[test]
fn smooth_loud_tops_at_32_khz_do_not_start_a_passage_but_tops_cut_at_the_rail_do() {
    // A knee is a bend per sample. A smooth top (a Gaussian 0.16 ms wide peaking at 0.985,
    // 3 samples over 0.93) bends 2.25 times as much per sample at 32 kHz as at 48 kHz: 0.053
    // to 0.062 of its peak, as much as a corner the rail cut at 48 kHz; a corner the rail cut
    // (0.17 ms wide, boosted to 1.15) 1.5 times as much. Measured per 48 kHz sample (0.035 to
    // 0.041, and 0.07 to 0.10), the smooth tops bend gently and do not start the passage the
    // loud syllable confirms, while tops cut at the rail do.
    let f32s = |x: Vec<f64>| x.into_iter().map(|v| v as f32).collect::<Vec<_>>();
    let s = start(&f32s(shout(0.985, 0.16e-3, 1.0)));
    assert!((s - 1.45).abs() < 0.01, "smooth: {s}");
    let s = start(&f32s(shout(1.15, 0.17e-3, 0.97)));
    assert!((s - 1.0).abs() < 0.01, "cut: {s}");
}
