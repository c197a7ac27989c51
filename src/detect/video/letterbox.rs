//! `letterbox`: the active picture area changes (a `video_letterbox` notice; off by default).
//!
//! A row (column) of the picture is black when the mean of its sampled luma is at most
//! `threshold` code values above the black level of the picture's range, like FFmpeg's
//! `cropdetect` (limit 24 in limited range). The active area of a picture is the box from
//! the first to the last non-black row, and within those rows from the first to the last
//! non-black column. Over each `window` of media time the boxes of the (not entirely black)
//! pictures are united, so a dark scene or a fade does not shrink the area as long as some
//! picture of the window reaches the edges; a new area must hold for `confirm_windows`
//! windows in a row before it is reported.
//!
//! The stream starts as "full picture": a stream letterboxed from the start raises one notice
//! once the bars are confirmed (`active area 720x576 -> 720x432 at y=72`), and each later
//! change another. A change of resolution starts over (the `format_change` detector reports
//! it). Dark scenes with black edges lasting longer than the confirmation can still look like
//! bars: this is a notice, not a defect.

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};

use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig, Events};
use crate::error::Result;
use crate::media::{MediaTime, Needs, Plane, VideoFrame};

/// Configuration of the [`Letterbox`] detector (type `"letterbox"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::LetterboxConfig};
/// let c: LetterboxConfig = serde_json::from_str(r#"{"window": 1.0}"#).unwrap();
/// assert_eq!(c.threshold, LetterboxConfig::default().threshold);
/// assert!(LetterboxConfig { window: 0.0, ..Default::default() }.build("l").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LetterboxConfig {
    /// A row or column is black when its mean luma is at most this many code values above the
    /// black level. Default `8` (24 in limited range, `cropdetect`'s default limit).
    pub threshold: u8,
    /// Seconds of pictures whose active areas are united into one measurement. Default `2.0`.
    pub window: f64,
    /// Windows in a row that must agree on a new area before it is reported. Default `2`.
    pub confirm_windows: u32,
    /// Edge moves up to this share of the picture's width (height) are not a change. Default
    /// `0.02` (about 22 rows of 1080).
    pub min_change: f64,
    /// Read every `sample_step`-th pixel of every `sample_step`-th row (of the analysis copy
    /// when the decoder makes one). Default `2`.
    pub sample_step: usize,
}

impl Default for LetterboxConfig {
    fn default() -> Self {
        LetterboxConfig {
            threshold: 8,
            window: 2.0,
            confirm_windows: 2,
            min_change: 0.02,
            sample_step: 2,
        }
    }
}

impl DetectorConfig for LetterboxConfig {
    const TYPE: &'static str = "letterbox";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.positive_seconds("window", self.window)?;
        c.require(
            self.confirm_windows >= 1,
            "confirm_windows",
            "must be at least 1",
        )?;
        c.require(
            self.min_change.is_finite() && (0.0..0.5).contains(&self.min_change),
            "min_change",
            "must be in [0, 0.5)",
        )?;
        c.require(
            (1..=64).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 64",
        )?;
        Ok(Box::new(OnVideo::new(name, Letterbox::new(self.clone()))))
    }
}

/// A box of the picture in pixels: `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Area {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl Area {
    fn full(w: usize, h: usize) -> Self {
        Area {
            x0: 0,
            y0: 0,
            x1: w,
            y1: h,
        }
    }

    fn union(self, o: Area) -> Area {
        Area {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    fn near(self, o: Area, dx: usize, dy: usize) -> bool {
        self.x0.abs_diff(o.x0) <= dx
            && self.x1.abs_diff(o.x1) <= dx
            && self.y0.abs_diff(o.y0) <= dy
            && self.y1.abs_diff(o.y1) <= dy
    }

    fn write(&self, s: &mut String) {
        use std::fmt::Write;
        let _ = write!(s, "{}x{}", self.x1 - self.x0, self.y1 - self.y0);
        match (self.x0, self.y0) {
            (0, 0) => {}
            (0, y) => {
                let _ = write!(s, " at y={y}");
            }
            (x, 0) => {
                let _ = write!(s, " at x={x}");
            }
            (x, y) => {
                let _ = write!(s, " at x={x},y={y}");
            }
        }
    }
}

/// Reports `video_letterbox` notices when the active picture area (inside black bars) of the
/// (first) video stream changes. Built from a [`LetterboxConfig`].
pub struct Letterbox {
    cfg: LetterboxConfig,
    /// Full picture size the state belongs to.
    size: (usize, usize),
    current: Area,
    pending: Option<(Area, u32)>,
    window_start: Option<MediaTime>,
    window_area: Option<Area>,
    message: String,
}

impl Letterbox {
    /// A letterbox detector named `name`. Prefer [`LetterboxConfig::build`], which checks the
    /// values.
    pub fn new(cfg: LetterboxConfig) -> Self {
        Letterbox {
            cfg,
            size: (0, 0),
            current: Area::full(0, 0),
            pending: None,
            window_start: None,
            window_area: None,
            message: String::with_capacity(96),
        }
    }

    /// The active area of `f` in its own (analysis) pixels, or `None` when it is all black.
    fn area(&self, f: &VideoFrame) -> Option<Area> {
        let p: &Plane = f.luma();
        let s = self.cfg.sample_step;
        let limit = f.range().black_level() as u32 + self.cfg.threshold as u32;
        let (w, h) = (p.width(), p.height());
        let xs = (s / 2..w).step_by(s);
        let nx = xs.len() as u32;
        if nx == 0 || h == 0 {
            return None;
        }
        let dark = |sum: u32, n: u32| sum <= limit * n;
        let row_dark = |y: usize| {
            let r = p.row(y);
            let sum: u32 = (s / 2..w).step_by(s).map(|x| r[x] as u32).sum();
            dark(sum, nx)
        };
        let mut rows = (s / 2..h).step_by(s);
        let top = rows.find(|&y| !row_dark(y))?;
        let bottom = (s / 2..h)
            .step_by(s)
            .rev()
            .find(|&y| !row_dark(y))
            .unwrap_or(top);
        // Columns, over the active rows only, scanned from each side until the first
        // non-black one (usually the first: no pillarbox).
        let ny = ((bottom - top) / s + 1) as u32;
        let col_dark = |x: usize| {
            let sum: u32 = (top..=bottom).step_by(s).map(|y| p.row(y)[x] as u32).sum();
            dark(sum, ny)
        };
        let left = (s / 2..w).step_by(s).find(|&x| !col_dark(x)).unwrap_or(0);
        let right = (s / 2..w)
            .step_by(s)
            .rev()
            .find(|&x| !col_dark(x))
            .unwrap_or(w - 1);
        // Edges between the last dark sample and the first bright one: snap to the grid.
        let lo = |v: usize| v.saturating_sub(s / 2);
        let hi = |v: usize, max: usize| (v + s - s / 2).min(max);
        Some(Area {
            x0: lo(left),
            y0: lo(top),
            x1: hi(right, w).max(lo(left) + 1),
            y1: hi(bottom, h).max(lo(top) + 1),
        })
    }

    /// A window ended with the united area `a`.
    fn conclude(&mut self, a: Area, at: MediaTime, out: &mut Events) {
        let (w, h) = self.size;
        let dx = (self.cfg.min_change * w as f64).round() as usize;
        let dy = (self.cfg.min_change * h as f64).round() as usize;
        if a.near(self.current, dx, dy) {
            self.pending = None;
            return;
        }
        let count = match self.pending {
            Some((p, n)) if a.near(p, dx, dy) => n + 1,
            _ => 1,
        };
        if count >= self.cfg.confirm_windows {
            self.message.clear();
            self.message.push_str("active area ");
            self.current.write(&mut self.message);
            self.message.push_str(" -> ");
            a.write(&mut self.message);
            out.notice("video_letterbox", self.message.as_str(), at);
            self.current = a;
            self.pending = None;
        } else {
            self.pending = Some((a, count));
        }
    }
}

impl VideoDetector for Letterbox {
    fn needs(&self) -> Needs {
        // row and column mean levels over windows of seconds
        Needs {
            every_frame: false,
            deblocked: false,
        }
    }

    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let size = (frame.width(), frame.height());
        if size != self.size {
            self.size = size;
            self.current = Area::full(size.0, size.1);
            self.pending = None;
            self.window_start = None;
            self.window_area = None;
        }
        let t = frame.time();
        let start = *self.window_start.get_or_insert(t);
        if t.secs_since(start) >= self.cfg.window - 1e-9 {
            if let Some(a) = self.window_area.take() {
                self.conclude(a, t, out);
            }
            self.window_start = Some(t);
        }
        let small = frame.analysis();
        if let Some(a) = self.area(small) {
            // Back to full-picture pixels.
            let (sw, sh) = (small.width().max(1), small.height().max(1));
            let a = if (sw, sh) == size {
                a
            } else {
                let sx = |v: usize| (v * size.0 + sw / 2) / sw;
                let sy = |v: usize| (v * size.1 + sh / 2) / sh;
                Area {
                    x0: sx(a.x0),
                    y0: sy(a.y0),
                    x1: sx(a.x1).min(size.0),
                    y1: sy(a.y1).min(size.1),
                }
            };
            self.window_area = Some(self.window_area.map_or(a, |w| w.union(a)));
        }
    }

    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {
        self.window_start = None;
        self.window_area = None;
    }

    fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
}
