//! Tops just under the pile band: what a window without piled peaks can still add to a
//! confirmed ceiling.
//!
//! A clipped voice's last pulses, once a codec's overshoots earlier in the passage have set the
//! ceiling over the rail, ripple under the band (AAC renders them up to 0.6 dB under the rail,
//! 1.2 dB under the ceiling). Two or more of one polarity broader than a sine's on average go on
//! with the ceiling by themselves (a steady tone's are not, and they confirm nothing). Fewer or
//! rounder ones, not sharper than a sine's on average ([`SHARP`]), only trail it: AAC rounds
//! the last clipped tops of a voice dying away to a sine's shape or a little broader (flatness
//! 0.3 to 0.47 in the flite voices of the real-content evaluation), one or two per window, while
//! the unclipped pulses that follow mostly keep sharp tips (0.10 to 0.19). Trailing tops carry
//! a passage's end only when they follow its last tops without a break (see
//! `detect::audio::clipping`): the voice held at the rail pulse after pulse. What they cannot
//! tell apart: a codec spreads the last clipped top over a few milliseconds, as round (up to
//! 20 ms after the last clipped sample when a second window of them follows), and a voice going
//! on unclipped a fraction of a dB under the rail has tops as round at the same level (0.39 to
//! 0.47, 0.5 to 1 dB under the ceiling, for 45 ms in one flite clip): the end takes them in.
//! Trailing tops holding a run of `min_run` samples at full scale are marked (`full_end`): a
//! later syllable clipped lightly and rounded under the band by the codec, which carries the
//! passage's end even where it does not follow the last tops closely (see
//! `detect::audio::clipping`).

use super::{Pile, PileSettings, WindowPile, SHARP};

/// The tops of each polarity (negative, positive) within [`super::UNDER`] times the band under
/// the ceiling, of a window without piled peaks, as they go on with a confirmed ceiling: two or
/// more of one polarity at least `s.min_flatness` flat on average go on; else one or more not
/// sharper than a sine's on average trail (`trailing`). Each polarity is judged alone: a voice
/// clipped on its tall pulses has sharp tops of the other polarity as loud.
pub(super) fn judge(under: [WindowPile; 2], s: &PileSettings) -> Option<Pile> {
    let flat = |u: &WindowPile| u.count >= 2 && u.flatness >= s.min_flatness * u.count as f32;
    let round = |u: &WindowPile| u.count >= 1 && u.flatness >= SHARP * u.count as f32;
    let trailing = !under.iter().any(flat);
    let keep = |u: &WindowPile| if trailing { round(u) } else { flat(u) };
    let under = under.into_iter().filter(keep).reduce(|mut a, b| {
        a.count += b.count;
        a.first = a.first.min(b.first);
        a.last = a.last.max(b.last);
        a.peak = a.peak.max(b.peak);
        a.full_end = a.full_end.max(b.full_end);
        a
    })?;
    Some(Pile {
        confirmed: false,
        goes_on: true,
        first: under.first,
        last: under.last,
        count: under.count,
        peak: under.peak,
        sharp: false,
        trailing,
        rose: false,
        full_end: under.full_end.filter(|_| trailing),
        pressed: false,
        kneed: false,
    })
}
