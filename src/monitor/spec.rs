//! What the host hands [`Monitor::add`](super::Monitor::add): a stream id, an input and the
//! detectors to run on it.

use std::time::Duration;

use crate::decode::Decoder;
#[cfg(feature = "ffmpeg")]
use crate::decode::DecoderOptions;
use crate::detect::{Detector, Registry};
use crate::error::Result;
use crate::pipeline::OverloadPolicy;
use crate::snapshot::SnapshotConfig;

/// The priority of a stream that was given none.
pub(crate) const DEFAULT_PRIORITY: u8 = 100;

/// Where a stream's media comes from.
pub(crate) enum Input {
    /// Decoded inline on the worker pool, one slice at a time: its `next` must not block for
    /// long (a file, a [`FrameSource`](crate::FrameSource)).
    Inline(Box<dyn Decoder>),
    /// Decoded on a reader thread of its own that feeds a bounded queue: `next` may block
    /// (a network input, pushed bytes).
    Reader(Box<dyn Decoder>),
    /// Opened (and then decoded) by the monitor with FFmpeg.
    #[cfg(feature = "ffmpeg")]
    Open {
        target: String,
        options: DecoderOptions,
        /// Opened and read on a reader thread (a URL) rather than inline (a file).
        reader: bool,
    },
    /// Bytes pushed by the host, decoded by FFmpeg on a reader thread.
    #[cfg(feature = "ffmpeg")]
    Pushed {
        rx: crossbeam_channel::Receiver<bytes::Bytes>,
        options: DecoderOptions,
    },
}

/// One stream to monitor: an id (the `stream` field of its events), an input and a detector set.
///
/// Inputs:
/// * `open` (feature `ffmpeg`): a file or URL. A file is decoded inline on the
///   worker pool; a URL (anything with `://` but `file:`) gets a reader thread, since network
///   reads block. With [`DecoderOptions::realtime`](crate::DecoderOptions::realtime) the monitor paces the input to its
///   timestamps (with its timer, not by sleeping in the decoder). FFmpeg's decoder threads
///   default to 1 per stream (`threads: 0` means 1 here): the pool spreads streams over the cores.
/// * `pushed` (feature `ffmpeg`): container bytes the host pushes through a
///   `PushInput`; decoded on a reader thread.
/// * [`decoder`](Self::decoder): any [`Decoder`] whose `next` returns promptly, run inline;
///   [`blocking_decoder`](Self::blocking_decoder): one that may block, run on a reader thread.
///
/// ```
/// use avqc::monitor::StreamSpec;
/// use avqc::{FrameSource, Registry, StreamInfo};
/// let src = FrameSource::new("cam1", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty());
/// let spec = StreamSpec::decoder("cam1", src)
///     .detectors_json(&Registry::builtin(), r#"[{"type":"silence"}]"#)?
///     .paced(true);
/// assert_eq!(spec.id(), "cam1");
/// # Ok::<(), avqc::Error>(())
/// ```
pub struct StreamSpec {
    pub(crate) id: String,
    pub(crate) input: Input,
    pub(crate) detectors: Vec<Box<dyn Detector>>,
    pub(crate) opts: StreamOptions,
}

/// How a stream's task treats its items (what a [`StreamSpec`] sets besides the input and the
/// detectors).
pub(crate) struct StreamOptions {
    pub(crate) paced: bool,
    pub(crate) policy: OverloadPolicy,
    /// Detectors that need not see every picture see one in `thin`.
    pub(crate) thin: usize,
    pub(crate) snapshots: Option<SnapshotConfig>,
    pub(crate) stall_timeout: Option<Duration>,
    pub(crate) profile: Option<String>,
    pub(crate) expected_cost: Option<f64>,
    pub(crate) priority: u8,
}

impl StreamSpec {
    fn with(id: impl Into<String>, input: Input) -> Self {
        StreamSpec {
            id: id.into(),
            input,
            detectors: Vec::new(),
            opts: StreamOptions {
                paced: false,
                policy: OverloadPolicy::Block,
                thin: 1,
                snapshots: None,
                stall_timeout: None,
                profile: None,
                expected_cost: None,
                priority: DEFAULT_PRIORITY,
            },
        }
    }

    /// A file or URL opened with FFmpeg (see the type docs).
    #[cfg(feature = "ffmpeg")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ffmpeg")))]
    pub fn open(
        id: impl Into<String>,
        target: impl Into<String>,
        options: &DecoderOptions,
    ) -> Self {
        let target = target.into();
        let reader = target.contains("://") && !target.starts_with("file:");
        let mut options = options.clone();
        let paced = std::mem::take(&mut options.realtime);
        if options.threads == 0 {
            options.threads = 1;
        }
        StreamSpec::with(
            id,
            Input::Open {
                target,
                options,
                reader,
            },
        )
        .paced(paced)
    }

    /// Container bytes pushed by the host: `rx` is the receiving end of [`PushInput::new`](crate::PushInput::new).
    #[cfg(feature = "ffmpeg")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ffmpeg")))]
    pub fn pushed(
        id: impl Into<String>,
        rx: crossbeam_channel::Receiver<bytes::Bytes>,
        options: &DecoderOptions,
    ) -> Self {
        let mut options = options.clone();
        options.realtime = false; // pushed bytes arrive at their own pace
        if options.threads == 0 {
            options.threads = 1;
        }
        StreamSpec::with(id, Input::Pushed { rx, options })
    }

    /// A decoder whose `next` returns promptly, run inline on the worker pool.
    pub fn decoder(id: impl Into<String>, d: impl Decoder + 'static) -> Self {
        StreamSpec::with(id, Input::Inline(Box::new(d)))
    }

    /// A decoder whose `next` may block (waiting for the network), run on a reader thread of
    /// its own that feeds a bounded queue.
    pub fn blocking_decoder(id: impl Into<String>, d: impl Decoder + 'static) -> Self {
        StreamSpec::with(id, Input::Reader(Box::new(d)))
    }

    /// Adds detectors.
    pub fn detectors(mut self, ds: impl IntoIterator<Item = Box<dyn Detector>>) -> Self {
        self.detectors.extend(ds);
        self
    }

    /// Adds the detectors a registry builds from a JSON array of configs
    /// (see [`Registry::build_json`]).
    pub fn detectors_json(mut self, registry: &Registry, json: &str) -> Result<Self> {
        self.detectors.extend(registry.build_json(json)?);
        Ok(self)
    }

    /// Paces the input to its timestamps, as if live (the monitor's timer releases each item
    /// when due; no thread waits). Default false, except for `open` with
    /// [`DecoderOptions::realtime`](crate::DecoderOptions::realtime).
    pub fn paced(mut self, on: bool) -> Self {
        self.opts.paced = on;
        self
    }

    /// What to do when the stream falls behind real time: [`OverloadPolicy::Block`] (default)
    /// analyses every item late, reporting the lag; [`OverloadPolicy::DropOldest`] skips the
    /// analysis of items (counted in `dropped`) while the lag is above
    /// [`MonitorConfig::max_lag_secs`](super::MonitorConfig::max_lag_secs), and a reader
    /// thread drops the oldest queued item when its queue is full.
    pub fn overload(mut self, policy: OverloadPolicy) -> Self {
        self.opts.policy = policy;
        self
    }

    /// Shows detectors that do not need every picture (their
    /// [`Needs::every_frame`](crate::Needs::every_frame) is false, e.g. `out_of_range`) only
    /// every `n`-th picture (default 1: all), as
    /// [`PipelineBuilder::thin_pictures`](crate::PipelineBuilder::thin_pictures) does.
    pub fn thin_pictures(mut self, n: usize) -> Self {
        self.opts.thin = n.max(1);
        self
    }

    /// Takes a PNG snapshot of the picture at every defect start (see [`SnapshotConfig`]),
    /// as [`PipelineBuilder::snapshots`](crate::PipelineBuilder::snapshots) does: the event's
    /// `details` name the files. The pictures are kept and written on the stream's worker.
    pub fn snapshots(mut self, cfg: SnapshotConfig) -> Self {
        self.opts.snapshots = Some(cfg);
        self
    }

    /// Reports an `input_stall` defect (detector `monitor`) when the input delivers no
    /// picture and no sound for `timeout` of wall time; it ends when data flows again, or when
    /// the stream ends — as
    /// [`PipelineBuilder::stall_timeout`](crate::PipelineBuilder::stall_timeout) does. Off by
    /// default. (The `input_stalled` notice and the `stalled` state of
    /// [`MonitorConfig::stall_secs`](super::MonitorConfig::stall_secs) are independent of it.)
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.opts.stall_timeout = Some(timeout);
        self
    }

    /// Names the stream's cost class (e.g. `"720p25-h264"`): the monitor measures the cost of
    /// each profile over its streams, and admits a new stream of a known profile at that cost
    /// ([`Monitor::try_add`](super::Monitor::try_add), [`Capacity::fits`](super::Capacity::fits)).
    /// Without a name the stream gets one from its input once it is open (`"1280x720-h264"`,
    /// `"audio-aac"`).
    ///
    /// ```
    /// use avqc::monitor::StreamSpec;
    /// use avqc::{FrameSource, StreamInfo};
    /// let src = FrameSource::new("cam1", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], std::iter::empty());
    /// let spec = StreamSpec::decoder("cam1", src).profile("radio").priority(90).expected_cost(0.05);
    /// assert_eq!(spec.id(), "cam1");
    /// ```
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.opts.profile = Some(name.into());
        self
    }

    /// What the host expects the stream to cost, in cores (CPU seconds per media second): what
    /// [`Monitor::try_add`](super::Monitor::try_add) counts it at until it is measured, instead
    /// of its profile's cost or the mean cost of the running streams. Ignored unless finite
    /// and > 0.
    pub fn expected_cost(mut self, cores: f64) -> Self {
        self.opts.expected_cost = (cores.is_finite() && cores > 0.0).then_some(cores);
        self
    }

    /// How important the stream is (higher = more important; default 100): when the monitor
    /// is over its budget, streams of lower priority are degraded first and restored last
    /// ([`MonitorConfig::degrade`](super::MonitorConfig::degrade)).
    pub fn priority(mut self, priority: u8) -> Self {
        self.opts.priority = priority;
        self
    }

    /// The stream id.
    pub fn id(&self) -> &str {
        &self.id
    }
}
