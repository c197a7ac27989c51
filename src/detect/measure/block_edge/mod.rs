//! The block-edge measure: how blocky a luma plane is (`blockiness` reports it, `corruption`
//! judges it per tile).
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
//! From the same rows, two pixels of each block give each tile's mean luma, compared with the
//! same rows' last reading ([`BlockMeasure::moved`]): a cut moves most tiles' means, blocking
//! of the same picture keeps them.

use crate::media::Plane;

mod onset;
mod sums;
#[cfg(test)]
mod tests;

pub(crate) use onset::RiseOnset;
pub(crate) use sums::Moved;
use sums::Sums;

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
    /// The bands the last call measured: their statistics, and those of the same bands when
    /// they were measured before (`phases` calls earlier).
    band: (BlockStats, BlockStats),
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
    /// Per block column: the sum of two pixels of each of the current block row's sampled
    /// rows (for the tiles' means), and how many pixels.
    luma: Vec<u32>,
    luma_n: u32,
    /// How much the picture's content moved in the bands the last call measured (see
    /// [`BlockMeasure::moved`]).
    moved: Moved,
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
        self.luma = vec![0; self.bcols];
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
        let mut next = (0..self.brows).find(|&by| measured(by));
        if let Some(by) = next {
            fetch_block_row(p, by);
        }
        while let Some(by) = next {
            // The next block row measured is asked for now, so its rows arrive while this one
            // is measured (the picture has mostly left the caches since it was decoded).
            next = (by + 1..self.brows).find(|&b| measured(b));
            if let Some(b) = next {
                fetch_block_row(p, b);
            }
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
            self.band = (cur.stats(), self.hist[k].stats());
            self.hist[k] = cur;
            let old = &mut self.tiles_hist[k * TILE_COUNT..(k + 1) * TILE_COUNT];
            self.moved = Moved::between(&tiles, old);
            old.copy_from_slice(&tiles);
            let all = self.hist.iter().fold(Sums::default(), |a, h| a.plus(h));
            for (i, t) in self.tiles.iter_mut().enumerate() {
                *t = (0..self.phases).fold(Sums::default(), |a, p| {
                    a.plus(&self.tiles_hist[p * TILE_COUNT + i])
                });
            }
            all.stats()
        } else {
            self.moved = Moved::between(&tiles, &self.tiles);
            self.tiles.copy_from_slice(&tiles);
            let before = self.hist.first().map_or(Sums::default(), |h| *h);
            self.band = (cur.stats(), before.stats());
            if let Some(h) = self.hist.first_mut() {
                *h = cur;
            }
            cur.stats()
        }
    }

    /// The bands the last call measured (the whole picture when not in phases): their
    /// statistics, and those of the same bands when they were last measured before.
    pub(crate) fn band(&self) -> (BlockStats, BlockStats) {
        self.band
    }

    /// How much the content of the bands the last call measured moved since they were last
    /// measured (nothing read both times: all 0).
    pub(crate) fn moved(&self) -> Moved {
        self.moved
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
            // Two pixels of each block (its columns 2 and 6) for the tiles' means.
            let luma = self.luma.iter_mut().zip(row.chunks_exact(GRID));
            let two = |c: &[u8]| c[2] as u32 + c[6] as u32;
            if n == 0 {
                sums.for_each(|(s, c)| *s = word(c));
                luma.for_each(|(s, c)| *s = two(c));
            } else {
                sums.for_each(|(s, c)| *s += word(c));
                luma.for_each(|(s, c)| *s += two(c));
            }
            n += 1;
        }
        self.luma_n = 2 * n as u32;
        if n == 0 {
            self.luma.fill(0);
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
                s.luma += self.luma[bx] as f32;
                s.lumas += self.luma_n as f32;
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

/// Asks for the rows block row `by` reads (three above its top line to six below it) to be
/// fetched into the cache: a hint, the values are the same without.
fn fetch_block_row(p: &Plane, by: usize) {
    let top = by * GRID;
    for y in top.saturating_sub(3)..top + GRID - 1 {
        p.prefetch_row(y);
    }
}
