//! Lip sync without a model: the part of the picture whose luma follows the speech, against the
//! speech envelope.
//!
//! Pictures: the coarse luma grid the content check reads (every 8th pixel of every 8th row) is
//! summed into cells (at most 32 columns); each picture's cell means go into a ring of
//! [`PICTURES`] pictures, with the picture's time and its *shot* (a new shot starts at a picture
//! whose mean change over the grid is at least [`cut_jump`](super::SyncConfig::cut_jump)).
//! Sound: the channels' mean, band-passed to 300–3000 Hz, squared and summed over 10 ms hops
//! (a ring of [`HOPS`] hops). Every [`STEP_SECS`] seconds the analysis (`lipcorr.rs`) runs on
//! the last [`lipsync_window`](super::SyncConfig::lipsync_window) seconds: the cells' luma,
//! high-passed within each shot, is correlated with the 40 ms speech level (dB, high-passed) at
//! every lag within [`search_range`](super::SyncConfig::search_range); the cells that follow the
//! speech best give the lag of the peak, with a confidence. Nothing is computed per sample or per
//! picture beyond the band-pass, the hop sums and the cell sums.

use crate::detect::measure::lowpass::BandPass;

/// Pictures kept (30 s at 25 fps, 12.8 s at 60 fps).
pub(super) const PICTURES: usize = 768;
/// Most cell columns.
pub(super) const MAX_COLS: usize = 32;
/// Audio hop, seconds.
pub(super) const HOP_SECS: f64 = 0.01;
/// Audio hops kept (a power of two; 40.96 s).
pub(super) const HOPS: usize = 4096;
/// Seconds of pictures between two analyses.
pub(super) const STEP_SECS: f64 = 5.0;
/// Fewest seconds of pictures an analysis needs.
pub(super) const MIN_SECS: f64 = 8.0;
/// Two confident windows agree when their lags are this close, ms.
pub(super) const AGREE_MS: f64 = 20.0;

/// Lip-sync state: rings allocated on the first picture of a size, reused after.
#[derive(Debug, Default)]
pub(super) struct LipState {
    /// Grid samples per cell side, cell columns and rows, grid dimensions.
    pub(super) cell: usize,
    pub(super) cols: usize,
    pub(super) rows: usize,
    pub(super) grid_dims: (usize, usize),
    /// Cell sums of the current picture.
    pub(super) acc: Vec<u32>,
    /// Column sums of one row of cells (`grid_dims.0` long once sized).
    pub(super) col_sums: Vec<u32>,
    /// Cell means × 64, `PICTURES` pictures of `cols * rows` cells, by absolute picture index.
    pub(super) means: Vec<u16>,
    pub(super) times: Vec<f64>,
    pub(super) shots: Vec<u32>,
    /// Pictures taken since the reset.
    pub(super) pictures: usize,
    pub(super) shot: u32,
    /// Sound.
    pub(super) band: BandPass,
    pub(super) rate: u32,
    pub(super) hop_len: usize,
    pub(super) run_start: i64,
    pub(super) next_tick: Option<i64>,
    pub(super) energy: f64,
    pub(super) in_hop: usize,
    /// Hop energies (mean square) by absolute hop index, `HOPS` deep.
    pub(super) hops: Vec<f32>,
    pub(super) hops_done: i64,
    /// Analysis.
    pub(super) next_at: f64,
    pub(super) scratch: Scratch,
    pub(super) last: Option<Analysis>,
    pub(super) window_start: Option<f64>,
    /// The latest confident estimate (ms) and its confidence.
    pub(super) estimate: Option<(f64, f64)>,
}

impl LipState {
    /// Forgets the history that cannot be compared across a discontinuity.
    pub(super) fn reset(&mut self) {
        self.pictures = 0;
        self.grid_dims = (0, 0);
        self.next_tick = None;
        self.hops_done = 0;
        self.energy = 0.0;
        self.in_hop = 0;
        self.last = None;
        self.next_at = 0.0;
    }

    /// Cells in a picture.
    pub(super) fn cells(&self) -> usize {
        self.cols * self.rows
    }

    /// Start time of absolute hop `k`, seconds.
    pub(super) fn hop_time(&self, k: i64) -> f64 {
        (self.run_start + k * self.hop_len as i64) as f64 / f64::from(self.rate.max(1))
    }

    /// Hop length, seconds.
    pub(super) fn hop_secs(&self) -> f64 {
        self.hop_len as f64 / f64::from(self.rate.max(1))
    }

    /// One picture's grid (`dims` samples) at `t`; `cut` when it starts a new shot.
    pub(super) fn picture(&mut self, t: f64, grid: &[u8], dims: (usize, usize), cut: bool) {
        if dims != self.grid_dims || grid.len() != dims.0 * dims.1 {
            self.grid_dims = dims;
            self.cell = dims.0.div_ceil(MAX_COLS).max(1);
            self.cols = dims.0.div_ceil(self.cell);
            self.rows = dims.1.div_ceil(self.cell);
            let n = self.cols * self.rows;
            self.acc.clear();
            self.acc.resize(n, 0);
            self.means.clear();
            self.means.resize(n * PICTURES, 0);
            self.times.clear();
            self.times.resize(PICTURES, 0.0);
            self.shots.clear();
            self.shots.resize(PICTURES, 0);
            self.pictures = 0;
            self.shot += 1;
        }
        if dims.0 == 0 || dims.1 == 0 {
            return;
        }
        if cut {
            self.shot += 1;
        }
        let (w, cell, cols) = (dims.0, self.cell, self.cols);
        // Per row of cells: its grid rows added column by column (whole rows, which the
        // compiler vectorises), then each cell's columns: the same integer sums as cell by cell.
        self.acc.fill(0);
        self.col_sums.resize(w, 0);
        for (band, rows) in grid.chunks(w * cell).enumerate() {
            let Some(out) = self.acc.get_mut(band * cols..(band + 1) * cols) else {
                break;
            };
            self.col_sums.fill(0);
            for line in rows.chunks(w) {
                for (s, &x) in self.col_sums.iter_mut().zip(line) {
                    *s += u32::from(x);
                }
            }
            for (a, chunk) in out.iter_mut().zip(self.col_sums.chunks(cell)) {
                *a = chunk.iter().sum::<u32>();
            }
        }
        let slot = self.pictures % PICTURES;
        let n = self.cells();
        let (rows, h) = (self.rows, dims.1);
        let dst = &mut self.means[slot * n..(slot + 1) * n];
        for (i, (d, &s)) in dst.iter_mut().zip(&self.acc).enumerate() {
            let (r, c) = (i / cols, i % cols);
            let ch = if r + 1 == rows { h - r * cell } else { cell };
            let cw = if c + 1 == cols { w - c * cell } else { cell };
            let count = (ch * cw).max(1) as u32;
            *d = ((s * 64 + count / 2) / count) as u16;
        }
        self.times[slot] = t;
        self.shots[slot] = self.shot;
        self.pictures += 1;
    }
}

/// One window's result.
#[derive(Clone, Copy, Debug)]
pub(super) struct Analysis {
    /// Lag of the peak, ms (positive = audio late).
    pub(super) lag_ms: f64,
    /// Height of the peak (mean correlation of the best cells).
    pub(super) peak: f64,
    /// Height of the next peak at least `APART_MS` away (0 when none).
    pub(super) second: f64,
    /// Times of the window's first and last picture, seconds.
    pub(super) start: f64,
    pub(super) end: f64,
}

/// Buffers of the analysis (grown once, reused).
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) pics: Vec<usize>,
    pub(super) shots: Vec<u32>,
    pub(super) cell_hp: Vec<f64>,
    pub(super) valid: Vec<bool>,
    pub(super) v: Vec<f64>,
    pub(super) x: Vec<f32>,
    pub(super) xx: Vec<f64>,
    pub(super) rank: Vec<(f64, usize)>,
    pub(super) level: Vec<f32>,
    pub(super) hp: Vec<f32>,
    pub(super) sums: Vec<f64>,
    pub(super) a: Vec<f32>,
    pub(super) r: Vec<f32>,
    pub(super) best: Vec<(f32, usize, f32, usize)>,
    pub(super) curve: Vec<f64>,
}
