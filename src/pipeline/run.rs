//! Running a pipeline: decoder thread, one thread per detector, sink on the caller's thread.

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
    Decoder, Detector, Error, Event, Events, Limits, Media, MediaTime, Result, Sink, StopSignal,
    Wants,
};

/// What the decoder thread sends a detector thread (moved by value: no allocation per item).
#[allow(clippy::large_enum_variant)]
enum Msg {
    Media(Media),
    Discontinuity(MediaTime),
    Finish(MediaTime),
}

struct Lane {
    tx: Sender<Msg>,
    /// A receiver clone, so the decoder can drop the oldest item under [`OverloadPolicy::DropOldest`].
    rx: Receiver<Msg>,
    wants: crate::Wants,
    dropped: u64,
}

impl Pipeline {
    /// Runs the pipeline to the end of the input (or until stopped) on the calling thread plus
    /// one decoder thread and one thread per detector; returns the report.
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
            snapshots,
            stall_timeout,
            limits,
        } = self;
        let started = Instant::now();
        decoder.set_stop_signal(stop.clone());
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
            let mut lanes = Vec::with_capacity(detectors.len());
            let mut workers = Vec::with_capacity(detectors.len());
            for det in detectors {
                let (tx, rx) = bounded::<Msg>(queue);
                lanes.push(Lane {
                    tx,
                    rx: rx.clone(),
                    wants: det.wants(),
                    dropped: 0,
                });
                let ev_tx = ev_tx.clone();
                let input = input.clone();
                let name = det.name().to_string();
                let guard = OpenGuard {
                    max_open: limits.max_open_defects,
                    error: &detector_limit,
                    stop: &stop,
                };
                let w = std::thread::Builder::new()
                    .name(format!("avqc-{name}"))
                    .spawn_scoped(s, move || run_detector(det, rx, ev_tx, &input, guard))
                    .map_err(|e| {
                        Error::Pipeline(format!("cannot start a thread for detector `{name}`: {e}"))
                    });
                workers.push(w);
            }
            // The snapshot thread sees pictures like a detector (last lane, after the detectors').
            let snap = snapshots.as_ref().map(|cfg| {
                let (tx, rx) = bounded::<Msg>(queue);
                lanes.push(Lane {
                    tx,
                    rx: rx.clone(),
                    wants: Wants::VIDEO,
                    dropped: 0,
                });
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
            let (decode_result, stats) = match dec {
                Ok(h) => h.join().unwrap_or_else(|p| {
                    (
                        Err(Error::Read {
                            input: input.to_string(),
                            message: format!("decoder panicked: {}", panic_message(&*p)),
                        }),
                        DecodeStats::default(),
                    )
                }),
                Err(e) => (
                    Err(Error::Pipeline(format!(
                        "cannot start the decoder thread: {e}"
                    ))),
                    DecodeStats::default(),
                ),
            };
            let mut reports = Vec::with_capacity(workers.len());
            for w in workers {
                match w {
                    Ok(h) => reports.push(h.join().unwrap_or_default()),
                    Err(e) => reports.push(DetectorReport {
                        panicked: Some(e.to_string()),
                        ..Default::default()
                    }),
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

        let mut detectors = det_reports;
        // Lanes are the detectors' in order, then the snapshot thread's (not a detector).
        for (d, dropped) in detectors.iter_mut().zip(&stats.dropped) {
            d.dropped = *dropped;
        }
        let media_duration = stats.media_duration();
        let report = Report {
            input: input.to_string(),
            video_frames_decoded: stats.video,
            audio_frames_decoded: stats.audio,
            frames_dropped: stats.dropped.iter().sum(),
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
    ev_tx: Sender<Event>,
    env: DecodeEnv<'_>,
) -> (Result<()>, DecodeStats) {
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
        let media = match decoder.next() {
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
        let dropped: u64 = lanes.iter().map(|l| l.dropped).sum();
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
    let dropped: u64 = lanes.iter().map(|l| l.dropped).sum();
    if dropped != last_drop_report {
        out.metric("frames_dropped", dropped as f64, end);
    }
    for ev in out.drain() {
        let _ = ev_tx.send(ev);
    }
    for lane in &lanes {
        let _ = lane.tx.send(Msg::Finish(end));
    }
    st.dropped = lanes.iter().map(|l| l.dropped).collect();
    (result, st)
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
                            lane.dropped += 1;
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
                            Ok(Msg::Media(_)) => lane.dropped += 1,
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

/// One detector's thread: feeds it, forwards its events, isolates a panic.
fn run_detector(
    det: Box<dyn Detector>,
    rx: Receiver<Msg>,
    ev_tx: Sender<Event>,
    input: &Arc<str>,
    guard: OpenGuard<'_>,
) -> DetectorReport {
    let mut slot = DetectorSlot::new(det, input, guard.max_open);
    let mut emit = |ev: Event| {
        let _ = ev_tx.send(ev);
    };
    // Keeps draining after a panic, so the decoder never blocks on a dead detector.
    for msg in rx.iter() {
        let (item, last) = match &msg {
            Msg::Media(m) => (Feed::Media(m), false),
            Msg::Discontinuity(t) => (Feed::Discontinuity(*t), false),
            Msg::Finish(t) => (Feed::Finish(*t), true),
        };
        if let Some(e) = slot.feed(item, &mut emit) {
            let mut error = guard.error.lock().unwrap_or_else(|p| p.into_inner());
            if error.is_none() {
                *error = Some(e);
            }
            guard.stop.stop();
        }
        if last {
            break;
        }
    }
    slot.close(&mut emit);
    slot.rep
}
