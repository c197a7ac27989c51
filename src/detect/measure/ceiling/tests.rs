//! Tests of the pile-up tracker.

use super::*;

fn settings() -> PileSettings {
    PileSettings {
        band: 10f32.powf(-0.5 / 20.0),
        floor: 0.7,
        memory: 200,
        span: 10,
        min_pile: 5,
        min_flatness: 0.5,
        chain_gap: 36_000,
        burst: 960,
        rise: 50,
        full: 0.93,
        min_run: 3,
        per_48k: 1.0,
    }
}

/// Feeds `f(t)` for `secs` at 48 kHz in 10 ms windows; the piles found.
fn run(secs: f64, f: impl Fn(f64) -> f32) -> Vec<Pile> {
    let s = settings();
    let mut p = Piles::default();
    p.reset(&s);
    let mut out = Vec::new();
    let n = (secs * 48_000.0) as i64;
    for i in 0..n {
        p.push(f(i as f64 / 48_000.0), i, &s);
        if (i + 1) % 480 == 0 {
            out.extend(p.close_window(&s).filter(|p| p.confirmed));
        }
    }
    out
}

fn sine(t: f64, hz: f64, amp: f64) -> f32 {
    (amp * (2.0 * std::f64::consts::PI * hz * t).sin()) as f32
}

#[test]
fn a_sine_is_rounded_and_a_clipped_one_flat() {
    let half: Vec<f32> = (0..240)
        .map(|i| sine(i as f64 / 48_000.0, 100.0, 1.0).abs())
        .collect();
    let f = Piles::flatness(&half, 1.0).0;
    assert!((f - 0.43).abs() < 0.02, "{f}");
    let clipped: Vec<f32> = half.iter().map(|&a| (2.0 * a).min(0.9)).collect();
    assert!(Piles::flatness(&clipped, 0.9).0 > 0.75);
}

/// `measure` of every top of 20 ms of a 1 kHz sine of amplitude `amp` cut at `rail`.
fn tops_of(amp: f64, rail: f32, measure: impl Fn(&Top) -> f32) -> Vec<f32> {
    let s = settings();
    let mut p = Piles::default();
    p.reset(&s);
    for i in 0..960 {
        let x = sine(i as f64 / 48_000.0, 1000.0, amp).clamp(-rail, rail);
        p.push(x, i, &s);
    }
    p.close_window(&s);
    p.recent.iter().map(measure).collect()
}

/// The knees of the tops of 20 ms of a 1 kHz sine of amplitude `amp` cut at `rail`.
fn knees(amp: f64, rail: f32) -> Vec<f32> {
    tops_of(amp, rail, |t| t.knee)
}

#[test]
fn a_rail_cuts_a_knee_into_a_top_a_smooth_top_bends_gently() {
    let smooth = knees(0.97, 1.0);
    assert!(smooth.len() >= 30, "{smooth:?}");
    assert!(smooth.iter().all(|&k| k < 0.03), "{smooth:?}");
    let cut = knees(1.3, 0.97);
    assert!(cut.len() >= 30, "{cut:?}");
    assert!(cut.iter().all(|&k| k > 0.07), "{cut:?}");
}

#[test]
fn a_cut_top_bends_more_at_its_shoulders_than_at_its_apex_a_smooth_one_does_not() {
    let shoulders = |amp: f64, rail: f32| tops_of(amp, rail, |t| t.shoulder);
    let smooth = shoulders(0.97, 1.0);
    assert!(smooth.len() >= 30, "{smooth:?}");
    assert!(smooth.iter().all(|&k| k <= 0.0), "{smooth:?}");
    let cut = shoulders(1.3, 0.97);
    assert!(cut.len() >= 30, "{cut:?}");
    assert!(cut.iter().all(|&k| k > 0.07), "{cut:?}");
}

#[test]
fn steady_loud_tones_do_not_pile_up_but_clipped_ones_do() {
    for hz in [100.0, 440.0, 1000.0] {
        assert!(run(1.0, |t| sine(t, hz, 0.99)).is_empty(), "{hz} Hz");
        let clipped = run(1.0, |t| sine(t, hz, 1.6).clamp(-0.89, 0.89));
        assert!(clipped.len() > 50, "{hz} Hz clipped: {}", clipped.len());
    }
}

#[test]
fn a_rising_loudest_level_is_not_a_ceiling_until_it_holds() {
    // Broad-topped waves getting 0.2 dB louder every 10 ms for 0.5 s, then steady: each
    // window of the rise sets a new loudest level, piling its peaks under it.
    let gain = |t: f64| 10f64.powf(-(0.5 - t.min(0.5)) * 20.0 / 20.0);
    let mut at = Vec::new();
    let s = settings();
    let mut p = Piles::default();
    p.reset(&s);
    for i in 0..48_000i64 {
        let t = i as f64 / 48_000.0;
        let x = sine(t, 200.0, 1.6).clamp(-0.95, 0.95) * gain(t) as f32;
        p.push(x, i, &s);
        if (i + 1) % 480 == 0 && p.close_window(&s).is_some_and(|p| p.confirmed) {
            at.push(t);
        }
    }
    assert!(!at.is_empty(), "the steady part piles up");
    assert!(at[0] >= 0.5, "confirmed during the rise at {}", at[0]);
}

#[test]
fn peaks_under_a_lower_ceiling_do_not_pile_at_the_current_one() {
    // Broad-topped waves (100 Hz: one period a window) getting 0.6 dB louder every 10 ms,
    // then `hold` windows at the loudest level, then nothing: an attack rising to its peak.
    // Each window of the rise piles its two peaks under its own new ceiling; once the level
    // holds, only the peaks within the band of that ceiling are at it.
    let attack = |hold: f64| {
        move |t: f64| {
            let w = (t / 0.01).floor();
            let db = if w <= 7.0 { -4.2 + 0.6 * w } else { 0.0 };
            let gain = if w < 8.0 + hold {
                10f64.powf(db / 20.0)
            } else {
                0.0
            };
            sine(t, 100.0, 1.6).clamp(-0.99, 0.99) * gain as f32
        }
    };
    assert!(run(0.3, attack(1.0)).is_empty(), "one window at the top");
    assert!(
        !run(0.3, attack(3.0)).is_empty(),
        "a level that holds is a ceiling"
    );
}

#[test]
fn dense_loud_sound_with_a_few_peaks_near_its_loudest_is_not_a_pile() {
    // A bass note under loud treble: hundreds of half-waves over half the loudest level in
    // 0.1 s, a few of them (where the bass and the treble partials peak together) within
    // 0.5 dB of it, rounded like a sine's; the same sound clipped piles up.
    for bass in [61.0, 77.0, 94.0, 131.0] {
        let dense = |t: f64| {
            sine(t, bass, 0.2)
                + sine(t, 1733.0, 0.35)
                + sine(t + 0.0007, 2917.0, 0.2)
                + sine(t + 0.0003, 4409.0, 0.1)
        };
        assert!(run(3.0, dense).is_empty(), "{bass} Hz");
        let clipped = run(3.0, |t| (1.6 * dense(t)).clamp(-0.89, 0.89));
        assert!(clipped.len() > 250, "{bass} Hz clipped: {}", clipped.len());
    }
}

#[test]
fn flat_tops_just_under_the_band_go_on_judged_by_polarity() {
    // A ceiling of 1.0 set by one sample in each of two windows (one alone, 1.4 dB over the
    // rest, would be taken for an overshoot: see `level`), then 200 Hz waves peaking at 0.85
    // (1.4 dB under): flat positive tops (a sine cut at 0.85, flatness 0.73) and sharp
    // negative ones (a triangle, 0.2), flat enough together only when each polarity is judged
    // alone.
    let s = settings();
    let mut p = Piles::default();
    p.reset(&s);
    let mut on = 0;
    for i in 0..48_000i64 {
        let t = i as f64 / 48_000.0;
        let u = (t * 200.0).fract();
        let x = if i < 960 {
            f32::from(i == 10 || i == 490)
        } else if u < 0.5 {
            (1.2 * (2.0 * std::f64::consts::PI * u).sin()).min(0.85) as f32
        } else {
            -0.85 * (1.0 - (4.0 * u - 3.0).abs()) as f32
        };
        p.push(x, i, &s);
        if (i + 1) % 480 == 0 {
            let pile = p.close_window(&s);
            on += usize::from(i > 960 && pile.is_some_and(|p| p.goes_on && !p.confirmed));
        }
    }
    assert!(on >= 90, "{on} windows go on");
}

#[test]
fn quiet_ceilings_are_not_looked_at() {
    assert!(run(1.0, |t| sine(t, 440.0, 1.6).clamp(-0.5, 0.5)).is_empty());
}

#[test]
fn one_window_overshooting_the_rail_by_less_than_the_band_is_not_the_ceiling() {
    // Flat tops of a 200 Hz wave cut at 0.89, a codec's ripple leaving every tenth at the rail
    // and the others 0.3 dB under it; one sample `over` times the rail in the first window (a
    // codec's overshoot where the clipping starts). The tops pile under the rail, not under
    // the overshoot, when it is within the band (0.5 dB) of the rail, or within a band-limited
    // step's overshoot (1.43 dB, see `level`) once a later window stayed under it; a peak
    // further over the rail stays the ceiling.
    let clipped = |over: f32| {
        move |t: f64| {
            if (t * 48_000.0).round() as i64 == 100 {
                return 0.89 * over;
            }
            let k = (t * 400.0).floor() as i64;
            let top = if k % 10 == 0 { 1.0 } else { 0.965 };
            sine(t, 200.0, 1.6).clamp(-0.89, 0.89) * top
        }
    };
    let piles = run(1.5, clipped(1.05));
    assert!(piles.len() > 100, "overshoot of 0.4 dB: {}", piles.len());
    let piles = run(1.5, clipped(1.12));
    assert!(piles.len() > 100, "overshoot of 1 dB: {}", piles.len());
    assert!(run(1.5, clipped(1.25)).is_empty(), "a peak 1.9 dB over");
}

#[test]
fn a_passage_whose_first_window_overshoots_starts_there_not_at_loud_peaks_before() {
    // Three single periods of a 200 Hz sine 0.1 dB under the rail of 0.89, 0.1 s apart (loud
    // but not clipped), then from 0.7 s flat tops as in the test above, one sample 0.4 dB over
    // the rail in its first window: the ceiling is the rail, but the passage starts at the
    // first top pressed to the loudest level (the overshoot), not at the sine's peaks.
    let s = settings();
    let mut p = Piles::default();
    p.reset(&s);
    let mut first = None;
    for i in 0..72_000i64 {
        let t = i as f64 / 48_000.0;
        let x = if i == 33_610 {
            0.89 * 1.05
        } else if t >= 0.7 {
            let top = if (t * 400.0).floor() as i64 % 10 == 0 {
                1.0
            } else {
                0.965
            };
            sine(t, 200.0, 1.6).clamp(-0.89, 0.89) * top
        } else if (0.3..0.6).contains(&t) && (t * 10.0).fract() < 0.05 {
            sine(t, 200.0, 0.89 * 0.9886)
        } else {
            0.0
        };
        p.push(x, i, &s);
        if (i + 1) % 480 == 0 {
            if let Some(pile) = p.close_window(&s).filter(|p| p.confirmed) {
                first.get_or_insert(pile.first);
            }
        }
    }
    let first = first.expect("the passage is confirmed");
    assert!((33_600..33_700).contains(&first), "starts at {first}");
}

#[test]
fn a_sparse_pile_of_rounded_tops_holding_runs_at_full_scale_is_a_ceiling() {
    // After quiet, a 100 Hz wave whose positive half-waves are sine lobes (flatness 0.43)
    // peaking 0 to 0.44 dB under 0.99, no two within 0.1 dB in five, its negative ones 4 dB
    // under: one polarity piles sparsely, neither flat nor pressed together. Each top holds a
    // run of samples at full scale (0.93): a ceiling. The same wave 1 dB lower is not.
    let wave = |gain: f64| {
        move |t: f64| {
            if t < 0.5 {
                return sine(t, 100.0, 0.1);
            }
            let k = (t * 100.0) as usize;
            let db = [0.0, -0.22, -0.44, -0.11, -0.33][k % 5];
            let top = 0.99 * gain * 10f64.powf(db / 20.0);
            let s = sine(t, 100.0, 1.0) as f64;
            (if s < 0.0 { 0.62 * top * s } else { top * s }) as f32
        }
    };
    assert!(!run(0.8, wave(1.0)).is_empty());
    assert!(run(0.8, wave(0.89)).is_empty());
}
