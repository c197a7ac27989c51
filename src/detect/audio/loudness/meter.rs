//! The measuring part of `loudness`: `ebur128` for the K-weighting, channel weights and true
//! peak; 100 ms sub-blocks from which the 400 ms blocks, the 3 s windows and the gated
//! statistics are built.

use ebur128::{Channel, EbuR128, Mode};

use super::gate::{energy, lufs, Histogram};
use crate::media::AudioFrame;

/// Sub-blocks in a momentary (400 ms) block.
pub(crate) const MOMENTARY: usize = 4;
/// Sub-blocks in a short-term (3 s) window.
pub(crate) const SHORT_TERM: usize = 30;

/// BS.1770-4 channel weights for `channels` channels in FFmpeg's default order for that count
/// (what `av_channel_layout_default` gives; the decoder hands channels in FFmpeg's order and
/// [`AudioFrame`](crate::AudioFrame) carries no layout): mono FC; stereo FL FR; 2.1 FL FR LFE;
/// 4.0 FL FR FC BC; 5.0 FL FR FC BL BR; 5.1 FL FR FC LFE BL BR; 6.1 FL FR FC LFE BC SL SR;
/// 7.1 FL FR FC LFE BL BR SL SR. Front channels weigh 1.0, back and side channels 1.41 (as in
/// FFmpeg's `ebur128` filter), LFE is left out; channels past the eighth weigh 1.0.
pub(crate) fn channel_map(channels: usize) -> Vec<Channel> {
    use Channel::{Center as C, Left as L, LeftSurround as Ls, Right as R, RightSurround as Rs};
    let lfe = Channel::Unused;
    let mut map = match channels {
        1 => vec![C],
        2 => vec![L, R],
        3 => vec![L, R, lfe],
        4 => vec![L, R, C, Ls],
        5 => vec![L, R, C, Ls, Rs],
        6 => vec![L, R, C, lfe, Ls, Rs],
        7 => vec![L, R, C, lfe, Ls, Ls, Rs],
        _ => vec![L, R, C, lfe, Ls, Rs, Ls, Rs],
    };
    map.resize(channels, C);
    map
}

/// Values at one sub-block boundary.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Reading {
    /// Short-term loudness, LUFS (`None` before 3 s).
    pub short_term: Option<f64>,
    /// Highest true peak of the sub-block over all channels, linear.
    pub peak: f64,
}

/// One stream's loudness measurement at one sample rate and channel count.
pub(crate) struct Meter {
    r128: EbuR128,
    rate: u32,
    channels: usize,
    /// Samples in a sub-block (100 ms) and samples of the current one so far.
    sub_len: usize,
    sub_n: usize,
    /// Energies of the last [`SHORT_TERM`] sub-blocks (ring) and how many were seen.
    ring: [f64; SHORT_TERM],
    filled: usize,
    sub_peak: f64,
    /// 400 ms blocks (integrated loudness) and 3 s windows (loudness range).
    blocks: Histogram,
    windows: Histogram,
    /// Highest true peak since the start, linear.
    max_peak: f64,
    /// Interleaved, sanitised copy of the current frame (reused).
    buf: Vec<f32>,
    /// Samples that were NaN or infinite (measured as 0).
    pub(crate) non_finite: u64,
}

/// Lowest sample rate measured, Hz: the K-weighting's high shelf (about 1.7 kHz) must lie
/// under the Nyquist frequency; lower rates are reported `loudness_unsupported`.
pub(crate) const MIN_RATE: u32 = 4000;

impl Meter {
    /// A meter for `channels` channels at `rate` Hz; `None` when it cannot be measured: rates
    /// under [`MIN_RATE`] (`ebur128` refuses rates under 16 Hz and panics at 16 and 17 Hz) or
    /// more than 64 channels.
    pub(crate) fn new(rate: u32, channels: usize) -> Option<Self> {
        if rate < MIN_RATE {
            return None;
        }
        let mut r128 = EbuR128::new(channels as u32, rate, Mode::M | Mode::TRUE_PEAK).ok()?;
        r128.set_channel_map(&channel_map(channels)).ok()?;
        Some(Meter {
            r128,
            rate,
            channels,
            // What `loudness_window(100)` sums over.
            sub_len: (rate as usize * 100 / 1000).max(1),
            sub_n: 0,
            ring: [0.0; SHORT_TERM],
            filled: 0,
            sub_peak: 0.0,
            blocks: Histogram::new(true),
            windows: Histogram::new(false),
            max_peak: 0.0,
            buf: Vec::new(),
            non_finite: 0,
        })
    }

    /// Sample rate and channel count measured.
    pub(crate) fn format(&self) -> (u32, usize) {
        (self.rate, self.channels)
    }

    /// Samples per sub-block.
    pub(crate) fn sub_len(&self) -> usize {
        self.sub_len
    }

    /// Copies the planar `frame` (of the meter's channel count) into the interleaved buffer, NaN and infinities as 0.
    pub(crate) fn load(&mut self, frame: &AudioFrame) {
        let ch = self.channels;
        let len = frame.samples_per_channel();
        self.buf.clear();
        self.buf.resize(len * ch, 0.0);
        let mut bad = 0u64;
        for c in 0..ch {
            let src = frame.channel(c);
            for (dst, &x) in self.buf[c..].iter_mut().step_by(ch).zip(src) {
                if x.is_finite() {
                    *dst = x;
                } else {
                    bad += 1;
                }
            }
        }
        self.non_finite += bad;
    }

    /// Feeds samples `from..to` (per channel) of the loaded frame; stops at the end of a
    /// sub-block and returns how many it took and, at a boundary, the reading there.
    pub(crate) fn feed(&mut self, from: usize, to: usize) -> (usize, Option<Reading>) {
        let take = (self.sub_len - self.sub_n).min(to - from);
        let ch = self.channels;
        if take > 0 {
            // Cannot fail: the slice is whole frames of the configured channel count.
            let _ = self
                .r128
                .add_frames_f32(&self.buf[from * ch..(from + take) * ch]);
            for c in 0..ch {
                let p = self.r128.prev_true_peak(c as u32).unwrap_or(0.0);
                if p.is_finite() && p > self.sub_peak {
                    self.sub_peak = p;
                }
            }
            self.sub_n += take;
        }
        if self.sub_n < self.sub_len {
            return (take, None);
        }
        (take, Some(self.close_sub_block()))
    }

    fn close_sub_block(&mut self) -> Reading {
        let l = self.r128.loudness_window(100).unwrap_or(f64::NEG_INFINITY);
        let e = if l.is_finite() { energy(l) } else { 0.0 };
        self.ring[self.filled % SHORT_TERM] = e;
        self.filled += 1;
        self.sub_n = 0;
        let peak = std::mem::take(&mut self.sub_peak);
        self.max_peak = self.max_peak.max(peak);
        let momentary = self.mean(MOMENTARY);
        let short_term = self.mean(SHORT_TERM);
        if let Some(m) = momentary {
            self.blocks.add(m);
        }
        if let Some(s) = short_term {
            self.windows.add(s);
        }
        Reading {
            short_term: short_term.map(lufs),
            peak,
        }
    }

    /// Mean energy of the last `n` sub-blocks, once there were `n`.
    fn mean(&self, n: usize) -> Option<f64> {
        if self.filled < n {
            return None;
        }
        let sum: f64 = (0..n)
            .map(|k| self.ring[(self.filled - 1 - k) % SHORT_TERM])
            .sum();
        Some(sum / n as f64)
    }

    /// Momentary and short-term loudness of the last complete sub-blocks, LUFS.
    pub(crate) fn current(&self) -> (Option<f64>, Option<f64>) {
        (
            self.mean(MOMENTARY).map(lufs),
            self.mean(SHORT_TERM).map(lufs),
        )
    }

    /// Integrated loudness so far, LUFS (`None` until a block passed the gates).
    pub(crate) fn integrated(&self) -> Option<f64> {
        self.blocks.integrated()
    }

    /// Loudness range so far, LU (`None` until a 3 s window passed the absolute gate).
    pub(crate) fn range(&self) -> Option<f64> {
        self.windows.range()
    }

    /// Highest true peak so far, linear (`None` before any sound).
    pub(crate) fn max_peak(&self) -> Option<f64> {
        (self.filled > 0 || self.max_peak > 0.0).then_some(self.max_peak)
    }

    /// Starts the windows afresh after a break in the sound (the gated statistics and the
    /// highest peak go on): the filters, the current sub-block and the 3 s history are cleared.
    pub(crate) fn restart(&mut self) {
        self.r128.reset();
        self.sub_n = 0;
        self.sub_peak = 0.0;
        self.filled = 0;
        self.ring = [0.0; SHORT_TERM];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_follow_ffmpeg_default_layouts() {
        assert_eq!(channel_map(1), vec![Channel::Center]);
        let m = channel_map(6);
        assert_eq!(m[3], Channel::Unused, "LFE is left out");
        assert_eq!(&m[4..], &[Channel::LeftSurround, Channel::RightSurround]);
        assert_eq!(channel_map(10).len(), 10);
    }

    #[test]
    fn unsupported_formats_give_no_meter() {
        assert!(Meter::new(8, 2).is_none());
        // ebur128 accepts 16 and 17 Hz, then panics on the first frames (found by fuzzing)
        assert!(Meter::new(16, 2).is_none());
        assert!(Meter::new(17, 1).is_none());
        assert!(Meter::new(MIN_RATE - 1, 2).is_none());
        assert!(Meter::new(MIN_RATE, 2).is_some());
        assert!(Meter::new(8_000, 1).is_some());
        assert!(Meter::new(48_000, 65).is_none());
        assert!(Meter::new(48_000, 2).is_some());
    }
}
