//! One stream's task: its decoder (inline) or the queue its reader thread fills, and the
//! stream's [core](crate::pipeline::core) (detectors, snapshots, stall watch, drop-by-lag),
//! run one slice at a time on a worker.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::capacity::CostCell;
use super::health::{HealthCell, StreamState};
use super::load::{self, StreamLoad, REDUCED, REDUCED_THIN, SHED};
use super::reader::{Fed, QueueCounts, Reader, ReaderLink, ReaderSource};
use super::sched::{After, Schedulable, Scheduler, WakeState};
use super::spec::{Input, StreamOptions};
use super::MonitorConfig;
use crate::decode::Decoder;
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::media::{Media, MediaTime, Needs};
use crate::pipeline::core::{picture_needs, Halt, LagRule, StreamCore};
use crate::pipeline::group::{DetectorGroup, Order};
use crate::pipeline::slot::panic_message;
use crate::pipeline::thread_work::AfterStop;
use crate::pipeline::tracks::TrackTable;
use crate::pipeline::Ending;
use crate::stop::StopSignal;

mod report;

/// The monitor's scheduler, running streams.
pub(crate) type Sched = Scheduler<Stream>;

/// A stream as the scheduler, the monitor and the health reporter see it.
pub(crate) struct Stream {
    pub(crate) id: Arc<str>,
    pub(crate) wake: WakeState,
    pub(crate) stop: StopSignal,
    pub(crate) health: Mutex<HealthCell>,
    pub(crate) task: Mutex<Option<Task>>,
    /// The languages of its input's streams, once it is open.
    pub(crate) tracks: Arc<TrackTable>,
    /// Its cost and degradation level.
    pub(crate) load: StreamLoad,
    done: Mutex<bool>,
    done_cv: Condvar,
}

impl Schedulable for Stream {
    fn wake_state(&self) -> &WakeState {
        &self.wake
    }
}

impl Stream {
    pub(crate) fn new(id: Arc<str>, max_in_flight: usize, cell: CostCell) -> Self {
        let tracks = Arc::new(TrackTable::default());
        let mut health = HealthCell::new(max_in_flight, &tracks);
        health.load.priority = cell.priority;
        health.load.cost = cell.estimate;
        health.load.profile.clone_from(&cell.profile);
        Stream {
            load: StreamLoad::new(cell),
            id,
            wake: WakeState::default(),
            stop: StopSignal::new(),
            health: Mutex::new(health),
            task: Mutex::new(None),
            tracks,
            done: Mutex::new(false),
            done_cv: Condvar::new(),
        }
    }

    pub(crate) fn health(&self) -> std::sync::MutexGuard<'_, HealthCell> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until the task finished, at most `timeout`; true if it did.
    pub(crate) fn wait_done(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            done = self
                .done_cv
                .wait_timeout(done, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    fn mark_done(&self) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.done_cv.notify_all();
    }

    /// Runs one slice of the task on the calling worker.
    pub(crate) fn run_slice(self: &Arc<Self>, cfg: &MonitorConfig) -> After {
        let mut guard = self.task.lock().unwrap_or_else(|p| p.into_inner());
        let Some(task) = guard.as_mut() else {
            // Finished, or not installed yet: its reader thread can wake it before `add`
            // stores the task (`add` wakes it again then), and must not end it.
            let done = *self.done.lock().unwrap_or_else(|p| p.into_inner());
            return if done { After::Done } else { After::Wait };
        };
        let after = task.slice(self, cfg);
        if matches!(after, After::Done) {
            *guard = None; // drops the decoder (or the queue, which ends the reader thread)
            drop(guard);
            self.mark_done();
        }
        after
    }
}

/// A reader thread's line to its stream.
struct Link {
    stream: Arc<Stream>,
    sched: Arc<Sched>,
}

impl ReaderLink for Link {
    fn opened(&self) {
        let mut h = self.stream.health();
        if h.state == StreamState::Connecting {
            h.state = StreamState::Running;
        }
    }

    fn wake(&self) {
        self.sched.wake(&self.stream);
    }
}

/// Where a task gets its items.
enum Source {
    Inline(Box<dyn Decoder>),
    #[cfg(feature = "ffmpeg")]
    Open {
        target: String,
        options: crate::decode::DecoderOptions,
    },
    Queue(Receiver<Fed>),
    Gone,
}

/// The stream's own state: decoder or queue, pacing, lag, and its core.
pub(crate) struct Task {
    source: Source,
    core: StreamCore,
    /// What the detectors need from the pictures (handed to the decoder once it is open).
    needs: Needs,
    /// What they need when the analysis is reduced.
    reduced_needs: Needs,
    /// The degradation level applied to the decoder and the detectors.
    applied: u8,
    /// The stream's own thinning.
    thin: usize,
    /// An item held until it is due (paced) — at most one.
    pending: Option<(Instant, Media)>,
    paced: bool,
    /// Wall instant and media seconds the pacing is anchored to.
    anchor: Option<(Instant, f64)>,
    /// What the reader thread counts (items it dropped, bytes queued).
    queue: QueueCounts,
    lag: f64,
    max_lag: f64,
    lagging: bool,
    checked_streams: bool,
    /// The stall-watch wake-up already asked of the timer (at most one at a time).
    stall_timer: Option<Instant>,
    /// After a stop: what the input is still read for (what the decoder held at the stop is
    /// analysed, as in a pipeline).
    after_stop: Option<AfterStop>,
}

/// The parts of a new task the monitor provides.
pub(crate) struct TaskEnv<'a> {
    pub(crate) cfg: &'a MonitorConfig,
    pub(crate) sched: &'a Arc<Sched>,
    pub(crate) ev_tx: Sender<Event>,
}

impl Task {
    /// Builds the task of `stream`; an input that blocks gets its reader thread here (its
    /// handle is returned so the monitor can join it at shutdown).
    pub(crate) fn start(
        stream: &Arc<Stream>,
        input: Input,
        detectors: Vec<Box<dyn Detector>>,
        opts: StreamOptions,
        env: TaskEnv<'_>,
    ) -> Result<(Task, Option<JoinHandle<()>>)> {
        let id = &stream.id;
        let needs = picture_needs(&detectors, opts.snapshots.is_some());
        let reduced_needs = load::reduced_needs(&detectors, opts.snapshots.is_some());
        let queue = QueueCounts::default();
        let mut reader = None;
        let mut spawn = |source: ReaderSource| -> Result<Source> {
            let needs = (needs, reduced_needs);
            let (rx, h) = spawn_reader(stream, source, opts.policy, needs, &queue, &env)?;
            reader = Some(h);
            Ok(Source::Queue(rx))
        };
        let source = match input {
            Input::Inline(d) => Source::Inline(d),
            Input::Reader(d) => spawn(ReaderSource::Decoder(d))?,
            #[cfg(feature = "ffmpeg")]
            Input::Open {
                target,
                options,
                reader: false,
            } => Source::Open { target, options },
            #[cfg(feature = "ffmpeg")]
            Input::Open {
                target, options, ..
            } => spawn(ReaderSource::Open { target, options })?,
            #[cfg(feature = "ffmpeg")]
            Input::Pushed { rx, options } => spawn(ReaderSource::Pushed { rx, options })?,
        };
        let task = Task {
            source,
            core: core(id, &stream.tracks, detectors, &opts, env),
            needs,
            reduced_needs,
            applied: 0,
            thin: opts.thin,
            pending: None,
            paced: opts.paced,
            anchor: None,
            queue,
            lag: 0.0,
            max_lag: 0.0,
            lagging: false,
            checked_streams: false,
            stall_timer: None,
            after_stop: None,
        };
        Ok((task, reader))
    }

    /// Up to `slice_items` items or `slice_ms` of work, then back to the scheduler.
    fn slice(&mut self, stream: &Stream, cfg: &MonitorConfig) -> After {
        let started = Instant::now();
        let budget = Duration::from_millis(cfg.slice_ms);
        let slack = Duration::from_millis(cfg.pacing_slack_ms);
        let mut items = 0usize;
        self.core.tick();
        let after = loop {
            let level = stream.load.level.load(Ordering::Acquire);
            if level >= SHED {
                let why = stream
                    .load
                    .shed_reason
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                let ending = Ending::Shed(why.clone());
                drop(why);
                break self.finish(stream, ending);
            }
            if level != self.applied {
                self.degrade(level);
            }
            if stream.stop.is_stopped() && !self.stopping() {
                break self.finish(stream, Ending::Stopped);
            }
            if let Err(e) = self.open(stream, cfg) {
                break self.finish(stream, ending_of(&e));
            }
            let stopped = self.after_stop.is_some();
            let (arrived, media) = match self.pending.take() {
                Some(p) => p,
                None => match self.next(stream) {
                    Next::Item(at, m) => (at, m),
                    Next::Empty => break self.idle(),
                    // The end, or an error, after a stop ends the stream as stopped.
                    Next::End(_) if stopped => break self.finish(stream, Ending::Stopped),
                    Next::End(Ok(())) => break self.finish(stream, Ending::EndOfInput),
                    Next::End(Err(e)) => break self.finish(stream, ending_of(&e)),
                },
            };
            if let Some(budget) = &mut self.after_stop {
                budget.take();
            }
            let now = Instant::now();
            // After a stop, what is left is analysed without waiting for its time.
            if self.paced && !stopped && media.kind().is_some() {
                let due = self.due(media.time().as_secs_f64(), now);
                if due > now + slack {
                    self.pending = Some((arrived, media));
                    break After::Sleep(due);
                }
                self.lag = now.saturating_duration_since(due).as_secs_f64();
            } else if matches!(self.source, Source::Queue(_)) {
                self.lag = now.saturating_duration_since(arrived).as_secs_f64();
            }
            self.max_lag = self.max_lag.max(self.lag);
            self.core.set_lag(self.lag);
            match self.core.feed(media, arrived) {
                Ok(()) => {}
                Err(Halt::Input(_)) if stopped => break self.finish(stream, Ending::Stopped),
                Err(Halt::Input(e) | Halt::Detector(e)) => {
                    break self.finish(stream, ending_of(&e));
                }
            }
            items += 1;
            if items >= cfg.slice_items || started.elapsed() >= budget {
                break After::Yield;
            }
        };
        self.report(stream, cfg, items > 0);
        after
    }

    /// Applies a degradation level (full or reduced) to the inline decoder (a reader thread
    /// applies it to its own) and to the detectors.
    fn degrade(&mut self, level: u8) {
        let reduced = level >= REDUCED;
        if let Source::Inline(d) = &mut self.source {
            d.relax(if reduced {
                self.reduced_needs
            } else {
                self.needs
            });
        }
        if reduced != (self.applied >= REDUCED) {
            let thin = if reduced {
                self.thin * REDUCED_THIN
            } else {
                self.thin
            };
            self.core.set_reduced(reduced, thin);
        }
        self.applied = level;
    }

    /// The stream was asked to stop: true while its input is still read for what its
    /// decoder held at the stop (an opened input, within the pipeline's bounds).
    fn stopping(&mut self) -> bool {
        self.core.set_stopped(true);
        let opened = match self.source {
            Source::Inline(_) | Source::Queue(_) => true,
            #[cfg(feature = "ffmpeg")]
            Source::Open { .. } => false,
            Source::Gone => false,
        };
        opened && self.after_stop.get_or_insert_with(AfterStop::new).open()
    }

    /// Nothing queued: wait to be woken by the reader thread, or by the timer when the
    /// stall watch must look again (after a stop: at the end of the time left to read).
    fn idle(&mut self) -> After {
        if let Some(until) = self.after_stop.map(|b| b.until()) {
            if self.stall_timer == Some(until) {
                return After::Wait;
            }
            self.stall_timer = Some(until);
            return After::Sleep(until);
        }
        let now = Instant::now();
        if self.stall_timer.is_some_and(|t| t <= now) {
            self.stall_timer = None; // that wake-up is past
        }
        match self.core.stall_deadline() {
            Some(at) if self.stall_timer.is_none() => {
                let at = at.max(now);
                self.stall_timer = Some(at);
                After::Sleep(at)
            }
            _ => After::Wait,
        }
    }

    /// Opens an FFmpeg input inline on first use, and checks the declared streams.
    fn open(&mut self, stream: &Stream, cfg: &MonitorConfig) -> Result<()> {
        #[cfg(feature = "ffmpeg")]
        if let Source::Open { target, options } = &self.source {
            let mut d = crate::decode::FfmpegDecoder::open(target, options)?;
            d.set_stop_signal(stream.stop.clone());
            self.source = Source::Inline(Box::new(d));
        }
        if !self.checked_streams {
            self.checked_streams = true;
            if let Source::Inline(d) = &mut self.source {
                d.set_stop_signal(stream.stop.clone());
                d.relax(self.needs);
                if self.applied >= REDUCED {
                    d.relax(self.reduced_needs);
                }
                for s in d.streams() {
                    cfg.limits.check_stream(&stream.id, s)?;
                }
                stream.tracks.set(d.streams());
                stream.health().state = StreamState::Running;
            }
        }
        Ok(())
    }

    fn next(&mut self, stream: &Stream) -> Next {
        match &mut self.source {
            Source::Inline(d) => match catch_unwind(AssertUnwindSafe(|| d.next())) {
                Ok(Ok(Some(m))) => Next::Item(Instant::now(), m),
                Ok(Ok(None)) => Next::End(Ok(())),
                Ok(Err(e)) => Next::End(Err(e)),
                Err(p) => Next::End(Err(Error::Read {
                    input: stream.id.to_string(),
                    message: format!("decoder panicked: {}", panic_message(&*p)),
                })),
            },
            Source::Queue(rx) => match rx.try_recv() {
                Ok(Fed::Media(at, m)) => {
                    self.queue
                        .bytes
                        .fetch_sub(m.byte_len() as u64, Ordering::Relaxed);
                    Next::Item(at, m)
                }
                Ok(Fed::End(r)) => Next::End(r),
                Err(TryRecvError::Empty) => Next::Empty,
                Err(TryRecvError::Disconnected) => Next::End(Ok(())),
            },
            #[cfg(feature = "ffmpeg")]
            Source::Open { .. } => Next::Empty, // opened before `next` is called
            Source::Gone => Next::End(Ok(())),
        }
    }

    /// When the item at media second `t` is due on the wall clock.
    fn due(&mut self, t: f64, now: Instant) -> Instant {
        let Some((wall0, t0)) = self.anchor else {
            self.anchor = Some((now, t));
            return now;
        };
        let ahead = t - t0;
        if ahead < 0.0 || wall0 + Duration::from_secs_f64(ahead) > now + Duration::from_secs(5) {
            // A jump back, or far ahead: pace afresh from here.
            self.anchor = Some((now, t));
            return now;
        }
        wall0 + Duration::from_secs_f64(ahead)
    }

    /// Finishes the core (each open defect gets its end) and records how the stream ended.
    fn finish(&mut self, stream: &Stream, ending: Ending) -> After {
        // a reader thread stops reading, at once
        self.queue.closed.store(true, Ordering::Release);
        stream.stop.stop();
        self.source = Source::Gone;
        self.pending = None;
        self.core.finish();
        let end = self.core.stats().end.unwrap_or(MediaTime::ZERO);
        self.core.notice("stream_ended", ending.to_string(), end);
        let failed = matches!(
            ending,
            Ending::InputFailed(_) | Ending::LimitExceeded(_) | Ending::SinkFailed(_)
        );
        let mut h = stream.health();
        h.state = if failed {
            StreamState::Failed
        } else {
            StreamState::Ended
        };
        h.ending = Some(ending);
        After::Done
    }
}

/// Starts the reader thread of `stream`; the queue it fills and its handle.
fn spawn_reader(
    stream: &Arc<Stream>,
    source: ReaderSource,
    policy: crate::pipeline::OverloadPolicy,
    (needs, reduced_needs): (Needs, Needs),
    queue: &QueueCounts,
    env: &TaskEnv<'_>,
) -> Result<(Receiver<Fed>, JoinHandle<()>)> {
    let id = &stream.id;
    let (tx, rx) = crossbeam_channel::bounded(env.cfg.queue_capacity);
    let r = Reader {
        id: id.clone(),
        tx,
        rx: rx.clone(),
        link: Box::new(Link {
            stream: stream.clone(),
            sched: env.sched.clone(),
        }),
        stop: stream.stop.clone(),
        policy,
        needs,
        reduced_needs,
        level: stream.load.level.clone(),
        cpu_ns: stream.load.cpu_ns.clone(),
        counts: queue.clone(),
        limits: env.cfg.limits.clone(),
        tracks: stream.tracks.clone(),
        after_stop: std::cell::Cell::new(None),
    };
    let guard = env.sched.thread_guard();
    let h = std::thread::Builder::new()
        .name(format!("avqc-read-{id}"))
        .spawn(move || {
            let _guard = guard;
            r.run(source)
        })
        .map_err(|e| Error::Pipeline(format!("cannot start the reader thread of `{id}`: {e}")))?;
    Ok((rx, h))
}

/// The core of a stream: its detectors in one group, fed on the worker, with the options of
/// its spec.
fn core(
    id: &Arc<str>,
    tracks: &Arc<TrackTable>,
    detectors: Vec<Box<dyn Detector>>,
    opts: &StreamOptions,
    env: TaskEnv<'_>,
) -> StreamCore {
    let dets = detectors.into_iter().enumerate().collect();
    let max_open = env.cfg.limits.max_open_defects;
    let group = DetectorGroup::new(dets, id, tracks, max_open, opts.thin, Order::Monitor);
    let lag = LagRule::new(opts.policy, Some(env.cfg.max_lag_secs));
    let mut core = StreamCore::new(
        id,
        "monitor",
        Order::Monitor,
        env.cfg.limits.clone(),
        env.ev_tx,
    )
    .with_group(group)
    .with_lag_rule(lag);
    if let Some(cfg) = &opts.snapshots {
        core = core.with_snapshots(cfg);
    }
    if let Some(timeout) = opts.stall_timeout {
        core = core.with_stall_watch(timeout);
    }
    core
}

// Moved by value, once per item: boxing would allocate per item.
#[allow(clippy::large_enum_variant)]
enum Next {
    Item(Instant, Media),
    Empty,
    End(Result<()>),
}

fn ending_of(e: &Error) -> Ending {
    match e {
        Error::Limit { .. } => Ending::LimitExceeded(e.to_string()),
        _ => Ending::InputFailed(e.to_string()),
    }
}
