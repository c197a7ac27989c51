//! The median of a picture's block differences, a counting shortcut that settles a bound on it
//! without finding it, and their maximum.

use crate::detect::measure::cells::CellValue;

/// The median of `values`, using `scratch` (no allocation once it has grown to
/// `values.len()`).
pub(crate) fn median(values: &[f32], scratch: &mut Vec<f32>) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    scratch.clear();
    scratch.extend_from_slice(values);
    let mid = scratch.len() / 2;
    let (_, m, _) = scratch.select_nth_unstable_by(mid, f32::total_cmp);
    *m
}

/// True when `worst > tol + k * median(values)` is certain without finding the median (as
/// [`median`] picks it), false when it is not certain: one counting pass instead of a
/// selection. For `k >= 0`, `tol + k * m` rounds monotonically in `m`; so with the largest `c`
/// found for which `tol + k * c < worst`, a median `<= c` (at least `len / 2 + 1` values
/// `<= c`) puts `tol + k * median` below `worst` too, computed the same way in `f32`.
pub(crate) fn surely_over_noise(values: &[f32], worst: f32, tol: f32, k: f32) -> bool {
    let finite = worst.is_finite() && tol.is_finite() && k.is_finite();
    if values.is_empty() || !finite || worst <= tol || k < 0.0 {
        return false;
    }
    if k == 0.0 {
        return true; // `tol + 0 * m` is `tol`, under `worst`.
    }
    let below = |c: f32| c >= 0.0 && tol + k * c < worst;
    let mut c = (worst - tol) / k;
    for _ in 0..4 {
        if below(c) {
            break;
        }
        c = c.next_down();
    }
    below(c) && median_at_most(values, c)
}

/// True when the median of `values` (as [`median`] picks it: 0 when empty) is at most `c`,
/// by counting: at least `len / 2 + 1` values are `<= c`.
pub(crate) fn median_at_most(values: &[f32], c: f32) -> bool {
    if values.is_empty() {
        return 0.0 <= c;
    }
    values.iter().filter(|&&v| v <= c).count() > values.len() / 2
}

/// Block change (8-bit code values) from which a block counts as replaced by a cut.
pub(crate) const CUT_LEVEL: f32 = 12.0;

/// True when a picture's block changes against the previous picture (`values`) make a cut:
/// more than 3 in 5 blocks changed by [`CUT_LEVEL`] or more, so the picture replaced the
/// previous one rather than moving part of it. One counting pass.
pub(crate) fn is_cut(values: &[f32]) -> bool {
    cut_by(cut_blocks(values), values.len())
}

/// True when `moved` of a picture's `blocks` block changes reaching [`CUT_LEVEL`] make a cut
/// (more than 3 in 5), as [`is_cut`] judges.
pub(crate) fn cut_by(moved: usize, blocks: usize) -> bool {
    blocks > 0 && moved * 5 > blocks * 3
}

/// How many of a picture's block changes (`values`) reach [`CUT_LEVEL`]. One counting pass.
pub(crate) fn cut_blocks(values: &[f32]) -> usize {
    values.iter().filter(|&&v| v >= CUT_LEVEL).count()
}

/// Spatial contrast of a picture from its cell means: their mean absolute deviation from
/// their mean (0 when empty). Means in quarters ([`CellValue`]) are taken back to code values
/// first (exact), so both kinds give the same contrast.
pub(crate) fn contrast<V: CellValue>(cells: &[V]) -> f32 {
    if cells.is_empty() {
        return 0.0;
    }
    let n = cells.len() as f32;
    let value = |c: &V| c.units() / V::SCALE;
    let mean = cells.iter().map(value).sum::<f32>() / n;
    cells.iter().map(|c| (value(c) - mean).abs()).sum::<f32>() / n
}

/// The largest value of `values` (0 when empty).
pub(crate) fn max(values: &[f32]) -> f32 {
    values.iter().copied().fold(0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_changes_most_blocks() {
        assert!(!is_cut(&[]));
        assert!(is_cut(&[20.0, 30.0, 15.0, 1.0]));
        assert!(!is_cut(&[20.0, 30.0, 1.0, 1.0]));
    }

    #[test]
    fn counting_settles_the_noise_bound_as_the_median_does() {
        // `surely_over_noise` may say "don't know" (false) but never contradicts the median.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut settled, mut scratch) = (0, Vec::new());
        for round in 0..4000 {
            let n = 1 + (next() % 40) as usize;
            // Few distinct values (ties at the median), quarter steps, some zeros.
            let values: Vec<f32> = (0..n).map(|_| (next() % 24) as f32 * 0.25).collect();
            let worst = max(&values);
            let tol = [0.0, 1.0, 2.5, 4.0][round % 4];
            let k = [0.0, 0.5, 2.0, 3.0][(round / 4) % 4];
            let m = median(&values, &mut scratch);
            let over = worst > tol + k * m;
            if surely_over_noise(&values, worst, tol, k) {
                assert!(over, "{values:?} tol {tol} k {k} median {m}");
                settled += 1;
            }
            for c in [0.0, 0.25, 1.0, 2.5, m] {
                assert_eq!(median_at_most(&values, c), m <= c, "{values:?} {c}");
            }
        }
        // The shortcut is taken often enough to matter.
        assert!(settled > 1000, "{settled}");
        assert!(median_at_most(&[], 0.0) && !median_at_most(&[], -1.0));
    }
}
