//! Whether a loss took reference pictures, and how far their damage reaches, read from the
//! headers of the packets after it ([`Follower`]): H.264 here, HEVC in [`hevc`] (reference
//! picture sets), MPEG-1/2 in [`mpeg2`] (`temporal_reference`).
//!
//! Every H.264 reference picture advances `frame_num` by one; a non-reference picture carries
//! the number after the last reference and advances nothing. So when packets are lost and the
//! next picture's `frame_num` still follows the last reference picture that arrived, every
//! picture lost was a non-reference one: nothing else is predicted from it, and its damage ends
//! with it. A jump means reference frames were lost. Their damage lasts to the next key frame
//! unless the pictures after the loss show otherwise: a B-picture kept as a reference (a
//! pyramid) is often used only by the B-pictures around it and then dropped by a marking
//! operation, before any anchor picture predicts from it ([`loss`]).
//!
//! Only the parameter sets and the first slice header of each packet are read (to its
//! reference picture marking; HEVC also reads every slice segment header to its entry points,
//! to find pictures cut short); nothing is allocated per packet.

mod bits;
mod dpb;
mod header;
mod hevc;
mod loss;
mod mpeg2;

use bits::next_start;
use dpb::{frame_after, Dpb, Num, Ref};
use header::{
    parse_pps, parse_slice, parse_sps, Pps, SliceKind, SliceStart, Sps, MAX_PPS, MAX_SPS,
};
pub(crate) use loss::Verdict;
use loss::{Episode, Recent};
pub(crate) use mpeg2::PictureOrder;

/// Follows the losses of one video stream through its packet headers, by codec.
#[derive(Debug)]
pub(crate) enum Follower {
    /// H.264: `frame_num` and the reference frames (boxed: the model is large).
    H264(Box<RefTracker>),
    /// HEVC: the reference picture sets ([`hevc`]; boxed: the model is large).
    Hevc(Box<hevc::HevcTracker>),
    /// MPEG-1/2 video: `temporal_reference` ([`mpeg2`]).
    Mpeg2(PictureOrder),
}

impl Follower {
    /// The follower for a video stream of codec `codec` (FFmpeg's name), if there is one.
    pub(crate) fn for_codec(codec: &str) -> Option<Self> {
        match codec {
            "h264" => Some(Follower::H264(Box::new(RefTracker::new()))),
            "hevc" => Some(Follower::Hevc(Box::new(hevc::HevcTracker::new()))),
            "mpeg1video" | "mpeg2video" => Some(Follower::Mpeg2(PictureOrder::new())),
            _ => None,
        }
    }

    /// Reads and follows one packet (in decode order); `timing`: the packet's, when known.
    pub(crate) fn read(&mut self, data: &[u8], timing: Option<Timing>) -> Followed {
        match self {
            Follower::H264(t) => t.read(data, timing),
            Follower::Hevc(h) => h.read(data),
            Follower::Mpeg2(o) => o.read(data),
        }
    }

    /// True when a loss found with no packet marked corrupt is reported. Only H.264's are:
    /// its `frame_num` counts reference frames exactly, while an MPEG-2 number that skips
    /// could also be an encoder's odd numbering, and an HEVC reference set may list pictures
    /// that were never sent; a false loss would hold damage on a clean stream to its next key
    /// frame.
    pub(crate) fn reports_unmarked(&self) -> bool {
        matches!(self, Follower::H264(_))
    }

    /// Packets after one the demuxer marked corrupt that must all show no reference picture
    /// lost before the loss is taken to have taken none, `usual` unless the codec needs fewer.
    /// HEVC needs two: every picture's reference picture set lists every reference the decoder
    /// keeps, so the first picture read after a loss lists any reference it took, and the
    /// mark lands on a packet at most two before the loss (FFmpeg's parser holds one back),
    /// so the second packet read after the mark comes after it. Known sooner, the verdict
    /// reaches a marked B-picture before it is shown.
    pub(crate) fn confirm_after(&self, usual: u32) -> u32 {
        match self {
            Follower::Hevc(_) => usual.min(2),
            _ => usual,
        }
    }
}

/// When a packet is shown and decoded, and for how long (stream ticks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timing {
    pub(crate) pts: i64,
    pub(crate) dts: i64,
    pub(crate) duration: i64,
}

/// What following one picture found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Followed {
    /// `Some(true)`: a jump in `frame_num` (reference frames lost just before this picture);
    /// `Some(false)`: it follows the last reference picture; `None`: cannot be told (no
    /// reference picture seen yet, an IDR picture, a stream that allows gaps).
    pub(crate) lost: Option<bool>,
    /// The picture's marking drops a frame that was lost: a decoder complains of it, and the
    /// complaint is no damage of this picture.
    pub(crate) drops_lost: bool,
    /// A loss followed came to a verdict with this picture.
    pub(crate) verdict: Option<Verdict>,
    /// The picture is one no other picture is ever predicted from, whatever the stream's
    /// references: an MPEG-1/2 B-picture (its picture header's `picture_coding_type`), an
    /// HEVC sub-layer non-reference picture of the highest sub-layer (its `nal_unit_type`).
    /// Damage of its own ends with it.
    pub(crate) never_ref: bool,
    /// Bytes of the packet's picture were lost: a slice segment is shorter than its header's
    /// entry points say (HEVC). The picture is damaged, whatever the loss took besides.
    pub(crate) cut_short: bool,
    /// The picture predicts from a picture cut short, directly or through another (HEVC:
    /// its reference picture set lists one as used): it is damaged too.
    pub(crate) uses_cut: bool,
}

/// Reads H.264 parameter sets and slice headers from Annex B packets, following `frame_num`
/// and the short-term reference frames.
#[derive(Debug)]
pub(crate) struct RefTracker {
    sps: [Option<Sps>; MAX_SPS],
    pps: [Option<Pps>; MAX_PPS],
    /// `frame_num` of the last reference picture read.
    prev_ref: Option<u32>,
    /// The reference frames, lost ones included (their display time unknown).
    dpb: Dpb,
    recent: Recent,
    /// A loss of reference frames being followed.
    episode: Option<Episode>,
    /// The last packet's timing.
    last: Option<Timing>,
}

impl RefTracker {
    /// A tracker that has read nothing yet.
    pub(crate) fn new() -> Self {
        RefTracker {
            sps: [None; MAX_SPS],
            pps: [None; MAX_PPS],
            prev_ref: None,
            dpb: Dpb::default(),
            recent: Recent::default(),
            episode: None,
            last: None,
        }
    }

    /// Reads and follows one packet (an access unit in Annex B form, in decode order);
    /// `timing`: the packet's, when known. Nothing is found in a packet without a slice that
    /// could be read.
    pub(crate) fn read(&mut self, data: &[u8], timing: Option<Timing>) -> Followed {
        match self.packet(data) {
            Some(s) => self.follow(&s, timing),
            None => Followed::default(),
        }
    }

    /// Reads one packet: its parameter sets, then its first
    /// slice. `None` when the packet holds no slice that could be read. Parameter sets come
    /// before the slices of an access unit, so reading stops at the first slice header: the
    /// slice data after it is never scanned.
    fn packet(&mut self, data: &[u8]) -> Option<SliceStart> {
        let mut at = next_start(data, 0);
        while let Some(start) = at {
            let head = *data.get(start)?;
            if matches!(head & 0x1f, 1 | 5) {
                let sets = |id: usize| {
                    let pps = (*self.pps.get(id)?)?;
                    Some((self.sps[usize::from(pps.sps)]?, pps))
                };
                return parse_slice(head, &data[start + 1..], sets);
            }
            at = next_start(data, start);
            let body = &data[start + 1..at.map_or(data.len(), |e| e - 3).max(start + 1)];
            match head & 0x1f {
                7 => {
                    if let Some((id, sps)) = parse_sps(body) {
                        self.sps[id] = Some(sps);
                    }
                }
                8 => {
                    if let Some((id, pps)) = parse_pps(body) {
                        self.pps[id] = Some(pps);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Follows one picture (in decode order) read by [`RefTracker::packet`]; `timing`: its
    /// packet's, when known.
    fn follow(&mut self, s: &SliceStart, timing: Option<Timing>) -> Followed {
        let mut out = Followed::default();
        let modulus = 1u32 << s.bits;
        let prev = self.prev_ref;
        if s.idr {
            self.dpb.clear();
            self.episode = None;
        } else if let Some(p) = prev.filter(|_| !s.gaps_allowed) {
            let jump = s.frame_num != p && s.frame_num != frame_after(p, 0, modulus);
            out.lost = Some(jump);
            if jump {
                self.lost_frames(p, s, modulus);
            }
        }
        if let Some(e) = &mut self.episode {
            match timing {
                Some(t) => e.log(*s, t.pts),
                None => e.spread(),
            }
        }
        if s.reference {
            // Memory management operation 5 drops every reference; the picture then counts as
            // `frame_num` 0.
            let reset = s.refs.is_some_and(|u| u.reset);
            if reset {
                self.dpb.clear();
                self.episode = None;
            }
            let frame_num = if reset { 0 } else { s.frame_num };
            let marking = s.refs.and_then(|u| u.marking).filter(|_| !reset);
            let new = Ref::arrived(frame_num, timing.map_or(i64::MIN, |t| t.pts), false);
            let at = Num { frame_num, modulus };
            out.drops_lost = self.dpb.add(at, marking.as_ref(), s.max_refs, new);
            self.prev_ref = Some(frame_num);
        }
        if let Some(t) = timing {
            self.recent.push(t.pts, s.kind != SliceKind::B);
            self.last = Some(t);
        }
        if let (Some(e), Some(t)) = (&self.episode, self.last) {
            let v = e.verdict(&self.recent, t.dts, t.duration);
            if v != Verdict::Pending {
                out.verdict = Some(v);
                self.episode = None;
            }
        }
        out
    }

    /// Reference frames were lost between `prev` and the picture `s`: they join the references
    /// (as H.264's "non-existing" frames do), and the loss is followed.
    fn lost_frames(&mut self, prev: u32, s: &SliceStart, modulus: u32) {
        let count = (i64::from(s.frame_num) - i64::from(prev) - 1).rem_euclid(i64::from(modulus));
        match (&mut self.episode, self.last) {
            (Some(e), _) => e.spread(),
            (None, Some(t)) => {
                self.episode = Some(Episode::new(self.dpb, prev, count, modulus, t.dts));
            }
            (None, None) => {}
        }
        // The last 16 at most: more would have left the references anyway.
        for k in (count - 16).max(0)..count {
            let frame_num = frame_after(prev, k as u32, modulus);
            let at = Num { frame_num, modulus };
            self.dpb
                .add(at, None, s.max_refs, Ref::lost(frame_num, i64::MIN));
        }
        // The picture follows the last lost frame.
        self.prev_ref = Some((s.frame_num + modulus - 1) % modulus);
    }
}

#[cfg(test)]
mod mpeg2_tests;
#[cfg(test)]
mod pyramid_tests;
#[cfg(test)]
mod tests;
