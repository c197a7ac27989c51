//! Whether an HEVC slice segment arrived whole. With wavefront parallel processing or tiles,
//! a slice segment header lists the byte offsets of the substreams that follow it
//! (`entry_point_offset_minus1`, counted in the NAL unit's bytes, emulation prevention bytes
//! included): the slice segment data holds at least one byte past the last offset. A slice
//! segment NAL unit shorter than that lost bytes on the way, e.g. MPEG-TS packets dropped
//! inside a picture's PES packet, which the demuxer splices together. Nothing a clean stream
//! carries is ever that short, so the finding cannot be a false one; a loss inside the last
//! substream (or in a stream without entry points) is not seen.
//!
//! Reading that far means reading the whole slice segment header, so the parameter sets give
//! what it needs ([`PpsMore`](super::pps_more::PpsMore), [`SpsMore`](super::header::SpsMore)); a header that uses an
//! extension not read here, or that does not end in its `byte_alignment()` bits, tells
//! nothing.

use super::super::bits::Bits;
use super::header::{index_bits, read_rps, Pps, Sps};
use super::syntax::ue_max;

/// Most bytes of a slice segment header extension read past.
const MAX_EXTENSION: u32 = 256;

/// Reads a `pred_weight_table()` with `refs` entries in each list used (`refs[1]` is 0 for
/// a P slice).
fn skip_weights(b: &mut Bits, chroma: bool, refs: [u32; 2]) -> Option<()> {
    b.ue()?; // luma_log2_weight_denom
    if chroma {
        b.se()?; // delta_chroma_log2_weight_denom
    }
    for n in refs.into_iter().filter(|&n| n > 0) {
        let mut luma = 0u32;
        let mut colour = 0u32;
        for i in 0..n {
            luma |= u32::from(b.flag()?) << i;
        }
        if chroma {
            for i in 0..n {
                colour |= u32::from(b.flag()?) << i;
            }
        }
        for i in 0..n {
            if luma & (1 << i) != 0 {
                b.se()?; // delta_luma_weight
                b.se()?; // luma_offset
            }
            if colour & (1 << i) != 0 {
                for _ in 0..4 {
                    b.se()?; // delta_chroma_weight, delta_chroma_offset (Cb, Cr)
                }
            }
        }
    }
    Some(())
}

/// Whether the slice segment NAL unit `body` (raw payload after its 2-byte header `head`,
/// up to the next start code) is shorter than its header's entry points say:
/// `Some(true)` cut short, `Some(false)` long enough, `None` when it cannot be told (no entry
/// points, parameter sets not read, a header not read to its end). `sets` gives the PPS with
/// an id and its SPS.
pub(super) fn cut_short<'s>(
    head: [u8; 2],
    body: &[u8],
    sets: impl Fn(usize) -> Option<(&'s Sps, Pps)>,
) -> Option<bool> {
    let nal_type = (head[0] >> 1) & 0x3f;
    let mut b = Bits::new(body);
    let first = b.flag()?;
    if (16..=23).contains(&nal_type) {
        b.flag()?; // no_output_of_prior_pics_flag
    }
    let (sps, pps) = sets(ue_max(&mut b, 63)? as usize)?;
    let (sm, pm) = (sps.more?, pps.more?);
    if !(pm.wpp || pm.tiles) {
        return None;
    }
    let ctbs = sm.ctbs_wide.checked_mul(sm.ctbs_high)?;
    let mut dependent = false;
    if !first {
        if pps.dependent_slices {
            dependent = b.flag()?;
        }
        if b.bits(index_bits(ctbs))? >= ctbs {
            return None; // slice_segment_address
        }
    }
    if !dependent {
        slice_header_rest(&mut b, nal_type, sps, pps)?;
    }
    let entries = ue_max(&mut b, ctbs)?;
    if entries == 0 {
        return None;
    }
    let len = ue_max(&mut b, 31)? + 1;
    let mut last = 0u64;
    for _ in 0..entries {
        last += u64::from(b.bits(len)?) + 1;
    }
    if pm.header_extension {
        for _ in 0..ue_max(&mut b, MAX_EXTENSION)? {
            b.bits(8)?;
        }
    }
    // byte_alignment(): a one, then zeros to the byte's end.
    if !b.flag()? || b.bits(b.left_in_byte())? != 0 {
        return None;
    }
    let data = body.len().checked_sub(b.consumed())? as u64;
    Some(data <= last)
}

/// Reads an independent slice segment header from `slice_reserved_flag` to
/// `slice_loop_filter_across_slices_enabled_flag`.
fn slice_header_rest(b: &mut Bits, nal_type: u8, sps: &Sps, pps: Pps) -> Option<()> {
    let (sm, pm) = (sps.more?, pps.more?);
    for _ in 0..pps.extra_bits {
        b.flag()?;
    }
    let kind = ue_max(b, 2)?; // 0 B, 1 P, 2 I
    if pps.output_flag {
        b.flag()?;
    }
    let mut total = 0u32; // NumPicTotalCurr
    let mut temporal_mvp = false;
    if sps.separate_planes() {
        b.bits(2)?; // colour_plane_id
    }
    if !matches!(nal_type, 19 | 20) {
        b.bits(u32::from(sps.poc_lsb_bits))?;
        let sets = sps.short_term_sets();
        let rps = if !b.flag()? {
            read_rps(b, sets.len(), sets, true)?
        } else {
            *sets.get(b.bits(index_bits(sets.len() as u32))? as usize)?
        };
        total += rps.entries().filter(|e| e.1).count() as u32;
        if sps.has_long_term() {
            let (in_sps, idx_bits) = sps.long_terms();
            let from_sps = if in_sps > 0 { ue_max(b, in_sps)? } else { 0 };
            let pics = ue_max(b, 32)?;
            for i in 0..from_sps + pics {
                let used = if i < from_sps {
                    sps.long_term_used(b.bits(idx_bits)?)
                } else {
                    b.bits(u32::from(sps.poc_lsb_bits))?;
                    b.flag()?
                };
                total += u32::from(used);
                if b.flag()? {
                    b.ue()?; // delta_poc_msb_cycle_lt
                }
            }
        }
        if sm.temporal_mvp {
            temporal_mvp = b.flag()?;
        }
    }
    let (mut sao_luma, mut sao_chroma) = (false, false);
    if sm.sao {
        sao_luma = b.flag()?;
        if sm.chroma != 0 {
            sao_chroma = b.flag()?;
        }
    }
    if kind < 2 {
        let is_b = kind == 0;
        let mut refs = [pm.refs_default[0] + 1, pm.refs_default[1] + 1];
        if b.flag()? {
            refs[0] = ue_max(b, 14)? + 1;
            if is_b {
                refs[1] = ue_max(b, 14)? + 1;
            }
        }
        if !is_b {
            refs[1] = 0;
        }
        if pm.lists_modification && total > 1 {
            for n in refs.into_iter().filter(|&n| n > 0) {
                if b.flag()? {
                    for _ in 0..n {
                        b.bits(index_bits(total))?; // list_entry
                    }
                }
            }
        }
        if is_b {
            b.flag()?; // mvd_l1_zero_flag
        }
        if pm.cabac_init {
            b.flag()?;
        }
        if temporal_mvp {
            let from_l0 = !is_b || b.flag()?;
            if refs[usize::from(!from_l0)] > 1 {
                b.ue()?; // collocated_ref_idx
            }
        }
        if (pm.weighted_pred && !is_b) || (pm.weighted_bipred && is_b) {
            skip_weights(b, sm.chroma != 0, refs)?;
        }
        b.ue()?; // five_minus_max_num_merge_cand
    }
    b.se()?; // slice_qp_delta
    if pm.chroma_qp_offsets {
        b.se()?;
        b.se()?;
    }
    if pm.chroma_qp_list {
        b.flag()?; // cu_chroma_qp_offset_enabled_flag
    }
    let overridden = pm.deblocking_override && b.flag()?;
    let mut deblocking_off = pm.deblocking_off;
    if overridden {
        deblocking_off = b.flag()?;
        if !deblocking_off {
            b.se()?;
            b.se()?;
        }
    }
    if pm.filter_across_slices && (sao_luma || sao_chroma || !deblocking_off) {
        b.flag()?;
    }
    Some(())
}
