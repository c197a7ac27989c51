//! An 8th-order Butterworth low-pass (four biquad sections, `f64` state) used to decimate sound
//! before a spectrum that only needs low frequencies, and a second-order band-pass (a high-pass
//! and a low-pass section) for the speech band.

use std::f64::consts::PI;

/// One second-order section (transposed direct form II).
#[derive(Clone, Copy, Debug, Default)]
struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    s1: f64,
    s2: f64,
}

impl Biquad {
    /// A low-pass section at `w0` radians per sample with quality `q` (bilinear transform).
    fn low_pass(w0: f64, q: f64) -> Self {
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        let b1 = (1.0 - cos) / a0;
        Biquad {
            b0: b1 / 2.0,
            b1,
            b2: b1 / 2.0,
            a1: -2.0 * cos / a0,
            a2: (1.0 - alpha) / a0,
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// A high-pass section at `w0` radians per sample with quality `q` (bilinear transform).
    fn high_pass(w0: f64, q: f64) -> Self {
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        let b1 = -(1.0 + cos) / a0;
        Biquad {
            b0: -b1 / 2.0,
            b1,
            b2: -b1 / 2.0,
            a1: -2.0 * cos / a0,
            a2: (1.0 - alpha) / a0,
            s1: 0.0,
            s2: 0.0,
        }
    }

    #[inline]
    fn run(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.s1;
        self.s1 = self.b1 * x - self.a1 * y + self.s2;
        self.s2 = self.b2 * x - self.a2 * y;
        y
    }
}

/// Butterworth low-pass of order 8: flat to about 0.8 of the cutoff (−0.1 dB), −3 dB at the
/// cutoff, then −48 dB per octave.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LowPass8 {
    sections: [Biquad; 4],
}

impl LowPass8 {
    /// A low-pass at `cutoff` Hz for sound at `rate` Hz (`cutoff` below half the rate).
    pub(crate) fn new(rate: f64, cutoff: f64) -> Self {
        let w0 = 2.0 * PI * cutoff / rate;
        // The poles of a Butterworth filter of order 8 pair into sections of these qualities.
        let section = |k: usize| {
            let q = 1.0 / (2.0 * ((2 * k + 1) as f64 * PI / 16.0).cos());
            Biquad::low_pass(w0, q)
        };
        LowPass8 {
            sections: [section(0), section(1), section(2), section(3)],
        }
    }

    /// Filters one sample.
    #[inline]
    pub(crate) fn run(&mut self, x: f64) -> f64 {
        self.sections.iter_mut().fold(x, |v, s| s.run(v))
    }
}

/// A band-pass of two Butterworth sections (high-pass at `low`, low-pass at `high`, 12 dB per
/// octave either side): cheap enough to run on every sample of a stream's sound.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BandPass {
    high: Biquad,
    low: Biquad,
}

impl BandPass {
    /// The band `low..high` Hz for sound at `rate` Hz (`high` below half the rate).
    pub(crate) fn new(rate: f64, low: f64, high: f64) -> Self {
        let q = std::f64::consts::FRAC_1_SQRT_2;
        BandPass {
            high: Biquad::high_pass(2.0 * PI * low / rate, q),
            low: Biquad::low_pass(2.0 * PI * high / rate, q),
        }
    }

    /// Filters one sample.
    #[inline]
    pub(crate) fn run(&mut self, x: f64) -> f64 {
        self.low.run(self.high.run(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RMS gain of the filter on a sine of `freq` Hz at 48 kHz, after it settled.
    fn gain(freq: f64) -> f64 {
        let rate = 48_000.0;
        let mut f = LowPass8::new(rate, 300.0);
        let (mut inp, mut out) = (0.0, 0.0);
        for i in 0..96_000 {
            let x = (2.0 * PI * freq * i as f64 / rate).sin();
            let y = f.run(x);
            if i >= 48_000 {
                inp += x * x;
                out += y * y;
            }
        }
        (out / inp).sqrt()
    }

    #[test]
    fn band_pass_response() {
        let rate = 48_000.0;
        let gain = |freq: f64| {
            let mut f = BandPass::new(rate, 300.0, 3000.0);
            let (mut inp, mut out) = (0.0, 0.0);
            for i in 0..48_000 {
                let x = (2.0 * PI * freq * i as f64 / rate).sin();
                let y = f.run(x);
                if i >= 24_000 {
                    inp += x * x;
                    out += y * y;
                }
            }
            10.0 * (out / inp).log10()
        };
        assert!(gain(1000.0).abs() < 1.0, "{}", gain(1000.0));
        assert!((gain(300.0) + 3.0).abs() < 0.6, "{}", gain(300.0));
        assert!(gain(50.0) < -25.0, "{}", gain(50.0));
        assert!(gain(15_000.0) < -20.0, "{}", gain(15_000.0));
    }

    #[test]
    fn butterworth_response() {
        let db = |g: f64| 20.0 * g.log10();
        assert!(db(gain(50.0)).abs() < 0.01, "{}", db(gain(50.0)));
        assert!(db(gain(240.0)).abs() < 0.2, "{}", db(gain(240.0)));
        assert!((db(gain(300.0)) + 3.0).abs() < 0.1, "{}", db(gain(300.0)));
        assert!(db(gain(750.0)) < -60.0, "{}", db(gain(750.0)));
        assert!(db(gain(5_000.0)) < -120.0, "{}", db(gain(5_000.0)));
    }
}
