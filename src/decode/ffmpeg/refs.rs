//! Whether a loss took reference pictures, read from H.264 headers (Annex B byte streams).
//!
//! Every H.264 reference picture advances `frame_num` by one; a non-reference picture carries
//! the number after the last reference and advances nothing. So when packets are lost and the
//! next picture's `frame_num` still follows the last reference picture that arrived, every
//! picture lost was a non-reference one: nothing else is predicted from it, and its damage ends
//! with it. A jump means a reference picture was lost, whose damage lasts to the next key frame.
//! Only the first bytes of each slice header and the parameter sets are read; nothing is
//! allocated per packet.

/// Most sequence and picture parameter sets H.264 allows (32 SPS, 256 PPS).
const MAX_SPS: usize = 32;
const MAX_PPS: usize = 256;

/// What a sequence parameter set says that `frame_num` needs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sps {
    /// `log2_max_frame_num`: bits of `frame_num`.
    frame_num_bits: u8,
    /// Colour planes coded apart (a `colour_plane_id` precedes `frame_num`).
    separate_planes: bool,
    /// Gaps in `frame_num` are allowed by the stream: a jump proves nothing.
    gaps_allowed: bool,
}

/// The first slice of a picture: what reference tracking needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct SliceStart {
    /// `nal_ref_idc != 0`: other pictures may be predicted from this one.
    reference: bool,
    /// An IDR picture (`frame_num` restarts at 0).
    idr: bool,
    frame_num: u32,
    /// Bits of `frame_num` (its modulus is `1 << bits`).
    bits: u8,
    /// The stream allows gaps in `frame_num`.
    gaps_allowed: bool,
}

/// Reads H.264 parameter sets and slice headers from Annex B packets, following `frame_num`.
#[derive(Debug)]
pub(super) struct RefTracker {
    sps: [Option<Sps>; MAX_SPS],
    /// PPS id → SPS id.
    pps: [Option<u8>; MAX_PPS],
    /// `frame_num` of the last reference picture read.
    prev_ref: Option<u32>,
}

impl RefTracker {
    /// A tracker that has read nothing yet.
    pub(super) fn new() -> Self {
        RefTracker {
            sps: [None; MAX_SPS],
            pps: [None; MAX_PPS],
            prev_ref: None,
        }
    }

    /// Reads one packet (an access unit in Annex B form): its parameter sets, then its first
    /// slice. `None` when the packet holds no slice that could be read. Parameter sets come
    /// before the slices of an access unit, so reading stops at the first slice header: the
    /// slice data after it is never scanned.
    pub(super) fn packet(&mut self, data: &[u8]) -> Option<SliceStart> {
        let mut at = next_start(data, 0);
        while let Some(start) = at {
            let head = *data.get(start)?;
            if matches!(head & 0x1f, 1 | 5) {
                return self.slice(head, &data[start + 1..]);
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
                    if let Some((pps, sps)) = parse_pps(body) {
                        self.pps[pps] = Some(sps);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn slice(&self, head: u8, body: &[u8]) -> Option<SliceStart> {
        let mut r = Bits::new(body);
        r.ue()?; // first_mb_in_slice
        r.ue()?; // slice_type
        let pps = r.ue()? as usize;
        let sps_id = *self.pps.get(pps)?.as_ref()? as usize;
        let sps = self.sps.get(sps_id).copied().flatten()?;
        if sps.separate_planes {
            r.bits(2)?;
        }
        let frame_num = r.bits(u32::from(sps.frame_num_bits))?;
        Some(SliceStart {
            reference: head & 0x60 != 0,
            idr: head & 0x1f == 5,
            frame_num,
            bits: sps.frame_num_bits,
            gaps_allowed: sps.gaps_allowed,
        })
    }

    /// Follows one picture (in decode order). Returns whether a reference picture was lost
    /// before it: `Some(true)` for a jump in `frame_num`, `Some(false)` when it follows the last
    /// reference picture, `None` when that cannot be told (no reference picture seen yet, an
    /// IDR picture, a stream that allows gaps).
    pub(super) fn follow(&mut self, s: &SliceStart) -> Option<bool> {
        let prev = self.prev_ref;
        if s.reference {
            self.prev_ref = Some(s.frame_num);
        }
        if s.idr {
            self.prev_ref = Some(0);
            return None;
        }
        let prev = prev?;
        if s.gaps_allowed {
            return None;
        }
        let modulus = 1u64 << s.bits;
        let next = ((u64::from(prev) + 1) % modulus) as u32;
        Some(s.frame_num != prev && s.frame_num != next)
    }
}

/// Index just after the next `00 00 01` at or after `from`.
fn next_start(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 3 <= data.len() {
        if data[i + 2] > 1 {
            i += 3;
        } else if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            return Some(i + 3);
        } else {
            i += 1;
        }
    }
    None
}

/// `(sps id, what it says)` from a sequence parameter set's payload (after its NAL header).
fn parse_sps(body: &[u8]) -> Option<(usize, Sps)> {
    let mut r = Bits::new(body);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    let id = r.ue()? as usize;
    if id >= MAX_SPS {
        return None;
    }
    let mut separate_planes = false;
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma = r.ue()?;
        if chroma == 3 {
            separate_planes = r.bits(1)? == 1;
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bits(1)?; // qpprime_y_zero_transform_bypass
        if r.bits(1)? == 1 {
            let lists = if chroma == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bits(1)? == 1 {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let frame_num_bits = r.ue()?.checked_add(4)?;
    if frame_num_bits > 16 {
        return None;
    }
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bits(1)?;
            r.se()?;
            r.se()?;
            let n = r.ue()?;
            if n > 255 {
                return None;
            }
            for _ in 0..n {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    let gaps_allowed = r.bits(1)? == 1;
    Some((
        id,
        Sps {
            frame_num_bits: frame_num_bits as u8,
            separate_planes,
            gaps_allowed,
        },
    ))
}

fn skip_scaling_list(r: &mut Bits<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            next = (last + delta).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// `(pps id, sps id)` from a picture parameter set's payload.
fn parse_pps(body: &[u8]) -> Option<(usize, u8)> {
    let mut r = Bits::new(body);
    let pps = r.ue()? as usize;
    let sps = r.ue()?;
    (pps < MAX_PPS && (sps as usize) < MAX_SPS).then_some((pps, sps as u8))
}

/// A bit reader over a NAL unit's payload that drops emulation prevention bytes
/// (`00 00 03`) as it goes.
struct Bits<'a> {
    data: &'a [u8],
    /// Next byte to load.
    pos: usize,
    /// Zero bytes just read (for emulation prevention).
    zeros: u8,
    cur: u8,
    /// Bits left in `cur`.
    left: u8,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            zeros: 0,
            cur: 0,
            left: 0,
        }
    }

    fn bit(&mut self) -> Option<u32> {
        if self.left == 0 {
            let mut b = *self.data.get(self.pos)?;
            self.pos += 1;
            if self.zeros >= 2 && b == 3 {
                self.zeros = 0;
                b = *self.data.get(self.pos)?;
                self.pos += 1;
            }
            self.zeros = if b == 0 {
                self.zeros.saturating_add(1)
            } else {
                0
            };
            self.cur = b;
            self.left = 8;
        }
        self.left -= 1;
        Some(u32::from((self.cur >> self.left) & 1))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }

    /// Unsigned Exp-Golomb.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    /// Signed Exp-Golomb.
    fn se(&mut self) -> Option<i64> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

#[cfg(test)]
#[path = "refs_tests.rs"]
mod tests;
