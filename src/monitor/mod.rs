//! Many streams in one process: a [`Monitor`] runs any number of streams, added and removed
//! at runtime, on a fixed pool of worker threads, with all events going to one [`Sink`].
//!
//! * Each stream is a task (its decoder, or the queue its reader thread fills, plus its
//!   detectors run inline one item at a time) that the workers run in slices of at most
//!   [`slice_items`](MonitorConfig::slice_items) items or [`slice_ms`](MonitorConfig::slice_ms)
//!   milliseconds, then put back at the end of the queue: every stream gets its turn.
//! * A paced stream (a file played as if live) that is ahead of its timestamps waits in a timer
//!   heap, holding no thread. An input whose reads block (a URL, pushed bytes) gets one reader
//!   thread that decodes into a bounded queue and sleeps while the network is quiet.
//! * Threads: the workers, one timer thread, one sink thread, and one reader per blocking input
//!   ([`Monitor::threads`]). Memory per stream is bounded by its queue (reported in
//!   [`StreamHealth::max_in_flight`]).
//! * Detectors are isolated per stream as in [`Pipeline`](crate::Pipeline): a panic disables
//!   that detector on that stream only, and every defect start gets its end — when the input
//!   ends, when the stream is [removed](Monitor::remove), and at [shutdown](Monitor::shutdown).
//! * Each stream's items go through the same per-stream core as a [`Pipeline`](crate::Pipeline)'s
//!   (limits, discontinuities, detectors, thinning, snapshots, the stall watch, dropping by
//!   lag), so a [`StreamSpec`] offers what a [`PipelineBuilder`](crate::PipelineBuilder) does:
//!   [`thin_pictures`](StreamSpec::thin_pictures), [`snapshots`](StreamSpec::snapshots) (taken
//!   on the stream's worker) and [`stall_timeout`](StreamSpec::stall_timeout) (an
//!   `input_stall` defect, the task woken by the timer to notice it).
//! * Capacity: the monitor measures what each stream costs (CPU seconds of its decoding and
//!   detectors per second of media, on the threads that do the work) and what the machine
//!   gives it ([`MonitorConfig::cores`] × [`MonitorConfig::target_utilisation`], less what
//!   other processes take). [`Monitor::capacity`] tells the headroom and, per cost
//!   [profile](StreamSpec::profile), how many more streams fit; [`Monitor::try_add`] refuses
//!   a stream that would not fit, with the reason ([`Error::Capacity`]).
//! * Overload: when the load changes under it (harder content, a neighbour process), the
//!   monitor degrades the least important streams ([`StreamSpec::priority`]) by the
//!   [`DegradePolicy`] of [`MonitorConfig::degrade`] — cheaper decoding first, then handing
//!   streams back — and restores them when the headroom is back (off by default).
//! * Events carry the stream id in their `stream` field. The monitor adds its own notices
//!   (detector `monitor`): `stream_ended`, `stream_lagging`/`stream_caught_up`,
//!   `input_stalled`/`input_resumed`, `stream_degraded`/`stream_restored` (the level, the
//!   reason and the priority in the message), and every
//!   [`health_interval_secs`](MonitorConfig::health_interval_secs) the metrics `stream_fps`,
//!   `stream_lag_secs`, `stream_frames_dropped`, `stream_queued` and `stream_queued_bytes` per
//!   stream.
//!
//! ```
//! use avqc::monitor::{Monitor, StreamSpec, StreamState};
//! use avqc::{FrameSource, Media, MediaTime, PixelFormat, Registry, StreamInfo, VideoFrame};
//! use avqc::sink::Collect;
//!
//! let events = Collect::new();
//! let monitor = Monitor::builder().workers(2).sink(events.clone()).build()?;
//! for cam in ["cam1", "cam2"] {
//!     // 3 s of a still picture at 25 fps
//!     let frames = (0..75).map(|i| Media::Video(VideoFrame::filled(
//!         64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(i as f64 / 25.0), [120, 128, 128])
//!         .with_duration(Some(0.04))));
//!     let src = FrameSource::new(cam, vec![StreamInfo::video(0, "raw", 64, 36, None)], frames);
//!     monitor.add(StreamSpec::decoder(cam, src)
//!         .detectors(Registry::builtin().build_names(&["freeze"])?))?;
//! }
//! let health = monitor.finish()?; // waits for both inputs to end
//! assert!(health.iter().all(|h| h.state == StreamState::Ended && h.video_frames == 75));
//! let freezes = events.events().iter()
//!     .filter_map(|e| e.as_defect())
//!     .filter(|d| d.defect.as_str() == "video_freeze")
//!     .map(|d| d.stream.to_string())
//!     .collect::<std::collections::BTreeSet<_>>();
//! assert_eq!(freezes.len(), 2); // one per stream, tagged with its id
//! # Ok::<(), avqc::Error>(())
//! ```

mod assign;
mod capacity;
mod config;
mod control;
mod health;
mod load;
mod reader;
mod sched;
mod sink;
mod spec;
mod stream;

pub use assign::{rendezvous_score, Rendezvous};
pub use capacity::{Capacity, ProfileCapacity};
pub use config::MonitorConfig;
pub use control::DegradePolicy;
pub use health::{LastDefect, StreamHealth, StreamState};
pub use spec::StreamSpec;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::error::{Error, Result};

use crate::event::Event;

use crate::sink::Sink;
use stream::{Sched, Stream, Task, TaskEnv};

/// Builds a [`Monitor`].
#[derive(Default)]
pub struct MonitorBuilder {
    config: MonitorConfig,
    sink: Option<Box<dyn Sink>>,
}

impl MonitorBuilder {
    /// All settings at once (e.g. from a config file).
    pub fn config(mut self, config: MonitorConfig) -> Self {
        self.config = config;
        self
    }
    /// Worker threads (0 = one per core).
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = n;
        self
    }
    /// Seconds between health metrics (0 = none).
    pub fn health_interval(mut self, secs: f64) -> Self {
        self.config.health_interval_secs = secs;
        self
    }
    /// Where every stream's events go (required).
    pub fn sink(mut self, s: impl Sink + 'static) -> Self {
        self.sink = Some(Box::new(s));
        self
    }
    /// Checks the settings and starts the workers, the timer and the sink thread.
    pub fn build(self) -> Result<Monitor> {
        self.config.validate()?;
        let sink = self
            .sink
            .ok_or_else(|| Error::Pipeline("monitor: no sink".into()))?;
        Monitor::start(self.config, sink)
    }
}

/// State shared by the monitor's threads.
pub(crate) struct Shared {
    pub(crate) cfg: MonitorConfig,
    pub(crate) sched: Arc<Sched>,
    pub(crate) streams: Mutex<BTreeMap<String, Arc<Stream>>>,
    /// The capacity controller's state (locked before `streams`).
    pub(crate) cap: Mutex<control::CapState>,
}

impl Shared {
    fn streams(&self) -> Vec<Arc<Stream>> {
        let map = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        map.values().cloned().collect()
    }
}

/// Many streams, one process: see the [module docs](self).
pub struct Monitor {
    shared: Arc<Shared>,
    ev_tx: Option<Sender<Event>>,
    workers: Vec<JoinHandle<()>>,
    timer: Option<JoinHandle<()>>,
    sink: Option<JoinHandle<Option<Error>>>,
    readers: Mutex<Vec<JoinHandle<()>>>,
}

impl Monitor {
    /// A new builder.
    pub fn builder() -> MonitorBuilder {
        MonitorBuilder::default()
    }

    fn start(cfg: MonitorConfig, sink: Box<dyn Sink>) -> Result<Monitor> {
        let (run_tx, run_rx) = crossbeam_channel::unbounded::<Option<Arc<Stream>>>();
        let sched = Arc::new(Sched::new(run_tx));
        let n = cfg.worker_count();
        let shared = Arc::new(Shared {
            cap: Mutex::new(control::CapState::new(&cfg)),
            cfg,
            sched: sched.clone(),
            streams: Mutex::new(BTreeMap::new()),
        });
        let (ev_tx, ev_rx) = crossbeam_channel::bounded::<Event>(4096);
        let spawn_err = |what: &str, e: std::io::Error| {
            Error::Pipeline(format!("monitor: cannot start the {what} thread: {e}"))
        };
        let mut monitor = Monitor {
            shared: shared.clone(),
            ev_tx: Some(ev_tx),
            workers: Vec::with_capacity(n),
            timer: None,
            sink: None,
            readers: Mutex::new(Vec::new()),
        };
        // From here on a failure shuts down what was started (Drop).
        let guard = sched.thread_guard();
        let sh = shared.clone();
        monitor.sink = Some(
            std::thread::Builder::new()
                .name("avqc-sink".into())
                .spawn(move || {
                    let _guard = guard;
                    sink::run(sink, ev_rx, &sh)
                })
                .map_err(|e| spawn_err("sink", e))?,
        );
        let guard = sched.thread_guard();
        let s = sched.clone();
        monitor.timer = Some(
            std::thread::Builder::new()
                .name("avqc-timer".into())
                .spawn(move || {
                    let _guard = guard;
                    s.run_timer()
                })
                .map_err(|e| spawn_err("timer", e))?,
        );
        for i in 0..n {
            let guard = sched.thread_guard();
            let rx = run_rx.clone();
            let sh = shared.clone();
            let h = std::thread::Builder::new()
                .name(format!("avqc-worker-{i}"))
                .spawn(move || {
                    let _guard = guard;
                    while let Ok(Some(stream)) = rx.recv() {
                        sh.sched.begin(&stream);
                        let cpu0 = crate::cpu::thread_ns();
                        let after = stream.run_slice(&sh.cfg);
                        stream.load.add_cpu(cpu0, crate::cpu::thread_ns());
                        sh.sched.after(&stream, after);
                    }
                })
                .map_err(|e| spawn_err("worker", e))?;
            monitor.workers.push(h);
        }
        Ok(monitor)
    }

    /// Starts monitoring a stream. Errors: the id is taken (by a stream not yet
    /// [removed](Self::remove), even if ended), two detectors share a name, or a reader thread
    /// cannot start. Opening the input happens on the monitor's threads: a failure to open
    /// shows as the stream's `failed` state (and a `stream_ended` notice), not here.
    pub fn add(&self, spec: StreamSpec) -> Result<()> {
        let cap = self.shared.cap.lock().unwrap_or_else(|p| p.into_inner());
        let estimate =
            control::estimate(&cap, spec.opts.expected_cost, spec.opts.profile.as_deref());
        self.start_stream(spec, estimate)
    }

    /// Starts monitoring a stream if it fits: if the monitor's running streams plus this one
    /// need no more than its CPU budget (see [`capacity`](Self::capacity)) and
    /// [`MonitorConfig::max_streams`] is not reached; else an [`Error::Capacity`] that names
    /// the stream and why (`"needs 0.21 cores, 0.12 left"`). Otherwise as [`add`](Self::add).
    ///
    /// The new stream is counted at once at its estimate — its
    /// [`expected_cost`](StreamSpec::expected_cost), else its [profile](StreamSpec::profile)'s
    /// measured cost, else the mean cost of the measured streams — until its own cost is
    /// measured (a few seconds of media), so a burst of calls cannot overshoot. When nothing
    /// is known to estimate with, one stream is admitted alone and measured; meanwhile the
    /// others are refused with `transient: true` (retry in a few seconds).
    ///
    /// ```
    /// use avqc::monitor::{Monitor, MonitorConfig, StreamSpec};
    /// use avqc::{Error, FrameSource, StreamInfo};
    /// use avqc::sink::Collect;
    /// let config = MonitorConfig { cores: 1.0, max_streams: 2, ..MonitorConfig::default() };
    /// let monitor = Monitor::builder().config(config).sink(Collect::new()).build()?;
    /// let src = |id: &str| FrameSource::new(id, vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty());
    /// monitor.try_add(StreamSpec::decoder("a", src("a")).expected_cost(0.3))?;
    /// match monitor.try_add(StreamSpec::decoder("b", src("b")).expected_cost(0.6)) {
    ///     Err(Error::Capacity { stream, reason, .. }) => {
    ///         assert_eq!(stream, "b");
    ///         assert!(reason.starts_with("needs 0.60 cores"), "{reason}");
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn try_add(&self, spec: StreamSpec) -> Result<()> {
        let cap = self.shared.cap.lock().unwrap_or_else(|p| p.into_inner());
        let estimate =
            control::estimate(&cap, spec.opts.expected_cost, spec.opts.profile.as_deref());
        let load = control::load(&self.shared);
        match capacity::admit(
            cap.machine.budget(),
            load,
            estimate,
            self.shared.cfg.max_streams,
        ) {
            Ok(counted) => self.start_stream(spec, counted),
            Err(r) => Err(Error::Capacity {
                stream: spec.id,
                reason: r.to_string(),
                transient: r == capacity::Refusal::Measuring,
            }),
        }
    }

    /// What the monitor may still take: its CPU budget, what its streams need, the headroom,
    /// and per cost profile what a stream costs and how many more fit. Costs are measured
    /// online (CPU time of each stream's decoding and detectors per second of media, on the
    /// threads that do the work, smoothed over a few seconds) and refreshed about once a
    /// second.
    ///
    /// ```
    /// use avqc::monitor::{Monitor, MonitorConfig};
    /// use avqc::sink::Collect;
    /// let config = MonitorConfig { cores: 2.0, measure_other_load: false, ..MonitorConfig::default() };
    /// let monitor = Monitor::builder().config(config).sink(Collect::new()).build()?;
    /// let c = monitor.capacity();
    /// assert!((c.budget_cores - 1.6).abs() < 1e-9); // 2 cores at the default 80 %
    /// assert_eq!((c.used_cores, c.streams), (0.0, 0));
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn capacity(&self) -> Capacity {
        let cap = self.shared.cap.lock().unwrap_or_else(|p| p.into_inner());
        control::capacity(&self.shared, &cap)
    }

    /// Starts `spec`, counted at `estimate` cores until measured (the capacity lock is held).
    fn start_stream(&self, spec: StreamSpec, estimate: Option<f64>) -> Result<()> {
        let StreamSpec {
            id,
            input,
            detectors,
            opts,
        } = spec;
        if let Some(cfg) = &opts.snapshots {
            cfg.validate()?;
        }
        let mut names = std::collections::HashSet::new();
        for d in &detectors {
            if !names.insert(d.name().to_string()) {
                return Err(Error::Pipeline(format!(
                    "stream `{id}`: two detectors are named `{}`; give one a different \"name\"",
                    d.name()
                )));
            }
        }
        let ev_tx = self
            .ev_tx
            .clone()
            .ok_or_else(|| Error::Pipeline("monitor is shut down".into()))?;
        let mut map = self
            .shared
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if map.contains_key(&id) {
            return Err(Error::Pipeline(format!(
                "stream `{id}` is already monitored; remove it first"
            )));
        }
        let cfg = &self.shared.cfg;
        let reads_ahead = !matches!(input, spec::Input::Inline(_));
        #[cfg(feature = "ffmpeg")]
        let reads_ahead = reads_ahead && !matches!(input, spec::Input::Open { reader: false, .. });
        let max_in_flight = if reads_ahead {
            cfg.queue_capacity + 2 // the queue, the item held by the task, the one being read
        } else {
            1
        };
        let cell = capacity::CostCell::new(opts.profile.clone(), opts.priority, estimate);
        let stream = Arc::new(Stream::new(id.as_str().into(), max_in_flight, cell));
        let env = TaskEnv {
            cfg,
            sched: &self.shared.sched,
            ev_tx,
        };
        let (task, reader) = Task::start(&stream, input, detectors, opts, env)?;
        *stream.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        map.insert(id, stream.clone());
        drop(map);
        if let Some(h) = reader {
            let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            readers.retain(|h| !h.is_finished());
            readers.push(h);
        }
        self.shared.sched.wake(&stream);
        Ok(())
    }

    /// Stops a stream and forgets it: its detectors are finished (every open defect gets its
    /// end event) before this returns the stream's last health. `None` if no such stream.
    ///
    /// Do not call it from inside the monitor's sink (the sink must keep draining for the
    /// stream to finish).
    pub fn remove(&self, id: &str) -> Option<StreamHealth> {
        let stream = {
            let map = self
                .shared
                .streams
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            map.get(id)?.clone()
        };
        stream.stop.stop();
        self.shared.sched.wake(&stream);
        while !stream.wait_done(Duration::from_secs(1)) {
            self.shared.sched.wake(&stream);
        }
        let mut map = self
            .shared
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.remove(id);
        let h = stream.health();
        Some(h.snapshot(id, Instant::now(), self.shared.cfg.stall_secs))
    }

    /// The health of every stream (ended ones too, until removed), ordered by id.
    pub fn health(&self) -> Vec<StreamHealth> {
        let now = Instant::now();
        let stall = self.shared.cfg.stall_secs;
        self.shared
            .streams()
            .iter()
            .map(|s| s.health().snapshot(&s.id, now, stall))
            .collect()
    }

    /// The health of one stream.
    pub fn stream_health(&self, id: &str) -> Option<StreamHealth> {
        let map = self
            .shared
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let s = map.get(id)?;
        let h = s.health();
        Some(h.snapshot(id, Instant::now(), self.shared.cfg.stall_secs))
    }

    /// Threads the monitor runs now: workers, timer, sink, and a reader per blocking input.
    pub fn threads(&self) -> usize {
        self.shared.sched.threads.load(Ordering::Acquire)
    }

    /// The most threads the monitor ran at once.
    pub fn threads_peak(&self) -> usize {
        self.shared.sched.threads_peak.load(Ordering::Acquire)
    }

    /// The worker threads in the pool.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Waits until every stream has ended on its own, at most `timeout`; true if they all did.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        for s in self.shared.streams() {
            let left = deadline.saturating_duration_since(Instant::now());
            if !s.wait_done(left) {
                return false;
            }
        }
        true
    }

    /// Waits for every stream to end on its own (finite inputs), then shuts down; returns the
    /// final health of every stream, or the sink's error.
    pub fn finish(mut self) -> Result<Vec<StreamHealth>> {
        for s in self.shared.streams() {
            while !s.wait_done(Duration::from_secs(1)) {}
        }
        self.close()
    }

    /// Stops every stream now (each open defect gets its end), flushes the sink and stops the
    /// threads; returns the final health of every stream, or the sink's error (events after a
    /// sink failure were not delivered).
    pub fn shutdown(mut self) -> Result<Vec<StreamHealth>> {
        self.close()
    }

    fn close(&mut self) -> Result<Vec<StreamHealth>> {
        let Some(ev_tx) = self.ev_tx.take() else {
            return Ok(Vec::new());
        };
        let streams = self.shared.streams();
        for s in &streams {
            s.stop.stop();
            self.shared.sched.wake(s);
        }
        for s in &streams {
            while !s.wait_done(Duration::from_secs(1)) {
                self.shared.sched.wake(s);
            }
        }
        let health = self.health();
        self.shared.sched.close(self.workers.len());
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
        if let Some(h) = self.timer.take() {
            let _ = h.join();
        }
        drop(ev_tx); // with every task gone, the sink thread sees the end
        let sink_error = self.sink.take().and_then(|h| h.join().ok().flatten());
        // Reader threads stop at the stream's stop signal; one stuck in a read that ignores
        // it is left behind after a grace period rather than hanging the host.
        let readers = std::mem::take(&mut *self.readers.lock().unwrap_or_else(|p| p.into_inner()));
        let deadline = Instant::now() + Duration::from_secs(2);
        for h in readers {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            } else {
                log::warn!("a reader thread did not stop within 2 s; left running");
            }
        }
        match sink_error {
            Some(e) => Err(e),
            None => Ok(health),
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("workers", &self.workers.len())
            .field("threads", &self.threads())
            .finish_non_exhaustive()
    }
}
