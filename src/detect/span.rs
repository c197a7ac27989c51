use crate::media::MediaTime;

/// A change of a [`SpanTracker`]'s state, to be written as a defect event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanChange {
    /// A defect was confirmed; it started at `start`.
    Started {
        /// First defective instant.
        start: MediaTime,
    },
    /// A confirmed defect cleared.
    Ended {
        /// First defective instant.
        start: MediaTime,
        /// First instant after the defect.
        end: MediaTime,
    },
}

#[derive(Clone, Copy, Debug)]
enum State {
    Idle,
    /// Defective since `start`, not yet for the minimum duration.
    Candidate {
        start: MediaTime,
        until: MediaTime,
    },
    /// Confirmed; defective until `until`; `clear_since` is the start of the current
    /// non-defective stretch, if any.
    Open {
        start: MediaTime,
        until: MediaTime,
        clear_since: Option<MediaTime>,
    },
}

/// Turns a per-frame (or per-window) yes/no into defect intervals, shared by every built-in
/// detector:
///
/// - **minimum duration**: a defect is confirmed (a `Started` change, with the start set back
///   to its first defective instant) once it has lasted `min_duration` seconds;
/// - **hysteresis**: a confirmed defect ends only after `clear_for` seconds without it (a single
///   good frame inside a long freeze does not split it); the end is the first good instant;
/// - **close**: at the end of the stream or a discontinuity an open defect ends where it was
///   last seen.
///
/// ```
/// use avqc::{MediaTime, SpanChange, SpanTracker};
/// let t = |s| MediaTime::from_secs_f64(s);
/// let mut tr = SpanTracker::new(0.5, 0.0);
/// assert_eq!(tr.observe(true, t(1.0), t(1.04)), None);
/// assert_eq!(tr.observe(true, t(1.5), t(1.54)), Some(SpanChange::Started { start: t(1.0) }));
/// assert_eq!(tr.observe(false, t(2.0), t(2.04)), Some(SpanChange::Ended { start: t(1.0), end: t(2.0) }));
/// ```
#[derive(Clone, Debug)]
pub struct SpanTracker {
    min_duration: f64,
    clear_for: f64,
    state: State,
}

impl SpanTracker {
    /// A tracker confirming after `min_duration` seconds and clearing after `clear_for` seconds.
    pub fn new(min_duration: f64, clear_for: f64) -> Self {
        SpanTracker {
            min_duration: min_duration.max(0.0),
            clear_for: clear_for.max(0.0),
            state: State::Idle,
        }
    }

    /// Records that `[t, until)` is defective (`active`) or not.
    pub fn observe(&mut self, active: bool, t: MediaTime, until: MediaTime) -> Option<SpanChange> {
        match (self.state, active) {
            (State::Idle, false) => None,
            (State::Idle, true) => {
                self.state = State::Candidate { start: t, until };
                self.confirm()
            }
            (State::Candidate { start, .. }, true) => {
                self.state = State::Candidate {
                    start,
                    until: until.max(t),
                };
                self.confirm()
            }
            (State::Candidate { .. }, false) => {
                self.state = State::Idle;
                None
            }
            (
                State::Open {
                    start, until: u, ..
                },
                true,
            ) => {
                self.state = State::Open {
                    start,
                    until: u.max(until),
                    clear_since: None,
                };
                None
            }
            (
                State::Open {
                    start,
                    until: u,
                    clear_since,
                },
                false,
            ) => {
                let since = clear_since.unwrap_or(t);
                if until.secs_since(since) >= self.clear_for - 1e-9 || self.clear_for == 0.0 {
                    self.state = State::Idle;
                    Some(SpanChange::Ended { start, end: since })
                } else {
                    self.state = State::Open {
                        start,
                        until: u,
                        clear_since: Some(since),
                    };
                    None
                }
            }
        }
    }

    fn confirm(&mut self) -> Option<SpanChange> {
        if let State::Candidate { start, until } = self.state {
            if until.secs_since(start) >= self.min_duration - 1e-9 {
                self.state = State::Open {
                    start,
                    until,
                    clear_since: None,
                };
                return Some(SpanChange::Started { start });
            }
        }
        None
    }

    /// Closes an open defect (end of stream, discontinuity): it ends at the first good instant
    /// seen, or where it was last seen defective. An unconfirmed candidate is dropped.
    pub fn close(&mut self) -> Option<SpanChange> {
        let out = match self.state {
            State::Open {
                start,
                until,
                clear_since,
            } => Some(SpanChange::Ended {
                start,
                end: clear_since.unwrap_or(until),
            }),
            _ => None,
        };
        self.state = State::Idle;
        out
    }

    /// True while a confirmed defect is open.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// While an open defect is clear: since when (the end it would have if it ended now).
    pub fn clear_since(&self) -> Option<MediaTime> {
        match self.state {
            State::Open { clear_since, .. } => clear_since,
            _ => None,
        }
    }

    /// Moves the start of the current candidate or open defect back to `to`, for a detector
    /// that learns, on confirming a defect, that it began before it was first seen. A later
    /// `to`, or no defect, changes nothing.
    ///
    /// ```
    /// use avqc::{MediaTime, SpanChange, SpanTracker};
    /// let t = |s| MediaTime::from_secs_f64(s);
    /// let mut tr = SpanTracker::new(0.5, 0.0);
    /// tr.observe(true, t(1.0), t(1.5));
    /// tr.backdate(t(0.8));
    /// assert_eq!(tr.observe(false, t(2.0), t(2.04)), Some(SpanChange::Ended { start: t(0.8), end: t(2.0) }));
    /// ```
    pub fn backdate(&mut self, to: MediaTime) {
        match &mut self.state {
            State::Candidate { start, .. } | State::Open { start, .. } if to < *start => {
                *start = to
            }
            _ => {}
        }
    }

    /// Start of the current candidate or open defect.
    pub fn current_start(&self) -> Option<MediaTime> {
        match self.state {
            State::Idle => None,
            State::Candidate { start, .. } | State::Open { start, .. } => Some(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(s: f64) -> MediaTime {
        MediaTime::from_secs_f64(s)
    }

    #[test]
    fn short_defects_are_not_confirmed() {
        let mut tr = SpanTracker::new(0.5, 0.0);
        assert_eq!(tr.observe(true, t(0.0), t(0.2)), None);
        assert_eq!(tr.observe(false, t(0.2), t(0.4)), None);
        assert_eq!(tr.observe(true, t(0.4), t(0.6)), None);
        assert_eq!(tr.close(), None);
    }

    #[test]
    fn hysteresis_bridges_short_clear_stretches() {
        let mut tr = SpanTracker::new(0.0, 0.1);
        assert!(matches!(
            tr.observe(true, t(0.0), t(0.04)),
            Some(SpanChange::Started { .. })
        ));
        assert_eq!(tr.observe(false, t(0.04), t(0.08)), None);
        assert_eq!(tr.observe(true, t(0.08), t(0.12)), None);
        assert_eq!(tr.observe(false, t(0.12), t(0.16)), None);
        assert_eq!(tr.observe(false, t(0.16), t(0.20)), None);
        assert_eq!(
            tr.observe(false, t(0.20), t(0.24)),
            Some(SpanChange::Ended {
                start: t(0.0),
                end: t(0.12)
            })
        );
    }

    #[test]
    fn close_ends_at_last_defective_instant() {
        let mut tr = SpanTracker::new(0.0, 1.0);
        tr.observe(true, t(5.0), t(5.04));
        tr.observe(true, t(5.04), t(5.08));
        assert_eq!(
            tr.close(),
            Some(SpanChange::Ended {
                start: t(5.0),
                end: t(5.08)
            })
        );
        assert!(!tr.is_open());
    }
}
