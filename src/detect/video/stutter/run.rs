//! The **runs** of `stutter`: pictures in a row held beyond the stream's cadence.
//!
//! A stutter is one picture held too long in motion, the pictures around it shown at the
//! stream's cadence. When [`RHYTHM`] pictures in a row are each held beyond it, the stream
//! changed its cadence (animation on twos after film shown once, where one programme follows
//! another over the same film with no cut): the repeats that reveal the new rhythm are its
//! own, and the shot's rate is seen anew, as after a cut ([`Run::push`]). A stutter judged
//! at once waits for the pictures after it ([`Run::wait`]): it is reported when a picture
//! shown within the cadence ends the run before it became a rhythm.

use super::pending::Repeat;
use crate::media::MediaTime;

/// Pictures in a row held beyond the cadence that make a new rhythm of the stream, not
/// stutters: a true stutter is one picture, and a conversion's own repeat next to it (24 →
/// 25, pulldown: one picture in 4 or more) makes two.
pub(super) const RHYTHM: usize = 3;

/// What a picture told the run ([`Run::push`]).
#[derive(Debug, PartialEq)]
pub(super) enum Told {
    /// It was shown within the cadence: the stutters waiting are due (`Run::flush`).
    Within,
    /// It was held beyond the cadence, the run not (yet) a rhythm, or one already.
    Beyond,
    /// It made the run a rhythm: the stream's cadence changed with the picture that began at
    /// `.0` (the run's first); the stutters waiting were the rhythm's and are dropped.
    Rhythm(MediaTime),
}

/// The current run of pictures held beyond the cadence, and the stutters judged in it.
pub(super) struct Run {
    /// Pictures in the run.
    len: usize,
    /// Start of the run's first picture.
    since: MediaTime,
    /// Stutters judged at once in the run, waiting for its end.
    waiting: [Option<Repeat>; RHYTHM - 1],
}

impl Default for Run {
    fn default() -> Self {
        Run {
            len: 0,
            since: MediaTime::ZERO,
            waiting: [None; RHYTHM - 1],
        }
    }
}

impl Run {
    /// A picture that began at `start` ended, held beyond the cadence (`beyond`) or
    /// not.
    pub(super) fn push(&mut self, start: MediaTime, beyond: bool) -> Told {
        if !beyond {
            self.len = 0;
            return Told::Within;
        }
        if self.len == 0 {
            self.since = start;
        }
        self.len += 1;
        if self.len == RHYTHM {
            self.waiting = [None; RHYTHM - 1];
            return Told::Rhythm(self.since);
        }
        Told::Beyond
    }

    /// The picture pushed last, held beyond the cadence, was judged a stutter `r`: it waits
    /// for the run's end. False when the run is a rhythm already (`r` is its own).
    pub(super) fn wait(&mut self, r: Repeat) -> bool {
        if self.len >= RHYTHM {
            return false;
        }
        match self.waiting.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(r);
                true
            }
            None => false,
        }
    }

    /// Takes the stutters waiting (their run ended short of a rhythm, or the stream did),
    /// earliest first.
    pub(super) fn flush(&mut self) -> [Option<Repeat>; RHYTHM - 1] {
        std::mem::replace(&mut self.waiting, [None; RHYTHM - 1])
    }

    /// Forgets the run (after a discontinuity).
    pub(super) fn clear(&mut self) {
        *self = Run::default();
    }
}

#[cfg(test)]
mod tests {
    use super::super::pending::tests::repeat;
    use super::*;

    fn at(secs: f64) -> MediaTime {
        MediaTime::from_secs_f64(secs)
    }

    #[test]
    fn a_stutter_waits_for_the_picture_after_it() {
        let mut run = Run::default();
        assert_eq!(run.push(at(1.0), false), Told::Within);
        assert_eq!(run.push(at(1.04), true), Told::Beyond);
        assert!(run.wait(repeat(1.04)));
        assert_eq!(run.push(at(1.12), false), Told::Within);
        let due = run.flush();
        assert_eq!(due[0].map(|r| r.start), Some(1.04));
        assert!(due[1].is_none());
        assert!(run.flush().iter().all(Option::is_none));
    }

    #[test]
    fn three_pictures_in_a_row_held_beyond_the_cadence_are_a_rhythm() {
        let mut run = Run::default();
        assert_eq!(run.push(at(2.0), true), Told::Beyond);
        assert!(run.wait(repeat(2.0)));
        assert_eq!(run.push(at(2.08), true), Told::Beyond);
        assert_eq!(run.push(at(2.16), true), Told::Rhythm(at(2.0)));
        // the stutter judged at the run's start was the rhythm's, and so is any later one
        assert!(run.flush().iter().all(Option::is_none));
        assert_eq!(run.push(at(2.24), true), Told::Beyond);
        assert!(!run.wait(repeat(2.24)));
        // a picture shown once ends the rhythm's run; the next run counts anew
        assert_eq!(run.push(at(2.32), false), Told::Within);
        assert_eq!(run.push(at(2.36), true), Told::Beyond);
        assert!(run.wait(repeat(2.36)));
    }
}
