//! The **pending** repeats of `stutter`: a picture repeated once in the first seconds of a
//! shot (after a cut, a junction between programmes or a still) is not judged at once. The
//! shot may be a programme of another cadence (a 24 → 25 conversion, film telecined and
//! decimated), whose repeats are its own but come before that cadence can be learned. The
//! repeat waits for the shot to tell ([`Pending`]):
//! - a later repeat in motion kept by a rhythm, the repeat lying on that rhythm's periods, or
//!   kept by the stream's regular cadence: it was the rhythm's, and is dropped;
//! - at the verdict, it is one of three repeats in a row a conversion's period apart
//!   (`History::conversion_chain`): dropped;
//! - a picture repeated once, the shot shows the texture of rate-converted pictures
//!   ([`Dips`](super::dips::Dips)) at the verdict: dropped (one held longer is not, as when
//!   judged at once);
//! - else it is reported at its own media time, [`VERDICT`] seconds after it began, or as soon
//!   as a later picture is judged a stutter at once (no cadence of the shot keeps its repeats;
//!   one episode with it when close).

use crate::media::MediaTime;

/// Seconds after the start of a shot (a cut or the end of a still) in which a picture
/// repeated once waits for the shot's cadence: a 24 → 25 conversion's rhythm (a repeat every
/// 24 or 25 frames) is learned at its 4th repeat, 3 periods after the first, which falls up
/// to a period after the cut: up to 4 s. On the three 30-minute channels, the 7 pictures
/// repeated once by a programme's own cadence before it was learned (24 → 25, pulldown, after
/// a junction) began 1.40 to 2.96 s after the cut or still that started the programme.
pub(super) const AFTER_CUT: f64 = 4.0;
/// Seconds a pending repeat waits for its verdict: the rhythm it belongs to is learned at the
/// latest at its 4th repeat, 3 periods of a 24 → 25 conversion after it (3.0 s, with 1.1
/// frames of slack 3.04 s). The texture of telecined and decimated film is judged at the
/// verdict, over the 10 s before it (`dips.rs`).
pub(super) const VERDICT: f64 = 4.0;
/// Repeats pending at once; an older one is reported when a newer one finds no room.
const SLOTS: usize = 4;

/// A picture repeated once, waiting for its verdict.
#[derive(Clone, Copy, Debug)]
pub(super) struct Repeat {
    /// Time of its first frame, in seconds.
    pub(super) start: f64,
    /// Its first frame beyond the cadence (the stutter's start).
    pub(super) first_extra: MediaTime,
    /// The first new picture after it (the stutter's end).
    pub(super) end: MediaTime,
    /// Frames shown beyond the cadence.
    pub(super) extra: u64,
    /// Its hold, in base pictures.
    pub(super) hold: u32,
    /// Display time of one base picture.
    pub(super) frame_secs: f64,
}

/// The repeats pending (a fixed set of slots, no allocation).
#[derive(Default)]
pub(super) struct Pending {
    slots: [Option<Repeat>; SLOTS],
}

impl Pending {
    /// Holds `r` pending; returns the oldest repeat pending, to be reported now, when every
    /// slot was taken.
    pub(super) fn hold(&mut self, r: Repeat) -> Option<Repeat> {
        if let Some(free) = self.slots.iter_mut().find(|s| s.is_none()) {
            *free = Some(r);
            return None;
        }
        let oldest = self
            .slots
            .iter_mut()
            .min_by(|a, b| start_of(a).total_cmp(&start_of(b)))?;
        oldest.replace(r)
    }

    /// A repeat at `start` held `hold` base pictures was kept by a learned rhythm (`by_rhythm`)
    /// or else by the stream's regular cadence: drops the pending repeats before it that it
    /// holds as long and, kept by a rhythm, that lie on that rhythm's periods (`on(from)`:
    /// `start` lies a whole number of periods after `from`).
    pub(super) fn kept(
        &mut self,
        start: f64,
        hold: u32,
        by_rhythm: bool,
        on: impl Fn(f64) -> bool,
    ) {
        for s in &mut self.slots {
            if s.is_some_and(|r| r.start < start && r.hold <= hold && (!by_rhythm || on(r.start))) {
                *s = None;
            }
        }
    }

    /// Drops the pending repeats that began at `since` (seconds) or later: the stream's
    /// cadence changed there, and they were the new rhythm's (`run.rs`).
    pub(super) fn drop_from(&mut self, since: f64) {
        for s in &mut self.slots {
            if s.is_some_and(|r| r.start >= since - 1e-9) {
                *s = None;
            }
        }
    }

    /// The pending repeat whose verdict is due at `now` (seconds), or that began before
    /// `before` (a later picture was judged a stutter; infinite: the stream ends or breaks),
    /// taken out of the set: the earliest first.
    pub(super) fn due(&mut self, now: f64, before: f64) -> Option<Repeat> {
        let slot = self
            .slots
            .iter_mut()
            .filter(|s| s.is_some_and(|r| r.start < before || now - r.start >= VERDICT - 1e-9))
            .min_by(|a, b| start_of(a).total_cmp(&start_of(b)))?;
        slot.take()
    }

    /// No repeat is pending.
    pub(super) fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }
}

fn start_of(s: &Option<Repeat>) -> f64 {
    s.map_or(f64::INFINITY, |r| r.start)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A picture shown once more at `start` (in seconds), at 25 fps.
    pub(in crate::detect::video::stutter) fn repeat(start: f64) -> Repeat {
        let t = MediaTime::from_secs_f64(start);
        Repeat {
            start,
            first_extra: t,
            end: t,
            extra: 1,
            hold: 2,
            frame_secs: 0.04,
        }
    }

    #[test]
    fn verdicts_come_in_order_and_a_full_set_reports_its_oldest() {
        let mut p = Pending::default();
        for k in 0..SLOTS {
            assert!(p.hold(repeat(1.0 + k as f64 * 0.5)).is_none());
        }
        assert_eq!(p.hold(repeat(9.0)).map(|r| r.start), Some(1.0));
        assert!(p.due(5.0, f64::NEG_INFINITY).is_none());
        assert_eq!(p.due(5.5, f64::NEG_INFINITY).map(|r| r.start), Some(1.5));
        assert_eq!(p.due(5.5, f64::INFINITY).map(|r| r.start), Some(2.0));
        // a rhythm of 1 s kept a repeat at 4.5 s: the one 2 periods before is its own
        p.kept(4.5, 2, true, |from| {
            ((4.5 - from) - (4.5 - from).round()).abs() < 0.05
        });
        assert_eq!(p.due(0.0, f64::INFINITY).map(|r| r.start), Some(9.0));
        assert!(p.is_empty());
    }
}
