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
//! that rose on it shows no rise at all, the 8-pixel grid is no evidence for that episode.

/// Whether the open content episode rose on the 16-pixel grid, and whether that grid fell
/// back since.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FellBack {
    risen16: bool,
    fell: bool,
}

impl FellBack {
    /// The next picture: `open` when a content episode is open, `judged` when the picture is
    /// judged, `rising` when it rose on either grid by the faint rise, `weak16` when its
    /// 16-pixel grid rose by the weak rise, `faint16` by the faint one. Whether the 16-pixel
    /// grid rose on a judged picture of the open episode, or of the run of rising pictures
    /// that may start one, and later showed no faint rise on one (this picture or before): the
    /// 8-pixel grid is then no evidence for that episode. Forgotten when no episode is open
    /// and a judged picture does not rise.
    pub(super) fn push(
        &mut self,
        open: bool,
        judged: bool,
        rising: bool,
        weak16: bool,
        faint16: bool,
    ) -> bool {
        if judged {
            if !open && !rising {
                *self = FellBack::default();
            } else {
                self.risen16 |= weak16;
                self.fell |= self.risen16 && !faint16;
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
            !f.push(true, true, true, false, false),
            "never rose on the 16-pixel grid"
        );
        assert!(!f.push(true, true, true, true, true));
        assert!(
            !f.push(true, false, false, false, false),
            "a picture not judged"
        );
        assert!(!f.push(true, true, true, false, true), "still faint");
        assert!(f.push(true, true, true, false, false));
        assert!(
            f.push(true, true, true, true, true),
            "latched for the episode"
        );
        assert!(
            f.push(true, true, false, false, false),
            "an open episode's dip"
        );
        assert!(
            !f.push(false, true, false, false, false),
            "no episode, no rise"
        );
        assert!(!f.push(true, true, true, false, false), "a new episode");
    }

    #[test]
    fn the_run_before_an_episode_counts() {
        let mut f = FellBack::default();
        assert!(!f.push(false, true, true, true, true));
        assert!(
            f.push(false, true, true, false, false),
            "the 8-pixel grid alone rising"
        );
        assert!(
            f.push(true, true, true, false, false),
            "the episode it confirms"
        );
    }
}
