//! Each tile's own normal blockiness index, for the share of the picture that a damaged
//! picture shows damaged (`damaged_share` in the events' details).

use super::baseline::GridBaseline;
use crate::detect::measure::block_edge::{BlockStats, TILES};

/// Per tile of the block-edge measure: seconds learnt, and its baselines on the 8- and the
/// 16-pixel grid (allocated once).
#[derive(Clone, Debug)]
pub(super) struct TileBaselines(Vec<(f32, GridBaseline, GridBaseline)>);

impl Default for TileBaselines {
    fn default() -> Self {
        TileBaselines(vec![Default::default(); TILES * TILES])
    }
}

impl TileBaselines {
    /// Learns the tiles of a picture with at least `min_activity` of mean step, by the share
    /// `a` (`dt`: the picture's seconds); each tile the plain mean until it has a second of
    /// its own.
    pub(super) fn learn(
        &mut self,
        tiles: impl Iterator<Item = BlockStats>,
        min_activity: f32,
        a: f32,
        dt: f32,
    ) {
        for (t, b) in tiles.zip(self.0.iter_mut()) {
            if t.activity >= min_activity {
                let a = if b.0 >= 1.0 { a } else { dt / (b.0 + dt) };
                b.0 += dt;
                b.1.learn(t.r8, a, a);
                b.2.learn(t.r16, a, a);
            }
        }
    }

    /// Forgets every tile (a new stream).
    pub(super) fn clear(&mut self) {
        self.0.iter_mut().for_each(|b| *b = Default::default());
    }

    /// Share of the picture (of its tiles with enough steps to judge and a learnt baseline)
    /// whose own index rose against the tile's own baseline by `min` (log) and `z`
    /// deviations, as the whole picture's did.
    pub(super) fn share(
        &self,
        tiles: impl Iterator<Item = BlockStats>,
        min_activity: f32,
        min: f32,
        z: f32,
    ) -> f32 {
        let (mut damaged, mut judged) = (0u32, 0u32);
        for (t, b) in tiles.zip(&self.0) {
            if t.activity < min_activity || b.0 < 1.0 {
                continue;
            }
            judged += 1;
            if b.1.rise(t.r8, min, z) || b.2.rise(t.r16, min, z) {
                damaged += 1;
            }
        }
        damaged as f32 / judged.max(1) as f32
    }
}
