//! Snapshots: a PNG of the picture at every defect start (and of the picture before it),
//! written beside the sink to a directory the host names, the file names put into the event's
//! `details` (`snapshot`, `snapshot_previous`).
//!
//! Bounded on both ends: the pictures kept for it are a short history of downscaled copies
//! ([`SnapshotConfig::history`] seconds at most [`SnapshotConfig::max_width`] pixels wide, in
//! buffers reused from frame to frame), and at most [`SnapshotConfig::max_per_minute`] snapshots
//! are taken per input and minute of media, so a storm of defects cannot fill a disk.
//!
//! ```no_run
//! use avqc::{Pipeline, SnapshotConfig, sink::Collect};
//! # fn source() -> impl avqc::Decoder { avqc::FrameSource::new("x", vec![], std::iter::empty()) }
//! let report = Pipeline::builder()
//!     .decoder(source())
//!     .detectors(avqc::Registry::builtin().build_defaults()?)
//!     .snapshots(SnapshotConfig::new("/var/lib/qc/snapshots"))
//!     .sink(Collect::new())
//!     .build()?
//!     .run()?;
//! # Ok::<(), avqc::Error>(())
//! ```

mod history;
pub(crate) mod worker;

use std::collections::VecDeque;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::detect::ConfigCheck;
use crate::error::Result;
use crate::event::{Event, Phase};
use crate::media::{MediaTime, VideoFrame};
use worker::{Request, SnapshotStats, SnapshotWorker};

/// Where and how many snapshots to take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotConfig {
    /// Directory the PNG files go to (created when missing).
    pub dir: PathBuf,
    /// Most snapshots per input and minute of media time. Default `6`.
    #[serde(default = "defaults::max_per_minute")]
    pub max_per_minute: u32,
    /// Widest snapshot in pixels; larger pictures are downscaled (aspect kept). Default `640`.
    #[serde(default = "defaults::max_width")]
    pub max_width: u32,
    /// Seconds of pictures kept, so the picture at a defect's start is still there when the
    /// defect is confirmed (up to a detector's minimum duration later). Default `3.0`.
    #[serde(default = "defaults::history")]
    pub history: f64,
    /// Also save the picture before the defect started. Default `true`.
    #[serde(default = "defaults::previous")]
    pub previous_frame: bool,
}

mod defaults {
    pub fn max_per_minute() -> u32 {
        6
    }
    pub fn max_width() -> u32 {
        640
    }
    pub fn history() -> f64 {
        3.0
    }
    pub fn previous() -> bool {
        true
    }
}

impl SnapshotConfig {
    /// Snapshots into `dir`, other settings at their defaults.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SnapshotConfig {
            dir: dir.into(),
            max_per_minute: defaults::max_per_minute(),
            max_width: defaults::max_width(),
            history: defaults::history(),
            previous_frame: defaults::previous(),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let c = ConfigCheck::new("snapshots", "snapshots");
        c.require(
            (16..=16_384).contains(&self.max_width),
            "max_width",
            "must be between 16 and 16384",
        )?;
        c.require(
            self.history.is_finite() && self.history > 0.0 && self.history <= 60.0,
            "history",
            "must be between 0 and 60 seconds",
        )?;
        c.require(
            !self.dir.as_os_str().is_empty(),
            "dir",
            "must name a directory",
        )
    }
}

/// Decides which defect starts get a snapshot, and names the files.
pub(crate) struct SnapshotPlanner {
    max_per_minute: usize,
    previous: bool,
    prefix: String,
    taken: VecDeque<MediaTime>,
}

/// The files of one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SnapshotNames {
    pub(crate) frame: String,
    pub(crate) previous: Option<String>,
}

impl SnapshotPlanner {
    pub(crate) fn new(cfg: &SnapshotConfig, stream: &str) -> Self {
        let prefix: String = stream
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        SnapshotPlanner {
            max_per_minute: cfg.max_per_minute as usize,
            previous: cfg.previous_frame,
            prefix,
            taken: VecDeque::new(),
        }
    }

    /// File names for a defect `defect` starting at `start`, emitted at `at`; `None` when the
    /// rate limit says no.
    pub(crate) fn plan(
        &mut self,
        defect: &str,
        start: MediaTime,
        at: MediaTime,
    ) -> Option<SnapshotNames> {
        while self
            .taken
            .front()
            .is_some_and(|&t| at.secs_since(t) >= 60.0)
        {
            self.taken.pop_front();
        }
        if self.taken.len() >= self.max_per_minute {
            return None;
        }
        self.taken.push_back(at);
        let ms = (start.as_secs_f64() * 1000.0).round() as i64;
        let base = format!("{}-{defect}-{ms}ms", self.prefix);
        Some(SnapshotNames {
            frame: format!("{base}.png"),
            previous: self.previous.then(|| format!("{base}-previous.png")),
        })
    }
}

impl SnapshotPlanner {
    /// For a defect start that gets a snapshot: names its files in the event's `details`
    /// (`snapshot`, `snapshot_previous`) and returns the request to write them.
    pub(crate) fn annotate(&mut self, ev: &mut Event) -> Option<Request> {
        let Event::Defect(d) = ev else { return None };
        if d.phase != Phase::Start {
            return None;
        }
        let names = self.plan(d.defect.as_str(), d.start, d.emitted_at)?;
        d.details
            .insert("snapshot".into(), names.frame.clone().into());
        if let Some(prev) = &names.previous {
            d.details
                .insert("snapshot_previous".into(), prev.clone().into());
        }
        Some(Request {
            start: d.start,
            names,
        })
    }
}

/// Snapshots taken on the thread that runs the detectors (a Monitor stream's task): the
/// planner and the writer together, fed the same pictures as the detectors.
pub(crate) struct InlineSnapshots {
    planner: SnapshotPlanner,
    worker: SnapshotWorker,
}

impl InlineSnapshots {
    pub(crate) fn new(cfg: &SnapshotConfig, stream: &str) -> Self {
        InlineSnapshots {
            planner: SnapshotPlanner::new(cfg, stream),
            worker: SnapshotWorker::new(cfg),
        }
    }

    /// A picture: kept for the snapshots to come.
    pub(crate) fn frame(&mut self, f: &VideoFrame) {
        self.worker.frame(f);
    }

    /// An event on its way out: a defect start gets its snapshot.
    pub(crate) fn event(&mut self, ev: &mut Event) {
        if let Some(r) = self.planner.annotate(ev) {
            self.worker.request(r);
        }
    }

    /// No more pictures: writes what is still asked for.
    pub(crate) fn finish(&mut self) -> SnapshotStats {
        self.worker.finish();
        self.worker.stats.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_per_minute_of_media() {
        let mut cfg = SnapshotConfig::new("/tmp/x");
        cfg.max_per_minute = 2;
        let mut p = SnapshotPlanner::new(&cfg, "udp://239.0.0.1:1234");
        let t = MediaTime::from_secs_f64;
        let a = p.plan("video_black", t(1.0), t(1.2)).unwrap();
        assert_eq!(a.frame, "udp___239.0.0.1_1234-video_black-1000ms.png");
        assert_eq!(
            a.previous.as_deref(),
            Some("udp___239.0.0.1_1234-video_black-1000ms-previous.png")
        );
        assert!(p.plan("video_freeze", t(2.0), t(2.4)).is_some());
        assert!(
            p.plan("video_freeze", t(30.0), t(30.4)).is_none(),
            "third within a minute"
        );
        assert!(
            p.plan("video_freeze", t(61.0), t(61.3)).is_some(),
            "a minute after the first"
        );
    }

    #[test]
    fn config_checks() {
        assert!(SnapshotConfig::new("d").validate().is_ok());
        let mut c = SnapshotConfig::new("d");
        c.history = 0.0;
        assert!(c.validate().is_err());
        let c: SnapshotConfig = serde_json::from_str(r#"{"dir":"s","max_per_minute":1}"#).unwrap();
        assert_eq!((c.max_per_minute, c.max_width), (1, 640));
        assert!(serde_json::from_str::<SnapshotConfig>(r#"{"dir":"s","max_per_min":1}"#).is_err());
    }
}
