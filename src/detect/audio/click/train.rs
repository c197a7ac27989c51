//! A voice's own pulse train: impulses of similar height at a regular spacing of a voice's
//! pitch period, of which the candidate is one.
//!
//! A vocoder (the HTS voices) excites its vowels with bare impulses at the pitch period, and a
//! creaky voice's glottal closures are nearly as abrupt: at a voiced onset the first of them
//! can stand out of the residual of the predictor from before (learnt on a fricative or on
//! room tone) as a click would, pass every other test, and make a "crackle" of two or three
//! clicks 2.5–12.5 ms apart. An added click is a single event: the corpus's are 1–3
//! neighbouring samples, and crackle falls at unrelated times. So a candidate with two other
//! residual peaks of similar height (within [`SIMILAR`] of its own either way) such that the
//! three are equally spaced (within `rhythm`'s spread, a step of 2.5–12.5 ms) is taken for
//! the voice's pulses, not for a click.

use super::geometry::Geometry;
use super::rhythm::STEP_SPREAD;

/// Largest ratio (either way) of residual peaks of one pulse train (about 10 dB): a voice's
/// pulses at an onset vary by a factor of two, a click stands far over the voice's pulses
/// around it.
pub(super) const SIMILAR: f32 = 3.0;

/// Peaks of similar height remembered around a candidate; more are not looked at.
const MAX_PEAKS: usize = 24;

/// Whether the residual magnitudes `ef` hold, around the candidate's peak `q` (of magnitude
/// `amp`), two more peaks of similar height that make three equally spaced pulses with it.
pub(super) fn in_pulse_train(ef: &[f32], q: usize, amp: f32, g: &Geometry) -> bool {
    let tol = |step: usize| step as f64 * STEP_SPREAD + g.step_jitter as f64;
    let reach = 2 * g.voice_max + tol(g.voice_max).ceil() as usize;
    let from = q.saturating_sub(reach);
    let to = (q + reach + 1).min(ef.len());
    // A peak stands over its neighbours within half the shortest step.
    let r = (g.step_min / 2).max(1);
    let mut peaks = [0usize; MAX_PEAKS];
    let mut n = 0;
    peaks[n] = q;
    n += 1;
    for j in from..to {
        let v = ef[j];
        if j.abs_diff(q) <= r || v * SIMILAR < amp || v > amp * SIMILAR {
            continue;
        }
        let a = j.saturating_sub(r);
        let b = (j + r + 1).min(ef.len());
        let top = ef[a..j].iter().all(|&x| x < v) && ef[j + 1..b].iter().all(|&x| x <= v);
        if top {
            peaks[n] = j;
            n += 1;
            if n == MAX_PEAKS {
                break;
            }
        }
    }
    let peaks = &mut peaks[..n];
    peaks.sort_unstable();
    // Three of them, the candidate among them, equally spaced.
    for x in 0..n {
        for y in x + 1..n {
            for z in y + 1..n {
                if peaks[x] != q && peaks[y] != q && peaks[z] != q {
                    continue;
                }
                let (s1, s2) = (peaks[y] - peaks[x], peaks[z] - peaks[y]);
                let (lo, hi) = (s1.min(s2), s1.max(s2));
                if lo >= g.step_min && hi <= g.voice_max && ((hi - lo) as f64) <= tol(hi) {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::audio::ClickConfig;

    fn geometry() -> Geometry {
        Geometry::new(48_000, &ClickConfig::default())
    }

    /// Residual magnitudes of 0.01 with pulses of `h` at `at`.
    fn residual(pulses: &[(usize, f32)]) -> Vec<f32> {
        let mut e = vec![0.01f32; 4000];
        for &(at, h) in pulses {
            e[at] = h;
        }
        e
    }

    #[test]
    fn three_similar_pulses_at_a_pitch_period_are_a_train() {
        let g = geometry();
        // 165 Hz: 291 samples. The candidate first, in the middle, last.
        let e = residual(&[(2000, 1.0), (2291, 0.7), (2583, 0.5)]);
        assert!(in_pulse_train(&e, 2000, 1.0, &g));
        assert!(in_pulse_train(&e, 2291, 0.7, &g));
        assert!(in_pulse_train(&e, 2583, 0.5, &g));
    }

    #[test]
    fn a_lone_impulse_or_an_uneven_or_unlike_group_is_not() {
        let g = geometry();
        assert!(!in_pulse_train(&residual(&[(2000, 1.0)]), 2000, 1.0, &g));
        // Two pulses only.
        let e = residual(&[(2000, 1.0), (2291, 0.7)]);
        assert!(!in_pulse_train(&e, 2000, 1.0, &g));
        // Spacing 291 then 400 samples.
        let e = residual(&[(2000, 1.0), (2291, 0.7), (2691, 0.7)]);
        assert!(!in_pulse_train(&e, 2000, 1.0, &g));
        // The others far weaker than the candidate (a click over a voice).
        let e = residual(&[(1709, 0.2), (2000, 1.0), (2291, 0.2)]);
        assert!(!in_pulse_train(&e, 2000, 1.0, &g));
        // Closer than a voice's shortest period, or longer than its longest.
        let e = residual(&[(2000, 1.0), (2080, 1.0), (2160, 1.0)]);
        assert!(!in_pulse_train(&e, 2000, 1.0, &g));
        let e = residual(&[(1300, 1.0), (2000, 1.0), (2700, 1.0)]);
        assert!(!in_pulse_train(&e, 2000, 1.0, &g));
    }
}
