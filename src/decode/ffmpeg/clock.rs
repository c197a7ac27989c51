//! One stream's raw timestamps mapped onto the input's timeline.

use crate::{MediaTime, Rational, TimestampUnwrapper};

/// Maps one stream's raw timestamps onto the input's timeline.
pub(super) struct Clock {
    pub(super) tb: Rational,
    wrap_bits: u32,
    pub(super) step: i64,
    unwrap: Option<TimestampUnwrapper>,
    last_raw: Option<i64>,
}

impl Clock {
    pub(super) fn new(tb: Rational, wrap_bits: u32, step: i64) -> Self {
        Clock {
            tb,
            wrap_bits,
            step,
            unwrap: None,
            last_raw: None,
        }
    }

    /// Ticks on the timeline, and the size of the jump in seconds at a discontinuity.
    pub(super) fn map(&mut self, raw: i64, origin: &mut Option<MediaTime>) -> (i64, Option<f64>) {
        let tb = self.tb;
        let unwrap = self.unwrap.get_or_insert_with(|| {
            let o = *origin.get_or_insert(MediaTime::new(raw, tb));
            let per_sec = if tb.num > 0 {
                (tb.den as i64 / tb.num as i64).max(1)
            } else {
                1
            };
            TimestampUnwrapper::new(
                Some(self.wrap_bits),
                per_sec,
                o.rescale(tb).ticks(),
                self.step,
            )
        });
        let m = unwrap.map(raw);
        let jump = if m.discontinuity {
            let mut d = raw - self.last_raw.unwrap_or(raw);
            if self.wrap_bits > 0 && self.wrap_bits < 63 {
                let w = 1i64 << self.wrap_bits;
                d = d.rem_euclid(w);
                if d > w / 2 {
                    d -= w;
                }
            }
            Some(d as f64 * tb.as_f64())
        } else {
            None
        };
        self.last_raw = Some(raw);
        (m.ticks, jump)
    }
}
