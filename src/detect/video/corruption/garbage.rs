//! Decoder garbage colours: chroma that no picture of any RGB source can hold, appearing where
//! the picture was legal a moment before.
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

use crate::media::{MediaTime, PixelFormat, VideoFrame};

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

/// The current run of pictures showing garbage colours, counted only when a legal picture
/// came before it in the stream (garbage from the first picture on is a source's, not a
/// decoder's sudden damage).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Garbage {
    /// A picture without garbage was seen.
    legal: bool,
    /// First picture of the current run, if it followed a legal picture.
    since: Option<MediaTime>,
}

impl Garbage {
    /// Judges the picture `f` shown at `t`: the start of the run of garbage pictures it
    /// belongs to, or `None` when it shows none (or the run began with the stream).
    pub(super) fn push(&mut self, f: &VideoFrame, t: MediaTime) -> Option<MediaTime> {
        if share(f) >= SHARE {
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
        assert_eq!(g.push(&bad, t(0.0)), None, "garbage from the start");
        assert_eq!(g.push(&good, t(0.1)), None);
        assert_eq!(g.push(&bad, t(0.2)), Some(t(0.2)));
        assert_eq!(g.push(&bad, t(0.3)), Some(t(0.2)));
        assert_eq!(g.push(&good, t(0.4)), None);
        g.clear();
        assert_eq!(g.push(&bad, t(0.5)), None, "forgotten at a discontinuity");
    }
}
