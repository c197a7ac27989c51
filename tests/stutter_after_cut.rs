//! `stutter` across a cut between two programmes, on synthetic frames (pure Rust, no FFmpeg):
//! a bar moving over a still background, the background replaced at the cut (a junction of a
//! channel). The next programme's cadence comes before it can be learned: a picture repeated once in the
//! first seconds after the cut waits for it (reported at its own time once the shot showed no
//! cadence it belongs to), while a picture held longer is reported at once.

mod common;

use avqc::detect::video::StutterConfig;
use avqc::{DetectorConfig, Media, Phase};

const FPS: f64 = 25.0;
/// The frame of the cut.
const CUT: usize = 200;
/// The bar moves this many pixels each picture.
const STEP: f64 = 6.0;

/// How a programme shows its pictures.
#[derive(Clone, Copy)]
enum Rate {
    /// One picture a frame.
    Native,
    /// 24 fps pictures at 25 fps: a picture repeated every 25 frames, the first `phase`
    /// frames after the programme's start.
    From24 { phase: usize },
}

impl Rate {
    /// The picture shown at frame `j` of the programme.
    fn picture(self, j: usize) -> usize {
        match self {
            Rate::Native => j,
            // one picture fewer from every repeat on: frames phase, phase + 25, …
            Rate::From24 { phase } => j - (j + 25 - phase) / 25,
        }
    }
}

/// Frame `i` of background `bg` (0 before the cut, 1 after) with a bright bar, 48 pixels wide,
/// at `x`.
fn frame(i: usize, bg: usize, x: f64) -> Media {
    let w = common::pictures::W as f64 + 48.0;
    let x0 = x.rem_euclid(w) - 48.0;
    common::pictures::frame(i, |px, py| {
        let (fx, fy) = (px as f64, py as f64);
        if (x0..x0 + 48.0).contains(&fx) {
            return 235;
        }
        let v = if bg == 0 {
            110.0 + 50.0 * (fx * 0.3).sin() * (fy * 0.2).cos()
        } else {
            120.0 + 45.0 * (fx * 0.11 + fy * 0.07).cos() + 20.0 * (fy * 0.5).sin()
        };
        v.round() as u8
    })
}

/// `CUT` frames of programme `before`, then `after_frames` of programme `after`; the picture
/// of frame `held` (after the cut, counted from it), when given, shown `extra` frames more.
fn channel(
    before: Rate,
    after: Rate,
    after_frames: usize,
    held: Option<(usize, usize)>,
) -> Vec<Media> {
    let mut states: Vec<(usize, usize)> = (0..CUT).map(|j| (0, before.picture(j))).collect();
    let mut next: Vec<(usize, usize)> = (0..after_frames).map(|j| (1, after.picture(j))).collect();
    if let Some((at, extra)) = held {
        let s = next[at];
        next.splice(at + 1..at + 1, std::iter::repeat_n(s, extra));
    }
    states.extend(next);
    states
        .iter()
        .enumerate()
        .map(|(i, &(bg, k))| frame(i, bg, k as f64 * STEP))
        .collect()
}

/// `(start, emitted_at)` of every stutter that began over `frames`.
fn stutters(frames: Vec<Media>) -> Vec<(f64, f64)> {
    let det = StutterConfig::default().build("stutter").unwrap();
    common::run_all(det, frames)
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.phase == Phase::Start)
        .map(|d| (d.start.as_secs_f64(), d.emitted_at.as_secs_f64()))
        .collect()
}

#[test]
fn a_programme_of_its_own_rate_after_the_cut_stays_silent_in_its_first_seconds() {
    // the 24 → 25 programme repeats a picture 0.6 s after the cut, then every second: the
    // first 3 come before its rhythm can be learned (at the 4th), and were reported
    for phase in [10, 15, 22] {
        let f = stutters(channel(Rate::Native, Rate::From24 { phase }, 250, None));
        assert!(f.is_empty(), "phase {phase}: {f:?}");
    }
}

#[test]
fn a_hold_right_after_the_cut_is_reported_at_once() {
    // a picture 1 s after the cut shown 2 frames more: no programme's cadence, reported when
    // it ends
    let f = stutters(channel(Rate::Native, Rate::Native, 200, Some((25, 2))));
    assert_eq!(f.len(), 1, "{f:?}");
    let start = (CUT + 26) as f64 / FPS;
    assert!((f[0].0 - start).abs() < 1e-6, "{f:?}");
    assert!(f[0].1 - start < 0.2, "{f:?}");
}

#[test]
fn a_picture_repeated_once_right_after_the_cut_waits_for_the_shot_s_cadence() {
    // shown once more 1 s after the cut in a programme at its rate, and off the rhythm of a
    // 24 → 25 programme (0.28 s after its repeat; one half-way between two of its repeats
    // would make a rhythm of 2 repeats a second with them): reported at its own time, 4 s
    // after it began
    let start = (CUT + 26) as f64 / FPS;
    for after in [Rate::Native, Rate::From24 { phase: 18 }] {
        let f = stutters(channel(Rate::Native, after, 250, Some((25, 1))));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!((f[0].0 - start).abs() < 1e-6, "{f:?}");
        let late = f[0].1 - (start - 1.0 / FPS);
        assert!((3.9..4.1).contains(&late), "{f:?}");
    }
}
