//! The bookkeeping of `stutter` from frame to frame: each frame's [`Step`] from the previous one
//! (measured by [`Steps`]) and the picture being held over repeats ([`Held`]).

use super::config::StutterConfig;
use crate::detect::measure::cells::{CellGrid, GridScratch};
use crate::detect::measure::median::{max, median, median_at_most, surely_over_noise, CUT_LEVEL};
use crate::detect::measure::picture_means::PictureMeans;
use crate::media::{MediaTime, VideoFrame};

/// Share of blocks that must move (by `min_motion`) in the steps into and out of a held
/// picture for the scene to count as moving: a mouth or an eye of a drawn face pausing for a
/// frame (1 in 100 blocks) is no visible stutter.
pub(super) const MOVED_SHARE: f32 = 0.03;
/// Share of blocks changed by [`CUT_LEVEL`] or more from which a step may be an edit.
const EDIT_SHARE: f32 = 1.0 / 3.0;

/// One step from a frame to the next.
#[derive(Clone, Copy, Debug)]
pub(super) struct Step {
    /// Worst block change.
    pub(super) worst: f32,
    /// The frame repeats the previous picture.
    pub(super) same: bool,
    /// The step replaced the picture (a cut, a loop seam).
    pub(super) edit: bool,
    /// Share of blocks that changed by `min_motion` or more.
    pub(super) moved: f32,
}

/// The picture being held.
#[derive(Clone, Copy, Debug)]
pub(super) struct Held {
    /// Frames shown so far.
    pub(super) frames: u32,
    /// Worst-block change of the step into it (`None` for the first picture).
    pub(super) motion_in: Option<f32>,
    /// Share of blocks the step into it moved by `min_motion` or more.
    moved_in: f32,
    /// Largest worst-block change between its repeats.
    repeat_worst: f32,
    /// Times of its first frames (the first, and the first beyond each possible cadence up to
    /// 4 frames: index `k` is the time of frame `k`).
    pub(super) times: [MediaTime; 5],
    /// Display time of one frame.
    pub(super) frame_secs: f64,
    /// Too flat to judge (below `min_contrast`); measured at the first repeat (a picture shown
    /// once is never judged).
    pub(super) flat: bool,
}

impl Held {
    /// A new picture shown at `t` for `frame_secs`, after the step `step_in` (`None` for the
    /// first picture).
    pub(super) fn new(t: MediaTime, step_in: Option<Step>, frame_secs: f64) -> Self {
        Held {
            frames: 1,
            motion_in: step_in.map(|s| s.worst),
            moved_in: step_in.map_or(0.0, |s| s.moved),
            repeat_worst: 0.0,
            times: [t; 5],
            frame_secs,
            flat: false,
        }
    }

    /// The picture is shown again at `t`, changed by `worst`; `flat` tells whether it is too
    /// flat to judge (asked at its first repeat only).
    pub(super) fn repeat(&mut self, t: MediaTime, worst: f32, flat: impl FnOnce() -> bool) {
        if self.frames == 1 {
            // First repeat: judge the held picture's contrast now. Pictures shown once never
            // need it.
            self.flat = flat();
        }
        if (self.frames as usize) < self.times.len() {
            self.times[self.frames as usize] = t;
        }
        self.frames += 1;
        self.repeat_worst = self.repeat_worst.max(worst);
    }

    /// The picture, which ended with `step_out`, was held in a near-still: the step into it or
    /// out of it changed the worst block by less than `min_motion`, too little to tell a
    /// repeat from slow motion (so where the repeat began or ended is unknowable). The first
    /// picture (no step into it) is not.
    pub(super) fn near_still(&self, step_out: Step, cfg: &StutterConfig) -> bool {
        self.motion_in
            .is_some_and(|motion_in| motion_in.min(step_out.worst) < cfg.min_motion)
    }

    /// The scene moves around the picture, which ended with `step_out`: the steps into and
    /// out of it each changed the worst block by at least `min_motion` and `motion_ratio`
    /// times the largest change between its repeats, and each moved [`MOVED_SHARE`] of the
    /// blocks.
    pub(super) fn moving(&self, step_out: Step, cfg: &StutterConfig) -> bool {
        let motion_out = step_out.worst;
        self.motion_in.is_some_and(|motion_in| {
            let moving = cfg.min_motion.max(cfg.motion_ratio * self.repeat_worst);
            motion_in >= moving
                && motion_out >= moving
                && self.moved_in >= MOVED_SHARE
                && step_out.moved >= MOVED_SHARE
        })
    }
}

/// Compares every frame with the previous one on a coarse grid of cell luma means.
#[derive(Default)]
pub(super) struct Steps {
    grid: Option<CellGrid>,
    /// Column sums (scratch for `CellGrid::means` and `CellGrid::diff`).
    acc: GridScratch,
    /// Cell means of the current and previous pictures.
    means: PictureMeans,
    have_prev: bool,
    mad: Vec<f32>,
    scratch: Vec<f32>,
    /// Share of blocks the last step changed by [`CUT_LEVEL`] or more.
    last_share: f32,
}

impl Steps {
    /// The step from the previous frame to `frame` (`None` for the first frame, and the first
    /// after the grid was rebuilt for a new picture size: `true` then), after which `frame`
    /// is the previous one.
    pub(super) fn next(&mut self, frame: &VideoFrame, cfg: &StutterConfig) -> (Option<Step>, bool) {
        let plane = frame.luma();
        let cells_per_block = (cfg.block_size / cfg.cell_size).max(1);
        let (grid, rebuilt) = CellGrid::fitting(
            &mut self.grid,
            plane,
            cfg.cell_size,
            cfg.sample_step,
            cells_per_block,
        );
        if rebuilt {
            self.have_prev = false;
        }
        self.means.fit(&grid);
        self.means.measure(frame, &grid);
        let step = self.have_prev.then(|| {
            self.means.diff_prev(&grid, &mut self.mad, &mut self.acc);
            self.judge(cfg)
        });
        self.means.cur_to_prev();
        self.have_prev = true;
        (step, rebuilt)
    }

    /// The step of the block changes just measured.
    fn judge(&mut self, cfg: &StutterConfig) -> Step {
        let worst = max(&self.mad);
        let (tol, k) = (cfg.tolerance, cfg.noise_factor);
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
            let min_motion = cfg.min_motion;
            moved = self.mad.iter().filter(|&&v| v >= min_motion).count() as f32 / n;
            // An edit replaces the picture: many blocks change, and far more than at the last
            // step of the scene (a cut, a loop seam; fast motion changes most blocks at every
            // step, so a share alone would take every step of a pan for an edit).
            let changed = self.mad.iter().filter(|&&v| v >= CUT_LEVEL).count();
            let share = changed as f32 / n;
            edit = share >= EDIT_SHARE && share > 3.0 * self.last_share;
            self.last_share = share;
        }
        Step {
            worst,
            same,
            edit,
            moved,
        }
    }

    /// The spatial contrast of the previous frame (see `StutterConfig::min_contrast`).
    pub(super) fn contrast(&self) -> f32 {
        // After the swap of `next`, `cur` holds the previous frame's cell means.
        self.means.contrast()
    }

    /// Starts anew (after a discontinuity): the next frame has no previous one.
    pub(super) fn restart(&mut self) {
        self.have_prev = false;
        self.last_share = 0.0;
    }
}
