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
//! default 4 phases, the eleven rows around each block row read, about a third of the luma
//! rows per picture, each summed in vector lanes: a few operations per 16 samples).

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
    /// Per column `x` of a block row: the steps between samples `x - 1` and `x`, summed over
    /// its 8 rows.
    cols: Vec<u16>,
}

/// Whether a segment with step sum `s` (8 samples) and sums `a`, `b` of the two sample pairs
/// on each side (16 samples each) steps sharply.
#[inline]
fn sharp(s: u32, a: u32, b: u32) -> bool {
    s >= 8 * MIN_STEP && 2 * s >= CONTRAST * a.max(b) + 16
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
                fetch_block_row(p, by + self.phases);
                let (v, v4, n) = self.vertical(p, by, bw);
                let (hz, hz4) = self.horizontal(p, by * 8, bw);
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
    /// `by`, and segments read (of each). The steps between neighbours are summed down the
    /// block row's 8 rows for every column at once (16-bit lanes the compiler vectorises),
    /// then read at the grid's columns.
    fn vertical(&mut self, p: &Plane, by: usize, bw: usize) -> (u32, u32, u32) {
        const LANES: usize = 16;
        let w = 8 * bw;
        self.cols.resize(w, 0);
        let rows: [&[u8]; 8] = std::array::from_fn(|i| &p.row(8 * by + i)[..w]);
        // `g[x]`: samples x - 1 and x. Sixteen columns at a time, summed down the rows in
        // registers.
        let g = &mut self.cols[..w];
        let full = (w - 1) / LANES * LANES;
        for (i, out) in g[1..=full].chunks_exact_mut(LANES).enumerate() {
            let mut acc = [0u16; LANES];
            for r in &rows {
                let a: &[u8; LANES] = r[i * LANES + 1..][..LANES]
                    .try_into()
                    .unwrap_or(&[0; LANES]);
                let b: &[u8; LANES] = r[i * LANES..][..LANES].try_into().unwrap_or(&[0; LANES]);
                for ((s, &a), &b) in acc.iter_mut().zip(a).zip(b) {
                    *s += u16::from(a.abs_diff(b));
                }
            }
            out.copy_from_slice(&acc);
        }
        for x in full + 1..w {
            g[x] = rows
                .iter()
                .map(|r| u16::from(r[x].abs_diff(r[x - 1])))
                .sum();
        }
        let q = |j: usize| u32::from(g[j]);
        let sharp_at = |x: usize| sharp(q(x), q(x - 1) + q(x - 2), q(x + 1) + q(x + 2));
        let (mut on, mut off) = (0, 0);
        for x in (8..w - 8).step_by(8) {
            on += u32::from(sharp_at(x));
            off += u32::from(sharp_at(x + 4));
        }
        (on, off, bw as u32 - 2)
    }

    /// Sharp horizontal segments on the borders between rows `y - 1` and `y` and between
    /// rows `y + 3` and `y + 4`, one per block of 8 columns. Each pair of consecutive rows
    /// (from `y - 3` to `y + 6`) is differenced once per block (sums of absolute differences
    /// of 8 samples, one instruction each on x86).
    fn horizontal(&self, p: &Plane, y: usize, bw: usize) -> (u32, u32) {
        let rows: [&[u8]; 10] = std::array::from_fn(|i| &p.row(y - 3 + i)[..8 * bw]);
        let (mut on, mut off) = (0, 0);
        for bx in 0..bw {
            let block =
                |i: usize| -> &[u8; 8] { rows[i][8 * bx..][..8].try_into().unwrap_or(&[0; 8]) };
            let d: [u32; 9] = std::array::from_fn(|j| {
                let (a, b) = (block(j), block(j + 1));
                a.iter()
                    .zip(b)
                    .map(|(&a, &b)| u32::from(a.abs_diff(b)))
                    .sum()
            });
            on += u32::from(sharp(d[2], d[1] + d[0], d[3] + d[4]));
            off += u32::from(sharp(d[6], d[5] + d[4], d[7] + d[8]));
        }
        (on, off)
    }
}

/// Asks for the rows block row `by` reads (three above its top to six below it, past the
/// picture: none) to be fetched into the cache: a hint, the counts are the same without.
fn fetch_block_row(p: &Plane, by: usize) {
    for y in 8 * by - 3..8 * by + 8 {
        p.prefetch_row(y);
    }
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

    /// The counts of one picture, every block row, border by border as the measure is
    /// defined (the reference the measure's summed passes must match).
    fn reference(p: &Plane) -> [u32; 4] {
        let d = |a: u8, b: u8| u32::from(a.abs_diff(b));
        let (bw, bh) = (p.width() / 8, p.height() / 8);
        let mut c = [0; 4];
        for by in 1..bh - 1 {
            for x in (8..8 * bw - 8).step_by(4) {
                let sum = |o: isize| {
                    let x = x.wrapping_add_signed(o);
                    (8 * by..8 * by + 8)
                        .map(|y| d(p.row(y)[x], p.row(y)[x - 1]))
                        .sum()
                };
                let sharp = sharp(sum(0), sum(-1) + sum(-2), sum(1) + sum(2));
                c[if x % 8 == 0 { 0 } else { 2 }] += u32::from(sharp);
            }
            for y in [8 * by, 8 * by + 4] {
                for bx in 0..bw {
                    let sum = |o: usize| {
                        let (a, b) = (p.row(y + o - 4), p.row(y + o - 3));
                        (8 * bx..8 * bx + 8).map(|x| d(a[x], b[x])).sum()
                    };
                    let sharp = sharp(sum(3), sum(2) + sum(1), sum(4) + sum(5));
                    c[if y % 8 == 0 { 1 } else { 2 }] += u32::from(sharp);
                }
            }
            c[3] += 2 * bw as u32 - 2;
        }
        c
    }

    #[test]
    fn summed_passes_count_as_the_definition() {
        // Pseudo-random blocks and noise of several strengths, on sizes off the grid.
        let mut seed = 7u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed >> 8
        };
        for (w, h) in [(64, 48), (83, 61), (130, 77)] {
            for noise in [1, 4, 40] {
                let levels: Vec<u32> = (0..(w / 4 + 1) * (h / 4 + 1))
                    .map(|_| next() % 256)
                    .collect();
                let data: Vec<u8> = (0..w * h)
                    .map(|i| {
                        let (x, y) = (i % w, i / w);
                        let l = levels[(y / 4) * (w / 4 + 1) + x / 4];
                        (l + next() % noise).min(255) as u8
                    })
                    .collect();
                let p = Plane::new(data.into(), w, w, h).unwrap();
                let mut g = GridSteps::new(1);
                let c = g.measure(&p);
                let r = reference(&p);
                assert_eq!(
                    (c.grid, c.off, c.read),
                    (2 * r[0].min(r[1]), r[2], r[3]),
                    "{w}x{h}"
                );
                assert!(r[0] > 0 && r[1] > 0 && r[2] > 0, "{r:?}");
            }
        }
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
