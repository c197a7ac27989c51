//! A sink on its own thread behind a bounded queue, for sinks that may be slow or fail (a
//! webhook, a remote database): the run never waits for it and never ends because of it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use serde::{Deserialize, Serialize};

use super::queue_stats::{QueueCounts, QueueStats};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::sink::Sink;

/// Settings of a [`QueuedSink`] (a serde struct; unknown fields are errors).
///
/// ```
/// use avqc::sink::QueueConfig;
/// let c: QueueConfig = serde_json::from_str(r#"{"capacity": 64, "max_retries": null}"#).unwrap();
/// assert_eq!(c.capacity, 64);
/// assert_eq!(c.max_retries, None); // retry until delivered (or finished)
/// assert!(c.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Events the queue holds; an event that finds it full is dropped (and counted). Default 1024.
    pub capacity: usize,
    /// Times a failed event is tried again before it is given up (and counted as failed);
    /// `None`: until it is delivered or the sink finishes. Default 8.
    pub max_retries: Option<u32>,
    /// Wait before the first retry, in seconds; it doubles at each retry. Default 0.25.
    pub backoff_initial_secs: f64,
    /// The longest wait between retries, in seconds. Default 30.
    pub backoff_max_secs: f64,
    /// When the sink finishes (dropped, or [`QueuedSink::finish`]), how long it may still try
    /// to deliver what is queued, in seconds; what is left then is counted as unsent.
    /// Default 5.
    pub finish_timeout_secs: f64,
    /// If true, once an event is lost (failed, dropped), `emit` and `flush` return an error,
    /// so the run ends as with a failing sink. Default false: delivery problems are counted
    /// and logged, the analysis goes on.
    pub fail_run: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 1024,
            max_retries: Some(8),
            backoff_initial_secs: 0.25,
            backoff_max_secs: 30.0,
            finish_timeout_secs: 5.0,
            fail_run: false,
        }
    }
}

impl QueueConfig {
    /// Checks the ranges; the error names the field.
    ///
    /// ```
    /// use avqc::sink::QueueConfig;
    /// let c = QueueConfig { capacity: 0, ..QueueConfig::default() };
    /// assert!(c.validate().unwrap_err().to_string().contains("capacity"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, why: &str| {
            Err(Error::Config {
                what: "queued sink".into(),
                message: format!("`{field}` {why}"),
            })
        };
        if self.capacity == 0 || self.capacity > 1 << 24 {
            return bad("capacity", "must be between 1 and 16777216");
        }
        for (field, v) in [
            ("backoff_initial_secs", self.backoff_initial_secs),
            ("backoff_max_secs", self.backoff_max_secs),
            ("finish_timeout_secs", self.finish_timeout_secs),
        ] {
            if !(v.is_finite() && (0.0..=86_400.0).contains(&v)) {
                return bad(field, "must be a number of seconds from 0 to 86400");
            }
        }
        Ok(())
    }

    /// The wait before retry number `n` (from 1).
    fn backoff(&self, n: u32) -> Duration {
        let secs = self.backoff_initial_secs * 2f64.powi(n.saturating_sub(1).min(60) as i32);
        Duration::from_secs_f64(secs.min(self.backoff_max_secs))
    }
}

/// Runs another sink on its own thread behind a bounded queue: `emit` only queues the event
/// and returns at once, whatever the inner sink does.
///
/// The thread hands each event to the inner sink; an error (or a panic) is retried with
/// exponential backoff ([`QueueConfig`]); while it waits the queue fills, and an event that
/// finds the queue full is dropped. Nothing of this ends the run unless
/// [`fail_run`](QueueConfig::fail_run) asks for it. The counts (delivered, retried, failed,
/// dropped, unsent) are read from [`stats`](Self::stats) while it runs and after.
///
/// When the sink is dropped (a pipeline drops its sink at the end of the run) or
/// [`finish`](Self::finish)ed, the thread goes on delivering what is queued for at most
/// [`finish_timeout_secs`](QueueConfig::finish_timeout_secs), flushes the inner sink, and logs
/// what it could not deliver. A call into the inner sink that is under way then is not
/// interrupted: bound it with the inner sink's own timeout (as the webhook's `timeout_secs`).
///
/// ```
/// use avqc::sink::{Collect, QueueConfig, QueuedSink};
/// use avqc::{event::MetricEvent, Event, MediaTime, Sink};
/// let out = Collect::new();
/// let mut sink = QueuedSink::new(out.clone(), QueueConfig::default())?;
/// let stats = sink.stats();
/// for i in 0..10 {
///     sink.emit(&Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(),
///         name: "x".into(), value: i as f64, at: MediaTime::ZERO, track: None, language: None }))?;
/// }
/// let counts = sink.finish();
/// assert_eq!(counts.delivered, 10);
/// assert_eq!(counts.lost(), 0);
/// assert_eq!(out.events().len(), 10);
/// assert_eq!(stats.counts(), counts);
/// # Ok::<(), avqc::Error>(())
/// ```
pub struct QueuedSink {
    name: String,
    tx: Option<Sender<Event>>,
    /// Carries the finish deadline to the thread.
    stop: Option<Sender<Instant>>,
    thread: Option<JoinHandle<()>>,
    stats: QueueStats,
    cfg: QueueConfig,
}

impl QueuedSink {
    /// Starts the thread that drains the queue into `inner`.
    pub fn new(inner: impl Sink + 'static, cfg: QueueConfig) -> Result<Self> {
        cfg.validate()?;
        let name = format!("queued {}", inner.name());
        let (tx, rx) = crossbeam_channel::bounded(cfg.capacity);
        let (stop, stop_rx) = crossbeam_channel::bounded(1);
        let stats = QueueStats::default();
        let mut worker = Worker {
            inner: Box::new(inner),
            cfg: cfg.clone(),
            stats: stats.clone(),
            stop: stop_rx,
            deadline: None,
            unflushed: false,
            failing: false,
        };
        let thread = std::thread::Builder::new()
            .name("avqc-queued-sink".into())
            .spawn(move || worker.run(&rx))
            .map_err(|e| Error::Sink {
                sink: name.clone(),
                source: e,
            })?;
        Ok(QueuedSink {
            name,
            tx: Some(tx),
            stop: Some(stop),
            thread: Some(thread),
            stats,
            cfg,
        })
    }

    /// The counts, shared with the sink's thread (keep a clone to read them after the run;
    /// the type's example shows one).
    pub fn stats(&self) -> QueueStats {
        self.stats.clone()
    }

    /// Stops taking events, delivers what is queued within
    /// [`finish_timeout_secs`](QueueConfig::finish_timeout_secs), and returns the final counts.
    pub fn finish(mut self) -> QueueCounts {
        self.shut_down();
        self.stats.counts()
    }

    fn shut_down(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs_f64(self.cfg.finish_timeout_secs);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(deadline);
        }
        self.tx = None; // the thread sees the end of the queue once it is drained
        let _ = thread.join();
        let c = self.stats.counts();
        if c.lost() > 0 {
            log::warn!(
                "{}: {} events delivered, {} not: {} failed after retries, {} dropped (queue full), {} unsent at the end",
                self.name,
                c.delivered,
                c.lost(),
                c.failed,
                c.dropped,
                c.unsent
            );
        }
    }

    fn lost_error(&self) -> Result<()> {
        let c = self.stats.counts();
        if self.cfg.fail_run && c.failed + c.dropped > 0 {
            return Err(Error::Sink {
                sink: self.name.clone(),
                source: std::io::Error::other(format!(
                    "{} events failed, {} dropped",
                    c.failed, c.dropped
                )),
            });
        }
        Ok(())
    }
}

impl Sink for QueuedSink {
    fn name(&self) -> &str {
        &self.name
    }

    /// Queues the event without waiting; a full queue drops it (counted).
    fn emit(&mut self, event: &Event) -> Result<()> {
        self.lost_error()?;
        let c = self.stats.counters();
        let Some(tx) = &self.tx else {
            QueueStats::bump(&c.dropped);
            return Ok(());
        };
        c.queued.fetch_add(1, Ordering::AcqRel);
        if let Err(e) = tx.try_send(event.clone()) {
            c.queued.fetch_sub(1, Ordering::AcqRel);
            let dropped = c.dropped.fetch_add(1, Ordering::AcqRel) + 1;
            if dropped == 1 || dropped.is_multiple_of(1000) {
                let why = match e {
                    TrySendError::Full(_) => "the queue is full",
                    TrySendError::Disconnected(_) => "its thread is gone",
                };
                log::warn!("{}: event dropped, {why} ({dropped} so far)", self.name);
            }
        }
        Ok(())
    }

    /// Does not wait for the queue (the thread flushes the inner sink when it idles); an error
    /// only with [`fail_run`](QueueConfig::fail_run).
    fn flush(&mut self) -> Result<()> {
        self.lost_error()
    }
}

impl Drop for QueuedSink {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// The sink's thread.
struct Worker {
    inner: Box<dyn Sink>,
    cfg: QueueConfig,
    stats: QueueStats,
    stop: Receiver<Instant>,
    deadline: Option<Instant>,
    /// Events delivered since the inner sink's last flush.
    unflushed: bool,
    /// Whether the last attempt failed (to log a failure streak once).
    failing: bool,
}

impl Worker {
    fn run(&mut self, rx: &Receiver<Event>) {
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(ev) => {
                    self.deliver(&ev);
                    self.stats.counters().queued.fetch_sub(1, Ordering::AcqRel);
                }
                Err(RecvTimeoutError::Timeout) => self.flush_inner(),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.flush_inner();
        self.stats
            .counters()
            .finished
            .store(true, Ordering::Release);
    }

    fn past_deadline(&mut self) -> bool {
        if self.deadline.is_none() {
            self.deadline = self.stop.try_recv().ok();
        }
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Waits `d`, or less when the finish deadline comes first; false once it has passed.
    fn pause(&mut self, d: Duration) -> bool {
        let until = Instant::now() + d;
        match self.deadline {
            None => {
                if let Ok(deadline) = self.stop.recv_deadline(until) {
                    self.deadline = Some(deadline);
                    std::thread::sleep(
                        until
                            .min(deadline)
                            .saturating_duration_since(Instant::now()),
                    );
                }
            }
            Some(deadline) => std::thread::sleep(
                until
                    .min(deadline)
                    .saturating_duration_since(Instant::now()),
            ),
        }
        !self.past_deadline()
    }

    fn deliver(&mut self, ev: &Event) {
        let stats = self.stats.clone();
        let c = stats.counters();
        let mut retries = 0u32;
        loop {
            if self.past_deadline() {
                QueueStats::bump(&c.unsent);
                return;
            }
            let inner = &mut self.inner;
            let result = catch_unwind(AssertUnwindSafe(|| inner.emit(ev))).unwrap_or_else(|_| {
                Err(Error::Sink {
                    sink: inner.name().to_string(),
                    source: std::io::Error::other("the sink panicked"),
                })
            });
            match result {
                Ok(()) => {
                    if self.failing {
                        log::info!("{}: delivering again", self.inner.name());
                        self.failing = false;
                    }
                    QueueStats::bump(&c.delivered);
                    self.unflushed = true;
                    return;
                }
                Err(e) => {
                    if !self.failing {
                        log::warn!("{}: delivery failed, retrying: {e}", self.inner.name());
                        self.failing = true;
                    }
                    if self.cfg.max_retries.is_some_and(|m| retries >= m) {
                        log::warn!(
                            "{}: an event given up after {retries} retries: {e}",
                            self.inner.name()
                        );
                        QueueStats::bump(&c.failed);
                        return;
                    }
                    retries += 1;
                    QueueStats::bump(&c.retried);
                    if !self.pause(self.cfg.backoff(retries)) {
                        QueueStats::bump(&c.unsent);
                        return;
                    }
                }
            }
        }
    }

    fn flush_inner(&mut self) {
        if !self.unflushed {
            return;
        }
        self.unflushed = false;
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!("{}: flush failed: {e}", self.inner.name()),
            Err(_) => log::warn!("{}: flush panicked", self.inner.name()),
        }
    }
}

#[cfg(test)]
#[path = "queued_tests.rs"]
mod tests;
