//! The transport analyser's findings placed on the decoded timeline and released in step
//! with it as [`NoticeKind::Transport`] notices.

use std::collections::VecDeque;
use std::sync::Arc;

use super::output::Output;
use super::tap::{self, Tap};
use crate::media::{DecoderNotice, MediaTime, NoticeKind};

/// The 90 kHz PTS domain wraps at 2^33.
const WRAP: i64 = 1 << 33;
/// Splice times placed on the timeline up to this far (seconds) from the stream's clock.
const CUE_AHEAD: f64 = 3600.0;

/// The tap the reader feeds, and the findings drained from it that wait for their time.
pub(super) struct Findings {
    tap: Tap,
    /// The latest packet's raw 90 kHz timestamp (modulo 2^33) and its media time: the
    /// reference that places transport findings on the timeline.
    reference: Option<(i64, MediaTime)>,
    /// Transport notices waiting for the decoded timeline to reach their time (libavformat
    /// reads ahead of the pictures, by seconds while probing).
    held: VecDeque<DecoderNotice>,
    /// Transport findings the analyser had to drop, as last reported.
    overflow: u64,
}

impl Findings {
    pub(super) fn new(tap: Tap) -> Self {
        Findings {
            tap,
            reference: None,
            held: VecDeque::new(),
            overflow: 0,
        }
    }

    /// A packet with a 90 kHz timestamp `raw` was placed at `time`.
    pub(super) fn set_reference(&mut self, raw: i64, time: MediaTime) {
        self.reference = Some((raw.rem_euclid(WRAP), time));
    }

    /// Turns the analyser's findings into notices, and queues on `out` those the decoded
    /// timeline has reached (all of them when `all`: the end of the input). `name` names the
    /// input in the log.
    pub(super) fn release(&mut self, name: &str, all: bool, out: &mut Output) {
        let tap = Arc::clone(&self.tap);
        {
            let mut a = tap::lock(&tap);
            if a.overflowed() > self.overflow {
                self.overflow = a.overflowed();
                log::warn!(
                    "{}: {} transport findings dropped (more than 8192 between two packets)",
                    name,
                    self.overflow
                );
            }
            for f in a.drain() {
                let t = self.time(f.pts, out.last_time());
                let kind = NoticeKind::Transport {
                    error: f.error,
                    pid: f.pid,
                    phase: f.phase,
                };
                self.held.push_back(DecoderNotice::new(t, None, kind));
            }
            for c in a.drain_cues() {
                let t = self.time(c.pts, out.last_time());
                let kind = match c.cue {
                    Ok(cue) => {
                        let splice_at = cue.splice_pts.and_then(|p| self.place(p, CUE_AHEAD));
                        NoticeKind::Cue {
                            cue: Box::new(cue),
                            splice_at,
                        }
                    }
                    Err(message) => NoticeKind::CueError {
                        pid: c.pid,
                        message,
                    },
                };
                self.held.push_back(DecoderNotice::new(t, None, kind));
            }
        }
        while let Some(n) = self.held.front() {
            if !all && n.time > out.last_time() {
                break;
            }
            if let Some(n) = self.held.pop_front() {
                out.queued_notice(n);
            }
        }
    }

    /// The media time of a 90 kHz PTS-domain instant, from the latest packet's timestamp (the
    /// decoder's own bridged timeline); `latest` (the latest media time) when there is no
    /// reference.
    fn time(&self, pts: Option<u64>, latest: MediaTime) -> MediaTime {
        pts.and_then(|p| self.place(p, 60.0)).unwrap_or(latest)
    }

    /// The media time of 90 kHz instant `p`, when the reference is at most `limit` seconds
    /// from it.
    fn place(&self, p: u64, limit: f64) -> Option<MediaTime> {
        let (raw, t) = self.reference?;
        let mut d = (p as i64 - raw).rem_euclid(WRAP);
        if d >= WRAP / 2 {
            d -= WRAP;
        }
        let secs = d as f64 / 90_000.0;
        (secs.abs() <= limit).then(|| t.add_secs(secs).max(MediaTime::ZERO))
    }
}
