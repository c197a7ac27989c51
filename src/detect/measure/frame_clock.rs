//! Frame timing shared by the video detectors.

use crate::media::{MediaTime, VideoFrame};

/// Tracks frame timing: each frame's display interval `[t, until)`, from its duration or, when
/// the decoder gives none, from the distance between frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FrameClock {
    last: Option<MediaTime>,
    step: Option<f64>,
}

/// Display time assumed for a frame when nothing better is known (25 fps).
const DEFAULT_FRAME_SECS: f64 = 0.04;

impl FrameClock {
    /// The end of `frame`'s display interval.
    pub(crate) fn until(&mut self, frame: &VideoFrame) -> MediaTime {
        let t = frame.time();
        if let Some(last) = self.last {
            let d = t.secs_since(last);
            if d > 0.0 && d < 1.0 {
                self.step = Some(d);
            }
        }
        self.last = Some(t);
        let d = frame
            .duration()
            .filter(|d| *d > 0.0 && d.is_finite())
            .or(self.step)
            .unwrap_or(DEFAULT_FRAME_SECS);
        t.add_secs(d)
    }

    /// Forgets the previous frame (after a discontinuity).
    pub(crate) fn reset(&mut self) {
        self.last = None;
    }
}
