//! `out_of_range`: too much of the picture lies outside the broadcast-legal range
//! (`video_out_of_range`), measured the way EBU R 103 counts a gamut error.
//!
//! In limited ("TV") range, nominal 8-bit luma is 16–235 and chroma 16–240; values beyond are
//! super-black/super-white or illegal colours that a broadcast chain clips (FFmpeg's
//! `signalstats` counts single samples beyond them as BRNG). EBU R 103 accepts luma from −1 %
//! to 103 % of the nominal range (8-bit codes 13.8 to 241.6) and counts an error only when it
//! covers more than 1 % of the picture AREA, measured so that transients (ringing at sharp
//! edges, noise) are ignored. This detector does the same:
//!
//! - **luma**: the picture is cut into areas of `area_size`×`area_size` pixels; an area is out
//!   of range when its mean luma (every `sample_step`-th pixel of every `sample_step`-th row)
//!   lies below `black_limit` or above `white_limit` percent of the nominal range (minus or
//!   plus `tolerance` code values); a frame is out of range when the share of such areas
//!   exceeds `max_share`.
//! - **chroma**: the share of chroma samples beyond 16–240 (plus `chroma_tolerance`), whole
//!   rows every `area_size` rows of the chroma planes, exceeds `chroma_max_share`.
//!
//! The area means come from samples (every `sample_step`-th pixel and row, for cost), and a
//! sampled mean can land all its rows on one side of an edge: along the lower edge of a black
//! bar, a low-rate encode's undershoot (code 12) fills the sampled rows of the areas the edge
//! crosses while their last rows are white (a 480x270 graphic at 250 kb/s: 13 areas sampled at
//! 12.0, 55 on every pixel). So a frame whose sampled share passes `max_share` is counted
//! again, each area the samples flag judged by the mean of all its pixels; only areas out of
//! range both ways count. This reads whole areas only on frames the samples flag (rare on legal
//! pictures; on a real fault every flagged area, about the picture once).
//!
//! A defect is reported when frames stay out of range for `min_duration`; the details carry
//! the worst frame's shares (`luma_share` is a share of areas).
//!
//! Why areas: real camera footage and photos overshoot the nominal range in small places:
//! specular highlights, white shirts and cars, dark clothes (OpenCV's `vtest.avi` street
//! scene has 1–1.9 % of its single samples beyond 12–239 in every picture), and H.264 rings a
//! few code values past the clipped whites of a legal photo (up to 1.9 % of the samples). On
//! 16-pixel area means the same pictures have at most 0.33 % of their area beyond R 103's
//! limits, while the real faults (super-white titles and graphics, full-range video labelled
//! limited, a grade that crushes blacks below code 16, a wrong range conversion) put whole
//! areas past them.
//!
//! Chroma gets more room because lossy coding overshoots there most: FFmpeg's `testsrc2`
//! pattern is legal (luma 22–210) but its saturated colours sit exactly on the chroma limits
//! (16 and 240), and after H.264 coding up to 2.5 % of the chroma samples of the corpus's
//! testsrc2 clips, and 3 % of a 160x90 CRF 34 encode, lie a few code values beyond them.
//!
//! Full-range ([`ColorRange::Full`](crate::ColorRange::Full)) pictures are legal by definition
//! and skipped; unsignalled range counts as limited, its documented meaning.
//!
//! Cost: the area means are built from the cell means (`area_size / 2` pixels, every
//! `sample_step`-th pixel and row) that `stutter` takes with its defaults, read where the
//! survey keeps them (`survey::with_means`), so next to `stutter` they cost only the pass over
//! the cells (at 1080p 8,160 cells); the chroma rows (every 16th of the chroma planes by
//! default, 34 rows at 1080p) are read whole, contiguous bytes which the compiler vectorizes.

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::cells::{CellGrid, CellValue};
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::measure::survey;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{ColorRange, MediaTime, Needs, PixelFormat, Plane, VideoFrame};

/// 8-bit code of nominal black in limited range.
const BLACK: f64 = 16.0;
/// 8-bit codes from nominal black to nominal white (235 − 16).
const NOMINAL: f64 = 219.0;

/// Configuration of the [`OutOfRange`] detector (type `"out_of_range"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::OutOfRangeConfig};
/// let c: OutOfRangeConfig = serde_json::from_str(r#"{"max_share": 0.05}"#).unwrap();
/// assert_eq!(c.min_duration, OutOfRangeConfig::default().min_duration);
/// assert!(OutOfRangeConfig { max_share: 2.0, ..Default::default() }.build("r").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutOfRangeConfig {
    /// Share of the picture's luma areas (see `area_size`) outside the legal range above which
    /// a frame is out of range. Default `0.01`: EBU R 103 accepts out-of-gamut signals on up to
    /// 1 % of the picture area.
    pub max_share: f64,
    /// Luma code values beyond `black_limit` and `white_limit` still accepted (an area mean
    /// counts as legal from `black_limit − tolerance` to `white_limit + tolerance`). Default
    /// `0`: R 103's limits as they stand. At most 15.
    pub tolerance: u8,
    /// Share of chroma samples outside the legal range (beyond `chroma_tolerance`) above which
    /// a frame is out of range. Default `0.05`: see the module notes on chroma overshoot.
    pub chroma_max_share: f64,
    /// Chroma code values beyond the legal limits still accepted (16 − t … 240 + t). Default
    /// `8` (at most 15).
    pub chroma_tolerance: u8,
    /// Seconds frames must stay out of range before it is reported. Default `1.0`: a flash or a
    /// few frames of a sharp overshooting title are not a signal fault.
    pub min_duration: f64,
    /// Seconds of legal picture needed to end an interval. Default `0.5`.
    pub clear_for: f64,
    /// Check the chroma planes too. Default `true`.
    pub chroma: bool,
    /// Read every `sample_step`-th pixel of every `sample_step`-th row of an area (luma).
    /// Default `4`: with the default `area_size` the cell means are the ones `stutter` takes,
    /// so both come from one read of the rows. 1 to 64; a step over `area_size / 2` reads
    /// every `area_size / 2`-th pixel and row (one sample per cell).
    pub sample_step: usize,
    /// Side of the square areas whose mean luma is judged, in pixels (even, 2 to 64). Default
    /// `16`: the low-pass R 103 asks for, so that ringing and noise, which alternate around
    /// the limits over a few pixels, are ignored while areas of illegal level are not. Chroma
    /// rows are read every `area_size` rows. This is the side on pictures of up to 449 lines;
    /// taller ones judge areas of proportionally more cells (`area_size / 2` pixels each: 3 a
    /// side at 576 lines, 4 at 720, 6 at 1080), so an area is the same share of the picture
    /// at every size.
    pub area_size: usize,
    /// Lowest legal area mean, in percent of the nominal luma range (0 = code 16, 100 = code
    /// 235). Default `-1.0` (code 13.8), EBU R 103's lower limit.
    pub black_limit: f64,
    /// Highest legal area mean, in percent of the nominal luma range. Default `103.0` (code
    /// 241.6), EBU R 103's upper limit.
    pub white_limit: f64,
}

impl Default for OutOfRangeConfig {
    fn default() -> Self {
        OutOfRangeConfig {
            max_share: 0.01,
            tolerance: 0,
            chroma_max_share: 0.05,
            chroma_tolerance: 8,
            min_duration: 1.0,
            clear_for: 0.5,
            chroma: true,
            sample_step: 4,
            area_size: 16,
            black_limit: -1.0,
            white_limit: 103.0,
        }
    }
}

impl OutOfRangeConfig {
    /// The legal range of an area's mean luma, in 8-bit code values.
    fn luma_limits(&self) -> (f32, f32) {
        let t = self.tolerance as f64;
        let lo = BLACK + NOMINAL * self.black_limit / 100.0 - t;
        let hi = BLACK + NOMINAL * self.white_limit / 100.0 + t;
        (lo as f32, hi as f32)
    }
}

impl DetectorConfig for OutOfRangeConfig {
    const TYPE: &'static str = "out_of_range";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.max_share.is_finite() && self.max_share >= 0.0 && self.max_share < 1.0,
            "max_share",
            "must be in [0, 1)",
        )?;
        c.require(self.tolerance <= 15, "tolerance", "must be at most 15")?;
        c.require(
            self.chroma_max_share.is_finite()
                && self.chroma_max_share >= 0.0
                && self.chroma_max_share < 1.0,
            "chroma_max_share",
            "must be in [0, 1)",
        )?;
        c.require(
            self.chroma_tolerance <= 15,
            "chroma_tolerance",
            "must be at most 15",
        )?;
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.require(
            (2..=64).contains(&self.area_size) && self.area_size.is_multiple_of(2),
            "area_size",
            "must be even, between 2 and 64",
        )?;
        c.require(
            (1..=64).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 64",
        )?;
        c.require(
            self.black_limit.is_finite() && (-8.0..=0.0).contains(&self.black_limit),
            "black_limit",
            "must be between -8 and 0 (percent)",
        )?;
        c.require(
            self.white_limit.is_finite() && (100.0..=109.0).contains(&self.white_limit),
            "white_limit",
            "must be between 100 and 109 (percent)",
        )?;
        Ok(Box::new(OnVideo::new(name, OutOfRange::new(self.clone()))))
    }
}

/// Shares of one frame's samples outside the legal range.
#[derive(Clone, Copy, Debug, Default)]
struct Shares {
    luma: f64,
    chroma: f64,
}

impl Shares {
    fn worst(&self) -> f64 {
        self.luma.max(self.chroma)
    }
}

/// Detects pictures outside the broadcast-legal range: reports `video_out_of_range` with the
/// worst frame's shares in its details. Built from an [`OutOfRangeConfig`].
pub struct OutOfRange {
    cfg: OutOfRangeConfig,
    /// Legal range of an area's mean luma.
    limits: (f32, f32),
    /// The cell grid (cells of half an area) of the current picture size.
    grid: Option<CellGrid>,
    tracker: SpanTracker,
    clock: FrameClock,
    worst: Shares,
    frames: u64,
}

impl OutOfRange {
    /// An out-of-range detector named `name`. Prefer [`OutOfRangeConfig::build`], which checks
    /// the values.
    pub fn new(cfg: OutOfRangeConfig) -> Self {
        OutOfRange {
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            limits: cfg.luma_limits(),
            cfg,
            grid: None,
            clock: FrameClock::default(),
            worst: Shares::default(),
            frames: 0,
        }
    }

    /// Share of the luma areas whose mean lies outside the legal range ([`grid_share`] of the
    /// cell means of half an area's side, read where the survey keeps them).
    fn luma_share(&mut self, f: &VideoFrame) -> f64 {
        let half = self.cfg.area_size / 2;
        let step = self.cfg.sample_step.min(half);
        let (grid, _) = CellGrid::fitting(&mut self.grid, f.luma(), half, step, 2);
        let judge = Judge {
            limits: self.limits,
            max_share: self.cfg.max_share,
            luma: f.luma(),
        };
        // In quarters when the grid allows, as `stutter` keeps the same grid's means.
        if grid.in_quarters() {
            survey::with_quarters(f, &grid, |c| judge.grid_share(c, &grid))
        } else {
            survey::with_means(f, &grid, |c| judge.grid_share(c, &grid))
        }
    }

    fn shares(&mut self, f: &VideoFrame) -> Shares {
        let luma = self.luma_share(f);
        let mut chroma = 0.0;
        // Gray has no chroma; NV12's interleaved UV plane is read like the others.
        if self.cfg.chroma && f.format() != PixelFormat::Gray8 {
            let step = self.cfg.area_size;
            let ct = self.cfg.chroma_tolerance;
            let range = (16 - ct, 240 + ct);
            let (mut bad, mut n) = (0, 0);
            for i in 1..f.format().plane_count() {
                if let Some(p) = f.plane(i) {
                    let (b, m) = survey::outside_rows(p, 0..p.height(), step, range, true);
                    bad += b;
                    n += m;
                }
            }
            chroma = bad as f64 / n.max(1) as f64;
        }
        Shares { luma, chroma }
    }

    fn details(&self) -> Details {
        let r = |v: f64| (v * 10_000.0).round() / 10_000.0;
        let mut d = Details::new();
        d.insert("share".into(), json!(r(self.worst.worst())));
        d.insert("luma_share".into(), json!(r(self.worst.luma)));
        d.insert("chroma_share".into(), json!(r(self.worst.chroma)));
        d.insert("frames".into(), json!(self.frames));
        d
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::VIDEO_OUT_OF_RANGE, c, at, self.details());
        }
        self.frames = 0;
    }
}

/// How one picture's luma areas are judged: the legal range of an area's mean, the share of
/// areas a frame may have out of it, and the plane whose pixels confirm a sampled verdict.
struct Judge<'a> {
    limits: (f32, f32),
    max_share: f64,
    luma: &'a Plane,
}

impl Judge<'_> {
    /// [`area_share`] of the cell means of `grid` (0 when they are missing); when it passes
    /// `max_share`, the share again with each flagged area confirmed on all its pixels.
    fn grid_share<V: CellValue>(&self, cells: &[V], grid: &CellGrid) -> f64 {
        if cells.len() != grid.cells() {
            return 0.0;
        }
        let (lo, hi) = self.limits;
        let k = cells_per_area(self.luma.height());
        let sampled = area_share(cells, grid.cell_rows(), k, lo, hi, None);
        if sampled <= self.max_share {
            return sampled;
        }
        let confirm = Some((self.luma, grid.cell()));
        area_share(cells, grid.cell_rows(), k, lo, hi, confirm)
    }
}

/// Picture height (lines) up to which an area is 2×2 cells (`area_size` pixels a side).
const AREA_LINES: usize = 360;

/// Cells per side of an area on a picture `height` lines tall: 2 up to [`AREA_LINES`] (and to
/// 449), then in proportion to the height (3 at 576, 4 at 720, 6 at 1080), so that an area is
/// the same share of the picture at every size. With areas of a fixed number of pixels the
/// same programme measured more of its area out of range the larger it was carried: OpenCV's
/// street scene (small super-black and super-white patches) had 0.87 % of its 16-pixel areas
/// beyond R 103's limits at 640x360 and 1.75 % upconverted to 1280x720, an alarm.
fn cells_per_area(height: usize) -> usize {
    ((2 * height + AREA_LINES / 2) / AREA_LINES).max(2)
}

/// The mean of every pixel of `p` in columns `x0..x0 + side` and rows `y0..y0 + side` (cut at
/// the plane's edges; 0 when that leaves nothing).
fn pixel_mean(p: &Plane, x0: usize, y0: usize, side: usize) -> f32 {
    let (x1, y1) = ((x0 + side).min(p.width()), (y0 + side).min(p.height()));
    if x0 >= x1 || y0 >= y1 {
        return 0.0;
    }
    let sum: u64 = (y0..y1)
        .map(|y| p.row(y)[x0..x1].iter().map(|&v| v as u64).sum::<u64>())
        .sum();
    (sum as f64 / ((x1 - x0) * (y1 - y0)) as f64) as f32
}

/// Share of the areas of k×k cells (`cells` row by row, `rows` rows) whose mean lies outside
/// `lo..=hi`. At the right and bottom edges an area may hold fewer cells (and partial ones);
/// its mean is then that of the cells it has. With `confirm` (the plane and the cells' side in
/// pixels) an area out of range by its cells counts only when the mean of all its pixels
/// ([`pixel_mean`]) is out of range too.
fn area_share<V: CellValue>(
    cells: &[V],
    rows: usize,
    k: usize,
    lo: f32,
    hi: f32,
    confirm: Option<(&Plane, usize)>,
) -> f64 {
    if cells.is_empty() || rows == 0 || !cells.len().is_multiple_of(rows) {
        return 0.0;
    }
    let cols = cells.len() / rows;
    let out = |m: f32| m < lo || m > hi;
    let (mut bad, mut n) = (0u64, 0u64);
    // Summed in the cells' own units, row by row, then scaled (exact: whole quarters, or f32
    // means whose sums are exact).
    for ay in (0..rows).step_by(k) {
        for ax in (0..cols).step_by(k) {
            let (mut sum, mut count) = (0.0f32, 0u32);
            for row in cells[ay * cols..].chunks(cols).take(k) {
                for v in &row[ax..(ax + k).min(cols)] {
                    sum += v.units();
                    count += 1;
                }
            }
            let mean = sum / V::SCALE / count.max(1) as f32;
            bad += u64::from(
                out(mean)
                    && confirm
                        .is_none_or(|(p, cell)| out(pixel_mean(p, ax * cell, ay * cell, k * cell))),
            );
            n += 1;
        }
    }
    bad as f64 / n.max(1) as f64
}

impl VideoDetector for OutOfRange {
    fn needs(&self) -> Needs {
        // shares of levels over a second or more
        Needs {
            every_frame: false,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        let bad = if frame.range() == ColorRange::Full {
            false
        } else {
            let s = self.shares(frame);
            let bad = s.luma > self.cfg.max_share || s.chroma > self.cfg.chroma_max_share;
            if bad {
                if self.frames == 0 {
                    self.worst = Shares::default();
                }
                self.frames += 1;
                if s.worst() > self.worst.worst() {
                    self.worst = s;
                }
            } else if !self.tracker.is_open() {
                self.frames = 0;
            }
            bad
        };
        if let Some(c) = self.tracker.observe(bad, t, until) {
            out.span(&DefectKind::VIDEO_OUT_OF_RANGE, c, t, self.details());
            if matches!(c, SpanChange::Ended { .. }) {
                self.frames = 0;
            }
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
