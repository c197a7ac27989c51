//! Cell means of a luma plane on a subsampled grid, and the sum of every 4th pixel of a row.
//! Block differences of cell means are in [`diff`].

use crate::media::Plane;

mod diff;
#[cfg(test)]
mod tests;

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
    /// `abs` and `signed` in whole units, for cell values that are whole ([`CellValue::WHOLE`]).
    whole_abs: Vec<u16>,
    whole_signed: Vec<i16>,
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

    /// True when every cell has 1, 2 or 4 samples (at most two a side): its mean is then a
    /// whole number of quarters, which `u16` cell values hold exactly ([`CellValue`]).
    pub(crate) fn in_quarters(&self) -> bool {
        self.cell.div_ceil(self.step) <= 2
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
    pub(crate) fn size_means<V: CellValue>(&self, out: &mut Vec<V>) {
        let n = self.cells();
        if out.len() != n {
            out.clear();
            out.resize(n, V::default());
        }
    }

    /// Rows of cells `rows` of [`means`](Self::means) (each row of cells is computed on its
    /// own, so doing them a band at a time gives the same values); `out` is sized by
    /// [`size_means`](Self::size_means).
    pub(crate) fn means_rows<V: CellValue>(
        &self,
        p: &Plane,
        out: &mut [V],
        scratch: &mut GridScratch,
        rows: std::ops::Range<usize>,
    ) {
        let rows = rows.start..rows.end.min(self.rows);
        match (self.cell, self.step) {
            (4, 2) => self.means_words::<4, 2, V>(p, out, &mut scratch.words, rows),
            (8, 4) => self.means_words::<8, 4, V>(p, out, &mut scratch.words, rows),
            (8, 2) => self.means_words::<8, 2, V>(p, out, &mut scratch.words, rows),
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
    fn means_words<const C: usize, const S: usize, V: CellValue>(
        &self,
        p: &Plane,
        out: &mut [V],
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
                    o[0] = V::mean((t & 0xFFFF_FFFF) as u32, div);
                    o[1] = V::mean((t >> 32) as u32, div);
                }
                if full % 2 == 1 {
                    let w = words[pairs];
                    row_out[full - 1] = V::mean(((w & 0xFFFF) + ((w >> 16) & 0xFFFF)) as u32, div);
                }
            } else {
                for (o, &w) in row_out[..full].iter_mut().zip(words.iter()) {
                    *o = V::mean(lanes_sum::<S>(w) as u32, div);
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
                row_out[full] = V::mean(sum, Divisor::new(count));
            }
        }
    }

    /// [`means`](Self::means) for any cell and step: `acc` holds the sums of every column.
    fn means_any<V: CellValue>(
        &self,
        p: &Plane,
        out: &mut [V],
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
            let per_cell = ny * self.cell.div_ceil(self.step) as u32;
            for (c, o) in head.chunks_exact(self.cell).zip(row_out.iter_mut()) {
                let sum = c.iter().step_by(self.step).map(|&v| v as u32).sum::<u32>();
                *o = V::ratio(sum, per_cell.max(1));
            }
            if !tail.is_empty() {
                let sum = tail
                    .iter()
                    .step_by(self.step)
                    .map(|&v| v as u32)
                    .sum::<u32>();
                let count = ny * tail.len().div_ceil(self.step) as u32;
                row_out[full] = V::ratio(sum, count.max(1));
            }
        }
    }
}

/// A cell's mean as the grids store it: `f32` code values, or `u16` quarters of a code value
/// ([`CellGrid::in_quarters`]: exact when every cell has 1, 2 or 4 samples, at half the
/// memory, which the reads of the previous picture's means then fetch).
pub(crate) trait CellValue: Copy + Default + std::fmt::Debug + PartialEq {
    /// Quarters of a code value per unit of `Self` (1 for `f32`, 4 for `u16`).
    const SCALE: f32;
    /// The mean of `sum` over the count `div` was made for (words path).
    fn mean(sum: u32, div: Divisor) -> Self;
    /// `sum / count`, divided as the any-step path always did.
    fn ratio(sum: u32, count: u32) -> Self;
    /// The value in units of `1 / SCALE` code values, exact as `f32` (sums of them too).
    fn units(self) -> f32;
    /// True when values are whole units of at most 1020 (`u16` quarters of an 8-bit plane):
    /// their differences add exactly in 16-bit lanes.
    const WHOLE: bool;
    /// The value in whole units (only called when [`WHOLE`](Self::WHOLE)).
    fn whole(self) -> u16;
}

impl CellValue for f32 {
    const SCALE: f32 = 1.0;
    #[inline]
    fn mean(sum: u32, div: Divisor) -> Self {
        // (Sums stay below 2^24: exact as i32 and f32, and i32 converts in vector lanes.)
        div.of(sum as i32 as f32)
    }
    #[inline]
    fn ratio(sum: u32, count: u32) -> Self {
        sum as f32 / count as f32
    }
    #[inline]
    fn units(self) -> f32 {
        self
    }
    const WHOLE: bool = false;
    #[inline]
    fn whole(self) -> u16 {
        self as u16
    }
}

impl CellValue for u16 {
    const SCALE: f32 = 4.0;
    #[inline]
    fn mean(sum: u32, div: Divisor) -> Self {
        // A shift: the counts of a grid `in_quarters` are 1, 2 and 4.
        ((4 * sum) >> div.shift) as u16
    }
    #[inline]
    fn ratio(sum: u32, count: u32) -> Self {
        // Exact for counts of 1, 2 and 4 (the only ones of a grid `in_quarters`).
        (4 * sum / count.max(1)) as u16
    }
    #[inline]
    fn units(self) -> f32 {
        self as f32
    }
    const WHOLE: bool = true;
    #[inline]
    fn whole(self) -> u16 {
        self
    }
}

/// How many sampled rows ahead [`CellGrid::means`] asks for rows to be fetched.
const AHEAD: usize = 4;

/// Division of sums by a count, as a multiplication when the count is a power of two (the
/// cells and blocks of the default grids): scaling by 2^-k is exact either way, so the quotient
/// is the same bit for bit, and a multiplication costs a fraction of a division.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Divisor {
    /// log2 of the count when it is a power of two.
    shift: u32,
    d: f32,
    inv: Option<f32>,
}

impl Divisor {
    fn new(n: u32) -> Self {
        let d = n.max(1) as f32;
        Divisor {
            shift: n.max(1).trailing_zeros(),
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
