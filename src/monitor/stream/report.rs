//! A task's report: its counts copied into the stream's health record, and the lag notices.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Source, Stream, Task};
use crate::media::MediaTime;
use crate::monitor::health::{LastDefect, StreamState};
use crate::monitor::MonitorConfig;

impl Task {
    /// Copies the counts into the health record; announces lag crossing its threshold.
    pub(super) fn report(&mut self, stream: &Stream, cfg: &MonitorConfig, progressed: bool) {
        let lagging = self.lag > cfg.lag_warn_secs;
        if lagging != self.lagging {
            self.lagging = lagging;
            let (name, msg) = if lagging {
                (
                    "stream_lagging",
                    format!("analysis is {:.2} s behind real time", self.lag),
                )
            } else {
                ("stream_caught_up", "analysis is back on time".to_string())
            };
            let at = self.core.stats().end.unwrap_or(MediaTime::ZERO);
            self.core.notice(name, msg, at);
        }
        let queued = match &self.source {
            Source::Queue(rx) => rx.len(),
            _ => 0,
        } + usize::from(self.pending.is_some());
        let now = Instant::now();
        let mut h = stream.health();
        if progressed {
            h.last_item = now;
            if h.state == StreamState::Connecting {
                h.state = StreamState::Running;
            }
        }
        let stats = self.core.stats();
        h.video = stats.video;
        h.audio = stats.audio;
        h.decode_errors = stats.decode_errors + stats.corrupt_packets;
        // in place: no allocation once every track was seen
        h.track_frames.clone_from(&stats.frames);
        h.track_defects.clear();
        h.track_defects.extend_from_slice(self.core.track_defects());
        if let Some(e) = stats.end {
            h.media = e;
        }
        h.dropped = self.core.lag_dropped() + self.queue.dropped.load(Ordering::Relaxed);
        h.lag = self.lag;
        h.max_lag = self.max_lag;
        h.lagging = self.lagging;
        h.queued = queued;
        h.queued_bytes = self.queue.bytes.load(Ordering::Relaxed)
            + self
                .pending
                .as_ref()
                .map_or(0, |(_, m)| m.byte_len() as u64);
        h.panicked = self.core.panicked();
        if let Some((defect, start)) = self.core.last_start() {
            let start = start.as_secs_f64();
            let same = h
                .last_defect
                .as_ref()
                .is_some_and(|d| d.defect == defect.as_str() && d.start == start);
            if !same {
                h.last_defect = Some(LastDefect {
                    defect: defect.as_str().to_string(),
                    start,
                });
            }
        }
        h.tick_fps(now);
    }
}
