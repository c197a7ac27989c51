//! Decoder garbage: colours that no picture of any RGB source can hold, or luma driven to both
//! rails at once, appearing where the picture was legal a moment before.
//!
//! A decoder that reads corrupt slice data without noticing (an HEVC bit flip: CABAC decodes
//! garbage silently) writes whatever residuals and predictions it decoded; where they drive
//! both chroma planes to an extreme at once the picture shows bars of colour that no camera,
//! graphic or grade produces. Of every colour of the RGB cube, the one with the lowest Cb and
//! Cr together is pure green (Cb, Cr ≈ 54, 34 in BT.601 limited range, 42, 26 in BT.709; in
//! full range 44, 21 and 30, 12) and the one with the highest both is magenta (202, 222 and
//! 214, 230; full range 212, 235 and 226, 244): a sample whose Cb and Cr are both under 16 (or
//! both over 240) lies outside every gamut, in limited and full range, farther than coding
//! overshoot moves a legal colour (a few code values). Every picture of five draws of the
//! real-content evaluation (but the damaged clips, and the audio-defect clips of four of them),
//! four hold-out sets and five shared-corpus draws (each chroma sample read) held no such
//! sample; with both under 40 or both over 215/235, at
//! most 0.05 % of a picture's samples (the saturated bars of `testsrc2` after coding). The
//! HEVC bit flip that turned the bottom rows of a film to garbage put 3–5 % of the chroma
//! samples there, from the second damaged picture to the key frame that cleared it.
//!
//! **Luma at both rails.** Residuals decoded from corrupt data overflow the sample range both
//! ways, and the decoder clips them: a key frame decoded from lost or flipped bits without an
//! error showed 2–7 % of its luma samples at code 3 or under *and* 1–7 % at 252 or over, mixed
//! through the damaged blocks, against none on the picture before, and kept more than 0.5 % of
//! each until the next key frame cleared them (two HEVC clips of the shared generator's
//! variety draws, damage the blocks measure lost at that key frame). Limited-range pictures
//! keep both rails nearly empty: camera footage and photos with crushed shadows and clipped
//! highlights held at most 0.39 % of their samples at the rarer rail (real-content
//! evaluation, seven draws and a hold-out draw; shared-generator draws; every picture of 44
//! corpora), a black
//! letterbox or a white title fills one rail only. A run of garbage starts on a picture with
//! [`RAIL_ONSET`] at each rail and goes on while each holds [`RAIL_HOLD`], but a key frame
//! must show the onset share again: it was decoded afresh, and a key frame decoded from
//! corrupt bits showed it (2–7 %), while the clean pictures of a scene with crushed shadows
//! and clipped highlights can sit at the hold share themselves (a low-light surveillance scene
//! of the real-content evaluation, 0.1–0.3 % at its rarer rail, held a run open over 15 s of
//! clean pictures after the key frame that cleared its damage). Full-range pictures, whose
//! codes 0–255 are all legal, are not read for it.

use crate::media::{ColorRange, MediaTime, PixelFormat, VideoFrame};

/// Chroma code under which both Cb and Cr of a sample make it garbage: see the module notes.
const LOW: u8 = 16;
/// Chroma code over which both Cb and Cr of a sample make it garbage.
const HIGH: u8 = 240;

/// Share of the chroma samples read that must be garbage for the picture to show garbage.
/// 0.5 %: a sixth of the share the damage of the real-content corpus showed (3–5 %), and about
/// one 64×64 CTU of a 1080p picture (0.2 % of it) to two of a 640×360 one; clean material
/// showed none.
const SHARE: f32 = 0.005;

/// The chroma planes are read every `ROW_STEP`-th row: a sixteenth of the chroma samples at
/// the default, contiguous bytes (a CTU holds 16 or 32 chroma rows, so every damaged CTU row
/// is read).
const ROW_STEP: usize = 8;

/// Share of the luma samples read that must sit at each rail (code 3 or under, 252 or over)
/// for a picture to start a run of garbage: 1 %, 2.5 times the most any clean picture held at
/// its rarer rail (0.39 %), a third of what damaged key frames showed at theirs.
const RAIL_ONSET: f32 = 0.01;

/// Share at each rail that keeps a run of garbage going, up to the next key frame: 0.25 %
/// (damage left 0.6–2 % at the rarer rail through its group of pictures). A clean picture
/// holding that much starts no run.
const RAIL_HOLD: f32 = 0.0025;

/// The luma plane is read every `LUMA_ROW_STEP`-th row (a CTU row holds 16 to 64 luma rows).
const LUMA_ROW_STEP: usize = 16;

/// Share of the chroma samples of `f` (every [`ROW_STEP`]-th row) whose Cb and Cr are both
/// under [`LOW`] or both over [`HIGH`]. 0 for grey pictures.
pub(super) fn share(f: &VideoFrame) -> f32 {
    let garbage = |u: u8, v: u8| (u < LOW && v < LOW) || (u > HIGH && v > HIGH);
    let (mut bad, mut n) = (0usize, 0usize);
    match f.format() {
        PixelFormat::Gray8 => {}
        PixelFormat::Nv12 => {
            if let Some(p) = f.plane(1) {
                for y in (0..p.height()).step_by(ROW_STEP) {
                    let row = p.row(y);
                    bad += row
                        .chunks_exact(2)
                        .filter(|uv| garbage(uv[0], uv[1]))
                        .count();
                    n += row.len() / 2;
                }
            }
        }
        _ => {
            if let (Some(pu), Some(pv)) = (f.plane(1), f.plane(2)) {
                for y in (0..pu.height().min(pv.height())).step_by(ROW_STEP) {
                    let (ru, rv) = (pu.row(y), pv.row(y));
                    bad += ru.iter().zip(rv).filter(|&(&u, &v)| garbage(u, v)).count();
                    n += ru.len().min(rv.len());
                }
            }
        }
    }
    bad as f32 / n.max(1) as f32
}

/// Shares of the luma samples of `f` (every [`LUMA_ROW_STEP`]-th row) at the low rail (code 3
/// or under) and at the high rail (252 or over); none for full-range pictures.
pub(super) fn rails(f: &VideoFrame) -> (f32, f32) {
    if f.range() == ColorRange::Full {
        return (0.0, 0.0);
    }
    let p = f.luma();
    let (mut lo, mut hi, mut n) = (0usize, 0usize, 0usize);
    for y in (0..p.height()).step_by(LUMA_ROW_STEP) {
        let row = p.row(y);
        // Byte counters over chunks of 255 samples: the loop compiles to byte-wide SIMD.
        for chunk in row.chunks(255) {
            let (mut l, mut h) = (0u8, 0u8);
            for &v in chunk {
                l += u8::from(v <= 3);
                h += u8::from(v >= 252);
            }
            lo += usize::from(l);
            hi += usize::from(h);
        }
        n += row.len();
    }
    let n = n.max(1) as f32;
    (lo as f32 / n, hi as f32 / n)
}

/// The current run of pictures showing garbage (colours, or luma at both rails), counted only
/// when a legal picture came before it in the stream (garbage from the first picture on is a
/// source's, not a decoder's sudden damage).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Garbage {
    /// A picture without garbage was seen.
    legal: bool,
    /// First picture of the current run, if it followed a legal picture.
    since: Option<MediaTime>,
}

impl Garbage {
    /// Judges the picture `f` shown at `t` (a key frame when `key`): the start of the run of
    /// garbage pictures it belongs to, or `None` when it shows none (or the run began with the
    /// stream).
    pub(super) fn push(&mut self, f: &VideoFrame, t: MediaTime, key: bool) -> Option<MediaTime> {
        // A run starts at the rails' onset share and goes on at their hold share until a key
        // frame, which is judged as a start.
        let rail = if self.since.is_some() && !key {
            RAIL_HOLD
        } else {
            RAIL_ONSET
        };
        let garbage = share(f) >= SHARE || {
            let (lo, hi) = rails(f);
            lo.min(hi) >= rail
        };
        if garbage {
            if self.legal {
                self.since = self.since.or(Some(t));
            }
        } else {
            self.legal = true;
            self.since = None;
        }
        self.since
    }

    /// Forgets the stream (a discontinuity or its end).
    pub(super) fn clear(&mut self) {
        *self = Garbage::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(format: PixelFormat, bad_rows: usize, u: u8, v: u8) -> VideoFrame {
        // 64x64: chroma 32x32 (4:2:0), whose last `bad_rows` rows hold (u, v).
        let h = 64;
        VideoFrame::from_fn(64, h, format, MediaTime::ZERO, |p, x, y| match p {
            0 => 128,
            _ if y >= h / 2 - bad_rows => match format {
                PixelFormat::Nv12 if x % 2 == 1 => v,
                PixelFormat::Nv12 => u,
                _ if p == 1 => u,
                _ => v,
            },
            _ => 128,
        })
    }

    #[test]
    fn both_chroma_at_one_extreme_is_garbage() {
        for f in [PixelFormat::Yuv420p, PixelFormat::Nv12] {
            // Rows 24..32 of 32 read every 8th: row 24 of rows 0, 8, 16, 24.
            assert!((share(&picture(f, 8, 2, 5)) - 0.25).abs() < 1e-6, "{f:?}");
            assert!(
                (share(&picture(f, 8, 250, 245)) - 0.25).abs() < 1e-6,
                "{f:?}"
            );
        }
    }

    #[test]
    fn gamut_corners_and_one_extreme_plane_are_not() {
        for f in [PixelFormat::Yuv420p, PixelFormat::Nv12] {
            // Pure green and magenta (the gamut's corners), one plane low, one high.
            for (u, v) in [
                (54, 34),
                (30, 12),
                (226, 244),
                (2, 128),
                (128, 250),
                (5, 250),
            ] {
                assert_eq!(share(&picture(f, 32, u, v)), 0.0, "{f:?} {u} {v}");
            }
        }
        assert_eq!(share(&picture(PixelFormat::Gray8, 32, 0, 0)), 0.0);
    }

    #[test]
    fn a_run_counts_only_after_a_legal_picture() {
        let bad = picture(PixelFormat::Yuv420p, 32, 0, 0);
        let good = picture(PixelFormat::Yuv420p, 0, 0, 0);
        let t = MediaTime::from_secs_f64;
        let mut g = Garbage::default();
        assert_eq!(g.push(&bad, t(0.0), false), None, "garbage from the start");
        assert_eq!(g.push(&good, t(0.1), false), None);
        assert_eq!(g.push(&bad, t(0.2), false), Some(t(0.2)));
        assert_eq!(g.push(&bad, t(0.3), false), Some(t(0.2)));
        assert_eq!(g.push(&good, t(0.4), false), None);
        g.clear();
        assert_eq!(
            g.push(&bad, t(0.5), false),
            None,
            "forgotten at a discontinuity"
        );
    }

    /// A 64x64 picture whose rows `0..lo_rows` have luma 0 at every other pixel (the rest
    /// mid-grey) and rows `32..32 + hi_rows` luma 255 likewise.
    fn rails_picture(lo_rows: usize, hi_rows: usize) -> VideoFrame {
        VideoFrame::from_fn(
            64,
            64,
            PixelFormat::Yuv420p,
            MediaTime::ZERO,
            |p, x, y| match p {
                0 if y < lo_rows && x % 2 == 0 => 0,
                0 if (32..32 + hi_rows).contains(&y) && x % 2 == 0 => 255,
                _ => 128,
            },
        )
    }

    #[test]
    fn luma_at_both_rails_starts_a_run_and_one_rail_does_not() {
        let t = MediaTime::from_secs_f64;
        // Rows 0, 16, 32, 48 read: row 0 half at 0, row 32 half at 255 -> 12.5 % each.
        let both = rails_picture(1, 1);
        assert_eq!(rails(&both), (0.125, 0.125));
        let clean = rails_picture(0, 0);
        let mut g = Garbage::default();
        assert_eq!(g.push(&clean, t(0.0), false), None);
        assert_eq!(
            g.push(&rails_picture(1, 0), t(0.1), false),
            None,
            "black rail alone"
        );
        assert_eq!(
            g.push(&rails_picture(0, 1), t(0.2), false),
            None,
            "white rail alone"
        );
        assert_eq!(g.push(&both, t(0.3), false), Some(t(0.3)));
        assert_eq!(g.push(&both, t(0.4), false), Some(t(0.3)));
        assert_eq!(g.push(&clean, t(0.5), false), None);
        // Full range: codes 0 and 255 are legal.
        let full = both.clone().with_range(ColorRange::Full);
        assert_eq!(rails(&full), (0.0, 0.0));
        assert_eq!(g.push(&full, t(0.6), false), None);
    }

    #[test]
    fn a_run_of_rails_holds_under_its_onset_share() {
        let t = MediaTime::from_secs_f64;
        // 64x1024: 64 rows read; one row of 32 samples at each rail is 0.78 % per rail:
        // under the onset share, over the hold share.
        let light = VideoFrame::from_fn(
            64,
            1024,
            PixelFormat::Yuv420p,
            MediaTime::ZERO,
            |p, x, y| match p {
                0 if y == 0 && x % 2 == 0 => 0,
                0 if y == 16 && x % 2 == 0 => 255,
                _ => 128,
            },
        );
        let (lo, hi) = rails(&light);
        assert!(lo < RAIL_ONSET && lo > RAIL_HOLD && hi == lo, "{lo} {hi}");
        let mut g = Garbage::default();
        assert_eq!(g.push(&rails_picture(0, 0), t(0.0), false), None);
        assert_eq!(
            g.push(&light, t(0.1), false),
            None,
            "a light share starts no run"
        );
        assert_eq!(g.push(&rails_picture(1, 1), t(0.2), false), Some(t(0.2)));
        assert_eq!(
            g.push(&light, t(0.3), false),
            Some(t(0.2)),
            "but keeps one going"
        );
        let heavy = rails_picture(1, 1);
        assert_eq!(
            g.push(&heavy, t(0.4), true),
            Some(t(0.2)),
            "a key frame at the onset share goes on"
        );
        assert_eq!(g.push(&light, t(0.5), false), Some(t(0.2)));
        assert_eq!(
            g.push(&light, t(0.6), true),
            None,
            "a key frame at the hold share only ends the run"
        );
        assert_eq!(g.push(&light, t(0.7), false), None, "and starts none");
    }
}
