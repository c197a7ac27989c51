//! Running a pipeline: decoder thread, detector threads (each running a group of detectors in
//! turn), sink on the caller's thread.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender, TrySendError};

use super::slot::{panic_message, DetectorSlot, Feed};
use super::stall::{Heartbeat, StallWatch};
use super::tally::DecodeStats;
use super::{DetectorReport, Ending, OverloadPolicy, Pipeline, Report};
use crate::event::Phase;
use crate::snapshot::worker::{Request, SnapshotStats, SnapshotWorker};
use crate::snapshot::SnapshotPlanner;
use crate::{
    Decoder, Detector, Error, Event, Events, Limits, Media, MediaTime, Needs, Result, Sink,
    StopSignal, Wants,
};

/// What the decoder thread sends a detector thread (moved by value: no allocation per item).
#[allow(clippy::large_enum_variant)]
enum Msg {
    Media(Media),
    Discontinuity(MediaTime),
    Finish(MediaTime),
}

/// One detector thread's queue, seen from the decoder.
struct Lane {
    tx: Sender<Msg>,
    /// A receiver clone, so the decoder can drop the oldest item under [`OverloadPolicy::DropOldest`].
    rx: Receiver<Msg>,
    /// What any of its members wants.
    wants: Wants,
    /// What each member wants, and how many items it lost to the overload policy.
    members: Vec<(Wants, u64)>,
}

impl Lane {
    fn new(tx: Sender<Msg>, rx: Receiver<Msg>, members: &[Wants]) -> Self {
        Lane {
            tx,
            rx,
            wants: members.iter().fold(Wants::default(), |a, &w| a | w),
            members: members.iter().map(|&w| (w, 0)).collect(),
        }
    }

    /// Counts `media` as lost for every member that wanted it.
    fn lost(&mut self, media: &Media) {
        for (w, n) in &mut self.members {
            if w.accepts(media) {
                *n += 1;
            }
        }
    }

    fn dropped(&self) -> u64 {
        self.members.iter().map(|m| m.1).sum()
    }
}

/// Deals detectors (given by index) to `threads` groups in turn, video detectors first, so the
/// picture work spreads over the threads.
fn group(wants: &[Wants], threads: usize) -> Vec<Vec<usize>> {
    let threads = threads.clamp(1, wants.len().max(1));
    let mut order: Vec<usize> = (0..wants.len()).collect();
    order.sort_by_key(|&i| !wants[i].video());
    let mut groups = vec![Vec::new(); threads];
    for (k, i) in order.into_iter().enumerate() {
        groups[k % threads].push(i);
    }
    for g in &mut groups {
        g.sort_unstable(); // each thread feeds its detectors in the order they were added
    }
    groups.retain(|g| !g.is_empty());
    groups
}

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
        let Pipeline {
            mut decoder,
            detectors,
            mut sink,
            queue,
            policy,
            stop,
            stream_name,
            detector_threads,
            thin,
            snapshots,
            stall_timeout,
            limits,
        } = self;
        let started = Instant::now();
        decoder.set_stop_signal(stop.clone());
        decoder.relax(picture_needs(&detectors, snapshots.is_some()));
        // A detector that holds too many defects open stops the run with this error.
        let detector_limit: Mutex<Option<Error>> = Mutex::new(None);
        let input: Arc<str> = stream_name.as_deref().unwrap_or(decoder.name()).into();
        let (ev_tx, ev_rx) = bounded::<Event>(1024);

        let mut sink_error: Option<Error> = None;
        let mut events_out = 0u64;
        let mut defects = 0u64;

        let mut planner = snapshots.as_ref().map(|c| SnapshotPlanner::new(c, &input));
        let (req_tx, req_rx) = unbounded::<Request>();
        let heartbeat = Heartbeat::new(stall_timeout);
        let mut stall = stall_timeout.map(StallWatch::new);

        let (decode_result, stats, det_reports, snap_stats) = std::thread::scope(|s| {
            let names: Vec<String> = detectors.iter().map(|d| d.name().to_string()).collect();
            let groups = if detector_threads == 0 {
                Vec::new()
            } else {
                group(
                    &detectors.iter().map(|d| d.wants()).collect::<Vec<_>>(),
                    detector_threads,
                )
            };
            let guard = || OpenGuard {
                max_open: limits.max_open_defects,
                error: &detector_limit,
                stop: &stop,
            };
            let mut slots: Vec<Option<Box<dyn Detector>>> =
                detectors.into_iter().map(Some).collect();
            let mut take = |members: &[usize]| -> Vec<(usize, Box<dyn Detector>)> {
                members
                    .iter()
                    .filter_map(|&i| slots[i].take().map(|d| (i, d)))
                    .collect()
            };
            // Inline: the decoder thread feeds every detector itself.
            let inline = (detector_threads == 0).then(|| {
                let all: Vec<usize> = (0..names.len()).collect();
                Group::new(take(&all), &input, ev_tx.clone(), guard(), thin)
            });
            let mut lanes = Vec::with_capacity(groups.len() + 1);
            let mut workers = Vec::with_capacity(groups.len());
            for (k, members) in groups.iter().enumerate() {
                let dets = take(members);
                let wants: Vec<Wants> = dets.iter().map(|(_, d)| d.wants()).collect();
                let (tx, rx) = bounded::<Msg>(queue);
                lanes.push(Lane::new(tx, rx.clone(), &wants));
                let group = Group::new(dets, &input, ev_tx.clone(), guard(), thin);
                let w = std::thread::Builder::new()
                    .name(format!("avqc-detect-{k}"))
                    .spawn_scoped(s, move || run_detectors(group, rx))
                    .map_err(|e| Error::Pipeline(format!("cannot start detector thread {k}: {e}")));
                workers.push((members.clone(), w));
            }
            // The snapshot thread sees pictures like a detector (last lane, after the detectors').
            let snap = snapshots.as_ref().map(|cfg| {
                let (tx, rx) = bounded::<Msg>(queue);
                lanes.push(Lane::new(tx, rx.clone(), &[Wants::VIDEO]));
                let req_rx = req_rx.clone();
                std::thread::Builder::new()
                    .name("avqc-snapshots".into())
                    .spawn_scoped(s, move || {
                        run_snapshots(SnapshotWorker::new(cfg), rx, req_rx)
                    })
            });
            let dec_ev_tx = ev_tx.clone();
            drop(ev_tx);
            let dec_stop = stop.clone();
            let dec_input = input.clone();
            let heartbeat = &heartbeat;
            let limits = &limits;
            let dec = std::thread::Builder::new()
                .name("avqc-decode".into())
                .spawn_scoped(s, move || {
                    run_decoder(
                        &mut *decoder,
                        lanes,
                        inline,
                        dec_ev_tx,
                        DecodeEnv {
                            policy,
                            stop: &dec_stop,
                            input: &dec_input,
                            heartbeat,
                            limits,
                        },
                    )
                });

            // The sink loop: until every sender (decoder and detectors) is gone.
            loop {
                if let Some(ev) = stall.as_mut().and_then(|w| w.check(heartbeat, &input)) {
                    if sink_error.is_none() {
                        defects += u64::from(is_start(&ev));
                        match emit(&mut *sink, &ev) {
                            Ok(()) => events_out += 1,
                            Err(e) => {
                                sink_error = Some(e);
                                stop.stop();
                            }
                        }
                    }
                }
                match ev_rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(ev) => {
                        if sink_error.is_some() {
                            continue; // drain so no thread blocks; the error is returned below
                        }
                        let mut ev = ev;
                        if let Event::Defect(d) = &mut ev {
                            if d.phase == Phase::Start {
                                defects += 1;
                                if let Some(names) = planner
                                    .as_mut()
                                    .and_then(|p| p.plan(d.defect.as_str(), d.start, d.emitted_at))
                                {
                                    d.details
                                        .insert("snapshot".into(), names.frame.clone().into());
                                    if let Some(prev) = &names.previous {
                                        d.details.insert(
                                            "snapshot_previous".into(),
                                            prev.clone().into(),
                                        );
                                    }
                                    let _ = req_tx.send(Request {
                                        start: d.start,
                                        names,
                                    });
                                }
                            }
                        }
                        match emit(&mut *sink, &ev) {
                            Ok(()) => events_out += 1,
                            Err(e) => {
                                sink_error = Some(e);
                                stop.stop();
                            }
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if sink_error.is_none() {
                            if let Err(e) = flush(&mut *sink) {
                                sink_error = Some(e);
                                stop.stop();
                            }
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }

            // A stall still open when the input ends or is stopped ends here.
            if let Some(ev) = stall.as_mut().and_then(|w| w.finish(heartbeat, &input)) {
                if sink_error.is_none() {
                    match emit(&mut *sink, &ev) {
                        Ok(()) => events_out += 1,
                        Err(e) => sink_error = Some(e),
                    }
                }
            }
            drop(req_tx);
            let snap_stats = match snap {
                Some(Ok(h)) => h.join().unwrap_or_default(),
                Some(Err(e)) => {
                    log::warn!("cannot start the snapshot thread: {e}");
                    SnapshotStats::default()
                }
                None => SnapshotStats::default(),
            };
            let (decode_result, stats, inline_reports) = match dec {
                Ok(h) => h.join().unwrap_or_else(|p| {
                    (
                        Err(Error::Read {
                            input: input.to_string(),
                            message: format!("decoder thread panicked: {}", panic_message(&*p)),
                        }),
                        DecodeStats::default(),
                        Vec::new(),
                    )
                }),
                Err(e) => (
                    Err(Error::Pipeline(format!(
                        "cannot start the decoder thread: {e}"
                    ))),
                    DecodeStats::default(),
                    Vec::new(),
                ),
            };
            let mut reports: Vec<DetectorReport> = names
                .iter()
                .map(|n| DetectorReport {
                    name: n.clone(),
                    ..Default::default()
                })
                .collect();
            for (i, rep) in inline_reports {
                reports[i] = rep;
            }
            for (members, w) in workers {
                let got = match w {
                    Ok(h) => h.join().ok(),
                    Err(e) => {
                        for &i in &members {
                            reports[i].panicked = Some(e.to_string());
                        }
                        None
                    }
                };
                for (i, rep) in got.into_iter().flatten() {
                    reports[i] = rep;
                }
            }
            // Items the overload policy dropped, per detector (the snapshot lane is last).
            for (members, lane_dropped) in groups.iter().zip(&stats.dropped) {
                for (&i, &n) in members.iter().zip(lane_dropped) {
                    reports[i].dropped = n;
                }
            }
            (decode_result, stats, reports, snap_stats)
        });

        if sink_error.is_none() {
            if let Err(e) = flush(&mut *sink) {
                sink_error = Some(e);
            }
        }
        let limit_error = detector_limit
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        // The first cause wins: a broken sink, then an exceeded limit (which raised the stop),
        // then the input's own failure, then the stop signal.
        let (ending, error) = match (sink_error, limit_error, decode_result) {
            (Some(e), _, _) => (Ending::SinkFailed(e.to_string()), Some(e)),
            (None, Some(e), _) | (None, None, Err(e @ Error::Limit { .. })) => {
                (Ending::LimitExceeded(e.to_string()), Some(e))
            }
            (None, None, Err(e)) => (Ending::InputFailed(e.to_string()), Some(e)),
            (None, None, Ok(())) if stats.stopped => (Ending::Stopped, None),
            (None, None, Ok(())) => (Ending::EndOfInput, None),
        };

        let detectors = det_reports;
        let media_duration = stats.media_duration();
        let report = Report {
            input: input.to_string(),
            video_frames_decoded: stats.video,
            audio_frames_decoded: stats.audio,
            frames_dropped: stats.dropped.iter().flatten().sum(),
            decode_errors: stats.decode_errors,
            corrupt_packets: stats.corrupt_packets,
            discontinuities: stats.discontinuities,
            events: events_out,
            defects,
            media_duration,
            wall_time: started.elapsed(),
            snapshots_written: snap_stats.written,
            snapshots_failed: snap_stats.failed,
            stalls: stall.map_or(0, |w| w.stalls),
            stopped: stats.stopped,
            ending,
            detectors,
        };
        (report, error.map_or(Ok(()), Err))
    }
}

/// What the detectors that want pictures need from them together (snapshots show pictures as
/// decoded in full).
pub(crate) fn picture_needs(detectors: &[Box<dyn Detector>], snapshots: bool) -> Needs {
    let mut needs = if snapshots { Needs::ALL } else { Needs::NONE };
    for d in detectors.iter().filter(|d| d.wants().video()) {
        needs = needs | d.needs();
    }
    needs
}

fn is_start(ev: &Event) -> bool {
    ev.as_defect().is_some_and(|d| d.phase == Phase::Start)
}

/// Hands an event to the sink; a panicking sink is a failed sink, not a crashed run (the
/// detector and decoder threads must still be drained and joined).
pub(crate) fn emit(sink: &mut dyn Sink, ev: &Event) -> Result<()> {
    catch_unwind(AssertUnwindSafe(|| sink.emit(ev))).unwrap_or_else(|p| Err(sink_panic(sink, &*p)))
}

/// Flushes the sink, a panic being a failure as in [`emit`].
pub(crate) fn flush(sink: &mut dyn Sink) -> Result<()> {
    catch_unwind(AssertUnwindSafe(|| sink.flush())).unwrap_or_else(|p| Err(sink_panic(sink, &*p)))
}

fn sink_panic(sink: &dyn Sink, p: &(dyn Any + Send)) -> Error {
    let _ = sink;
    Error::Sink {
        sink: "sink".into(),
        source: std::io::Error::other(format!("the sink panicked: {}", panic_message(p))),
    }
}

/// What a detector thread needs to enforce [`Limits::max_open_defects`](crate::Limits::max_open_defects).
struct OpenGuard<'a> {
    max_open: usize,
    error: &'a Mutex<Option<Error>>,
    stop: &'a StopSignal,
}

/// What the decoder thread reads besides the decoder and its lanes.
struct DecodeEnv<'a> {
    policy: OverloadPolicy,
    stop: &'a StopSignal,
    input: &'a str,
    heartbeat: &'a Heartbeat,
    limits: &'a Limits,
}

fn run_decoder(
    decoder: &mut dyn Decoder,
    mut lanes: Vec<Lane>,
    mut inline: Option<Group<'_>>,
    ev_tx: Sender<Event>,
    env: DecodeEnv<'_>,
) -> (Result<()>, DecodeStats, Vec<(usize, DetectorReport)>) {
    let DecodeEnv {
        policy,
        stop,
        input,
        heartbeat,
        limits,
    } = env;
    let mut st = DecodeStats::default();
    let mut declared = decoder
        .streams()
        .iter()
        .try_for_each(|s| limits.check_stream(input, s));
    let mut out = Events::new(input, "pipeline");
    let mut last_drop_report = 0u64;
    let mut last_drop_at: Option<MediaTime> = None;
    let result = loop {
        if let Err(e) = std::mem::replace(&mut declared, Ok(())) {
            break Err(e);
        }
        if stop.is_stopped() {
            st.stopped = true;
            break Ok(());
        }
        // A panicking decoder ends the input like a failed one, so the detectors (inline ones
        // too) still close what they opened.
        let next = catch_unwind(AssertUnwindSafe(|| decoder.next())).unwrap_or_else(|p| {
            Err(Error::Read {
                input: input.to_string(),
                message: format!("decoder panicked: {}", panic_message(&*p)),
            })
        });
        let media = match next {
            Ok(Some(m)) => m,
            Ok(None) => {
                // A decoder interrupted by the stop signal (e.g. while pacing) ends quietly.
                st.stopped = stop.is_stopped();
                break Ok(());
            }
            Err(e) => break Err(e),
        };
        let t = media.time();
        match st.observe(&media, limits, input, &mut out) {
            Err(e) => break Err(e),
            Ok(Some(at)) => {
                for lane in &lanes {
                    let _ = lane.tx.send(Msg::Discontinuity(at));
                }
                if let Some(g) = &mut inline {
                    g.feed(&Msg::Discontinuity(at));
                }
            }
            Ok(None) => {}
        }
        if media.kind().is_some() {
            // Only data counts as a sign of life: a reconnecting input still sends notices.
            heartbeat.beat(t);
        }
        for lane in lanes.iter_mut().filter(|l| l.wants.accepts(&media)) {
            send(lane, Msg::Media(media.clone()), policy, stop);
        }
        if let Some(g) = &mut inline {
            g.feed(&Msg::Media(media));
        }
        let dropped: u64 = lanes.iter().map(Lane::dropped).sum();
        if dropped != last_drop_report && last_drop_at.is_none_or(|a| t.secs_since(a) >= 1.0) {
            out.metric("frames_dropped", dropped as f64, t);
            last_drop_report = dropped;
            last_drop_at = Some(t);
        }
        for ev in out.drain() {
            let _ = ev_tx.send(ev);
        }
    };
    let end = st.end.unwrap_or(MediaTime::ZERO);
    let dropped: u64 = lanes.iter().map(Lane::dropped).sum();
    if dropped != last_drop_report {
        out.metric("frames_dropped", dropped as f64, end);
    }
    for ev in out.drain() {
        let _ = ev_tx.send(ev);
    }
    for lane in &lanes {
        let _ = lane.tx.send(Msg::Finish(end));
    }
    let reports = inline.map_or_else(Vec::new, |mut g| {
        g.feed(&Msg::Finish(end));
        g.close()
    });
    st.dropped = lanes
        .iter()
        .map(|l| l.members.iter().map(|m| m.1).collect())
        .collect();
    (result, st, reports)
}

fn send(lane: &mut Lane, msg: Msg, policy: OverloadPolicy, stop: &StopSignal) {
    match policy {
        OverloadPolicy::Block => {
            // A blocked send still notices a stop request, so a stalled detector cannot hang it.
            let mut msg = msg;
            loop {
                match lane.tx.send_timeout(msg, Duration::from_millis(100)) {
                    Ok(()) => return,
                    Err(crossbeam_channel::SendTimeoutError::Timeout(m)) => {
                        if stop.is_stopped() {
                            if let Msg::Media(media) = &m {
                                lane.lost(media);
                            }
                            return;
                        }
                        msg = m;
                    }
                    Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => return,
                }
            }
        }
        OverloadPolicy::DropOldest => {
            let mut msg = msg;
            loop {
                match lane.tx.try_send(msg) {
                    Ok(()) => return,
                    Err(TrySendError::Full(m)) => {
                        msg = m;
                        match lane.rx.try_recv() {
                            Ok(Msg::Media(old)) => lane.lost(&old),
                            // Not a frame: it must still arrive; it goes after this item.
                            Ok(other) => {
                                let _ = lane.tx.send(msg);
                                let _ = lane.tx.send(other);
                                return;
                            }
                            Err(_) => {}
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
        }
    }
}

/// The snapshot thread: keeps pictures, serves the sink side's requests.
fn run_snapshots(
    mut w: SnapshotWorker,
    rx: Receiver<Msg>,
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
                Ok(Msg::Media(Media::Video(f))) => w.frame(&f),
                Ok(Msg::Finish(_)) | Err(_) => {
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

/// Detectors fed in turn on one thread (a detector thread, or the decoder thread when
/// detectors run inline): a panic is isolated to the detector that raised it.
struct Group<'a> {
    members: Vec<Member>,
    ev_tx: Sender<Event>,
    guard: OpenGuard<'a>,
}

/// A detector of a [`Group`], with its index in the pipeline.
struct Member {
    index: usize,
    slot: DetectorSlot,
    /// It sees one picture in `every` ([`thin_pictures`](crate::PipelineBuilder::thin_pictures)
    /// for detectors that need not see each one, else 1); pictures offered so far.
    every: u64,
    offered: u64,
}

impl<'a> Group<'a> {
    fn new(
        dets: Vec<(usize, Box<dyn Detector>)>,
        input: &Arc<str>,
        ev_tx: Sender<Event>,
        guard: OpenGuard<'a>,
        thin: usize,
    ) -> Self {
        let members = dets
            .into_iter()
            .map(|(index, d)| Member {
                index,
                every: if d.needs().every_frame {
                    1
                } else {
                    thin as u64
                },
                offered: 0,
                slot: DetectorSlot::new(d, input, guard.max_open),
            })
            .collect();
        Group {
            members,
            ev_tx,
            guard,
        }
    }

    /// Feeds `msg` to every detector that wants it.
    fn feed(&mut self, msg: &Msg) {
        let ev_tx = &self.ev_tx;
        let mut emit = |ev: Event| {
            let _ = ev_tx.send(ev);
        };
        for Member {
            slot,
            every,
            offered,
            ..
        } in &mut self.members
        {
            if let Msg::Media(Media::Video(_)) = msg {
                *offered += 1;
                if (*offered - 1) % *every != 0 {
                    continue;
                }
            }
            let item = match msg {
                Msg::Media(m) if slot.wants().accepts(m) => Feed::Media(m),
                Msg::Media(_) => continue,
                Msg::Discontinuity(t) => Feed::Discontinuity(*t),
                Msg::Finish(t) => Feed::Finish(*t),
            };
            if let Some(e) = slot.feed(item, &mut emit) {
                let mut error = self.guard.error.lock().unwrap_or_else(|p| p.into_inner());
                if error.is_none() {
                    *error = Some(e);
                }
                self.guard.stop.stop();
            }
        }
    }

    /// Ends what each detector left open; each detector's report with its index.
    fn close(self) -> Vec<(usize, DetectorReport)> {
        let ev_tx = self.ev_tx;
        let mut emit = |ev: Event| {
            let _ = ev_tx.send(ev);
        };
        self.members
            .into_iter()
            .map(|mut m| {
                m.slot.close(&mut emit);
                (m.index, m.slot.rep)
            })
            .collect()
    }
}

/// One detector thread: feeds its group until `Finish` (and keeps draining after a panic, so
/// the decoder never blocks on a dead detector).
fn run_detectors(mut group: Group<'_>, rx: Receiver<Msg>) -> Vec<(usize, DetectorReport)> {
    for msg in rx.iter() {
        group.feed(&msg);
        if matches!(msg, Msg::Finish(_)) {
            break;
        }
    }
    group.close()
}
