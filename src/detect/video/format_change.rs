//! `format_change`: the picture format changes mid-stream (a `video_format_change` notice).
//!
//! Watched: resolution, pixel format, colour range (unsignalled counts as limited, its
//! documented meaning) and the frame rate. The first picture sets the format and raises
//! nothing; every later change raises one notice, e.g.
//! `1920x1080 yuv420p(tv) 25fps -> 1280x720 yuv420p(tv) 25fps`. A format change is not a
//! defect interval: the stream goes on, in another format.
//!
//! The frame rate is the frame step: each picture's duration when the decoder gives one, else
//! the distance from the previous picture. A step counts as the stream's rate once
//! `confirm_frames` pictures in a row agree on it (within `rate_tolerance`), so a dropped
//! frame, a doubled duration or the 3:2 cadence of soft telecine never looks like a change; a
//! stream whose steps never settle simply has no rate (and none is reported).

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};

use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig, Events};
use crate::error::Result;
use crate::media::{ColorRange, MediaTime, Needs, PixelFormat, VideoFrame};

/// Configuration of the [`FormatChange`] detector (type `"format_change"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::FormatChangeConfig};
/// let c: FormatChangeConfig = serde_json::from_str(r#"{"confirm_frames": 5}"#).unwrap();
/// assert_eq!(c.rate_tolerance, FormatChangeConfig::default().rate_tolerance);
/// assert!(FormatChangeConfig { confirm_frames: 0, ..Default::default() }.build("f").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FormatChangeConfig {
    /// Pictures in a row that must agree on a frame step before it counts as the frame rate.
    /// Default `10` (0.4 s at 25 fps): longer than any cadence pattern or a burst of dropped
    /// frames. `0` is rejected.
    pub confirm_frames: u32,
    /// Relative difference of two frame steps, `|a - b| / max(a, b)`, still taken as the same
    /// rate. Default `0.03`: millisecond timestamps of 29.97 fps (steps of 33 and 34 ms, 2.9 %
    /// apart) stay one rate, while 24 → 25 fps (4 %) is a change. 29.97 ↔ 30 fps is not
    /// seen. Must be in `[0, 0.5)`.
    pub rate_tolerance: f64,
    /// Also report frame-rate changes. Default `true`.
    pub frame_rate: bool,
}

impl Default for FormatChangeConfig {
    fn default() -> Self {
        FormatChangeConfig {
            confirm_frames: 10,
            rate_tolerance: 0.03,
            frame_rate: true,
        }
    }
}

impl DetectorConfig for FormatChangeConfig {
    const TYPE: &'static str = "format_change";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.require(
            self.confirm_frames >= 1,
            "confirm_frames",
            "must be at least 1",
        )?;
        c.require(
            self.rate_tolerance.is_finite() && (0.0..0.5).contains(&self.rate_tolerance),
            "rate_tolerance",
            "must be in [0, 0.5)",
        )?;
        Ok(Box::new(OnVideo::new(
            name,
            FormatChange::new(self.clone()),
        )))
    }
}

/// The format of a picture, as compared between pictures.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Format {
    width: usize,
    height: usize,
    pixel: PixelFormat,
    full_range: bool,
    /// Confirmed frame step in seconds.
    step: Option<f64>,
}

impl Format {
    fn of(f: &VideoFrame, step: Option<f64>) -> Self {
        Format {
            width: f.width(),
            height: f.height(),
            pixel: f.format(),
            full_range: f.range() == ColorRange::Full,
            step,
        }
    }

    fn write(&self, s: &mut String) {
        use std::fmt::Write;
        let range = if self.full_range { "pc" } else { "tv" };
        let _ = write!(
            s,
            "{}x{} {}({range})",
            self.width,
            self.height,
            self.pixel.name()
        );
        if let Some(step) = self.step {
            let fps = 1.0 / step;
            let text = format!("{fps:.3}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            let _ = write!(s, " {text}fps");
        }
    }
}

/// Reports `video_format_change` notices when the resolution, pixel format, colour range or
/// frame rate of the (first) video stream changes. Built from a [`FormatChangeConfig`].
pub struct FormatChange {
    cfg: FormatChangeConfig,
    current: Option<Format>,
    last_time: Option<MediaTime>,
    /// The current run of agreeing steps: first step, sum, count.
    run: Option<(f64, f64, u32)>,
    message: String,
}

impl FormatChange {
    /// A format-change detector named `name`. Prefer [`FormatChangeConfig::build`], which
    /// checks the values.
    pub fn new(cfg: FormatChangeConfig) -> Self {
        FormatChange {
            cfg,
            current: None,
            last_time: None,
            run: None,
            message: String::with_capacity(96),
        }
    }

    fn same_rate(&self, a: f64, b: f64) -> bool {
        (a - b).abs() <= self.cfg.rate_tolerance * a.max(b) + 1e-9
    }

    /// Feeds this picture's frame step; returns a newly confirmed rate (mean step of the run).
    fn step(&mut self, frame: &VideoFrame) -> Option<f64> {
        let t = frame.time();
        let from_gap = self
            .last_time
            .map(|l| t.secs_since(l))
            .filter(|d| *d > 0.0 && *d < 1.0);
        self.last_time = Some(t);
        let step = frame
            .duration()
            .filter(|d| d.is_finite() && *d > 0.0 && *d < 10.0)
            .or(from_gap)?;
        let run = match self.run {
            Some((first, sum, n)) if self.same_rate(first, step) => (first, sum + step, n + 1),
            _ => (step, step, 1),
        };
        self.run = Some(run);
        (run.2 >= self.cfg.confirm_frames).then(|| run.1 / run.2 as f64)
    }
}

impl VideoDetector for FormatChange {
    fn needs(&self) -> Needs {
        // sizes and frame steps only
        Needs {
            every_frame: true,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let confirmed = if self.cfg.frame_rate {
            self.step(frame)
        } else {
            None
        };
        let Some(old) = self.current else {
            self.current = Some(Format::of(frame, confirmed));
            return;
        };
        let mut new = Format::of(frame, old.step);
        let mut changed = (new.width, new.height, new.pixel, new.full_range)
            != (old.width, old.height, old.pixel, old.full_range);
        if let Some(step) = confirmed {
            match old.step {
                // The first confirmed rate is the stream's rate, not a change.
                None => {
                    new.step = Some(step);
                    self.current = Some(new);
                }
                Some(o) if !self.same_rate(o, step) => {
                    new.step = Some(step);
                    changed = true;
                }
                Some(_) => {}
            }
        }
        if changed {
            self.message.clear();
            old.write(&mut self.message);
            self.message.push_str(" -> ");
            new.write(&mut self.message);
            out.notice("video_format_change", self.message.as_str(), frame.time());
            self.current = Some(new);
        }
    }

    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {
        self.last_time = None;
        self.run = None;
    }

    fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
}
