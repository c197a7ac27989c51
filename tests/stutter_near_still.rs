//! `stutter` on a 24 → 25 fps conversion carried through a near-still, on synthetic frames
//! (pure Rust, no FFmpeg): where the steps are too small to tell a repeat from motion (a small
//! patch flickering by less than `min_motion` over a still texture), pictures repeat by chance,
//! at no place of the conversion's rhythm. Those repeats are unknowable: the rhythm learned
//! before runs on through them, so the conversion's next repeat in motion is no stutter, while
//! a picture held off its rhythm after the still still is.

mod common;

use avqc::Media;

const FPS: f64 = 25.0;
/// Film pictures move `PAN` pixels each.
const PAN: f64 = 6.0;
/// First frame of the near-still, and the first after it.
const STILL: (usize, usize) = (70, 110);
/// Holds of the near-still's pictures from its first frame (the rest are shown once): chance
/// repeats at no place of the rhythm, as a near-still scene of a real 24 → 25 programme
/// showed (held 6, 2, 7 and 7 frames there). Before the fix they moved the rhythm off its
/// phase, and the conversion's next repeats (6 s, 7 s) were reported.
const STILL_HOLDS: [usize; 10] = [2, 1, 6, 1, 2, 1, 7, 1, 3, 7];
/// The patch of the near-still changes the worst block by this much (under `min_motion`, 10;
/// over `tolerance`, 6, when the rest of the picture stands).
const FLICKER: f64 = 8.0;

/// `(start, end, repeated_frames)` of every stutter over `frames`.
fn stutters(frames: &[Media]) -> Vec<(f64, f64, u64)> {
    common::pictures::stutter_spans(frames.iter().cloned())
}

/// The film picture shown at 25 fps frame `j` of a 24 → 25 conversion (one repeat a second).
fn film(j: usize) -> usize {
    j * 24 / 25
}

/// `(shift, flicker)` of `n` frames: the conversion of a pan, stopped for the near-still
/// (where a patch flickers by [`FLICKER`], its pictures held [`STILL_HOLDS`]), then panning on
/// in the conversion's rhythm.
fn programme(n: usize) -> Vec<(f64, f64)> {
    let still_shift = film(STILL.0) as f64 * PAN;
    let mut still = Vec::new();
    for (k, &h) in STILL_HOLDS.iter().enumerate() {
        still.extend(std::iter::repeat_n(k, h));
    }
    (0..n)
        .map(|j| {
            if j < STILL.0 {
                (film(j) as f64 * PAN, 0.0)
            } else if j < STILL.1 {
                // the picture index within the still: 0, 1, … (shown once after the holds)
                let k = still
                    .get(j - STILL.0)
                    .copied()
                    .unwrap_or_else(|| STILL_HOLDS.len() + j - STILL.0 - still.len());
                (still_shift, if k % 2 == 1 { FLICKER } else { 0.0 })
            } else {
                let on = (film(j) - film(STILL.1 - 1)) as f64 * PAN;
                (still_shift + on, 0.0)
            }
        })
        .collect()
}

/// Frame `i` of a texture shifted `shift` pixels, a 32×32 patch of it brighter by `flicker`.
fn picture(i: usize, (shift, flicker): (f64, f64)) -> Media {
    common::pictures::frame(i, |x, y| {
        let xs = x as f64 - shift;
        let v = 128.0 + 60.0 * (xs * 0.3).sin() * (y as f64 * 0.2).cos();
        let patch = (64..96).contains(&x) && (64..96).contains(&y);
        (v + if patch { flicker } else { 0.0 })
            .round()
            .clamp(0.0, 255.0) as u8
    })
}

fn frames(states: &[(f64, f64)]) -> Vec<Media> {
    states
        .iter()
        .enumerate()
        .map(|(i, &s)| picture(i, s))
        .collect()
}

#[test]
fn the_conversion_s_next_repeat_after_a_near_still_is_no_stutter() {
    let f = stutters(&frames(&programme(300)));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_picture_held_off_the_rhythm_after_the_near_still_is_stutter() {
    // frame 140's picture (5.6 s, half-way between the conversion's repeats) is shown 2
    // frames more, the programme delayed by them
    let mut states = programme(300);
    let held = states[140];
    states.splice(141..141, [held, held]);
    let f = stutters(&frames(&states));
    assert_eq!(f.len(), 1, "{f:?}");
    let (start, _, repeated) = f[0];
    assert!((start - 141.0 / FPS).abs() < 1e-6, "{f:?}");
    assert_eq!(repeated, 2, "{f:?}");
}
