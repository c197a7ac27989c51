//! A fixed-capacity queue of times, and the robust estimate over offsets kept in one.

/// A fixed-capacity queue of times (no allocation after construction).
#[derive(Clone, Debug)]
pub(super) struct TimeRing {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl TimeRing {
    pub(super) fn new(cap: usize) -> Self {
        TimeRing {
            buf: vec![0.0; cap.max(1)],
            head: 0,
            len: 0,
        }
    }
    pub(super) fn push(&mut self, v: f64) {
        let cap = self.buf.len();
        if self.len == cap {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        self.buf[(self.head + self.len) % cap] = v;
        self.len += 1;
    }
    pub(super) fn front(&self) -> Option<f64> {
        (self.len > 0).then(|| self.buf[self.head])
    }
    pub(super) fn pop(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % self.buf.len();
            self.len -= 1;
        }
    }
    pub(super) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).map(move |i| self.buf[(self.head + i) % self.buf.len()])
    }
    pub(super) fn clear(&mut self) {
        self.len = 0;
    }
    pub(super) fn len(&self) -> usize {
        self.len
    }
}

/// Offsets within this of the estimate count for its confidence (ms).
pub(super) const AGREE_MS: f64 = 10.0;

/// The median of `values`, the share of them within [`AGREE_MS`] of it, and their count
/// (`(0, 0, 0)` when empty); `scratch` is reused (no allocation once it has grown).
pub(super) fn estimate(values: &TimeRing, scratch: &mut Vec<f64>) -> (f64, f64, usize) {
    scratch.clear();
    scratch.extend(values.iter());
    let n = scratch.len();
    if n == 0 {
        return (0.0, 0.0, 0);
    }
    scratch.sort_by(f64::total_cmp);
    let med = if n % 2 == 1 {
        scratch[n / 2]
    } else {
        0.5 * (scratch[n / 2 - 1] + scratch[n / 2])
    };
    let agree = scratch
        .iter()
        .filter(|&&x| (x - med).abs() <= AGREE_MS)
        .count();
    (med, agree as f64 / n as f64, agree)
}
