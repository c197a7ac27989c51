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

    /// The mean of every cell of `p`, written to `out` (resized once; no allocation after).
    pub(crate) fn means(&self, p: &Plane, out: &mut Vec<f32>) {
        let n = self.cells();
        if out.len() != n {
            out.clear();
            out.resize(n, 0.0);
        }
        for cy in 0..self.rows {
            let y0 = cy * self.cell;
            let y1 = (y0 + self.cell).min(self.height);
            let row_out = &mut out[cy * self.cols..(cy + 1) * self.cols];
            for (cx, o) in row_out.iter_mut().enumerate() {
                let x0 = cx * self.cell;
                let x1 = (x0 + self.cell).min(self.width);
                let (mut sum, mut count) = (0u32, 0u32);
                let mut y = y0;
                while y < y1 {
                    let r = &p.row(y)[x0..x1];
                    let mut x = 0;
                    while x < r.len() {
                        sum += r[x] as u32;
                        count += 1;
                        x += self.step;
                    }
                    y += self.step;
                }
                *o = sum as f32 / count.max(1) as f32;
            }
        }
    }

    /// For each block, the mean absolute difference of its cells between `a` and `b` (cell
    /// means from [`means`](Self::means)), written to `mad`, and the mean signed difference
    /// `a - b`, written to `dc`. No allocation after the first call.
    pub(crate) fn diff(&self, a: &[f32], b: &[f32], mad: &mut Vec<f32>, dc: &mut Vec<f32>) {
        let n = self.blocks();
        for v in [&mut *mad, &mut *dc] {
            if v.len() != n {
                v.clear();
                v.resize(n, 0.0);
            }
        }
        mad.iter_mut().for_each(|v| *v = 0.0);
        dc.iter_mut().for_each(|v| *v = 0.0);
        for cy in 0..self.rows {
            let by = cy / self.block;
            let ra = &a[cy * self.cols..(cy + 1) * self.cols];
            let rb = &b[cy * self.cols..(cy + 1) * self.cols];
            for (cx, (&x, &y)) in ra.iter().zip(rb).enumerate() {
                let i = by * self.bcols + cx / self.block;
                let d = x - y;
                mad[i] += d.abs();
                dc[i] += d;
            }
        }
        for by in 0..self.brows {
            let h = (self.rows - by * self.block).min(self.block);
            for bx in 0..self.bcols {
                let w = (self.cols - bx * self.block).min(self.block);
                let i = by * self.bcols + bx;
                let c = (w * h) as f32;
                mad[i] /= c;
                dc[i] /= c;
            }
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
        let (mut ca, mut cb) = (Vec::new(), Vec::new());
        g.means(a.luma(), &mut ca);
        g.means(b.luma(), &mut cb);
        let (mut mad, mut dc) = (Vec::new(), Vec::new());
        g.diff(&cb, &ca, &mut mad, &mut dc);
        assert_eq!(mad[0], 0.0);
        assert_eq!(mad[1], 4.0);
        assert_eq!(dc[1], 4.0);
        assert_eq!(max(&mad), 4.0);
        let mut s = Vec::new();
        assert_eq!(median(&[1.0, 5.0, 2.0], &mut s), 2.0);
    }
}
