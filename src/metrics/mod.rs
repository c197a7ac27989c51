//! Metrics for Prometheus: a registry of per-stream gauges and counters, fed by the event
//! stream (it is a [`Sink`]), by the [`Monitor`](crate::monitor::Monitor)'s health, by a
//! [`Pipeline`](crate::Pipeline)'s [`Report`] and by [`QueuedSink`](crate::sink::QueuedSink)
//! counts, rendered in the Prometheus text exposition format (version 0.0.4) for a
//! `/metrics` endpoint (`examples/metrics_server.rs` serves one).
//!
//! Families (every series has a `stream` label; a series of a family about one stream of the
//! input's media gets a `track` label, the stream index, when its event carries a track — so
//! the loudness of two audio tracks makes two series):
//!
//! | family | type | labels | from |
//! | --- | --- | --- | --- |
//! | `avqc_defects_total` | counter | `track`, `defect` | defect start events |
//! | `avqc_defects_open` | gauge | `track`, `defect` | defect start minus end events |
//! | `avqc_events_total` | counter | `kind` | every event |
//! | `avqc_notices_total` | counter | `name` | notice events |
//! | `avqc_stream_state` | gauge | `state` | health, report (1 for the current state) |
//! | `avqc_stream_lag_seconds`, `avqc_stream_max_lag_seconds` | gauge | | health |
//! | `avqc_stream_fps` | gauge | | health, `stream_fps` |
//! | `avqc_stream_queued_bytes`, `avqc_stream_queued_items` | gauge | | health |
//! | `avqc_stream_idle_seconds`, `avqc_stream_media_seconds` | gauge | | health, report |
//! | `avqc_video_frames_total`, `avqc_audio_frames_total` | counter | | health, report |
//! | `avqc_decode_errors_total` | counter | | health, report |
//! | `avqc_frames_dropped_total` | counter | | health, report, `frames_dropped` |
//! | `avqc_detectors_panicked` | gauge | | health |
//! | `avqc_loudness_{momentary,short_term,integrated}_lufs`, `avqc_loudness_range_lu`, `avqc_true_peak_dbtp` | gauge | `track` | loudness metrics |
//! | `avqc_av_offset_seconds`, `avqc_av_offset_confidence` | gauge | `track`, `detector` | sync metrics |
//! | `avqc_sink_events_{delivered,retried,failed,dropped,unsent}_total`, `avqc_sink_queue_length` | counter, gauge | `sink` (no `stream`) | queued sinks |
//! | `avqc_metric` | gauge | `track`, `detector`, `name` | any other metric event (e.g. `track_sync`'s `track_offset_ms`) |
//! | `avqc_track_info` | gauge | `track`, `language` | any event with a track, health, report (always 1) |
//! | `avqc_track_frames_total` | counter | `track` | health, report |
//! | `avqc_stream_degraded`, `avqc_stream_cost_cores`, `avqc_stream_priority` | gauge | | health |
//! | `avqc_capacity_{budget,used,headroom,other}_cores` | gauge | (no `stream`) | [`observe_capacity`](Metrics::observe_capacity) |
//! | `avqc_capacity_profile_cost_cores`, `avqc_capacity_profile_fits` | gauge | `profile` (no `stream`) | [`observe_capacity`](Metrics::observe_capacity) |
//!
//! (`track` only where the event has one.) The language is not a label of the measurement
//! families: it follows from `stream` and `track`, and a tag that arrives late or changes
//! would split a series in two. Join it in when needed:
//! `avqc_loudness_integrated_lufs * on(stream, track) group_left(language) avqc_track_info`.
//!
//! ```
//! use avqc::metrics::Metrics;
//! use avqc::{Pipeline, FrameSource, Media, MediaTime, PixelFormat, StreamInfo, VideoFrame, Registry};
//!
//! // 3 s of a picture that never changes: one freeze
//! let frames = (0..75).map(|i| Media::Video(VideoFrame::filled(
//!     64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(i as f64 / 25.0), [120, 128, 128])
//!     .with_duration(Some(0.04))));
//! let source = FrameSource::new("still", vec![StreamInfo::video(0, "raw", 64, 36, None)], frames);
//! let metrics = Metrics::new();
//! let report = Pipeline::builder()
//!     .decoder(source)
//!     .detectors(Registry::builtin().build_names(&["freeze"])?)
//!     .sink(metrics.clone())
//!     .build()?
//!     .run()?;
//! metrics.observe_report(&report);
//! let text = metrics.render();
//! assert!(text.contains("# TYPE avqc_defects_total counter\n"));
//! assert!(text.contains("avqc_defects_total{stream=\"still\",track=\"0\",defect=\"video_freeze\"} 1\n"));
//! assert!(text.contains("avqc_defects_open{stream=\"still\",track=\"0\",defect=\"video_freeze\"} 0\n"));
//! assert!(text.contains("avqc_video_frames_total{stream=\"still\"} 75\n"));
//! # Ok::<(), avqc::Error>(())
//! ```

mod families;
mod store;
mod text;

pub use text::{escape_label_value, format_value, MetricKind, CONTENT_TYPE};

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use families as f;
use store::{Labels, Store};

use crate::error::Result;
use crate::event::{Event, Phase};
use crate::monitor::{Capacity, StreamHealth, StreamState};
use crate::pipeline::{Ending, Report, TrackReport};
use crate::sink::{QueueStats, Sink};

const STATES: [StreamState; 5] = [
    StreamState::Connecting,
    StreamState::Running,
    StreamState::Stalled,
    StreamState::Ended,
    StreamState::Failed,
];

/// The metrics registry: clones share it, so give one clone to the pipeline or monitor as
/// its sink (or inside a `Vec` of sinks) and keep another to [`render`](Self::render) on
/// each scrape. See the [module docs](self) for the families.
///
/// ```
/// use avqc::metrics::Metrics;
/// use avqc::{event::MetricEvent, Event, MediaTime, Sink};
/// let metrics = Metrics::new();
/// let mut sink = metrics.clone();
/// sink.emit(&Event::Metric(MetricEvent { stream: "cam1".into(), detector: "loudness".into(),
///     name: "integrated_lufs".into(), value: -23.1, at: MediaTime::ZERO, track: None, language: None }))?;
/// assert_eq!(metrics.value("avqc_loudness_integrated_lufs", &[("stream", "cam1")]), Some(-23.1));
/// assert!(metrics.render().contains("avqc_loudness_integrated_lufs{stream=\"cam1\"} -23.1\n"));
/// # Ok::<(), avqc::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    store: Store,
    queues: Vec<(String, QueueStats)>,
}

fn stream_labels(stream: &str) -> Labels {
    vec![("stream", stream.to_string())]
}

/// `base` with a `track` label when there is a track.
fn on_track(base: &Labels, track: Option<&str>) -> Labels {
    match track {
        Some(t) => with(base.clone(), "track", t),
        None => base.clone(),
    }
}

/// A `track` a detector put in a defect's details (before events carried their own).
fn detail_track(details: &crate::event::Details) -> Option<String> {
    match details.get("track")? {
        serde_json::Value::String(t) => Some(t.clone()),
        serde_json::Value::Number(t) => Some(t.to_string()),
        _ => None,
    }
}

/// The track an event is about and its language (`""` when unknown).
fn event_track(event: &Event) -> (Option<usize>, &str) {
    let (track, language) = match event {
        Event::Defect(d) => (d.track, d.language.as_deref()),
        Event::Metric(m) => (m.track, m.language.as_deref()),
        Event::Notice(n) => (n.track, n.language.as_deref()),
        Event::Cue(_) => (None, None),
    };
    (track, language.unwrap_or(""))
}

fn with(mut labels: Labels, key: &'static str, value: &str) -> Labels {
    labels.push((key, value.to_string()));
    labels
}

impl Metrics {
    /// An empty registry.
    ///
    /// ```
    /// let m = avqc::Metrics::new();
    /// assert_eq!(m.render(), "");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one event (what the [`Sink`] implementation does).
    ///
    /// ```
    /// use avqc::metrics::Metrics;
    /// use avqc::{event::NoticeEvent, Event, MediaTime};
    /// let m = Metrics::new();
    /// m.observe(&Event::Notice(NoticeEvent { stream: "a".into(), detector: "decoder".into(),
    ///     name: "discontinuity".into(), message: String::new(), at: MediaTime::ZERO, track: None, language: None }));
    /// assert_eq!(m.value("avqc_notices_total", &[("stream", "a"), ("name", "discontinuity")]), Some(1.0));
    /// ```
    pub fn observe(&self, event: &Event) {
        let mut inner = self.lock();
        let store = &mut inner.store;
        let base = stream_labels(event.stream());
        let kind = match event {
            Event::Defect(d) => {
                let track = d
                    .track
                    .map(|t| t.to_string())
                    .or_else(|| detail_track(&d.details));
                let labels = on_track(&base, track.as_deref());
                let labels = with(labels, "defect", d.defect.as_str());
                match d.phase {
                    Phase::Start => {
                        store.inc(f::DEFECTS_TOTAL, labels.clone(), 1.0);
                        store.add_gauge(f::DEFECTS_OPEN, labels, 1.0);
                    }
                    Phase::End => store.add_gauge(f::DEFECTS_OPEN, labels, -1.0),
                }
                "defect"
            }
            Event::Metric(m) => {
                let track = m.track.map(|t| t.to_string());
                match f::family_of_metric(&m.name) {
                    Some((family, scale)) => {
                        let value = m.value * scale;
                        match family {
                            f::FRAMES_DROPPED => store.total(family, base.clone(), value),
                            f::AV_OFFSET | f::AV_CONFIDENCE => {
                                let labels = on_track(&base, track.as_deref());
                                store.set(family, with(labels, "detector", &m.detector), value)
                            }
                            _ if f::is_per_track(family) => {
                                store.set(family, on_track(&base, track.as_deref()), value)
                            }
                            _ => store.set(family, base.clone(), value),
                        }
                    }
                    None => {
                        let labels = on_track(&base, track.as_deref());
                        let labels = with(with(labels, "detector", &m.detector), "name", &m.name);
                        store.set(f::OTHER, labels, m.value);
                    }
                }
                "metric"
            }
            Event::Notice(n) => {
                store.inc(f::NOTICES_TOTAL, with(base.clone(), "name", &n.name), 1.0);
                "notice"
            }
            Event::Cue(_) => "cue",
        };
        if let (Some(track), language) = event_track(event) {
            let labels = with(
                with(base.clone(), "track", &track.to_string()),
                "language",
                language,
            );
            store.set(f::TRACK_INFO, labels, 1.0);
        }
        store.inc(f::EVENTS_TOTAL, with(base, "kind", kind), 1.0);
    }

    /// Takes a stream's health from a [`Monitor`](crate::monitor::Monitor) (call it before
    /// each render with every stream of [`Monitor::health`](crate::monitor::Monitor::health)).
    ///
    /// ```
    /// use avqc::metrics::Metrics;
    /// use avqc::monitor::{Monitor, StreamSpec};
    /// use avqc::{FrameSource, Media, MediaTime, PixelFormat, StreamInfo, VideoFrame};
    /// let metrics = Metrics::new();
    /// let monitor = Monitor::builder().workers(1).sink(metrics.clone()).build()?;
    /// let frames = (0..25).map(|i| Media::Video(VideoFrame::filled(
    ///     64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(i as f64 / 25.0), [120, 128, 128])
    ///     .with_duration(Some(0.04))));
    /// monitor.add(StreamSpec::decoder("cam1", FrameSource::new("cam1",
    ///     vec![StreamInfo::video(0, "raw", 64, 36, None)], frames)))?;
    /// for h in monitor.finish()? {
    ///     metrics.observe_health(&h);
    /// }
    /// assert_eq!(metrics.value("avqc_video_frames_total", &[("stream", "cam1")]), Some(25.0));
    /// assert_eq!(metrics.value("avqc_stream_state", &[("stream", "cam1"), ("state", "ended")]), Some(1.0));
    /// assert_eq!(metrics.value("avqc_stream_state", &[("stream", "cam1"), ("state", "running")]), Some(0.0));
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn observe_health(&self, h: &StreamHealth) {
        let mut inner = self.lock();
        let s = &mut inner.store;
        let base = stream_labels(&h.id);
        set_state(s, &base, h.state);
        s.set(f::LAG, base.clone(), h.lag_secs);
        s.set(f::MAX_LAG, base.clone(), h.max_lag_secs);
        s.set(f::FPS, base.clone(), h.fps);
        s.set(f::QUEUED_BYTES, base.clone(), h.queued_bytes as f64);
        s.set(f::QUEUED_ITEMS, base.clone(), h.queued as f64);
        s.set(f::IDLE, base.clone(), h.idle_secs);
        s.set(f::MEDIA, base.clone(), h.media_secs);
        s.set(f::PANICKED, base.clone(), h.detectors_panicked as f64);
        s.total(f::VIDEO_FRAMES, base.clone(), h.video_frames as f64);
        s.total(f::AUDIO_FRAMES, base.clone(), h.audio_frames as f64);
        s.total(f::DECODE_ERRORS, base.clone(), h.decode_errors as f64);
        s.total(f::FRAMES_DROPPED, base.clone(), h.dropped as f64);
        s.set(f::DEGRADED, base.clone(), f64::from(h.degradation));
        s.set(f::PRIORITY, base.clone(), f64::from(h.priority));
        if let Some(c) = h.cost_cores {
            s.set(f::COST, base.clone(), c);
        }
        set_tracks(s, &base, &h.tracks);
    }

    /// Takes a [`Monitor`](crate::monitor::Monitor)'s [`Capacity`] (call it before each
    /// render): budget, used and headroom cores, and per profile (label `profile`, no
    /// `stream`) the cost of a stream and how many more fit.
    ///
    /// ```
    /// use avqc::metrics::Metrics;
    /// use avqc::monitor::{Monitor, MonitorConfig};
    /// use avqc::sink::Collect;
    /// let config = MonitorConfig { cores: 1.0, measure_other_load: false, ..MonitorConfig::default() };
    /// let monitor = Monitor::builder().config(config).sink(Collect::new()).build()?;
    /// let metrics = Metrics::new();
    /// metrics.observe_capacity(&monitor.capacity());
    /// assert_eq!(metrics.value("avqc_capacity_headroom_cores", &[]), Some(0.8));
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn observe_capacity(&self, c: &Capacity) {
        let mut inner = self.lock();
        let s = &mut inner.store;
        s.set(f::CAP_BUDGET, Vec::new(), c.budget_cores);
        s.set(f::CAP_USED, Vec::new(), c.used_cores);
        s.set(f::CAP_HEADROOM, Vec::new(), c.headroom_cores);
        s.set(f::CAP_OTHERS, Vec::new(), c.other_cores);
        for p in &c.profiles {
            let l = vec![("profile", p.name.clone())];
            s.set(f::CAP_PROFILE_COST, l.clone(), p.cost_cores);
            s.set(f::CAP_PROFILE_FITS, l, p.fits.min(1 << 30) as f64);
        }
    }

    /// Takes the summary of a finished [`Pipeline`](crate::Pipeline) run (the
    /// [module docs](self) show a whole run); the stream is the report's `input`.
    ///
    /// ```
    /// use avqc::{pipeline::Ending, Metrics, Report};
    /// let mut report = Report::default();
    /// report.input = "a.ts".into();
    /// report.video_frames_decoded = 250;
    /// report.ending = Ending::InputFailed("gone".into());
    /// let m = Metrics::new();
    /// m.observe_report(&report);
    /// assert_eq!(m.value("avqc_video_frames_total", &[("stream", "a.ts")]), Some(250.0));
    /// assert_eq!(m.value("avqc_stream_state", &[("stream", "a.ts"), ("state", "failed")]), Some(1.0));
    /// ```
    pub fn observe_report(&self, r: &Report) {
        let mut inner = self.lock();
        let s = &mut inner.store;
        let base = stream_labels(&r.input);
        let state = match r.ending {
            Ending::EndOfInput | Ending::Stopped | Ending::Shed(_) => StreamState::Ended,
            _ => StreamState::Failed,
        };
        set_state(s, &base, state);
        s.set(f::MEDIA, base.clone(), r.media_duration);
        s.total(f::VIDEO_FRAMES, base.clone(), r.video_frames_decoded as f64);
        s.total(f::AUDIO_FRAMES, base.clone(), r.audio_frames_decoded as f64);
        s.total(
            f::DECODE_ERRORS,
            base.clone(),
            (r.decode_errors + r.corrupt_packets) as f64,
        );
        s.total(f::FRAMES_DROPPED, base.clone(), r.frames_dropped as f64);
        set_tracks(s, &base, &r.tracks);
    }

    /// Exports the counts of a [`QueuedSink`](crate::sink::QueuedSink) under the label
    /// `sink="<name>"`, read at each render.
    ///
    /// ```
    /// use avqc::metrics::Metrics;
    /// use avqc::sink::{Collect, QueueConfig, QueuedSink};
    /// let sink = QueuedSink::new(Collect::new(), QueueConfig::default())?;
    /// let metrics = Metrics::new();
    /// metrics.watch_queue("archive", sink.stats());
    /// assert!(metrics.render().contains("avqc_sink_events_dropped_total{sink=\"archive\"} 0\n"));
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn watch_queue(&self, sink: impl Into<String>, stats: QueueStats) {
        self.lock().queues.push((sink.into(), stats));
    }

    /// Drops every series of a stream (one removed for good), so it is no longer exported.
    ///
    /// ```
    /// use avqc::metrics::Metrics;
    /// use avqc::{event::MetricEvent, Event, MediaTime};
    /// let m = Metrics::new();
    /// m.observe(&Event::Metric(MetricEvent { stream: "old".into(), detector: "d".into(),
    ///     name: "x".into(), value: 1.0, at: MediaTime::ZERO, track: None, language: None }));
    /// m.forget_stream("old");
    /// assert!(!m.render().contains("old"));
    /// ```
    pub fn forget_stream(&self, stream: &str) {
        self.lock().store.forget(stream);
    }

    /// The value of one series: the family's name and the labels, all of them, in order
    /// (`stream` first, then `track` if any, then the family's own); `None` if there is no
    /// such series.
    ///
    /// ```
    /// use avqc::metrics::Metrics;
    /// assert_eq!(Metrics::new().value("avqc_defects_total", &[("stream", "a"), ("defect", "video_black")]), None);
    /// ```
    pub fn value(&self, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.refresh_queues();
        self.lock().store.get(family, labels)
    }

    fn refresh_queues(&self) {
        let mut inner = self.lock();
        let Inner { store, queues } = &mut *inner;
        for (name, stats) in queues.iter() {
            let c = stats.counts();
            let l = || vec![("sink", name.clone())];
            store.total(f::SINK_DELIVERED, l(), c.delivered as f64);
            store.total(f::SINK_RETRIED, l(), c.retried as f64);
            store.total(f::SINK_FAILED, l(), c.failed as f64);
            store.total(f::SINK_DROPPED, l(), c.dropped as f64);
            store.total(f::SINK_UNSENT, l(), c.unsent as f64);
            store.set(f::SINK_QUEUED, l(), c.queued as f64);
        }
    }

    /// Every family with at least one series, in the Prometheus text format (serve it with
    /// the content type [`CONTENT_TYPE`]).
    ///
    /// ```
    /// assert_eq!(avqc::metrics::Metrics::new().render(), "");
    /// ```
    pub fn render(&self) -> String {
        self.refresh_queues();
        let mut out = String::new();
        self.lock().store.render(&mut out);
        out
    }
}

/// Each track's info series and frame counter.
fn set_tracks(s: &mut Store, base: &Labels, tracks: &[TrackReport]) {
    for t in tracks {
        let track = t.index.to_string();
        let language = t.language.as_deref().unwrap_or("");
        let info = with(with(base.clone(), "track", &track), "language", language);
        s.set(f::TRACK_INFO, info, 1.0);
        let labels = with(base.clone(), "track", &track);
        s.total(f::TRACK_FRAMES, labels, t.frames as f64);
    }
}

fn set_state(s: &mut Store, base: &Labels, state: StreamState) {
    for st in STATES {
        let v = if st == state { 1.0 } else { 0.0 };
        s.set(f::STATE, with(base.clone(), "state", st.as_str()), v);
    }
}

impl Sink for Metrics {
    fn name(&self) -> &str {
        "metrics"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        self.observe(event);
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
