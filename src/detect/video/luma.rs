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

    /// The mean of every cell of `p`, written to `out`; `acc` is scratch (both resized once;
    /// no allocation after).
    ///
    /// Per row of cells, the sampled rows are first added column by column into `acc` (16-bit
    /// sums of whole rows: the compiler vectorises them), then each cell's sampled columns are
    /// added up, with the common cell/step pairs compiled as constants. The sums are exact
    /// integers (at most 256 rows of 255 fit 16 bits, and a cell's total stays below 2^24), so
    /// the means equal the plain per-cell loop's bit for bit.
    pub(crate) fn means(&self, p: &Plane, out: &mut Vec<f32>, acc: &mut Vec<u16>) {
        let n = self.cells();
        if out.len() != n {
            out.clear();
            out.resize(n, 0.0);
        }
        if acc.len() != self.width {
            acc.clear();
            acc.resize(self.width, 0);
        }
        let full = self.width / self.cell;
        for cy in 0..self.rows {
            let y0 = cy * self.cell;
            let y1 = (y0 + self.cell).min(self.height);
            // The first sampled row sets the sums, the others add to them (y0 < y1 always).
            for (a, &v) in acc.iter_mut().zip(p.row(y0)) {
                *a = v as u16;
            }
            let mut ny = 1u32;
            let mut y = y0 + self.step;
            while y < y1 {
                for (a, &v) in acc.iter_mut().zip(p.row(y)) {
                    *a += v as u16;
                }
                ny += 1;
                y += self.step;
            }
            let row_out = &mut out[cy * self.cols..(cy + 1) * self.cols];
            let (head, tail) = acc.split_at(full * self.cell);
            match (self.cell, self.step) {
                (4, 2) => sum_cells::<4, 2>(head, row_out),
                (8, 4) => sum_cells::<8, 4>(head, row_out),
                (4, 1) => sum_cells::<4, 1>(head, row_out),
                (8, 2) => sum_cells::<8, 2>(head, row_out),
                _ => {
                    for (c, o) in head.chunks_exact(self.cell).zip(row_out.iter_mut()) {
                        *o = c.iter().step_by(self.step).map(|&v| v as u32).sum::<u32>() as f32;
                    }
                }
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
    /// `a - b`, written to `dc`. No allocation after the first call.
    pub(crate) fn diff(&self, a: &[f32], b: &[f32], mad: &mut Vec<f32>, dc: &mut Vec<f32>) {
        self.block_diffs::<true>(a, b, mad, dc);
    }

    /// [`diff`](Self::diff) without the signed differences: only `mad`, the same values.
    pub(crate) fn diff_mad(&self, a: &[f32], b: &[f32], mad: &mut Vec<f32>) {
        self.block_diffs::<false>(a, b, mad, &mut Vec::new());
    }

    /// [`diff`](Self::diff); `dc` is neither sized nor touched unless `DC`.
    fn block_diffs<const DC: bool>(
        &self,
        a: &[f32],
        b: &[f32],
        mad: &mut Vec<f32>,
        dc: &mut Vec<f32>,
    ) {
        let n = self.blocks();
        let zeroed = |v: &mut Vec<f32>| {
            if v.len() != n {
                v.clear();
                v.resize(n, 0.0);
            }
            v.fill(0.0);
        };
        zeroed(mad);
        if DC {
            zeroed(dc);
        }
        for cy in 0..self.rows {
            let by = cy / self.block;
            let ra = &a[cy * self.cols..(cy + 1) * self.cols];
            let rb = &b[cy * self.cols..(cy + 1) * self.cols];
            let r = by * self.bcols..(by + 1) * self.bcols;
            let row_mad = &mut mad[r.clone()];
            let row_dc: &mut [f32] = if DC { &mut dc[r] } else { &mut [] };
            match self.block {
                4 => diff_cells::<4, DC>(ra, rb, row_mad, row_dc),
                2 => diff_cells::<2, DC>(ra, rb, row_mad, row_dc),
                _ => {
                    let blocks = ra.chunks(self.block).zip(rb.chunks(self.block));
                    for (k, (ca, cb)) in blocks.enumerate() {
                        add_diffs::<DC>(ca, cb, k, row_mad, row_dc);
                    }
                }
            }
        }
        for by in 0..self.brows {
            let h = (self.rows - by * self.block).min(self.block);
            for bx in 0..self.bcols {
                let w = (self.cols - bx * self.block).min(self.block);
                let i = by * self.bcols + bx;
                let c = (w * h) as f32;
                mad[i] /= c;
                if DC {
                    dc[i] /= c;
                }
            }
        }
    }
}

/// Adds `|a - b|` to `mad[k]` and, with `DC`, `a - b` to `dc[k]`, over the cells in order (the
/// same additions as cell by cell, so the sums match bit for bit).
#[inline]
fn add_diffs<const DC: bool>(a: &[f32], b: &[f32], k: usize, mad: &mut [f32], dc: &mut [f32]) {
    for (&x, &y) in a.iter().zip(b) {
        let d = x - y;
        mad[k] += d.abs();
        if DC {
            dc[k] += d;
        }
    }
}

/// [`add_diffs`] for one row of cells grouped `B` to a block (the last block may be partial).
#[inline]
fn diff_cells<const B: usize, const DC: bool>(
    a: &[f32],
    b: &[f32],
    mad: &mut [f32],
    dc: &mut [f32],
) {
    let full = a.len() / B;
    let (ah, at) = a.split_at(full * B);
    let (bh, bt) = b.split_at(full * B);
    for (k, (ca, cb)) in ah.chunks_exact(B).zip(bh.chunks_exact(B)).enumerate() {
        let (mut mm, mut ss) = (mad[k], if DC { dc[k] } else { 0.0 });
        for i in 0..B {
            let d = ca[i] - cb[i];
            mm += d.abs();
            ss += d;
        }
        mad[k] = mm;
        if DC {
            dc[k] = ss;
        }
    }
    if !at.is_empty() {
        add_diffs::<DC>(at, bt, full, mad, dc);
    }
}

/// Writes the sum of every `S`-th column sum of each `C`-column cell of `acc` to `out`.
#[inline]
fn sum_cells<const C: usize, const S: usize>(acc: &[u16], out: &mut [f32]) {
    for (c, o) in acc.chunks_exact(C).zip(out.iter_mut()) {
        let mut s = 0u32;
        let mut i = 0;
        while i < C {
            s += c[i] as u32;
            i += S;
        }
        *o = s as f32;
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
        let (mut ca, mut cb, mut acc) = (Vec::new(), Vec::new(), Vec::new());
        g.means(a.luma(), &mut ca, &mut acc);
        g.means(b.luma(), &mut cb, &mut acc);
        let (mut mad, mut dc) = (Vec::new(), Vec::new());
        g.diff(&cb, &ca, &mut mad, &mut dc);
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
                g.diff(&a, &b, &mut mad, &mut dc);
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
                g.diff_mad(&a, &b, &mut only);
                assert_eq!(only, mad, "{w}x{h} block {block}: diff_mad");
                assert_eq!(dc, d2, "{w}x{h} block {block}");
                assert!(m2.iter().any(|&v| v > 0.0));
            }
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
                let (mut fast, mut acc) = (Vec::new(), Vec::new());
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
}
