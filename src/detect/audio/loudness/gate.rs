//! Gated statistics of loudness blocks (BS.1770-4 integrated loudness, EBU Tech 3342 loudness
//! range) on fixed histograms: bounded memory and cost however long the stream runs.

/// Lowest loudness kept: the absolute gate of BS.1770-4 and Tech 3342, in LUFS.
pub(crate) const ABSOLUTE_GATE: f64 = -70.0;
/// Loudness of the top bin, in LUFS; louder blocks are counted in it (their energy stays exact).
const TOP: f64 = 10.0;
/// Bins per LU.
const PER_LU: f64 = 100.0;
const BINS: usize = ((TOP - ABSOLUTE_GATE) * PER_LU) as usize;

/// Loudness in LUFS of a mean square energy (K-weighted, channel-weighted), per BS.1770-4.
pub(crate) fn lufs(energy: f64) -> f64 {
    if energy > 0.0 {
        -0.691 + 10.0 * energy.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Mean square energy of a loudness in LUFS (the inverse of [`lufs`]).
pub(crate) fn energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// Loudness blocks above the absolute gate, counted in 0.01 LU bins from −70 to +10 LUFS.
///
/// With `sums` the energy of each bin's blocks is kept too, so the gated mean energy (the
/// integrated loudness) is exact: only the bin holding the relative gate is judged as a whole.
/// Without, only counts are kept (enough for the percentiles of the loudness range).
pub(crate) struct Histogram {
    counts: Vec<u32>,
    sums: Vec<f64>,
    n: u64,
    total: f64,
    gate_energy: f64,
}

impl Histogram {
    /// An empty histogram; `sums` keeps the energy of each bin (see the type's docs).
    pub(crate) fn new(sums: bool) -> Self {
        Histogram {
            counts: vec![0; BINS],
            sums: if sums { vec![0.0; BINS] } else { Vec::new() },
            n: 0,
            total: 0.0,
            gate_energy: energy(ABSOLUTE_GATE),
        }
    }

    /// Adds a block of mean square energy `e`; blocks under the absolute gate (and non-finite
    /// ones) are left out.
    pub(crate) fn add(&mut self, e: f64) {
        if !(e.is_finite() && e >= self.gate_energy) {
            return;
        }
        let i = Self::bin(lufs(e));
        self.counts[i] = self.counts[i].saturating_add(1);
        if let Some(s) = self.sums.get_mut(i) {
            *s += e;
        }
        self.n += 1;
        self.total += e;
    }

    fn bin(l: f64) -> usize {
        (((l - ABSOLUTE_GATE) * PER_LU).floor().max(0.0) as usize).min(BINS - 1)
    }

    /// Loudness at the centre of bin `i`.
    fn centre(i: usize) -> f64 {
        ABSOLUTE_GATE + (i as f64 + 0.5) / PER_LU
    }

    /// The first bin at or above the relative gate `gate_lu` below the mean energy of all
    /// blocks: a bin straddling the gate counts when its centre is above it.
    fn relative_start(&self, gate_lu: f64) -> usize {
        let mean = self.total / self.n as f64;
        let gate = lufs(mean) + gate_lu;
        let i = Self::bin(gate);
        // The top bin holds every louder block too: it is never left out.
        if Self::centre(i) < gate && i + 1 < BINS {
            i + 1
        } else {
            i
        }
    }

    /// Gated (integrated) loudness in LUFS, BS.1770-4: the mean energy of the blocks above the
    /// relative gate 10 LU under the mean of all blocks above the absolute gate. `None` while no
    /// block passed the absolute gate. Needs `sums`.
    pub(crate) fn integrated(&self) -> Option<f64> {
        if self.n == 0 || self.sums.is_empty() {
            return None;
        }
        let start = self.relative_start(-10.0);
        let (mut n, mut e) = (0u64, 0.0);
        for (c, s) in self.counts[start..].iter().zip(&self.sums[start..]) {
            n += *c as u64;
            e += s;
        }
        (n > 0).then(|| lufs(e / n as f64))
    }

    /// Loudness range in LU, EBU Tech 3342: the spread between the 10th and the 95th percentile
    /// of the blocks above the relative gate 20 LU under the mean of all blocks above the
    /// absolute gate. `None` while no block passed the absolute gate.
    pub(crate) fn range(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let start = self.relative_start(-20.0);
        let gated: u64 = self.counts[start..].iter().map(|&c| c as u64).sum();
        if gated == 0 {
            return Some(0.0);
        }
        let rank = |p: f64| ((gated - 1) as f64 * p).round() as u64;
        let (lo, hi) = (rank(0.10), rank(0.95));
        let (mut seen, mut low, mut high) = (0u64, None, None);
        for (i, &c) in self.counts.iter().enumerate().skip(start) {
            seen += c as u64;
            if low.is_none() && seen > lo {
                low = Some(Self::centre(i));
            }
            if seen > hi {
                high = Some(Self::centre(i));
                break;
            }
        }
        Some(high.unwrap_or(0.0) - low.unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrated_gates_quiet_blocks() {
        let mut h = Histogram::new(true);
        // 600 blocks at -23 LUFS and 200 at -36 LUFS: -36 is under the relative gate
        // (about -33.8), so the integrated loudness is -23.
        (0..600).for_each(|_| h.add(energy(-23.0)));
        (0..200).for_each(|_| h.add(energy(-36.0)));
        (0..50).for_each(|_| h.add(energy(-80.0)));
        assert_eq!(h.n, 800);
        assert!((h.integrated().unwrap() + 23.0).abs() < 1e-9);
    }

    #[test]
    fn integrated_without_gating_is_the_energy_mean() {
        let mut h = Histogram::new(true);
        (0..100).for_each(|_| h.add(energy(-20.0)));
        (0..100).for_each(|_| h.add(energy(-26.0)));
        let want = lufs((energy(-20.0) + energy(-26.0)) / 2.0);
        assert!((h.integrated().unwrap() - want).abs() < 1e-9);
    }

    #[test]
    fn range_spans_the_percentiles() {
        let mut h = Histogram::new(false);
        // Uniform from -30 to -20 LUFS: the 10th and 95th percentiles are -29 and -20.5.
        for k in 0..=1000 {
            h.add(energy(-30.0 + k as f64 * 0.01));
        }
        let lra = h.range().unwrap();
        assert!((lra - 8.5).abs() < 0.02, "{lra}");
        assert_eq!(Histogram::new(false).range(), None);
    }

    #[test]
    fn silence_and_nonsense_are_left_out() {
        let mut h = Histogram::new(true);
        h.add(0.0);
        h.add(f64::NAN);
        h.add(f64::INFINITY);
        assert_eq!(h.integrated(), None);
        h.add(energy(30.0));
        assert!((h.integrated().unwrap() - 30.0).abs() < 1e-9);
    }
}
