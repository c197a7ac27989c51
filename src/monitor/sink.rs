//! The sink thread: delivers every stream's events to the one sink, and emits the health
//! metrics and stall notices.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::health::StreamState;
use super::Shared;
use crate::detect::Events;
use crate::error::Error;
use crate::event::Event;
use crate::pipeline::sink_loop::{emit, flush};
use crate::sink::Sink;

/// Runs until every sender is gone; returns the sink's first error. After an error the
/// events are still drained (so no stream blocks) but not delivered.
pub(crate) fn run(
    mut sink: Box<dyn Sink>,
    rx: Receiver<Event>,
    shared: &Arc<Shared>,
) -> Option<Error> {
    let mut error: Option<Error> = None;
    let cfg = &shared.cfg;
    let interval =
        (cfg.health_interval_secs > 0.0).then(|| Duration::from_secs_f64(cfg.health_interval_secs));
    let mut next_metrics = interval.map(|i| Instant::now() + i);
    let mut next_stall_check = Instant::now() + Duration::from_secs(1);
    let deliver = |sink: &mut dyn Sink, ev: &Event, error: &mut Option<Error>| {
        if error.is_none() {
            if let Err(e) = emit(sink, ev) {
                log::error!("monitor: the sink failed: {e}; events are no longer delivered");
                *error = Some(e);
            }
        }
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(ev) => deliver(&mut *sink, &ev, &mut error),
            Err(RecvTimeoutError::Timeout) => {
                if error.is_none() {
                    if let Err(e) = flush(&mut *sink) {
                        error = Some(e);
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        let metrics_due = next_metrics.is_some_and(|t| now >= t);
        if metrics_due || now >= next_stall_check {
            next_stall_check = now + Duration::from_secs(1);
            if let (true, Some(i)) = (metrics_due, interval) {
                next_metrics = Some(now + i);
            }
            // The controller's notices are delivered once it let go of its lock: a sink may
            // ask the monitor for its capacity.
            let mut notices = Vec::new();
            super::control::tick(shared, now, &mut |ev| notices.push(ev));
            for ev in notices {
                deliver(&mut *sink, &ev, &mut error);
            }
            for s in shared.streams() {
                let mut out = Events::new(&s.id, "monitor");
                {
                    let mut cell = s.health();
                    let h = cell.snapshot(&s.id, now, cfg.stall_secs);
                    let at = cell.media;
                    let stalled = h.state == StreamState::Stalled;
                    if stalled && !cell.stall_announced {
                        cell.stall_announced = true;
                        out.notice(
                            "input_stalled",
                            format!("no data for {:.1} s", h.idle_secs),
                            at,
                        );
                    } else if !stalled && cell.stall_announced {
                        cell.stall_announced = false;
                        out.notice("input_resumed", "data flows again", at);
                    }
                    if metrics_due
                        && h.state != StreamState::Ended
                        && h.state != StreamState::Failed
                    {
                        out.metric("stream_fps", h.fps, at);
                        out.metric("stream_lag_secs", h.lag_secs, at);
                        out.metric("stream_frames_dropped", h.dropped as f64, at);
                        out.metric("stream_queued", h.queued as f64, at);
                        out.metric("stream_queued_bytes", h.queued_bytes as f64, at);
                    }
                }
                for ev in out.drain() {
                    deliver(&mut *sink, &ev, &mut error);
                }
            }
        }
    }
    if error.is_none() {
        if let Err(e) = flush(&mut *sink) {
            error = Some(e);
        }
    }
    error
}
