//! Tests of the shared luma read (`survey.rs`).

use super::*;
use crate::media::{MediaTime, PixelFormat};

fn picture(w: usize, h: usize, seed: u64, t: f64) -> VideoFrame {
    VideoFrame::from_fn(
        w,
        h,
        PixelFormat::Gray8,
        MediaTime::from_secs_f64(t),
        |_, x, y| {
            let v =
                (x as u64 * 7919 + y as u64 * 104_729 + seed * 1_000_003) ^ (x as u64 * y as u64);
            (v % 256) as u8
        },
    )
}

/// The whole-plane reference of every measure, computed without the survey.
fn reference(p: &Plane, ask: Ask) -> (Vec<f32>, Vec<u8>, (u64, u64)) {
    let rows = |m: usize| (0..p.height()).step_by(m);
    match ask {
        // Quarters are the means times four: compared as means.
        Ask::Means { cell, step } | Ask::Quarters { cell, step } => {
            let g = CellGrid::new(p.width(), p.height(), cell, step, 1);
            let mut out: Vec<f32> = Vec::new();
            g.means(p, &mut out, &mut GridScratch::default());
            (out, vec![], (0, 0))
        }
        Ask::Grid8 => {
            let mut g = vec![];
            for y in rows(8) {
                g.extend(p.row(y).iter().step_by(8));
            }
            (vec![], g, (0, 0))
        }
        Ask::Sum4 => {
            let (mut s, mut n) = (0, 0);
            for y in rows(4) {
                for &v in p.row(y).iter().step_by(4) {
                    s += v as u64;
                    n += 1;
                }
            }
            (vec![], vec![], (s, n))
        }
    }
}

fn ask_survey(f: &VideoFrame, ask: Ask) -> (Vec<f32>, Vec<u8>, (u64, u64)) {
    match ask {
        Ask::Means { cell, step } => {
            let g = CellGrid::new(f.width(), f.height(), cell, step, 1);
            let mut out = Vec::new();
            means(f, &g, &mut out);
            (out, vec![], (0, 0))
        }
        Ask::Quarters { cell, step } => {
            let g = CellGrid::new(f.width(), f.height(), cell, step, 1);
            assert!(g.in_quarters());
            let mut out = Vec::new();
            quarters(f, &g, &mut out);
            let out = out.iter().map(|&q| q as f32 / 4.0).collect();
            (out, vec![], (0, 0))
        }
        Ask::Grid8 => {
            let mut g = Vec::new();
            grid8(f, &mut g);
            (vec![], g, (0, 0))
        }
        Ask::Sum4 => (vec![], vec![], sum4(f)),
    }
}

const ASKS: [Ask; 10] = [
    Ask::Means { cell: 4, step: 2 },
    Ask::Quarters { cell: 4, step: 2 },
    Ask::Means { cell: 8, step: 4 },
    Ask::Sum4,
    Ask::Grid8,
    Ask::Means { cell: 8, step: 2 },
    Ask::Means { cell: 5, step: 3 },
    Ask::Means { cell: 16, step: 4 },
    Ask::Quarters { cell: 8, step: 4 },
    Ask::Quarters { cell: 5, step: 3 },
];

#[test]
fn every_measure_equals_its_own_pass_in_any_company_and_order() {
    for (w, h) in [(64, 36), (61, 37), (3, 2), (130, 67), (17, 8), (40, 9)] {
        for order in 0..4usize {
            // Different subsets and orders of the asks, over several pictures (so the
            // later ones are read together with the asks of the earlier ones).
            let asks: Vec<Ask> = ASKS
                .iter()
                .copied()
                .enumerate()
                .filter(|(i, _)| order == 0 || i % (order + 1) != 0)
                .map(|(_, a)| a)
                .collect();
            for k in 0..4u64 {
                let f = picture(w, h, k * 10 + order as u64, 0.0);
                let mut list = asks.clone();
                let n = list.len();
                list.rotate_left((k as usize) % n);
                for ask in list {
                    assert_eq!(
                        ask_survey(&f, ask),
                        reference(f.luma(), ask),
                        "{w}x{h} {ask:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn one_read_serves_the_measures_asked_for_lately() {
    let asks = [
        Ask::Means { cell: 4, step: 2 },
        Ask::Means { cell: 8, step: 4 },
        Ask::Sum4,
        Ask::Grid8,
    ];
    let passes = || SURVEY.with(|s| s.borrow().passes);
    let first = picture(64, 48, 1, 0.0);
    for a in asks {
        ask_survey(&first, a);
    }
    // The first picture: each measure was new, so each read its own rows.
    assert_eq!(passes(), 4);
    for k in 2..6 {
        let f = picture(64, 48, k, 0.0);
        for a in asks {
            assert_eq!(ask_survey(&f, a), reference(f.luma(), a));
        }
        assert_eq!(passes(), 4 + k - 1, "one read for picture {k}");
    }
    // The same measure twice for one picture: the second is computed again, the same
    // (and from then on the measure is shared: kept for a second asker).
    let f = picture(64, 48, 9, 0.0);
    let once = ask_survey(&f, Ask::Sum4);
    assert_eq!(ask_survey(&f, Ask::Sum4), once);
    // A measure not asked for lately drops out of the reads.
    for k in 10..15 {
        ask_survey(&picture(64, 48, k, 0.0), Ask::Sum4);
    }
    let before = passes();
    let f = picture(64, 48, 20, 0.0);
    ask_survey(&f, Ask::Sum4);
    assert!(
        SURVEY.with(|s| s
            .borrow()
            .slots
            .iter()
            .filter(|s| s.ready == f.id() && s.ask != Ask::Sum4)
            .count())
            == 0
    );
    assert_eq!(passes(), before + 1);
}

#[test]
fn a_measure_two_detectors_ask_for_is_computed_once_a_picture() {
    // Like stutter and out_of_range: both ask for the cell means of every picture.
    let ask = Ask::Means { cell: 8, step: 4 };
    let passes = || SURVEY.with(|s| s.borrow().passes);
    let first = picture(96, 64, 31, 0.0);
    ask_survey(&first, ask);
    ask_survey(&first, ask);
    let start = passes();
    for k in 0..5 {
        let f = picture(96, 64, 40 + k, 0.0);
        let want = reference(f.luma(), ask);
        assert_eq!(ask_survey(&f, ask), want);
        assert_eq!(ask_survey(&f, ask), want, "the second asker's copy");
    }
    assert_eq!(passes(), start + 5, "one pass a picture");
}

#[test]
fn means_read_in_place_are_left_for_the_detector_that_takes_them() {
    let ask = Ask::Means { cell: 8, step: 4 };
    let g = CellGrid::new(96, 64, 8, 4, 1);
    let passes = || SURVEY.with(|s| s.borrow().passes);
    // The reader first, then the taker: one pass a picture from the start.
    let start = passes();
    for k in 0..3 {
        let f = picture(96, 64, 60 + k, 0.0);
        let want = reference(f.luma(), ask).0;
        assert_eq!(with_means(&f, &g, |m| m.to_vec()), want);
        let mut taken = Vec::new();
        means(&f, &g, &mut taken);
        assert_eq!(taken, want);
    }
    assert_eq!(passes(), start + 3);
    // The taker first: the reader's first ask computes again, later ones share.
    let first = picture(96, 64, 70, 0.0);
    let mut taken = Vec::new();
    means(&first, &g, &mut taken);
    with_means(&first, &g, |_| ());
    let start = passes();
    for k in 0..3 {
        let f = picture(96, 64, 71 + k, 0.0);
        let want = reference(f.luma(), ask).0;
        means(&f, &g, &mut taken);
        assert_eq!(taken, want);
        assert_eq!(with_means(&f, &g, |m| m.to_vec()), want);
    }
    assert_eq!(passes(), start + 3);
}

#[test]
fn pictures_are_told_apart_by_identity_not_time() {
    // Two pictures with the same time: the second gets its own values, not the first's.
    let (a, b) = (picture(32, 32, 1, 1.0), picture(32, 32, 2, 1.0));
    assert_eq!(ask_survey(&a, Ask::Sum4), reference(a.luma(), Ask::Sum4));
    assert_eq!(ask_survey(&a, Ask::Grid8), reference(a.luma(), Ask::Grid8));
    assert_ne!(
        reference(a.luma(), Ask::Grid8),
        reference(b.luma(), Ask::Grid8)
    );
    assert_eq!(ask_survey(&b, Ask::Sum4), reference(b.luma(), Ask::Sum4));
    assert_eq!(ask_survey(&b, Ask::Grid8), reference(b.luma(), Ask::Grid8));
    // A clone is the same picture.
    assert_eq!(a.clone().id(), a.id());
    assert_ne!(a.id(), b.id());
}
