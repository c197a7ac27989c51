//! Media time: exact timestamps in a time base, and the unwrapping of wrapping or jumping
//! timestamps (MPEG-TS) onto one continuous timeline.
//!
//! Every time inside avqc is a [`MediaTime`]: an integer tick count in a rational time base, as
//! the container gave it, measured from the input's start time. It becomes seconds only at the
//! edges (events, reports).

use std::cmp::Ordering;
use std::fmt;

/// A rational number `num/den`, used as a time base (seconds per tick) or a frame rate.
///
/// ```
/// use avqc::Rational;
/// let tb = Rational::new(1, 90_000);
/// assert_eq!(tb.as_f64(), 1.0 / 90_000.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Rational {
    /// Numerator.
    pub num: i32,
    /// Denominator; never zero in a valid value.
    pub den: i32,
}

impl Rational {
    /// `num/den`. A zero denominator is replaced by 1 so the value stays usable.
    pub const fn new(num: i32, den: i32) -> Self {
        if den == 0 {
            Rational { num, den: 1 }
        } else if den < 0 {
            Rational {
                num: -num,
                den: -den,
            }
        } else {
            Rational { num, den }
        }
    }

    /// The value as a float.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// True when the numerator is positive (a usable time base or rate).
    pub fn is_positive(self) -> bool {
        self.num > 0 && self.den > 0
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// The time base of [`MediaTime::from_secs_f64`]: microseconds.
pub const MICROS: Rational = Rational::new(1, 1_000_000);

/// An exact point on an input's media timeline: `ticks × base` seconds after the input's start
/// time (what `ffprobe` reports as `start_time`), shared by all streams of the input.
///
/// Comparisons are exact across time bases.
///
/// ```
/// use avqc::{MediaTime, Rational};
/// let a = MediaTime::new(90_000, Rational::new(1, 90_000));
/// let b = MediaTime::new(25, Rational::new(1, 25));
/// assert_eq!(a, b);
/// assert_eq!(a.as_secs_f64(), 1.0);
/// assert!((MediaTime::from_secs_f64(1.5).secs_since(a) - 0.5).abs() < 1e-9);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MediaTime {
    ticks: i64,
    base: Rational,
}

impl MediaTime {
    /// The start of the timeline.
    pub const ZERO: MediaTime = MediaTime {
        ticks: 0,
        base: MICROS,
    };

    /// `ticks` in time base `base`.
    pub const fn new(ticks: i64, base: Rational) -> Self {
        MediaTime {
            ticks,
            base: Rational::new(base.num, base.den),
        }
    }

    /// The nearest microsecond to `secs` seconds (for tests and config edges).
    pub fn from_secs_f64(secs: f64) -> Self {
        MediaTime {
            ticks: (secs * 1e6).round() as i64,
            base: MICROS,
        }
    }

    /// The tick count.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// The time base (seconds per tick).
    pub const fn base(self) -> Rational {
        self.base
    }

    /// Seconds since the start of the timeline.
    pub fn as_secs_f64(self) -> f64 {
        self.ticks as f64 * self.base.as_f64()
    }

    /// The same instant in `base`, rounded to the nearest tick.
    pub fn rescale(self, base: Rational) -> MediaTime {
        if base == self.base {
            return self;
        }
        let n = self.ticks as i128 * self.base.num as i128 * base.den as i128;
        let d = self.base.den as i128 * base.num.max(1) as i128;
        let q = if n >= 0 {
            (n + d / 2) / d
        } else {
            (n - d / 2) / d
        };
        MediaTime::new(q.clamp(i64::MIN as i128, i64::MAX as i128) as i64, base)
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn secs_since(self, earlier: MediaTime) -> f64 {
        if self.base == earlier.base {
            // i128: ticks from hostile timestamps can be far apart (i64::MIN..i64::MAX).
            (self.ticks as i128 - earlier.ticks as i128) as f64 * self.base.as_f64()
        } else {
            self.as_secs_f64() - earlier.as_secs_f64()
        }
    }

    /// This time moved by `secs` seconds, kept in this time base (rounded to its tick).
    pub fn add_secs(self, secs: f64) -> MediaTime {
        let ticks = (secs / self.base.as_f64()).round() as i64;
        MediaTime::new(self.ticks.saturating_add(ticks), self.base)
    }

    fn key(self) -> (i128, i128) {
        (
            self.ticks as i128 * self.base.num as i128,
            self.base.den as i128,
        )
    }
}

impl PartialEq for MediaTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MediaTime {}
impl PartialOrd for MediaTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MediaTime {
    fn cmp(&self, other: &Self) -> Ordering {
        let (an, ad) = self.key();
        let (bn, bd) = other.key();
        (an * bd).cmp(&(bn * ad))
    }
}

impl fmt::Display for MediaTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

impl serde::Serialize for MediaTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(seconds_rounded(*self))
    }
}

impl<'de> serde::Deserialize<'de> for MediaTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = <f64 as serde::Deserialize>::deserialize(d)?;
        Ok(MediaTime::from_secs_f64(secs))
    }
}

/// Seconds rounded to the microsecond, so JSON shows `12.48`, not `12.479999999`.
pub(crate) fn seconds_rounded(t: MediaTime) -> f64 {
    (t.as_secs_f64() * 1e6).round() / 1e6
}

/// What [`TimestampUnwrapper::map`] made of one raw timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// Ticks on the continuous timeline (relative to the input's start time).
    pub ticks: i64,
    /// The raw timestamps jumped here (an MPEG-TS discontinuity, a splice, a restarted encoder);
    /// `ticks` continues the timeline one step after the previous timestamp.
    pub discontinuity: bool,
}

/// Turns one stream's raw timestamps into a continuous timeline: undoes wrap-around of
/// `wrap_bits`-bit timestamps (33 for MPEG-TS), subtracts the input's start time, and bridges
/// jumps larger than a threshold (discontinuities) so the timeline keeps running.
///
/// ```
/// use avqc::TimestampUnwrapper;
/// let wrap = 1i64 << 33;
/// // a 90 kHz, 25 fps stream that starts one frame before the wrap point
/// let mut u = TimestampUnwrapper::new(Some(33), 90_000, wrap - 3600, 3600);
/// assert_eq!(u.map(wrap - 3600).ticks, 0);
/// assert_eq!(u.map(0).ticks, 3600);             // wrapped: still one frame later
/// let jump = u.map(2_000_000_000);              // a discontinuity: bridged
/// assert!(jump.discontinuity);
/// assert_eq!(jump.ticks, 7200);
/// ```
#[derive(Clone, Debug)]
pub struct TimestampUnwrapper {
    wrap: Option<i64>,
    origin: i64,
    max_jump: i64,
    wrap_offset: i64,
    disc_offset: i64,
    last_raw: Option<i64>,
    last_out: Option<i64>,
    step: i64,
}

impl TimestampUnwrapper {
    /// A mapper for timestamps of `wrap_bits` bits (`None` or 64 for no wrap), where `ticks_per_sec`
    /// ticks make a second, `origin` is the input's start time in these ticks and `step` the
    /// nominal distance between two timestamps (a frame duration). Jumps of more than 10 s forward
    /// or 1 s back count as discontinuities.
    pub fn new(wrap_bits: Option<u32>, ticks_per_sec: i64, origin: i64, step: i64) -> Self {
        let wrap = wrap_bits.filter(|&b| b > 0 && b < 63).map(|b| 1i64 << b);
        TimestampUnwrapper {
            wrap,
            origin: wrap.map_or(origin, |w| origin.rem_euclid(w)),
            max_jump: ticks_per_sec.max(1) * 10,
            wrap_offset: 0,
            disc_offset: 0,
            last_raw: None,
            last_out: None,
            step: step.max(1),
        }
    }

    /// Maps one raw timestamp (presentation order).
    pub fn map(&mut self, raw: i64) -> Mapped {
        if let (Some(w), Some(last)) = (self.wrap, self.last_raw) {
            let raw = raw.rem_euclid(w);
            let d = raw - last.rem_euclid(w);
            if d < -w / 2 {
                self.wrap_offset += w;
            } else if d > w / 2 {
                self.wrap_offset -= w;
            }
        }
        let raw = match self.wrap {
            Some(w) => raw.rem_euclid(w),
            None => raw,
        };
        self.last_raw = Some(raw);
        let mut out = raw + self.wrap_offset - self.origin + self.disc_offset;
        let mut discontinuity = false;
        if let Some(last) = self.last_out {
            let d = out - last;
            if d > self.max_jump || d < -self.max_jump / 10 {
                let target = last + self.step;
                self.disc_offset += target - out;
                out = target;
                discontinuity = true;
            } else if d > 0 && d <= self.max_jump / 10 {
                self.step = d;
            }
        }
        self.last_out = Some(out);
        Mapped {
            ticks: out,
            discontinuity,
        }
    }

    /// Moves the timeline from the last mapped timestamp on: it maps to `ticks` instead, and
    /// the timestamps after it follow. For a caller that bridges a jump itself, e.g. several
    /// streams by one common offset.
    ///
    /// ```
    /// use avqc::TimestampUnwrapper;
    /// let mut u = TimestampUnwrapper::new(None, 1000, 0, 40);
    /// u.map(0);
    /// assert_eq!(u.map(90_000).ticks, 40); // a jump, bridged to the next step
    /// u.rebase(100);                       // ... but this caller wants it at 100
    /// assert_eq!(u.map(90_040).ticks, 140);
    /// ```
    pub fn rebase(&mut self, ticks: i64) {
        if let Some(last) = self.last_out {
            self.disc_offset += ticks - last;
            self.last_out = Some(ticks);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_comparison_across_bases() {
        let a = MediaTime::new(3003, Rational::new(1, 90_000));
        let b = MediaTime::new(1, Rational::new(1001, 30_000));
        assert_eq!(a, b);
        assert!(MediaTime::new(3004, Rational::new(1, 90_000)) > b);
        assert_eq!(a.rescale(Rational::new(1001, 30_000)).ticks(), 1);
    }

    #[test]
    fn unwraps_33_bit_wrap_and_reordering() {
        let w = 1i64 << 33;
        let mut u = TimestampUnwrapper::new(Some(33), 90_000, w - 7200, 3600);
        assert_eq!(u.map(w - 7200).ticks, 0);
        assert_eq!(u.map(w - 3600).ticks, 3600);
        assert_eq!(u.map(0).ticks, 7200);
        assert_eq!(u.map(3600).ticks, 10_800);
        let m = u.map(7200);
        assert_eq!(
            m,
            Mapped {
                ticks: 14_400,
                discontinuity: false
            }
        );
    }

    #[test]
    fn bridges_forward_and_backward_jumps() {
        let mut u = TimestampUnwrapper::new(None, 1000, 500, 40);
        assert_eq!(u.map(500).ticks, 0);
        assert_eq!(u.map(540).ticks, 40);
        let j = u.map(100_000);
        assert!(j.discontinuity);
        assert_eq!(j.ticks, 80);
        assert_eq!(u.map(100_040).ticks, 120);
        let back = u.map(1_000);
        assert!(back.discontinuity);
        assert_eq!(back.ticks, 160);
        assert!(!u.map(1_040).discontinuity);
    }
}
