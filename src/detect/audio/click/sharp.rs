//! How broadband a residual peak is: the share of its energy at high frequencies.
//!
//! A click is a discontinuity of the waveform: after whitening its excess is as broadband as
//! the codec lets it be (about white up to the codec's cut-off), and neighbouring residual
//! samples are nearly unrelated. The programme's own impulses that stand out of the residual
//! — glottal pulses, plucks, thumps, drum attacks — are smooth pulses a few samples wide,
//! their residual mostly low-frequency. The measure is the energy of the residual's first
//! difference over twice its energy, in a few samples on each side of the peak: 1 for white
//! residual, 0.6 for white residual cut at 16 kHz, about 0.1 and under for smooth pulses.

use super::predictor::whiten;

/// Residual samples on each side of the peak in the measure.
pub(super) const SIDE: usize = 8;
/// Samples whitened for the measure: the side windows, the sample before them, and the peak.
pub(super) const SPAN: usize = 2 * SIDE + 2;

/// Share of high frequencies of the residual of `a` around `buf[at]`: (energy of the first
/// difference) / (2 × energy) over `at - SIDE ..= at + SIDE`. Needs `a.len() + SIDE` samples
/// before `at` and `SIDE` after it (0, not sharp, without them: at a low sample rate the
/// candidate's window can be shorter); `scratch` holds `SPAN` values.
pub(super) fn sharpness(buf: &[f32], at: usize, a: &[f32], scratch: &mut [f32; SPAN]) -> f32 {
    if at < SIDE + a.len() || at + SIDE >= buf.len() {
        return 0.0;
    }
    whiten(buf, at - SIDE - 1, a, scratch);
    let (mut diff, mut energy) = (0.0f32, 0.0f32);
    for w in scratch.windows(2) {
        diff += (w[1] - w[0]) * (w[1] - w[0]);
        energy += w[1] * w[1];
    }
    if energy > 0.0 {
        diff / (2.0 * energy)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(x: &[f32], at: usize) -> f32 {
        let mut a = [0.0f32; 3];
        a[0] = 1.0;
        let mut s = [0.0; SPAN];
        sharpness(x, at, &a, &mut s)
    }

    #[test]
    fn an_impulse_is_sharp_a_smooth_pulse_is_not() {
        let mut x = vec![0.0f32; 64];
        x[32] = 1.0;
        assert!(measure(&x, 32) > 0.9, "{}", measure(&x, 32));
        // A raised-cosine pulse 12 samples wide.
        let mut y = vec![0.0f32; 64];
        for k in 0..12 {
            let t = std::f32::consts::PI * 2.0 * (k as f32 + 0.5) / 12.0;
            y[26 + k] = 0.5 - 0.5 * t.cos();
        }
        assert!(measure(&y, 32) < 0.1, "{}", measure(&y, 32));
        // Alternating samples: all at the top of the band.
        let mut z = vec![0.0f32; 64];
        z[31] = 1.0;
        z[32] = -1.0;
        assert!(measure(&z, 32) > 1.2, "{}", measure(&z, 32));
    }

    #[test]
    fn silence_measures_zero() {
        let x = vec![0.0f32; 64];
        assert_eq!(measure(&x, 32), 0.0);
    }

    #[test]
    fn a_peak_too_near_either_end_is_not_sharp_and_does_not_panic() {
        let mut x = vec![0.0f32; 24];
        for at in [0, 3, SIDE + 2, 16, 23] {
            x.iter_mut().for_each(|v| *v = 0.0);
            x[at] = 1.0;
            assert_eq!(measure(&x, at), 0.0, "at {at}");
        }
        x[SIDE + 3] = 1.0;
        assert!(measure(&x, SIDE + 3) > 0.9);
    }
}
