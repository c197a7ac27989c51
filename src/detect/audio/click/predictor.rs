//! The short-term linear predictor that whitens each channel: estimated by the autocorrelation
//! method (Levinson–Durbin), and the residual it leaves.

use super::geometry::Geometry;
use super::{Scratch, MAX_ORDER};

/// A predictor and where it took over.
#[derive(Clone, Copy, Debug)]
pub(super) struct Predictor {
    /// First sample position it filters.
    pub(super) from: i64,
    /// `a[0] = 1`, `a[1..=order]`: residual `e[n] = sum a[k] x[n-k]`.
    pub(super) a: [f32; MAX_ORDER + 1],
    /// `sum a[k]^2`: the power gain of the whitening filter for white input.
    pub(super) gain: f32,
}

impl Predictor {
    fn identity(from: i64) -> Self {
        let mut a = [0.0; MAX_ORDER + 1];
        a[0] = 1.0;
        Predictor { from, a, gain: 1.0 }
    }
}

/// The residual of `a` over `buf[from..from + out.len()]` (needs `a.len() - 1` samples before).
pub(super) fn whiten(buf: &[f32], from: usize, a: &[f32], out: &mut [f32]) {
    let n = out.len();
    out.copy_from_slice(&buf[from..from + n]);
    for (k, &ak) in a.iter().enumerate().skip(1) {
        for (o, &x) in out.iter_mut().zip(&buf[from - k..from - k + n]) {
            *o += ak * x;
        }
    }
}

/// The predictor for the hop starting at `pos`, from `seg`: the `window` samples before it.
pub(super) fn fit(seg: &[f32], pos: i64, g: &Geometry, scratch: &mut Scratch) -> Predictor {
    let p = g.order;
    let w = g.window;
    for ((y, &x), &h) in scratch.windowed.iter_mut().zip(seg).zip(&scratch.hann) {
        *y = x * h;
    }
    let y = &scratch.windowed;
    let mut r = [0.0f64; MAX_ORDER + 1];
    for (k, rk) in r.iter_mut().enumerate().take(p + 1) {
        *rk = dot(&y[..w - k], &y[k..]) as f64;
    }
    let mut pred = Predictor::identity(pos);
    if r[0] > 1e-20 {
        // White-noise correction (−40 dB) and a 40 Hz Gaussian lag window keep the estimate
        // well conditioned on pure tones.
        r[0] *= 1.0 + 1e-4;
        let bw = 2.0 * std::f64::consts::PI * 40.0 / g.rate as f64;
        for (k, rk) in r.iter_mut().enumerate().take(p + 1).skip(1) {
            *rk *= (-0.5 * (bw * k as f64).powi(2)).exp();
        }
        let a = levinson(&r, p);
        for (d, &v) in pred.a.iter_mut().zip(&a).take(p + 1) {
            *d = v as f32;
        }
        pred.gain = pred.a[..=p].iter().map(|v| v * v).sum();
    }
    pred
}

/// Dot product with eight accumulators (vectorises).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, ar) = a.split_at(a.len() / 8 * 8);
    let (bc, br) = b.split_at(ac.len());
    for (x, y) in ac.chunks_exact(8).zip(bc.chunks_exact(8)) {
        for ((s, &u), &v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// Levinson–Durbin recursion: the predictor `a` (with `a[0] = 1`) of order `p` from the
/// autocorrelation `r`.
fn levinson(r: &[f64; MAX_ORDER + 1], p: usize) -> [f64; MAX_ORDER + 1] {
    let mut a = [0.0f64; MAX_ORDER + 1];
    let mut prev = [0.0f64; MAX_ORDER + 1];
    a[0] = 1.0;
    let mut err = r[0];
    for i in 1..=p {
        if err <= r[0] * 1e-12 {
            break;
        }
        let mut acc = r[i];
        for j in 1..i {
            acc += a[j] * r[i - j];
        }
        let k = -acc / err;
        prev[..i].copy_from_slice(&a[..i]);
        for j in 1..i {
            a[j] = prev[j] + k * prev[i - j];
        }
        a[i] = k;
        err *= 1.0 - k * k;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levinson_finds_an_ar2_process() {
        // x[n] = 1.6 x[n-1] - 0.8 x[n-2] + w[n]: r from its exact autocorrelation.
        let (a1, a2) = (1.6f64, -0.8f64);
        let r1_over_r0 = a1 / (1.0 - a2);
        let r2_over_r0 = a1 * r1_over_r0 + a2;
        let mut r = [0.0; MAX_ORDER + 1];
        r[0] = 1.0;
        r[1] = r1_over_r0;
        r[2] = r2_over_r0;
        r[3] = a1 * r[2] + a2 * r[1];
        let a = levinson(&r, 3);
        assert!((a[1] + a1).abs() < 1e-9 && (a[2] + a2).abs() < 1e-9 && a[3].abs() < 1e-9);
    }

    #[test]
    fn dot_matches_a_plain_sum() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.01).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }
}
