//! One channel's analysis: its samples, the local residual level and the trigger that opens
//! candidates.

use super::geometry::Geometry;
use super::predictor::{fit, whiten, Predictor};
use super::rhythm::Series;
use super::{Scratch, MAX_PENDING, SNAPSHOTS};

/// Pieces in the local level (43 ms at 48 kHz).
const PIECES: usize = 32;
/// Predictor updates skipped in a row while impulses are in its window (4 × 10.7 ms).
const MAX_SKIPPED: usize = 4;

/// Share of the trigger (`ratio` times the local residual level) over which a residual sample
/// opens a *faint* candidate (19.8 times the level at the default `ratio`): in loud music a
/// lossy codec leaves an added click standing only some 30 dB over the music's residual (21 of
/// the 31 real-content music clicks missed on realeval seeds 3–15 never reached the full
/// trigger, their residual peak 13–60 times the local level, where the programme's own
/// transients mostly stay; the clicks this gained stood 25–34 times over it). A faint
/// candidate is judged like any other and must in addition be compact or stand far out (see
/// `judge`); rejected, it is no member of the programme's impulse series, and it neither holds
/// back the predictor's updates nor joins a candidate of the full trigger.
const FAINT: f32 = 0.33;

/// A run of trigger samples.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cluster {
    pub(super) start: i64,
    last: i64,
    pub(super) peak: i64,
    /// Residual magnitude at `peak`.
    pub(super) peak_abs: f32,
    /// Opened by the faint trigger (see [`FAINT`]), no sample over the full one.
    pub(super) faint: bool,
}

impl Cluster {
    /// A run opened by a sample of magnitude `a` at `pos`.
    fn at(pos: i64, a: f32, faint: bool) -> Self {
        Cluster {
            start: pos,
            last: pos,
            peak: pos,
            peak_abs: a,
            faint,
        }
    }

    /// The run goes on with a sample of magnitude `a` at `pos`.
    fn extend(&mut self, pos: i64, a: f32) {
        self.last = pos;
        if a > self.peak_abs {
            self.peak_abs = a;
            self.peak = pos;
        }
    }
}

/// Analysis state of one channel.
#[derive(Debug, Default)]
pub(super) struct Channel {
    /// Samples from absolute position `start` on.
    pub(super) buf: Vec<f32>,
    pub(super) start: i64,
    /// Predictor in force and the ones before it (ring).
    pub(super) current: Option<Predictor>,
    pub(super) history: Vec<Predictor>,
    /// Local residual level: mean magnitude of the current piece, the last finished ones.
    piece_sum: f32,
    piece_n: usize,
    pieces: RunningMedian,
    level: f32,
    /// Least trigger (set from `min_level_db` and the predictor's gain).
    pub(super) floor: f32,
    pub(super) cluster: Option<Cluster>,
    /// The open run of samples over the faint trigger; `faint` false once one of them is over
    /// the full trigger (then the full trigger's candidate stands for it).
    faint: Option<Cluster>,
    pub(super) pending: Vec<Cluster>,
    /// The last candidates judged not to be clicks.
    pub(super) series: Series,
    /// Last position that set off the trigger, and predictor updates skipped because of it.
    last_trigger: i64,
    skipped: usize,
}

impl Channel {
    pub(super) fn reset(&mut self, g: &Geometry) {
        if self.buf.capacity() < g.capacity {
            self.buf = Vec::with_capacity(g.capacity);
        }
        self.buf.clear();
        self.start = 0;
        self.current = None;
        if self.history.capacity() < SNAPSHOTS {
            self.history = Vec::with_capacity(SNAPSHOTS);
        }
        self.history.clear();
        self.piece_sum = 0.0;
        self.piece_n = 0;
        self.pieces = RunningMedian::default();
        self.level = f32::INFINITY;
        self.floor = f32::INFINITY;
        self.cluster = None;
        self.faint = None;
        if self.pending.capacity() < MAX_PENDING {
            self.pending = Vec::with_capacity(MAX_PENDING);
        }
        self.pending.clear();
        self.series = Series::default();
        self.last_trigger = i64::MIN / 2;
        self.skipped = 0;
    }

    /// Position just after the newest sample.
    pub(super) fn end(&self) -> i64 {
        self.start + self.buf.len() as i64
    }

    /// Start of the oldest open run of trigger samples, if any.
    pub(super) fn open_start(&self) -> Option<i64> {
        let starts = self
            .cluster
            .iter()
            .chain(self.faint.iter())
            .map(|c| c.start);
        starts.min()
    }

    /// Drops the candidates waiting for judgement and the open runs.
    pub(super) fn drop_candidates(&mut self) {
        self.pending.clear();
        self.cluster = None;
        self.faint = None;
    }

    /// The predictor that filtered position `pos`.
    pub(super) fn predictor_at(&self, pos: i64) -> Option<Predictor> {
        let cur = self.current?;
        if cur.from <= pos {
            return Some(cur);
        }
        self.history
            .iter()
            .filter(|p| p.from <= pos)
            .max_by_key(|p| p.from)
            .copied()
    }
}

/// Median of the last `PIECES` values: a ring in arrival order and the same values sorted.
#[derive(Clone, Copy, Debug)]
struct RunningMedian {
    ring: [f32; PIECES],
    sorted: [f32; PIECES],
    len: usize,
    next: usize,
}

impl Default for RunningMedian {
    fn default() -> Self {
        RunningMedian {
            ring: [0.0; PIECES],
            sorted: [0.0; PIECES],
            len: 0,
            next: 0,
        }
    }
}

impl RunningMedian {
    /// Adds `v` (dropping the oldest value once full); returns the median.
    fn push(&mut self, v: f32) -> f32 {
        if self.len == PIECES {
            let old = self.ring[self.next];
            let i = self.sorted[..self.len]
                .iter()
                .position(|&x| x == old)
                .unwrap_or(self.len - 1);
            self.sorted.copy_within(i + 1..self.len, i);
            self.len -= 1;
        }
        self.ring[self.next] = v;
        self.next = (self.next + 1) % PIECES;
        let i = self.sorted[..self.len].partition_point(|&x| x < v);
        self.sorted.copy_within(i..self.len, i + 1);
        self.sorted[i] = v;
        self.len += 1;
        self.sorted[self.len / 2]
    }
}

/// Appends `samples` to the channel, whitens them and collects trigger clusters.
pub(super) fn trigger(
    ch: &mut Channel,
    samples: &[f32],
    g: &Geometry,
    scratch: &mut Scratch,
    ratio: f32,
    min_energy: f32,
) {
    // Make room, keeping the newest `keep` samples.
    if ch.buf.len() + samples.len() > g.capacity {
        let drop = ch.buf.len() - g.keep.min(ch.buf.len());
        ch.buf.copy_within(drop.., 0);
        ch.buf.truncate(ch.buf.len() - drop);
        ch.start += drop as i64;
    }
    let first = ch.end();
    ch.buf.extend(samples.iter().map(|&v| {
        if v.is_finite() {
            v.clamp(-64.0, 64.0)
        } else {
            0.0
        }
    }));
    let end = ch.end();
    let hop = g.hop as i64;
    let mut pos = first;
    while pos < end {
        if pos >= g.window as i64 && pos % hop == 0 {
            // An impulse inside the estimation window would bend the predictor towards it and
            // hide the next one (crackle): keep the one from before, for a while.
            if ch.current.is_some()
                && pos - ch.last_trigger <= g.window as i64
                && ch.skipped < MAX_SKIPPED
            {
                ch.skipped += 1;
            } else {
                ch.skipped = 0;
                estimate(ch, pos, g, scratch, min_energy);
            }
        }
        // Up to the next predictor update.
        let seg_end = end.min((pos / hop + 1) * hop);
        let Some(pred) = ch.current else {
            pos = seg_end;
            continue;
        };
        let len = (seg_end - pos) as usize;
        let e = &mut scratch.segment[..len];
        whiten(&ch.buf, (pos - ch.start) as usize, &pred.a[..=g.order], e);
        e.iter_mut().for_each(|v| *v = v.abs());
        scan(ch, pos, e, g, ratio);
        pos = seg_end;
    }
}

/// Residual magnitudes `e` from position `pos` on: trigger clusters and the local level, a piece
/// at a time (the trigger level is constant within a piece).
fn scan(ch: &mut Channel, mut pos: i64, mut e: &[f32], g: &Geometry, ratio: f32) {
    while !e.is_empty() {
        let (block, rest) = e.split_at((g.piece - ch.piece_n).min(e.len()));
        let thr = ch.floor.max(ratio * ch.level);
        let faint = ch.floor.max(FAINT * ratio * ch.level);
        let (sum, max) = sum_max(block);
        let ended =
            |c: Option<Cluster>, at: i64| c.is_some_and(|c| at - c.last > g.cluster_gap as i64);
        if max > faint {
            for (j, &a) in block.iter().enumerate() {
                let at = pos + j as i64;
                if a > thr {
                    trigger_at(ch, at, a, g);
                } else if ended(ch.cluster, at) {
                    close_cluster(ch, g);
                }
                if a > faint {
                    faint_at(ch, at, a, a > thr, g);
                } else if ended(ch.faint, at) {
                    close_faint(ch, g);
                }
            }
        } else {
            let last = pos + block.len() as i64 - 1;
            if ended(ch.cluster, last) {
                close_cluster(ch, g);
            }
            if ended(ch.faint, last) {
                close_faint(ch, g);
            }
        }
        // Local level: median of the mean magnitudes of the last pieces.
        ch.piece_sum += sum;
        ch.piece_n += block.len();
        if ch.piece_n == g.piece {
            let mean = ch.piece_sum / g.piece as f32;
            ch.piece_sum = 0.0;
            ch.piece_n = 0;
            ch.level = ch.pieces.push(mean);
        }
        pos += block.len() as i64;
        e = rest;
    }
}

/// Sum and maximum of non-negative values (eight lanes: vectorises).
fn sum_max(v: &[f32]) -> (f32, f32) {
    let mut sum = [0.0f32; 8];
    let mut max = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            sum[k] += c[k];
            max[k] = if c[k] > max[k] { c[k] } else { max[k] };
        }
    }
    let mut s: f32 = sum.iter().sum();
    let mut m = max.iter().fold(0.0f32, |a, &b| if b > a { b } else { a });
    for &x in rest {
        s += x;
        m = if x > m { x } else { m };
    }
    (s, m)
}

/// A residual sample over the trigger at `pos`: extends the open cluster or opens one.
fn trigger_at(ch: &mut Channel, pos: i64, a: f32, g: &Geometry) {
    ch.last_trigger = pos;
    match &mut ch.cluster {
        Some(c) if pos - c.last <= g.cluster_gap as i64 => c.extend(pos, a),
        _ => {
            close_cluster(ch, g);
            ch.cluster = Some(Cluster::at(pos, a, false));
        }
    }
}

/// A residual sample over the faint trigger at `pos` (`full`: over the full one too): extends
/// the open faint run or opens one.
fn faint_at(ch: &mut Channel, pos: i64, a: f32, full: bool, g: &Geometry) {
    match &mut ch.faint {
        Some(c) if pos - c.last <= g.cluster_gap as i64 => {
            c.extend(pos, a);
            c.faint &= !full;
        }
        _ => {
            close_faint(ch, g);
            ch.faint = Some(Cluster::at(pos, a, !full));
        }
    }
}

/// Ends the open faint run; a short one that never reached the full trigger becomes a faint
/// candidate, while at most half of the pending places are taken (the full trigger's
/// candidates keep the rest).
fn close_faint(ch: &mut Channel, g: &Geometry) {
    if let Some(c) = ch.faint.take() {
        if c.faint && c.last - c.start <= g.cluster_max as i64 && ch.pending.len() < MAX_PENDING / 2
        {
            ch.pending.push(c);
        }
    }
}

/// Ends the open cluster; a short one becomes a candidate.
fn close_cluster(ch: &mut Channel, g: &Geometry) {
    if let Some(c) = ch.cluster.take() {
        if c.last - c.start <= g.cluster_max as i64 && ch.pending.len() < MAX_PENDING {
            ch.pending.push(c);
        }
    }
}

/// Estimates the predictor for the hop starting at `pos` from the `window` samples before it,
/// keeps the one it replaces and sets the channel's trigger floor.
fn estimate(ch: &mut Channel, pos: i64, g: &Geometry, scratch: &mut Scratch, min_energy: f32) {
    let i = (pos - ch.start) as usize;
    let pred = fit(&ch.buf[i - g.window..i], pos, g, scratch);
    if let Some(old) = ch.current.replace(pred) {
        if ch.history.len() == SNAPSHOTS {
            ch.history.remove(0);
        }
        ch.history.push(old);
    }
    // An impulse of the least energy gives at least a 16th of its amplitude in its loudest
    // residual sample, even when a codec spreads it over 256 samples.
    ch.floor = (min_energy * pred.gain).sqrt() / 16.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_median_follows_the_last_values() {
        let mut m = RunningMedian::default();
        let mut all = Vec::new();
        let mut x = 0.37f32;
        for i in 0..200 {
            x = (x * 997.0 + 0.123).fract();
            let v = if i % 17 == 0 { 0.5 } else { x };
            all.push(v);
            let got = m.push(v);
            let mut last: Vec<f32> = all[all.len().saturating_sub(PIECES)..].to_vec();
            last.sort_by(f32::total_cmp);
            assert_eq!(got, last[last.len() / 2], "at {i}");
        }
    }
}
