//! Grid steps: how many 8-sample block borders of a picture step sharply where the picture on
//! both sides of them is smooth, on the 8-pixel grid and, as a control, half-way between its
//! lines.
//!
//! A segment is 8 samples of one border: a vertical border between two columns over the 8
//! rows of a block row, or a horizontal border between two rows over the 8 columns of a
//! block. It steps sharply when its mean step is [`MIN_STEP`] code values or more and at least
//! [`CONTRAST`] times the mean step of the two sample pairs beside it, on either side, plus
//! one. Coding of natural content puts few such segments on the grid; blocks that a decoder
//! pasted in the wrong place, or kept from a stale picture, bring many: each wrong block is
//! bounded by them, whatever it holds. Natural edges fall on the grid and half-way between its
//! lines alike; block damage only on the grid. A wrong block steps on vertical and horizontal
//! borders alike, a straight edge lying on a grid line (a band, a bar) in one orientation only:
//! the grid count is twice the fewer of the two. One block row in `phases` is read per
//! picture (the rows `by` with `by % phases` equal to the picture's phase); the counts are
//! summed over the last `phases` pictures: the whole picture at a fraction of the cost (at the
//! default 4 phases, about one read of a quarter of the luma samples per picture, a few
//! operations each).

use crate::media::Plane;

/// Mean step (code values) under which a segment never steps sharply: the blocking of coarse
/// coding in flat areas steps by a code value or two.
pub(crate) const MIN_STEP: u32 = 6;

/// Factor by which a segment's mean step must exceed the mean step of the sample pairs beside
/// it (the larger side), besides one code value.
pub(crate) const CONTRAST: u32 = 3;

/// Segments that stepped sharply, over the last `phases` pictures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StepCount {
    /// Segments on the 8-pixel grid that stepped sharply, counted as twice the fewer of the
    /// vertical and the horizontal ones: a wrong block steps on borders of both, a straight
    /// edge that happens to lie on a grid line (a band, a bar) on one only.
    pub(crate) grid: u32,
    /// Segments half-way between the grid lines (4 samples off) that stepped sharply, both
    /// orientations.
    pub(crate) off: u32,
    /// Segments read on the grid (as many were read off it).
    pub(crate) read: u32,
}

/// One picture's counts: sharp grid segments (vertical, horizontal), sharp segments off the
/// grid, segments read.
#[derive(Clone, Copy, Debug, Default)]
struct Counts([u32; 4]);

impl Counts {
    fn plus(self, o: Counts) -> Counts {
        Counts(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
}

/// Counts the sharp steps of block borders, one block row in `phases` per picture.
#[derive(Clone, Debug)]
pub(crate) struct GridSteps {
    phases: usize,
    phase: usize,
    /// The counts of the last `phases` pictures, by phase.
    ring: Vec<Counts>,
    /// Per vertical border of a block row, on the grid then off it: sums of the step and of
    /// the pairs left and right.
    cols: Vec<[u32; 6]>,
    /// One row's differences between neighbours (`diffs[x]`: samples `x - 1` and `x`).
    diffs: Vec<u8>,
}

/// Whether a segment with step sum `s` (8 samples) and sums `a`, `b` of the two sample pairs
/// on each side (16 samples each) steps sharply.
#[inline]
fn sharp(s: u32, a: u32, b: u32) -> bool {
    s >= 8 * MIN_STEP && 2 * s >= CONTRAST * a.max(b) + 16
}

#[inline]
fn d(a: u8, b: u8) -> u32 {
    a.abs_diff(b) as u32
}

impl GridSteps {
    /// A counter reading one block row in `phases` per picture (at least 1).
    pub(crate) fn new(phases: usize) -> Self {
        let phases = phases.max(1);
        GridSteps {
            phases,
            phase: 0,
            ring: vec![Counts::default(); phases],
            cols: Vec::new(),
            diffs: Vec::new(),
        }
    }

    /// Forgets the pictures counted.
    pub(crate) fn reset(&mut self) {
        self.phase = 0;
        self.ring.iter_mut().for_each(|c| *c = Counts::default());
    }

    /// Counts the sharp steps of this picture's block rows; returns the counts of the last
    /// `phases` pictures (this one included).
    pub(crate) fn measure(&mut self, p: &Plane) -> StepCount {
        let (w, h) = (p.width(), p.height());
        let (bw, bh) = (w / 8, h / 8);
        let mut c = Counts::default();
        if bw >= 3 && bh >= 3 {
            for by in (1 + self.phase..bh - 1).step_by(self.phases) {
                let (v, v4, n) = self.vertical(p, by, bw);
                let hz = horizontal(p, by * 8, bw);
                let hz4 = horizontal(p, by * 8 + 4, bw);
                c = c.plus(Counts([v, hz, v4 + hz4, n + bw as u32]));
            }
        }
        self.ring[self.phase] = c;
        self.phase = (self.phase + 1) % self.phases;
        let [v, h, off, read] = self
            .ring
            .iter()
            .fold(Counts::default(), |a, &b| a.plus(b))
            .0;
        StepCount {
            grid: 2 * v.min(h),
            off,
            read,
        }
    }

    /// Sharp vertical segments at columns `8k` and `8k + 4` (k = 1 .. bw - 1) over block row
    /// `by`, and segments read (of each). Each row's neighbour differences are taken once, in
    /// one pass the compiler vectorises, and read at the grid's columns.
    fn vertical(&mut self, p: &Plane, by: usize, bw: usize) -> (u32, u32, u32) {
        let n = bw - 2;
        self.cols.clear();
        self.cols.resize(n, [0; 6]);
        let w = 8 * bw;
        self.diffs.resize(w, 0);
        for y in by * 8..by * 8 + 8 {
            let r = &p.row(y)[..w];
            for ((o, &a), &b) in self.diffs[1..].iter_mut().zip(&r[1..]).zip(r) {
                *o = a.abs_diff(b);
            }
            let g = &self.diffs;
            for (k, s) in self.cols.iter_mut().enumerate() {
                for (i, off) in [(0, 0), (3, 4)] {
                    let x = 8 * (k + 1) + off;
                    let q = |j: usize| u32::from(g[j]);
                    s[i] += q(x);
                    s[i + 1] += q(x - 1) + q(x - 2);
                    s[i + 2] += q(x + 1) + q(x + 2);
                }
            }
        }
        let on = self.cols.iter().filter(|s| sharp(s[0], s[1], s[2])).count();
        let off = self.cols.iter().filter(|s| sharp(s[3], s[4], s[5])).count();
        (on as u32, off as u32, n as u32)
    }
}

/// Sharp horizontal segments on the border between rows `y - 1` and `y`, one per block of 8
/// columns.
fn horizontal(p: &Plane, y: usize, bw: usize) -> u32 {
    let r = [
        p.row(y - 3),
        p.row(y - 2),
        p.row(y - 1),
        p.row(y),
        p.row(y + 1),
        p.row(y + 2),
    ];
    let mut n = 0;
    for bx in 0..bw {
        let c = |k: usize| r[k][bx * 8..bx * 8 + 8].iter();
        let (mut s, mut a, mut b) = (0, 0, 0);
        let rows = c(0).zip(c(1)).zip(c(2)).zip(c(3)).zip(c(4)).zip(c(5));
        for (((((&p0, &p1), &p2), &p3), &p4), &p5) in rows {
            s += d(p3, p2);
            a += d(p2, p1) + d(p1, p0);
            b += d(p4, p3) + d(p5, p4);
        }
        n += u32::from(sharp(s, a, b));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Plane {
        let data: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Plane::new(data.into(), w, w, h).unwrap()
    }

    fn count(p: &Plane) -> StepCount {
        let mut g = GridSteps::new(4);
        (0..4).fold(StepCount::default(), |_, _| g.measure(p))
    }

    #[test]
    fn smooth_picture_has_no_sharp_steps() {
        let c = count(&plane(64, 64, |x, y| (x + 2 * y) as u8));
        assert_eq!((c.grid, c.off), (0, 0));
        assert!(c.read > 0);
    }

    #[test]
    fn a_pasted_block_steps_on_the_grid_only() {
        // A flat block of 16×16 at (16, 16) on a smooth ramp: its four borders step.
        let c = count(&plane(64, 64, |x, y| {
            if (16..32).contains(&x) && (16..32).contains(&y) {
                200
            } else {
                (x + y) as u8
            }
        }));
        assert_eq!(c.off, 0);
        assert_eq!(c.grid, 8, "2 segments on each of 4 borders: {c:?}");
        // The same block 4 samples off the grid steps off it only.
        let c = count(&plane(64, 64, |x, y| {
            if (20..36).contains(&x) && (20..36).contains(&y) {
                200
            } else {
                (x + y) as u8
            }
        }));
        assert_eq!((c.grid, c.off), (0, 12), "3 segments on each of 4 borders");
    }

    #[test]
    fn a_band_on_a_grid_line_steps_in_one_orientation_only() {
        // Vertical stripes from row 32 down, under a smooth ramp: a straight edge on the grid.
        let c = count(&plane(64, 64, |x, y| {
            if y >= 32 && x % 4 == 0 {
                250
            } else {
                (x + y) as u8
            }
        }));
        assert_eq!(c.grid, 0, "{c:?}");
    }

    #[test]
    fn texture_hides_steps() {
        // A step of 40 between textured halves that swing by 30 each sample is not sharp.
        let c = count(&plane(64, 64, |x, y| {
            let base = if x >= 32 { 100 } else { 60 };
            base + if (x + y) % 2 == 0 { 30 } else { 0 }
        }));
        assert_eq!(c.grid, 0);
    }
}
