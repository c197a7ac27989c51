//! Relative dropouts for the `silence` detector: a steady sound drops abruptly far below its own
//! level, stays down for a short while, and comes back to about the same level.
//!
//! Fed one level per analysis window (the loudest channel's mean square, the same windows
//! `silence` judges), it keeps the last `context` seconds of levels in a ring (sized once) and
//! looks for:
//!
//! 1. a window at least `drop_db` below the mean of the context (the reference level), while
//!    the context is steady (no 4-window block in it more than `steady_db` below the reference:
//!    a staccato or speech with pauses is not steady) and one of the last `edge` windows was
//!    still within `near_db` of the reference (an abrupt edge, not a fade);
//! 2. a gap of such windows lasting from `min` to `max` seconds;
//! 3. sound back afterwards, as abruptly as it went: one of the first `edge` windows after the
//!    gap within `near_db` of the reference, and the mean of the next `after` seconds too (a
//!    synthetic voice that stops short at the end of a phrase falls as abruptly, but its pause
//!    lingers under the reference before the next phrase comes in).
//!
//! A gap that `silence` reports itself (a dropout or a silence below its absolute threshold,
//! marked with [`Relative::cover`]) is not reported again.

use super::ramp::RampIn;
use crate::media::MediaTime;

/// The detector's settings, in windows and power ratios.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RelativeParams {
    /// Gap windows are at most `drop` × the reference (power ratio).
    pub drop: f64,
    /// Edge and recovery windows are at least `near` × the reference.
    pub near: f64,
    /// Context blocks are at least `steady` × the reference.
    pub steady: f64,
    pub context: usize,
    pub edge: usize,
    pub min: usize,
    pub max: usize,
    pub after: usize,
    /// Windows of a fade (see [`RampIn`]).
    pub fade: usize,
}

/// A relative dropout found: `[start, end)`, the reference level and the gap's loudest window
/// (mean square).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub start: MediaTime,
    pub end: MediaTime,
    pub reference: f64,
    pub peak: f64,
    /// The sound came back through a fade-in.
    pub faded_in: bool,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Idle,
    Gap {
        start: MediaTime,
        reference: f64,
        windows: usize,
        silent: bool,
        peak: f64,
    },
    After {
        start: MediaTime,
        end: MediaTime,
        reference: f64,
        silent: bool,
        peak: f64,
        windows: usize,
        sum: f64,
        /// One of the first `edge` windows after the gap was within `near` of the reference.
        returned: bool,
        /// The return, judged as a fade-in.
        ramp_in: RampIn,
    },
}

/// Block of windows over which the context's steadiness is judged (10 ms at 2.5 ms windows).
const BLOCK: usize = 4;

pub(crate) struct Relative {
    p: RelativeParams,
    ring: Vec<f64>,
    pos: usize,
    filled: usize,
    sum: f64,
    state: State,
}

impl Relative {
    pub(crate) fn new(p: RelativeParams) -> Self {
        Relative {
            ring: vec![0.0; p.context.max(BLOCK)],
            p,
            pos: 0,
            filled: 0,
            sum: 0.0,
            state: State::Idle,
        }
    }

    /// Forgets the context (discontinuity, format change).
    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.filled = 0;
        self.sum = 0.0;
        self.state = State::Idle;
    }

    fn push(&mut self, ms: f64) {
        let n = self.ring.len();
        if self.filled == n {
            self.sum -= self.ring[self.pos];
        } else {
            self.filled += 1;
        }
        self.ring[self.pos] = ms;
        self.sum += ms;
        self.pos = (self.pos + 1) % n;
        // Re-sum now and then: the running sum drifts with rounding.
        if self.pos == 0 {
            self.sum = self.ring[..self.filled].iter().sum();
        }
    }

    /// The `k`-th most recent window (0 = the last one).
    fn recent(&self, k: usize) -> f64 {
        let n = self.ring.len();
        self.ring[(self.pos + n - 1 - k) % n]
    }

    /// Reference level (mean square) of a full context, if there is one.
    fn reference(&self) -> Option<f64> {
        (self.filled == self.ring.len()).then(|| self.sum / self.filled as f64)
    }

    fn steady(&self, reference: f64) -> bool {
        let n = self.ring.len();
        (0..n / BLOCK).all(|b| {
            let s: f64 = (0..BLOCK).map(|k| self.recent(b * BLOCK + k)).sum();
            s / BLOCK as f64 >= reference * self.p.steady
        })
    }

    fn abrupt(&self, reference: f64) -> bool {
        (0..self.p.edge.min(self.ring.len())).any(|k| self.recent(k) >= reference * self.p.near)
    }

    /// `silence` reported a gap of its own now: the gap being judged, if any, is its.
    pub(crate) fn cover(&mut self) {
        match &mut self.state {
            State::Idle => {}
            State::Gap { silent, .. } | State::After { silent, .. } => *silent = true,
        }
    }

    /// One window starting at `t0`, of level `ms`.
    pub(crate) fn window(&mut self, ms: f64, t0: MediaTime) -> Option<Found> {
        if !ms.is_finite() {
            // NaN or infinite samples: no level to compare; start afresh.
            self.reset();
            return None;
        }
        match self.state {
            State::Idle => {
                if let Some(r) = self.reference() {
                    if r > 0.0 && ms <= r * self.p.drop && self.abrupt(r) && self.steady(r) {
                        self.state = State::Gap {
                            start: t0,
                            reference: r,
                            windows: 1,
                            silent: false,
                            peak: ms,
                        };
                        return None;
                    }
                }
                self.push(ms);
                None
            }
            State::Gap {
                start,
                reference,
                windows,
                silent: was_silent,
                peak,
            } => {
                if ms <= reference * self.p.drop {
                    if windows + 1 > self.p.max {
                        // Too long for a dropout: a new context is needed.
                        self.reset();
                    } else {
                        self.state = State::Gap {
                            start,
                            reference,
                            windows: windows + 1,
                            silent: was_silent,
                            peak: peak.max(ms),
                        };
                    }
                    return None;
                }
                if windows < self.p.min {
                    self.state = State::Idle;
                    self.push(ms);
                    return None;
                }
                self.state = State::After {
                    start,
                    end: t0,
                    reference,
                    silent: was_silent,
                    peak,
                    windows: 0,
                    sum: 0.0,
                    returned: false,
                    ramp_in: RampIn::new(self.p.fade),
                };
                self.after(ms)
            }
            State::After { .. } => self.after(ms),
        }
    }

    fn after(&mut self, ms: f64) -> Option<Found> {
        let State::After {
            start,
            end,
            reference,
            silent,
            peak,
            windows,
            sum,
            returned,
            mut ramp_in,
        } = self.state
        else {
            return None;
        };
        self.push(ms);
        ramp_in.push(ms);
        let returned = returned || (windows < self.p.edge && ms >= reference * self.p.near);
        let (windows, sum) = (windows + 1, sum + ms);
        if windows < self.p.after {
            self.state = State::After {
                start,
                end,
                reference,
                silent,
                peak,
                windows,
                sum,
                returned,
                ramp_in,
            };
            return None;
        }
        self.state = State::Idle;
        let mean = sum / windows as f64;
        let back = returned && mean >= reference * self.p.near && mean <= reference / self.p.near;
        (back && !silent).then_some(Found {
            start,
            end,
            reference,
            peak,
            faded_in: ramp_in.faded_in(),
        })
    }

    /// Whether the windows now are those of a gap (not yet the sound after it).
    pub(crate) fn in_gap(&self) -> bool {
        matches!(self.state, State::Gap { .. })
    }

    /// Start of a gap being judged, if any.
    pub(crate) fn pending_start(&self) -> Option<MediaTime> {
        match self.state {
            State::Idle => None,
            State::Gap { start, .. } | State::After { start, .. } => Some(start),
        }
    }
}
