//! Whether a picture brings new evidence of content damage: a held picture does not.
//!
//! When a picture freezes (a frame repeated upstream and coded again), the encoder keeps
//! re-coding the same picture over the next frames and its block edges can grow (x265 raised
//! the 16-pixel index of a held picture from 1.3 to 1.6 over a few frames), then stay: each
//! repeat is the same blocky picture again, not another damaged one. Damage shows on a picture
//! that changed: its blocks replace content, which moves the mean luma of the tiles they fall
//! in; a held picture's tiles move by re-coding noise only.

use crate::detect::measure::block_edge::Moved;

/// Change of a tile's mean luma (code values), per picture since the same rows were last
/// read (`band_phases` pictures before), under which no tile moved: 0.25, 1 with the default
/// 4 phases. On the held pictures of 37 freezes (six draws of the shared corpus, H.264 and
/// HEVC, 25–50 fps, some with film grain) runs of pictures that moved a tile by 1 lasted
/// 0.16 s at most from the hold's first picture (its first pictures, against rows read before
/// the hold, and a key frame coding it again; by 0.5: 0.44 s), short of `min_duration`. In the
/// damaged clips of the real-content and shared corpora every picture that rose past the
/// thresholds moved a tile by 2.3 at least (679 pictures), every one that rose by half of them
/// outside a confirmed episode by 1.44 (1834).
pub(super) const STILL_STEP: f32 = 0.25;

/// Whether the bands the picture just measured did not move since they were last read
/// `phases` pictures before (`m`, from
/// [`BlockMeasure::moved`](crate::detect::measure::block_edge::BlockMeasure::moved)): no tile
/// read both times moved by `phases` × [`STILL_STEP`]. Nothing read both times: not still.
pub(super) fn still(m: &Moved, phases: usize) -> bool {
    m.tiles > 0 && m.max < STILL_STEP * phases as f32
}

/// The run of consecutive held pictures (see [`still`]), for [`Held::pause`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Held(usize);

impl Held {
    /// The next picture, `fresh` or held. Whether it is a pause: a held picture among fewer
    /// than `phases` in a row, which neither counts in a run of rising pictures nor ends it.
    /// Damage in one part of a picture that is otherwise still (a graphic with a small inset)
    /// moves the tiles of the bands it lies in, not the others: some of the `phases` pictures
    /// that read the picture in turn read none of it, and are held. A freeze holds every band:
    /// after `phases` held pictures in a row the runs end, as they did on the first.
    pub(super) fn pause(&mut self, fresh: bool, phases: usize) -> bool {
        self.0 = if fresh { 0 } else { self.0 + 1 };
        !fresh && self.0 < phases
    }
}
