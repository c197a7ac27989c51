//! What detectors need from the pictures, so a decoder may skip work no one needs.

/// What a detector needs from the pictures it [wants](crate::Wants::VIDEO), so that a decoder may
/// skip work no detector in the pipeline needs (see [`Decoder::relax`](crate::Decoder::relax)).
/// The default, [`Needs::ALL`], is what any detector may assume: every picture, fully decoded.
///
/// ```
/// use avqc::Needs;
/// let levels_only = Needs { deblocked: false, ..Needs::ALL };
/// assert_eq!(levels_only | Needs::ALL, Needs::ALL);
/// assert_eq!(Needs::NONE | levels_only, levels_only);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Needs {
    /// Every picture the stream holds. `false`: the detector also works when the decoder
    /// skips pictures no other picture refers to (H.264/HEVC non-reference pictures, most
    /// B-pictures of MPEG-2), e.g. it judges levels over seconds.
    pub every_frame: bool,
    /// Pictures after the codec's in-loop deblocking filter. `false`: the detector also works
    /// on pictures decoded without it (block edges left in), e.g. it reads mean levels; not
    /// for detectors that measure block edges or compare fine detail between pictures.
    pub deblocked: bool,
}

impl Needs {
    /// Every picture, fully decoded (the default of [`Detector::needs`](crate::Detector::needs)).
    pub const ALL: Needs = Needs {
        every_frame: true,
        deblocked: true,
    };
    /// Nothing: the identity of `|` (a pipeline without picture detectors).
    pub const NONE: Needs = Needs {
        every_frame: false,
        deblocked: false,
    };
}

impl Default for Needs {
    fn default() -> Self {
        Needs::ALL
    }
}

impl std::ops::BitOr for Needs {
    type Output = Needs;
    /// What two detectors need together.
    fn bitor(self, rhs: Needs) -> Needs {
        Needs {
            every_frame: self.every_frame || rhs.every_frame,
            deblocked: self.deblocked || rhs.deblocked,
        }
    }
}
