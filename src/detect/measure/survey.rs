//! One read of a picture's luma rows for all the detectors on a thread that sample them.
//!
//! `freeze` and `stutter` take cell means (every 2nd and every 4th row; `out_of_range` takes
//! `stutter`'s), `sync` a mean (every 4th row) and a coarse grid (every 8th). The picture was
//! decoded a few pictures earlier and has mostly left the core's caches, so each of those
//! passes, run one after the other, waits on memory again for the same rows.
//!
//! Here the first detector on a thread to ask for a measure of a picture gets, from the same
//! read of the rows, every measure asked for on that thread over the last few pictures; the
//! others then take theirs ready-made. Rows are read a band of [`BAND`] at a time: within a
//! band, each measure's code runs over the rows the first one brought into the cache. A measure
//! is always computed by the same code over the same samples (integer sums), so it is the same
//! bit for bit whether it came with others or alone; one nobody asked for lately is not
//! computed. Pictures are told apart by their identity (`VideoFrame::id`), not by their time.
//! A measure two detectors ask for (`stutter`'s cell means, which `out_of_range` reads too) is
//! computed once per picture: once a second asker was seen, the value stays and each gets a
//! copy.
//!
//! State is per thread (a detector thread, the decoder thread, or a `Monitor` worker): no
//! lock, and nothing is shared across threads. Buffers are swapped with the detectors' own (or
//! copied into them, for a shared measure), so after the first pictures nothing is allocated.

use std::cell::RefCell;

use crate::detect::measure::cells::{sum_every_4th, CellGrid, CellValue, GridScratch};
use crate::media::{Plane, VideoFrame};

/// Rows per band: every cell size that shares a read divides it.
const BAND: usize = 8;
/// A measure is computed with the others while it was asked for in one of the last this many
/// reads (a stream whose detectors skip a picture, or two streams sharing a worker thread,
/// keep theirs).
const RECENT: u64 = 3;
/// At most this many kinds of measure are kept per thread (the oldest goes first).
const MAX_SLOTS: usize = 16;
/// Pixel step (rows and columns) of [`grid8`].
pub(crate) const GRID_STEP: usize = 8;

/// A measure of a luma plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    /// Cell means ([`CellGrid::means`]) of `cell`-pixel cells read every `step` pixels.
    Means { cell: usize, step: usize },
    /// The same in quarters of a code value (`u16`, for a grid [`CellGrid::in_quarters`]).
    Quarters { cell: usize, step: usize },
    /// Sum and count of every 4th pixel of every 4th row.
    Sum4,
    /// Every [`GRID_STEP`]th pixel of every [`GRID_STEP`]th row.
    Grid8,
}

impl Ask {
    /// True when the measure reads row `y`.
    fn reads(&self, y: usize) -> bool {
        match *self {
            Ask::Means { cell, step } | Ask::Quarters { cell, step } => {
                (y % cell).is_multiple_of(step)
            }
            Ask::Sum4 => y.is_multiple_of(4),
            Ask::Grid8 => y.is_multiple_of(GRID_STEP),
        }
    }

    /// True when the measure can share a read in bands of [`BAND`] rows.
    fn bands(&self) -> bool {
        match *self {
            Ask::Means { cell, .. } | Ask::Quarters { cell, .. } => BAND.is_multiple_of(cell),
            _ => true,
        }
    }
}

/// A measure's value (or the buffer it will be written to).
#[derive(Debug)]
enum Answer {
    Means(Vec<f32>),
    Quarters(Vec<u16>),
    Counts(u64, u64),
    Grid(Vec<u8>),
}

#[derive(Debug)]
struct Slot {
    ask: Ask,
    /// The read in which the measure was last asked for.
    asked: u64,
    /// The picture whose value `answer` holds, not yet taken (0: none).
    ready: u64,
    /// The picture of the last computed value (taken or not).
    measured: u64,
    /// Asked for by more than one detector per picture (seen once): the value is then copied
    /// out and stays for the others, instead of being swapped out to the first.
    shared: bool,
    answer: Answer,
    /// The grid of the picture being measured, and its column sums (for `Means`).
    grid: Option<CellGrid>,
    scratch: GridScratch,
    /// Part of the current read.
    active: bool,
}

#[derive(Debug, Default)]
struct Survey {
    /// Reads done so far on this thread.
    reads: u64,
    /// The picture of the last read.
    frame: u64,
    /// Passes over rows (a read, or a measure on its own).
    passes: u64,
    slots: Vec<Slot>,
}

thread_local! {
    static SURVEY: RefCell<Survey> = RefCell::new(Survey::default());
}

/// Runs `take` on the answer to `ask` about `frame`'s luma, computed now (with the other
/// recent measures when this is the picture's first) or earlier in this picture's read.
/// `take`'s flag is true when the value must stay in the slot (copied, not swapped out); with
/// `borrow`, `take` only reads it, and it stays for the next asker.
fn serve<R>(
    frame: &VideoFrame,
    ask: Ask,
    borrow: bool,
    take: impl FnOnce(&mut Answer, bool) -> R,
) -> R {
    SURVEY.with(|s| s.borrow_mut().serve(frame, ask, borrow, take))
}

impl Survey {
    fn serve<R>(
        &mut self,
        frame: &VideoFrame,
        ask: Ask,
        borrow: bool,
        take: impl FnOnce(&mut Answer, bool) -> R,
    ) -> R {
        let id = frame.id();
        let i = self.slot(ask);
        let slot = &mut self.slots[i];
        if slot.ready == id {
            // Measured in this picture's read: taken once, or copied while shared.
            if !slot.shared && !borrow {
                slot.ready = 0;
            }
            slot.asked = self.reads;
            return take(&mut slot.answer, slot.shared);
        }
        if slot.measured == id {
            // A second detector asks for a value another took: from now on it is shared.
            slot.shared = true;
        }
        self.slots.iter_mut().for_each(|s| s.active = false);
        if self.frame != id {
            // The picture's first measure: every recent one comes along.
            self.reads += 1;
            self.frame = id;
            let reads = self.reads;
            for s in &mut self.slots {
                s.active = reads - s.asked <= RECENT;
            }
        }
        // (Otherwise a measure the read did not include, or asked for twice: on its own.)
        self.slots[i].active = true;
        self.slots[i].asked = self.reads;
        self.passes += 1;
        read(frame.luma(), &mut self.slots);
        for s in self.slots.iter_mut().filter(|s| s.active) {
            s.ready = id;
            s.measured = id;
        }
        let slot = &mut self.slots[i];
        if !slot.shared && !borrow {
            slot.ready = 0;
        }
        take(&mut slot.answer, slot.shared)
    }

    /// The slot for `ask`, made when new (replacing the least recently asked when full).
    fn slot(&mut self, ask: Ask) -> usize {
        if let Some(i) = self.slots.iter().position(|s| s.ask == ask) {
            return i;
        }
        let slot = Slot {
            ask,
            asked: self.reads,
            ready: 0,
            measured: 0,
            shared: false,
            answer: match ask {
                Ask::Means { .. } => Answer::Means(Vec::new()),
                Ask::Quarters { .. } => Answer::Quarters(Vec::new()),
                Ask::Grid8 => Answer::Grid(Vec::new()),
                Ask::Sum4 => Answer::Counts(0, 0),
            },
            grid: None,
            scratch: GridScratch::default(),
            active: false,
        };
        if self.slots.len() < MAX_SLOTS {
            self.slots.push(slot);
            return self.slots.len() - 1;
        }
        let oldest = (0..self.slots.len())
            .min_by_key(|&i| self.slots[i].asked)
            .unwrap_or(0);
        self.slots[oldest] = slot;
        oldest
    }
}

/// Computes every active slot's measure of `p`: those that share bands row band by row band
/// (the cell means with the finest rows first, so later ones find the rows in the cache),
/// any other on its own.
fn read(p: &Plane, slots: &mut [Slot]) {
    let (w, h) = (p.width(), p.height());
    for s in slots.iter_mut().filter(|s| s.active) {
        s.begin(w, h);
        if !s.ask.bands() {
            s.rows(p, 0, h);
        }
    }
    // Banded slots in the order they run within a band (no allocation: at most MAX_SLOTS).
    let mut order = [0usize; MAX_SLOTS];
    let mut n = 0;
    for (i, s) in slots.iter().enumerate() {
        if s.active && s.ask.bands() {
            order[n] = i;
            n += 1;
        }
    }
    let density = |s: &Slot| match s.ask {
        Ask::Means { step, .. } | Ask::Quarters { step, .. } => step,
        _ => usize::MAX,
    };
    order[..n].sort_unstable_by_key(|&i| density(&slots[i]));
    // Cell means fetch their rows ahead themselves, and in the default configurations the
    // other measures read a subset of those rows; without cell means, the others' rows are
    // fetched two bands ahead here.
    let fetch = !order[..n]
        .iter()
        .any(|&i| matches!(slots[i].ask, Ask::Means { .. } | Ask::Quarters { .. }));
    let mut y = 0;
    while y < h {
        let end = (y + BAND).min(h);
        if fetch {
            for ahead in (y + 2 * BAND)..(end + 2 * BAND).min(h) {
                if order[..n].iter().any(|&i| slots[i].ask.reads(ahead)) {
                    p.prefetch_row(ahead);
                }
            }
        }
        for &i in &order[..n] {
            slots[i].rows(p, y, end);
        }
        y = end;
    }
}

impl Slot {
    /// Prepares the answer for a `w`×`h` plane (sized once; no allocation after).
    fn begin(&mut self, w: usize, h: usize) {
        match (&self.ask, &mut self.answer) {
            (&Ask::Means { cell, step }, Answer::Means(out)) => {
                let g = CellGrid::new(w, h, cell, step, 1);
                self.grid = Some(g);
                g.size_means(out);
            }
            (&Ask::Quarters { cell, step }, Answer::Quarters(out)) => {
                let g = CellGrid::new(w, h, cell, step, 1);
                self.grid = Some(g);
                g.size_means(out);
            }
            (Ask::Grid8, Answer::Grid(g)) => {
                let n = w.div_ceil(GRID_STEP) * h.div_ceil(GRID_STEP);
                if g.len() != n {
                    g.clear();
                    g.resize(n, 0);
                }
            }
            (_, Answer::Counts(a, b)) => (*a, *b) = (0, 0),
            _ => {}
        }
    }

    /// The measure over rows `y0..y1` of `p` (for cell means, `y0` and `y1` fall on cell
    /// boundaries or at the bottom).
    fn rows(&mut self, p: &Plane, y0: usize, y1: usize) {
        match (self.ask, &mut self.answer) {
            (Ask::Means { cell, .. }, Answer::Means(out)) => {
                cell_rows(self.grid, p, out, &mut self.scratch, cell, y0, y1);
            }
            (Ask::Quarters { cell, .. }, Answer::Quarters(out)) => {
                cell_rows(self.grid, p, out, &mut self.scratch, cell, y0, y1);
            }
            (Ask::Grid8, Answer::Grid(grid)) => {
                let gw = p.width().div_ceil(GRID_STEP);
                for y in (y0.next_multiple_of(GRID_STEP)..y1).step_by(GRID_STEP) {
                    let gy = y / GRID_STEP;
                    let cells = &mut grid[gy * gw..(gy + 1) * gw];
                    for (c, &v) in cells.iter_mut().zip(p.row(y).iter().step_by(GRID_STEP)) {
                        *c = v;
                    }
                }
            }
            (Ask::Sum4, Answer::Counts(sum, n)) => {
                for y in (y0.next_multiple_of(4)..y1).step_by(4) {
                    let row = p.row(y);
                    *sum += sum_every_4th(row);
                    *n += row.len().div_ceil(4) as u64;
                }
            }
            _ => {}
        }
    }
}

/// Cell values of the cells over rows `y0..y1` of `p` (on cell boundaries, or at the bottom).
fn cell_rows<V: CellValue>(
    grid: Option<CellGrid>,
    p: &Plane,
    out: &mut [V],
    scratch: &mut GridScratch,
    cell: usize,
    y0: usize,
    y1: usize,
) {
    if let Some(g) = grid {
        let end = if y1 == p.height() {
            g.cell_rows()
        } else {
            y1 / cell
        };
        g.means_rows(p, out, scratch, y0 / cell..end);
    }
}

/// Samples outside `lo..=hi` and samples read, of the rows among `rows` that are every
/// `step`th from `step / 2`, whole (`out_of_range` counts chroma with it; not a shared measure).
/// With `fetch`, each row is asked for two sampled rows ahead (for a plane nothing else
/// reads, whose rows are not in the cache).
pub(crate) fn outside_rows(
    p: &Plane,
    rows: std::ops::Range<usize>,
    step: usize,
    (lo, hi): (u8, u8),
    fetch: bool,
) -> (u64, u64) {
    let first = step / 2;
    let start = first + rows.start.saturating_sub(first).div_ceil(step) * step;
    let end = rows.end.min(p.height());
    if fetch {
        p.prefetch_row(start + step);
    }
    let (mut bad, mut n) = (0u64, 0u64);
    for y in (start..end).step_by(step) {
        if fetch && y + 2 * step < end {
            p.prefetch_row(y + 2 * step);
        }
        let row = p.row(y);
        bad += outside(row, lo, hi);
        n += row.len() as u64;
    }
    (bad, n)
}

/// Samples of `row` outside `lo..=hi`, counted branch-free in u8 lanes (chunks of 255 cannot
/// overflow them): vectorises to a register of bytes per instruction.
fn outside(row: &[u8], lo: u8, hi: u8) -> u64 {
    let span = hi.wrapping_sub(lo);
    row.chunks(255)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u8, |a, &v| a + (v.wrapping_sub(lo) > span) as u8) as u64
        })
        .sum()
}

/// [`CellGrid::means`] of `frame`'s luma into `out` (`grid` made for it).
pub(crate) fn means(frame: &VideoFrame, grid: &CellGrid, out: &mut Vec<f32>) {
    let ask = Ask::Means {
        cell: grid.cell(),
        step: grid.step(),
    };
    serve(frame, ask, false, |a, keep| {
        if let Answer::Means(v) = a {
            if keep {
                out.clone_from(v);
            } else {
                std::mem::swap(v, out);
            }
        }
    })
}

/// [`means`] in quarters of a code value, into `out` (`grid` made for it and
/// [`CellGrid::in_quarters`]): half the memory of `f32` means, the same values times 4.
pub(crate) fn quarters(frame: &VideoFrame, grid: &CellGrid, out: &mut Vec<u16>) {
    let ask = Ask::Quarters {
        cell: grid.cell(),
        step: grid.step(),
    };
    serve(frame, ask, false, |a, keep| {
        if let Answer::Quarters(v) = a {
            if keep {
                out.clone_from(v);
            } else {
                std::mem::swap(v, out);
            }
        }
    })
}

/// Runs `read` on [`CellGrid::means`] of `frame`'s luma (`grid` made for it) where they lie,
/// without taking them: a detector that only reads the means leaves them for the one that
/// takes them (no copy when it asks first).
pub(crate) fn with_means<R>(
    frame: &VideoFrame,
    grid: &CellGrid,
    read: impl FnOnce(&[f32]) -> R,
) -> R {
    let ask = Ask::Means {
        cell: grid.cell(),
        step: grid.step(),
    };
    serve(frame, ask, true, |a, _| match a {
        Answer::Means(v) => read(v),
        _ => read(&[]),
    })
}

/// [`with_means`] in quarters of a code value ([`quarters`]).
pub(crate) fn with_quarters<R>(
    frame: &VideoFrame,
    grid: &CellGrid,
    read: impl FnOnce(&[u16]) -> R,
) -> R {
    let ask = Ask::Quarters {
        cell: grid.cell(),
        step: grid.step(),
    };
    serve(frame, ask, true, |a, _| match a {
        Answer::Quarters(v) => read(v),
        _ => read(&[]),
    })
}

/// Sum and count of every 4th pixel of every 4th row of `frame`'s luma.
pub(crate) fn sum4(frame: &VideoFrame) -> (u64, u64) {
    serve(frame, Ask::Sum4, false, |a, _| match *a {
        Answer::Counts(s, n) => (s, n),
        _ => (0, 0),
    })
}

/// Every [`GRID_STEP`]th pixel of every [`GRID_STEP`]th row of `frame`'s luma, row by row,
/// into `out` (`width.div_ceil(8)` by `height.div_ceil(8)`).
pub(crate) fn grid8(frame: &VideoFrame, out: &mut Vec<u8>) {
    serve(frame, Ask::Grid8, false, |a, keep| {
        if let Answer::Grid(g) = a {
            if keep {
                out.clone_from(g);
            } else {
                std::mem::swap(g, out);
            }
        }
    })
}

#[cfg(test)]
#[path = "survey_tests.rs"]
mod tests;
