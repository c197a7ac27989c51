//! Running a pipeline: the decoder thread drives the stream's [core](super::core) (which feeds
//! the detectors inline, or queues items to detector threads that each run a group of
//! detectors in turn), a snapshot thread keeps pictures, and the sink loop runs on the
//! caller's thread.

use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Instant;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

use super::core::{picture_needs, LagRule, StreamCore};
use super::group::{deal, DetectorGroup, Order};
use super::lane::Lane;
use super::report::decide_ending;
use super::sink_loop::{SinkSide, Watched};
use super::slot::panic_message;
use super::stall::Heartbeat;
use super::tally::DecodeStats;
use super::thread_work::{run_decoder, run_detectors, run_snapshots, Decoded, Shared};
use super::tracks::TrackTable;
use super::{DetectorReport, Ending, Pipeline, Report};
use crate::decode::Decoder;
use crate::detect::{Detector, Wants};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::sink::Sink;
use crate::snapshot::worker::{Request, SnapshotStats, SnapshotWorker};
use crate::snapshot::{SnapshotConfig, SnapshotPlanner};

impl Pipeline {
    /// Runs the pipeline to the end of the input (or until stopped) on the calling thread plus
    /// one decoder thread and the [detector threads](crate::PipelineBuilder::detector_threads);
    /// returns the report.
    ///
    /// Errors: a decoder error mid-stream, an exceeded [`Limits`](crate::Limits) or a sink
    /// error. In each case detectors still close their open intervals and the sink is flushed
    /// (as far as it works) before the error is returned; [`run_with_report`](Self::run_with_report)
    /// returns the report as well.
    pub fn run(self) -> Result<Report> {
        let (report, result) = self.run_with_report();
        result.map(|()| report)
    }

    /// Like [`run`](Self::run), but returns the report however the run ended
    /// ([`Report::ending`] says how) together with the error, if any.
    ///
    /// ```
    /// use avqc::{FrameSource, Pipeline, StreamInfo, sink::Collect, pipeline::Ending};
    /// let p = Pipeline::builder()
    ///     .decoder(FrameSource::new("empty", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty()))
    ///     .sink(Collect::new())
    ///     .build()
    ///     .unwrap();
    /// let (report, result) = p.run_with_report();
    /// assert!(result.is_ok());
    /// assert_eq!(report.ending, Ending::EndOfInput);
    /// ```
    pub fn run_with_report(self) -> (Report, Result<()>) {
        let started = Instant::now();
        let (plan, mut sink, shared) = Plan::new(self);
        let (ev_tx, ev_rx) = bounded::<Event>(1024);
        let (req_tx, req_rx) = unbounded::<Request>();
        let watched = Watched {
            input: &shared.input,
            heartbeat: &shared.heartbeat,
            timeout: shared.stall_timeout,
            stop: &shared.stop,
        };
        let mut side = SinkSide::new(&mut *sink, watched, plan.planner(&shared.input), req_tx);
        let joined = std::thread::scope(|s| {
            let threads = plan.start(s, &shared, ev_tx, req_rx);
            side.run(&ev_rx);
            side.finish();
            threads.join(&shared.input)
        });
        let out = side.close();
        let limit = shared.limit.into_inner().unwrap_or_else(|p| p.into_inner());
        let (result, mut joined) = joined;
        let (ending, error) = decide_ending(out.error, limit, result, joined.stats.stopped);
        let joined_frames = std::mem::take(&mut joined.stats.frames);
        let mut report = joined.report(shared.input.to_string(), ending);
        report.events = out.events;
        report.defects = out.defects;
        report.tracks = (shared.tracks).report(&joined_frames, &out.track_defects);
        report.stalls = out.stalls;
        report.wall_time = started.elapsed();
        (report, error.map_or(Ok(()), Err))
    }
}

/// The pipeline taken apart for its threads.
struct Plan {
    decoder: Box<dyn Decoder>,
    detectors: Vec<Box<dyn Detector>>,
    queue: usize,
    policy: super::OverloadPolicy,
    detector_threads: usize,
    thin: usize,
    snapshots: Option<SnapshotConfig>,
    lag: LagRule,
}

/// A running detector thread: the indexes of its detectors and its handle.
type Worker<'s> = (
    Vec<usize>,
    std::io::Result<ScopedJoinHandle<'s, Vec<(usize, DetectorReport)>>>,
);

/// The threads of a run, once started.
struct Threads<'s> {
    names: Vec<String>,
    workers: Vec<Worker<'s>>,
    snap: Option<std::io::Result<ScopedJoinHandle<'s, SnapshotStats>>>,
    dec: std::io::Result<ScopedJoinHandle<'s, Decoded>>,
}

impl Plan {
    fn new(p: Pipeline) -> (Plan, Box<dyn Sink>, Shared) {
        let Pipeline {
            mut decoder,
            detectors,
            sink,
            queue,
            policy,
            stop,
            stream_name,
            detector_threads,
            thin,
            snapshots,
            stall_timeout,
            limits,
            max_lag,
        } = p;
        decoder.set_stop_signal(stop.clone());
        decoder.relax(picture_needs(&detectors, snapshots.is_some()));
        let input: Arc<str> = stream_name.as_deref().unwrap_or(decoder.name()).into();
        let tracks = Arc::new(TrackTable::default());
        tracks.set(decoder.streams());
        let shared = Shared {
            tracks,
            input,
            stop,
            heartbeat: Arc::new(Heartbeat::new(stall_timeout)),
            stall_timeout,
            limits,
            limit: Mutex::new(None),
        };
        let plan = Plan {
            decoder,
            detectors,
            queue,
            policy,
            detector_threads,
            thin,
            snapshots,
            lag: LagRule::new(policy, max_lag.map(|d| d.as_secs_f64())),
        };
        (plan, sink, shared)
    }

    fn planner(&self, input: &str) -> Option<SnapshotPlanner> {
        self.snapshots
            .as_ref()
            .map(|c| SnapshotPlanner::new(c, input))
    }

    /// Starts the detector threads, the snapshot thread and the decoder thread (which drives
    /// the core, feeding inline detectors itself).
    fn start<'s, 'e>(
        self,
        s: &'s Scope<'s, 'e>,
        shared: &'e Shared,
        ev_tx: Sender<Event>,
        req_rx: Receiver<Request>,
    ) -> Threads<'s> {
        let names = self
            .detectors
            .iter()
            .map(|d| d.name().to_string())
            .collect();
        let (groups, inline) = split(self.detectors, self.detector_threads);
        let q = QueueSettings {
            capacity: self.queue,
            policy: self.policy,
            thin: self.thin,
            lag: self.lag,
        };
        let mut lanes = Vec::with_capacity(groups.len() + 1);
        let workers = (groups.into_iter().enumerate())
            .map(|(k, dets)| start_detectors(s, shared, q, k, dets, &ev_tx, &mut lanes))
            .collect();
        let snap = (self.snapshots.as_ref())
            .map(|cfg| start_snapshots(s, shared, q, cfg, req_rx, &mut lanes));
        let max_open = shared.limits.max_open_defects;
        let mut core = StreamCore::new(
            &shared.input,
            "pipeline",
            Order::Pipeline,
            shared.limits.clone(),
            ev_tx,
        )
        .with_lanes(lanes)
        .with_heartbeat(shared.heartbeat.clone());
        if let Some(dets) = inline {
            let g = DetectorGroup::new(
                dets,
                &shared.input,
                &shared.tracks,
                max_open,
                q.thin,
                Order::Pipeline,
            );
            core = core.with_group(g);
        }
        let decoder = self.decoder;
        let dec = std::thread::Builder::new()
            .name("avqc-decode".into())
            .spawn_scoped(s, move || run_decoder(decoder, core, shared));
        Threads {
            names,
            workers,
            snap,
            dec,
        }
    }
}

/// Detectors with their indexes.
type Indexed = Vec<(usize, Box<dyn Detector>)>;

/// The detectors dealt to `threads` detector threads, or (with 0) all run inline.
fn split(detectors: Vec<Box<dyn Detector>>, threads: usize) -> (Vec<Indexed>, Option<Indexed>) {
    if threads == 0 {
        return (
            Vec::new(),
            Some(detectors.into_iter().enumerate().collect()),
        );
    }
    let wants: Vec<Wants> = detectors.iter().map(|d| d.wants()).collect();
    let mut slots: Vec<Option<Box<dyn Detector>>> = detectors.into_iter().map(Some).collect();
    let groups = deal(&wants, threads)
        .into_iter()
        .map(|members| {
            (members.into_iter())
                .filter_map(|i| slots[i].take().map(|d| (i, d)))
                .collect()
        })
        .collect();
    (groups, None)
}

/// How the queues to the threads behave.
#[derive(Clone, Copy)]
struct QueueSettings {
    capacity: usize,
    policy: super::OverloadPolicy,
    thin: usize,
    lag: LagRule,
}

/// Starts detector thread `k` for `dets`, its lane added to `lanes`.
fn start_detectors<'s, 'e>(
    s: &'s Scope<'s, 'e>,
    shared: &'e Shared,
    q: QueueSettings,
    k: usize,
    dets: Indexed,
    ev_tx: &Sender<Event>,
    lanes: &mut Vec<Lane>,
) -> Worker<'s> {
    let members: Vec<usize> = dets.iter().map(|(i, _)| *i).collect();
    let wants: Vec<Wants> = dets.iter().map(|(_, d)| d.wants()).collect();
    let (lane, rx, lag_lost) = Lane::new(q.capacity, &wants, q.policy, &shared.stop);
    lanes.push(lane);
    let max_open = shared.limits.max_open_defects;
    let g = DetectorGroup::new(
        dets,
        &shared.input,
        &shared.tracks,
        max_open,
        q.thin,
        Order::Pipeline,
    );
    let ev_tx = ev_tx.clone();
    let w = std::thread::Builder::new()
        .name(format!("avqc-detect-{k}"))
        .spawn_scoped(s, move || {
            run_detectors(g, rx, q.lag, &lag_lost, &ev_tx, shared)
        });
    (members, w)
}

/// Starts the snapshot thread: it sees pictures like a detector (its lane is the last).
fn start_snapshots<'s, 'e>(
    s: &'s Scope<'s, 'e>,
    shared: &'e Shared,
    q: QueueSettings,
    cfg: &SnapshotConfig,
    req_rx: Receiver<Request>,
    lanes: &mut Vec<Lane>,
) -> std::io::Result<ScopedJoinHandle<'s, SnapshotStats>> {
    let (lane, rx, _) = Lane::new(q.capacity, &[Wants::VIDEO], q.policy, &shared.stop);
    lanes.push(lane);
    let worker = SnapshotWorker::new(cfg);
    std::thread::Builder::new()
        .name("avqc-snapshots".into())
        .spawn_scoped(s, move || run_snapshots(worker, rx, req_rx))
}

/// What the threads left, once joined.
struct Joined {
    stats: DecodeStats,
    detectors: Vec<DetectorReport>,
    snapshots: SnapshotStats,
    /// Items dropped for lag on the detector threads (per detector that wanted them).
    lag_dropped: u64,
}

impl Threads<'_> {
    /// Waits for every thread; merges the detectors' reports (in the order they were added).
    fn join(self, input: &str) -> (Result<()>, Joined) {
        let snapshots = match self.snap {
            Some(Ok(h)) => h.join().unwrap_or_default(),
            Some(Err(e)) => {
                log::warn!("cannot start the snapshot thread: {e}");
                SnapshotStats::default()
            }
            None => SnapshotStats::default(),
        };
        let (result, stats, inline) = match self.dec {
            Ok(h) => h.join().unwrap_or_else(|p| {
                let message = format!("decoder thread panicked: {}", panic_message(&*p));
                let e = Error::Read {
                    input: input.to_string(),
                    message,
                };
                (Err(e), DecodeStats::default(), Vec::new())
            }),
            Err(e) => {
                let e = Error::Pipeline(format!("cannot start the decoder thread: {e}"));
                (Err(e), DecodeStats::default(), Vec::new())
            }
        };
        let mut got = inline;
        let mut failed = Vec::new();
        let mut lanes = Vec::with_capacity(self.workers.len());
        for (members, w) in self.workers {
            match w {
                Ok(h) => got.extend(h.join().into_iter().flatten()),
                Err(e) => failed.extend(members.iter().map(|&i| (i, e.to_string()))),
            }
            lanes.push(members);
        }
        let (detectors, lag_dropped) = merge_reports(self.names, got, failed, &lanes, &stats);
        let joined = Joined {
            stats,
            detectors,
            snapshots,
            lag_dropped,
        };
        (result, joined)
    }
}

/// Each detector's report, in the order they were added: from the thread that ran it (or the
/// error that kept its thread from starting), plus the items a full queue dropped for it;
/// and the items dropped for lag.
fn merge_reports(
    names: Vec<String>,
    got: Vec<(usize, DetectorReport)>,
    failed: Vec<(usize, String)>,
    lanes: &[Vec<usize>],
    stats: &DecodeStats,
) -> (Vec<DetectorReport>, u64) {
    let mut detectors: Vec<DetectorReport> = names
        .into_iter()
        .map(|name| DetectorReport {
            name,
            ..Default::default()
        })
        .collect();
    for (i, e) in failed {
        detectors[i].panicked = Some(e);
    }
    let mut lag_dropped = 0;
    for (i, rep) in got {
        lag_dropped += rep.dropped;
        detectors[i] = rep;
    }
    // Items a full queue dropped, per detector (the snapshot lane is last).
    for (members, lane_dropped) in lanes.iter().zip(&stats.dropped) {
        for (&i, &n) in members.iter().zip(lane_dropped) {
            detectors[i].dropped += n;
        }
    }
    (detectors, lag_dropped)
}

impl Joined {
    /// The report, but for what the sink side counted (events, defects, stalls, wall time).
    fn report(self, input: String, ending: Ending) -> Report {
        let st = &self.stats;
        Report {
            input,
            video_frames_decoded: st.video,
            audio_frames_decoded: st.audio,
            frames_dropped: st.dropped.iter().flatten().sum::<u64>() + self.lag_dropped,
            decode_errors: st.decode_errors,
            corrupt_packets: st.corrupt_packets,
            discontinuities: st.discontinuities,
            media_duration: st.media_duration(),
            snapshots_written: self.snapshots.written,
            snapshots_failed: self.snapshots.failed,
            stopped: st.stopped,
            ending,
            detectors: self.detectors,
            ..Default::default()
        }
    }
}
