//! Test-pattern sync: flash frames paired with tone bursts.

use crate::detect::Events;

use crate::media::{AudioFrame, MediaTime, VideoFrame};

use super::AvSync;

/// Samples kept for refining a beep onset (a power of two).
const RING: usize = 8192;
/// Level-block length, seconds.
const BLOCK_SECS: f64 = 0.001;
/// Blocks of history a beep onset must rise over.
const HISTORY_BLOCKS: usize = 50;
/// Seconds after an onset used to find the burst's peak.
const PEAK_SECS: f64 = 0.010;

/// The largest of `levels` (each at least 0 and never NaN), or 0: the same value as a fold with
/// `f32::max` from 0 (a maximum does not depend on the order), taken in eight lanes the
/// compiler vectorises instead of one chain of comparisons.
fn peak_of(levels: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = levels.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (m, &x) in lanes.iter_mut().zip(c) {
            *m = if x > *m { x } else { *m };
        }
    }
    rest.iter()
        .chain(&lanes)
        .fold(0f32, |m, &x| if x > m { x } else { m })
}

/// Flash detection state.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FlashState {
    prev_mean: Option<f64>,
    /// A candidate: time, the mean before it, its mean.
    candidate: Option<(MediaTime, f64, f64)>,
}

/// Beep detection state.
#[derive(Clone, Debug)]
pub(super) struct BeepState {
    /// |sample| (loudest channel) by absolute tick, `RING` deep.
    ring: Vec<f32>,
    /// Peak level of the last `HISTORY_BLOCKS` blocks.
    history: [f32; HISTORY_BLOCKS],
    hist_pos: usize,
    hist_filled: usize,
    block_len: usize,
    block_n: usize,
    block_peak: f32,
    block_start: i64,
    /// Onset block start tick, waiting for `PEAK_SECS` of samples.
    pending: Option<i64>,
    /// A refined onset (tick) and the burst's peak, waiting for the burst to end.
    burst: Option<(i64, f32)>,
    quiet_blocks: usize,
    rate: u32,
    next: Option<i64>,
}

impl Default for BeepState {
    fn default() -> Self {
        BeepState {
            ring: vec![0.0; RING],
            history: [0.0; HISTORY_BLOCKS],
            hist_pos: 0,
            hist_filled: 0,
            block_len: 48,
            block_n: 0,
            block_peak: 0.0,
            block_start: 0,
            pending: None,
            burst: None,
            quiet_blocks: 0,
            rate: 0,
            next: None,
        }
    }
}

impl BeepState {
    pub(super) fn reset(&mut self) {
        self.hist_filled = 0;
        self.hist_pos = 0;
        self.block_n = 0;
        self.block_peak = 0.0;
        self.pending = None;
        self.burst = None;
        self.quiet_blocks = 0;
        self.next = None;
    }
}

impl AvSync {
    /// Flash candidates from one picture.
    pub(super) fn flashes_in(&mut self, f: &VideoFrame) {
        let t = f.time();
        let mean = mean_luma(f.analysis());
        if let Some((ft, before, peak)) = self.flash.candidate {
            if mean <= peak - 0.5 * (peak - before) {
                self.flashes.push(ft.as_secs_f64());
                self.flash.candidate = None;
            } else if t.secs_since(ft) > self.cfg.max_flash + 1e-6 {
                self.flash.candidate = None;
            }
        }
        if let Some(prev) = self.flash.prev_mean {
            if mean - prev >= self.cfg.flash_jump && self.flash.candidate.is_none() {
                self.flash.candidate = Some((t, prev, mean));
            }
        }
        self.flash.prev_mean = Some(mean);
    }

    pub(super) fn beeps_in(&mut self, f: &AudioFrame) {
        let rate = f.rate();
        let base = crate::media::Rational::new(1, rate as i32);
        let tick = f.time().rescale(base).ticks();
        let b = &mut self.beep;
        if b.rate != rate
            || b.next
                .is_none_or(|n| (tick - n).abs() > (rate / 500).max(1) as i64)
        {
            b.reset();
            b.rate = rate;
            b.block_len = ((rate as f64 * BLOCK_SECS).round() as usize).max(1);
            b.block_start = tick;
        }
        let first = b.next.unwrap_or(tick);
        let n = f.samples_per_channel();
        b.next = Some(first + n as i64);
        let rise = 10f32.powf(self.cfg.beep_rise_db as f32 / 20.0);
        let peak_len = (PEAK_SECS * rate as f64).round() as i64;
        let max_beep = (self.cfg.max_beep * rate as f64) as i64;
        let quiet_needed = 20usize;
        for i in 0..n {
            let mut v = 0f32;
            for c in 0..f.channels() {
                let x = f.channel(c)[i].abs();
                if x.is_finite() && x > v {
                    v = x;
                }
            }
            let abs = first + i as i64;
            b.ring[(abs as usize) & (RING - 1)] = v;
            b.block_peak = b.block_peak.max(v);
            b.block_n += 1;
            if let Some(onset_block) = b.pending {
                if abs >= onset_block + peak_len + b.block_len as i64 {
                    b.pending = None;
                    // refine: peak over the first PEAK_SECS, then the first sample at half it
                    let from = onset_block - 2 * b.block_len as i64;
                    let to = onset_block + b.block_len as i64 + peak_len;
                    let peak = (from..to)
                        .map(|k| b.ring[(k as usize) & (RING - 1)])
                        .fold(0f32, f32::max);
                    let onset = (from..to)
                        .find(|&k| b.ring[(k as usize) & (RING - 1)] >= 0.5 * peak)
                        .unwrap_or(onset_block);
                    b.burst = Some((onset, peak));
                    b.quiet_blocks = 0;
                }
            }
            if b.block_n == b.block_len {
                let bp = b.block_peak;
                if let Some((onset, peak)) = b.burst {
                    if bp < 0.1 * peak {
                        b.quiet_blocks += 1;
                        if b.quiet_blocks >= quiet_needed {
                            b.burst = None;
                            self.beeps.push(onset as f64 / rate as f64);
                        }
                    } else {
                        b.quiet_blocks = 0;
                    }
                    if abs - onset > max_beep {
                        b.burst = None;
                    }
                } else if b.pending.is_none()
                    && b.hist_filled == HISTORY_BLOCKS
                    && bp >= 1e-3
                    && bp >= rise * peak_of(&b.history[..b.hist_filled]).max(1e-5)
                {
                    b.pending = Some(b.block_start);
                }
                b.history[b.hist_pos] = bp;
                b.hist_pos = (b.hist_pos + 1) % HISTORY_BLOCKS;
                b.hist_filled = (b.hist_filled + 1).min(HISTORY_BLOCKS);
                b.block_peak = 0.0;
                b.block_n = 0;
                b.block_start = abs + 1;
            }
        }
    }

    /// Pairs every flash whose search range both streams have passed.
    pub(super) fn pair(&mut self, out: &mut Events) {
        let (Some(v), Some(a)) = (self.video_now, self.audio_now) else {
            return;
        };
        let now = v.min(a).as_secs_f64();
        self.pair_until(now, v.max(a), out);
    }

    pub(super) fn pair_until(&mut self, now: f64, emitted: MediaTime, out: &mut Events) {
        let range = self.cfg.search_range;
        while let Some(ft) = self.flashes.front() {
            if ft + range > now {
                break;
            }
            self.flashes.pop();
            // beeps too old for this flash (or any later one) go
            while self.beeps.front().is_some_and(|b| b < ft - range) {
                self.beeps.pop();
            }
            let best = self
                .beeps
                .iter()
                .filter(|b| (b - ft).abs() <= range)
                .min_by(|x, y| (x - ft).abs().total_cmp(&(y - ft).abs()));
            let Some(bt) = best else { continue };
            let offset = (bt - ft) * 1000.0;
            self.pattern_start
                .get_or_insert(MediaTime::from_secs_f64(ft.min(bt)));
            self.pairs.push(offset);
            let (est, conf) = self.estimate();
            let at = MediaTime::from_secs_f64(ft.max(bt));
            out.metric("av_offset_ms", (offset * 10.0).round() / 10.0, at);
            out.metric("av_offset_confidence", (conf * 100.0).round() / 100.0, at);
            let enough = self.pairs.len() >= self.cfg.min_pairs;
            let bad = enough && conf >= self.cfg.min_confidence && self.beyond(est);
            let good = enough && !self.beyond(est);
            if bad || good {
                let start = self.pattern_start.unwrap_or(at);
                let emitted_at = emitted.max(at);
                self.pattern_alarm.observe(
                    bad,
                    start,
                    emitted_at,
                    (est, Some(conf)),
                    "pattern",
                    out,
                );
                if good {
                    self.pattern_start = None;
                }
            }
        }
    }

    /// Median of the window's pairs and the share within 10 ms of it.
    pub(super) fn estimate(&mut self) -> (f64, f64) {
        let (med, conf, _) = super::ring::estimate(&self.pairs, &mut self.scratch);
        (med, conf)
    }
}

/// Mean of a picture's luma, every 4th pixel of every 4th row (read with the other detectors'
/// samples of the picture: see `detect::measure::survey`).
fn mean_luma(f: &VideoFrame) -> f64 {
    let (sum, n) = crate::detect::measure::survey::sum4(f);
    if n == 0 {
        0.0
    } else {
        sum as f64 / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::peak_of;

    #[test]
    fn peak_of_equals_the_fold_with_max() {
        for len in 0..=HISTORY {
            let levels: Vec<f32> = (0..len)
                .map(|i| ((i * 37 + 11) % 23) as f32 * 0.013)
                .collect();
            let fold = levels.iter().copied().fold(0f32, f32::max);
            assert_eq!(peak_of(&levels).to_bits(), fold.to_bits(), "{len} levels");
        }
        assert_eq!(peak_of(&[0.0, 0.5, 0.25]), 0.5);
    }

    const HISTORY: usize = super::HISTORY_BLOCKS;
}
