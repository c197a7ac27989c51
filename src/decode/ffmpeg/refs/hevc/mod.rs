//! Whether a loss took reference pictures, and how far their damage reaches, read from HEVC
//! headers (Annex B byte streams).
//!
//! Every HEVC picture lists, in its short-term reference picture set (RPS), every picture the
//! decoder keeps as a reference, by picture order count (POC, display order), and which of
//! them the picture itself predicts from. A picture left out of one RPS is dropped for good.
//! So each RPS lists only pictures kept by the RPS before it, or the picture just before it
//! in decode order: a POC listed that never arrived is a reference picture lost. When the
//! pictures after a loss list none that did not arrive, the pictures lost were no references:
//! nothing shown later is predicted from them. When a lost reference is listed, the pictures
//! predicting from it (directly or through another) are followed until none of them is kept
//! any more: the damage is confined when they are all shown before the next anchor picture
//! (not a B-picture) after the first of them, and spreads otherwise.
//!
//! The parameter sets and the first slice segment header of each packet are read, to its
//! reference picture sets; nothing is allocated per packet. Long-term references are not
//! followed: a stream that uses them is not judged until its next IRAP picture that drops
//! every reference. Besides, each slice segment header is read to its entry points and the
//! packet scanned for the ends of its NAL units: a slice segment shorter than its entry
//! points say lost bytes inside the picture ([`extent`]; `Followed::cut_short`).

mod extent;
#[cfg(test)]
mod extent_tests;
mod header;
mod pps_more;
mod syntax;
#[cfg(test)]
mod tests;

use super::bits::next_start;
use super::{Followed, Verdict};
use header::{parse_pps, parse_slice, parse_sps, Pps, SliceKind, SliceStart, Sps};
use header::{MAX_DELTAS, MAX_PPS, MAX_SPS};

/// Recent pictures remembered (POC, anchor): the anchors a loss's damage is shown before.
const RECENT: usize = 32;
/// Pictures followed after a loss before giving up.
const LOG: u32 = 24;
/// Most pictures one loss may damage and be followed.
const MAX_DAMAGED: usize = 16;

/// The pictures kept as references after the last picture (its RPS, and itself), by POC;
/// those that never arrived are marked lost.
#[derive(Clone, Copy, Debug, Default)]
struct Kept {
    poc: [i64; MAX_DELTAS + 1],
    /// Bit `i`: `poc[i]` never arrived.
    lost: u32,
    /// Bit `i`: `poc[i]` was cut short, or predicts from a picture that was.
    cut: u32,
    len: usize,
}

impl Kept {
    fn find(&self, poc: i64) -> Option<usize> {
        self.poc[..self.len].iter().position(|&p| p == poc)
    }

    fn push(&mut self, poc: i64, lost: bool, cut: bool) {
        if let Some(slot) = self.poc.get_mut(self.len) {
            *slot = poc;
            self.lost |= u32::from(lost) << self.len;
            self.cut |= u32::from(cut) << self.len;
            self.len += 1;
        }
    }
}

/// A loss of reference pictures being followed: the pictures it damages (POC), lost ones
/// and those predicted from them.
#[derive(Clone, Copy, Debug)]
struct Episode {
    damaged: [i64; MAX_DAMAGED],
    len: usize,
    /// Pictures followed since the loss.
    seen: u32,
    /// Not followed (a second loss, too many pictures): the damage may spread.
    spread: bool,
}

impl Episode {
    fn contains(&self, poc: i64) -> bool {
        self.damaged[..self.len].contains(&poc)
    }

    /// Adds a damaged picture; `None` when there are too many to follow.
    fn add(&mut self, poc: i64) -> Option<()> {
        if !self.contains(poc) {
            *self.damaged.get_mut(self.len)? = poc;
            self.len += 1;
        }
        Some(())
    }

    /// Confined when a recent anchor picture is shown after every damaged picture and no
    /// anchor is shown between them.
    fn verdict(&self, recent: &Recent) -> Verdict {
        let pocs = &self.damaged[..self.len];
        let (Some(&first), Some(&last)) = (pocs.iter().min(), pocs.iter().max()) else {
            return Verdict::Spread;
        };
        match recent.next_anchor(first) {
            Some(a) if a > last => Verdict::Confined,
            _ => Verdict::Spread,
        }
    }
}

/// The POC of recent pictures and whether each was an anchor (not a B-picture).
#[derive(Clone, Copy, Debug)]
struct Recent {
    pics: [(i64, bool); RECENT],
    next: usize,
    len: usize,
}

impl Recent {
    fn push(&mut self, poc: i64, anchor: bool) {
        self.pics[self.next] = (poc, anchor);
        self.next = (self.next + 1) % RECENT;
        self.len = (self.len + 1).min(RECENT);
    }

    /// The first anchor picture shown after `poc`.
    fn next_anchor(&self, poc: i64) -> Option<i64> {
        self.pics[..self.len]
            .iter()
            .filter(|(p, anchor)| *anchor && *p > poc)
            .map(|(p, _)| *p)
            .min()
    }
}

/// Reads HEVC parameter sets and slice headers from Annex B packets, following the
/// reference picture sets.
#[derive(Debug)]
pub(crate) struct HevcTracker {
    /// Sequence parameter sets by id (bit `i` of `sps_ok`: slot `i` was read).
    sps: Box<[Sps]>,
    sps_ok: u32,
    /// An SPS being read.
    scratch: Sps,
    pps: [Option<Pps>; MAX_PPS],
    /// An IRAP picture started the decoding: references are followed.
    started: bool,
    /// Long-term references in use since the last IRAP picture that dropped every reference.
    blind: bool,
    /// RASL pictures are skipped (decoding started at their CRA, or at a BLA picture).
    skip_rasl: bool,
    /// POC of the last picture of temporal layer 0 that was no leading or sub-layer
    /// non-reference picture (`prevTid0Pic`).
    prev_tid0: i64,
    kept: Kept,
    recent: Recent,
    episode: Option<Episode>,
}

impl HevcTracker {
    /// A tracker that has read nothing yet.
    pub(crate) fn new() -> Self {
        HevcTracker {
            sps: vec![Sps::default(); MAX_SPS].into_boxed_slice(),
            sps_ok: 0,
            scratch: Sps::default(),
            pps: [None; MAX_PPS],
            started: false,
            blind: false,
            skip_rasl: false,
            prev_tid0: 0,
            kept: Kept::default(),
            recent: Recent {
                pics: [(0, false); RECENT],
                next: 0,
                len: 0,
            },
            episode: None,
        }
    }

    /// Reads and follows one packet (an access unit in Annex B form, in decode order).
    /// Nothing is found in a packet without a first slice segment that could be read.
    pub(crate) fn read(&mut self, data: &[u8]) -> Followed {
        let s = self.packet(data);
        let cut = self.cut_short(data);
        let mut out = match s {
            Some(s) => Followed {
                never_ref: s.never_ref,
                ..self.follow(&s, cut)
            },
            None => Followed::default(),
        };
        out.cut_short = cut;
        out
    }

    /// The PPS with id `id` and its SPS, when both were read.
    fn sets(&self, id: usize) -> Option<(&Sps, Pps)> {
        let pps = (*self.pps.get(id)?)?;
        let s = usize::from(pps.sps);
        (self.sps_ok & (1 << s) != 0).then(|| (&self.sps[s], pps))
    }

    /// True when a slice segment of the packet is shorter than its header's entry points
    /// say (see [`extent`]): bytes of the picture were lost. Scans the packet for the ends of
    /// its NAL units (the parameter sets it holds were read by [`HevcTracker::packet`]).
    fn cut_short(&self, data: &[u8]) -> bool {
        let mut short = false;
        self.extents(data, |e| short |= e == Some(true));
        short
    }

    /// What [`extent::cut_short`] tells of each slice segment of the packet, in order.
    fn extents(&self, data: &[u8], mut each: impl FnMut(Option<bool>)) {
        let mut at = next_start(data, 0);
        while let Some(start) = at {
            at = next_start(data, start);
            let (Some(&h0), Some(&h1)) = (data.get(start), data.get(start + 1)) else {
                return;
            };
            let base_layer = h0 & 1 == 0 && h1 >> 3 == 0;
            if (h0 >> 1) & 0x3f <= 31 && base_layer {
                let end = at.map_or(data.len(), |e| e - 3).max(start + 2);
                each(extent::cut_short([h0, h1], &data[start + 2..end], |id| {
                    self.sets(id)
                }));
            }
        }
    }

    /// Reads one packet: its parameter sets, then its first slice segment. Parameter sets
    /// come before the slices of an access unit, so reading stops at the first slice: the
    /// slice data is never scanned.
    fn packet(&mut self, data: &[u8]) -> Option<SliceStart> {
        let mut at = next_start(data, 0);
        while let Some(start) = at {
            let head = [*data.get(start)?, *data.get(start + 1)?];
            let kind = (head[0] >> 1) & 0x3f;
            // Units of other layers (multi-layer extensions) have sets and slices of their own.
            let base_layer = head[0] & 1 == 0 && head[1] >> 3 == 0;
            if kind <= 31 && base_layer {
                return parse_slice(head, &data[start + 2..], |id| self.sets(id));
            }
            at = next_start(data, start);
            let end = at.map_or(data.len(), |e| e - 3).max(start + 2);
            let body = &data[start + 2..end];
            match kind {
                _ if !base_layer => {}
                33 => {
                    if let Some(i) = parse_sps(body, &mut self.scratch) {
                        self.sps[i] = self.scratch;
                        self.sps_ok |= 1 << i;
                    }
                }
                34 => {
                    if let Some((id, pps)) = parse_pps(body) {
                        self.pps[id] = Some(pps);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Follows one picture (in decode order); `cut`: it was cut short.
    fn follow(&mut self, s: &SliceStart, cut: bool) -> Followed {
        let mut out = Followed::default();
        let irap = (16..=23).contains(&s.nal_type);
        if !self.started && !irap {
            return out;
        }
        if s.rasl() && self.skip_rasl {
            return out;
        }
        // An IRAP picture that drops every reference: IDR, BLA, or the CRA decoding starts at.
        let fresh = s.idr() || s.bla() || (s.cra() && !self.started);
        let poc = self.poc(s, fresh);
        if fresh {
            self.started = true;
            self.blind = false;
            self.skip_rasl = !s.idr();
            self.kept = Kept::default();
            self.episode = None;
        } else if s.cra() {
            self.skip_rasl = false;
        }
        self.blind |= s.long_term;
        if self.blind {
            self.episode = None;
            return out;
        }
        let mut kept = Kept::default();
        let mut missing = 0;
        let mut missing_used = false;
        let mut uses_damaged = false;
        let mut keeps_damaged = false;
        let following = self.episode.is_some();
        for (d, used) in s.rps.entries() {
            let p = poc + i64::from(d);
            let mut was_cut = false;
            let lost = match self.kept.find(p) {
                Some(i) => {
                    was_cut = self.kept.cut & (1 << i) != 0;
                    self.kept.lost & (1 << i) != 0
                }
                // References before a picture that starts over were never decoded: no loss.
                None if fresh => true,
                None => {
                    missing += 1;
                    missing_used |= used;
                    let e = self.episode.get_or_insert(Episode {
                        damaged: [0; MAX_DAMAGED],
                        len: 0,
                        seen: 0,
                        spread: false,
                    });
                    // A second loss while one is followed, or too many pictures lost.
                    e.spread |= following || e.add(p).is_none();
                    true
                }
            };
            out.uses_cut |= used && was_cut;
            kept.push(p, lost, was_cut);
            if let Some(e) = &self.episode {
                keeps_damaged |= e.contains(p);
                uses_damaged |= used && e.contains(p);
            }
        }
        if !fresh {
            out.lost = Some(missing > 0);
            // FFmpeg complains of a listed reference it does not have; a picture that does
            // not predict from it is not damaged by it.
            out.drops_lost = missing > 0 && !missing_used;
        }
        kept.push(poc, false, cut || out.uses_cut);
        self.kept = kept;
        self.recent.push(poc, s.kind != SliceKind::B);
        if let Some(e) = &mut self.episode {
            // An anchor picture predicted from the loss: the damage reaches past the next
            // anchor.
            e.spread |= uses_damaged && (s.kind != SliceKind::B || e.add(poc).is_none());
            e.seen += 1;
            let verdict = if e.spread || e.seen > LOG {
                Some(Verdict::Spread)
            } else if !keeps_damaged && !e.contains(poc) {
                Some(e.verdict(&self.recent))
            } else {
                None
            };
            if verdict.is_some() {
                out.verdict = verdict;
                self.episode = None;
            }
        }
        out
    }

    /// The picture order count of `s` (8.3.1); `fresh`: an IRAP picture that starts over.
    fn poc(&mut self, s: &SliceStart, fresh: bool) -> i64 {
        let max = 1i64 << s.poc_lsb_bits;
        let lsb = i64::from(s.poc_lsb);
        let msb = if fresh {
            0
        } else {
            let prev_lsb = self.prev_tid0.rem_euclid(max);
            let prev_msb = self.prev_tid0 - prev_lsb;
            if lsb < prev_lsb && prev_lsb - lsb >= max / 2 {
                prev_msb + max
            } else if lsb > prev_lsb && lsb - prev_lsb > max / 2 {
                prev_msb - max
            } else {
                prev_msb
            }
        };
        let poc = msb + lsb;
        if s.anchors_poc() {
            self.prev_tid0 = poc;
        }
        poc
    }
}
