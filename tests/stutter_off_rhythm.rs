//! `stutter` on a 24 → 25 fps conversion, on synthetic frames (pure Rust, no FFmpeg): the
//! conversion repeats a picture once a second, a rhythm the detector learns. A picture shown
//! once more between two of the conversion's repeats is held no longer than the conversion's
//! own repeats, yet lies off their rhythm: it is a stutter (before the fix every one-picture
//! repeat of 24 → 25 content was taken for the conversion's). The frame it adds delays the
//! conversion's next repeats, which stay no stutter. And the chance repeats of a near-still
//! at the start (a patch flickering by less than `min_motion`) are no habit of repeating
//! pictures: before the fix they made the conversion's repeats that followed a habit, no
//! rhythm was learned for many seconds and no repeat was judged.

mod common;

use avqc::Media;

const FPS: f64 = 25.0;
/// Film pictures move `PAN` pixels each.
const PAN: f64 = 6.0;
/// Frames of the programme.
const FRAMES: usize = 300;
/// First frame of the near-still, and the first after it (when there is one).
const STILL: (usize, usize) = (10, 40);
/// Holds of the near-still's pictures from its first frame: chance repeats at no place of the
/// rhythm, 6 of them in just over a second (5 repeats within 10 s make a habit).
const STILL_HOLDS: [usize; 12] = [2, 1, 3, 1, 2, 1, 4, 1, 2, 1, 3, 1];
/// The patch of the near-still changes the worst block by this much (under `min_motion`, 10;
/// over `tolerance`, 6, when the rest of the picture stands).
const FLICKER: f64 = 8.0;

/// `(start, end, repeated_frames)` of every stutter over `frames`.
fn stutters(frames: &[Media]) -> Vec<(f64, f64, u64)> {
    common::pictures::stutter_spans(frames.iter().cloned())
}

/// The film picture shown at frame `j` of a 24 → 25 conversion (one repeat every 25 frames).
fn film(j: usize) -> usize {
    j * 24 / 25
}

/// `(shift, flicker)` of every frame: the conversion of a pan, with a near-still (where a
/// patch flickers by [`FLICKER`], its pictures held [`STILL_HOLDS`]) over [`STILL`] when
/// `near_still`.
fn programme(near_still: bool) -> Vec<(f64, f64)> {
    let mut still = Vec::new();
    for (k, &h) in STILL_HOLDS.iter().enumerate() {
        still.extend(std::iter::repeat_n(k, h));
    }
    (0..FRAMES)
        .map(|j| {
            if !near_still || j < STILL.0 {
                (film(j) as f64 * PAN, 0.0)
            } else if j < STILL.1 {
                // the picture index within the still: shown once after the holds
                let k = still
                    .get(j - STILL.0)
                    .copied()
                    .unwrap_or_else(|| STILL_HOLDS.len() + j - STILL.0 - still.len());
                (
                    film(STILL.0) as f64 * PAN,
                    if k % 2 == 1 { FLICKER } else { 0.0 },
                )
            } else {
                let on = film(j) - film(STILL.1);
                ((film(STILL.0) + on) as f64 * PAN, 0.0)
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

/// The programme with frame `at`'s picture shown once more (the rest delayed by a frame), cut
/// back to [`FRAMES`].
fn repeated_once(near_still: bool, at: usize) -> Vec<(f64, f64)> {
    let mut states = programme(near_still);
    let held = states[at];
    states.insert(at + 1, held);
    states.truncate(FRAMES);
    states
}

#[test]
fn the_conversion_alone_is_no_stutter() {
    for near_still in [false, true] {
        let f = stutters(&frames(&programme(near_still)));
        assert!(f.is_empty(), "near-still {near_still}: {f:?}");
    }
}

#[test]
fn a_picture_shown_once_more_between_the_conversion_s_repeats_is_stutter() {
    // frame 162 (6.48 s) lies half-way between the conversion's repeats (6.0 and 7.0 s); the
    // conversion's repeats after it come a frame late and are its own
    for near_still in [false, true] {
        let f = stutters(&frames(&repeated_once(near_still, 162)));
        assert_eq!(f.len(), 1, "near-still {near_still}: {f:?}");
        let (start, end, repeated) = f[0];
        assert!((start - 163.0 / FPS).abs() < 1e-6, "{f:?}");
        assert!((end - 164.0 / FPS).abs() < 1e-6, "{f:?}");
        assert_eq!(repeated, 1, "{f:?}");
    }
}
