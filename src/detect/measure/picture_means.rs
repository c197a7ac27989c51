//! The cell means `freeze` keeps of four pictures (the current one, the previous one, the
//! anchor of a candidate freeze and the origin of a picture being refined) and `stutter` of
//! two, and their block differences.
//!
//! With the default grids (`freeze`: 4-pixel cells read every 2nd pixel; `stutter`: 8-pixel
//! cells read every 4th) every cell mean is a whole number of quarters of a code value, so they are kept as `u16` quarters ([`CellGrid::in_quarters`]):
//! half the memory of `f32` means. That memory is what a picture's comparison reads besides the
//! picture itself (the previous picture's means, long out of the cache, about 0.5 MB at 1080p
//! as `f32`), and with every core decoding, each byte of it waits on memory. The differences
//! come out the same bit for bit ([`CellGrid::diff`]); other grids keep `f32` means.

use crate::detect::measure::cells::{CellGrid, CellValue, GridScratch};
use crate::detect::measure::median::contrast;
use crate::detect::measure::survey;
use crate::media::VideoFrame;

/// A held picture the current one is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Held {
    /// The first picture of a candidate freeze.
    Anchor,
    /// The picture a clear change brought, while the encoder refines it.
    Origin,
}

/// Cell means of the current, previous, anchor and origin pictures, in `f32` or in quarters.
#[derive(Debug)]
pub(crate) enum PictureMeans {
    /// Code values (any grid).
    Plain(Three<f32>),
    /// Quarters of a code value (a grid [`CellGrid::in_quarters`]).
    Quarters(Three<u16>),
}

/// The pictures' cell values.
#[derive(Debug, Default)]
pub(crate) struct Three<V> {
    cur: Vec<V>,
    prev: Vec<V>,
    anchor: Vec<V>,
    /// A picture kept apart from the anchor (`freeze`: the first coding of a picture the
    /// encoder may go on refining).
    origin: Vec<V>,
}

impl<V: CellValue> Three<V> {
    fn diff_prev(&self, grid: &CellGrid, mad: &mut Vec<f32>, acc: &mut GridScratch) {
        grid.diff_mad(&self.cur, &self.prev, mad, acc);
    }

    fn max_change_prev(&self) -> f32 {
        let most = self
            .cur
            .iter()
            .zip(&self.prev)
            .map(|(a, b)| (a.units() - b.units()).abs())
            .fold(0.0f32, f32::max);
        most / V::SCALE
    }

    fn diff_held(
        &self,
        held: Held,
        grid: &CellGrid,
        mad: &mut Vec<f32>,
        dc: &mut Vec<f32>,
        acc: &mut GridScratch,
    ) {
        let other = match held {
            Held::Anchor => &self.anchor,
            Held::Origin => &self.origin,
        };
        grid.diff(&self.cur, other, mad, dc, acc);
    }

    fn prev_to_origin(&mut self) {
        self.origin.clear();
        self.origin.extend_from_slice(&self.prev);
    }

    fn anchor_to_origin(&mut self) {
        self.origin.clear();
        self.origin.extend_from_slice(&self.anchor);
    }
}

impl Default for PictureMeans {
    fn default() -> Self {
        PictureMeans::Plain(Three::default())
    }
}

impl PictureMeans {
    /// Kept in the form `grid` allows (the earlier values are dropped when that changes).
    pub(crate) fn fit(&mut self, grid: &CellGrid) {
        match (grid.in_quarters(), &*self) {
            (true, PictureMeans::Plain(_)) => *self = PictureMeans::Quarters(Three::default()),
            (false, PictureMeans::Quarters(_)) => *self = PictureMeans::Plain(Three::default()),
            _ => {}
        }
    }

    /// Takes `frame`'s cell means on `grid` as the current picture's (from the thread's
    /// [`survey`] read of its rows). [`fit`](Self::fit) to `grid` first.
    pub(crate) fn measure(&mut self, frame: &VideoFrame, grid: &CellGrid) {
        match self {
            PictureMeans::Plain(t) => survey::means(frame, grid, &mut t.cur),
            PictureMeans::Quarters(t) => survey::quarters(frame, grid, &mut t.cur),
        }
    }

    /// [`CellGrid::diff_mad`] of the current picture against the previous one.
    pub(crate) fn diff_prev(&self, grid: &CellGrid, mad: &mut Vec<f32>, acc: &mut GridScratch) {
        match self {
            PictureMeans::Plain(t) => t.diff_prev(grid, mad, acc),
            PictureMeans::Quarters(t) => t.diff_prev(grid, mad, acc),
        }
    }

    /// The largest change of one cell's mean from the previous picture, in code values (an
    /// edge moving across a cell changes it by a good part of the edge's contrast; re-coding a
    /// held picture, by a few code values).
    pub(crate) fn max_change_prev(&self) -> f32 {
        match self {
            PictureMeans::Plain(t) => t.max_change_prev(),
            PictureMeans::Quarters(t) => t.max_change_prev(),
        }
    }

    /// [`CellGrid::diff`] of the current picture against the anchor or the origin (kept by
    /// [`prev_to_origin`](Self::prev_to_origin)).
    pub(crate) fn diff_held(
        &self,
        held: Held,
        grid: &CellGrid,
        mad: &mut Vec<f32>,
        dc: &mut Vec<f32>,
        acc: &mut GridScratch,
    ) {
        match self {
            PictureMeans::Plain(t) => t.diff_held(held, grid, mad, dc, acc),
            PictureMeans::Quarters(t) => t.diff_held(held, grid, mad, dc, acc),
        }
    }

    /// The previous picture's cell means are copied to the origin (a copy: the previous
    /// picture is still compared with the next one; no allocation once the origin has grown).
    pub(crate) fn prev_to_origin(&mut self) {
        match self {
            PictureMeans::Plain(t) => t.prev_to_origin(),
            PictureMeans::Quarters(t) => t.prev_to_origin(),
        }
    }

    /// The anchor's cell means are copied to the origin (as
    /// [`prev_to_origin`](Self::prev_to_origin)).
    pub(crate) fn anchor_to_origin(&mut self) {
        match self {
            PictureMeans::Plain(t) => t.anchor_to_origin(),
            PictureMeans::Quarters(t) => t.anchor_to_origin(),
        }
    }

    /// The spatial contrast of the current picture ([`contrast`]).
    pub(crate) fn contrast(&self) -> f32 {
        match self {
            PictureMeans::Plain(t) => contrast(&t.cur),
            PictureMeans::Quarters(t) => contrast(&t.cur),
        }
    }

    /// The current picture becomes the previous one (a swap, no copy).
    pub(crate) fn cur_to_prev(&mut self) {
        match self {
            PictureMeans::Plain(t) => std::mem::swap(&mut t.prev, &mut t.cur),
            PictureMeans::Quarters(t) => std::mem::swap(&mut t.prev, &mut t.cur),
        }
    }

    /// The previous picture becomes the anchor (a swap, no copy).
    pub(crate) fn prev_to_anchor(&mut self) {
        match self {
            PictureMeans::Plain(t) => std::mem::swap(&mut t.anchor, &mut t.prev),
            PictureMeans::Quarters(t) => std::mem::swap(&mut t.anchor, &mut t.prev),
        }
    }
}

#[cfg(test)]
#[path = "picture_means_tests.rs"]
mod tests;
