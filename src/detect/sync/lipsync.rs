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
use crate::detect::Events;
use crate::media::{AudioFrame, MediaTime, Rational};

use super::lipcorr::{self, Analysis, Scratch};
use super::AvSync;

/// Pictures kept (30 s at 25 fps, 12.8 s at 60 fps).
pub(super) const PICTURES: usize = 768;
/// Most cell columns.
const MAX_COLS: usize = 32;
/// Audio hop, seconds.
pub(super) const HOP_SECS: f64 = 0.01;
/// Audio hops kept (a power of two; 40.96 s).
pub(super) const HOPS: usize = 4096;
/// Seconds of pictures between two analyses.
const STEP_SECS: f64 = 5.0;
/// Fewest seconds of pictures an analysis needs.
pub(super) const MIN_SECS: f64 = 8.0;
/// Two confident windows agree when their lags are this close, ms.
const AGREE_MS: f64 = 20.0;

/// Lip-sync state: rings allocated on the first picture of a size, reused after.
#[derive(Debug, Default)]
pub(super) struct LipState {
    /// Grid samples per cell side, cell columns and rows, grid dimensions.
    cell: usize,
    cols: usize,
    rows: usize,
    grid_dims: (usize, usize),
    /// Cell sums of the current picture.
    acc: Vec<u32>,
    /// Cell means × 64, `PICTURES` pictures of `cols * rows` cells, by absolute picture index.
    pub(super) means: Vec<u16>,
    pub(super) times: Vec<f64>,
    pub(super) shots: Vec<u32>,
    /// Pictures taken since the reset.
    pub(super) pictures: usize,
    shot: u32,
    /// Sound.
    band: BandPass,
    pub(super) rate: u32,
    hop_len: usize,
    run_start: i64,
    next_tick: Option<i64>,
    energy: f64,
    in_hop: usize,
    /// Hop energies (mean square) by absolute hop index, `HOPS` deep.
    pub(super) hops: Vec<f32>,
    pub(super) hops_done: i64,
    /// Analysis.
    next_at: f64,
    pub(super) scratch: Scratch,
    last: Option<Analysis>,
    window_start: Option<f64>,
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
        self.acc.fill(0);
        let (w, cell, cols) = (dims.0, self.cell, self.cols);
        for (r, row) in grid.chunks(w).enumerate() {
            let base = (r / cell) * cols;
            for (c, chunk) in row.chunks(cell).enumerate() {
                self.acc[base + c] += chunk.iter().map(|&x| u32::from(x)).sum::<u32>();
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

impl AvSync {
    /// One audio frame into 10 ms hop energies of the speech band.
    pub(super) fn lipsync_audio(&mut self, f: &AudioFrame) {
        let rate = f.rate();
        if rate < 8_000 {
            return;
        }
        let tick = f.time().rescale(Rational::new(1, rate as i32)).ticks();
        let s = &mut self.lip;
        if s.hops.len() != HOPS {
            s.hops = vec![0.0; HOPS];
        }
        if s.rate != rate
            || s.next_tick
                .is_none_or(|n| (tick - n).abs() > (rate / 500).max(1) as i64)
        {
            s.rate = rate;
            s.band = BandPass::new(f64::from(rate), 300.0, 3000.0);
            s.hop_len = ((f64::from(rate) * HOP_SECS).round() as usize).max(1);
            s.run_start = tick;
            s.hops_done = 0;
            s.energy = 0.0;
            s.in_hop = 0;
        }
        let n = f.samples_per_channel();
        s.next_tick = Some(s.next_tick.map_or(tick, |x| x.max(tick)) + n as i64);
        let chans = f.channels();
        if chans == 0 {
            return;
        }
        let scale = 1.0 / chans as f64;
        for i in 0..n {
            let mut x = 0f64;
            for ch in 0..chans {
                let v = f64::from(f.channel(ch)[i]);
                if v.is_finite() {
                    x += v;
                }
            }
            let y = s.band.run(x * scale);
            s.energy += y * y;
            s.in_hop += 1;
            if s.in_hop == s.hop_len {
                let k = s.hops_done;
                s.hops[(k as usize) & (HOPS - 1)] = (s.energy / s.hop_len as f64) as f32;
                s.hops_done += 1;
                s.energy = 0.0;
                s.in_hop = 0;
            }
        }
    }

    /// Runs the analysis when it is due and the sound has passed the pictures' search range.
    pub(super) fn lipsync_check(&mut self, out: &mut Events, at_end: bool) {
        let s = &self.lip;
        if s.pictures == 0 || s.rate == 0 || s.hops_done == 0 {
            return;
        }
        let newest = s.times[(s.pictures - 1) % PICTURES];
        let range = self.cfg.search_range;
        // the analysis takes the pictures whose search range the sound held covers
        if newest < s.next_at && !at_end {
            return;
        }
        let window = self.cfg.lipsync_window;
        let s = &mut self.lip;
        let Some(a) = lipcorr::analyse(s, window, range) else {
            // too little yet: try again in half a second
            s.next_at = newest + 0.5;
            return;
        };
        s.next_at = newest + STEP_SECS;
        let confident = a.peak >= self.cfg.lipsync_min_corr && a.second <= 0.75 * a.peak;
        let last = if confident {
            s.last.replace(a)
        } else {
            s.last.take()
        };
        if !confident {
            return;
        }
        let conf = (a.peak * (1.0 - a.second / a.peak)).clamp(0.0, 1.0);
        let at = MediaTime::from_secs_f64(a.end);
        out.metric("lipsync_offset_ms", (a.lag_ms * 10.0).round() / 10.0, at);
        out.metric("lipsync_confidence", (conf * 100.0).round() / 100.0, at);
        let start = *s.window_start.get_or_insert(a.start);
        let Some(prev) = last.filter(|p| (p.lag_ms - a.lag_ms).abs() <= AGREE_MS) else {
            return;
        };
        let est = 0.5 * (prev.lag_ms + a.lag_ms);
        self.lip.estimate = Some((est, conf));
        let bad = self.beyond(est);
        let emitted = MediaTime::from_secs_f64(a.end);
        self.lip_alarm.observe(
            bad,
            MediaTime::from_secs_f64(start),
            emitted,
            (est, Some(conf)),
            "lipsync",
            out,
        );
        if !bad {
            self.lip.window_start = None;
        }
    }
}
