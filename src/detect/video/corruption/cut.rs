//! When a picture begins a new shot, and what of the new shot's blockiness is its own coding.
//!
//! **At a cut** (the bands a picture reads show 3× more or less detail than when last read, or
//! the mean luma of most of their tiles moved: a new picture, where blocking of the same one
//! keeps its blocks' means), a rise on the 8-pixel grid alone is the new shot's own coding (a
//! still coded coarser than the one before steps on the grid of its transform blocks): until
//! the new shot's bands have all been read, and `band_phases` pictures after, the 8-pixel
//! baseline rises to the picture's index. A rise on the 16-pixel grid as well (the macroblocks
//! and CTUs that damage takes) meanwhile restores the baseline from before the cut: the
//! picture is judged as anywhere else (damage can change a picture's detail as much as a cut
//! does).
//!
//! **A plainer or whole new shot brought by a clean key picture** (a key or I-picture the
//! decoder did not report damaged, among the cut's pictures, and every band read by them showing
//! less detail than when last read, or moving the mean luma of nearly all its tiles:
//! [`CUT_WHOLE`]) is a new shot that the encoder began afresh: it was coded from nothing
//! before it, so its blockiness on either grid is that of its own coding, however much coarser
//! than the last shot (a starved rate control codes a new programme's first pictures in coarse
//! macroblocks, and coarser coding takes detail away). A rise on the 16-pixel grid over the
//! shot's start restores no baseline; the 8-pixel baseline rises to the picture's index as at
//! any cut, and the 16-pixel one, learnt as anywhere else meanwhile, rises to the index of
//! the start's last picture, the first whose sums hold the new shot's bands only (raised to
//! every picture of the start, or set to it, it moved where the 16-pixel grid never rose far,
//! and flip damage 2–3 s after such cuts was then found a picture late, or its faint run
//! taken 0.25 s early, on two draws). Damage from lost or flipped data comes on a predicted
//! picture of a shot that was clean a picture before, and is judged against the new shot's own
//! level once its start has been read.
//!
//! **A key picture whose own data was flipped** turns the picture into detailed garbage (the
//! bands' detail rose 3.6–4.8× on an HEVC flip of a 720p draw, a key picture cut-like), but only
//! from the flip on: the slice decodes intact up to the flipped bit, so the rows above the
//! garbage keep their content and their tiles' means (0.53–0.67 of the tiles moved). Damage is
//! local; a new shot replaces the whole picture. A shot that came busier, or as busy, and did
//! not move nearly every tile is judged as before. (A flip in the very first bytes of a
//! picture's only slice garbles all of it: such a key picture, were its garbage busier and its
//! blocks the encoder's kind, is not told from a new shot.) A key picture that comes while
//! damage is on screen (decoder or content) is the refresh that ends it, not a new shot: the
//! pictures after it are judged against the baseline from before the damage.
//!
//! On the second-generation channels (a seed's clean programmes back to back, re-encoded in
//! H.264 and MPEG-2, every junction coded as a key picture) the new programmes' first pictures
//! rose 1.2–1.5× on the 16-pixel grid against the last programme's level and held there for
//! seconds: 12 content-judged intervals in an hour, 10 of them into plainer shots, the other
//! 2 (and a third on a third channel) into busier programmes, whole new pictures (0.95–1.00 of
//! the tiles moved on every picture of the cut).

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

/// Share of the tiles read (see [`Moved`](crate::detect::measure::block_edge::Moved)) that
/// every picture of a cut must move for a clean key picture to bring a whole new shot, busier
/// or not (see the module notes). 0.85: the keyed junctions into busier programmes that the
/// three second-generation channels reported as damage moved 0.95–1.00 of the tiles on every
/// picture of the cut (3 junctions, 12 pictures); the HEVC key picture whose flipped data
/// turned it into garbage from the flip on (`corrupt_hevc_flip_5` of realeval seed 18, its
/// 640×360 and 720p codings) 0.53–0.67.
pub(super) const CUT_WHOLE: f32 = 0.85;

use super::baseline::GridBaseline;

/// A new shot's start, during which its own coding is not damage (see the module notes):
/// pictures left of it, the baselines from before the cut, whether a clean key picture came
/// among its cut pictures and whether each of them read less detail than before.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct NewShot {
    left: usize,
    before: (GridBaseline, GridBaseline),
    key: bool,
    plainer: bool,
    whole: bool,
}

impl NewShot {
    /// Follows one picture: `cut` (it begins a new shot, see [`CUT_ACTIVITY`]), `key` (a key
    /// picture the decoder did not report damaged), `plainer` (its bands read less detail than
    /// when last read), `damage` (the decoder reports damage, or the 16-pixel grid rose
    /// faintly), `n` (`band_phases`). Restores the baselines `grids` (8- and 16-pixel) from
    /// before the cut where damage shows in a shot that a clean key picture did not bring, or
    /// that did not come plainer. Returns whether the picture belongs to a new shot's start,
    /// and whether it is the last picture of the start of a shot whose 16-pixel grid is its
    /// own coding too (it reads the new shot's bands only).
    pub(super) fn push(
        &mut self,
        (cut, key, plainer, whole, damage, n): (bool, bool, bool, bool, bool, usize),
        grids: (&mut GridBaseline, &mut GridBaseline),
    ) -> (bool, bool) {
        let was_keyed = self.left > 0 && self.keyed();
        if cut {
            // The pictures after a cut that read bands of the new shot for the first time are
            // flagged as well: the same cut, begun where the first was (its key picture may
            // come a picture later in display order).
            *self = if self.left > 0 {
                NewShot {
                    left: n,
                    key: self.key || key,
                    plainer: self.plainer && plainer,
                    whole: self.whole && whole,
                    ..*self
                }
            } else {
                NewShot {
                    left: n,
                    before: (*grids.0, *grids.1),
                    key,
                    plainer,
                    whole,
                }
            };
        }
        if was_keyed && !self.keyed() {
            *grids.1 = self.before.1;
        }
        if self.left > 0 && damage && !self.keyed() {
            *grids.0 = self.before.0;
            self.left = 0;
        }
        let shot = (self.left > 0, self.left == 1 && self.keyed());
        self.left = self.left.saturating_sub(1);
        shot
    }

    /// Whether the shot's 16-pixel grid is its own coding: a clean key picture brought it, and
    /// it came plainer or whole.
    fn keyed(&self) -> bool {
        self.key && (self.plainer || self.whole)
    }
}
