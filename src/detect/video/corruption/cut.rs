//! When a picture begins a new shot: the thresholds of a cut (see the module docs of
//! `corruption`, **At a cut**).

/// Factor by which the activity of the bands a picture reads must differ from their last
/// reading for the picture to begin a new shot. 3: the cuts of a slideshow of drawn stills
/// measured 4.4–8.3; HEVC bit-flip damage at its onset 1.1–2.7 on three draws of the
/// real-content evaluation, 4.1 once on a fourth (a low-detail picture turned to detailed
/// garbage: its 16-pixel grid rose a picture later, which restores the baseline).
pub(super) const CUT_ACTIVITY: f32 = 3.0;

/// A picture begins a new shot, whatever its detail, when this share of the tiles read (see
/// [`Moved`](crate::detect::measure::block_edge::Moved)) moved in mean luma: a cut replaces
/// the picture's low-frequency content over most of its area, whereas blocking of the same
/// shot keeps each block's mean (and the tiles' means with it), however much it changes the
/// steps. 0.6: the cuts of MPEG-2 slideshows to a still coded coarser moved 0.69–0.93 of the
/// tiles (detail 1.3–2.8× lower, short of [`CUT_ACTIVITY`]); the first damaged pictures not
/// flagged by the decoder on four draws of the real-content evaluation at most 0.48, but one:
/// damage that turns the picture into garbage can move as many tiles as a cut (an HEVC flip
/// of the fourth draw: 0.66–0.77), and its 16-pixel grid rises with it, which restores the
/// baseline.
pub(super) const CUT_MOVED: f32 = 0.6;
