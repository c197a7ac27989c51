//! The runs of pictures whose blockiness index rose faintly (see `Corruption`'s `faint`): the
//! current one and the one before it, each from where its rise began to its last picture.
//!
//! An episode confirmed by another measure than the index (sharp steps on the block grid,
//! which must last 0.6 s and start where their own faint rise began) may start after the index
//! already showed the damage faint: an HEVC bit flip of the real-content evaluation rose on
//! the 16-pixel grid from its first damaged picture (1.07–1.4× the baseline, 0.6 s before the
//! grid steps began), while the grid steps rose only once prediction had spread the wrong
//! blocks. Such an episode starts where the faint run that held its start began.

use crate::media::MediaTime;

/// The current faint run and the one before it: (where its rise began, its last picture).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FaintRuns {
    current: Option<(MediaTime, MediaTime)>,
    done: Option<(MediaTime, MediaTime)>,
}

impl FaintRuns {
    /// The picture at `t`: `onset` is where the current faint run's rise began, `None` when
    /// the picture does not rise faintly (the run, if any, ended with the picture before).
    pub(super) fn push(&mut self, onset: Option<MediaTime>, t: MediaTime) {
        match onset {
            Some(o) => self.current = Some((o, t)),
            None => {
                if self.current.is_some() {
                    self.done = self.current.take();
                }
            }
        }
    }

    /// Where the faint run that held the picture at `at` began, if one did.
    pub(super) fn covering(&self, at: MediaTime) -> Option<MediaTime> {
        [self.current, self.done]
            .into_iter()
            .flatten()
            .find(|&(o, e)| o <= at && at <= e)
            .map(|(o, _)| o)
    }

    /// Forgets both runs (a new stream).
    pub(super) fn clear(&mut self) {
        *self = FaintRuns::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> MediaTime {
        MediaTime::from_secs_f64(s)
    }

    #[test]
    fn the_run_that_held_a_picture_gives_its_onset() {
        let mut r = FaintRuns::default();
        r.push(None, t(0.96));
        for i in 0..10 {
            r.push(Some(t(0.96)), t(1.0 + i as f64 * 0.04));
        }
        r.push(None, t(1.4));
        r.push(Some(t(1.44)), t(1.44));
        assert_eq!(r.covering(t(1.2)), Some(t(0.96)), "the run before");
        assert_eq!(r.covering(t(1.44)), Some(t(1.44)), "the current run");
        assert_eq!(r.covering(t(1.4)), None, "between them");
        assert_eq!(r.covering(t(0.9)), None, "before both");
        r.clear();
        assert_eq!(r.covering(t(1.2)), None);
    }
}
