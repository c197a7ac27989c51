//! The base picture of `stutter`: in a stream made by **frame doubling** (every picture held 2
//! or 3 frames, [`MIN_BASE_RATE`] or more such pictures a second) holds are counted in those
//! base pictures, learned from the holds in frames ([`Doubling`]).

use super::cadence::History;
use super::holds::Holds;

/// Fewest base pictures a second for a stream to count as made by frame doubling: 25 or
/// 29.97 fps video (and 23.976 or 24 fps film) doubled to 50 or 59.94 fps, never animation on
/// twos or threes at 25 fps (12.5 or 8.3 pictures a second), whose longer holds are its own.
const MIN_BASE_RATE: f64 = 20.0;

/// The base picture of a stream, learned from the holds of its pictures in frames.
pub(super) struct Doubling {
    /// Holds of the last pictures in frames, from which the base is learned (their cadence; the
    /// repeats and rhythms of a [`History`] are not needed). Not derived from the history's
    /// holds in base pictures: at a base of 2, holds of 1, 2 and 3 frames all count 1, and a
    /// base lost clears the history but not these.
    raw: Holds,
    /// Frames of one base picture: 2 or 3 in a stream made by frame doubling or tripling,
    /// else 1.
    base: u32,
}

/// What one held picture told [`Doubling::learn`].
pub(super) struct Learned {
    /// The regular cadence in frames, hold and frames from one such hold to the next
    /// ([`Holds::cadence`]), before the picture.
    pub(super) raw: (u32, u32),
    /// The regular cadence of the history in base pictures, in the base learned.
    pub(super) cadence: (u32, u32),
    /// A base was lost (it never was one): the history was cleared, the cadence is learned
    /// anew.
    pub(super) lost: bool,
}

impl Doubling {
    /// No base learned: pictures of 1 frame.
    pub(super) fn new() -> Self {
        Doubling {
            raw: Holds::new(),
            base: 1,
        }
    }

    /// Frames of one base picture.
    pub(super) fn base(&self) -> u32 {
        self.base
    }

    /// Learns from a picture held `frames` frames of `frame_secs` seconds, before `history`
    /// (holds in base pictures) remembers it: on a change of base the holds of `history` are
    /// counted in the new base pictures, or forgotten when a base is lost.
    pub(super) fn learn(
        &mut self,
        history: &mut History,
        frames: u32,
        frame_secs: f64,
        cadence_min: usize,
    ) -> Learned {
        let cadence = history.cadence(cadence_min);
        let raw = match self.base {
            1 => cadence,
            _ => self.raw.cadence(cadence_min),
        };
        self.raw.push(frames);
        let native = raw.0 == 1 && self.base > 1 && self.raw.mostly_once();
        let base = doubling_base(raw.0, raw.1, frame_secs, native).unwrap_or(self.base);
        if base == self.base {
            return Learned {
                raw,
                cadence,
                lost: false,
            };
        }
        // The holds learned are counted in the new base pictures; a base lost again (it
        // never was one) leaves nothing to rescale: the cadence is learned anew.
        let lost = self.base != 1;
        if lost {
            history.clear();
        } else {
            history.rescale(base);
        }
        self.base = base;
        Learned {
            raw,
            cadence: history.cadence(cadence_min),
            lost,
        }
    }

    /// Forgets everything (after a discontinuity).
    pub(super) fn clear(&mut self) {
        self.raw.clear();
        self.base = 1;
    }
}

/// The base picture, in frames, of a stream whose regular cadence is `hold` frames every `gap`
/// frames ([`Holds::cadence`]) at `frame_secs` seconds a frame: `hold` when every picture is
/// held 2 or 3 frames and those pictures come at least [`MIN_BASE_RATE`] a second (frame
/// doubling or tripling), 1 when the stream has no cadence and `native` (3 in 4 of the
/// pictures remembered were shown once: pictures at the frame rate, where decoder damage that
/// changes every frame for a second leaves most pictures of a doubled stream held 2 frames),
/// `None` when the cadence says neither (a rhythm on top of the base, such as a 24 → 25
/// conversion's repeat, or held stills: the base learned stays).
pub(super) fn doubling_base(hold: u32, gap: u32, frame_secs: f64, native: bool) -> Option<u32> {
    match hold {
        1 if native => Some(1),
        2 | 3 if gap <= hold && hold as f64 * frame_secs * MIN_BASE_RATE <= 1.0 => Some(hold),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(holds: impl IntoIterator<Item = u32>) -> Holds {
        let mut h = Holds::new();
        for x in holds {
            h.push(x);
        }
        h
    }

    #[test]
    fn frame_doubling_is_a_base_but_twos_at_25_fps_are_not() {
        // 25 fps pictures doubled to 50 fps; animation on twos at 25 fps is no base
        assert_eq!(doubling_base(2, 2, 0.02, false), Some(2));
        assert_eq!(doubling_base(2, 2, 0.04, false), None);
        // a 24 → 25 rhythm on top of the doubling, or held stills: the base learned stays
        assert_eq!(doubling_base(4, 27, 0.02, false), None);
        assert_eq!(doubling_base(5, 5, 0.02, false), None);
        // no cadence: native pictures, unless a second of damage broke the doubling
        assert_eq!(doubling_base(1, 0, 0.02, true), Some(1));
        assert_eq!(doubling_base(1, 0, 0.02, false), None);
        let damaged = holds((0..160).map(|i| if (50..100).contains(&i) { 1 } else { 2 }));
        assert!(!damaged.mostly_once() && holds([1; 160]).mostly_once());
    }

    /// One picture held `frames` frames at 50 frames/s, as `Stutter::end_held` passes it: the
    /// base learned first, then the hold in base pictures remembered.
    fn picture(d: &mut Doubling, history: &mut History, frames: u32) -> Learned {
        let seen = d.learn(history, frames, 0.02, 3);
        history.push_hold((frames / d.base()).max(1));
        seen
    }

    #[test]
    fn a_doubled_stream_is_counted_in_base_pictures_until_native_pictures_come() {
        let (mut d, mut history) = (Doubling::new(), History::new());
        // 25 pictures/s doubled to 50: the base is learned once 24 holds are remembered
        for _ in 0..24 {
            let seen = picture(&mut d, &mut history, 2);
            assert_eq!((seen.raw, d.base()), ((1, 0), 1));
        }
        let seen = picture(&mut d, &mut history, 2);
        assert_eq!(
            (seen.raw, seen.cadence, seen.lost, d.base()),
            ((2, 2), (1, 0), false, 2)
        );
        // the holds in frames are remembered on their own: a doubled 24 → 25 repeat (4 frames,
        // 2 base pictures) once every 24 pictures is a rhythm on top of the base, which stays
        let mut seen = picture(&mut d, &mut history, 2);
        for k in 0..100 {
            seen = picture(&mut d, &mut history, if k % 24 == 23 { 4 } else { 2 });
            assert_eq!((seen.lost, d.base()), (false, 2));
        }
        assert_eq!((seen.raw, seen.cadence), ((4, 27), (2, 25)));
        // pictures at the frame rate: the base is lost once 3 in 4 of the 160 remembered were
        // shown once (the 120th), and the history in base pictures is learned anew
        let lost = (0..160).position(|_| picture(&mut d, &mut history, 1).lost);
        assert_eq!((lost, d.base()), (Some(119), 1));
        assert_eq!(history.cadence(3), (1, 0));
    }

    #[test]
    fn the_base_learner_keeps_only_the_holds_in_frames() {
        // no repeat ring nor rhythm of a whole `History` (over 1.6 kB) beside them
        assert!(std::mem::size_of::<Doubling>() < std::mem::size_of::<History>() / 2);
    }
}
