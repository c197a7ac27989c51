//! A pipeline's sink side, on the caller's thread: delivers the events of every thread to the
//! sink, names the snapshot of each defect start, and watches the input for stalls (the
//! decoder thread cannot: it may be blocked in a read).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::slot::panic_message;
use super::stall::{Heartbeat, StallWatch};
use crate::error::{Error, Result};
use crate::event::{Event, Phase};
use crate::sink::Sink;
use crate::snapshot::worker::Request;
use crate::snapshot::SnapshotPlanner;
use crate::stop::StopSignal;

/// What the sink side counted.
pub(super) struct SinkCounts {
    /// The sink's first error (events after it were not delivered).
    pub(super) error: Option<Error>,
    pub(super) events: u64,
    pub(super) defects: u64,
    /// Defects confirmed per track: (stream index, count).
    pub(super) track_defects: Vec<(usize, u64)>,
    pub(super) stalls: u64,
}

/// What the sink side watches: the input's heartbeat, for stalls of `timeout`.
pub(super) struct Watched<'a> {
    pub(super) input: &'a Arc<str>,
    pub(super) heartbeat: &'a Heartbeat,
    pub(super) timeout: Option<Duration>,
    /// Raised when the sink fails, so the threads stop.
    pub(super) stop: &'a StopSignal,
}

/// The sink loop's state.
pub(super) struct SinkSide<'a> {
    sink: &'a mut dyn Sink,
    shared: Watched<'a>,
    counts: SinkCounts,
    planner: Option<SnapshotPlanner>,
    requests: Option<Sender<Request>>,
    stall: Option<StallWatch>,
}

impl<'a> SinkSide<'a> {
    pub(super) fn new(
        sink: &'a mut dyn Sink,
        shared: Watched<'a>,
        planner: Option<SnapshotPlanner>,
        requests: Sender<Request>,
    ) -> Self {
        SinkSide {
            sink,
            stall: (shared.timeout).map(|t| StallWatch::new(t, "pipeline")),
            shared,
            counts: SinkCounts {
                error: None,
                events: 0,
                defects: 0,
                track_defects: Vec::new(),
                stalls: 0,
            },
            planner,
            requests: Some(requests),
        }
    }

    /// Delivers events until every sender (decoder and detector threads) is gone.
    pub(super) fn run(&mut self, rx: &Receiver<Event>) {
        loop {
            self.check_stall();
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(ev) => self.deliver(ev),
                Err(RecvTimeoutError::Timeout) => {
                    if self.counts.error.is_none() {
                        if let Err(e) = flush(self.sink) {
                            self.failed(e, true);
                        }
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    /// An event from the threads: counted, given its snapshot, handed to the sink. After a
    /// sink error events are only drained, so no thread blocks.
    fn deliver(&mut self, mut ev: Event) {
        if self.counts.error.is_some() {
            return;
        }
        if ev.as_defect().is_some_and(|d| d.phase == Phase::Start) {
            self.counts.defects += 1;
            if let Some(t) = ev.track() {
                super::tally::count(&mut self.counts.track_defects, t);
            }
            if let Some(r) = self.planner.as_mut().and_then(|p| p.annotate(&mut ev)) {
                if let Some(tx) = &self.requests {
                    let _ = tx.send(r);
                }
            }
        }
        self.send(&ev, true);
    }

    /// An `input_stall` start or end when the input just stalled or resumed.
    fn check_stall(&mut self) {
        let shared = &self.shared;
        let Some(ev) = self
            .stall
            .as_mut()
            .and_then(|w| w.check(shared.heartbeat, shared.input))
        else {
            return;
        };
        if self.counts.error.is_none() {
            self.counts.defects +=
                u64::from(ev.as_defect().is_some_and(|d| d.phase == Phase::Start));
            self.send(&ev, true);
        }
    }

    fn send(&mut self, ev: &Event, stop_on_error: bool) {
        match emit(self.sink, ev) {
            Ok(()) => self.counts.events += 1,
            Err(e) => self.failed(e, stop_on_error),
        }
    }

    fn failed(&mut self, e: Error, stop: bool) {
        self.counts.error = Some(e);
        if stop {
            self.shared.stop.stop();
        }
    }

    /// The input ended or was stopped: a stall still open ends here; no more snapshot requests.
    pub(super) fn finish(&mut self) {
        let shared = &self.shared;
        if let Some(ev) = self
            .stall
            .as_mut()
            .and_then(|w| w.finish(shared.heartbeat, shared.input))
        {
            if self.counts.error.is_none() {
                self.send(&ev, false);
            }
        }
        self.requests = None;
    }

    /// Flushes the sink once every thread is done; what was counted.
    pub(super) fn close(mut self) -> SinkCounts {
        if self.counts.error.is_none() {
            if let Err(e) = flush(self.sink) {
                self.counts.error = Some(e);
            }
        }
        self.counts.stalls = self.stall.map_or(0, |w| w.stalls);
        self.counts
    }
}

/// Hands an event to the sink; a panicking sink is a failed sink, not a crashed run (the
/// detector and decoder threads must still be drained and joined).
pub(crate) fn emit(sink: &mut dyn Sink, ev: &Event) -> Result<()> {
    catch_unwind(AssertUnwindSafe(|| sink.emit(ev))).unwrap_or_else(|p| Err(sink_panic(&*p)))
}

/// Flushes the sink, a panic being a failure as in [`emit`].
pub(crate) fn flush(sink: &mut dyn Sink) -> Result<()> {
    catch_unwind(AssertUnwindSafe(|| sink.flush())).unwrap_or_else(|p| Err(sink_panic(&*p)))
}

fn sink_panic(p: &(dyn Any + Send)) -> Error {
    Error::Sink {
        sink: "sink".into(),
        source: std::io::Error::other(format!("the sink panicked: {}", panic_message(p))),
    }
}
