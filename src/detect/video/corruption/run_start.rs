//! Where an episode of content damage starts: the run of rising pictures it was confirmed in,
//! from where that run first showed faint, or where its rise began before that.
//!
//! The same start serves decoder damage that the picture showed first: a decoder may notice a
//! bit flip only some pictures after its wrong blocks began to spread (an HEVC flip in a
//! mandelbrot zoom of the shared corpus rose on both grids for 0.12 s, and faintly for
//! 0.08 s before, until the decoder's first damage flag). When decoder damage comes on
//! screen during a run of rising pictures (not yet confirmed), its interval starts where that
//! run began; in codecs whose every picture may be a reference (H.264, HEVC: arithmetic-coded
//! slices that a flipped bit desynchronises without an invalid code). An MPEG-2 decoder flags
//! lost or invalid data at once: a run of rising pictures before its flag is the content's
//! own (0.2 s before a packet drop of the real-content corpus).

use super::Corruption;
use crate::media::MediaTime;

impl Corruption {
    /// The start of content damage confirmed (or decoder damage come on screen) at `start`:
    /// the current run of rising pictures from its faint start, or where its rise began
    /// before that; or where the faint run that held `start` began (see `faint_run`). At most
    /// `merge_gap + min_duration` before `start`, never into the last interval.
    pub(super) fn run_start(&self, start: MediaTime) -> MediaTime {
        let w = self.weak_since.map(|w| match self.faint {
            Some((since, onset)) if since == w => onset,
            _ => w,
        });
        let w = w.into_iter().chain(self.faint_runs.covering(start)).min();
        w.map_or(start, |w| {
            let w = w.max(start.add_secs(-self.cfg.merge_gap - self.cfg.min_duration));
            self.last_end.map_or(w, |e| w.max(e)).min(start)
        })
    }
}
