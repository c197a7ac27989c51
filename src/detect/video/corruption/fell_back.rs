//! The 16-pixel grid fallen back in a content episode it rose in: the 8-pixel grid alone no
//! longer holds the episode.
//!
//! Damage in macroblocks and CTUs (a spliced-in starved encode, concealment) steps on the
//! 16-pixel grid as on the 8-pixel one. When it leaves the picture, an HEVC or H.264 encoder
//! codes the clean pictures that follow from the damaged ones in its own transform blocks,
//! whose edges (8 pixels and under, on every line of the 8-pixel grid alike) keep the 8-pixel
//! index up for a few tenths of a second more while the 16-pixel index is back at the stream's
//! own (x265 at 352×288: 0.3–0.6 s after spliced-in blocking, until the next key frame). That
//! residue is the clean picture's coding, not the damage: once the 16-pixel grid of an episode
//! that rose on it shows no rise at all, the 8-pixel grid is no evidence for that episode,
//! until the 16-pixel grid rises again (damage that grows back, or spreads in macroblocks
//! after a first faint showing).

/// Whether the open content episode rose on the 16-pixel grid, and whether that grid fell
/// back since.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FellBack {
    risen16: bool,
    fell: bool,
    /// An episode was open in the current run of rising pictures.
    armed: bool,
    /// Consecutive judged pictures with a faint rise on the 16-pixel grid since it fell back.
    faint_run: usize,
}

impl FellBack {
    /// The next picture: `open` when a content episode is open, `judged` when the picture is
    /// judged, `rising` when it rose on either grid by the faint rise, `weak16` when its
    /// 16-pixel grid rose by the weak rise, `faint16` by the faint one.
    ///
    /// Returns whether the 16-pixel grid rose on a judged picture of the open episode (or of
    /// the run of rising pictures that continues one a key frame closed: damage that persists
    /// fires again, the same interval), later showed no faint rise on one (this picture or
    /// before), and has risen since neither by the weak rise nor by the faint one on `phases`
    /// pictures in a row: the 8-pixel grid is then no evidence for that episode. Forgotten when
    /// no episode is open and a judged picture does not rise.
    pub(super) fn push(
        &mut self,
        open: bool,
        judged: bool,
        rising: bool,
        weak16: bool,
        faint16: bool,
        phases: usize,
    ) -> bool {
        if judged {
            if !open && !rising {
                *self = FellBack::default();
            } else {
                // Rising again by the weak rise: the damage is back in macroblocks.
                self.armed |= open;
                self.risen16 |= weak16;
                // Or by the faint one on every band (`phases` pictures): damage that persists.
                self.faint_run = if self.fell && faint16 {
                    self.faint_run + 1
                } else {
                    0
                };
                let fell = self.fell || (self.risen16 && !faint16);
                self.fell = self.armed && !weak16 && self.faint_run < phases && fell;
            }
        }
        self.fell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fell_once_the_16_pixel_grid_it_rose_on_shows_no_rise() {
        let mut f = FellBack::default();
        assert!(
            !f.push(true, true, true, false, false, 4),
            "never rose on the 16-pixel grid"
        );
        assert!(!f.push(true, true, true, true, true, 4));
        assert!(
            !f.push(true, false, false, false, false, 4),
            "a picture not judged"
        );
        assert!(!f.push(true, true, true, false, true, 4), "still faint");
        assert!(f.push(true, true, true, false, false, 4));
        assert!(
            f.push(true, true, true, false, true, 4),
            "a faint rise does not undo it"
        );
        assert!(
            !f.push(true, true, true, true, true, 4),
            "the 16-pixel grid rose again"
        );
        assert!(f.push(true, true, true, false, false, 4));
        assert!(
            f.push(true, true, false, false, false, 4),
            "an open episode's dip"
        );
        assert!(
            !f.push(false, true, false, false, false, 4),
            "no episode, no rise"
        );
        assert!(!f.push(true, true, true, false, false, 4), "a new episode");
    }

    #[test]
    fn the_run_that_continues_an_episode_a_key_frame_closed_counts() {
        let mut f = FellBack::default();
        assert!(
            !f.push(false, true, true, true, true, 4),
            "a run before any episode"
        );
        assert!(
            !f.push(false, true, true, false, false, 4),
            "where damage starts"
        );
        let mut f = FellBack::default();
        assert!(!f.push(true, true, true, true, true, 4));
        assert!(
            !f.push(false, true, true, true, true, 4),
            "a key frame closed the episode"
        );
        assert!(
            f.push(false, true, true, false, false, 4),
            "the 8-pixel grid alone rising"
        );
        assert!(
            f.push(true, true, true, false, false, 4),
            "the episode it confirms"
        );
    }
}
