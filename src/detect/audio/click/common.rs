//! An impulse that another channel carries too, where that channel found no click.
//!
//! A click added to the sound on one channel is not in the others; added to all of them, it is
//! found on each (the judgement of each channel sees the same kind of impulse). An impulse that
//! stands out of another channel's residual nearly as far as out of its own, while that
//! channel's judgement did not take it for a click, is a transient of the programme both
//! channels carry: the attack of a percussion instrument in an orchestral recording (measured
//! on two hold-out programmes: found on one channel, 37–39 dB over its residual, the other
//! channel's impulse as sharp in the source, rejected there for the busy sound after it or not
//! triggered at all). An impulse that starts a new sound — its channel's residual after it
//! raised — counts as carried by another channel even when it stands out there much less (a
//! percussion hit in a stereo mix, louder on one side). An impulse that another channel carries
//! sample for sample (their difference keeps it out, see [`IDENTICAL_DB`] and
//! [`DIFF_EXCESS_DB`]) is a click added to both channels, which one of them rejected: it is
//! not dropped.

use super::channel::Channel;
use super::geometry::Geometry;
use super::judge::{median, Found};
use super::predictor::whiten;

/// dB under the click's own excess within which the other channel's impulse counts as the
/// same impulse.
const COMMON_DB: f64 = 6.0;

/// A click after which its channel's residual rises by at least this many dB over its level
/// before (as the judgement measures it) counts as carried by another channel whose impulse
/// stands within [`COMMON_RISEN_DB`] of its excess, not [`COMMON_DB`].
const RISEN_DB: f64 = 4.0;

/// dB under the click's own excess within which the other channel's impulse counts as the
/// same impulse when the residual after the click has risen ([`RISEN_DB`]). A programme's
/// transient that starts a new sound (a percussion hit in a stereo mix: measured 52 dB on one
/// channel, 35 dB on the other, the residual after it 8 dB up) is in both channels, louder in
/// one; an added click leaves the other channel's residual at its noise peaks (0–31 dB over
/// its median, 16 dB and more under the click's excess, on the real-content music) and the
/// residual after it where it was (a codec's smear of a loud click raised it by 6 dB at
/// most, with the other channel 44 dB under it).
const COMMON_RISEN_DB: f64 = 20.0;

/// Samples on each side of the click's excess searched for the other channel's peak.
const NEAR: i64 = 3;

/// dB under the click's energy over its excess within which the difference of the two
/// channels there stays when the other channel's impulse is the same, sample for sample: a
/// click added to both channels (measured 24–35 dB under it after AAC, one 16 dB), where a
/// programme's transient reaches two microphones with different sizes and delays (15 dB under
/// it to 0.5 dB over on the hold-outs, the real-content music and the shared draws; one 25 dB
/// under on a near-mono synthetic programme, whose difference [`DIFF_EXCESS_DB`] tells).
const IDENTICAL_DB: f64 = 20.0;

/// dB over the median of the channels' difference before it under which the difference's
/// peak near the click stays when the click was added to both channels (measured 7–18 dB: the
/// click is not in the difference); a programme's transient is in the difference as it is in
/// each channel (measured 26–50 dB; 11.5 dB on an orchestral recording whose impulse differs
/// 15 dB from the other channel's, see [`IDENTICAL_DB`]).
const DIFF_EXCESS_DB: f64 = 20.0;

/// Peak of `r` from `near` on, in dB over the median of `r[..pre_end]` (as the judgement
/// measures a candidate's excess); `select`: scratch.
fn peak_over_median(r: &[f32], near: usize, pre_end: usize, select: &mut Vec<f32>) -> Option<f64> {
    if pre_end == 0 {
        return None;
    }
    let amp = r[near..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    select.clear();
    select.extend(r[..pre_end].iter().map(|v| v.abs()));
    let med = median(select);
    (med > 0.0).then(|| 20.0 * (amp as f64 / med as f64).log10())
}

/// The stretch whitened around `hit`: from `pre` before it to [`NEAR`] after its excess, with
/// the offsets in it of [`NEAR`] before the excess and of the end of the median's stretch.
fn span(hit: &Found, g: &Geometry) -> (i64, i64, usize, usize) {
    let lo = hit.start - g.pre as i64;
    let hi = hit.end + NEAR;
    let near = (hit.start - NEAR - lo).max(0) as usize;
    let pre_end = (hit.start - g.guard as i64 - lo).max(0) as usize;
    (lo, hi, near, pre_end)
}

/// Peak of the other channel's residual near `hit`, in dB over that residual's median before
/// it; `None` when its buffer or predictor does not reach.
fn excess_db(
    ch: &Channel,
    hit: &Found,
    g: &Geometry,
    residual: &mut [f32],
    select: &mut Vec<f32>,
) -> Option<f64> {
    let pred = ch.predictor_at(hit.start)?;
    let (lo, hi, near, pre_end) = span(hit, g);
    if lo < ch.start + g.order as i64 || hi > ch.end() || (hi - lo) as usize > residual.len() {
        return None;
    }
    let r = &mut residual[..(hi - lo) as usize];
    whiten(&ch.buf, (lo - ch.start) as usize, &pred.a[..=g.order], r);
    peak_over_median(r, near, pre_end, select)
}

/// True when the other channel's impulse at `hit` is `own`'s, sample for sample: the
/// channels' difference, whitened by `own`'s predictor, keeps [`IDENTICAL_DB`] under `own`'s
/// residual over the excess and stands less than [`DIFF_EXCESS_DB`] out of its level before.
fn identical(
    own: &Channel,
    other: &Channel,
    hit: &Found,
    g: &Geometry,
    residual: &mut [f32],
    select: &mut Vec<f32>,
) -> bool {
    let Some(pred) = own.predictor_at(hit.start) else {
        return false;
    };
    let (lo, hi, near, pre_end) = span(hit, g);
    let from = lo - g.order as i64;
    let n = (hi - lo) as usize;
    if [own, other].iter().any(|c| from < c.start || hi > c.end()) || n > residual.len() {
        return false;
    }
    let a = &pred.a[..=g.order];
    let r = &mut residual[..n];
    whiten(&own.buf, (lo - own.start) as usize, a, r);
    let energy = |r: &[f32]| r[near..].iter().map(|&v| v as f64 * v as f64).sum::<f64>();
    let own_energy = energy(r);
    let x = &own.buf[(from - own.start) as usize..(hi - own.start) as usize];
    let y = &other.buf[(from - other.start) as usize..(hi - other.start) as usize];
    select.clear();
    select.extend(x.iter().zip(y).map(|(x, y)| x - y));
    whiten(select, g.order, a, r);
    energy(r) * 10f64.powf(IDENTICAL_DB / 10.0) <= own_energy
        && peak_over_median(r, near, pre_end, select).is_some_and(|e| e < DIFF_EXCESS_DB)
}

/// True when `hit`, found on its channel alone, stands out of another channel's residual
/// within [`COMMON_DB`] of its own excess: the programme's own transient. `found`: the other
/// clicks judged with it; `found_before`: another channel's click already taken into the burst
/// ends within `same_click` before it. A candidate of another channel near it that is still
/// waiting for its judgement (or still growing) leaves the click as it is.
pub(super) fn carried_by_other(
    channels: &[Channel],
    hit: &Found,
    found: &[Found],
    found_before: bool,
    g: &Geometry,
    residual: &mut [f32],
    select: &mut Vec<f32>,
) -> bool {
    let reach = g.same_click as i64;
    let near = |f: &Found| {
        f.channel != hit.channel && f.start <= hit.end + reach && hit.start <= f.end + reach
    };
    let waiting = |c: usize, ch: &Channel| {
        c != hit.channel
            && (ch.pending.iter().chain(ch.cluster.iter()))
                .any(|k| k.start <= hit.end + reach && hit.start <= k.peak + reach)
    };
    if channels.len() < 2
        || found_before
        || found.iter().any(near)
        || channels.iter().enumerate().any(|(c, ch)| waiting(c, ch))
    {
        return false;
    }
    let within = if hit.rise_db >= RISEN_DB {
        COMMON_RISEN_DB
    } else {
        COMMON_DB
    };
    channels.iter().enumerate().any(|(c, ch)| {
        c != hit.channel
            && excess_db(ch, hit, g, residual, select).is_some_and(|e| e >= hit.excess_db - within)
            && !identical(&channels[hit.channel], ch, hit, g, residual, select)
    })
}
