//! A level dropout of the `silence` detector whose silence ended: reported once the sound is
//! back at the programme's level (a codec smears the return as it smears the cut), and, when the
//! sound fell into it through a fade, only if the return is no fade-in (a junction).

use serde_json::json;

use super::ramp::RampIn;
use super::{Silence, BACK};
use crate::detect::{Events, SpanChange};
use crate::media::MediaTime;

/// A level dropout's silence that ended with the sound not back yet.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rising {
    pub(super) start: MediaTime,
    /// End of the silence: the first window over the threshold.
    pub(super) end: MediaTime,
    pub(super) peak: f64,
    /// Windows since the silence ended.
    pub(super) windows: usize,
    /// The sound fell into the silence through a fade: its return is judged too (a
    /// junction's fade-in is no dropout's return); `None` after an abrupt fall.
    pub(super) ramp_in: Option<RampIn>,
}

impl Silence {
    /// A level dropout whose silence ended: reported once a window is back over [`BACK`] of
    /// the programme's level, within `relative_edge` of the silence's end (the codec's smear
    /// of the sound's return); forgotten if the sound stays lower (a quiet gap's floor
    /// flickering under the threshold: the gap is judged as a whole, a relative dropout).
    ///
    /// A silence the sound fell into through a fade is judged on its return too, once
    /// `2 × fade` windows after it are in: a fade-in as well is a junction between two
    /// programmes, not reported.
    pub(super) fn rise(&mut self, ms: f64, t0: MediaTime, out: &mut Events) {
        let Some(r) = &mut self.rising else {
            return;
        };
        if let Some(ramp_in) = &mut r.ramp_in {
            if let Some(faded_in) = ramp_in.push(ms) {
                if faded_in {
                    self.rising = None;
                } else {
                    self.report_rising(t0, out);
                }
                return;
            }
            if r.windows >= self.relative_edge {
                // back in time (judged below), now waiting for the verdict on the return
                return;
            }
        }
        if self.level.is_some_and(|l| ms >= l * BACK) {
            if r.ramp_in.is_some() {
                r.windows = self.relative_edge;
                return;
            }
            self.report_rising(t0, out);
            return;
        }
        r.windows += 1;
        if r.windows >= self.relative_edge {
            self.rising = None;
        }
    }

    /// Reports the level dropout whose silence ended (the sound is back).
    fn report_rising(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(r) = self.rising.take() {
            let mut d = self.details(SpanChange::Started { start: r.start }, r.peak);
            d.insert("source".into(), json!("level"));
            self.dropout(r.start, r.end, at, d, out);
        }
    }

    /// A silence (or the end) before the return of a faded level dropout was judged: the
    /// dropout is reported if its sound was back, forgotten otherwise.
    pub(super) fn settle_rising(&mut self, out: &mut Events) {
        let back = self
            .rising
            .is_some_and(|r| r.ramp_in.is_some() && r.windows >= self.relative_edge);
        if back {
            let at = self.clock.time(self.win_start);
            self.report_rising(at, out);
        }
        self.rising = None;
    }
}
