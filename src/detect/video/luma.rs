//! Shared luma helpers for the video detectors: block differences on a subsampled grid, and
//! frame timing.

use crate::{MediaTime, Plane, VideoFrame};

/// A picture cut into cells of `cell`×`cell` pixels (each reduced to its mean luma, read every
/// `step` pixels) grouped into blocks of `block`×`block` cells. Comparing cell means instead of
/// pixels cancels most film grain and encoder noise, which are fine-grained, while any real
/// change of the picture (motion, fades) survives the averaging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CellGrid {
    width: usize,
    height: usize,
    cell: usize,
    step: usize,
    cols: usize,
    rows: usize,
    block: usize,
    bcols: usize,
    brows: usize,
}

/// Scratch for [`CellGrid::means`] and [`CellGrid::diff`]: column sums of one row of cells or
/// blocks (kept between calls so nothing is allocated per picture).
#[derive(Clone, Debug, Default)]
pub(crate) struct GridScratch {
    /// Column sums eight pixels to a word (the common cell/step pairs).
    words: Vec<u64>,
    /// Column sums one pixel to a lane (any other pair).
    cols: Vec<u16>,
    /// Absolute differences of cell means added down a row of blocks, one per cell column.
    abs: Vec<f32>,
    /// Signed differences likewise.
    signed: Vec<f32>,
}

impl CellGrid {
    /// A grid over a `width`×`height` luma plane. Cells at the right and bottom edges may be
    /// partial.
    pub(crate) fn new(width: usize, height: usize, cell: usize, step: usize, block: usize) -> Self {
        let cell = cell.max(1);
        let block = block.max(1);
        let cols = width.div_ceil(cell).max(1);
        let rows = height.div_ceil(cell).max(1);
        CellGrid {
            width,
            height,
            cell,
            step: step.clamp(1, cell),
            cols,
            rows,
            block,
            bcols: cols.div_ceil(block),
            brows: rows.div_ceil(block),
        }
    }

    /// Number of cells.
    pub(crate) fn cells(&self) -> usize {
        self.cols * self.rows
    }

    /// Number of blocks.
    pub(crate) fn blocks(&self) -> usize {
        self.bcols * self.brows
    }

    /// True when the grid was made for a plane of this size.
    /// The grid in `slot` when it fits `p`, else a new one stored there; `true` when it was
    /// rebuilt (the picture size changed: earlier cell means no longer compare).
    pub(crate) fn fitting(
        slot: &mut Option<CellGrid>,
        p: &Plane,
        cell: usize,
        step: usize,
        block: usize,
    ) -> (CellGrid, bool) {
        match *slot {
            Some(g) if g.fits(p) => (g, false),
            _ => {
                let g = CellGrid::new(p.width(), p.height(), cell, step, block);
                *slot = Some(g);
                (g, true)
            }
        }
    }

    pub(crate) fn fits(&self, p: &Plane) -> bool {
        p.width() == self.width && p.height() == self.height
    }

    /// The mean of every cell of `p`, written to `out`; `scratch` holds the column sums (both
    /// resized once; no allocation after).
    ///
    /// Per row of cells, the sampled pixels of the sampled rows are first added column by
    /// column into the scratch, then each cell's column sums are added up. For the common
    /// cell/step pairs the columns are summed eight pixels at a time in 64-bit words (the
    /// sampled bytes masked out and added lane by lane, which the compiler vectorises); other
    /// pairs sum every column into 16-bit lanes. The sums are exact integers (at most 256 rows
    /// of 255 fit 16 bits, and a cell's total stays below 2^24), so the means equal the plain
    /// per-cell loop's bit for bit.
    /// (The detectors take theirs through `survey::means`, which reads the rows with other
    /// detectors'; this whole-picture form is what the tests check it against.)
    #[cfg(test)]
    pub(crate) fn means(&self, p: &Plane, out: &mut Vec<f32>, scratch: &mut GridScratch) {
        self.size_means(out);
        self.means_rows(p, out, scratch, 0..self.rows);
    }

    /// Sizes `out` for [`means_rows`](Self::means_rows) (no allocation when it fits).
    pub(crate) fn size_means(&self, out: &mut Vec<f32>) {
        let n = self.cells();
        if out.len() != n {
            out.clear();
            out.resize(n, 0.0);
        }
    }

    /// Rows of cells `rows` of [`means`](Self::means) (each row of cells is computed on its
    /// own, so doing them a band at a time gives the same values); `out` is sized by
    /// [`size_means`](Self::size_means).
    pub(crate) fn means_rows(
        &self,
        p: &Plane,
        out: &mut [f32],
        scratch: &mut GridScratch,
        rows: std::ops::Range<usize>,
    ) {
        let rows = rows.start..rows.end.min(self.rows);
        match (self.cell, self.step) {
            (4, 2) => self.means_words::<4, 2>(p, out, &mut scratch.words, rows),
            (8, 4) => self.means_words::<8, 4>(p, out, &mut scratch.words, rows),
            (8, 2) => self.means_words::<8, 2>(p, out, &mut scratch.words, rows),
            _ => self.means_any(p, out, &mut scratch.cols, rows),
        }
    }

    /// Pixels per cell side.
    pub(crate) fn cell(&self) -> usize {
        self.cell
    }

    /// Pixels between samples.
    pub(crate) fn step(&self) -> usize {
        self.step
    }

    /// Rows of cells.
    pub(crate) fn cell_rows(&self) -> usize {
        self.rows
    }

    /// [`means`](Self::means) for `cell == C` and `step == S`, where `S` is 2 or 4 and `C`
    /// is 4 or 8 (and a multiple of `S`): each 64-bit word of `words` holds the column sums of
    /// eight pixels' sampled columns, in lanes of `8 * S` bits.
    fn means_words<const C: usize, const S: usize>(
        &self,
        p: &Plane,
        out: &mut [f32],
        words: &mut Vec<u64>,
        rows: std::ops::Range<usize>,
    ) {
        // Every S-th byte of a little-endian word, each in its own lane.
        let mask: u64 = match S {
            2 => 0x00FF_00FF_00FF_00FF,
            _ => 0x0000_00FF_0000_00FF,
        };
        let n_words = self.width.div_ceil(8);
        if words.len() != n_words {
            words.clear();
            words.resize(n_words, 0);
        }
        let full = self.width / C;
        let per_cell = (C / S) as u32;
        for cy in rows {
            let y0 = cy * C;
            let y1 = (y0 + C).min(self.height);
            // Sampled rows two at a time (one pass over the sums for both); the first pass
            // sets the sums, later ones add to them.
            let mut ny = 0u32;
            let mut y = y0;
            while y < y1 {
                let set = ny == 0;
                // Two pairs of sampled rows ahead, so their fetch overlaps with this pair's sums.
                p.prefetch_row(y + AHEAD * S);
                p.prefetch_row(y + (AHEAD + 1) * S);
                let second = (y + S < y1).then(|| &p.row(y + S)[..self.width]);
                let first = &p.row(y)[..self.width];
                let (body, end) = words.split_at_mut(self.width / 8);
                let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or_default()) & mask;
                let a = first.chunks_exact(8);
                let tail_of = |r: &[u8]| {
                    let rest = &r[r.len() / 8 * 8..];
                    let mut b = [0u8; 8];
                    b[..rest.len()].copy_from_slice(rest);
                    u64::from_le_bytes(b) & mask
                };
                let mut tail = tail_of(first);
                match second {
                    Some(r2) => {
                        let pairs = body.iter_mut().zip(a.zip(r2.chunks_exact(8)));
                        if set {
                            pairs.for_each(|(w, (c, d))| *w = word(c) + word(d));
                        } else {
                            pairs.for_each(|(w, (c, d))| *w += word(c) + word(d));
                        }
                        tail += tail_of(r2);
                        ny += 2;
                        y += 2 * S;
                    }
                    None => {
                        let one = body.iter_mut().zip(a);
                        if set {
                            one.for_each(|(w, c)| *w = word(c));
                        } else {
                            one.for_each(|(w, c)| *w += word(c));
                        }
                        ny += 1;
                        y += S;
                    }
                }
                if let Some(w) = end.first_mut() {
                    *w = if set { tail } else { *w + tail };
                }
            }
            let row_out = &mut out[cy * self.cols..(cy + 1) * self.cols];
            // (Sums stay below 2^24: exact as i32 and f32, and i32 converts in vector lanes.)
            let div = Divisor::new(ny * per_cell);
            // Full cells: a word holds 8 / C of them (C = 4: two; C = 8: one).
            if C == 4 {
                let pairs = full / 2;
                for (o, &w) in row_out[..2 * pairs].chunks_exact_mut(2).zip(words.iter()) {
                    let t = (w & 0x0000_FFFF_0000_FFFF) + ((w >> 16) & 0x0000_FFFF_0000_FFFF);
                    o[0] = div.of((t & 0xFFFF_FFFF) as i32 as f32);
                    o[1] = div.of((t >> 32) as i32 as f32);
                }
                if full % 2 == 1 {
                    let w = words[pairs];
                    row_out[full - 1] = div.of(((w & 0xFFFF) + ((w >> 16) & 0xFFFF)) as i32 as f32);
                }
            } else {
                for (o, &w) in row_out[..full].iter_mut().zip(words.iter()) {
                    *o = div.of(lanes_sum::<S>(w) as i32 as f32);
                }
            }
            if full < self.cols {
                // The partial cell at the right edge, pixel by pixel.
                let x0 = full * C;
                let (mut sum, mut count) = (0u32, 0u32);
                let mut y = y0;
                while y < y1 {
                    for &v in p.row(y)[x0..self.width].iter().step_by(S) {
                        sum += v as u32;
                        count += 1;
                    }
                    y += S;
                }
                row_out[full] = sum as f32 / count.max(1) as f32;
            }
        }
    }

    /// [`means`](Self::means) for any cell and step: `acc` holds the sums of every column.
    fn means_any(
        &self,
        p: &Plane,
        out: &mut [f32],
        acc: &mut Vec<u16>,
        rows: std::ops::Range<usize>,
    ) {
        if acc.len() != self.width {
            acc.clear();
            acc.resize(self.width, 0);
        }
        let full = self.width / self.cell;
        for cy in rows {
            let y0 = cy * self.cell;
            let y1 = (y0 + self.cell).min(self.height);
            add_row::<true>(acc, &p.row(y0)[..self.width]);
            let mut ny = 1u32;
            let mut y = y0 + self.step;
            while y < y1 {
                add_row::<false>(acc, &p.row(y)[..self.width]);
                ny += 1;
                y += self.step;
            }
            let row_out = &mut out[cy * self.cols..(cy + 1) * self.cols];
            let (head, tail) = acc.split_at(full * self.cell);
            for (c, o) in head.chunks_exact(self.cell).zip(row_out.iter_mut()) {
                *o = c.iter().step_by(self.step).map(|&v| v as u32).sum::<u32>() as f32;
            }
            if !tail.is_empty() {
                row_out[full] = tail
                    .iter()
                    .step_by(self.step)
                    .map(|&v| v as u32)
                    .sum::<u32>() as f32;
            }
            let per_cell = ny * self.cell.div_ceil(self.step) as u32;
            for o in &mut row_out[..full] {
                *o /= per_cell.max(1) as f32;
            }
            if full < self.cols {
                let w = self.width - full * self.cell;
                let count = ny * w.div_ceil(self.step) as u32;
                row_out[full] /= count.max(1) as f32;
            }
        }
    }

    /// For each block, the mean absolute difference of its cells between `a` and `b` (cell
    /// means from [`means`](Self::means)), written to `mad`, and the mean signed difference
    /// `a - b`, written to `dc`. `scratch` holds per-column sums. No allocation after the
    /// first call.
    pub(crate) fn diff(
        &self,
        a: &[f32],
        b: &[f32],
        mad: &mut Vec<f32>,
        dc: &mut Vec<f32>,
        scratch: &mut GridScratch,
    ) {
        self.block_diffs::<true>(a, b, mad, dc, scratch);
    }

    /// [`diff`](Self::diff) without the signed differences: only `mad`, the same values.
    pub(crate) fn diff_mad(
        &self,
        a: &[f32],
        b: &[f32],
        mad: &mut Vec<f32>,
        scratch: &mut GridScratch,
    ) {
        self.block_diffs::<false>(a, b, mad, &mut Vec::new(), scratch);
    }

    /// [`diff`](Self::diff); `dc` is neither sized nor touched unless `DC`.
    ///
    /// Per row of blocks, the differences of its rows of cells are first added column by
    /// column (contiguous slices: the compiler vectorises them), then each block adds up its
    /// columns. Cell means are sums over a power of two of pixels in all but the edge cells,
    /// so these additions are exact and equal the cell-by-cell loop's.
    fn block_diffs<const DC: bool>(
        &self,
        a: &[f32],
        b: &[f32],
        mad: &mut Vec<f32>,
        dc: &mut Vec<f32>,
        scratch: &mut GridScratch,
    ) {
        let n = self.blocks();
        let sized = |v: &mut Vec<f32>, len: usize| {
            if v.len() != len {
                v.clear();
                v.resize(len, 0.0);
            }
        };
        sized(mad, n);
        sized(&mut scratch.abs, self.cols);
        if DC {
            sized(dc, n);
            sized(&mut scratch.signed, self.cols);
        }
        for by in 0..self.brows {
            let y0 = by * self.block;
            let y1 = (y0 + self.block).min(self.rows);
            for cy in y0..y1 {
                let ra = &a[cy * self.cols..(cy + 1) * self.cols];
                let rb = &b[cy * self.cols..(cy + 1) * self.cols];
                let first = cy == y0;
                add_abs(&mut scratch.abs, ra, rb, first);
                if DC {
                    add_signed(&mut scratch.signed, ra, rb, first);
                }
            }
            let h = y1 - y0;
            let r = by * self.bcols..(by + 1) * self.bcols;
            self.sum_blocks(&scratch.abs, &mut mad[r.clone()], h);
            if DC {
                self.sum_blocks(&scratch.signed, &mut dc[r], h);
            }
        }
    }

    /// Each block's mean of the column sums `cols` (of `h` rows of cells), into `out`.
    fn sum_blocks(&self, cols: &[f32], out: &mut [f32], h: usize) {
        let full = self.cols / self.block;
        let c = Divisor::new((self.block * h) as u32);
        match self.block {
            4 => {
                for (o, s) in out.iter_mut().zip(cols.chunks_exact(4)) {
                    *o = c.of(s[0] + s[1] + s[2] + s[3]);
                }
            }
            _ => {
                for (o, s) in out.iter_mut().zip(cols.chunks_exact(self.block)) {
                    *o = c.of(s.iter().sum::<f32>());
                }
            }
        }
        if full < self.bcols {
            let tail = &cols[full * self.block..];
            out[full] = tail.iter().sum::<f32>() / (tail.len() * h) as f32;
        }
    }
}

/// How many sampled rows ahead [`CellGrid::means`] asks for rows to be fetched.
const AHEAD: usize = 4;

/// Division of sums by a count, as a multiplication when the count is a power of two (the
/// cells and blocks of the default grids): scaling by 2^-k is exact either way, so the quotient
/// is the same bit for bit, and a multiplication costs a fraction of a division.
#[derive(Clone, Copy, Debug)]
struct Divisor {
    d: f32,
    inv: Option<f32>,
}

impl Divisor {
    fn new(n: u32) -> Self {
        let d = n.max(1) as f32;
        Divisor {
            d,
            inv: n.is_power_of_two().then(|| 1.0 / d),
        }
    }

    #[inline]
    fn of(self, x: f32) -> f32 {
        match self.inv {
            Some(i) => x * i,
            None => x / self.d,
        }
    }
}

/// Sets (`first`) or adds `|a - b|` to `acc`, element by element.
#[inline]
fn add_abs(acc: &mut [f32], a: &[f32], b: &[f32], first: bool) {
    let it = acc.iter_mut().zip(a.iter().zip(b));
    if first {
        it.for_each(|(s, (&x, &y))| *s = (x - y).abs());
    } else {
        it.for_each(|(s, (&x, &y))| *s += (x - y).abs());
    }
}

/// Sets (`first`) or adds `a - b` to `acc`, element by element.
#[inline]
fn add_signed(acc: &mut [f32], a: &[f32], b: &[f32], first: bool) {
    let it = acc.iter_mut().zip(a.iter().zip(b));
    if first {
        it.for_each(|(s, (&x, &y))| *s = x - y);
    } else {
        it.for_each(|(s, (&x, &y))| *s += x - y);
    }
}

/// The sum of the lanes of `w`: four of 16 bits (`S == 2`) or two of 32 bits (`S == 4`).
#[inline]
fn lanes_sum<const S: usize>(w: u64) -> u64 {
    if S == 2 {
        let t = (w & 0x0000_FFFF_0000_FFFF) + ((w >> 16) & 0x0000_FFFF_0000_FFFF);
        (t & 0xFFFF_FFFF) + (t >> 32)
    } else {
        (w & 0xFFFF_FFFF) + (w >> 32)
    }
}

/// The sum of `row[0]`, `row[4]`, `row[8]`, …: eight pixels to a 64-bit word, the sampled
/// bytes masked into two 32-bit lanes (exact: a row would need 2^24 sampled pixels to
/// overflow a lane).
pub(crate) fn sum_every_4th(row: &[u8]) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    let mut lanes = 0u64;
    for c in chunks {
        lanes += u64::from_le_bytes(c.try_into().unwrap_or_default()) & MASK;
    }
    let tail: u64 = rest.iter().step_by(4).map(|&v| v as u64).sum();
    (lanes & 0xFFFF_FFFF) + (lanes >> 32) + tail
}

/// Adds `row` to the column sums `acc` (or sets them, `SET`).
#[inline]
fn add_row<const SET: bool>(acc: &mut [u16], row: &[u8]) {
    for (a, &v) in acc.iter_mut().zip(row) {
        if SET {
            *a = v as u16;
        } else {
            *a += v as u16;
        }
    }
}

/// The median of `values`, using `scratch` (no allocation once it has grown to
/// `values.len()`).
pub(crate) fn median(values: &[f32], scratch: &mut Vec<f32>) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    scratch.clear();
    scratch.extend_from_slice(values);
    let mid = scratch.len() / 2;
    let (_, m, _) = scratch.select_nth_unstable_by(mid, f32::total_cmp);
    *m
}

/// True when `worst > tol + k * median(values)` is certain without finding the median (as
/// [`median`] picks it), false when it is not certain: one counting pass instead of a
/// selection. For `k >= 0`, `tol + k * m` rounds monotonically in `m`; so with the largest `c`
/// found for which `tol + k * c < worst`, a median `<= c` (at least `len / 2 + 1` values
/// `<= c`) puts `tol + k * median` below `worst` too, computed the same way in `f32`.
pub(crate) fn surely_over_noise(values: &[f32], worst: f32, tol: f32, k: f32) -> bool {
    let finite = worst.is_finite() && tol.is_finite() && k.is_finite();
    if values.is_empty() || !finite || worst <= tol || k < 0.0 {
        return false;
    }
    if k == 0.0 {
        return true; // `tol + 0 * m` is `tol`, under `worst`.
    }
    let below = |c: f32| c >= 0.0 && tol + k * c < worst;
    let mut c = (worst - tol) / k;
    for _ in 0..4 {
        if below(c) {
            break;
        }
        c = c.next_down();
    }
    below(c) && median_at_most(values, c)
}

/// True when the median of `values` (as [`median`] picks it: 0 when empty) is at most `c`,
/// by counting: at least `len / 2 + 1` values are `<= c`.
pub(crate) fn median_at_most(values: &[f32], c: f32) -> bool {
    if values.is_empty() {
        return 0.0 <= c;
    }
    values.iter().filter(|&&v| v <= c).count() > values.len() / 2
}

/// The largest value of `values` (0 when empty).
pub(crate) fn max(values: &[f32]) -> f32 {
    values.iter().copied().fold(0.0, f32::max)
}

/// Tracks frame timing: each frame's display interval `[t, until)`, from its duration or, when
/// the decoder gives none, from the distance between frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FrameClock {
    last: Option<MediaTime>,
    step: Option<f64>,
}

/// Display time assumed for a frame when nothing better is known (25 fps).
const DEFAULT_FRAME_SECS: f64 = 0.04;

impl FrameClock {
    /// The end of `frame`'s display interval.
    pub(crate) fn until(&mut self, frame: &VideoFrame) -> MediaTime {
        let t = frame.time();
        if let Some(last) = self.last {
            let d = t.secs_since(last);
            if d > 0.0 && d < 1.0 {
                self.step = Some(d);
            }
        }
        self.last = Some(t);
        let d = frame
            .duration()
            .filter(|d| *d > 0.0 && d.is_finite())
            .or(self.step)
            .unwrap_or(DEFAULT_FRAME_SECS);
        t.add_secs(d)
    }

    /// Forgets the previous frame (after a discontinuity).
    pub(crate) fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PixelFormat;

    #[test]
    fn block_differences_of_cell_means() {
        let t = MediaTime::ZERO;
        let a = VideoFrame::filled(40, 20, PixelFormat::Gray8, t, [10, 0, 0]);
        let b = VideoFrame::from_fn(
            40,
            20,
            PixelFormat::Gray8,
            t,
            |_, x, _| {
                if x < 16 {
                    10
                } else {
                    14
                }
            },
        );
        let g = CellGrid::new(40, 20, 4, 2, 4);
        assert_eq!(g.cells(), 10 * 5);
        assert_eq!(g.blocks(), 3 * 2);
        let (mut ca, mut cb, mut acc) = (Vec::new(), Vec::new(), GridScratch::default());
        g.means(a.luma(), &mut ca, &mut acc);
        g.means(b.luma(), &mut cb, &mut acc);
        let (mut mad, mut dc) = (Vec::new(), Vec::new());
        g.diff(&cb, &ca, &mut mad, &mut dc, &mut acc);
        assert_eq!(mad[0], 0.0);
        assert_eq!(mad[1], 4.0);
        assert_eq!(dc[1], 4.0);
        assert_eq!(max(&mad), 4.0);
        let mut s = Vec::new();
        assert_eq!(median(&[1.0, 5.0, 2.0], &mut s), 2.0);
    }

    /// The plain per-cell loop the fast `means` must equal bit for bit.
    fn means_reference(g: &CellGrid, p: &Plane) -> Vec<f32> {
        let mut out = vec![0.0; g.cells()];
        for cy in 0..g.rows {
            for cx in 0..g.cols {
                let (x0, y0) = (cx * g.cell, cy * g.cell);
                let (x1, y1) = ((x0 + g.cell).min(g.width), (y0 + g.cell).min(g.height));
                let (mut sum, mut count) = (0u32, 0u32);
                for y in (y0..y1).step_by(g.step) {
                    for x in (x0..x1).step_by(g.step) {
                        sum += p.row(y)[x] as u32;
                        count += 1;
                    }
                }
                out[cy * g.cols + cx] = sum as f32 / count.max(1) as f32;
            }
        }
        out
    }

    #[test]
    fn fast_block_differences_equal_the_plain_loop() {
        for (w, h) in [(64, 36), (61, 37), (130, 67), (3, 2)] {
            for block in [1, 2, 3, 4, 5] {
                let g = CellGrid::new(w, h, 4, 2, block);
                let a: Vec<f32> = (0..g.cells())
                    .map(|i| (i * 37 % 251 + 1) as f32 * 0.25)
                    .collect();
                let b: Vec<f32> = (0..g.cells())
                    .map(|i| (i * 91 % 241) as f32 * 0.5)
                    .collect();
                let (mut mad, mut dc) = (Vec::new(), Vec::new());
                let mut sc = GridScratch::default();
                g.diff(&a, &b, &mut mad, &mut dc, &mut sc);
                let (mut m2, mut d2) = (vec![0.0f32; g.blocks()], vec![0.0f32; g.blocks()]);
                for cy in 0..g.rows {
                    for cx in 0..g.cols {
                        let i = (cy / g.block) * g.bcols + cx / g.block;
                        let d = a[cy * g.cols + cx] - b[cy * g.cols + cx];
                        m2[i] += d.abs();
                        d2[i] += d;
                    }
                }
                for by in 0..g.brows {
                    for bx in 0..g.bcols {
                        let n = ((g.rows - by * g.block).min(g.block)
                            * (g.cols - bx * g.block).min(g.block))
                            as f32;
                        m2[by * g.bcols + bx] /= n;
                        d2[by * g.bcols + bx] /= n;
                    }
                }
                assert_eq!(mad, m2, "{w}x{h} block {block}");
                let mut only = Vec::new();
                g.diff_mad(&a, &b, &mut only, &mut sc);
                assert_eq!(only, mad, "{w}x{h} block {block}: diff_mad");
                assert_eq!(dc, d2, "{w}x{h} block {block}");
                assert!(m2.iter().any(|&v| v > 0.0));
            }
        }
    }

    #[test]
    fn sum_every_4th_equals_the_plain_loop() {
        for len in [0, 1, 3, 4, 5, 8, 9, 13, 16, 1920, 1923] {
            let row: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8 | 0x80).collect();
            let plain: u64 = row.iter().step_by(4).map(|&v| v as u64).sum();
            assert_eq!(sum_every_4th(&row), plain, "{len}");
        }
    }

    #[test]
    fn fast_means_equal_the_plain_loop() {
        let t = MediaTime::ZERO;
        for (w, h) in [(64, 36), (61, 37), (3, 2), (130, 67)] {
            let f = VideoFrame::from_fn(w, h, PixelFormat::Gray8, t, |_, x, y| {
                ((x * 37 + y * 101 + x * y) % 251 + 1) as u8
            });
            for (cell, step) in [(4, 2), (8, 4), (4, 1), (8, 2), (5, 3), (16, 4), (1, 1)] {
                let g = CellGrid::new(w, h, cell, step, 4);
                let (mut fast, mut acc) = (Vec::new(), GridScratch::default());
                g.means(f.luma(), &mut fast, &mut acc);
                let slow = means_reference(&g, f.luma());
                assert_eq!(fast, slow, "{w}x{h} cell {cell} step {step}");
                assert!(
                    slow.iter().any(|&v| v > 0.0),
                    "{w}x{h} {cell} {step} {slow:?}"
                );
            }
        }
    }

    #[test]
    fn divisor_equals_division_bit_for_bit() {
        for n in [1u32, 2, 3, 4, 6, 8, 16, 32, 64, 1024] {
            let d = Divisor::new(n);
            for x in (0..1 << 24).step_by(997).chain([0, 1, 255, (1 << 24) - 1]) {
                let x = x as f32;
                assert_eq!(d.of(x).to_bits(), (x / n as f32).to_bits(), "{x} / {n}");
            }
        }
    }

    #[test]
    fn counting_settles_the_noise_bound_as_the_median_does() {
        // `surely_over_noise` may say "don't know" (false) but never contradicts the median.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut settled, mut scratch) = (0, Vec::new());
        for round in 0..4000 {
            let n = 1 + (next() % 40) as usize;
            // Few distinct values (ties at the median), quarter steps, some zeros.
            let values: Vec<f32> = (0..n).map(|_| (next() % 24) as f32 * 0.25).collect();
            let worst = max(&values);
            let tol = [0.0, 1.0, 2.5, 4.0][round % 4];
            let k = [0.0, 0.5, 2.0, 3.0][(round / 4) % 4];
            let m = median(&values, &mut scratch);
            let over = worst > tol + k * m;
            if surely_over_noise(&values, worst, tol, k) {
                assert!(over, "{values:?} tol {tol} k {k} median {m}");
                settled += 1;
            }
            for c in [0.0, 0.25, 1.0, 2.5, m] {
                assert_eq!(median_at_most(&values, c), m <= c, "{values:?} {c}");
            }
        }
        // The shortcut is taken often enough to matter.
        assert!(settled > 1000, "{settled}");
        assert!(median_at_most(&[], 0.0) && !median_at_most(&[], -1.0));
    }
}
