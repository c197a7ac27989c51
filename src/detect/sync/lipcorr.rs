//! The lip-sync analysis of one window: which cells follow the speech, at which lag.
//!
//! 1. The pictures of the window whose search range the sound covers; shots shorter than
//!    [`MIN_SHOT`] pictures are left out.
//! 2. Each cell's luma, high-passed within its shot (less its mean over ±[`HP_PICTURES`]
//!    pictures of the same shot: the sway of a head, a pan or a fade go, the opening and closing
//!    of a mouth stays); the [`TOP_CELLS`] cells that change most are kept, each clipped at
//!    [`CLIP_MADS`] robust deviations (one flash or fade moving many cells is not a rhythm).
//! 3. The speech level: 40 ms mean square of the band around each hop boundary, in dB, floored
//!    45 dB under the window's loudest (room tone and pauses are one level), high-passed over
//!    ±250 ms.
//! 4. For every lag in 10 ms steps within the search range: the correlation of each kept cell
//!    with the level at the pictures' times plus the lag. The [`BEST_CELLS`] cells with the
//!    highest correlation (either sign: a mouth may darken or lighten a cell) are averaged, sign
//!    aligned; the lag of the average's peak (refined between steps) is the offset (positive =
//!    audio late), its height and the next highest peak at least [`APART_MS`] away give the
//!    confidence; at least two of the best cells must peak within [`AGREE_CELLS_MS`] of it
//!    (else the second peak is set to the first: no estimate).

use super::lipsync::{Analysis, LipState, Scratch, HOPS, MIN_SECS, PICTURES};

/// Shots shorter than this many pictures are left out.
const MIN_SHOT: usize = 5;
/// Pictures either side in the high-pass of a cell's luma.
const HP_PICTURES: usize = 6;
/// Hops either side in the high-pass of the speech level.
const HP_HOPS: usize = 25;
/// Cells kept by their change.
const TOP_CELLS: usize = 32;
/// Cells averaged for the correlation curve.
const BEST_CELLS: usize = 3;
/// Lag step, seconds.
const LAG_STEP: f64 = 0.01;
/// A cell's high-passed luma is clipped at this many robust standard deviations (1.4826 times
/// the median absolute value).
const CLIP_MADS: f64 = 3.0;
/// At least two of the best cells peak within this of the average's peak, ms.
const AGREE_CELLS_MS: f64 = 40.0;
/// The second peak is looked for at least this far from the first, ms.
const APART_MS: f64 = 120.0;
/// Floor of the speech level under the window's loudest hop, dB.
const FLOOR_DB: f32 = 45.0;

/// `values` less their mean over ±`side` elements of the same run of equal `keys`, into `out`.
fn high_pass(values: &[f64], keys: &[u32], side: usize, sums: &mut Vec<f64>, out: &mut [f64]) {
    sums.clear();
    sums.push(0.0);
    let mut acc = 0.0;
    for &v in values {
        acc += v;
        sums.push(acc);
    }
    let n = values.len();
    let mut run_start = 0;
    for i in 0..n {
        if i > 0 && keys[i] != keys[i - 1] {
            run_start = i;
        }
        let mut run_end = i + 1;
        while run_end < n && run_end <= i + side && keys[run_end] == keys[i] {
            run_end += 1;
        }
        let lo = i.saturating_sub(side).max(run_start);
        let mean = (sums[run_end] - sums[lo]) / (run_end - lo) as f64;
        out[i] = values[i] - mean;
    }
}

/// Cell `c`'s luma over the window's pictures `sc.pics`, high-passed within `shots`, into `hp`;
/// returns its mean over the pictures of long-enough shots (`sc.valid`, `used` of them).
fn cell_high_pass(
    s: &LipState,
    c: usize,
    shots: &[u32],
    used: usize,
    sc: &mut Scratch,
    hp: &mut [f64],
) -> f64 {
    let cells = s.cells();
    for (k, &p) in sc.pics.iter().enumerate() {
        sc.v[k] = f64::from(s.means[p * cells + c]);
    }
    high_pass(&sc.v, shots, HP_PICTURES, &mut sc.sums, hp);
    hp.iter()
        .zip(&sc.valid)
        .filter(|(_, &ok)| ok)
        .map(|(x, _)| x)
        .sum::<f64>()
        / used as f64
}

/// Analyses the last `window` seconds of `s` for lags within ±`range` seconds.
pub(super) fn analyse(s: &mut LipState, window: f64, range: f64) -> Option<Analysis> {
    let mut sc = std::mem::take(&mut s.scratch);
    let a = run(s, &mut sc, window, range);
    s.scratch = sc;
    a
}

fn run(s: &LipState, sc: &mut Scratch, window: f64, range: f64) -> Option<Analysis> {
    let cells = s.cells();
    if cells == 0 || s.pictures == 0 || s.rate == 0 {
        return None;
    }
    // the sound held: levels at hop boundaries k0 + 2 ..= done - 2, less the high-pass margin
    let k0 = (s.hops_done - HOPS as i64).max(0);
    let (j_lo, j_hi) = (k0 + 2, s.hops_done - 2);
    if j_hi - j_lo < 4 * HP_HOPS as i64 {
        return None;
    }
    let margin = (HP_HOPS + 1) as f64 * s.hop_secs();
    let audio_lo = s.hop_time(j_lo) + margin;
    let audio_hi = s.hop_time(j_hi) - margin;
    let held = s.pictures.min(PICTURES);
    let newest = s.times[(s.pictures - 1) % PICTURES];
    sc.pics.clear();
    for p in s.pictures - held..s.pictures {
        let t = s.times[p % PICTURES];
        if t > newest - window && t - range >= audio_lo && t + range <= audio_hi {
            sc.pics.push(p % PICTURES);
        }
    }
    let n = sc.pics.len();
    if n < 2 {
        return None;
    }
    let (start, end) = (s.times[sc.pics[0]], s.times[sc.pics[n - 1]]);
    if end - start < MIN_SECS {
        return None;
    }
    // shots long enough
    sc.shots.clear();
    sc.shots.extend(sc.pics.iter().map(|&p| s.shots[p]));
    let shots = std::mem::take(&mut sc.shots);
    sc.valid.clear();
    sc.valid.resize(n, false);
    let mut i = 0;
    while i < n {
        let mut e = i + 1;
        while e < n && shots[e] == shots[i] {
            e += 1;
        }
        if e - i >= MIN_SHOT {
            sc.valid[i..e].fill(true);
        }
        i = e;
    }
    let used = sc.valid.iter().filter(|&&v| v).count();
    if used < 2 * MIN_SHOT {
        return None;
    }
    // cells high-passed within shots; keep the TOP_CELLS that change most
    sc.v.resize(n, 0.0);
    let mut hp = std::mem::take(&mut sc.cell_hp);
    hp.clear();
    hp.resize(n, 0.0);
    sc.rank.clear();
    for c in 0..cells {
        let mean = cell_high_pass(s, c, &shots, used, sc, &mut hp);
        let var = hp
            .iter()
            .zip(&sc.valid)
            .filter(|(_, &ok)| ok)
            .map(|(x, _)| (x - mean) * (x - mean))
            .sum::<f64>();
        sc.rank.push((var, c));
    }
    sc.rank.sort_by(|a, b| b.0.total_cmp(&a.0));
    let k_cells = TOP_CELLS.min(cells);
    sc.x.clear();
    sc.x.resize(k_cells * n, 0.0);
    sc.xx.clear();
    for slot in 0..k_cells {
        let c = sc.rank[slot].1;
        let mean = cell_high_pass(s, c, &shots, used, sc, &mut hp);
        // clipped at CLIP_MADS robust deviations: a flash or a fade that moves many cells
        // at once is one event, not a rhythm to follow
        sc.v.clear();
        sc.v.extend(
            hp.iter()
                .zip(&sc.valid)
                .filter(|(_, &ok)| ok)
                .map(|(x, _)| (x - mean).abs()),
        );
        sc.v.sort_by(f64::total_cmp);
        let limit = CLIP_MADS * 1.4826 * sc.v[sc.v.len() / 2];
        sc.v.resize(n, 0.0);
        let row = &mut sc.x[slot * n..(slot + 1) * n];
        let mut xx = 0.0;
        for k in 0..n {
            if sc.valid[k] {
                let x = (hp[k] - mean).clamp(-limit, limit);
                row[k] = x as f32;
                xx += x * x;
            }
        }
        sc.xx.push(xx);
    }
    // speech level at hop boundaries j_lo..=j_hi, dB, floored, high-passed
    let len = (j_hi - j_lo + 1) as usize;
    sc.level.clear();
    let hop = |k: i64| f64::from(s.hops[(k as usize) & (HOPS - 1)]);
    for j in j_lo..=j_hi {
        let e = (hop(j - 2) + hop(j - 1) + hop(j) + hop(j + 1)) / 4.0;
        sc.level.push((10.0 * (e + 1e-12).log10()) as f32);
    }
    let loudest = sc.level.iter().copied().fold(f32::MIN, f32::max);
    for l in &mut sc.level {
        *l = l.max(loudest - FLOOR_DB);
    }
    // (the cells' buffers serve the sound now)
    sc.shots = shots;
    let mut keys = std::mem::take(&mut sc.shots);
    keys.clear();
    keys.resize(len, 0);
    sc.v.clear();
    sc.v.extend(sc.level.iter().map(|&x| f64::from(x)));
    hp.clear();
    hp.resize(len, 0.0);
    high_pass(&sc.v, &keys, HP_HOPS, &mut sc.sums, &mut hp);
    sc.hp.clear();
    sc.hp.extend(hp.iter().map(|&x| x as f32));
    sc.shots = keys;
    sc.cell_hp = hp;
    let t0 = s.hop_time(j_lo);
    let step = s.hop_secs();
    // correlations at every lag
    let lags = (range / LAG_STEP).floor() as usize;
    let nl = 2 * lags + 1;
    sc.r.clear();
    sc.r.resize(k_cells * nl, 0.0);
    sc.a.resize(n, 0.0);
    for l in 0..nl {
        let lag = (l as f64 - lags as f64) * LAG_STEP;
        let mut sum = 0.0;
        for k in 0..n {
            if !sc.valid[k] {
                sc.a[k] = 0.0;
                continue;
            }
            let pos = (s.times[sc.pics[k]] + lag - t0) / step;
            let j = (pos.floor().max(0.0) as usize).min(len - 2);
            let fr = (pos - j as f64).clamp(0.0, 1.0) as f32;
            let v = sc.hp[j] + fr * (sc.hp[j + 1] - sc.hp[j]);
            sc.a[k] = v;
            sum += f64::from(v);
        }
        let mean = (sum / used as f64) as f32;
        let mut aa = 0.0f64;
        for k in 0..n {
            if sc.valid[k] {
                sc.a[k] -= mean;
                aa += f64::from(sc.a[k]) * f64::from(sc.a[k]);
            }
        }
        if aa <= 0.0 {
            continue;
        }
        for c in 0..k_cells {
            let row = &sc.x[c * n..(c + 1) * n];
            let dot: f32 = row.iter().zip(&sc.a).map(|(x, a)| x * a).sum();
            let den = (sc.xx[c] * aa).sqrt();
            if den > 0.0 {
                sc.r[c * nl + l] = (f64::from(dot) / den) as f32;
            }
        }
    }
    // the best cells, sign aligned, averaged
    sc.best.clear();
    for c in 0..k_cells {
        let curve = &sc.r[c * nl..(c + 1) * nl];
        let (l, v) = curve
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap_or((0, 0.0));
        sc.best.push((v.abs(), c, v.signum(), l));
    }
    sc.best.sort_by(|a, b| b.0.total_cmp(&a.0));
    let m = BEST_CELLS.min(sc.best.len());
    sc.curve.clear();
    sc.curve.resize(nl, 0.0);
    for &(_, c, sign, _) in sc.best.iter().take(m) {
        for (l, acc) in sc.curve.iter_mut().enumerate() {
            *acc += f64::from(sign * sc.r[c * nl + l]) / m as f64;
        }
    }
    let (lp, peak) = sc
        .curve
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    // the best cells must peak together: a mouth's cells do, chance peaks of unrelated
    // cells fall anywhere
    let near = (AGREE_CELLS_MS / 1000.0 / LAG_STEP).round() as usize;
    let together = sc
        .best
        .iter()
        .take(m)
        .filter(|b| b.3.abs_diff(lp) <= near)
        .count();
    let apart = (APART_MS / 1000.0 / LAG_STEP).round() as usize;
    let mut second = 0.0f64;
    for l in 1..nl - 1 {
        let v = sc.curve[l];
        if l.abs_diff(lp) >= apart && v >= sc.curve[l - 1] && v >= sc.curve[l + 1] {
            second = second.max(v);
        }
    }
    if lp == 0 || lp == nl - 1 || together < m.min(2) {
        // the peak at the edge of the search range: no estimate
        second = peak;
    }
    let frac = if lp > 0 && lp < nl - 1 {
        let (l, c, r) = (sc.curve[lp - 1], peak, sc.curve[lp + 1]);
        let den = l - 2.0 * c + r;
        if den < 0.0 {
            (0.5 * (l - r) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    } else {
        0.0
    };
    let lag_ms = ((lp as f64 + frac) - lags as f64) * LAG_STEP * 1000.0;
    Some(Analysis {
        lag_ms,
        peak,
        second,
        start,
        end,
    })
}
