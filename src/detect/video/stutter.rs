//! `stutter`: a picture shown more often than the stream's cadence while the scene moves
//! (`video_stutter`).
//!
//! Every frame is compared with the previous one on a coarse grid of cell luma means (the
//! helpers of `freeze`, sampled sparser): a frame **repeats** the previous picture when its
//! worst block changed by at most `tolerance` plus `noise_factor` times the median block change
//! (noise spread evenly, as in `freeze`) while the median itself stays within `tolerance`.
//! Consecutive repeats make one *picture* held for *h* frames.
//!
//! A held picture is a stutter when
//! - the scene moves around it: the step into the picture and the step out of it each changed
//!   the worst block by at least `min_motion` and by `motion_ratio` times the largest change
//!   between its repeats (a still or slowly changing scene is not judged; a long still is
//!   `freeze`'s domain, and so is any hold of `max_duration` or more);
//! - it has content: a black or plain picture (below `min_contrast`, such as the bottom of a
//!   fade through black) looks the same shown once or twice;
//! - it is held longer than the stream's **cadence**: streams made by frame doubling (12.5 or
//!   25 fps content at 25 or 50 fps), pulldown (24 → 30 or 60 fps) or frame-rate conversion
//!   (25 → 29.97 fps) repeat pictures regularly. The detector remembers the holds of the last
//!   [`HISTORY`] pictures; a hold of *h* frames is the stream's cadence when at least
//!   `cadence_min` of them were held *h* frames or longer, and at least 3 in 4 of the distances
//!   between those pictures lie within a third of their median (or of a multiple of it: a
//!   repeat the comparison missed) — the repeats are regularly spaced. A 24 → 25 fps conversion
//!   (one repeat a second) is such a cadence, and so would be any periodic repeat. Edited
//!   footage breaks that regularity (static shots and cuts add holds between the regular
//!   ones), so a repeat also keeps its cadence when it lies on a **period** of earlier repeats:
//!   one lies one to three periods back and `cadence_min - 1` more on other multiples of the
//!   period (up to 2 s), each within 0.6 of a frame. Only the frames beyond the cadence's hold
//!   (beyond one frame in a stream without cadence) are stutter. The first cadence of a known
//!   pattern (on twos or threes, 24 → 25, pulldown, held stills) is announced once with a
//!   `video_cadence` notice.
//! - the steps into and out of it are alike: a step more than 4 times the other is an edit (a
//!   cut or a loop seam next to the held picture), not motion running through it;
//! - repeats in motion beyond the cadence are not the stream's habit: from the 5th within 10 s
//!   on, the content itself moves by steps (a graphic, intermittent animation) and repeats are
//!   not judged.
//! - the stream has been watched for `learn_for` seconds (since the start or the last
//!   discontinuity), so that a cadence can be learned before repeats are judged.
//!
//! Stuttering pictures less than `merge_gap` apart make one interval, from the first repeated
//! frame to the first new picture after the last one, with `details.repeated_frames` (frames
//! shown beyond the cadence). The interval is written when the picture after the last repeat
//! arrives (start) and `merge_gap` later (end).

use crate::detect::one_stream::{OnVideo, VideoDetector};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::cells::{CellGrid, GridScratch};
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::measure::median::{max, median, median_at_most, surely_over_noise};
use crate::detect::measure::survey;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, VideoFrame};

/// Held pictures remembered for the cadence.
const HISTORY: usize = 160;
/// Repeats (pictures held 2 frames or more) remembered for the repeat period.
const REPEATS: usize = 64;
/// Longest repeat period looked for, in seconds.
const MAX_PERIOD: f64 = 2.0;
/// Seconds over which repeats in motion are counted for the stream's habit.
const HABIT_SECS: f64 = 10.0;
/// Repeats in motion beyond the cadence within [`HABIT_SECS`] that make repeating pictures
/// the stream's habit (intermittent animation, a graphic that moves by steps).
const HABIT_REPEATS: usize = 5;
/// A step out of (or into) a held picture this many times larger than the other step is an
/// edit (a cut, a loop seam), not motion running through the picture.
const EDIT_RATIO: f32 = 4.0;

/// Configuration of the [`Stutter`] detector (type `"stutter"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::StutterConfig};
/// let c: StutterConfig = serde_json::from_str(r#"{"merge_gap": 1.0}"#).unwrap();
/// assert_eq!(c.min_motion, StutterConfig::default().min_motion);
/// assert!(StutterConfig { cell_size: 0, ..Default::default() }.build("stutter").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StutterConfig {
    /// Stuttering pictures less than this many seconds apart make one interval. Default `0.5`.
    pub merge_gap: f64,
    /// A picture held this many seconds or longer is not a stutter (it is a freeze, or a still
    /// scene). Default `0.3`: below `freeze`'s 0.4 s minimum.
    pub max_duration: f64,
    /// Seconds watched (at the start and after a discontinuity) before repeats are judged, to
    /// learn the stream's cadence. Default `3.0`: long enough to see 3 repeats of a 24 → 25 fps
    /// conversion (one repeat a second).
    pub learn_for: f64,
    /// Pictures held as long or longer among the last 160 (about 6 s) that make a hold the stream's regular
    /// cadence. Default `3`.
    pub cadence_min: usize,
    /// Side of the square cells, in pixels, whose mean luma is compared. Default `8`.
    pub cell_size: usize,
    /// Read every `sample_step`-th pixel of every `sample_step`-th row of a cell. Default `4`:
    /// a repeated picture differs from the previous one by encoder noise only, a moving one by
    /// far more, so a sixteenth of the pixels decides as well as all of them.
    pub sample_step: usize,
    /// Side of the square blocks whose cell differences are averaged, in pixels. Default `16`.
    pub block_size: usize,
    /// Largest block change (mean absolute difference of cell means, 8-bit code values) of a
    /// repeated picture, before the noise allowance. Default `6.0`: a duplicated frame coded as
    /// a skipped P-frame changes by well under 1, but a heavily compressed stream re-codes it
    /// with residual that moved the worst block by up to about 5 in the fixtures; the motion
    /// test (`min_motion`, `motion_ratio`) keeps slow motion from counting as a repeat.
    pub tolerance: f32,
    /// Noise allowance: the worst block may also exceed `tolerance` by this many times the
    /// median block change. Default `2.0` (as in `freeze`).
    pub noise_factor: f32,
    /// Smallest worst-block change of the steps into and out of a repeated picture for the
    /// scene to count as moving. Default `10.0`: well above re-coding noise, below the change of
    /// any visible motion.
    pub min_motion: f32,
    /// The steps into and out of a repeated picture must also change the worst block this many
    /// times more than the repeats did. Default `4.0`.
    pub motion_ratio: f32,
    /// Smallest spatial contrast of a held picture for it to be judged: the mean absolute
    /// deviation of its cell means from their mean, in code values. Default `3.0`: a black or
    /// plain picture (the bottom of a fade through black, a slate) looks the same whether it
    /// is shown once or twice, while any scene with visible content measures 10 or more.
    pub min_contrast: f32,
}

impl Default for StutterConfig {
    fn default() -> Self {
        StutterConfig {
            merge_gap: 0.5,
            max_duration: 0.3,
            learn_for: 3.0,
            cadence_min: 3,
            cell_size: 8,
            sample_step: 4,
            block_size: 16,
            tolerance: 6.0,
            noise_factor: 2.0,
            min_motion: 10.0,
            motion_ratio: 4.0,
            min_contrast: 3.0,
        }
    }
}

impl DetectorConfig for StutterConfig {
    const TYPE: &'static str = "stutter";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.seconds("merge_gap", self.merge_gap)?;
        c.positive_seconds("max_duration", self.max_duration)?;
        c.seconds("learn_for", self.learn_for)?;
        c.require(
            (2..=HISTORY).contains(&self.cadence_min),
            "cadence_min",
            "must be between 2 and 160 pictures",
        )?;
        c.require(
            (1..=256).contains(&self.block_size),
            "block_size",
            "must be between 1 and 256 pixels",
        )?;
        c.require(
            (1..=self.block_size).contains(&self.cell_size),
            "cell_size",
            "must be between 1 and block_size",
        )?;
        c.require(
            (1..=self.cell_size).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and cell_size",
        )?;
        c.require(
            self.tolerance.is_finite() && (0.0..=255.0).contains(&self.tolerance),
            "tolerance",
            "must be between 0 and 255 code values",
        )?;
        c.at_least("noise_factor", self.noise_factor as f64, 0.0)?;
        c.require(
            self.min_motion.is_finite() && (0.0..=255.0).contains(&self.min_motion),
            "min_motion",
            "must be between 0 and 255 code values",
        )?;
        c.at_least("motion_ratio", self.motion_ratio as f64, 1.0)?;
        c.require(
            self.min_contrast.is_finite() && (0.0..=255.0).contains(&self.min_contrast),
            "min_contrast",
            "must be between 0 and 255 code values",
        )?;
        Ok(Box::new(OnVideo::new(name, Stutter::new(self.clone()))))
    }
}

/// The picture being held.
#[derive(Clone, Copy, Debug)]
struct Held {
    /// Frames shown so far.
    frames: u32,
    /// Worst-block change of the step into it (`None` for the first picture).
    motion_in: Option<f32>,
    /// Largest worst-block change between its repeats.
    repeat_worst: f32,
    /// Times of its first frames (the first, and the first beyond each possible cadence up to
    /// 4 frames: index `k` is the time of frame `k`).
    times: [MediaTime; 5],
    /// Display time of one frame.
    frame_secs: f64,
    /// Too flat to judge (below `min_contrast`); measured at the first repeat (a picture shown
    /// once is never judged).
    flat: bool,
}

/// Detects stutter: reports `video_stutter` for pictures repeated beyond the stream's cadence
/// while the scene moves. Built from a [`StutterConfig`].
pub struct Stutter {
    cfg: StutterConfig,
    tracker: SpanTracker,
    clock: FrameClock,
    grid: Option<CellGrid>,
    /// Column sums (scratch for `CellGrid::means` and `CellGrid::diff`).
    acc: GridScratch,
    cur: Vec<f32>,
    prev: Vec<f32>,
    have_prev: bool,
    mad: Vec<f32>,
    scratch: Vec<f32>,
    held: Option<Held>,
    /// Holds of the last pictures (ring buffer) and how many are stored.
    holds: [u32; HISTORY],
    n_holds: usize,
    next_hold: usize,
    /// Watching since (start or last discontinuity).
    since: Option<MediaTime>,
    /// Frames shown beyond the cadence in the current episode.
    repeated: u64,
    /// Start times (seconds) and holds of the last repeats (ring buffer), and how many are
    /// stored.
    repeats: [(f64, u32, bool); REPEATS],
    n_repeats: usize,
    next_repeat: usize,
    /// The `video_cadence` notice was written.
    noticed: bool,
}

impl Stutter {
    /// A stutter detector named `name`. Prefer [`StutterConfig::build`], which checks the
    /// values.
    pub fn new(cfg: StutterConfig) -> Self {
        Stutter {
            tracker: SpanTracker::new(0.0, cfg.merge_gap),
            cfg,
            clock: FrameClock::default(),
            grid: None,
            acc: GridScratch::default(),
            cur: Vec::new(),
            prev: Vec::new(),
            have_prev: false,
            mad: Vec::new(),
            scratch: Vec::new(),
            held: None,
            holds: [0; HISTORY],
            n_holds: 0,
            next_hold: 0,
            since: None,
            repeated: 0,
            repeats: [(0.0, 0, false); REPEATS],
            n_repeats: 0,
            next_repeat: 0,
            noticed: false,
        }
    }

    /// The worst block change against the previous frame and whether the frame repeats it
    /// (`None` for the first frame).
    fn compare(&mut self, frame: &VideoFrame) -> Option<(f32, bool)> {
        let plane = frame.luma();
        let cells_per_block = (self.cfg.block_size / self.cfg.cell_size).max(1);
        let (grid, rebuilt) = CellGrid::fitting(
            &mut self.grid,
            plane,
            self.cfg.cell_size,
            self.cfg.sample_step,
            cells_per_block,
        );
        if rebuilt {
            self.have_prev = false;
            self.held = None;
        }
        survey::means(frame, &grid, &mut self.cur);
        if !self.have_prev {
            return None;
        }
        grid.diff_mad(&self.cur, &self.prev, &mut self.mad, &mut self.acc);
        let worst = max(&self.mad);
        let (tol, k) = (self.cfg.tolerance, self.cfg.noise_factor);
        // The median is found only when counting cannot settle it: a moving picture's is
        // over `tol`, or too low to allow its worst block.
        let same =
            !surely_over_noise(&self.mad, worst, tol, k) && median_at_most(&self.mad, tol) && {
                let noise = median(&self.mad, &mut self.scratch);
                noise <= tol && worst <= tol + k * noise
            };
        Some((worst, same))
    }

    /// The longest hold that is the stream's regular cadence (1 when there is none), and the
    /// median number of frames from one such hold to the next.
    fn cadence(&self) -> (u32, u32) {
        let n = self.n_holds;
        let mut best = (1, 0);
        for h in 2..=5u32 {
            // Distances between the pictures held h frames or longer, oldest first.
            let mut gaps = [0u32; HISTORY];
            let mut n_gaps = 0;
            let mut count = 0;
            let mut last: Option<usize> = None;
            for i in 0..n {
                let idx = (self.next_hold + HISTORY - n + i) % HISTORY;
                if self.holds[idx] >= h {
                    count += 1;
                    if let Some(l) = last {
                        gaps[n_gaps] = (i - l) as u32;
                        n_gaps += 1;
                    }
                    last = Some(i);
                }
            }
            if count < self.cfg.cadence_min || n_gaps == 0 {
                break;
            }
            let g = &mut gaps[..n_gaps];
            g.sort_unstable();
            let med = g[n_gaps / 2];
            // A repeat the comparison missed makes a distance of a multiple of the cadence.
            let regular = g
                .iter()
                .filter(|&&d| {
                    let k = ((d as f32 / med.max(1) as f32).round() as u32).max(1);
                    d.abs_diff(k * med) <= (med / 3).max(1)
                })
                .count();
            if regular * 4 < n_gaps * 3 {
                break;
            }
            best = (h, med + h - 1);
        }
        best
    }

    /// The repeat `k` places back (0 = the latest).
    fn repeat_back(&self, k: usize) -> (f64, u32, bool) {
        self.repeats[(self.next_repeat + REPEATS - 1 - k) % REPEATS]
    }

    /// The hold that a regular period of repeats grants a picture held from `start` (1 when
    /// it lies on none), with that period in seconds: an earlier repeat lies one to three
    /// periods `p` back, and `cadence_min - 1` more lie on other multiples of `p` (up to
    /// `cadence_min + 2` periods back, so repeats the comparison missed do not break it), each
    /// within 0.6 of a frame. The hold granted is the shortest among those
    /// repeats. Repeats that keep one rhythm while static shots and cuts add others in between
    /// (a 24 → 25 fps conversion of edited footage, pulldown of slow scenes) are found this
    /// way, where the regularity of all holds ([`Stutter::cadence`]) is broken.
    fn period_hold(&self, start: f64, frame_secs: f64) -> (u32, f64) {
        let tol = 0.6 * frame_secs;
        let need = self.cfg.cadence_min - 1;
        let max_mult = self.cfg.cadence_min as f64 + 2.0;
        let mut best = (1, 0.0);
        for j in 0..self.n_repeats {
            let (tj, hj, _) = self.repeat_back(j);
            if start - tj > 3.0 * MAX_PERIOD {
                break;
            }
            if hj <= best.0 {
                continue;
            }
            for mj in 1..=3 {
                let p = (start - tj) / mj as f64;
                if p > MAX_PERIOD || p < 2.0 * frame_secs - tol {
                    continue;
                }
                let mut found = 0;
                let mut hold = hj;
                for k in j + 1..self.n_repeats {
                    let (tk, hk, _) = self.repeat_back(k);
                    let d = start - tk;
                    if d > max_mult * p + tol {
                        break;
                    }
                    let m = (d / p).round();
                    if m > mj as f64 && (d - m * p).abs() <= tol {
                        found += 1;
                        hold = hold.min(hk);
                    }
                }
                if found >= need && hold > best.0 {
                    best = (hold, p);
                }
            }
        }
        best
    }

    /// Repeats in motion within [`HABIT_SECS`] before `start`.
    fn moving_repeats(&self, start: f64) -> usize {
        (0..self.n_repeats)
            .map(|k| self.repeat_back(k))
            .take_while(|r| start - r.0 <= HABIT_SECS)
            .filter(|r| r.2)
            .count()
    }

    fn push_repeat(&mut self, start: f64, h: u32, moving: bool) {
        self.repeats[self.next_repeat] = (start, h, moving);
        self.next_repeat = (self.next_repeat + 1) % REPEATS;
        self.n_repeats = (self.n_repeats + 1).min(REPEATS);
    }

    /// Writes the `video_cadence` notice once: pictures held `hold` frames every `period`
    /// frames (`period` 0: every picture).
    fn notice(&mut self, hold: u32, period: u32, at: MediaTime, out: &mut Events) {
        if self.noticed {
            return;
        }
        // Only the patterns of known conversions and of held stills are announced: the other
        // regular holds of static scenes are not worth a line.
        if let Some(message) = cadence_message(hold, period) {
            self.noticed = true;
            out.notice("video_cadence", message, at);
        }
    }

    fn push_hold(&mut self, h: u32) {
        self.holds[self.next_hold] = h;
        self.next_hold = (self.next_hold + 1) % HISTORY;
        self.n_holds = (self.n_holds + 1).min(HISTORY);
    }

    /// The held picture ended with a new one at `t` (change `motion_out`): judge it.
    fn end_held(&mut self, held: Held, motion_out: f32, t: MediaTime, out: &mut Events) {
        let (mut cadence, gap) = self.cadence();
        self.push_hold(held.frames);
        if cadence > 1 {
            self.notice(cadence, gap, held.times[0], out);
        }
        if held.frames <= 1 {
            return;
        }
        let start = held.times[0].as_secs_f64();
        let (hold, p) = if held.frames > cadence || !self.noticed {
            self.period_hold(start, held.frame_secs)
        } else {
            (1, 0.0)
        };
        if hold > 1 {
            let frames = (p / held.frame_secs.max(1e-6)).round() as u32;
            self.notice(hold, frames, held.times[0], out);
            cadence = cadence.max(hold);
        }
        let moving = held.motion_in.is_some_and(|motion_in| {
            let moving = self
                .cfg
                .min_motion
                .max(self.cfg.motion_ratio * held.repeat_worst);
            motion_in >= moving && motion_out >= moving
        });
        let habit = self.moving_repeats(start) >= HABIT_REPEATS;
        // Only repeats beyond the cadence count for the habit.
        self.push_repeat(
            start,
            held.frames,
            moving && !held.flat && held.frames > cadence,
        );
        let learned = self
            .since
            .is_some_and(|s| held.times[0].secs_since(s) >= self.cfg.learn_for);
        if held.frames <= cadence || !learned || held.flat || !moving || habit {
            return;
        }
        // A picture held at the edge of a shot is an edit, not a stutter: no motion runs
        // through it. The step into it or out of it is far larger than the other step (a cut,
        // a loop seam).
        let motion_in = held.motion_in.unwrap_or(0.0);
        if motion_out > EDIT_RATIO * motion_in || motion_in > EDIT_RATIO * motion_out {
            return;
        }
        if held.frames as f64 * held.frame_secs >= self.cfg.max_duration - 1e-9 {
            return;
        }
        let first_extra = held.times[(cadence as usize).min(4)];
        if !self.tracker.is_open() {
            self.repeated = 0;
        }
        self.repeated += (held.frames - cadence) as u64;
        if let Some(c) = self.tracker.observe(true, first_extra, t) {
            self.emit(c, t, out);
        }
    }

    fn emit(&mut self, change: SpanChange, at: MediaTime, out: &mut Events) {
        let mut d = Details::new();
        d.insert("repeated_frames".into(), json!(self.repeated));
        out.span(&DefectKind::VIDEO_STUTTER, change, at, d);
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            self.emit(c, at, out);
        }
        self.repeated = 0;
    }
}

/// The `video_cadence` notice's message for pictures held `hold` frames every `period` frames
/// (`period` at most `hold`: every picture), for the patterns of known conversions and held
/// stills (`None` for others).
fn cadence_message(hold: u32, period: u32) -> Option<String> {
    Some(match (hold, period) {
        (2, 0..=2) => "every picture held 2 frames (animation on twos, or frame doubling)".into(),
        (2, 5) => "1 repeat per 5 pictures (pulldown, 24 to 30 pictures)".into(),
        (2, 24..=26) => format!("1 repeat per {period} pictures (24→25 conversion)"),
        (3, 0..=3) => "every picture held 3 frames (animation on threes)".into(),
        (4.., 0..=5) if period <= hold => {
            format!("every picture held {hold} frames or more (held stills)")
        }
        _ => return None,
    })
}

/// Spatial contrast of a picture from its cell means: their mean absolute deviation from
/// their mean.
fn contrast(cells: &[f32]) -> f32 {
    if cells.is_empty() {
        return 0.0;
    }
    let n = cells.len() as f32;
    let mean = cells.iter().sum::<f32>() / n;
    cells.iter().map(|&c| (c - mean).abs()).sum::<f32>() / n
}

impl VideoDetector for Stutter {
    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        self.since.get_or_insert(t);
        let cmp = self.compare(frame.analysis());
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.have_prev = true;
        match (cmp, self.held.as_mut()) {
            (Some((worst, true)), Some(h)) => {
                if h.frames == 1 {
                    // First repeat: judge the held picture's contrast now (after the swap,
                    // `cur` holds its cell means). Pictures shown once never need it.
                    h.flat = contrast(&self.cur) < self.cfg.min_contrast;
                }
                if (h.frames as usize) < h.times.len() {
                    h.times[h.frames as usize] = t;
                }
                h.frames += 1;
                h.repeat_worst = h.repeat_worst.max(worst);
                return;
            }
            (cmp, held) => {
                let motion = cmp.map(|(w, _)| w);
                if let (Some(h), Some(m)) = (held.copied(), motion) {
                    self.end_held(h, m, t, out);
                }
                self.held = Some(Held {
                    frames: 1,
                    motion_in: motion,
                    repeat_worst: 0.0,
                    times: [t; 5],
                    frame_secs: until.secs_since(t),
                    flat: false,
                });
            }
        }
        if let Some(c) = self.tracker.observe(false, t, until) {
            self.emit(c, t, out);
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.have_prev = false;
        self.held = None;
        self.n_holds = 0;
        self.n_repeats = 0;
        self.since = None;
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
