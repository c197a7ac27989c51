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
//!   between its repeats, and each moved at least 3 in 100 blocks by `min_motion` (a mouth
//!   or an eye pausing for a frame while the rest of the picture stands is no visible
//!   stutter; a still or slowly changing scene is not judged; a long still is `freeze`'s
//!   domain, and so is any hold of `max_duration` or more);
//! - it has content: a black or plain picture (below `min_contrast`, such as the bottom of a
//!   fade through black) looks the same shown once or twice;
//! - it is held longer than the stream's **cadence**: streams made by frame doubling (12.5 or
//!   25 fps content at 25 or 50 fps), pulldown (24 → 30 or 60 fps), frame-rate conversion
//!   (24 → 25 fps) or a slideshow repeat pictures regularly. The detector remembers the holds
//!   of the last 160 pictures; a hold of *h* frames is the stream's cadence when the pictures
//!   held *h* frames or longer recur regularly and fill that history (the rule is in
//!   `cadence.rs`: a few alike holds of a slow scene are no cadence). Edited footage breaks
//!   that regularity (static shots and cuts add holds between the regular ones), so a repeat
//!   also keeps its cadence when it lies on a **period** of earlier repeats (4 frames or
//!   more, a whole number of frames under 10): one lies one to five periods back and
//!   `cadence_min - 1` more on other multiples of the period (up to 2 s), each within 0.6 of
//!   a frame (1.1 for periods of 10 frames or more), and they make at least half of the short
//!   repeats of that time. The rhythm learned last runs on through static shots: a later
//!   repeat on a whole number of its periods keeps the cadence too, and so does the first
//!   repeat of its hold after an edit, a still or a freeze (which shift its phase). Repeats
//!   where the scene does not move (see above) are left out of the rhythm once 3 repeats
//!   confirmed it: the pictures of a near-still moment repeat by chance, off its phase. Only the
//!   frames beyond the cadence's hold (beyond one frame in a stream without cadence) are
//!   stutter. The first cadence of a known pattern (on twos or threes, 24 → 25, pulldown,
//!   held stills) is announced once with a `video_cadence` notice (a period once 3 repeats
//!   fell on it); ordinary footage, which has no regular repeats, gets none. In a stream
//!   made by **frame doubling** (every picture held 2 or 3 frames, 20 or more such pictures a
//!   second: 25 or 30 fps video, film, at 50 or 60 fps) all this is counted in those base
//!   pictures (a hold of 4 frames is 2 pictures; 3 frames, the conversion's rounding, is 1),
//!   so a doubled 24 → 25 stream reads as the 25 fps one does;
//! - the steps into and out of it are alike: a step more than 4 times the other is an edit (a
//!   cut or a loop seam next to the held picture), not motion running through it; and it is
//!   not next to an **edit** (a step that replaced the picture: a third of the blocks or more
//!   changed by 12 code values, and 3 times the share of the scene's last changing step),
//!   neither ending at one nor beginning within 0.25 s after one: repeats at edit points (a
//!   cadence broken by the edit, the held first picture of a shot, a loop seam) are the
//!   edit's, not a fault of the feed;
//! - repeats are not the stream's habit: from the 5th repeat beyond the cadence within 10 s
//!   on (held under 1 s, in motion or not: a static shot is no habit), the content itself
//!   moves by steps (a graphic, intermittent animation, a drawn face whose mouth follows the
//!   sound) and repeats are not judged, and no period is learned from them. Footage shot or
//!   converted at its frame rate does not repeat pictures, so an isolated repeat in steady
//!   motion stays a stutter;
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

use super::cadence::{cadence_message, doubling_base, secs_after, History, HISTORY};
use crate::detect::check::ConfigCheck;
use crate::detect::measure::cells::{CellGrid, GridScratch};
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::measure::median::{max, median, median_at_most, surely_over_noise, CUT_LEVEL};
use crate::detect::measure::picture_means::PictureMeans;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, VideoFrame};

/// Repeats beyond the cadence within 10 s that make repeating pictures the stream's habit
/// (intermittent animation, a graphic or a drawn face that moves by steps).
const HABIT_REPEATS: usize = 5;
/// Share of blocks that must move (by `min_motion`) in the steps into and out of a held
/// picture for the scene to count as moving: a mouth or an eye of a drawn face pausing for a
/// frame (1 in 100 blocks) is no visible stutter.
const MOVED_SHARE: f32 = 0.03;
/// Repeats held this many seconds or longer (static shots) do not count for the habit.
const HABIT_HOLD: f64 = 1.0;
/// Seconds after an edit (a cut, a loop seam) in which a held picture is part of the edit.
const AFTER_EDIT: f64 = 0.25;
/// Share of blocks changed by [`CUT_LEVEL`] or more from which a step may be an edit.
const EDIT_SHARE: f32 = 1.0 / 3.0;
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
    /// Pictures held as long or longer among the last 160 (about 6 s) that make a hold the
    /// stream's regular cadence, at the least. Default `3`.
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

/// One step from a frame to the next.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// Worst block change.
    worst: f32,
    /// The frame repeats the previous picture.
    same: bool,
    /// The step replaced the picture (a cut, a loop seam).
    edit: bool,
    /// Share of blocks that changed by `min_motion` or more.
    moved: f32,
}

/// The picture being held.
#[derive(Clone, Copy, Debug)]
struct Held {
    /// Frames shown so far.
    frames: u32,
    /// Worst-block change of the step into it (`None` for the first picture).
    motion_in: Option<f32>,
    /// Share of blocks the step into it moved by `min_motion` or more.
    moved_in: f32,
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
    /// Cell means of the current and previous pictures.
    means: PictureMeans,
    have_prev: bool,
    mad: Vec<f32>,
    scratch: Vec<f32>,
    held: Option<Held>,
    /// Holds of the last pictures and the last repeats, in base pictures.
    history: History,
    /// Holds of the last pictures in frames, from which the base is learned.
    raw: History,
    /// Frames of one base picture: 2 in a stream made by frame doubling, else 1.
    base: u32,
    /// Watching since (start or last discontinuity).
    since: Option<MediaTime>,
    /// Frames shown beyond the cadence in the current episode.
    repeated: u64,
    /// Share of blocks the last step changed by [`CUT_LEVEL`] or more.
    last_share: f32,
    /// Time of the last edit (a step that replaced the picture).
    last_edit: Option<MediaTime>,
    /// An edit or a still came since the last repeat of the stream's rhythm.
    phase_lost: bool,
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
            means: PictureMeans::default(),
            have_prev: false,
            mad: Vec::new(),
            scratch: Vec::new(),
            held: None,
            history: History::new(),
            raw: History::new(),
            base: 1,
            since: None,
            repeated: 0,
            last_share: 0.0,
            last_edit: None,
            phase_lost: false,
            noticed: false,
        }
    }

    /// The step from the previous frame to this one (`None` for the first frame).
    fn compare(&mut self, frame: &VideoFrame) -> Option<Step> {
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
        self.means.fit(&grid);
        self.means.measure(frame, &grid);
        if !self.have_prev {
            return None;
        }
        self.means.diff_prev(&grid, &mut self.mad, &mut self.acc);
        let worst = max(&self.mad);
        let (tol, k) = (self.cfg.tolerance, self.cfg.noise_factor);
        // The median is found only when counting cannot settle it: a moving picture's is
        // over `tol`, or too low to allow its worst block.
        let same =
            !surely_over_noise(&self.mad, worst, tol, k) && median_at_most(&self.mad, tol) && {
                let noise = median(&self.mad, &mut self.scratch);
                noise <= tol && worst <= tol + k * noise
            };
        let mut edit = false;
        let mut moved = 0.0;
        if !same {
            let n = self.mad.len().max(1) as f32;
            let min_motion = self.cfg.min_motion;
            moved = self.mad.iter().filter(|&&v| v >= min_motion).count() as f32 / n;
            // An edit replaces the picture: many blocks change, and far more than at the last
            // step of the scene (a cut, a loop seam; fast motion changes most blocks at every
            // step, so a share alone would take every step of a pan for an edit).
            let changed = self.mad.iter().filter(|&&v| v >= CUT_LEVEL).count();
            let share = changed as f32 / n;
            edit = share >= EDIT_SHARE && share > 3.0 * self.last_share;
            self.last_share = share;
        }
        Some(Step {
            worst,
            same,
            edit,
            moved,
        })
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

    /// The held picture ended with a new one at `t` (change `motion_out`): judge it.
    fn end_held(&mut self, held: Held, step_out: Step, t: MediaTime, out: &mut Events) {
        let motion_out = step_out.worst;
        let (mut cadence, mut gap) = self.history.cadence(self.cfg.cadence_min);
        // Frame doubling: holds are judged in the stream's base pictures (module doc).
        let (raw, raw_gap) = match self.base {
            1 => (cadence, gap),
            _ => self.raw.cadence(self.cfg.cadence_min),
        };
        self.raw.push_hold(held.frames);
        if raw > 1 {
            self.notice(raw, raw_gap, held.times[0], out);
        }
        let native = raw == 1 && self.base > 1 && self.raw.mostly_once();
        let base = doubling_base(raw, raw_gap, held.frame_secs, native).unwrap_or(self.base);
        if base != self.base {
            // The holds learned are counted in the new base pictures; a base lost again (it
            // never was one) leaves nothing to rescale: the cadence is learned anew.
            if self.base == 1 {
                self.history.rescale(base);
            } else {
                self.history.clear();
                self.since = Some(held.times[0]);
            }
            self.base = base;
            (cadence, gap) = self.history.cadence(self.cfg.cadence_min);
        }
        let b = self.base;
        let (frames, frame_secs) = ((held.frames / b).max(1), held.frame_secs * b as f64);
        self.history.push_hold(frames);
        if frames <= 1 {
            return;
        }
        let start = held.times[0].as_secs_f64();
        // A stream that repeats pictures often and irregularly has no period to learn.
        let habit = self.history.habit_repeats(start, cadence) >= HABIT_REPEATS;
        let moving = held.motion_in.is_some_and(|motion_in| {
            let moving = self
                .cfg
                .min_motion
                .max(self.cfg.motion_ratio * held.repeat_worst);
            motion_in >= moving
                && motion_out >= moving
                && held.moved_in >= MOVED_SHARE
                && step_out.moved >= MOVED_SHARE
        });
        // Where the scene hardly moves, pictures repeat by chance among the rhythm's own
        // repeats: such a repeat is no evidence of the rhythm's phase, and does not move a
        // rhythm confirmed by 3 repeats (a near-still moment of a 3:2 pulldown re-anchored
        // it half a period off, and the next repeat in motion, on the true phase, was taken
        // for a stutter). It is not judged itself (see `moving` below).
        let chance = !moving && self.history.settled();
        let (hold, p) = if chance {
            (1, 0.0)
        } else if !habit && (frames > cadence || !self.noticed) {
            self.history
                .period_hold(start, frame_secs, self.cfg.cadence_min)
        } else {
            (1, 0.0)
        };
        if hold > 1 {
            cadence = cadence.max(hold);
            // The rhythm learned keeps its period while its repeats fall on it.
            if !self
                .history
                .on_grid(start, frame_secs, hold, self.phase_lost)
            {
                self.history.set_grid(start, p, hold);
            }
            // Announced once confirmed by 3 repeats on its periods.
            if let Some((period, hold)) = self.history.confirmed_rhythm() {
                let n = (period / frame_secs.max(1e-6)).round() as u32;
                self.notice(hold, n, held.times[0], out);
            }
        } else if !chance
            && self
                .history
                .on_grid(start, frame_secs, frames, self.phase_lost)
        {
            cadence = cadence.max(frames);
        } else if cadence > 1 && frames >= cadence && !self.history.has_grid() {
            self.history
                .set_grid(start, gap as f64 * frame_secs, cadence);
        }
        let long = held.frames as f64 * held.frame_secs >= self.cfg.max_duration - 1e-9;
        // A still or a freeze shifts the phase of a conversion's rhythm; a repeat of the
        // rhythm found its phase again.
        self.phase_lost = long || (self.phase_lost && frames > cadence);
        // Repeats beyond the cadence shorter than `HABIT_HOLD` count for the habit, in motion
        // or not: footage shot or converted at its rate does not repeat pictures, a picture
        // that moves by steps (and pauses now and then) does all the time.
        let short = !held.flat && !long;
        let pause = !held.flat && held.frames as f64 * held.frame_secs < HABIT_HOLD;
        self.history.push_repeat(start, frames, short, pause);
        let learned = self
            .since
            .is_some_and(|s| held.times[0].secs_since(s) >= self.cfg.learn_for);
        if frames <= cadence || !learned || held.flat || !moving || habit || long {
            return;
        }
        // A picture held at the edge of a shot is an edit, not a stutter: no motion runs
        // through it. The step into it or out of it is far larger than the other step (a cut,
        // a loop seam), or it is next to a step that replaced the picture.
        let motion_in = held.motion_in.unwrap_or(0.0);
        if motion_out > EDIT_RATIO * motion_in || motion_in > EDIT_RATIO * motion_out {
            return;
        }
        if step_out.edit || secs_after(held.times[0], self.last_edit) <= AFTER_EDIT + 1e-9 {
            return;
        }
        let first_extra = held.times[((cadence * b) as usize).min(4)];
        if !self.tracker.is_open() {
            self.repeated = 0;
        }
        self.repeated += (held.frames - cadence * b) as u64;
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

impl VideoDetector for Stutter {
    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        self.since.get_or_insert(t);
        let cmp = self.compare(frame.analysis());
        self.means.cur_to_prev();
        self.have_prev = true;
        match (cmp, self.held.as_mut()) {
            (
                Some(Step {
                    worst, same: true, ..
                }),
                Some(h),
            ) => {
                if h.frames == 1 {
                    // First repeat: judge the held picture's contrast now (after the swap,
                    // `cur` holds its cell means). Pictures shown once never need it.
                    h.flat = self.means.contrast() < self.cfg.min_contrast;
                }
                if (h.frames as usize) < h.times.len() {
                    h.times[h.frames as usize] = t;
                }
                h.frames += 1;
                h.repeat_worst = h.repeat_worst.max(worst);
                return;
            }
            (cmp, held) => {
                if let (Some(h), Some(step)) = (held.copied(), cmp) {
                    self.end_held(h, step, t, out);
                }
                if cmp.is_some_and(|s| s.edit) {
                    self.last_edit = Some(t);
                    self.phase_lost = true;
                }
                self.held = Some(Held {
                    frames: 1,
                    motion_in: cmp.map(|s| s.worst),
                    moved_in: cmp.map_or(0.0, |s| s.moved),
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
        self.history.clear();
        self.raw.clear();
        self.base = 1;
        self.since = None;
        self.last_share = 0.0;
        self.last_edit = None;
        self.phase_lost = false;
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
