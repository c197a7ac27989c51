//! Where an episode of content damage starts: the run of rising pictures it was confirmed in,
//! from where that run first showed faint, or where its rise began before that.
//!
//! The same start serves decoder damage that the picture showed first: a decoder may notice a
//! bit flip only some pictures after its wrong blocks began to spread (an HEVC flip in a
//! mandelbrot zoom of the shared corpus rose on both grids for 0.12 s, and faintly for
//! 0.08 s before, until the decoder's first damage flag). When decoder damage comes on
//! screen during a run of rising pictures (not yet confirmed), its interval starts where that
//! run began; in codecs whose every picture may be a reference (H.264, HEVC: arithmetic-coded
//! slices that a flipped bit desynchronises without an invalid code). So does a run of
//! pictures whose sharp grid steps rose (see `steps`), not yet confirmed: at 1280×720 an HEVC
//! flip's wrong blocks stepped on the grid from 6.72 s while the blockiness index of the whole
//! picture stayed under the weak rise, and the decoder flagged them from 6.92 s (the damage
//! began at 6.62 s; at 640×360 the grid steps confirmed it from 6.72 s unflagged). An MPEG-2
//! decoder flags lost or invalid data at once: a run of rising pictures before its flag is
//! the content's own (0.2 s before a packet drop of the real-content corpus).

use super::faint_run::Faint;
use super::Corruption;
use crate::media::MediaTime;

impl Corruption {
    /// The start of content damage confirmed (or decoder damage come on screen) at `start`:
    /// the current run of rising pictures from its faint start, or where its rise began
    /// before that; or where the faint run that held `start` began (see `faint_run`). At most
    /// `merge_gap + min_duration` before `start`, never into the last interval.
    pub(super) fn run_start(&self, start: MediaTime) -> MediaTime {
        let w = self.weak_since.map(|w| match self.faint {
            Some(f) if f.since == w => f.onset,
            _ => w,
        });
        let w = w.into_iter().chain(self.faint_runs.covering(start)).min();
        w.map_or(start, |w| self.bounded(w, start))
    }

    /// `w`, an earlier start of what began at `start`, at most `merge_gap + min_duration`
    /// before `start` and never into the last interval.
    pub(super) fn bounded(&self, w: MediaTime, start: MediaTime) -> MediaTime {
        let w = w.max(start.add_secs(-self.cfg.merge_gap - self.cfg.min_duration));
        self.last_end.map_or(w, |e| w.max(e)).min(start)
    }

    /// Follows the runs of rising pictures over the picture at `t` (`dt` seconds long): the
    /// faint run it may start or go on with (`rises.0`: it rose faintly), where a weak rise
    /// (`rises.1`) starts, and the runs `faint_run` remembers. `counts`: the picture may count
    /// (not a refresh, not held); `pause`: a held picture among fewer than `band_phases` in a
    /// row, which changes none of them; `wmin`: the weak rise's smallest step (logarithm).
    /// A weak rise on a faint run that crept in long before starts afresh (see `faint_run`).
    pub(super) fn follow_runs(
        &mut self,
        t: MediaTime,
        dt: f64,
        rises: (bool, bool),
        counts: bool,
        pause: bool,
        wmin: f32,
    ) {
        let (faint, weak) = rises;
        if pause {
            self.faint_runs.push(self.faint.map(|f| f.onset), t);
            return;
        }
        self.faint = if faint && counts {
            let fresh = || self.onset.fresh(t, wmin * 0.5, self.last_end);
            self.faint.or_else(|| Some(Faint::new(t, fresh())))
        } else {
            None
        };
        let lag = (self.cfg.band_phases as f64 - 0.5) * dt;
        if weak && self.weak_since.is_none() && self.faint.is_some_and(|f| !f.holds(t, lag)) {
            let o = self.onset.begin(t, wmin * 0.5, self.last_end);
            self.faint = Some(Faint::new(o, Some(o)));
        }
        self.faint_runs.push(self.faint.map(|f| f.onset), t);
        self.weak_since = if weak && counts {
            self.weak_since.or(self.faint.map(|f| f.since)).or(Some(t))
        } else {
            None
        };
    }
}
