//! Tests of the cell means and block differences against the plain loops.

use super::*;
use crate::detect::measure::median::{max, median};
use crate::media::{MediaTime, PixelFormat, VideoFrame};

#[test]
fn block_differences_of_cell_means() {
    let t = MediaTime::ZERO;
    let a = VideoFrame::filled(40, 20, PixelFormat::Gray8, t, [10, 0, 0]);
    let b = VideoFrame::from_fn(
        40,
        20,
        PixelFormat::Gray8,
        t,
        |_, x, _| {
            if x < 16 {
                10
            } else {
                14
            }
        },
    );
    let g = CellGrid::new(40, 20, 4, 2, 4);
    assert_eq!(g.cells(), 10 * 5);
    assert_eq!(g.blocks(), 3 * 2);
    let (mut ca, mut cb, mut acc) = (Vec::new(), Vec::new(), GridScratch::default());
    g.means(a.luma(), &mut ca, &mut acc);
    g.means(b.luma(), &mut cb, &mut acc);
    let (mut mad, mut dc) = (Vec::new(), Vec::new());
    g.diff(&cb, &ca, &mut mad, &mut dc, &mut acc);
    assert_eq!(mad[0], 0.0);
    assert_eq!(mad[1], 4.0);
    assert_eq!(dc[1], 4.0);
    assert_eq!(max(&mad), 4.0);
    let mut s = Vec::new();
    assert_eq!(median(&[1.0, 5.0, 2.0], &mut s), 2.0);
}

/// The plain per-cell loop the fast `means` must equal bit for bit.
fn means_reference(g: &CellGrid, p: &Plane) -> Vec<f32> {
    let mut out = vec![0.0; g.cells()];
    for cy in 0..g.rows {
        for cx in 0..g.cols {
            let (x0, y0) = (cx * g.cell, cy * g.cell);
            let (x1, y1) = ((x0 + g.cell).min(g.width), (y0 + g.cell).min(g.height));
            let (mut sum, mut count) = (0u32, 0u32);
            for y in (y0..y1).step_by(g.step) {
                for x in (x0..x1).step_by(g.step) {
                    sum += p.row(y)[x] as u32;
                    count += 1;
                }
            }
            out[cy * g.cols + cx] = sum as f32 / count.max(1) as f32;
        }
    }
    out
}

#[test]
fn fast_block_differences_equal_the_plain_loop() {
    for (w, h) in [(64, 36), (61, 37), (130, 67), (3, 2)] {
        for block in [1, 2, 3, 4, 5, 33] {
            let g = CellGrid::new(w, h, 4, 2, block);
            let a: Vec<f32> = (0..g.cells())
                .map(|i| (i * 37 % 251 + 1) as f32 * 0.25)
                .collect();
            let b: Vec<f32> = (0..g.cells())
                .map(|i| (i * 91 % 241) as f32 * 0.5)
                .collect();
            let (mut mad, mut dc) = (Vec::new(), Vec::new());
            let mut sc = GridScratch::default();
            g.diff(&a, &b, &mut mad, &mut dc, &mut sc);
            let (mut m2, mut d2) = (vec![0.0f32; g.blocks()], vec![0.0f32; g.blocks()]);
            for cy in 0..g.rows {
                for cx in 0..g.cols {
                    let i = (cy / g.block) * g.bcols + cx / g.block;
                    let d = a[cy * g.cols + cx] - b[cy * g.cols + cx];
                    m2[i] += d.abs();
                    d2[i] += d;
                }
            }
            for by in 0..g.brows {
                for bx in 0..g.bcols {
                    let n = ((g.rows - by * g.block).min(g.block)
                        * (g.cols - bx * g.block).min(g.block)) as f32;
                    m2[by * g.bcols + bx] /= n;
                    d2[by * g.bcols + bx] /= n;
                }
            }
            assert_eq!(mad, m2, "{w}x{h} block {block}");
            let mut only = Vec::new();
            g.diff_mad(&a, &b, &mut only, &mut sc);
            assert_eq!(only, mad, "{w}x{h} block {block}: diff_mad");
            assert_eq!(dc, d2, "{w}x{h} block {block}");
            assert!(m2.iter().any(|&v| v > 0.0));
            // The same means in quarters (added in 16-bit lanes up to 32 rows): the same values.
            let qa: Vec<u16> = a.iter().map(|&v| (v * 4.0) as u16).collect();
            let qb: Vec<u16> = b.iter().map(|&v| (v * 4.0) as u16).collect();
            let (mut qm, mut qd) = (Vec::new(), Vec::new());
            g.diff(&qa, &qb, &mut qm, &mut qd, &mut sc);
            assert_eq!((&qm, &qd), (&mad, &dc), "{w}x{h} block {block}: quarters");
            g.diff_mad(&qa, &qb, &mut only, &mut sc);
            assert_eq!(only, mad, "{w}x{h} block {block}: quarters, diff_mad");
        }
    }
}

#[test]
fn sum_every_4th_equals_the_plain_loop() {
    for len in [0, 1, 3, 4, 5, 8, 9, 13, 16, 1920, 1923] {
        let row: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8 | 0x80).collect();
        let plain: u64 = row.iter().step_by(4).map(|&v| v as u64).sum();
        assert_eq!(sum_every_4th(&row), plain, "{len}");
    }
}

#[test]
fn fast_means_equal_the_plain_loop() {
    let t = MediaTime::ZERO;
    for (w, h) in [(64, 36), (61, 37), (3, 2), (130, 67)] {
        let f = VideoFrame::from_fn(w, h, PixelFormat::Gray8, t, |_, x, y| {
            ((x * 37 + y * 101 + x * y) % 251 + 1) as u8
        });
        for (cell, step) in [(4, 2), (8, 4), (4, 1), (8, 2), (5, 3), (16, 4), (1, 1)] {
            let g = CellGrid::new(w, h, cell, step, 4);
            let (mut fast, mut acc) = (Vec::new(), GridScratch::default());
            g.means(f.luma(), &mut fast, &mut acc);
            let slow = means_reference(&g, f.luma());
            assert_eq!(fast, slow, "{w}x{h} cell {cell} step {step}");
            assert!(
                slow.iter().any(|&v| v > 0.0),
                "{w}x{h} {cell} {step} {slow:?}"
            );
        }
    }
}

#[test]
fn divisor_equals_division_bit_for_bit() {
    for n in [1u32, 2, 3, 4, 6, 8, 16, 32, 64, 1024] {
        let d = Divisor::new(n);
        for x in (0..1 << 24).step_by(997).chain([0, 1, 255, (1 << 24) - 1]) {
            let x = x as f32;
            assert_eq!(d.of(x).to_bits(), (x / n as f32).to_bits(), "{x} / {n}");
        }
    }
}
