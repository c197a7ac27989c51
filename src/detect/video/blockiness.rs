//! `blockiness`: how blocky the picture is, as a steady compression-quality metric, and
//! `video_blockiness` when it stays heavily blocky. Also home of the block-edge measure that
//! `corruption` uses.
//!
//! **The measure.** Block codecs (MPEG-2, H.264, HEVC) quantise the picture in blocks on an
//! 8-pixel grid (transforms of 4–32 pixels, macroblocks/CTUs of 16–64: all aligned to 8). When
//! a block loses its detail its inside goes flat and its border becomes a step. At a position
//! `x` of a sampled row the *step excess* is `|p[x] − p[x−1]|` minus the larger of the steps two
//! pixels to either side (`|p[x−2] − p[x−3]|`, `|p[x+2] − p[x+1]|`), clamped to 0..16: a step on
//! a flat surround counts, texture does not. Excesses over 48 are left out: graphic edges such
//! as a caption box or a slide.
//! It is summed on the grid lines (`x = 8k`) and half-way between them (`x = 8k + 4`), on every
//! `sample_step`-th row, and likewise along every column for the horizontal lines. Natural content has no preference
//! for the grid, so the two sums agree; coding blocks make the first larger. The **blockiness
//! index** is their ratio (each sum plus 0.25 per sample, so nearly flat pictures come out ≈ 1),
//! taken on the 8-pixel grid and on the 16-pixel grid (lines at `16k` against `16k + 8`: 16×16
//! macroblocks, or 8×8 blocks of a picture upscaled 2×), whichever is larger. A block (8×8, or
//! 16×16 when the 16 grid won) is *blocky* when its steps average at least 2 code values and its
//! grid steps are at least twice its in-between steps; their share is the blocky share.
//!
//! **The detector.** Every second it reports the mean `ratio` of that second as the metric
//! `blockiness` and the mean blocky share as `blocky_share`; while both stay at or above
//! `threshold` and `min_share` for `min_duration` seconds it reports `video_blockiness` (with
//! the mean ratio and blocky share in `details`). Graphics drawn on the 8-pixel grid (test
//! patterns, slides) raise the ratio too, but only along their outlines: the share tells them
//! from coding blocks, which show all over the picture.

use crate::detect::lock::StreamLock;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::event::Details;
use crate::{
    DefectKind, Detector, DetectorConfig, Events, Media, MediaTime, Plane, Result, SpanChange,
    SpanTracker, Wants,
};

/// The codec block grid, in pixels.
const GRID: usize = 8;

/// Rows of a band (two block rows), the unit measured in phases.
const BAND: usize = 2 * GRID;

/// Largest step counted, in code values: coding-block steps are low-contrast; a larger step
/// counts as this much.
const MAX_STEP: i16 = 16;

/// For [`BlockMeasure::leaving_out_graphics`]: step excesses larger than this (code values)
/// are left out: they are graphic edges (a caption box, a slide, a letterbox border) that
/// happen to sit on the grid, as synthetic pictures drawn on an 8-pixel grid often do, not the
/// low-contrast steps of coding blocks.
pub(crate) const GRAPHIC_STEP: u8 = 48;

/// Tiles per side of the picture for [`BlockMeasure::tiles`].
pub(crate) const TILES: usize = 8;
const TILE_COUNT: usize = TILES * TILES;

/// Per-sample regulariser of the ratios, in code values: on a nearly flat picture (black, a
/// fade) the few steps left do not make a ratio.
const FLOOR: f32 = 0.25;

/// How much the step between `p1` and `q0` exceeds the steps two pixels to either side
/// (`p3`–`p2`, `q1`–`q2`): a step on a flat surround. The reference [`excess_row`] is
/// tested against.
#[cfg(test)]
fn excess(p3: u8, p2: u8, p1: u8, q0: u8, q1: u8, q2: u8, graphic: u8) -> u16 {
    let d = |a: u8, b: u8| a.abs_diff(b) as i16;
    let e = d(q0, p1);
    let f = d(p2, p3).max(d(q2, q1));
    let x = e - f;
    if x > graphic as i16 {
        0
    } else {
        x.clamp(0, MAX_STEP) as u16
    }
}

/// [`excess`] for every column of six consecutive rows `r[0..6]` (each at least `out.len()`
/// long), in 8-bit arithmetic the compiler vectorises.
fn excess_row(r: &[&[u8]], out: &mut [u8], graphic: u8) {
    let n = out.len();
    let (p3, p2, p1, q0, q1, q2) = (
        &r[0][..n],
        &r[1][..n],
        &r[2][..n],
        &r[3][..n],
        &r[4][..n],
        &r[5][..n],
    );
    for i in 0..n {
        let e = q0[i].abs_diff(p1[i]);
        let f = p2[i].abs_diff(p3[i]).max(q2[i].abs_diff(q1[i]));
        let x = e.saturating_sub(f);
        out[i] = if x > graphic {
            0
        } else {
            x.min(MAX_STEP as u8)
        };
    }
}

/// Block-edge statistics of one picture.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct BlockStats {
    /// The blockiness index: the larger of `r8` and `r16`.
    pub(crate) ratio: f32,
    /// Index on the 8-pixel grid (steps on lines `8k` against lines `8k + 4`).
    pub(crate) r8: f32,
    /// Index on the 16-pixel grid (steps on lines `16k` against lines `16k + 8`).
    pub(crate) r16: f32,
    /// Share of the blocks (0–1) that are blocky, on the grid with the larger index.
    pub(crate) share: f32,
    /// Mean step (code values) on and between the grid lines: how much there is to judge.
    pub(crate) activity: f32,
}

/// The block-edge measure over a luma plane; reuses its buffers (no allocation per frame once
/// the picture size is known).
#[derive(Clone, Debug, Default)]
pub(crate) struct BlockMeasure {
    step: usize,
    /// Measure one 16-row band in this many per call, in turn (1: every band).
    phases: usize,
    /// Step excesses above this are left out (255: none).
    graphic: u8,
    /// Count blocky blocks (`BlockStats::share`).
    shares: bool,
    /// The first block column of each tile column, and `bcols` last.
    tile_cols: Vec<usize>,
    /// Which bands (their index modulo `phases`) the next call measures.
    phase: usize,
    /// The sums of the last `phases` calls, by phase.
    hist: Vec<Sums>,
    /// Sums per tile: of the last result, and of the last `phases` calls (phase-major).
    tiles: Vec<Sums>,
    tiles_hist: Vec<Sums>,
    min_step: f32,
    edge_ratio: f32,
    width: usize,
    height: usize,
    bcols: usize,
    brows: usize,
    /// Per block: sum of grid steps, sum of inner steps, samples.
    edge: Vec<f32>,
    inner: Vec<f32>,
    edge_h: Vec<f32>,
    inner_h: Vec<f32>,
    count: Vec<u16>,
    /// Per-column step excess along one horizontal grid line, and half-way below it.
    scratch_on: Vec<u8>,
    scratch_off: Vec<u8>,
    /// Step excess at every column of one row (column `x` at index `x - 3`; a word of
    /// padding at the end).
    scratch_row: Vec<u8>,
    /// Per block column: the vertical lines' excess sums of the current block row, in two
    /// 32-bit lanes (on the line, half-way).
    lanes: Vec<u64>,
}

impl BlockMeasure {
    /// A measure reading every `step`-th row/column along the grid lines; a block is blocky when
    /// its mean grid step is at least `min_step` code values and `edge_ratio` times its mean
    /// inner step.
    pub(crate) fn new(step: usize, min_step: f32, edge_ratio: f32) -> Self {
        BlockMeasure {
            step: step.max(1),
            phases: 1,
            graphic: u8::MAX,
            shares: false,
            phase: 0,
            min_step,
            edge_ratio,
            ..Default::default()
        }
    }

    /// Measure only one band of 16 rows in `n` per call, each in turn: `1/n` of the cost, and
    /// over `n` pictures the whole picture, whose sums are judged together. Pictures with
    /// fewer than `n` bands are measured whole.
    pub(crate) fn in_phases(mut self, n: usize) -> Self {
        self.phases = n.max(1);
        self
    }

    /// Count the blocky blocks, for [`BlockStats::share`] (0 without).
    pub(crate) fn with_shares(mut self) -> Self {
        self.shares = true;
        self
    }

    /// Leave out step excesses larger than [`GRAPHIC_STEP`] (graphic edges on the grid).
    pub(crate) fn leaving_out_graphics(mut self) -> Self {
        self.graphic = GRAPHIC_STEP;
        self
    }

    fn fit(&mut self, p: &Plane) {
        if p.width() == self.width && p.height() == self.height && !self.edge.is_empty() {
            return;
        }
        self.width = p.width();
        self.height = p.height();
        self.hist = vec![Sums::default(); self.phases];
        self.tiles = vec![Sums::default(); TILE_COUNT];
        self.tiles_hist = vec![Sums::default(); TILE_COUNT * self.phases];
        self.bcols = (self.width / GRID).max(1);
        self.tile_cols = (0..=TILES)
            .map(|t| (0..self.bcols).position(|bx| bx * TILES / self.bcols >= t))
            .map(|first| first.unwrap_or(self.bcols))
            .collect();
        // Row/column sample counts per block stay far below u16::MAX (8 rows + 8 columns).
        self.brows = (self.height / GRID).max(1);
        let n = self.bcols * self.brows;
        self.edge = vec![0.0; n];
        self.inner = vec![0.0; n];
        self.edge_h = vec![0.0; n];
        self.inner_h = vec![0.0; n];
        self.count = vec![0; n];
        self.scratch_on = vec![0; self.bcols * GRID];
        self.scratch_off = vec![0; self.bcols * GRID];
        self.scratch_row = vec![0; self.width + 8];
        self.lanes = vec![0; self.bcols];
    }

    /// Measures `p`.
    pub(crate) fn measure(&mut self, p: &Plane) -> BlockStats {
        self.fit(p);
        let (w, h) = (self.width, self.height);
        if w < 2 * GRID || h < 2 * GRID {
            return BlockStats {
                ratio: 1.0,
                r8: 1.0,
                r16: 1.0,
                share: 0.0,
                activity: 0.0,
            };
        }
        // Bands of 16 rows (two block rows) measured this time: all, or one in `phases`.
        let phased = self.phases > 1 && self.brows >= 2 * self.phases;
        let (band_step, first) = if phased {
            let first = self.phase;
            self.phase = (first + 1) % self.phases;
            (self.phases, first)
        } else {
            (1, 0)
        };
        let measured = |by: usize| (by * GRID / BAND) % band_step == first;
        // Each block row measured now is written whole (the others are neither written nor
        // read by this call), and its sums go to its tiles while they are in the cache.
        let mut tiles = [Sums::default(); TILE_COUNT];
        for by in (0..self.brows).filter(|&by| measured(by)) {
            // Rows sampled for the vertical lines: every `step`-th from the top of the picture,
            // or in phases from the top of the band.
            let origin = if phased { by * GRID / BAND * BAND } else { 0 };
            let rows = (by * GRID).saturating_sub(origin).div_ceil(self.step) * self.step + origin;
            let rows = (rows..((by + 1) * GRID).min(self.brows * GRID)).step_by(self.step);
            self.vertical(p, by, rows);
            self.horizontal(p, by);
            self.add_to_tiles(by, &mut tiles);
        }
        let mut whole = Sums::default();
        for t in &tiles {
            whole = whole.plus(t);
        }
        // Blocky blocks on each grid (only for the shares): 16×16 blocks (lines at 16k
        // against 16k + 8) and 8×8 blocks (lines at 8k against 8k + 4).
        let bcols = self.bcols;
        let (mut blocky16, mut n16, mut blocky8, mut n8) = (0usize, 0usize, 0usize, 0usize);
        if self.shares {
            for by in (0..self.brows.saturating_sub(1)).step_by(2) {
                if !measured(by) {
                    continue;
                }
                for bx in (0..bcols.saturating_sub(1)).step_by(2) {
                    let b = by * bcols + bx;
                    let on =
                        self.edge[b] + self.edge[b + bcols] + self.edge_h[b] + self.edge_h[b + 1];
                    let off = self.edge[b + 1]
                        + self.edge[b + 1 + bcols]
                        + self.edge_h[b + bcols]
                        + self.edge_h[b + bcols + 1];
                    let c = (self.count[b] + self.count[b + bcols] + self.count[b + 1]) as f32;
                    if c == 0.0 {
                        continue;
                    }
                    n16 += 1;
                    if (on + off) / c >= self.min_step && on >= self.edge_ratio * off {
                        blocky16 += 1;
                    }
                }
            }
            for by in 0..self.brows {
                if !measured(by) {
                    continue;
                }
                for b in by * bcols..(by + 1) * bcols {
                    let c = self.count[b] as f32;
                    if c == 0.0 {
                        continue;
                    }
                    let on = self.edge[b] + self.edge_h[b];
                    let off = self.inner[b] + self.inner_h[b];
                    n8 += 1;
                    if (on + off) / c >= self.min_step && on >= self.edge_ratio * off {
                        blocky8 += 1;
                    }
                }
            }
        }
        let cur = Sums {
            blocky8: blocky8 as f32,
            blocks8: n8 as f32,
            blocky16: blocky16 as f32,
            blocks16: n16 as f32,
            ..whole
        };
        // In phases: this call's bands together with the others' measured by the last calls.
        if phased {
            let k = first;
            self.hist[k] = cur;
            self.tiles_hist[k * TILE_COUNT..(k + 1) * TILE_COUNT].copy_from_slice(&tiles);
            let all = self.hist.iter().fold(Sums::default(), |a, h| a.plus(h));
            for (i, t) in self.tiles.iter_mut().enumerate() {
                *t = (0..self.phases).fold(Sums::default(), |a, p| {
                    a.plus(&self.tiles_hist[p * TILE_COUNT + i])
                });
            }
            all.stats()
        } else {
            self.tiles.copy_from_slice(&tiles);
            cur.stats()
        }
    }

    /// The vertical grid lines of block row `by`, on the sampled `rows`: per block, the step
    /// excess on its left line (`x = 8k`) and half-way (`x = 8k + 4`), summed over the rows,
    /// and the rows counted (the first block column has no line of its own: 0).
    fn vertical(&mut self, p: &Plane, by: usize, rows: impl Iterator<Item = usize>) {
        // Column x's excess is at index x - 3, so the word at 8k - 3 holds the excess on the
        // line of block k in its byte 0 and the half-way one in its byte 4: masked into two
        // 32-bit lanes, a row adds both for every block at once (at most 8 rows of at most
        // MAX_STEP: no lane overflows).
        const LANES: u64 = 0x0000_00FF_0000_00FF;
        let (w, bcols) = (self.width, self.bcols);
        let mut n = 0u16;
        for y in rows {
            let row = p.row(y);
            let shifted = [row, &row[1..], &row[2..], &row[3..], &row[4..], &row[5..]];
            excess_row(&shifted, &mut self.scratch_row[..w - 5], self.graphic);
            let words = self.scratch_row[5..].chunks_exact(8);
            let sums = self.lanes[1..bcols].iter_mut().zip(words);
            let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or_default()) & LANES;
            if n == 0 {
                sums.for_each(|(s, c)| *s = word(c));
            } else {
                sums.for_each(|(s, c)| *s += word(c));
            }
            n += 1;
        }
        let r = by * bcols..(by + 1) * bcols;
        let (edge, inner) = (&mut self.edge[r.clone()], &mut self.inner[r.clone()]);
        let count = &mut self.count[r];
        (edge[0], inner[0], count[0]) = (0.0, 0.0, 0);
        for bx in 1..bcols {
            let s = if n == 0 { 0 } else { self.lanes[bx] };
            // (Lanes hold at most 8 * MAX_STEP: exact as i32, which converts in vector lanes.)
            edge[bx] = (s as u32 as i32) as f32;
            inner[bx] = ((s >> 32) as i32) as f32;
            count[bx] = n;
        }
    }

    /// The horizontal grid line at the top of block row `by` (none for the first block row
    /// and at the bottom), every column, and the line half-way below it; counted as
    /// `GRID / step` samples per block so both directions weigh the same.
    fn horizontal(&mut self, p: &Plane, by: usize) {
        let (h, bcols) = (self.height, self.bcols);
        let r = by * bcols..(by + 1) * bcols;
        let gy = by * GRID;
        if by == 0 || gy + 6 >= h {
            self.edge_h[r.clone()].fill(0.0);
            self.inner_h[r].fill(0.0);
            return;
        }
        let hweight = (GRID / self.step).max(1) as u16;
        let hscale = hweight as f32 / GRID as f32;
        let rows: [&[u8]; 10] = std::array::from_fn(|d| &p.row(gy + d - 3)[..bcols * GRID]);
        excess_row(&rows[..6], &mut self.scratch_on, self.graphic);
        excess_row(&rows[4..], &mut self.scratch_off, self.graphic);
        // Eight excesses of at most MAX_STEP sum to under 256: the byte sum of a word is
        // exact in its top byte after a multiplication by 0x0101…01.
        let sum = |c: &[u8]| {
            let v = u64::from_le_bytes(c.try_into().unwrap_or_default());
            (v.wrapping_mul(0x0101_0101_0101_0101) >> 56) as f32
        };
        let on = self.scratch_on.chunks_exact(GRID);
        let off = self.scratch_off.chunks_exact(GRID);
        let (edge_h, inner_h) = (&mut self.edge_h[r.clone()], &mut self.inner_h[r.clone()]);
        for (((e, i), on), off) in edge_h.iter_mut().zip(inner_h).zip(on).zip(off) {
            *e = sum(on) * hscale;
            *i = sum(off) * hscale;
        }
        self.count[r].iter_mut().for_each(|c| *c += hweight);
    }

    /// Adds block row `by` to the tiles of its row of tiles. Per tile: grid 8, steps on the
    /// 8-pixel lines against steps half-way between them; grid 16, lines at 16k against lines
    /// at 16k + 8 (16×16 macroblocks, or a picture upscaled 2×).
    fn add_to_tiles(&self, by: usize, tiles: &mut [Sums; TILE_COUNT]) {
        let bcols = self.bcols;
        let row_tiles = &mut tiles[(by * TILES / self.brows) * TILES..][..TILES];
        let r = by * bcols..(by + 1) * bcols;
        let (e, eh) = (&self.edge[r.clone()], &self.edge_h[r.clone()]);
        let (i, ih, c) = (
            &self.inner[r.clone()],
            &self.inner_h[r.clone()],
            &self.count[r],
        );
        // The horizontal line of this block row is on the 16 grid when `by` is even.
        let h_on = by.is_multiple_of(2);
        for (t, cols) in row_tiles.iter_mut().zip(self.tile_cols.windows(2)) {
            // Each tile's sums in the same order as block by block, kept in registers.
            let mut s = *t;
            for bx in cols[0]..cols[1] {
                s.on8 += e[bx] + eh[bx];
                s.off8 += i[bx] + ih[bx];
                let (v, h) = (e[bx], eh[bx]);
                let v_on = bx.is_multiple_of(2);
                s.on16 += if v_on { v } else { 0.0 } + if h_on { h } else { 0.0 };
                s.off16 += if v_on { 0.0 } else { v } + if h_on { 0.0 } else { h };
                s.samples += c[bx] as f32;
            }
            *t = s;
        }
    }

    /// The statistics of each of the [`TILES`]×[`TILES`] tiles of the last picture measured
    /// (in phases: of the last `phases`), row by row; `share` is not measured per tile (0).
    pub(crate) fn tiles(&self) -> impl Iterator<Item = BlockStats> + '_ {
        self.tiles.iter().map(Sums::stats)
    }
}

/// The sums one measurement adds up.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    on8: f32,
    off8: f32,
    on16: f32,
    off16: f32,
    samples: f32,
    blocky8: f32,
    blocks8: f32,
    blocky16: f32,
    blocks16: f32,
}

impl Sums {
    fn plus(&self, o: &Sums) -> Sums {
        Sums {
            on8: self.on8 + o.on8,
            off8: self.off8 + o.off8,
            on16: self.on16 + o.on16,
            off16: self.off16 + o.off16,
            samples: self.samples + o.samples,
            blocky8: self.blocky8 + o.blocky8,
            blocks8: self.blocks8 + o.blocks8,
            blocky16: self.blocky16 + o.blocky16,
            blocks16: self.blocks16 + o.blocks16,
        }
    }

    fn stats(&self) -> BlockStats {
        let floor = FLOOR * self.samples;
        let r8 = (self.on8 + floor) / (self.off8 + floor);
        let r16 = (self.on16 + floor * 0.5) / (self.off16 + floor * 0.5);
        let share8 = self.blocky8 / self.blocks8.max(1.0);
        let share16 = self.blocky16 / self.blocks16.max(1.0);
        BlockStats {
            ratio: r8.max(r16),
            r8,
            r16,
            share: if r16 > r8 { share16 } else { share8 },
            activity: (self.on8 + self.off8) / self.samples.max(1.0),
        }
    }
}

/// Configuration of the [`Blockiness`] detector (type `"blockiness"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::BlockinessConfig};
/// let c: BlockinessConfig = serde_json::from_str(r#"{"threshold": 2.0}"#).unwrap();
/// assert_eq!(c.min_duration, BlockinessConfig::default().min_duration);
/// assert!(BlockinessConfig { threshold: 0.5, ..Default::default() }.build("b").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockinessConfig {
    /// Mean blockiness index (grid steps over in-between steps, ≈ 1 for natural content; steps
    /// over 48 code values, graphic edges, left out) of a second at or above which that second
    /// is heavily blocky, if `min_share` of the blocks are blocky too. Default `1.16`: the
    /// heavily compressed `carphone_distorted` measures 1.18–1.28 per second, its pristine
    /// source 0.92–0.97, the clean corpus coding of the same footage 1.04–1.14; synthetic
    /// pictures drawn on an 8-pixel grid (test patterns, slides, fades of them) up to 1.61,
    /// but with few blocky blocks (`scripts/eval-blockiness.sh`).
    pub threshold: f64,
    /// Mean share of the blocks (0–1) that are blocky (grid step ≥ 2 code values and twice the
    /// in-between step) in a second, at or above which that second can be heavily blocky.
    /// Default `0.1`: coding blockiness shows at block edges all over the picture
    /// (`carphone_distorted` 0.13–0.14), graphic edges on the grid only along their outlines
    /// (test patterns, slides, letterboxed MPEG-2 of both corpus draws: at most 0.09).
    pub min_share: f64,
    /// Seconds the picture must stay heavily blocky before `video_blockiness` is reported.
    /// Default `2.0`: a sustained quality problem, not a scene that briefly starves the encoder.
    pub min_duration: f64,
    /// Seconds below the threshold needed to end the defect. Default `1.0` (one metric period).
    pub clear_for: f64,
    /// Seconds between `blockiness` metrics. Default `1.0`.
    pub period: f64,
    /// Read every `sample_step`-th row along the vertical block grid lines (horizontal lines
    /// are read in full, which vectorises). Default `4`: two rows of every 8×8 block.
    pub sample_step: usize,
}

impl Default for BlockinessConfig {
    fn default() -> Self {
        BlockinessConfig {
            threshold: 1.16,
            min_share: 0.1,
            min_duration: 2.0,
            clear_for: 1.0,
            period: 1.0,
            sample_step: 4,
        }
    }
}

impl DetectorConfig for BlockinessConfig {
    const TYPE: &'static str = "blockiness";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.at_least("threshold", self.threshold, 1.0)?;
        c.require(
            self.min_share.is_finite() && (0.0..=1.0).contains(&self.min_share),
            "min_share",
            "must be between 0 and 1",
        )?;
        c.seconds("min_duration", self.min_duration)?;
        c.seconds("clear_for", self.clear_for)?;
        c.positive_seconds("period", self.period)?;
        c.require(
            (1..=8).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 8",
        )?;
        Ok(Box::new(Blockiness::new(name, self.clone())))
    }
}

/// Measures blockiness every second (metric `blockiness`) and reports `video_blockiness` while it
/// stays high. Built from a [`BlockinessConfig`].
pub struct Blockiness {
    name: String,
    cfg: BlockinessConfig,
    measure: BlockMeasure,
    tracker: SpanTracker,
    stream: StreamLock,
    /// Start of the current metric period and its sums.
    period_start: Option<MediaTime>,
    sum_ratio: f64,
    sum_share: f64,
    frames: u32,
    /// Last period's means (for details).
    last_ratio: f64,
    last_share: f64,
}

impl Blockiness {
    /// A blockiness detector named `name`. Prefer [`BlockinessConfig::build`], which checks the
    /// values.
    pub fn new(name: &str, cfg: BlockinessConfig) -> Self {
        Blockiness {
            name: name.to_string(),
            measure: BlockMeasure::new(cfg.sample_step, 2.0, 2.0)
                .in_phases(2)
                .leaving_out_graphics()
                .with_shares(),
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            cfg,
            stream: StreamLock::default(),
            period_start: None,
            sum_ratio: 0.0,
            sum_share: 0.0,
            frames: 0,
            last_ratio: 0.0,
            last_share: 0.0,
        }
    }

    fn emit(&self, c: Option<SpanChange>, at: MediaTime, out: &mut Events) {
        if let Some(c) = c {
            let mut d = Details::new();
            d.insert("blockiness".into(), json!(round3(self.last_ratio)));
            d.insert("blocky_share".into(), json!(round3(self.last_share)));
            if let SpanChange::Ended { start, end } = c {
                d.insert(
                    "duration".into(),
                    json!((end.secs_since(start) * 1000.0).round() / 1000.0),
                );
            }
            out.span(&DefectKind::VIDEO_BLOCKINESS, c, at, d);
        }
    }

    /// Ends the current period at `end`: metric and verdict.
    fn flush(&mut self, end: MediaTime, out: &mut Events) {
        let Some(start) = self.period_start.take() else {
            return;
        };
        if self.frames == 0 {
            return;
        }
        self.last_ratio = self.sum_ratio / self.frames as f64;
        self.last_share = self.sum_share / self.frames as f64;
        out.metric("blockiness", round3(self.last_ratio), start);
        out.metric("blocky_share", round3(self.last_share), start);
        let blocky = self.last_ratio >= self.cfg.threshold && self.last_share >= self.cfg.min_share;
        let c = self.tracker.observe(blocky, start, end);
        self.emit(c, end, out);
        self.sum_ratio = 0.0;
        self.sum_share = 0.0;
        self.frames = 0;
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        self.flush(at, out);
        let c = self.tracker.close();
        self.emit(c, at, out);
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Detector for Blockiness {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::VIDEO
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        let Some(frame) = self.stream.video(media) else {
            return;
        };
        let t = frame.time();
        if let Some(s) = self.period_start {
            if t.secs_since(s) >= self.cfg.period - 1e-6 || t < s {
                self.flush(t, out);
            }
        }
        self.period_start.get_or_insert(t);
        let s = self.measure.measure(frame.analysis().luma());
        self.sum_ratio += s.ratio as f64;
        self.sum_share += s.share as f64;
        self.frames += 1;
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured picture with block steps in places and graphic edges (`w`×`h`, stride
    /// `w + 5`).
    fn picture(w: usize, h: usize, seed: usize) -> Plane {
        let stride = w + 5;
        let data: Vec<u8> = (0..stride * h)
            .map(|i| {
                let (x, y) = (i % stride, i / stride);
                let block = ((x / 8) * 31 + (y / 8) * 17 + seed * 7) % 23;
                let texture = (x * 13 + y * 29 + x * y * seed) % 9;
                let graphic = if (x / 24 + y / 40 + seed).is_multiple_of(5) {
                    120
                } else {
                    0
                };
                (40 + block * 4 + texture + graphic) as u8
            })
            .collect();
        Plane::new(data.into(), stride, w, h).unwrap()
    }

    /// Per block (edge, inner, edge_h, inner_h, count) by the definition, one sample at a
    /// time, over block rows `by` for which `measured(by)`; the vertical lines on rows
    /// `origin(by) + j * step`.
    fn blocks_reference(
        p: &Plane,
        step: usize,
        graphic: u8,
        measured: impl Fn(usize) -> bool,
        origin: impl Fn(usize) -> usize,
    ) -> Vec<Option<[f32; 5]>> {
        let (w, h) = (p.width(), p.height());
        let (bcols, brows) = (w / GRID, h / GRID);
        let hweight = (GRID / step).max(1);
        let mut out = vec![None; bcols * brows];
        for by in (0..brows).filter(|&by| measured(by)) {
            for bx in 0..bcols {
                let mut b = [0.0f32; 5];
                for y in (origin(by)..(by + 1) * GRID).step_by(step) {
                    if y < by * GRID || bx == 0 {
                        continue;
                    }
                    let r = p.row(y);
                    let x = bx * GRID;
                    let e = |x0: usize| {
                        excess(
                            r[x0],
                            r[x0 + 1],
                            r[x0 + 2],
                            r[x0 + 3],
                            r[x0 + 4],
                            r[x0 + 5],
                            graphic,
                        )
                    };
                    b[0] += e(x - 3) as f32;
                    b[1] += e(x + 1) as f32;
                    b[4] += 1.0;
                }
                let gy = by * GRID;
                if by > 0 && gy + 6 < h {
                    for x in bx * GRID..(bx + 1) * GRID {
                        let c = |y: usize| p.row(y)[x];
                        let e = |y0: usize| {
                            excess(
                                c(y0),
                                c(y0 + 1),
                                c(y0 + 2),
                                c(y0 + 3),
                                c(y0 + 4),
                                c(y0 + 5),
                                graphic,
                            )
                        };
                        b[2] += e(gy - 3) as f32 * hweight as f32 / GRID as f32;
                        b[3] += e(gy + 1) as f32 * hweight as f32 / GRID as f32;
                    }
                    b[4] += hweight as f32;
                }
                out[by * bcols + bx] = Some(b);
            }
        }
        out
    }

    /// The per-block sums, the tiles and the whole-picture statistics of the measure equal
    /// the definition, for every row step, whole and in phases, with and without graphics,
    /// on sizes that are and are not multiples of the block.
    #[test]
    fn measure_equals_the_per_sample_definition() {
        for (w, h) in [(64, 48), (61, 70), (133, 131), (16, 16), (200, 150)] {
            for step in 1..=8 {
                for (phases, graphic) in [
                    (1, u8::MAX),
                    (1, GRAPHIC_STEP),
                    (2, GRAPHIC_STEP),
                    (3, u8::MAX),
                ] {
                    let mut m = BlockMeasure::new(step, 2.0, 2.0)
                        .in_phases(phases)
                        .with_shares();
                    if graphic != u8::MAX {
                        m = m.leaving_out_graphics();
                    }
                    let brows = h / GRID;
                    let phased = phases > 1 && brows >= 2 * phases;
                    for call in 0..phases + 1 {
                        let p = picture(w, h, call);
                        let s = m.measure(&p);
                        let first = if phased { call % phases } else { 0 };
                        let measured = |by: usize| !phased || (by / 2) % phases == first;
                        let origin = |by: usize| if phased { by / 2 * BAND } else { 0 };
                        let want = blocks_reference(&p, step, graphic, measured, origin);
                        let mut whole = [0.0f32; 5];
                        for (b, want) in want.iter().enumerate() {
                            let Some(want) = want else { continue };
                            let got = [
                                m.edge[b],
                                m.inner[b],
                                m.edge_h[b],
                                m.inner_h[b],
                                m.count[b] as f32,
                            ];
                            assert_eq!(
                                &got, want,
                                "{w}x{h} step {step} phases {phases} call {call} block {b}"
                            );
                            let (bx, by) = (b % m.bcols, b / m.bcols);
                            whole[0] += want[0] + want[2];
                            whole[1] += want[1] + want[3];
                            let (v_on, h_on) = (bx.is_multiple_of(2), by.is_multiple_of(2));
                            whole[2] +=
                                if v_on { want[0] } else { 0.0 } + if h_on { want[2] } else { 0.0 };
                            whole[3] +=
                                if v_on { 0.0 } else { want[0] } + if h_on { 0.0 } else { want[2] };
                            whole[4] += want[4];
                        }
                        if w < 2 * GRID || h < 2 * GRID || phased {
                            continue; // (no measure, or sums over several calls)
                        }
                        let tiles = m.tiles.iter().fold(Sums::default(), |a, t| a.plus(t));
                        let got = [
                            tiles.on8,
                            tiles.off8,
                            tiles.on16,
                            tiles.off16,
                            tiles.samples,
                        ];
                        assert_eq!(got, whole, "{w}x{h} step {step} tiles");
                        let floor = FLOOR * whole[4];
                        let r8 = (whole[0] + floor) / (whole[1] + floor);
                        assert_eq!(s.r8, r8, "{w}x{h} step {step}");
                        assert!(s.activity > 0.0, "the picture has steps to measure");
                    }
                }
            }
        }
    }

    /// The vectorised row form, also used on one row shifted by 0..=5 columns for the vertical
    /// grid lines, equals the per-sample definition.
    #[test]
    fn excess_row_equals_the_per_sample_excess() {
        let row: Vec<u8> = (0..300u32)
            .map(|i| ((i * 37 + (i / 8) * 91 + i * i) % 256) as u8)
            .collect();
        for graphic in [GRAPHIC_STEP, u8::MAX] {
            let shifted = [
                &row[..],
                &row[1..],
                &row[2..],
                &row[3..],
                &row[4..],
                &row[5..],
            ];
            let mut out = vec![0u8; row.len() - 5];
            excess_row(&shifted, &mut out, graphic);
            let mut nonzero = 0;
            for (i, &o) in out.iter().enumerate() {
                let s = &row[i..i + 6];
                let want = excess(s[0], s[1], s[2], s[3], s[4], s[5], graphic);
                assert_eq!(o as u16, want, "column {i}, graphic {graphic}");
                nonzero += usize::from(o > 0);
            }
            assert!(nonzero > 10, "the test row has steps to measure");
        }
    }
}
