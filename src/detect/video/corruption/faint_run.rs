//! The runs of pictures whose blockiness index rose faintly (see `Corruption`'s `faint`): the
//! current one and the one before it, each from where its rise began to its last picture.
//!
//! An episode confirmed by another measure than the index (sharp steps on the block grid,
//! which must last 0.6 s and start where their own faint rise began) may start after the index
//! already showed the damage faint: an HEVC bit flip of the real-content evaluation rose on
//! the 16-pixel grid from its first damaged picture (1.07–1.4× the baseline, 0.6 s before the
//! grid steps began), while the grid steps rose only once prediction had spread the wrong
//! blocks. Such an episode starts where the faint run that held its start began.
//!
//! Also the faint run the detector is in ([`Faint`]), which a weak rise starts from unless it
//! crept in long before.

use crate::media::MediaTime;

/// The faint run the detector is in: its first picture, where its rise began (that picture,
/// or up to `band_phases - 1` pictures before it whose own bands rose), and whether it crept
/// over its threshold (no picture's own bands rose where it began; see
/// [`RiseOnset::fresh`](crate::detect::measure::block_edge::RiseOnset::fresh)).
///
/// Damage shows faint on its first picture (the lower part of it, or a few blocks) before
/// prediction spreads it, so a weak rise starts where its faint run began; the sums of the
/// last `band_phases` pictures take in damage begun on one picture over that many pictures,
/// and show it faint meanwhile whether its own bands jumped or not. A faint run that crept
/// over its threshold longer before the weak rise is the stream's own index hovering at a
/// quarter of the thresholds (fast motion coded blockier: the head of "carphone" held a faint
/// rise on the 16-pixel grid, 1.07–1.11× the baseline with no picture's bands rising by
/// three swings, for the 8 pictures before a splice of blocky pictures of the same shot),
/// not the damage's first showing: the weak rise starts afresh.
#[derive(Clone, Copy, Debug)]
pub(super) struct Faint {
    pub(super) since: MediaTime,
    pub(super) onset: MediaTime,
    crept: bool,
}

impl Faint {
    /// A faint run from the picture at `t`, whose rise began at `fresh` (`None`: it crept).
    pub(super) fn new(t: MediaTime, fresh: Option<MediaTime>) -> Self {
        Faint {
            since: t,
            onset: fresh.unwrap_or(t),
            crept: fresh.is_none(),
        }
    }

    /// Whether a weak rise at `t` starts where this run began: it began afresh, or at most
    /// `lag` seconds before (`band_phases - 1` pictures, with half a picture to spare).
    pub(super) fn holds(&self, t: MediaTime, lag: f64) -> bool {
        !self.crept || t.secs_since(self.since) <= lag
    }
}

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
    fn a_run_that_crept_in_holds_a_weak_rise_only_just_after() {
        let lag = 3.5 * 0.04;
        let crept = Faint::new(t(1.0), None);
        assert!(crept.holds(t(1.12), lag), "within band_phases - 1 pictures");
        assert!(!crept.holds(t(1.16), lag), "later");
        let fresh = Faint::new(t(1.0), Some(t(0.96)));
        assert!(fresh.holds(t(1.6), lag) && fresh.onset == t(0.96));
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
