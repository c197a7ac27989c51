//! What the threads of a `Pipeline` run: the decoder thread, a detector thread, the snapshot
//! thread, and what they all share.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use super::core::{Halt, LagRule, StreamCore};
use super::group::DetectorGroup;
use super::item::Item;
use super::lane::Queued;
use super::slot::panic_message;
use super::stall::Heartbeat;
use super::tally::DecodeStats;
use super::tracks::TrackTable;
use super::DetectorReport;
use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::limits::Limits;
use crate::media::{Media, MediaTime};
use crate::snapshot::worker::{Request, SnapshotStats, SnapshotWorker};
use crate::stop::StopSignal;

/// What every thread of a run shares.
pub(super) struct Shared {
    pub(super) input: Arc<str>,
    pub(super) stop: StopSignal,
    pub(super) heartbeat: Arc<Heartbeat>,
    pub(super) stall_timeout: Option<std::time::Duration>,
    pub(super) limits: Limits,
    /// A detector that holds too many defects open stops the run with this error.
    pub(super) limit: Mutex<Option<Error>>,
    /// The languages of the input's streams.
    pub(super) tracks: Arc<TrackTable>,
}

impl Shared {
    /// A detector exceeded [`Limits::max_open_defects`]: the first such error ends the run.
    pub(super) fn raise(&self, e: Error) {
        let mut error = self.limit.lock().unwrap_or_else(|p| p.into_inner());
        if error.is_none() {
            *error = Some(e);
        }
        self.stop.stop();
    }
}

pub(super) type Decoded = (Result<()>, DecodeStats, Vec<(usize, DetectorReport)>);

/// The `frames_dropped` metric: emitted when the count changed, at most once a second of media.
#[derive(Default)]
struct DropMetric {
    reported: u64,
    at: Option<MediaTime>,
}

impl DropMetric {
    fn update(&mut self, core: &mut StreamCore, t: MediaTime) {
        let dropped = core.dropped();
        if dropped != self.reported && self.at.is_none_or(|a| t.secs_since(a) >= 1.0) {
            core.metric("frames_dropped", dropped as f64, t);
            self.reported = dropped;
            self.at = Some(t);
        }
    }

    /// The count at the end, if not reported yet.
    fn last(&self, core: &mut StreamCore) {
        let dropped = core.dropped();
        if dropped != self.reported {
            let end = core.stats().end.unwrap_or(MediaTime::ZERO);
            core.metric("frames_dropped", dropped as f64, end);
        }
    }
}

/// Items a decoder may still give after a stop, and for how long: the pictures it already
/// holds (an FFmpeg decoder flushes a few, then ends); the bounds are for one that ignores
/// the stop. An error after the stop ends the input quietly. The monitor's streams are read
/// within the same bounds ([`AfterStop`]).
const AFTER_STOP_ITEMS: usize = 256;
/// How long a decoder is still read after a stop (see [`AFTER_STOP_ITEMS`]).
const AFTER_STOP_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// What is still read from a decoder after a stop, counted from when the stop was seen:
/// [`AFTER_STOP_ITEMS`] items within [`AFTER_STOP_WAIT`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct AfterStop {
    until: Instant,
    left: usize,
}

impl AfterStop {
    /// The whole allowance, from now.
    pub(crate) fn new() -> Self {
        AfterStop {
            until: Instant::now() + AFTER_STOP_WAIT,
            left: AFTER_STOP_ITEMS,
        }
    }

    /// Until when the decoder is still read.
    pub(crate) fn until(&self) -> Instant {
        self.until
    }

    /// True while items and time are left.
    pub(crate) fn open(&self) -> bool {
        self.left > 0 && Instant::now() < self.until
    }

    /// Takes one more item: false (and nothing taken) when the allowance is spent.
    pub(crate) fn take(&mut self) -> bool {
        let open = self.open();
        if open {
            self.left -= 1;
        }
        open
    }
}

/// The decoder thread: reads the input and drives the core until the end, an error or the stop.
pub(super) fn run_decoder(
    mut decoder: Box<dyn Decoder>,
    mut core: StreamCore,
    shared: &Shared,
) -> Decoded {
    let mut declared = core.check_streams(decoder.streams());
    let mut drops = DropMetric::default();
    let stop = &shared.stop;
    // After a stop: what the decoder is still read for.
    let mut after_stop: Option<AfterStop> = None;
    let result = loop {
        if let Err(e) = std::mem::replace(&mut declared, Ok(())) {
            break Err(e);
        }
        if stop.is_stopped() {
            core.set_stopped(true);
            if !after_stop.get_or_insert_with(AfterStop::new).take() {
                break Ok(());
            }
        }
        // A panicking decoder ends the input like a failed one, so the detectors (inline ones
        // too) still close what they opened.
        let next = catch_unwind(AssertUnwindSafe(|| decoder.next())).unwrap_or_else(|p| {
            Err(Error::Read {
                input: shared.input.to_string(),
                message: format!("decoder panicked: {}", panic_message(&*p)),
            })
        });
        let media = match next {
            Ok(Some(m)) => m,
            Ok(None) => {
                // A decoder interrupted by the stop signal (e.g. while pacing) ends quietly.
                core.set_stopped(stop.is_stopped());
                break Ok(());
            }
            Err(_) if after_stop.is_some() => break Ok(()),
            Err(e) => break Err(e),
        };
        let t = media.time();
        match core.feed(media, Instant::now()) {
            Ok(()) => {}
            Err(Halt::Input(_)) if after_stop.is_some() => break Ok(()),
            Err(Halt::Input(e)) => break Err(e),
            Err(Halt::Detector(e)) => shared.raise(e),
        }
        drops.update(&mut core, t);
    };
    drops.last(&mut core);
    let end = core.finish();
    if let Some(e) = end.limit {
        shared.raise(e);
    }
    (result, core.into_stats(), end.reports)
}

/// One detector thread: feeds its group until `Finish` (and keeps draining after a panic, so
/// the decoder never blocks on a dead detector); items that waited too long are dropped by
/// the lag rule.
pub(super) fn run_detectors(
    mut group: DetectorGroup,
    rx: Receiver<Queued>,
    lag: LagRule,
    lag_lost: &AtomicU64,
    ev_tx: &Sender<Event>,
    shared: &Shared,
) -> Vec<(usize, DetectorReport)> {
    let mut emit = |ev: Event| {
        let _ = ev_tx.send(ev);
    };
    let mut end = MediaTime::ZERO;
    for (queued, item) in rx.iter() {
        match &item {
            Item::Media(m) if lag.drops_queued(m, queued) => {
                lag_lost.fetch_add(group.lost(m), Ordering::Relaxed);
                continue;
            }
            Item::Finish(t) => {
                end = *t;
                break;
            }
            _ => {}
        }
        if let Some(e) = group.feed(&item, &mut emit) {
            shared.raise(e);
        }
    }
    let (reports, limit) = group.finish(end, &mut emit);
    if let Some(e) = limit {
        shared.raise(e);
    }
    reports
}

/// The snapshot thread: keeps pictures, serves the sink side's requests.
pub(super) fn run_snapshots(
    mut w: SnapshotWorker,
    rx: Receiver<Queued>,
    req_rx: Receiver<Request>,
) -> SnapshotStats {
    let (never_media, never_req) = (crossbeam_channel::never(), crossbeam_channel::never());
    let (mut media_open, mut req_open) = (true, true);
    // Until both the pictures (ended by `Finish`) and the requests (ended when the sink side
    // is done) are over: a request may wait for a picture, and the end serves the rest.
    while media_open || req_open {
        let media = if media_open { &rx } else { &never_media };
        let requests = if req_open { &req_rx } else { &never_req };
        crossbeam_channel::select! {
            recv(media) -> msg => match msg {
                Ok((_, Item::Media(Media::Video(f)))) => w.frame(&f),
                Ok((_, Item::Finish(_))) | Err(_) => {
                    w.finish();
                    media_open = false;
                }
                Ok(_) => {}
            },
            recv(requests) -> r => match r {
                Ok(r) => w.request(r),
                Err(_) => req_open = false,
            },
        }
    }
    w.stats
}
