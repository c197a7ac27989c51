//! One stream's task: its decoder (inline) or the queue its reader thread fills, and its
//! detectors, run one slice at a time on a worker.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::health::{HealthCell, LastDefect, StreamState};
use super::sched::{After, Scheduler, WakeState};
use super::spec::Input;
use super::MonitorConfig;
use crate::event::Phase;
use crate::pipeline::slot::{panic_message, DetectorSlot, Feed};
use crate::pipeline::tally::DecodeStats;
use crate::pipeline::Ending;
use crate::{Decoder, Error, Event, Events, Media, OverloadPolicy, Result, StopSignal};

/// What a reader thread hands its task.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Fed {
    /// An item, with the instant it was read.
    Media(Instant, Media),
    /// The input ended (`Ok`) or failed.
    End(Result<()>),
}

/// A stream as the scheduler, the monitor and the health reporter see it.
pub(crate) struct Stream {
    pub(crate) id: Arc<str>,
    pub(crate) wake: WakeState,
    pub(crate) stop: StopSignal,
    pub(crate) health: Mutex<HealthCell>,
    pub(crate) task: Mutex<Option<Task>>,
    done: Mutex<bool>,
    done_cv: Condvar,
}

impl Stream {
    pub(crate) fn new(id: Arc<str>, max_in_flight: usize) -> Self {
        Stream {
            id,
            wake: WakeState::default(),
            stop: StopSignal::new(),
            health: Mutex::new(HealthCell::new(max_in_flight)),
            task: Mutex::new(None),
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
            return After::Done;
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

/// Where a task gets its items.
enum Source {
    Inline(Box<dyn Decoder>),
    #[cfg(feature = "ffmpeg")]
    Open {
        target: String,
        options: crate::DecoderOptions,
    },
    Queue(Receiver<Fed>),
    Gone,
}

/// The stream's own state: decoder or queue, detectors, counts.
pub(crate) struct Task {
    source: Source,
    slots: Vec<DetectorSlot>,
    /// What the detectors need from the pictures (handed to the decoder once it is open).
    needs: crate::Needs,
    stats: DecodeStats,
    /// The monitor's own notices on this stream.
    out: Events,
    ev_tx: Sender<Event>,
    /// An item held until it is due (paced) — at most one.
    pending: Option<(Instant, Media)>,
    paced: bool,
    /// Wall instant and media seconds the pacing is anchored to.
    anchor: Option<(Instant, f64)>,
    policy: OverloadPolicy,
    /// Items the reader thread dropped from its full queue.
    reader_dropped: Arc<AtomicU64>,
    /// Bytes of decoded data in the reader's queue (added before a send, taken at the receive).
    queued_bytes: Arc<AtomicU64>,
    dropped: u64,
    lag: f64,
    max_lag: f64,
    lagging: bool,
    last_defect: Option<LastDefect>,
    checked_streams: bool,
}

/// The parts of a new task the monitor provides.
pub(crate) struct TaskEnv<'a> {
    pub(crate) cfg: &'a MonitorConfig,
    pub(crate) sched: &'a Arc<Scheduler>,
    pub(crate) ev_tx: Sender<Event>,
}

impl Task {
    /// Builds the task of `stream`; an input that blocks gets its reader thread here (its
    /// handle is returned so the monitor can join it at shutdown).
    pub(crate) fn start(
        stream: &Arc<Stream>,
        input: Input,
        detectors: Vec<Box<dyn crate::Detector>>,
        paced: bool,
        policy: OverloadPolicy,
        env: TaskEnv<'_>,
    ) -> Result<(Task, Option<JoinHandle<()>>)> {
        let id = &stream.id;
        let needs = crate::pipeline::run::picture_needs(&detectors, false);
        let reader_dropped = Arc::new(AtomicU64::new(0));
        let queued_bytes = Arc::new(AtomicU64::new(0));
        let mut reader = None;
        let mut spawn = |source: ReaderSource| -> Result<Source> {
            let (tx, rx) = crossbeam_channel::bounded(env.cfg.queue_capacity);
            let r = Reader {
                tx,
                rx: rx.clone(),
                stream: stream.clone(),
                sched: env.sched.clone(),
                policy,
                dropped: reader_dropped.clone(),
                queued_bytes: queued_bytes.clone(),
                limits: env.cfg.limits.clone(),
                needs,
            };
            let guard = env.sched.thread_guard();
            let h = std::thread::Builder::new()
                .name(format!("avqc-read-{id}"))
                .spawn(move || {
                    let _guard = guard;
                    r.run(source)
                })
                .map_err(|e| {
                    Error::Pipeline(format!("cannot start the reader thread of `{id}`: {e}"))
                })?;
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
        let slots = detectors
            .into_iter()
            .map(|d| DetectorSlot::new(d, id, env.cfg.limits.max_open_defects))
            .collect();
        let task = Task {
            source,
            slots,
            needs,
            stats: DecodeStats::default(),
            out: Events::new(id, "monitor"),
            ev_tx: env.ev_tx,
            pending: None,
            paced,
            anchor: None,
            policy,
            reader_dropped,
            queued_bytes,
            dropped: 0,
            lag: 0.0,
            max_lag: 0.0,
            lagging: false,
            last_defect: None,
            checked_streams: false,
        };
        Ok((task, reader))
    }

    /// Up to `slice_items` items or `slice_ms` of work, then back to the scheduler.
    fn slice(&mut self, stream: &Stream, cfg: &MonitorConfig) -> After {
        let started = Instant::now();
        let budget = Duration::from_millis(cfg.slice_ms);
        let slack = Duration::from_millis(cfg.pacing_slack_ms);
        let mut items = 0usize;
        let after = loop {
            if stream.stop.is_stopped() {
                self.stats.stopped = true;
                break self.finish(stream, Ending::Stopped);
            }
            if let Err(e) = self.open(stream, cfg) {
                break self.finish(stream, ending_of(&e));
            }
            let (arrived, media) = match self.pending.take() {
                Some(p) => p,
                None => match self.next(stream) {
                    Next::Item(at, m) => (at, m),
                    Next::Empty => break After::Wait,
                    Next::End(Ok(())) => break self.finish(stream, Ending::EndOfInput),
                    Next::End(Err(e)) => break self.finish(stream, ending_of(&e)),
                },
            };
            let now = Instant::now();
            if self.paced && media.kind().is_some() {
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
            if let Some(ending) = self.analyse(&media, cfg) {
                break self.finish(stream, ending);
            }
            items += 1;
            if items >= cfg.slice_items || started.elapsed() >= budget {
                break After::Yield;
            }
        };
        self.report(stream, cfg, items > 0);
        after
    }

    /// Opens an FFmpeg input inline on first use, and checks the declared streams.
    fn open(&mut self, stream: &Stream, cfg: &MonitorConfig) -> Result<()> {
        #[cfg(feature = "ffmpeg")]
        if let Source::Open { target, options } = &self.source {
            let mut d = crate::FfmpegDecoder::open(target, options)?;
            d.set_stop_signal(stream.stop.clone());
            self.source = Source::Inline(Box::new(d));
        }
        if !self.checked_streams {
            self.checked_streams = true;
            if let Source::Inline(d) = &mut self.source {
                d.set_stop_signal(stream.stop.clone());
                d.relax(self.needs);
                for s in d.streams() {
                    cfg.limits.check_stream(&stream.id, s)?;
                }
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
                    self.queued_bytes
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

    /// Counts an item and shows it to the detectors that want it. `Some` ends the stream.
    fn analyse(&mut self, media: &Media, cfg: &MonitorConfig) -> Option<Ending> {
        let Task {
            slots,
            stats,
            out,
            ev_tx,
            last_defect,
            ..
        } = self;
        let mut emit = |ev: Event| {
            if let Event::Defect(d) = &ev {
                if d.phase == Phase::Start {
                    *last_defect = Some(LastDefect {
                        defect: d.defect.as_str().to_string(),
                        start: d.start.as_secs_f64(),
                    });
                }
            }
            let _ = ev_tx.send(ev);
        };
        let id = out.stream().clone();
        let observed = stats.observe(media, &cfg.limits, &id, out);
        for ev in out.drain() {
            emit(ev);
        }
        match observed {
            Err(e) => return Some(ending_of(&e)),
            Ok(Some(at)) => {
                for s in slots.iter_mut() {
                    if let Some(e) = s.feed(Feed::Discontinuity(at), &mut emit) {
                        return Some(ending_of(&e));
                    }
                }
            }
            Ok(None) => {}
        }
        if self.policy == OverloadPolicy::DropOldest
            && media.kind().is_some()
            && self.lag > cfg.max_lag_secs
        {
            self.dropped += 1;
            return None;
        }
        for s in slots.iter_mut().filter(|s| s.wants().accepts(media)) {
            if let Some(e) = s.feed(Feed::Media(media), &mut emit) {
                return Some(ending_of(&e));
            }
        }
        None
    }

    /// Closes every detector (each open defect gets its end) and records how the stream ended.
    fn finish(&mut self, stream: &Stream, ending: Ending) -> After {
        stream.stop.stop(); // a reader thread stops reading
        self.source = Source::Gone;
        self.pending = None;
        let end = self.stats.end.unwrap_or(crate::MediaTime::ZERO);
        let Task {
            slots, ev_tx, out, ..
        } = self;
        let mut emit = |ev: Event| {
            let _ = ev_tx.send(ev);
        };
        for s in slots.iter_mut() {
            let _ = s.feed(Feed::Finish(end), &mut emit);
            s.close(&mut emit);
        }
        out.notice("stream_ended", ending.to_string(), end);
        for ev in out.drain() {
            emit(ev);
        }
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

    /// Copies the counts into the health record; announces lag crossing its threshold.
    fn report(&mut self, stream: &Stream, cfg: &MonitorConfig, progressed: bool) {
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
            let at = self.stats.end.unwrap_or(crate::MediaTime::ZERO);
            self.out.notice(name, msg, at);
            for ev in self.out.drain() {
                let _ = self.ev_tx.send(ev);
            }
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
        h.video = self.stats.video;
        h.audio = self.stats.audio;
        h.decode_errors = self.stats.decode_errors + self.stats.corrupt_packets;
        h.dropped = self.dropped + self.reader_dropped.load(Ordering::Relaxed);
        h.lag = self.lag;
        h.max_lag = self.max_lag;
        h.lagging = self.lagging;
        h.queued = queued;
        h.queued_bytes = self.queued_bytes.load(Ordering::Relaxed)
            + self
                .pending
                .as_ref()
                .map_or(0, |(_, m)| m.byte_len() as u64);
        h.panicked = self.slots.iter().filter(|s| s.panicked()).count();
        if let Some(d) = &self.last_defect {
            if h.last_defect.as_ref() != Some(d) {
                h.last_defect = Some(d.clone());
            }
        }
        if let Some(e) = self.stats.end {
            h.media = e;
        }
        h.tick_fps(now);
    }
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

/// What a reader thread reads.
pub(crate) enum ReaderSource {
    Decoder(Box<dyn Decoder>),
    #[cfg(feature = "ffmpeg")]
    Open {
        target: String,
        options: crate::DecoderOptions,
    },
    #[cfg(feature = "ffmpeg")]
    Pushed {
        rx: Receiver<bytes::Bytes>,
        options: crate::DecoderOptions,
    },
}

/// A reader thread: blocks in the input's reads, not in the pool.
struct Reader {
    tx: Sender<Fed>,
    rx: Receiver<Fed>,
    stream: Arc<Stream>,
    sched: Arc<Scheduler>,
    policy: OverloadPolicy,
    needs: crate::Needs,
    dropped: Arc<AtomicU64>,
    queued_bytes: Arc<AtomicU64>,
    limits: crate::Limits,
}

impl Reader {
    fn run(self, source: ReaderSource) {
        let id = self.stream.id.clone();
        let opened: Result<Box<dyn Decoder>> = match source {
            ReaderSource::Decoder(d) => Ok(d),
            #[cfg(feature = "ffmpeg")]
            ReaderSource::Open { target, options } => {
                crate::FfmpegDecoder::open(&target, &options).map(|d| Box::new(d) as _)
            }
            #[cfg(feature = "ffmpeg")]
            ReaderSource::Pushed { rx, options } => {
                crate::FfmpegDecoder::from_channel(&id, rx, &options).map(|d| Box::new(d) as _)
            }
        };
        let result = opened.and_then(|mut d| {
            d.set_stop_signal(self.stream.stop.clone());
            d.relax(self.needs);
            for s in d.streams() {
                self.limits.check_stream(&id, s)?;
            }
            {
                let mut h = self.stream.health();
                if h.state == StreamState::Connecting {
                    h.state = StreamState::Running;
                }
            }
            loop {
                if self.stream.stop.is_stopped() {
                    return Ok(());
                }
                match catch_unwind(AssertUnwindSafe(|| d.next())) {
                    Ok(Ok(Some(m))) => {
                        if !self.put(Fed::Media(Instant::now(), m)) {
                            return Ok(());
                        }
                        self.sched.wake(&self.stream);
                    }
                    Ok(Ok(None)) => return Ok(()),
                    Ok(Err(e)) => return Err(e),
                    Err(p) => {
                        return Err(Error::Read {
                            input: id.to_string(),
                            message: format!("decoder panicked: {}", panic_message(&*p)),
                        })
                    }
                }
            }
        });
        self.put(Fed::End(result));
        self.sched.wake(&self.stream);
    }

    /// Queues an item; false when the task is gone or the stream stopped.
    fn put(&self, item: Fed) -> bool {
        // Counted before the send, so the task's receive never takes more than was added.
        let bytes = match &item {
            Fed::Media(_, m) => m.byte_len() as u64,
            Fed::End(_) => 0,
        };
        self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        let sent = self.send(item);
        if !sent {
            self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
        sent
    }

    fn send(&self, item: Fed) -> bool {
        let mut item = item;
        loop {
            if self.policy == OverloadPolicy::DropOldest && matches!(item, Fed::Media(..)) {
                match self.tx.try_send(item) {
                    Ok(()) => return true,
                    Err(crossbeam_channel::TrySendError::Full(i)) => {
                        item = i;
                        if let Ok(Fed::Media(_, old)) = self.rx.try_recv() {
                            self.dropped.fetch_add(1, Ordering::Relaxed);
                            self.queued_bytes
                                .fetch_sub(old.byte_len() as u64, Ordering::Relaxed);
                        }
                        continue;
                    }
                    Err(crossbeam_channel::TrySendError::Disconnected(_)) => return false,
                }
            }
            match self.tx.send_timeout(item, Duration::from_millis(100)) {
                Ok(()) => return true,
                Err(crossbeam_channel::SendTimeoutError::Timeout(i)) => {
                    if self.stream.stop.is_stopped() {
                        return false;
                    }
                    self.sched.wake(&self.stream);
                    item = i;
                }
                Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => return false,
            }
        }
    }
}
