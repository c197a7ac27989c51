//! Per-stream health: what [`Monitor::health`](super::Monitor::health) returns and what the
//! monitor emits as metrics.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::media::MediaTime;
use crate::pipeline::tracks::TrackTable;
use crate::pipeline::{Ending, TrackReport};

/// Where a stream is in its life.
///
/// ```
/// use avqc::monitor::StreamState;
/// assert_eq!(StreamState::Stalled.as_str(), "stalled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamState {
    /// Opening the input (connecting to a URL, probing a file); nothing decoded yet.
    Connecting,
    /// Items are flowing.
    Running,
    /// Open, but nothing arrived for longer than the stall timeout
    /// ([`MonitorConfig::stall_secs`](super::MonitorConfig::stall_secs)).
    Stalled,
    /// Ended: the input ended or the stream was removed or the monitor shut down.
    Ended,
    /// Ended with an error (input failed, a limit exceeded); see [`StreamHealth::ending`].
    Failed,
}

impl StreamState {
    /// A short snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Connecting => "connecting",
            StreamState::Running => "running",
            StreamState::Stalled => "stalled",
            StreamState::Ended => "ended",
            StreamState::Failed => "failed",
        }
    }
}

/// The last defect a stream started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LastDefect {
    /// The defect kind, e.g. `video_freeze`.
    pub defect: String,
    /// Its media start time, in seconds.
    pub start: f64,
}

/// A snapshot of one stream's health.
///
/// `lag_secs` is how far the analysis is behind the stream's real-time schedule: for a paced
/// input (a file with [`realtime`](crate::DecoderOptions::realtime)), how late the last item was
/// analysed against its due time; for a live input read on its own thread, how much longer the
/// analysis took than the media duration since the first item. It stays near 0 while the
/// monitor keeps up; `lagging` turns true above
/// [`MonitorConfig::lag_warn_secs`](super::MonitorConfig::lag_warn_secs).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StreamHealth {
    /// The stream id given to [`Monitor::add`](super::Monitor::add).
    pub id: String,
    /// Its state.
    pub state: StreamState,
    /// Pictures decoded.
    pub video_frames: u64,
    /// Audio frames decoded.
    pub audio_frames: u64,
    /// Pictures per second of wall time, over the last second or so.
    pub fps: f64,
    /// Current lag behind real time, in seconds (0 for unpaced inputs, which run as fast as they can).
    pub lag_secs: f64,
    /// The largest lag seen.
    pub max_lag_secs: f64,
    /// True while `lag_secs` is above the warning threshold.
    pub lagging: bool,
    /// Items decoded but not analysed because the stream was behind
    /// ([`OverloadPolicy::DropOldest`](crate::OverloadPolicy::DropOldest)).
    pub dropped: u64,
    /// Items waiting in the stream's queue (read ahead by its reader thread, or held for pacing).
    pub queued: usize,
    /// Bytes of decoded pictures and sound in those items: the stream's memory in flight
    /// beyond its decoder's and detectors' own state.
    pub queued_bytes: u64,
    /// The most items the stream may hold in memory at once (its bound).
    pub max_in_flight: usize,
    /// Decode errors and corrupt packets the decoder reported.
    pub decode_errors: u64,
    /// Detectors that panicked (and were disabled for this stream).
    pub detectors_panicked: usize,
    /// The last defect started, if any.
    pub last_defect: Option<LastDefect>,
    /// Media time reached, in seconds.
    pub media_secs: f64,
    /// Wall seconds since the last item arrived.
    pub idle_secs: f64,
    /// How the stream ended (state `Ended`/`Failed`).
    pub ending: Option<Ending>,
    /// Per stream of the input (audio tracks and video streams), in index order, as in
    /// [`Report::tracks`](crate::Report::tracks): its kind, language, frames decoded and
    /// defects started so far. Empty until the input is open.
    pub tracks: Vec<TrackReport>,
    /// Its [priority](super::StreamSpec::priority) (higher = more important).
    pub priority: u8,
    /// How much its analysis is degraded by the overload controller
    /// ([`MonitorConfig::degrade`](super::MonitorConfig::degrade)): 0 full, 1 reduced
    /// (cheaper decoding, detectors that need every picture suspended), 2 handed back.
    pub degradation: u8,
    /// What it costs now, in cores (CPU seconds per media second of its decoding and
    /// detectors, smoothed): measured, or the estimate it was admitted at; `None` while
    /// unknown. Refreshed about once a second.
    pub cost_cores: Option<f64>,
    /// Its cost profile ([`StreamSpec::profile`](super::StreamSpec::profile), or derived from
    /// the input once it is open).
    pub profile: Option<String>,
}

/// The controller's figures of a stream, copied into its health.
#[derive(Clone, Debug, Default)]
pub(crate) struct LoadFigures {
    pub(crate) priority: u8,
    pub(crate) level: u8,
    pub(crate) cost: Option<f64>,
    pub(crate) profile: Option<String>,
}

/// The mutable record behind a [`StreamHealth`], updated by the stream's task.
pub(crate) struct HealthCell {
    pub(crate) state: StreamState,
    pub(crate) video: u64,
    pub(crate) audio: u64,
    pub(crate) lag: f64,
    pub(crate) max_lag: f64,
    pub(crate) lagging: bool,
    pub(crate) dropped: u64,
    pub(crate) queued: usize,
    pub(crate) queued_bytes: u64,
    pub(crate) max_in_flight: usize,
    pub(crate) decode_errors: u64,
    pub(crate) panicked: usize,
    pub(crate) last_defect: Option<LastDefect>,
    pub(crate) media: MediaTime,
    pub(crate) last_item: Instant,
    pub(crate) fps: f64,
    fps_mark: (Instant, u64),
    pub(crate) ending: Option<Ending>,
    /// Whether a stall was announced (so it is announced once, and its end too).
    pub(crate) stall_announced: bool,
    /// The input's streams (shared with the stream's task).
    tracks: Arc<TrackTable>,
    /// Frames decoded per stream: (index, count).
    pub(crate) track_frames: Vec<(usize, u64)>,
    /// Defects started per stream: (index, count).
    pub(crate) track_defects: Vec<(usize, u64)>,
    /// Priority, degradation, cost and profile (set by the controller).
    pub(crate) load: LoadFigures,
}

impl HealthCell {
    pub(crate) fn new(max_in_flight: usize, tracks: &Arc<TrackTable>) -> Self {
        let now = Instant::now();
        HealthCell {
            state: StreamState::Connecting,
            video: 0,
            audio: 0,
            lag: 0.0,
            max_lag: 0.0,
            lagging: false,
            dropped: 0,
            queued: 0,
            queued_bytes: 0,
            max_in_flight,
            decode_errors: 0,
            panicked: 0,
            last_defect: None,
            media: MediaTime::ZERO,
            last_item: now,
            fps: 0.0,
            fps_mark: (now, 0),
            ending: None,
            stall_announced: false,
            tracks: tracks.clone(),
            track_frames: Vec::new(),
            track_defects: Vec::new(),
            load: LoadFigures::default(),
        }
    }

    /// Refreshes the frame rate once a second has passed since the last refresh.
    pub(crate) fn tick_fps(&mut self, now: Instant) {
        let secs = now.duration_since(self.fps_mark.0).as_secs_f64();
        if secs >= 1.0 {
            self.fps = (self.video - self.fps_mark.1) as f64 / secs;
            self.fps_mark = (now, self.video);
        }
    }

    /// The snapshot; `stall_secs` turns a quiet running stream into a stalled one.
    pub(crate) fn snapshot(&self, id: &str, now: Instant, stall_secs: f64) -> StreamHealth {
        let idle = now.duration_since(self.last_item).as_secs_f64();
        let state = match self.state {
            StreamState::Running if stall_secs > 0.0 && idle > stall_secs => StreamState::Stalled,
            s => s,
        };
        let fps = if now.duration_since(self.fps_mark.0).as_secs_f64() > 2.0 {
            0.0 // no refresh for a while: nothing is flowing
        } else {
            self.fps
        };
        StreamHealth {
            id: id.to_string(),
            state,
            video_frames: self.video,
            audio_frames: self.audio,
            fps,
            lag_secs: self.lag,
            max_lag_secs: self.max_lag,
            lagging: self.lagging,
            dropped: self.dropped,
            queued: self.queued,
            queued_bytes: self.queued_bytes,
            max_in_flight: self.max_in_flight,
            decode_errors: self.decode_errors,
            detectors_panicked: self.panicked,
            last_defect: self.last_defect.clone(),
            media_secs: self.media.as_secs_f64(),
            idle_secs: idle,
            ending: self.ending.clone(),
            tracks: self.tracks.report(&self.track_frames, &self.track_defects),
            priority: self.load.priority,
            degradation: self.load.level,
            cost_cores: self.load.cost,
            profile: self.load.profile.clone(),
        }
    }
}
