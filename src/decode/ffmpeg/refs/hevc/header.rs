//! What HEVC reference tracking reads of the parameter sets and of the first slice segment
//! header of a picture: its picture order count and its short-term reference picture set
//! (every reference it keeps, by POC distance, and which it predicts from); and what the
//! parameter sets say that reading a slice segment header to its end needs (see
//! [`super::extent`]).

use super::super::bits::Bits;
use super::pps_more::{parse_pps_more, PpsMore};
use super::syntax::{skip_scaling_list_data, ue_max};

/// Most sequence and picture parameter sets HEVC allows (16 SPS, 64 PPS).
pub(super) const MAX_SPS: usize = 16;
pub(super) const MAX_PPS: usize = 64;
/// Most short-term reference picture sets in one SPS (`num_short_term_ref_pic_sets` <= 64).
const MAX_RPS: usize = 64;
/// Most pictures one reference picture set lists (the DPB holds 16 at most).
pub(super) const MAX_DELTAS: usize = 16;
/// Most long-term reference pictures one SPS lists.
const MAX_LT_SPS: u32 = 32;

/// A short-term reference picture set: POC distances to the current picture, the earlier
/// ones (nearest first) then the later ones (nearest first), and which the picture uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Rps {
    /// Pictures before the current one (`NumNegativePics`).
    pub(super) neg: u8,
    /// Pictures after it (`NumPositivePics`).
    pub(super) pos: u8,
    /// `DeltaPocS0` then `DeltaPocS1`.
    pub(super) delta: [i32; MAX_DELTAS],
    /// Bit `i`: entry `i` is used by the current picture (`used_by_curr_pic`).
    pub(super) used: u32,
}

impl Rps {
    /// The entries: (POC distance, used by the current picture).
    pub(super) fn entries(&self) -> impl Iterator<Item = (i32, bool)> + '_ {
        let n = usize::from(self.neg + self.pos).min(MAX_DELTAS);
        (0..n).map(|i| (self.delta[i], self.used & (1 << i) != 0))
    }

    fn count(&self) -> usize {
        usize::from(self.neg + self.pos)
    }
}

/// What a sequence parameter set says that slice headers need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sps {
    /// `log2_max_pic_order_cnt_lsb`.
    pub(super) poc_lsb_bits: u8,
    /// `sps_max_sub_layers_minus1`: the highest `TemporalId`.
    top_layer: u8,
    separate_planes: bool,
    rps_count: u8,
    rps: [Rps; MAX_RPS],
    long_term: bool,
    lt_count: u8,
    /// Bit `i`: the SPS's long-term picture `i` is used by the pictures that list it.
    lt_used: u32,
    /// What the slice segment extent needs (see [`super::extent`]), when it could be
    /// read.
    pub(super) more: Option<SpsMore>,
}

/// What an SPS says that only the rest of a slice segment header needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SpsMore {
    /// `ChromaArrayType` (0 when the colour planes are coded apart).
    pub(super) chroma: u8,
    /// Coding tree blocks across and down the picture.
    pub(super) ctbs_wide: u32,
    pub(super) ctbs_high: u32,
    pub(super) sao: bool,
    pub(super) temporal_mvp: bool,
}

impl Default for Sps {
    fn default() -> Self {
        Sps {
            poc_lsb_bits: 4,
            top_layer: 0,
            separate_planes: false,
            rps_count: 0,
            rps: [Rps::default(); MAX_RPS],
            long_term: false,
            lt_count: 0,
            lt_used: 0,
            more: None,
        }
    }
}

/// What a picture parameter set says that slice headers need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Pps {
    pub(super) sps: u8,
    pub(super) output_flag: bool,
    pub(super) extra_bits: u8,
    pub(super) dependent_slices: bool,
    /// What the rest of a slice segment header needs (see [`super::extent`]), when it
    /// could be read and the PPS uses no extension that changes it.
    pub(super) more: Option<PpsMore>,
}

/// How a slice predicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum SliceKind {
    /// From two lists.
    B,
    /// From one list.
    P,
    /// Not at all.
    #[default]
    I,
}

/// What is read of a picture's first slice segment header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SliceStart {
    /// `nal_unit_type`.
    pub(super) nal_type: u8,
    /// `TemporalId`.
    pub(super) tid: u8,
    pub(super) kind: SliceKind,
    /// `slice_pic_order_cnt_lsb` (0 for IDR pictures).
    pub(super) poc_lsb: u32,
    pub(super) poc_lsb_bits: u8,
    /// The short-term references kept (none for IDR pictures).
    pub(super) rps: Rps,
    /// The picture lists long-term references (not followed).
    pub(super) long_term: bool,
    /// No picture is ever predicted from this one: a sub-layer non-reference picture
    /// (`TRAIL_N`, `TSA_N`, `STSA_N`, `RADL_N`, `RASL_N`) of the highest sub-layer, so none
    /// of a higher one either.
    pub(super) never_ref: bool,
}

impl SliceStart {
    /// An IDR picture: every reference dropped, POC 0.
    pub(super) fn idr(&self) -> bool {
        matches!(self.nal_type, 19 | 20)
    }

    /// A BLA picture: every reference dropped, its leading pictures skipped.
    pub(super) fn bla(&self) -> bool {
        matches!(self.nal_type, 16..=18)
    }

    /// A CRA picture.
    pub(super) fn cra(&self) -> bool {
        self.nal_type == 21
    }

    /// A RASL picture (leading, skipped when decoding starts at its IRAP picture).
    pub(super) fn rasl(&self) -> bool {
        matches!(self.nal_type, 8 | 9)
    }

    /// A picture whose POC later pictures derive theirs from (`prevTid0Pic`): temporal layer
    /// 0, neither RADL nor RASL nor a sub-layer non-reference picture.
    pub(super) fn anchors_poc(&self) -> bool {
        let sub_layer_non_ref = self.nal_type <= 14 && self.nal_type.is_multiple_of(2);
        self.tid == 0 && !matches!(self.nal_type, 6..=9) && !sub_layer_non_ref
    }
}

/// Reads a `profile_tier_level` with `sub_layers` sub-layers past (common profile present).
fn skip_profile_tier_level(b: &mut Bits, sub_layers: u32) -> Option<()> {
    // General profile (88 bits) and level (8 bits).
    for _ in 0..3 {
        b.bits(32)?;
    }
    let mut present = [(false, false); 8];
    for p in present.iter_mut().take(sub_layers as usize) {
        *p = (b.flag()?, b.flag()?);
    }
    if sub_layers > 0 {
        for _ in sub_layers..8 {
            b.bits(2)?;
        }
    }
    for &(profile, level) in present.iter().take(sub_layers as usize) {
        if profile {
            b.bits(32)?;
            b.bits(32)?;
            b.bits(24)?;
        }
        if level {
            b.bits(8)?;
        }
    }
    Some(())
}

/// Reads `st_ref_pic_set(idx)`; `sets`: the SPS's sets before it (`idx == sets.len()` in a
/// slice header).
pub(super) fn read_rps(b: &mut Bits, idx: usize, sets: &[Rps], in_slice: bool) -> Option<Rps> {
    let mut out = Rps::default();
    let inter = idx != 0 && b.flag()?;
    if inter {
        let back = if in_slice {
            ue_max(b, idx as u32 - 1)? as usize + 1
        } else {
            1
        };
        let r = sets.get(idx.checked_sub(back)?)?;
        let sign = b.flag()?;
        let abs = ue_max(b, 1 << 15)? as i32 + 1;
        let delta_rps = if sign { -abs } else { abs };
        let n = r.count();
        let (mut used, mut use_delta) = (0u32, 0u32);
        for j in 0..=n {
            let u = b.flag()?;
            let d = u || b.flag()?;
            used |= u32::from(u) << j;
            use_delta |= u32::from(d) << j;
        }
        let on = |m: u32, j: usize| m & (1 << j) != 0;
        let (rneg, rpos) = (usize::from(r.neg), usize::from(r.pos));
        let mut k = 0usize;
        let push = |out: &mut Rps, k: &mut usize, d: i32, u: bool| -> Option<()> {
            *out.delta.get_mut(*k)? = d;
            out.used |= u32::from(u) << *k;
            *k += 1;
            Some(())
        };
        // Earlier pictures (7-61), nearest first.
        for j in (0..rpos).rev() {
            let d = r.delta[rneg + j] + delta_rps;
            if d < 0 && on(use_delta, rneg + j) {
                push(&mut out, &mut k, d, on(used, rneg + j))?;
            }
        }
        if delta_rps < 0 && on(use_delta, n) {
            push(&mut out, &mut k, delta_rps, on(used, n))?;
        }
        for j in 0..rneg {
            let d = r.delta[j] + delta_rps;
            if d < 0 && on(use_delta, j) {
                push(&mut out, &mut k, d, on(used, j))?;
            }
        }
        out.neg = k as u8;
        // Later pictures (7-62), nearest first.
        for j in (0..rneg).rev() {
            let d = r.delta[j] + delta_rps;
            if d > 0 && on(use_delta, j) {
                push(&mut out, &mut k, d, on(used, j))?;
            }
        }
        if delta_rps > 0 && on(use_delta, n) {
            push(&mut out, &mut k, delta_rps, on(used, n))?;
        }
        for j in 0..rpos {
            let d = r.delta[rneg + j] + delta_rps;
            if d > 0 && on(use_delta, rneg + j) {
                push(&mut out, &mut k, d, on(used, rneg + j))?;
            }
        }
        out.pos = (k - usize::from(out.neg)) as u8;
    } else {
        let neg = ue_max(b, MAX_DELTAS as u32)? as usize;
        let pos = ue_max(b, (MAX_DELTAS - neg) as u32)? as usize;
        let mut poc = 0i32;
        for i in 0..neg {
            poc -= ue_max(b, 1 << 15)? as i32 + 1;
            out.delta[i] = poc;
            out.used |= u32::from(b.flag()?) << i;
        }
        poc = 0;
        for i in neg..neg + pos {
            poc += ue_max(b, 1 << 15)? as i32 + 1;
            out.delta[i] = poc;
            out.used |= u32::from(b.flag()?) << i;
        }
        out.neg = neg as u8;
        out.pos = pos as u8;
    }
    Some(out)
}

/// Parses an SPS NAL unit's payload (after the 2-byte header) into `into` (`into` is left
/// partly written when `None`): its id.
pub(super) fn parse_sps(body: &[u8], into: &mut Sps) -> Option<usize> {
    let mut b = Bits::new(body);
    b.bits(4)?; // sps_video_parameter_set_id
    let sub_layers = b.bits(3)?;
    if sub_layers > 6 {
        return None;
    }
    b.flag()?; // sps_temporal_id_nesting_flag
    skip_profile_tier_level(&mut b, sub_layers)?;
    into.top_layer = sub_layers as u8;
    let id = ue_max(&mut b, MAX_SPS as u32 - 1)? as usize;
    let chroma = ue_max(&mut b, 3)?;
    into.separate_planes = chroma == 3 && b.flag()?;
    let width = b.ue()?; // pic_width_in_luma_samples
    let height = b.ue()?; // pic_height_in_luma_samples
    if b.flag()? {
        for _ in 0..4 {
            b.ue()?; // conformance window offsets
        }
    }
    b.ue()?; // bit_depth_luma_minus8
    b.ue()?; // bit_depth_chroma_minus8
    into.poc_lsb_bits = ue_max(&mut b, 12)? as u8 + 4;
    let all_layers = b.flag()?;
    let first = if all_layers { 0 } else { sub_layers };
    for _ in first..=sub_layers {
        b.ue()?; // sps_max_dec_pic_buffering_minus1
        b.ue()?; // sps_max_num_reorder_pics
        b.ue()?; // sps_max_latency_increase_plus1
    }
    let min_cb = ue_max(&mut b, 3)? + 3; // log2_min_luma_coding_block_size_minus3
    let ctb = min_cb + ue_max(&mut b, 3)?; // log2_diff_max_min_luma_coding_block_size
    for _ in 0..4 {
        b.ue()?; // transform block sizes, hierarchy depths
    }
    if b.flag()? && b.flag()? {
        skip_scaling_list_data(&mut b)?;
    }
    b.flag()?; // amp_enabled_flag
    let sao = b.flag()?; // sample_adaptive_offset_enabled_flag
    if b.flag()? {
        b.bits(8)?; // pcm sample bit depths
        b.ue()?;
        b.ue()?;
        b.flag()?;
    }
    let count = ue_max(&mut b, MAX_RPS as u32)? as usize;
    for i in 0..count {
        let (done, _) = into.rps.split_at_mut(i);
        let r = read_rps(&mut b, i, done, false)?;
        into.rps[i] = r;
    }
    into.rps_count = count as u8;
    into.long_term = b.flag()?;
    into.lt_count = 0;
    into.lt_used = 0;
    if into.long_term {
        let n = ue_max(&mut b, MAX_LT_SPS)?;
        for i in 0..n {
            b.bits(u32::from(into.poc_lsb_bits))?;
            into.lt_used |= u32::from(b.flag()?) << i;
        }
        into.lt_count = n as u8;
    }
    let ctbs = |luma: u32| luma.div_ceil(1 << ctb);
    into.more = b.flag().map(|temporal_mvp| SpsMore {
        chroma: if into.separate_planes {
            0
        } else {
            chroma as u8
        },
        ctbs_wide: ctbs(width),
        ctbs_high: ctbs(height),
        sao,
        temporal_mvp,
    });
    Some(id)
}

impl Sps {
    /// Long-term pictures the SPS lists, and bits of an index into them.
    pub(super) fn long_terms(&self) -> (u32, u32) {
        let n = u32::from(self.lt_count);
        (n, index_bits(n))
    }

    /// The SPS's long-term picture `i` is used by the pictures that list it.
    pub(super) fn long_term_used(&self, i: u32) -> bool {
        self.lt_used & (1 << i.min(31)) != 0
    }

    /// The colour planes are coded apart (`separate_colour_plane_flag`).
    pub(super) fn separate_planes(&self) -> bool {
        self.separate_planes
    }

    /// The SPS lists long-term reference pictures.
    pub(super) fn has_long_term(&self) -> bool {
        self.long_term
    }

    /// The short-term reference picture sets the SPS holds.
    pub(super) fn short_term_sets(&self) -> &[Rps] {
        &self.rps[..usize::from(self.rps_count)]
    }
}

/// Parses a PPS NAL unit's payload (after the 2-byte header): its id and what slice headers
/// need.
pub(super) fn parse_pps(body: &[u8]) -> Option<(usize, Pps)> {
    let mut b = Bits::new(body);
    let id = ue_max(&mut b, MAX_PPS as u32 - 1)? as usize;
    let sps = ue_max(&mut b, MAX_SPS as u32 - 1)? as u8;
    let dependent_slices = b.flag()?;
    let output_flag = b.flag()?;
    let extra_bits = b.bits(3)? as u8;
    let more = parse_pps_more(&mut b);
    Some((
        id,
        Pps {
            sps,
            output_flag,
            extra_bits,
            dependent_slices,
            more,
        },
    ))
}

/// Bits needed to tell `n` values apart (`Ceil(Log2(n))`).
pub(super) fn index_bits(n: u32) -> u32 {
    32 - n.saturating_sub(1).leading_zeros()
}

/// Parses the first slice segment header of a picture (payload after the 2-byte NAL header
/// `head`) up to its reference picture sets; `sets` gives the PPS with that id and its SPS.
/// `None` when it is not a picture's first segment or cannot be read.
pub(super) fn parse_slice<'s>(
    head: [u8; 2],
    body: &[u8],
    sets: impl Fn(usize) -> Option<(&'s Sps, Pps)>,
) -> Option<SliceStart> {
    let nal_type = (head[0] >> 1) & 0x3f;
    let tid = (head[1] & 7).checked_sub(1)?;
    let mut b = Bits::new(body);
    if !b.flag()? {
        return None; // not the picture's first slice segment
    }
    if (16..=23).contains(&nal_type) {
        b.flag()?; // no_output_of_prior_pics_flag
    }
    let (sps, pps) = sets(ue_max(&mut b, MAX_PPS as u32 - 1)? as usize)?;
    for _ in 0..pps.extra_bits {
        b.flag()?;
    }
    let kind = match b.ue()? {
        0 => SliceKind::B,
        1 => SliceKind::P,
        2 => SliceKind::I,
        _ => return None,
    };
    if pps.output_flag {
        b.flag()?;
    }
    if sps.separate_planes {
        b.bits(2)?;
    }
    let mut out = SliceStart {
        nal_type,
        tid,
        kind,
        poc_lsb_bits: sps.poc_lsb_bits,
        never_ref: nal_type <= 14 && nal_type.is_multiple_of(2) && tid == sps.top_layer,
        ..SliceStart::default()
    };
    if out.idr() {
        return Some(out);
    }
    out.poc_lsb = b.bits(u32::from(sps.poc_lsb_bits))?;
    let count = usize::from(sps.rps_count);
    let sets = &sps.rps[..count];
    out.rps = if !b.flag()? {
        read_rps(&mut b, count, sets, true)?
    } else {
        let idx = b.bits(index_bits(count as u32))? as usize;
        *sets.get(idx)?
    };
    if sps.long_term {
        let from_sps = if sps.lt_count > 0 {
            ue_max(&mut b, u32::from(sps.lt_count))?
        } else {
            0
        };
        let pics = b.ue()?;
        out.long_term = from_sps + pics > 0;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_bits_is_ceil_log2() {
        assert_eq!(index_bits(1), 0);
        assert_eq!(index_bits(2), 1);
        assert_eq!(index_bits(3), 2);
        assert_eq!(index_bits(4), 2);
        assert_eq!(index_bits(5), 3);
        assert_eq!(index_bits(64), 6);
    }
}
