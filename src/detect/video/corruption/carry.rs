//! Decoder damage carried past a key frame that still looks damaged: lost packets of the key
//! frame that the decoder concealed without a flag. A key frame ends decoder damage, unless
//! the content measure still sees a rise on it and on every picture after it until the bands
//! measured before it are all replaced (`band_phases` pictures), and the 16-pixel grid rose on
//! the picture that completes that (the first whose sums hold only bands read on the key frame
//! and after it): concealed slices are macroblocks and CTUs, while a rise on the 8-pixel grid
//! alone is the key frame's own coding (an I-picture quantised coarser than the P-pictures
//! before it), as at a cut. A 16-pixel rise on the pictures before that one is no evidence: up
//! to `band_phases - 1` of the `band_phases` bands they are judged on were read on the damaged
//! pictures before the key frame (measured: a clean key frame after visible HEVC and MPEG-2
//! damage rose on the 16-pixel grid with it, then on the 8-pixel grid alone, and had carried
//! the damage 0.16–0.4 s past it over bit-exact pictures). A 16-pixel rise later than that one
//! is the coding of the pictures after the key frame, or damage of their own that the content
//! measure confirms by itself.

/// Pictures seen since a key frame ended decoder damage that kept looking damaged, and
/// whether the 16-pixel grid rose on the one whose sums first held none of the bands read
/// before the key frame.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Carry(Option<(usize, bool)>);

impl Carry {
    /// The next picture: `ended` when it is a key frame that ended decoder damage, `key` when
    /// it is a key frame, `weak` when it rose on either grid, `risen16` on the 16-pixel one;
    /// `phases`: pictures to replace every band.
    pub(super) fn push(
        &mut self,
        ended: bool,
        key: bool,
        weak: bool,
        risen16: bool,
        phases: usize,
    ) {
        self.0 = if ended {
            Some((1, risen16 && phases <= 1)).filter(|_| weak)
        } else {
            self.0
                .filter(|_| weak && !key)
                .map(|(n, r)| (n + 1, r || (risen16 && n + 1 == phases)))
        };
    }

    /// The damage is carried on with this picture (`phases`: pictures to replace every band).
    pub(super) fn carried(&self, phases: usize) -> bool {
        self.0.is_some_and(|(n, r)| r && n >= phases)
    }

    /// A key frame that ended decoder damage is being judged.
    pub(super) fn active(&self) -> bool {
        self.0.is_some()
    }

    /// Forgets it (a new stream).
    pub(super) fn reset(&mut self) {
        self.0 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carried_only_once_every_band_was_read_and_the_16_pixel_grid_rose() {
        let mut c = Carry::default();
        c.push(true, true, true, false, 4);
        for _ in 0..3 {
            c.push(false, false, true, false, 4);
        }
        assert!(!c.carried(4), "the 8-pixel grid alone");
        let mut c = Carry::default();
        c.push(true, true, true, false, 4);
        c.push(false, false, true, false, 4);
        c.push(false, false, true, false, 4);
        assert!(!c.carried(4), "not every band read yet");
        c.push(false, false, true, true, 4);
        assert!(c.carried(4));
        c.push(false, false, true, false, 4);
        assert!(c.carried(4), "held while it looks damaged");
        c.push(false, false, false, false, 4);
        assert!(!c.carried(4) && !c.active(), "it stops looking damaged");
    }

    #[test]
    fn a_16_pixel_rise_counts_only_on_the_picture_that_replaced_every_band() {
        // Risen on the key frame and the picture after it, whose sums still hold bands read
        // on the damaged pictures before the key frame: no evidence.
        let mut c = Carry::default();
        c.push(true, true, true, true, 4);
        c.push(false, false, true, true, 4);
        c.push(false, false, true, false, 4);
        c.push(false, false, true, false, 4);
        assert!(!c.carried(4) && c.active());
        // Risen later: the coding of the pictures after the key frame.
        c.push(false, false, true, true, 4);
        c.push(false, false, true, true, 4);
        assert!(!c.carried(4));
        // Every band read on every picture: the key frame's own sums count.
        let mut c = Carry::default();
        c.push(true, true, true, true, 1);
        assert!(c.carried(1));
    }
}
