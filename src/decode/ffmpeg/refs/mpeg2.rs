//! Whether a loss in an MPEG-1/2 video stream took anchor pictures, read from picture headers.
//!
//! MPEG-1 and MPEG-2 never predict from a B-picture: a lost B-picture damages nothing but its
//! own display slot. Every picture header carries `temporal_reference`, the picture's place in
//! display order counted from the last GOP header. In decode order an anchor (I or P) comes
//! just before the B-pictures shown before it, and those count up from the number after the
//! previous anchor's. So, reading pictures in decode order:
//! - a B-picture numbered past the next one expected, but below its anchor's number, follows
//!   lost B-pictures only;
//! - a B-picture numbered past its anchor's follows a lost anchor;
//! - an anchor that comes before the B-pictures of the run it closes were all read follows
//!   lost B-pictures of that run;
//! - pictures missing right after an anchor are either that anchor's first B-pictures or an
//!   anchor lost before it. The two are told apart by the run's span (its anchor's number less
//!   the previous anchor's): a lost anchor at least doubles the span the stream keeps
//!   elsewhere. An irregular span is taken as a lost anchor.
//!
//! Only the start codes before the first picture's slices are read; nothing is allocated.

use super::bits::next_start;
use super::{Followed, Verdict};

/// `temporal_reference` is a 10-bit number.
const TR_BITS: u32 = 10;

/// Follows `temporal_reference` through an MPEG-1/2 video stream (one picture per packet, as
/// FFmpeg's parser gives them).
#[derive(Debug, Default)]
pub(crate) struct PictureOrder {
    /// The last anchor's number, the one before it (-1 at the start of a GOP), and the
    /// B-pictures of its run read so far.
    run: Option<Run>,
    /// The span of the last run read whole.
    span: Option<i32>,
    /// A GOP header was read since the last picture (numbering starts again).
    gop: bool,
    /// The last picture's number (a field picture's second field repeats it).
    last: Option<i32>,
}

/// The anchor read last and the B-pictures read after it in decode order.
#[derive(Clone, Copy, Debug)]
struct Run {
    anchor: i32,
    before: i32,
    /// The next B-picture number expected.
    next_b: i32,
    /// B-pictures of the run read.
    read: u32,
}

/// The picture coding types of a picture header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Anchor,
    B,
}

impl PictureOrder {
    /// A follower that has read nothing yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Reads one packet (in decode order). `lost`: `Some(true)` when the pictures read show
    /// an anchor lost (or cannot rule it out), `Some(false)` when nothing lost so far was an
    /// anchor, `None` when the packet holds no picture header or numbering starts again.
    pub(crate) fn read(&mut self, data: &[u8]) -> Followed {
        let Some((tr, coding)) = self.header(data) else {
            return Followed::default();
        };
        let lost = self.follow(tr, coding);
        Followed {
            lost,
            drops_lost: false,
            // A lost anchor's damage lasts to the next key frame: nothing more to follow.
            verdict: (lost == Some(true)).then_some(Verdict::Spread),
            never_ref: coding == Coding::B,
            cut_short: false,
            uses_cut: false,
        }
    }

    /// The first picture header of `data` (noting a GOP header before it): its number and
    /// coding type. `None` before a slice or at the end of the packet.
    fn header(&mut self, data: &[u8]) -> Option<(i32, Coding)> {
        let mut at = next_start(data, 0);
        while let Some(s) = at {
            match *data.get(s)? {
                0xb8 => self.gop = true,
                0x00 => {
                    let b0 = u32::from(*data.get(s + 1)?);
                    let b1 = u32::from(*data.get(s + 2)?);
                    let tr = ((b0 << 8 | b1) >> (16 - TR_BITS)) as i32;
                    let coding = match (b1 >> 3) & 7 {
                        1 | 2 => Coding::Anchor,
                        3 => Coding::B,
                        // D-pictures and forbidden values: nothing to follow.
                        _ => return None,
                    };
                    return Some((tr, coding));
                }
                // A slice before any picture header: the header was lost.
                0x01..=0xaf => return None,
                _ => {}
            }
            at = next_start(data, s);
        }
        None
    }

    /// Follows the picture numbered `tr`.
    fn follow(&mut self, tr: i32, coding: Coding) -> Option<bool> {
        let gop = std::mem::take(&mut self.gop);
        if !gop && self.last == Some(tr) {
            // The second field of a field-coded frame.
            return Some(false);
        }
        self.last = Some(tr);
        if gop {
            self.run = (coding == Coding::Anchor).then_some(Run {
                anchor: tr,
                before: -1,
                next_b: 0,
                read: 0,
            });
            return None;
        }
        let run = self.run.as_mut()?;
        let regular = |span: Option<i32>, run: &Run| span == Some(run.anchor - run.before);
        match coding {
            Coding::B => {
                if tr > run.anchor || tr < run.next_b {
                    // Its anchor was lost, or the numbers make no sense: wait for a GOP.
                    self.run = None;
                    return Some(true);
                }
                let lost = if tr > run.next_b {
                    run.read == 0 && !regular(self.span, run)
                } else {
                    false
                };
                run.next_b = tr + 1;
                run.read += 1;
                Some(lost)
            }
            Coding::Anchor => {
                if tr <= run.anchor {
                    self.run = None;
                    return Some(true);
                }
                let lost = {
                    let expected = run.anchor - run.before - 1;
                    let whole = run.read as i32 == expected && run.next_b == run.anchor;
                    let empty = run.read == 0 && expected > 0;
                    let lost = empty && !regular(self.span, run);
                    // A GOP's first run (from -1) says nothing of the stream's span.
                    if whole && run.before >= 0 {
                        self.span = Some(run.anchor - run.before);
                    }
                    lost
                };
                *run = Run {
                    anchor: tr,
                    before: run.anchor,
                    next_b: run.anchor + 1,
                    read: 0,
                };
                Some(lost)
            }
        }
    }
}
