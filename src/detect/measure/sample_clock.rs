//! Sample-exact timing shared by the audio detectors.

use crate::media::{AudioFrame, MediaTime, Rational};

/// Follows the sample position of one audio stream: ticks of `1/rate` seconds.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SampleClock {
    rate: u32,
    channels: usize,
    next: Option<i64>,
}

impl SampleClock {
    /// Tick of `frame`'s first sample, and whether it follows the previous frame without a gap
    /// (and with the same rate and channel count). A jump of up to 2 ms is accepted as jitter;
    /// the frame is then treated as following on.
    pub(crate) fn begin(&mut self, frame: &AudioFrame) -> (i64, bool) {
        let base = Rational::new(1, frame.rate() as i32);
        let tick = frame.time().rescale(base).ticks();
        let same_format = self.rate == frame.rate() && self.channels == frame.channels();
        let slack = (frame.rate() / 500).max(1) as i64;
        let contiguous = same_format
            && self
                .next
                .is_some_and(|n| tick.saturating_sub(n).saturating_abs() <= slack);
        let first = if contiguous {
            self.next.unwrap_or(tick)
        } else {
            tick
        };
        self.rate = frame.rate();
        self.channels = frame.channels();
        // Saturating: hostile timestamps can sit at the ends of the i64 range.
        self.next = Some(first.saturating_add(frame.samples_per_channel() as i64));
        (first, contiguous)
    }

    /// Where the next frame should start: its tick, with the rate and channel count it should
    /// have (`None` before the first frame and after [`SampleClock::reset`]).
    pub(crate) fn expected(&self) -> Option<(i64, u32, usize)> {
        self.next.map(|n| (n, self.rate, self.channels))
    }

    /// The media time of sample tick `tick`.
    pub(crate) fn time(&self, tick: i64) -> MediaTime {
        MediaTime::new(tick, Rational::new(1, self.rate.max(1) as i32))
    }

    /// Sample rate of the stream (0 before the first frame).
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    /// Forgets the position (after a discontinuity).
    pub(crate) fn reset(&mut self) {
        self.next = None;
    }
}
