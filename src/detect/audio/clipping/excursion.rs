//! Flat tops at full scale: the runs of one channel's excursions (same-sign samples over
//! `base_level`) and their tally per window.

/// Flat tops found in a window or an excursion.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tally {
    /// Samples and runs of flat tops.
    pub(super) samples: u64,
    pub(super) runs: u64,
    /// Start of the first run.
    pub(super) first: Option<i64>,
    /// End (exclusive) of the last run.
    pub(super) last: i64,
    /// Largest `|x|` in the runs.
    pub(super) peak: f32,
}

impl Tally {
    /// Adds `other`'s flat tops (a later stretch) to these.
    pub(super) fn add(&mut self, other: &Tally) {
        if let Some(f) = other.first {
            self.samples += other.samples;
            self.runs += other.runs;
            let first = self.first.get_or_insert(f);
            *first = (*first).min(f);
            self.last = self.last.max(other.last);
            self.peak = self.peak.max(other.peak);
        }
    }
}

/// The current excursion of one channel: same-sign samples with `|x| >= base_level`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Excursion {
    pub(super) positive: bool,
    /// Samples in the excursion, and those at or above `level`.
    pub(super) len: usize,
    pub(super) high: usize,
    /// The current run at or above `level`.
    pub(super) run_len: usize,
    pub(super) run_start: i64,
    pub(super) run_peak: f32,
    /// Runs of at least `min_run` samples so far.
    pub(super) tops: Tally,
}

impl Excursion {
    /// Ends the current run, keeping it if it is long enough.
    pub(super) fn end_run(&mut self, min_run: usize) {
        if self.run_len >= min_run {
            self.tops.samples += self.run_len as u64;
            self.tops.runs += 1;
            self.tops.first.get_or_insert(self.run_start);
            self.tops.last = self.run_start + self.run_len as i64;
            self.tops.peak = self.tops.peak.max(self.run_peak);
        }
        self.run_len = 0;
    }

    /// Ends the excursion: its runs are flat tops when enough of it is at or above `level`.
    pub(super) fn end(&mut self, min_run: usize, min_share: f32, window: &mut Tally) {
        self.end_run(min_run);
        if self.tops.first.is_some() {
            let share = (self.high as f64 - 1.0) / (self.len as f64 + 1.0);
            if share >= min_share as f64 {
                window.add(&self.tops);
            }
        }
        *self = Excursion::default();
    }
}
