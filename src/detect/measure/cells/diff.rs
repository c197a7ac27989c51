//! Block differences of cell means: per block, the mean absolute and signed difference of its
//! cells between two pictures.

use super::{CellGrid, CellValue, Divisor, GridScratch};

impl CellGrid {
    /// For each block, the mean absolute difference of its cells between `a` and `b` (cell
    /// means from [`means`](Self::means)), written to `mad`, and the mean signed difference
    /// `a - b`, written to `dc`. `scratch` holds per-column sums. No allocation after the
    /// first call.
    pub(crate) fn diff<V: CellValue>(
        &self,
        a: &[V],
        b: &[V],
        mad: &mut Vec<f32>,
        dc: &mut Vec<f32>,
        scratch: &mut GridScratch,
    ) {
        self.block_diffs::<true, V>(a, b, mad, dc, scratch);
    }

    /// [`diff`](Self::diff) without the signed differences: only `mad`, the same values.
    pub(crate) fn diff_mad<V: CellValue>(
        &self,
        a: &[V],
        b: &[V],
        mad: &mut Vec<f32>,
        scratch: &mut GridScratch,
    ) {
        self.block_diffs::<false, V>(a, b, mad, &mut Vec::new(), scratch);
    }

    /// [`diff`](Self::diff); `dc` is neither sized nor touched unless `DC`.
    ///
    /// Per row of blocks, the differences of its rows of cells are first added column by
    /// column (contiguous slices: the compiler vectorises them), then each block adds up its
    /// columns. Cell means are sums over a power of two of pixels in all but the edge cells,
    /// so these additions are exact and equal the cell-by-cell loop's. Cell values in quarters
    /// (`u16`) are differenced in quarters, exact too, and scaled back before the division:
    /// the same values as from `f32` means.
    fn block_diffs<const DC: bool, V: CellValue>(
        &self,
        a: &[V],
        b: &[V],
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
        // Whole units (quarters, at most 1020) added over at most WHOLE_ROWS rows of cells
        // fit 16-bit lanes: abs as u16, signed as i16.
        let whole = V::WHOLE && self.block <= WHOLE_ROWS;
        if whole {
            sized_whole(&mut scratch.whole_abs, self.cols);
            if DC {
                sized_whole(&mut scratch.whole_signed, self.cols);
            }
        }
        for by in 0..self.brows {
            let y0 = by * self.block;
            let y1 = (y0 + self.block).min(self.rows);
            if whole {
                for cy in y0..y1 {
                    let ra = &a[cy * self.cols..(cy + 1) * self.cols];
                    let rb = &b[cy * self.cols..(cy + 1) * self.cols];
                    let first = cy == y0;
                    add_abs_whole(&mut scratch.whole_abs, ra, rb, first);
                    if DC {
                        add_signed_whole(&mut scratch.whole_signed, ra, rb, first);
                    }
                }
                // (Sums of whole units below 2^24: the same f32 as added in f32.)
                for (s, &w) in scratch.abs.iter_mut().zip(&scratch.whole_abs) {
                    *s = f32::from(w);
                }
                if DC {
                    for (s, &w) in scratch.signed.iter_mut().zip(&scratch.whole_signed) {
                        *s = f32::from(w);
                    }
                }
            } else {
                for cy in y0..y1 {
                    let ra = &a[cy * self.cols..(cy + 1) * self.cols];
                    let rb = &b[cy * self.cols..(cy + 1) * self.cols];
                    let first = cy == y0;
                    add_abs(&mut scratch.abs, ra, rb, first);
                    if DC {
                        add_signed(&mut scratch.signed, ra, rb, first);
                    }
                }
            }
            let h = y1 - y0;
            let r = by * self.bcols..(by + 1) * self.bcols;
            self.sum_blocks::<V>(&scratch.abs, &mut mad[r.clone()], h);
            if DC {
                self.sum_blocks::<V>(&scratch.signed, &mut dc[r], h);
            }
        }
    }

    /// Each block's mean of the column sums `cols` (of `h` rows of cells, in units of
    /// `1 / V::SCALE`), into `out`.
    fn sum_blocks<V: CellValue>(&self, cols: &[f32], out: &mut [f32], h: usize) {
        let full = self.cols / self.block;
        let c = Divisor::new((self.block * h) as u32);
        // (Exact: a power of two, and 1 for f32.)
        let back = 1.0 / V::SCALE;
        match self.block {
            4 => {
                for (o, s) in out.iter_mut().zip(cols.chunks_exact(4)) {
                    *o = c.of((s[0] + s[1] + s[2] + s[3]) * back);
                }
            }
            _ => {
                for (o, s) in out.iter_mut().zip(cols.chunks_exact(self.block)) {
                    *o = c.of(s.iter().sum::<f32>() * back);
                }
            }
        }
        if full < self.bcols {
            let tail = &cols[full * self.block..];
            out[full] = tail.iter().sum::<f32>() * back / (tail.len() * h) as f32;
        }
    }
}

/// Most rows of cells in a block for the differences in whole units: 32 rows of differences
/// of at most 1020 quarters fit an `i16` (and `u16`) lane.
const WHOLE_ROWS: usize = 32;

/// Sizes a whole-unit scratch for `len` columns (no allocation when it fits).
fn sized_whole<T: Copy + Default>(v: &mut Vec<T>, len: usize) {
    if v.len() != len {
        v.clear();
        v.resize(len, T::default());
    }
}

/// [`add_abs`] in whole units, in 16-bit lanes (eight to a vector register instead of four
/// `f32`): the same sums, exact.
#[inline]
fn add_abs_whole<V: CellValue>(acc: &mut [u16], a: &[V], b: &[V], first: bool) {
    let it = acc.iter_mut().zip(a.iter().zip(b));
    if first {
        it.for_each(|(s, (&x, &y))| *s = x.whole().abs_diff(y.whole()));
    } else {
        it.for_each(|(s, (&x, &y))| *s += x.whole().abs_diff(y.whole()));
    }
}

/// [`add_signed`] in whole units, in 16-bit lanes.
#[inline]
fn add_signed_whole<V: CellValue>(acc: &mut [i16], a: &[V], b: &[V], first: bool) {
    let it = acc.iter_mut().zip(a.iter().zip(b));
    if first {
        it.for_each(|(s, (&x, &y))| *s = x.whole() as i16 - y.whole() as i16);
    } else {
        it.for_each(|(s, (&x, &y))| *s += x.whole() as i16 - y.whole() as i16);
    }
}

/// Sets (`first`) or adds `|a - b|` to `acc`, element by element.
#[inline]
fn add_abs<V: CellValue>(acc: &mut [f32], a: &[V], b: &[V], first: bool) {
    let it = acc.iter_mut().zip(a.iter().zip(b));
    if first {
        it.for_each(|(s, (&x, &y))| *s = (x.units() - y.units()).abs());
    } else {
        it.for_each(|(s, (&x, &y))| *s += (x.units() - y.units()).abs());
    }
}

/// Sets (`first`) or adds `a - b` to `acc`, element by element.
#[inline]
fn add_signed<V: CellValue>(acc: &mut [f32], a: &[V], b: &[V], first: bool) {
    let it = acc.iter_mut().zip(a.iter().zip(b));
    if first {
        it.for_each(|(s, (&x, &y))| *s = x.units() - y.units());
    } else {
        it.for_each(|(s, (&x, &y))| *s += x.units() - y.units());
    }
}
