//! What a [`QueuedSink`](super::QueuedSink) counts, readable from any thread while it runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;

/// The counts of a [`QueuedSink`](super::QueuedSink) at one moment.
///
/// Every event handed to the sink ends up in exactly one of `delivered`, `failed`, `dropped`
/// and `unsent`, or is still `queued` (waiting or being delivered).
///
/// ```
/// use avqc::sink::QueueStats;
/// let c = QueueStats::default().counts();
/// assert_eq!(c.delivered + c.failed + c.dropped + c.unsent + c.queued, 0);
/// assert!(!c.finished);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueueCounts {
    /// Events the inner sink accepted.
    pub delivered: u64,
    /// Attempts that failed and were tried again (one event may be retried many times).
    pub retried: u64,
    /// Events given up on after the last retry.
    pub failed: u64,
    /// Events not queued because the queue was full.
    pub dropped: u64,
    /// Events still queued when the sink finished and its time to flush ran out.
    pub unsent: u64,
    /// Events in the queue or being delivered now.
    pub queued: u64,
    /// True once the sink finished (its thread is gone): the counts are final.
    pub finished: bool,
}

impl QueueCounts {
    /// Events that will never be delivered: failed, dropped and unsent.
    ///
    /// ```
    /// assert_eq!(avqc::sink::QueueCounts::default().lost(), 0);
    /// ```
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped + self.unsent
    }
}

/// A handle on the counts of a [`QueuedSink`](super::QueuedSink) (clones share them), from
/// [`QueuedSink::stats`](super::QueuedSink::stats); the
/// [`Metrics`](crate::metrics::Metrics) registry exports them with
/// [`watch_queue`](crate::metrics::Metrics::watch_queue).
///
/// ```
/// use avqc::sink::{Collect, QueueConfig, QueuedSink};
/// let sink = QueuedSink::new(Collect::new(), QueueConfig::default()).unwrap();
/// let stats = sink.stats();
/// drop(sink); // flushes and stops its thread
/// assert!(stats.counts().finished);
/// ```
#[derive(Clone, Debug, Default)]
pub struct QueueStats(Arc<Counters>);

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) delivered: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) unsent: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) finished: AtomicBool,
}

impl QueueStats {
    /// The counts now.
    pub fn counts(&self) -> QueueCounts {
        let c = &self.0;
        let get = |a: &AtomicU64| a.load(Ordering::Acquire);
        QueueCounts {
            delivered: get(&c.delivered),
            retried: get(&c.retried),
            failed: get(&c.failed),
            dropped: get(&c.dropped),
            unsent: get(&c.unsent),
            queued: get(&c.queued),
            finished: c.finished.load(Ordering::Acquire),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.0
    }

    /// Adds one to a counter.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::AcqRel);
    }
}
