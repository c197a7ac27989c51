//! Decoder damage carried past a key frame that still looks damaged: lost packets of the key
//! frame that the decoder concealed without a flag. A key frame ends decoder damage, unless
//! the content measure still sees a rise on it and on every picture after it until the bands
//! measured before it are all replaced (`band_phases` pictures), and the 16-pixel grid rose on
//! one of them: concealed slices are macroblocks and CTUs, while a rise on the 8-pixel grid
//! alone is the key frame's own coding (an I-picture quantised coarser than the P-pictures
//! before it), as at a cut.

/// Pictures seen since a key frame ended decoder damage that kept looking damaged, and
/// whether the 16-pixel grid rose on one of them.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Carry(Option<(usize, bool)>);

impl Carry {
    /// The next picture: `ended` when it is a key frame that ended decoder damage, `key` when
    /// it is a key frame, `weak` when it rose on either grid, `risen16` on the 16-pixel one.
    pub(super) fn push(&mut self, ended: bool, key: bool, weak: bool, risen16: bool) {
        self.0 = if ended {
            Some((1, risen16)).filter(|_| weak)
        } else {
            self.0
                .filter(|_| weak && !key)
                .map(|(n, r)| (n + 1, r || risen16))
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
        c.push(true, true, true, false);
        for _ in 0..3 {
            c.push(false, false, true, false);
        }
        assert!(!c.carried(4), "the 8-pixel grid alone");
        let mut c = Carry::default();
        c.push(true, true, true, false);
        c.push(false, false, true, true);
        assert!(!c.carried(4), "not every band read yet");
        c.push(false, false, true, false);
        c.push(false, false, true, false);
        assert!(c.carried(4));
        c.push(false, false, false, false);
        assert!(!c.carried(4) && !c.active(), "it stops looking damaged");
    }
}
