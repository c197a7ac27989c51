//! The stream's normal blockiness index on one grid, learnt as the picture comes.

/// The stream's normal blockiness index on one grid: running mean of its logarithm and mean
/// absolute deviation from it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct GridBaseline {
    mean: f32,
    dev: f32,
}

impl GridBaseline {
    /// Whether `ratio` rose above the mean by more than `min` (log) and `z` deviations.
    pub(super) fn rise(&self, ratio: f32, min: f32, z: f32) -> bool {
        ratio.max(1e-3).ln() - self.mean > min.max(z * self.dev)
    }

    /// Raises the mean to the logarithm of `ratio` at once, if it is below (the deviation is
    /// kept).
    pub(super) fn raise_to(&mut self, ratio: f32) {
        self.mean = self.mean.max(ratio.max(1e-3).ln());
    }

    /// Moves the mean and deviation towards `ratio` by the share `a` (0–1).
    pub(super) fn learn(&mut self, ratio: f32, a: f32, a_mean: f32) {
        let l = ratio.max(1e-3).ln();
        self.dev += a * ((l - self.mean).abs() - self.dev);
        self.mean += a_mean * (l - self.mean);
    }
}
