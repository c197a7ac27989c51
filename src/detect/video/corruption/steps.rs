//! Block damage seen as sharp steps on the block grid: wrong blocks bounded by sharp edges
//! where the picture beside them is smooth (see
//! [`grid_steps`](crate::detect::measure::grid_steps)), many more than the stream's own coding
//! puts there, and not matched by as many half-way between the grid lines.
//!
//! A decoder that reads corrupt data without noticing (an HEVC bit flip) predicts later
//! pictures from the wrong blocks it wrote: ghosts of people who walked on, grey squares,
//! pieces of a face displaced. The blockiness index of the whole picture barely moves (1.1×
//! its baseline: most of the picture is intact and the index sums all of it), but each wrong
//! block adds sharp segments to its borders. On the damaged clips of four draws of the
//! real-content evaluation the sharp grid segments rose from 4–30 to 60–170 per picture
//! (640×360), those half-way between the grid lines not at all; a cut to a still coded
//! coarser raises both.
//!
//! The stream's normal counts are learnt as running means (time constant `adapt`, a tenth as
//! fast while a picture rises), on the grid and off it. A picture rises past the thresholds
//! when its grid count (over the last `band_phases` pictures) exceeds the learnt one by
//! [`FACTOR`] − 1 times it plus [`FLOOR`] of the segments read, and its rise on the grid is
//! [`OFF_RATIO`] times its rise off it; it rises faintly past [`FAINT`] of that. A run of
//! pictures rising at least faintly, with [`HITS`] past the thresholds, that lasts [`LASTS`] is
//! damage, from the run's first picture, until a picture no longer rises faintly (once
//! confirmed, whatever the count off the grid does: damage smeared by prediction steps there
//! too) or a clean key frame refreshes the picture. Pictures that the decoder reports damaged,
//! a new shot's first pictures and held pictures (until damage is confirmed) are not judged;
//! over a new shot the means rise to its counts at once. A held picture among fewer than
//! `band_phases` in a row (see `still::Held::pause`) neither counts in the run nor ends it, as
//! in the runs of the blockiness index: a 10 fps source at 50 pictures a second repeats each
//! picture 5 times, so every fifth picture reads its bands against the same picture read
//! `band_phases` (4) pictures before, and is held; ending the run there kept HEVC flip damage
//! of 1280×720 at 50p (sharp grid counts 3–14× the learnt one) from ever lasting 0.6 s.

use crate::detect::measure::grid_steps::{GridSteps, StepCount};
use crate::media::{MediaTime, Plane};

/// Factor of the learnt grid count that a rising picture's count must exceed (besides
/// [`FLOOR`]).
const FACTOR: f32 = 2.5;

/// Share of the thresholds' rise that keeps a run of rising pictures going, and that starts
/// one: damage shows faint on its first pictures, before prediction spreads it.
const FAINT: f32 = 0.2;

/// Pictures of a run that must rise past the thresholds for it to be damage.
const HITS: u32 = 3;

/// Share of the grid segments read that a rising picture's count must exceed the learnt count
/// by, besides [`FACTOR`]: 0.4 %, about 27 segments of a 640×360 picture.
const FLOOR: f32 = 0.004;

/// Factor by which the rise of the grid count must exceed the rise half-way between the grid
/// lines: natural edges fall on both alike.
const OFF_RATIO: f32 = 3.0;

/// Seconds a run of rising pictures must last to be damage.
const LASTS: f64 = 0.6;

/// Seconds of pictures to learn from before judging.
const WARMUP: f32 = 1.0;

/// Sharp steps on the block grid, against the stream's own (see the module notes).
#[derive(Clone, Debug)]
pub(super) struct GridDamage {
    adapt: f32,
    measure: GridSteps,
    grid: f32,
    off: f32,
    learnt: f32,
    /// The current run of rising pictures: its first picture, and pictures past the
    /// thresholds in it.
    run: Option<(MediaTime, u32)>,
}

impl GridDamage {
    /// A judge reading one block row in `phases` per picture, learning with the time constant
    /// `adapt` (seconds).
    pub(super) fn new(phases: usize, adapt: f32) -> Self {
        GridDamage {
            adapt,
            measure: GridSteps::new(phases),
            grid: 0.0,
            off: 0.0,
            learnt: 0.0,
            run: None,
        }
    }

    /// Forgets the stream.
    pub(super) fn clear(&mut self) {
        self.measure.reset();
        (self.grid, self.off, self.learnt, self.run) = (0.0, 0.0, 0.0, None);
    }

    /// The picture's rise: `Some(true)` past the thresholds, `Some(false)` past [`FAINT`] of
    /// them, `None` under that, or where the count half-way between the grid lines rose as
    /// well (natural edges) while the damage is not `confirmed` (damage smeared by prediction
    /// steps off the grid too).
    fn rise(&self, c: StepCount, confirmed: bool) -> Option<bool> {
        let (g, o) = (c.grid as f32, c.off as f32);
        let rise = (FACTOR - 1.0) * self.grid + FLOOR * c.read as f32;
        let own = confirmed || g - self.grid >= OFF_RATIO * (o - self.off).max(0.0);
        (own && g >= self.grid + FAINT * rise).then_some(g >= self.grid + rise)
    }

    /// Reads a picture's luma at `t`, shown until `until` (`dt` seconds): `decoder` when the
    /// decoder reports it damaged, `shot` while a new shot begins, `key` for a key frame,
    /// `fresh` unless the picture is held (it neither starts nor confirms damage: an encoder
    /// may code a frozen picture ever blockier; see `still`), `pause` when it is a held
    /// picture among fewer than `band_phases` in a row (see `still::Held::pause`): it keeps
    /// the run of rising pictures as it is, neither counted nor ending it. The start of the
    /// damage on screen, if any.
    pub(super) fn push(
        &mut self,
        luma: &Plane,
        (t, until, dt): (MediaTime, MediaTime, f32),
        (decoder, shot, key, fresh, pause): (bool, bool, bool, bool, bool),
    ) -> Option<MediaTime> {
        let c = self.measure.measure(luma);
        if decoder || c.read == 0 {
            self.run = None;
            return None;
        }
        let warm = self.learnt >= WARMUP;
        let confirmed = self.confirmed(t);
        let judged = warm && !shot && !key && (fresh || confirmed);
        let rise = self.rise(c, confirmed).filter(|_| judged);
        // A held picture between fresh ones (a picture repeated by a rate conversion, read
        // against the same picture `phases` pictures before) brings no evidence either way.
        let paused = pause && !confirmed && !shot && !key;
        self.run = match (rise, self.run) {
            _ if paused => self.run,
            (None, _) => None,
            (Some(r), Some((s, n))) => Some((s, n + u32::from(r))),
            (Some(r), None) => Some((t, u32::from(r))),
        };
        let (g, o) = (c.grid as f32, c.off as f32);
        if shot {
            (self.grid, self.off) = (self.grid.max(g), self.off.max(o));
        } else {
            let a = if !warm {
                dt / (self.learnt + dt)
            } else if self.rise(c, confirmed).is_some() {
                dt / (10.0 * self.adapt)
            } else {
                dt / self.adapt
            }
            .min(1.0);
            self.grid += a * (g - self.grid);
            self.off += a * (o - self.off);
        }
        self.learnt += dt;
        self.run
            .filter(|_| !paused && self.confirmed(until))
            .map(|(s, _)| s)
    }

    /// The first picture of the current run of rising pictures (none confirmed or not).
    pub(super) fn run_since(&self) -> Option<MediaTime> {
        self.run.map(|(s, _)| s)
    }

    /// Whether the current run is damage at `t`: it lasted [`LASTS`] with [`HITS`] pictures
    /// past the thresholds.
    fn confirmed(&self, t: MediaTime) -> bool {
        self.run
            .is_some_and(|(s, n)| n >= HITS && t.secs_since(s) >= LASTS - 1e-6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 64×64 luma: a smooth ramp, with flat bright blocks of 8×8 at every other grid point
    /// when `blocks`.
    fn picture(blocks: bool) -> Plane {
        let data: Vec<u8> = (0..64 * 64)
            .map(|i| {
                let (x, y) = (i % 64, i / 64);
                let b = blocks && (x / 8 + y / 8) % 2 == 0 && (8..56).contains(&x);
                if b {
                    220
                } else {
                    (x + y) as u8
                }
            })
            .collect();
        Plane::new(data.into(), 64, 64, 64).unwrap()
    }

    #[test]
    fn blocks_that_last_are_damage_from_their_first_picture() {
        let mut g = GridDamage::new(4, 4.0);
        let (clean, bad) = (picture(false), picture(true));
        let at = |i: usize| {
            let t = MediaTime::from_secs_f64(i as f64 * 0.04);
            (t, MediaTime::from_secs_f64((i + 1) as f64 * 0.04), 0.04)
        };
        let flags = (false, false, false, true, false);
        for i in 0..50 {
            assert_eq!(g.push(&clean, at(i), flags), None);
        }
        // Damage from picture 50: confirmed after 0.6 s, from picture 50.
        let found: Vec<_> = (50..70).map(|i| g.push(&bad, at(i), flags)).collect();
        assert!(found[..14].iter().all(Option::is_none), "{found:?}");
        assert_eq!(found[19], Some(at(50).0));
        // A key frame refreshes the picture: the run ends.
        assert_eq!(
            g.push(&bad, at(70), (false, false, true, true, false)),
            None
        );
        // Over a new shot the means rise to its counts: the same blocks are its coding.
        let mut g = GridDamage::new(4, 4.0);
        for i in 0..50 {
            g.push(&clean, at(i), flags);
        }
        for i in 50..54 {
            g.push(&bad, at(i), (false, true, false, true, false));
        }
        assert!((54..90).all(|i| g.push(&bad, at(i), flags).is_none()));
    }

    #[test]
    fn held_pictures_between_fresh_ones_pause_the_run() {
        // 50 pictures a second from a 10 fps source: every fifth picture reads its bands
        // against the same picture `phases` (4) pictures before, and is held.
        let mut g = GridDamage::new(4, 4.0);
        let (clean, bad) = (picture(false), picture(true));
        let at = |i: usize| {
            let t = MediaTime::from_secs_f64(i as f64 * 0.02);
            (t, MediaTime::from_secs_f64((i + 1) as f64 * 0.02), 0.02)
        };
        let flags = |i: usize| {
            let held = i % 5 == 4;
            (false, false, false, !held, held)
        };
        for i in 0..100 {
            assert_eq!(g.push(&clean, at(i), flags(i)), None);
        }
        // Damage from picture 100: confirmed after 0.6 s, from picture 100, though a held
        // picture came every 0.1 s.
        let found: Vec<_> = (100..140).map(|i| g.push(&bad, at(i), flags(i))).collect();
        assert!(found[..29].iter().all(Option::is_none), "{found:?}");
        assert_eq!(found[39], Some(at(100).0), "{found:?}");
        // A held picture that is no pause (a frozen picture: `phases` held in a row) ends an
        // unconfirmed run.
        let mut g = GridDamage::new(4, 4.0);
        for i in 0..100 {
            g.push(&clean, at(i), flags(i));
        }
        let held = (false, false, false, false, false);
        let found: Vec<_> = (100..140)
            .map(|i| g.push(&bad, at(i), if i % 5 == 4 { held } else { flags(i) }))
            .collect();
        assert!(found.iter().all(Option::is_none), "{found:?}");
    }
}
