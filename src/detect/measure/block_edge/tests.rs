//! Tests of the block-edge measure against its per-sample definition.

use super::*;
use crate::media::Plane;

/// A textured picture with block steps in places and graphic edges (`w`×`h`, stride
/// `w + 5`).
fn picture(w: usize, h: usize, seed: usize) -> Plane {
    let stride = w + 5;
    let data: Vec<u8> = (0..stride * h)
        .map(|i| {
            let (x, y) = (i % stride, i / stride);
            let block = ((x / 8) * 31 + (y / 8) * 17 + seed * 7) % 23;
            let texture = (x * 13 + y * 29 + x * y * seed) % 9;
            let graphic = if (x / 24 + y / 40 + seed).is_multiple_of(5) {
                120
            } else {
                0
            };
            (40 + block * 4 + texture + graphic) as u8
        })
        .collect();
    Plane::new(data.into(), stride, w, h).unwrap()
}

/// Per block (edge, inner, edge_h, inner_h, count) by the definition, one sample at a
/// time, over block rows `by` for which `measured(by)`; the vertical lines on rows
/// `origin(by) + j * step`.
fn blocks_reference(
    p: &Plane,
    step: usize,
    graphic: u8,
    measured: impl Fn(usize) -> bool,
    origin: impl Fn(usize) -> usize,
) -> Vec<Option<[f32; 5]>> {
    let (w, h) = (p.width(), p.height());
    let (bcols, brows) = (w / GRID, h / GRID);
    let hweight = (GRID / step).max(1);
    let mut out = vec![None; bcols * brows];
    for by in (0..brows).filter(|&by| measured(by)) {
        for bx in 0..bcols {
            let mut b = [0.0f32; 5];
            for y in (origin(by)..(by + 1) * GRID).step_by(step) {
                if y < by * GRID || bx == 0 {
                    continue;
                }
                let r = p.row(y);
                let x = bx * GRID;
                let e = |x0: usize| {
                    excess(
                        r[x0],
                        r[x0 + 1],
                        r[x0 + 2],
                        r[x0 + 3],
                        r[x0 + 4],
                        r[x0 + 5],
                        graphic,
                    )
                };
                b[0] += e(x - 3) as f32;
                b[1] += e(x + 1) as f32;
                b[4] += 1.0;
            }
            let gy = by * GRID;
            if by > 0 && gy + 6 < h {
                for x in bx * GRID..(bx + 1) * GRID {
                    let c = |y: usize| p.row(y)[x];
                    let e = |y0: usize| {
                        excess(
                            c(y0),
                            c(y0 + 1),
                            c(y0 + 2),
                            c(y0 + 3),
                            c(y0 + 4),
                            c(y0 + 5),
                            graphic,
                        )
                    };
                    b[2] += e(gy - 3) as f32 * hweight as f32 / GRID as f32;
                    b[3] += e(gy + 1) as f32 * hweight as f32 / GRID as f32;
                }
                b[4] += hweight as f32;
            }
            out[by * bcols + bx] = Some(b);
        }
    }
    out
}

/// The per-block sums, the tiles and the whole-picture statistics of the measure equal
/// the definition, for every row step, whole and in phases, with and without graphics,
/// on sizes that are and are not multiples of the block.
#[test]
fn measure_equals_the_per_sample_definition() {
    for (w, h) in [(64, 48), (61, 70), (133, 131), (16, 16), (200, 150)] {
        for step in 1..=8 {
            for (phases, graphic) in [
                (1, u8::MAX),
                (1, GRAPHIC_STEP),
                (2, GRAPHIC_STEP),
                (3, u8::MAX),
            ] {
                let mut m = BlockMeasure::new(step, 2.0, 2.0)
                    .in_phases(phases)
                    .with_shares();
                if graphic != u8::MAX {
                    m = m.leaving_out_graphics();
                }
                let brows = h / GRID;
                let phased = phases > 1 && brows >= 2 * phases;
                for call in 0..phases + 1 {
                    let p = picture(w, h, call);
                    let s = m.measure(&p);
                    let first = if phased { call % phases } else { 0 };
                    let measured = |by: usize| !phased || (by / 2) % phases == first;
                    let origin = |by: usize| if phased { by / 2 * BAND } else { 0 };
                    let want = blocks_reference(&p, step, graphic, measured, origin);
                    let mut whole = [0.0f32; 5];
                    for (b, want) in want.iter().enumerate() {
                        let Some(want) = want else { continue };
                        let got = [
                            m.edge[b],
                            m.inner[b],
                            m.edge_h[b],
                            m.inner_h[b],
                            m.count[b] as f32,
                        ];
                        assert_eq!(
                            &got, want,
                            "{w}x{h} step {step} phases {phases} call {call} block {b}"
                        );
                        let (bx, by) = (b % m.bcols, b / m.bcols);
                        whole[0] += want[0] + want[2];
                        whole[1] += want[1] + want[3];
                        let (v_on, h_on) = (bx.is_multiple_of(2), by.is_multiple_of(2));
                        whole[2] +=
                            if v_on { want[0] } else { 0.0 } + if h_on { want[2] } else { 0.0 };
                        whole[3] +=
                            if v_on { 0.0 } else { want[0] } + if h_on { 0.0 } else { want[2] };
                        whole[4] += want[4];
                    }
                    if w < 2 * GRID || h < 2 * GRID || phased {
                        continue; // (no measure, or sums over several calls)
                    }
                    let tiles = m.tiles.iter().fold(Sums::default(), |a, t| a.plus(t));
                    let got = [
                        tiles.on8,
                        tiles.off8,
                        tiles.on16,
                        tiles.off16,
                        tiles.samples,
                    ];
                    assert_eq!(got, whole, "{w}x{h} step {step} tiles");
                    let floor = FLOOR * whole[4];
                    let r8 = (whole[0] + floor) / (whole[1] + floor);
                    assert_eq!(s.r8, r8, "{w}x{h} step {step}");
                    assert!(s.activity > 0.0, "the picture has steps to measure");
                }
            }
        }
    }
}

/// The vectorised row form, also used on one row shifted by 0..=5 columns for the vertical
/// grid lines, equals the per-sample definition.
#[test]
fn excess_row_equals_the_per_sample_excess() {
    let row: Vec<u8> = (0..300u32)
        .map(|i| ((i * 37 + (i / 8) * 91 + i * i) % 256) as u8)
        .collect();
    for graphic in [GRAPHIC_STEP, u8::MAX] {
        let shifted = [
            &row[..],
            &row[1..],
            &row[2..],
            &row[3..],
            &row[4..],
            &row[5..],
        ];
        let mut out = vec![0u8; row.len() - 5];
        excess_row(&shifted, &mut out, graphic);
        let mut nonzero = 0;
        for (i, &o) in out.iter().enumerate() {
            let s = &row[i..i + 6];
            let want = excess(s[0], s[1], s[2], s[3], s[4], s[5], graphic);
            assert_eq!(o as u16, want, "column {i}, graphic {graphic}");
            nonzero += usize::from(o > 0);
        }
        assert!(nonzero > 10, "the test row has steps to measure");
    }
}

/// A `w`×`h` plane whose luma is `f(x, y)`.
fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Plane {
    let data: Vec<u8> = (0..w * h)
        .map(|i| f(i % w, i / w).round().clamp(0.0, 255.0) as u8)
        .collect();
    Plane::new(data.into(), w, w, h).unwrap()
}

/// Textured content over a slope along `x` (rising when `rise`).
fn scene(x: usize, y: usize, rise: bool) -> f32 {
    let slope = if rise { x } else { 320 - x } as f32 * 0.5;
    40.0 + slope + 20.0 * ((x as f32 / 3.1).sin() * (y as f32 / 2.3).cos())
}

/// [`scene`] with each 8×8 block flattened to its mean plus a fifth of its detail (coded
/// coarser): the steps change, the blocks' means do not.
fn scene_blocked(x: usize, y: usize) -> f32 {
    let (bx, by) = (x / 8 * 8, y / 8 * 8);
    let mean = (0..64)
        .map(|i| scene(bx + i % 8, by + i / 8, true))
        .sum::<f32>()
        / 64.0;
    mean + 0.2 * (scene(x, y, true) - mean)
}

/// The tiles' means move in most tiles at a cut to another picture, in none when the same
/// picture comes again or comes coded in coarser blocks; in phases, each band is compared with
/// its own last reading.
#[test]
fn tile_means_move_at_a_cut_not_with_blocking() {
    let (w, h) = (320, 256);
    let a = plane(w, h, |x, y| scene(x, y, true));
    let b = plane(w, h, |x, y| scene(x, y, false));
    let blocked = plane(w, h, scene_blocked);
    for phases in [1, 4] {
        let mut m = BlockMeasure::new(4, 2.0, 2.0).in_phases(phases);
        for _ in 0..phases {
            m.measure(&a);
            assert_eq!(m.moved().share, 0.0, "{phases}: nothing to compare yet");
        }
        for _ in 0..phases {
            m.measure(&a);
            let moved = m.moved();
            assert!(moved.tiles >= 32, "{phases}: {moved:?}");
            assert_eq!(moved.share, 0.0, "{phases}: the same picture");
        }
        for _ in 0..phases {
            m.measure(&blocked);
            let moved = m.moved();
            assert!(
                moved.tiles >= 32 && moved.share == 0.0,
                "{phases}: {moved:?}"
            );
            assert!(moved.mean < 2.0, "{phases}: {moved:?}");
        }
        for _ in 0..phases {
            m.measure(&b);
            let moved = m.moved();
            assert!(moved.share > 0.6, "{phases}: a cut {moved:?}");
        }
    }
}
