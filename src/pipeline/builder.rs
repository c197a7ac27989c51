use crate::decode::Decoder;
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::sink::Sink;
use crate::snapshot::SnapshotConfig;
use crate::stop::StopSignal;

/// What the decoder does when a detector's queue is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverloadPolicy {
    /// Wait for the detector (backpressure reaches the decoder). Nothing is dropped. Default.
    #[default]
    Block,
    /// Drop the oldest queued frame for that detector, so a slow detector cannot hold up a
    /// live input. Drops are counted in the [`Report`](crate::Report) and emitted as a
    /// `frames_dropped` metric.
    DropOldest,
}

/// Builds a [`Pipeline`].
///
/// ```
/// use avqc::{Pipeline, FrameSource, OverloadPolicy, StreamInfo, sink::Collect};
/// let p = Pipeline::builder()
///     .decoder(FrameSource::new("empty", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty()))
///     .sink(Collect::new())
///     .queue_capacity(8)
///     .overload(OverloadPolicy::DropOldest)
///     .build()
///     .unwrap();
/// assert_eq!(p.run().unwrap().audio_frames_decoded, 0);
/// ```
#[derive(Default)]
pub struct PipelineBuilder {
    decoder: Option<Box<dyn Decoder>>,
    detectors: Vec<Box<dyn Detector>>,
    sink: Option<Box<dyn Sink>>,
    queue: Option<usize>,
    policy: OverloadPolicy,
    stop: Option<StopSignal>,
    stream_name: Option<String>,
    snapshots: Option<SnapshotConfig>,
    stall_timeout: Option<std::time::Duration>,
    limits: Limits,
    detector_threads: Option<usize>,
    thin: usize,
    max_lag: Option<std::time::Duration>,
}

impl PipelineBuilder {
    /// How many threads run the detectors; `0` runs them on the decoder thread. Default: `0`
    /// under [`OverloadPolicy::Block`] (the default policy), `1` under
    /// [`OverloadPolicy::DropOldest`] (dropping needs a queue between the decoder and the
    /// detectors). Never more threads than there are detectors.
    ///
    /// `0` (inline) costs the least CPU: each picture is analysed right after it was decoded,
    /// on the same core, while it is still in that core's cache, and nothing is queued (the
    /// [`OverloadPolicy`] then never drops). The codec's own decoder threads (the FFmpeg
    /// decoder's default) keep decoding ahead meanwhile. With a single-threaded decode,
    /// decoding waits for the detectors: that is what a host running many streams on few
    /// cores wants. On the machine of `benches/README.md` a detector thread cost 4–7 % more
    /// CPU than inline, for pictures read on another core.
    ///
    /// With `n > 0`, detectors are dealt to the threads in turn, video detectors first; each
    /// thread feeds every item to its detectors one after another, so it wakes once per item,
    /// not once per detector, and later detectors find the picture in the cache. Use it when
    /// a single-threaded decode of one input should overlap with the detectors (the shortest
    /// wall time on an otherwise idle machine). Detectors sharing a thread share its queue
    /// and its [`OverloadPolicy`]; a panicking detector is still disabled alone.
    ///
    /// ```
    /// use avqc::{Pipeline, FrameSource, StreamInfo, sink::Collect};
    /// let p = Pipeline::builder()
    ///     .decoder(FrameSource::new("empty", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty()))
    ///     .sink(Collect::new())
    ///     .detector_threads(2)
    ///     .build()
    ///     .unwrap();
    /// assert!(p.run().is_ok());
    /// ```
    pub fn detector_threads(mut self, n: usize) -> Self {
        self.detector_threads = Some(n);
        self
    }

    /// Shows detectors that do not need every picture (their
    /// [`Needs::every_frame`](crate::Needs::every_frame) is false, e.g. `out_of_range`) only
    /// every `n`-th picture (default 1: all). The others still see every picture.
    ///
    /// ```
    /// use avqc::{Pipeline, FrameSource, StreamInfo, sink::Collect};
    /// let p = Pipeline::builder()
    ///     .decoder(FrameSource::new("empty", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty()))
    ///     .sink(Collect::new())
    ///     .thin_pictures(3)
    ///     .build()
    ///     .unwrap();
    /// assert!(p.run().is_ok());
    /// ```
    pub fn thin_pictures(mut self, n: usize) -> Self {
        self.thin = n;
        self
    }

    /// Under [`OverloadPolicy::DropOldest`], a detector thread skips (and counts as dropped)
    /// a picture or block of sound that waited in its queue longer than `lag`, so a detector
    /// that fell behind a live input catches up at once rather than a queue later — the rule
    /// a [`Monitor`](crate::monitor::Monitor) applies with
    /// [`max_lag_secs`](crate::monitor::MonitorConfig::max_lag_secs). Off by default (only a
    /// full queue drops); no effect under [`OverloadPolicy::Block`] or with detectors run
    /// inline (no queue, no lag).
    ///
    /// ```
    /// use avqc::{Pipeline, FrameSource, OverloadPolicy, StreamInfo, sink::Collect};
    /// let p = Pipeline::builder()
    ///     .decoder(FrameSource::new("empty", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty()))
    ///     .sink(Collect::new())
    ///     .overload(OverloadPolicy::DropOldest)
    ///     .max_lag(std::time::Duration::from_millis(500))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(p.run().unwrap().frames_dropped, 0);
    /// ```
    pub fn max_lag(mut self, lag: std::time::Duration) -> Self {
        self.max_lag = Some(lag);
        self
    }

    /// Resource limits of the input (default [`Limits::default`]): a picture, channel count
    /// or sample rate beyond them, or a detector holding more defects open than allowed, stops
    /// the run with [`Error::Limit`]; a queue capacity beyond them is a build error.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reports an `input_stall` defect (detector `pipeline`) when the input delivers no picture
    /// and no sound for `timeout` of wall time (a live input whose source went quiet, or one
    /// that is reconnecting); it ends when data flows again, or when the run ends. Off by
    /// default (a file never stalls).
    pub fn stall_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.stall_timeout = Some(timeout);
        self
    }

    /// Takes a PNG snapshot of the picture at every defect start (see [`SnapshotConfig`]);
    /// the event's `details` name the files.
    pub fn snapshots(mut self, cfg: SnapshotConfig) -> Self {
        self.snapshots = Some(cfg);
        self
    }

    /// The `stream` name put on events and in the report; default: the decoder's
    /// [`name`](crate::Decoder::name) (e.g. the path as given).
    pub fn stream_name(mut self, name: impl Into<String>) -> Self {
        self.stream_name = Some(name.into());
        self
    }
    /// The media converter (required).
    pub fn decoder(mut self, d: impl Decoder + 'static) -> Self {
        self.decoder = Some(Box::new(d));
        self
    }
    /// Adds a detector.
    pub fn detector(mut self, d: impl Detector + 'static) -> Self {
        self.detectors.push(Box::new(d));
        self
    }
    /// Adds a boxed detector.
    pub fn boxed_detector(mut self, d: Box<dyn Detector>) -> Self {
        self.detectors.push(d);
        self
    }
    /// Adds detectors (e.g. from a [`Registry`](crate::Registry)).
    pub fn detectors(mut self, ds: impl IntoIterator<Item = Box<dyn Detector>>) -> Self {
        self.detectors.extend(ds);
        self
    }
    /// The sink (required; use a `Vec` of sinks to fan out).
    pub fn sink(mut self, s: impl Sink + 'static) -> Self {
        self.sink = Some(Box::new(s));
        self
    }
    /// Items queued per detector before the overload policy applies. Default 32.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue = Some(n);
        self
    }
    /// What to do when a detector falls behind. Default [`OverloadPolicy::Block`].
    pub fn overload(mut self, p: OverloadPolicy) -> Self {
        self.policy = p;
        self
    }
    /// Uses this stop signal (e.g. one shared by several pipelines).
    pub fn stop_signal(mut self, s: StopSignal) -> Self {
        self.stop = Some(s);
        self
    }
    /// Checks the wiring.
    pub fn build(self) -> Result<Pipeline> {
        let decoder = self
            .decoder
            .ok_or_else(|| Error::Pipeline("no decoder".into()))?;
        let sink = self.sink.ok_or_else(|| Error::Pipeline("no sink".into()))?;
        let queue = self.queue.unwrap_or(32);
        if queue == 0 {
            return Err(Error::Pipeline("queue capacity must be at least 1".into()));
        }
        if queue > self.limits.max_queue {
            return Err(Error::Pipeline(format!(
                "queue capacity {queue} is over the limit of {} (Limits::max_queue)",
                self.limits.max_queue
            )));
        }
        if let Some(cfg) = &self.snapshots {
            cfg.validate()?;
        }
        let mut names = std::collections::HashSet::new();
        for d in &self.detectors {
            if !names.insert(d.name().to_string()) {
                return Err(Error::Pipeline(format!(
                    "two detectors are named `{}`; give one a different \"name\"",
                    d.name()
                )));
            }
        }
        Ok(Pipeline {
            decoder,
            detectors: self.detectors,
            sink,
            queue,
            policy: self.policy,
            stop: self.stop.unwrap_or_default(),
            stream_name: self.stream_name,
            detector_threads: self.detector_threads.unwrap_or(match self.policy {
                OverloadPolicy::Block => 0,
                OverloadPolicy::DropOldest => 1,
            }),
            thin: self.thin.max(1),
            snapshots: self.snapshots,
            stall_timeout: self.stall_timeout,
            limits: self.limits,
            max_lag: self.max_lag,
        })
    }
}

/// A decoder, detectors and a sink, ready to [`run`](Pipeline::run).
///
/// The decoder runs on one thread and the detectors on
/// [`detector_threads`](PipelineBuilder::detector_threads), joined by bounded channels that
/// carry shared frames; the sink runs on the caller's thread. See the crate docs for an
/// example.
pub struct Pipeline {
    pub(super) decoder: Box<dyn Decoder>,
    pub(super) detectors: Vec<Box<dyn Detector>>,
    pub(super) sink: Box<dyn Sink>,
    pub(super) queue: usize,
    pub(super) policy: OverloadPolicy,
    pub(super) stop: StopSignal,
    pub(super) stream_name: Option<String>,
    pub(super) detector_threads: usize,
    pub(super) thin: usize,
    pub(super) snapshots: Option<SnapshotConfig>,
    pub(super) stall_timeout: Option<std::time::Duration>,
    pub(super) limits: Limits,
    pub(super) max_lag: Option<std::time::Duration>,
}

impl Pipeline {
    /// A new builder.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// A handle that stops the pipeline cleanly from another thread: decoding stops, open
    /// intervals are closed, the sink is flushed, and `run` returns its report.
    pub fn stop_signal(&self) -> StopSignal {
        self.stop.clone()
    }
}
