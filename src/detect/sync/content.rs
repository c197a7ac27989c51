//! Content sync: picture cuts matched with audio splices on ordinary program material.
//!
//! Video events are *cuts*: pictures whose mean absolute luma change from the previous picture
//! is at least [`cut_jump`](super::SyncConfig::cut_jump) and at least 4 times the median change
//! of the three pictures either side (so fast motion is not a cut). Audio events are *splices*:
//! 2.5 ms blocks whose level sits at least [`splice_depth_db`](super::SyncConfig::splice_depth_db)
//! under both of their neighbourhoods (the 15 ms before and after), the short notch that an edit
//! with a fade leaves in continuous sound. Each cut takes the deepest splice within
//! [`search_range`](super::SyncConfig::search_range) of it, when that notch is the only one
//! there (no other reaches the depth, and the deepest other is 8 dB shallower: speech has a
//! notch at every stop consonant, and a cut of unrelated footage would match one at random);
//! its offset is splice − cut (the
//! notch's centre refined between blocks). The estimate is the median of the matched cuts of the
//! last [`content_window`](super::SyncConfig::content_window) seconds, its confidence the share
//! of them within 10 ms of it.

// GRID_STEP: the pixel step (rows and columns) of the motion grid.
use crate::detect::measure::survey::{self, GRID_STEP};
use crate::detect::Events;
use crate::media::{AudioFrame, MediaTime, VideoFrame};

use super::ring::TimeRing;
use super::AvSync;

/// Audio block length, seconds.
const BLOCK_SECS: f64 = 0.0025;
/// Audio blocks kept (a power of two; 5.12 s at 2.5 ms).
const BLOCKS: usize = 2048;
/// Blocks either side of a splice that form its neighbourhood.
const SIDE: i64 = 6;
/// Pictures either side of a cut whose median change it must exceed 4 times.
const CUT_SIDE: usize = 3;
/// A cut's change must be this many times the median of its neighbours'.
const CUT_RATIO: f64 = 4.0;
/// A splice is only taken when no other notch (a local maximum of depth more than
/// `UNIQUE_BLOCKS` blocks away) within the search range reaches `splice_depth_db`, and the
/// deepest other one is this many dB shallower. An edit's notch in continuous sound stands
/// alone (the film edits of the test material: 19–22 dB, the next 7–8 dB); speech has a notch at
/// every stop consonant (18–25 dB, several a second), which a cut of unrelated footage would
/// otherwise match at random.
const UNIQUE_DB: f64 = 8.0;
/// Blocks (20 ms) around the deepest notch that belong to it.
const UNIQUE_BLOCKS: i64 = 8;
/// Matched cuts kept at most.
const MAX_MATCHES: usize = 64;

/// Content-sync state (allocated once, reused for every frame).
#[derive(Clone, Debug)]
pub(super) struct ContentState {
    /// The previous picture's luma, every `GRID_STEP`th pixel of every `GRID_STEP`th row.
    grid: Vec<u8>,
    /// The picture before's (swapped with `grid` for each picture: nothing is copied).
    next: Vec<u8>,
    grid_dims: (usize, usize),
    /// The last `2 * CUT_SIDE + 1` pictures' (time, change), oldest first.
    changes: [(f64, f64); 2 * CUT_SIDE + 1],
    n_changes: usize,
    /// Cuts waiting for audio to pass `cut + search_range`.
    cuts: TimeRing,
    /// Block levels (dB) by absolute block index, `BLOCKS` deep.
    levels: Vec<f32>,
    rate: u32,
    /// Tick of block 0 of this run of contiguous audio, and the next expected tick.
    run_start: i64,
    next_tick: Option<i64>,
    block_len: usize,
    acc: f64,
    acc_n: usize,
    /// Blocks completed in this run.
    blocks_done: i64,
    /// Matched cuts in the window: times and offsets (ms).
    match_times: TimeRing,
    match_offsets: TimeRing,
    scratch: Vec<f64>,
    window_start: Option<MediaTime>,
}

impl Default for ContentState {
    fn default() -> Self {
        ContentState {
            grid: Vec::new(),
            next: Vec::new(),
            grid_dims: (0, 0),
            changes: [(0.0, 0.0); 2 * CUT_SIDE + 1],
            n_changes: 0,
            cuts: TimeRing::new(32),
            levels: vec![0.0; BLOCKS],
            rate: 0,
            run_start: 0,
            next_tick: None,
            block_len: 120,
            acc: 0.0,
            acc_n: 0,
            blocks_done: 0,
            match_times: TimeRing::new(MAX_MATCHES),
            match_offsets: TimeRing::new(MAX_MATCHES),
            scratch: Vec::with_capacity(MAX_MATCHES),
            window_start: None,
        }
    }
}

impl ContentState {
    /// Forgets the history that cannot be compared across a discontinuity.
    pub(super) fn reset(&mut self) {
        self.grid_dims = (0, 0);
        self.n_changes = 0;
        self.cuts.clear();
        self.next_tick = None;
        self.blocks_done = 0;
        self.acc = 0.0;
        self.acc_n = 0;
    }

    /// Mean absolute luma change from the previous picture on the grid (`None` for the first).
    fn change(&mut self, f: &VideoFrame) -> Option<f64> {
        let p = f.luma();
        let dims = (
            p.width().div_ceil(GRID_STEP),
            p.height().div_ceil(GRID_STEP),
        );
        // The grid is read with the other detectors' samples of the picture.
        survey::grid8(f, &mut self.next);
        std::mem::swap(&mut self.grid, &mut self.next);
        let fresh = self.grid_dims != dims;
        self.grid_dims = dims;
        if fresh || self.grid.is_empty() {
            return None;
        }
        // Row by row in u32 (a row of 255s fits), then u64.
        let sum: u64 = self
            .grid
            .chunks(dims.0)
            .zip(self.next.chunks(dims.0))
            .map(|(a, b)| {
                a.iter()
                    .zip(b)
                    .map(|(&x, &y)| u32::from(x.abs_diff(y)))
                    .sum::<u32>() as u64
            })
            .sum();
        Some(sum as f64 / self.grid.len() as f64)
    }

    /// Start time of absolute block `k`, seconds.
    fn block_time(&self, k: i64) -> f64 {
        (self.run_start + k * self.block_len as i64) as f64 / self.rate as f64
    }

    /// Notch depth (dB) of block `k`: how far it sits under both neighbourhoods.
    fn depth(&self, k: i64) -> f64 {
        let at = |i: i64| f64::from(self.levels[(i as usize) & (BLOCKS - 1)]);
        let before = (k - SIDE - 1..k - 1).map(at).sum::<f64>() / SIDE as f64;
        let after = (k + 2..k + SIDE + 2).map(at).sum::<f64>() / SIDE as f64;
        (before.min(after) - at(k)).max(0.0)
    }
}

impl AvSync {
    /// One picture: its change, and a cut once the pictures after it are known.
    pub(super) fn content_video(&mut self, f: &VideoFrame) {
        let t = f.time().as_secs_f64();
        let m = self.content.change(f.analysis());
        if self.cfg.lipsync {
            // a new shot at a change of the whole picture (or the first picture of a size)
            let cut = m.is_none_or(|m| m >= self.cfg.cut_jump);
            let c = &self.content;
            self.lip.picture(t, &c.grid, c.grid_dims, cut);
        }
        let Some(m) = m.filter(|_| self.cfg.content) else {
            return;
        };
        let c = &mut self.content;
        let cap = c.changes.len();
        if c.n_changes == cap {
            c.changes.copy_within(1.., 0);
            c.n_changes -= 1;
        }
        c.changes[c.n_changes] = (t, m);
        c.n_changes += 1;
        if c.n_changes < cap {
            return;
        }
        let (tc, mc) = c.changes[CUT_SIDE];
        let mut nb = [0.0f64; 2 * CUT_SIDE];
        for (i, x) in c
            .changes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != CUT_SIDE)
            .map(|(_, x)| x.1)
            .enumerate()
        {
            nb[i] = x;
        }
        nb.sort_by(f64::total_cmp);
        let median = 0.5 * (nb[CUT_SIDE - 1] + nb[CUT_SIDE]);
        if mc >= self.cfg.cut_jump && mc >= CUT_RATIO * median.max(0.5) {
            c.cuts.push(tc);
        }
    }

    /// One audio frame into 2.5 ms block levels (mean square over all channels).
    pub(super) fn content_audio(&mut self, f: &AudioFrame) {
        let rate = f.rate();
        let tick = f
            .time()
            .rescale(crate::media::Rational::new(1, rate as i32))
            .ticks();
        let c = &mut self.content;
        if c.rate != rate
            || c.next_tick
                .is_none_or(|n| (tick - n).abs() > (rate / 500).max(1) as i64)
        {
            c.rate = rate;
            c.block_len = ((rate as f64 * BLOCK_SECS).round() as usize).max(1);
            c.run_start = tick;
            c.blocks_done = 0;
            c.acc = 0.0;
            c.acc_n = 0;
        }
        let n = f.samples_per_channel();
        c.next_tick = Some(c.next_tick.map_or(tick, |x| x.max(tick)) + n as i64);
        let chans = f.channels().max(1);
        for i in 0..n {
            let mut s = 0f64;
            for ch in 0..f.channels() {
                let x = f64::from(f.channel(ch)[i]);
                if x.is_finite() {
                    s += x * x;
                }
            }
            c.acc += s / chans as f64;
            c.acc_n += 1;
            if c.acc_n == c.block_len {
                let db = 10.0 * (c.acc / c.block_len as f64 + 1e-10).log10();
                let k = c.blocks_done;
                c.levels[(k as usize) & (BLOCKS - 1)] = db as f32;
                c.blocks_done += 1;
                c.acc = 0.0;
                c.acc_n = 0;
            }
        }
    }

    /// Matches every cut whose search range the audio has passed.
    pub(super) fn content_match(&mut self, out: &mut Events) {
        let (Some(v), Some(a)) = (self.video_now, self.audio_now) else {
            return;
        };
        let emitted = v.max(a);
        let range = self.cfg.search_range;
        let c = &self.content;
        if c.rate == 0 || c.blocks_done == 0 {
            return;
        }
        let newest = c.blocks_done - 1;
        let audio_until = c.block_time(newest + 1);
        while let Some(tc) = self.content.cuts.front() {
            if tc + range + (SIDE + 2) as f64 * BLOCK_SECS > audio_until {
                break;
            }
            self.content.cuts.pop();
            let c = &self.content;
            let bl = c.block_len as f64 / c.rate as f64;
            let first = ((tc - range - c.block_time(0)) / bl).floor() as i64;
            let last = ((tc + range - c.block_time(0)) / bl).ceil() as i64;
            // blocks that are still held, with full neighbourhoods
            let lo = first.max(newest - BLOCKS as i64 + SIDE + 2).max(SIDE + 1);
            let hi = last.min(newest - SIDE - 2);
            if hi <= lo {
                continue;
            }
            let mut best = (lo, 0.0f64);
            for k in lo..=hi {
                let d = c.depth(k);
                if d > best.1 {
                    best = (k, d);
                }
            }
            let (k, d) = best;
            if d < self.cfg.splice_depth_db {
                continue;
            }
            // the notch must be the only one: speech has many (stops, gaps between words), and
            // a cut matched to one of them at random is no edit
            let rival = (lo + 1..hi)
                .filter(|&j| (j - k).abs() > UNIQUE_BLOCKS)
                .map(|j| (c.depth(j - 1), c.depth(j), c.depth(j + 1)))
                .filter(|&(l, m, r)| m >= l && m >= r)
                .map(|(_, m, _)| m)
                .fold(0.0f64, f64::max);
            if rival >= self.cfg.splice_depth_db || d - rival < UNIQUE_DB {
                continue;
            }
            // parabolic refinement of the notch centre between blocks
            let (dl, dr) = (c.depth(k - 1), c.depth(k + 1));
            let den = dl - 2.0 * d + dr;
            let frac = if den < 0.0 {
                (0.5 * (dl - dr) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let splice = c.block_time(k) + (0.5 + frac) * bl;
            let offset = (splice - tc) * 1000.0;
            self.content_update(tc, splice, offset, emitted, out);
        }
    }

    fn content_update(
        &mut self,
        cut: f64,
        splice: f64,
        offset: f64,
        emitted: MediaTime,
        out: &mut Events,
    ) {
        let window = self.cfg.content_window;
        let c = &mut self.content;
        while c.match_times.front().is_some_and(|t| t < cut - window) {
            c.match_times.pop();
            c.match_offsets.pop();
        }
        c.match_times.push(cut);
        c.match_offsets.push(offset);
        c.window_start
            .get_or_insert(MediaTime::from_secs_f64(cut.min(splice)));
        let (est, conf, agree) = self.content_estimate();
        let at = MediaTime::from_secs_f64(cut.max(splice));
        let emitted = emitted.max(at);
        out.metric("av_offset_ms", (est * 10.0).round() / 10.0, at);
        out.metric("av_offset_confidence", (conf * 100.0).round() / 100.0, at);
        let enough = agree >= self.cfg.min_cuts;
        let bad = enough && conf >= self.cfg.min_confidence && self.beyond(est);
        let good = enough && !self.beyond(est);
        if bad || good {
            let start = self.content.window_start.unwrap_or(at);
            self.content_alarm
                .observe(bad, start, emitted, (est, Some(conf)), "content", out);
            if good {
                self.content.window_start = None;
            }
        }
    }

    /// Median of the window's matches, the share within 10 ms of it, and their count.
    pub(super) fn content_estimate(&mut self) -> (f64, f64, usize) {
        let c = &mut self.content;
        super::ring::estimate(&c.match_offsets, &mut c.scratch)
    }
}
