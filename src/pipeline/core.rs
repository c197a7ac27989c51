//! The per-stream core: what happens to every item a stream's decoder yields, whoever drives
//! it — a [`Pipeline`](crate::Pipeline)'s decoder thread or a Monitor stream's task on a
//! worker (this module knows nothing of the monitor).
//!
//! It counts and checks each item against the limits ([`DecodeStats`]), tells the detectors of
//! timeline breaks, beats the stall [`Heartbeat`], applies the drop-by-lag rule ([`LagRule`]),
//! hands the item to the detectors it runs itself (a [`DetectorGroup`], with thinning) and to
//! the queues of detector threads ([`Lane`]s), keeps pictures for snapshots taken inline, and
//! at the end finishes everything so that every defect start gets its end. The driver reads
//! the items, measures the lag, decides when to stop and where the events go.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::group::{DetectorGroup, Order};
use super::item::Item;
use super::lane::Lane;
use super::stall::{Heartbeat, StallWatch};
use super::tally::DecodeStats;
use super::{DetectorReport, OverloadPolicy};
use crate::detect::{Detector, Events};
use crate::error::{Error, Result};
use crate::event::{DefectKind, Event, Phase};
use crate::limits::Limits;
use crate::media::{Media, MediaTime, Needs, StreamInfo};
use crate::snapshot::{InlineSnapshots, SnapshotConfig};

/// Why [`StreamCore::feed`] asks its driver to end the stream.
pub(crate) enum Halt {
    /// The item broke a limit of the input (the input's error).
    Input(Error),
    /// A detector holds more defects open than allowed.
    Detector(Error),
}

/// The drop-by-lag rule of [`OverloadPolicy::DropOldest`]: a picture or block of sound that
/// reaches the detectors more than `max` seconds after it was read is not analysed (notices
/// always are). Shared by a Monitor's tasks and a Pipeline's detector threads.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LagRule {
    max: Option<f64>,
}

impl LagRule {
    /// Drops above `max_lag` seconds under `DropOldest`; never under `Block` or without `max_lag`.
    pub(crate) fn new(policy: OverloadPolicy, max_lag: Option<f64>) -> Self {
        LagRule {
            max: max_lag.filter(|_| policy == OverloadPolicy::DropOldest),
        }
    }

    /// Whether `media`, `lag` seconds late, is dropped.
    pub(crate) fn drops(self, media: &Media, lag: f64) -> bool {
        self.max.is_some_and(|m| lag > m) && media.kind().is_some()
    }

    /// Whether `media`, queued at `queued`, is dropped now (the clock is read only when
    /// the rule is on).
    pub(crate) fn drops_queued(self, media: &Media, queued: Instant) -> bool {
        self.max.is_some() && self.drops(media, queued.elapsed().as_secs_f64())
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

/// What a finished core leaves.
pub(crate) struct CoreEnd {
    /// The reports of the detectors it ran itself, with their indexes.
    pub(crate) reports: Vec<(usize, DetectorReport)>,
    /// A limit error raised while finishing.
    pub(crate) limit: Option<Error>,
}

/// Where the core's events go: detectors' events get their snapshot first.
struct Emitter {
    ev_tx: Sender<Event>,
    snapshots: Option<InlineSnapshots>,
    /// The last defect started (kind, start).
    last_start: Option<(DefectKind, MediaTime)>,
    /// Defects started per track: (stream index, count).
    track_defects: Vec<(usize, u64)>,
}

impl Emitter {
    fn detector_event(&mut self, mut ev: Event) {
        if let Some(s) = &mut self.snapshots {
            s.event(&mut ev);
        }
        self.send(ev);
    }

    fn send(&mut self, ev: Event) {
        if let Event::Defect(d) = &ev {
            if d.phase == Phase::Start {
                self.last_start = Some((d.defect.clone(), d.start));
                if let Some(t) = d.track {
                    super::tally::count(&mut self.track_defects, t);
                }
            }
        }
        let _ = self.ev_tx.send(ev);
    }
}

/// One stream's core (see the [module docs](self)).
pub(crate) struct StreamCore {
    input: Arc<str>,
    /// `pipeline` or `monitor`: the `detector` field of the core's own events.
    driver: &'static str,
    limits: Limits,
    order: Order,
    stats: DecodeStats,
    /// The core's own notices (detector `pipeline` or `monitor`).
    out: Events,
    emitter: Emitter,
    local: Option<DetectorGroup>,
    lanes: Vec<Lane>,
    heartbeat: Option<Arc<Heartbeat>>,
    watch: Option<StallWatch>,
    lag_rule: LagRule,
    lag: f64,
    /// Items not analysed for lag.
    lag_dropped: u64,
    /// Of those, per detector that wanted them.
    lag_lost: u64,
    /// Detectors of its own that had panicked when it finished.
    panicked_at_end: usize,
}

impl StreamCore {
    /// A core for input `input` whose own notices are signed `driver`; events go to `ev_tx`.
    pub(crate) fn new(
        input: &Arc<str>,
        driver: &'static str,
        order: Order,
        limits: Limits,
        ev_tx: Sender<Event>,
    ) -> Self {
        StreamCore {
            input: input.clone(),
            driver,
            limits,
            order,
            stats: DecodeStats::default(),
            out: Events::new(input, driver),
            emitter: Emitter {
                ev_tx,
                snapshots: None,
                last_start: None,
                track_defects: Vec::new(),
            },
            local: None,
            lanes: Vec::new(),
            heartbeat: None,
            watch: None,
            lag_rule: LagRule::default(),
            lag: 0.0,
            lag_dropped: 0,
            lag_lost: 0,
            panicked_at_end: 0,
        }
    }

    /// Runs `group` on the driver's thread.
    pub(crate) fn with_group(mut self, group: DetectorGroup) -> Self {
        self.local = Some(group);
        self
    }

    /// Also hands items to these queues (detector threads; the snapshot thread last).
    pub(crate) fn with_lanes(mut self, lanes: Vec<Lane>) -> Self {
        self.lanes = lanes;
        self
    }

    /// Takes snapshots itself, of the pictures its own detectors see.
    pub(crate) fn with_snapshots(mut self, cfg: &SnapshotConfig) -> Self {
        self.emitter.snapshots = Some(InlineSnapshots::new(cfg, &self.input));
        self
    }

    /// Beats `heartbeat` on every picture and block of sound (a watch elsewhere reads it).
    pub(super) fn with_heartbeat(mut self, heartbeat: Arc<Heartbeat>) -> Self {
        self.heartbeat = Some(heartbeat);
        self
    }

    /// Watches for stalls itself (see [`tick`](Self::tick)): `input_stall` (signed with the
    /// driver's name) after `timeout` of wall time without data.
    pub(crate) fn with_stall_watch(mut self, timeout: Duration) -> Self {
        self.heartbeat = Some(Arc::new(Heartbeat::new(Some(timeout))));
        self.watch = Some(StallWatch::new(timeout, self.driver));
        self
    }

    /// Drops items for lag by `rule` (the lag is set by [`set_lag`](Self::set_lag)).
    pub(crate) fn with_lag_rule(mut self, rule: LagRule) -> Self {
        self.lag_rule = rule;
        self
    }

    /// Checks the input's declared streams against the limits.
    pub(crate) fn check_streams(&self, streams: &[StreamInfo]) -> Result<()> {
        streams
            .iter()
            .try_for_each(|s| self.limits.check_stream(&self.input, s))
    }

    /// How late the next items are analysed, in seconds (for the [`LagRule`]).
    pub(crate) fn set_lag(&mut self, lag: f64) {
        self.lag = lag;
    }

    /// What came out of the decoder so far.
    pub(crate) fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// What came out of the decoder, for the report.
    pub(crate) fn into_stats(self) -> DecodeStats {
        self.stats
    }

    /// Marks the input as stopped by the stop signal.
    pub(crate) fn set_stopped(&mut self, stopped: bool) {
        self.stats.stopped = stopped;
    }

    /// Items not analysed because they came too late.
    pub(crate) fn lag_dropped(&self) -> u64 {
        self.lag_dropped
    }

    /// Items lost to the overload policy, counted once per detector that wanted them (queues
    /// included).
    pub(crate) fn dropped(&self) -> u64 {
        self.lanes.iter().map(Lane::dropped).sum::<u64>() + self.lag_lost
    }

    /// Detectors of its own that panicked.
    pub(crate) fn panicked(&self) -> usize {
        self.local
            .as_ref()
            .map_or(self.panicked_at_end, DetectorGroup::panicked)
    }

    /// The last defect started on this stream.
    pub(crate) fn last_start(&self) -> Option<&(DefectKind, MediaTime)> {
        self.emitter.last_start.as_ref()
    }

    /// Defects started per track so far: (stream index, count).
    pub(crate) fn track_defects(&self) -> &[(usize, u64)] {
        &self.emitter.track_defects
    }

    /// Emits a notice of the core's own.
    pub(crate) fn notice(&mut self, name: &'static str, message: String, at: MediaTime) {
        self.out.notice(name, message, at);
        self.flush();
    }

    /// Emits a metric of the core's own.
    pub(crate) fn metric(&mut self, name: &'static str, value: f64, at: MediaTime) {
        self.out.metric(name, value, at);
        self.flush();
    }

    fn flush(&mut self) {
        for ev in self.out.drain() {
            self.emitter.send(ev);
        }
    }

    /// Reduces its own detectors' analysis or restores it (see
    /// [`DetectorGroup::set_reduced`]) at the media time reached. An open-defect limit hit by
    /// the discontinuities is logged; the next item meets it again.
    pub(crate) fn set_reduced(&mut self, on: bool, thin: usize) {
        let at = self.stats.end.unwrap_or(MediaTime::ZERO);
        let emitter = &mut self.emitter;
        if let Some(group) = self.local.as_mut() {
            if let Some(e) = group.set_reduced(on, thin, at, &mut |ev| emitter.detector_event(ev)) {
                log::warn!("{e}");
            }
        }
    }

    /// Feeds its own detectors; the first limit error.
    fn feed_local(&mut self, item: &Item) -> Option<Error> {
        let emitter = &mut self.emitter;
        let group = self.local.as_mut()?;
        group.feed(item, &mut |ev| emitter.detector_event(ev))
    }

    /// One item the decoder yielded, read at `arrived`.
    pub(crate) fn feed(&mut self, media: Media, arrived: Instant) -> std::result::Result<(), Halt> {
        let t = media.time();
        let observed = self
            .stats
            .observe(&media, &self.limits, &self.input, &mut self.out);
        let disc = observed.map_err(Halt::Input)?;
        if self.order == Order::Monitor {
            self.flush();
        }
        let mut limit = None;
        if let Some(at) = disc {
            for lane in &self.lanes {
                lane.send_now(Item::Discontinuity(at));
            }
            limit = self.feed_local(&Item::Discontinuity(at));
            if self.order == Order::Monitor {
                if let Some(e) = limit {
                    return Err(Halt::Detector(e));
                }
            }
        }
        if media.kind().is_some() {
            // Only data counts as a sign of life: a reconnecting input still sends notices.
            if let Some(hb) = &self.heartbeat {
                hb.beat(t, arrived);
            }
            self.tick();
        }
        if self.lag_rule.drops(&media, self.lag) {
            self.lag_dropped += 1;
            self.lag_lost += self.local.as_mut().map_or(0, |g| g.lost(&media));
        } else {
            for lane in self.lanes.iter_mut().filter(|l| l.wants().accepts(&media)) {
                lane.offer(arrived, media.clone());
            }
            if let (Some(s), Media::Video(f)) = (&mut self.emitter.snapshots, &media) {
                s.frame(f);
            }
            let item = Item::Media(media);
            if let Some(e) = self.feed_local(&item) {
                limit.get_or_insert(e);
            }
        }
        if self.order == Order::Pipeline {
            self.flush();
        }
        limit.map_or(Ok(()), |e| Err(Halt::Detector(e)))
    }

    /// Checks for a stall (with a watch of its own): an `input_stall` start once no data came
    /// for the timeout, its end once data came again.
    pub(crate) fn tick(&mut self) {
        if let (Some(w), Some(hb)) = (&mut self.watch, &self.heartbeat) {
            if let Some(ev) = w.check(hb, &self.input) {
                self.emitter.send(ev);
            }
        }
    }

    /// When [`tick`](Self::tick) should run next if nothing arrives: the instant a stall
    /// starts (`None` without a watch of its own, or while a stall is open).
    pub(crate) fn stall_deadline(&self) -> Option<Instant> {
        match (&self.watch, &self.heartbeat) {
            (Some(w), Some(hb)) if !w.is_open() => hb.deadline(),
            _ => None,
        }
    }

    /// The input ended (or the driver ends it): the queues and the detectors get the end,
    /// every defect start gets its end, snapshots still asked for are written.
    pub(crate) fn finish(&mut self) -> CoreEnd {
        let end = self.stats.end.unwrap_or(MediaTime::ZERO);
        self.flush();
        for lane in &self.lanes {
            lane.send_now(Item::Finish(end));
        }
        let (reports, limit) = match self.local.take() {
            Some(g) => {
                let emitter = &mut self.emitter;
                g.finish(end, &mut |ev| emitter.detector_event(ev))
            }
            None => (Vec::new(), None),
        };
        self.panicked_at_end = reports.iter().filter(|(_, r)| r.panicked.is_some()).count();
        if let Some(s) = &mut self.emitter.snapshots {
            let st = s.finish();
            log::debug!(
                "`{}`: {} snapshot files written, {} failed",
                self.input,
                st.written,
                st.failed
            );
        }
        if let (Some(w), Some(hb)) = (&mut self.watch, &self.heartbeat) {
            if let Some(ev) = w.finish(hb, &self.input) {
                self.emitter.send(ev);
            }
        }
        self.stats.dropped = self.lanes.iter().map(Lane::member_drops).collect();
        CoreEnd { reports, limit }
    }
}
