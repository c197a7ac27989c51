//! What reference tracking reads of H.264 parameter sets and slice headers: `frame_num`, and
//! up to the reference picture marking, how a picture chooses and keeps its references.

use super::bits::Bits;

/// Most sequence and picture parameter sets H.264 allows (32 SPS, 256 PPS).
pub(super) const MAX_SPS: usize = 32;
pub(super) const MAX_PPS: usize = 256;
/// Most list modifications (per list) and marking operations followed in one slice header;
/// a header with more is read as one whose references are not followed.
pub(super) const MAX_OPS: usize = 8;
/// Most references in one list (H.264: 32 for field pictures, 16 for frames).
const MAX_ACTIVE: u32 = 32;

/// What a sequence parameter set says that slice headers need.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Sps {
    /// `log2_max_frame_num`: bits of `frame_num`.
    pub(super) frame_num_bits: u8,
    /// Colour planes coded apart (a `colour_plane_id` precedes `frame_num`).
    pub(super) separate_planes: bool,
    /// Gaps in `frame_num` are allowed by the stream: a jump proves nothing.
    pub(super) gaps_allowed: bool,
    /// `max_num_ref_frames`: the sliding window's size.
    pub(super) max_refs: u8,
    /// 0 without chroma or with colour planes coded apart, else `chroma_format_idc`.
    chroma_array_type: u32,
    poc_type: u32,
    poc_lsb_bits: u32,
    delta_always_zero: bool,
    frame_mbs_only: bool,
    /// Everything up to `frame_mbs_only_flag` was read.
    full: bool,
}

/// What a picture parameter set says that slice headers need.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Pps {
    pub(super) sps: u8,
    /// Everything below was read, and the picture has one slice group.
    full: bool,
    bottom_field_poc: bool,
    /// Default active references per list.
    active: [u8; 2],
    weighted_pred: bool,
    weighted_bipred: u32,
    redundant_pic_cnt: bool,
}

/// How a slice predicts: the lists it builds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum SliceKind {
    /// One list (P and SP slices).
    P,
    /// Two lists.
    B,
    /// None (I and SI slices).
    #[default]
    I,
}

/// Operations of one kind read from a slice header: `(code, value)` pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Ops {
    n: u8,
    op: [(u8, u32); MAX_OPS],
}

impl Ops {
    pub(super) fn push(&mut self, code: u32, value: u32) -> Option<()> {
        let slot = self.op.get_mut(usize::from(self.n))?;
        *slot = (code as u8, value);
        self.n += 1;
        Some(())
    }

    /// The operations in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u8, u32)> + '_ {
        self.op[..usize::from(self.n)].iter().copied()
    }
}

/// How a picture uses and keeps references (frame pictures with short-term references only).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct RefUse {
    /// Active references of lists 0 and 1.
    pub(super) active: [u8; 2],
    /// `modification_of_pic_nums_idc` (0 or 1) with `abs_diff_pic_num_minus1`, per list.
    pub(super) mods: [Ops; 2],
    /// Memory management operations 1 (`difference_of_pic_nums_minus1`) of a reference
    /// picture; `None` for the sliding window.
    pub(super) marking: Option<Ops>,
    /// Memory management operation 5: every reference dropped, and the picture's `frame_num`
    /// taken as 0 from then on.
    pub(super) reset: bool,
}

/// The first slice of a picture: what reference tracking needs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct SliceStart {
    /// `nal_ref_idc != 0`: other pictures may be predicted from this one.
    pub(super) reference: bool,
    /// An IDR picture (`frame_num` restarts at 0).
    pub(super) idr: bool,
    pub(super) kind: SliceKind,
    pub(super) frame_num: u32,
    /// Bits of `frame_num` (its modulus is `1 << bits`).
    pub(super) bits: u8,
    /// The stream allows gaps in `frame_num`.
    pub(super) gaps_allowed: bool,
    /// The sliding window's size.
    pub(super) max_refs: u8,
    /// `None` when the header could not be followed that far (field pictures, long-term
    /// references, several slice groups, damage).
    pub(super) refs: Option<RefUse>,
}

/// Reads a slice header (after its NAL header byte `head`) with the parameter sets known.
pub(super) fn parse_slice(
    head: u8,
    body: &[u8],
    sps_of: impl Fn(usize) -> Option<(Sps, Pps)>,
) -> Option<SliceStart> {
    let mut r = Bits::new(body);
    r.ue()?; // first_mb_in_slice
    let kind = match r.ue()? {
        0 | 3 | 5 | 8 => SliceKind::P,
        1 | 6 => SliceKind::B,
        2 | 4 | 7 | 9 => SliceKind::I,
        _ => return None,
    };
    let (sps, pps) = sps_of(r.ue()? as usize)?;
    if sps.separate_planes {
        r.bits(2)?;
    }
    let frame_num = r.bits(u32::from(sps.frame_num_bits))?;
    let mut s = SliceStart {
        reference: head & 0x60 != 0,
        idr: head & 0x1f == 5,
        kind,
        frame_num,
        bits: sps.frame_num_bits,
        gaps_allowed: sps.gaps_allowed,
        max_refs: sps.max_refs,
        refs: None,
    };
    s.refs = ref_use(&mut r, &sps, &pps, &s);
    Some(s)
}

/// The slice header from after `frame_num` to the end of `dec_ref_pic_marking`.
fn ref_use(r: &mut Bits<'_>, sps: &Sps, pps: &Pps, s: &SliceStart) -> Option<RefUse> {
    if !sps.full || !pps.full || (!sps.frame_mbs_only && r.flag()?) {
        return None; // unread parameters, or a field picture
    }
    if s.idr {
        r.ue()?; // idr_pic_id
    }
    match sps.poc_type {
        0 => {
            r.bits(sps.poc_lsb_bits)?;
            if pps.bottom_field_poc {
                r.se()?;
            }
        }
        1 if !sps.delta_always_zero => {
            r.se()?;
            if pps.bottom_field_poc {
                r.se()?;
            }
        }
        _ => {}
    }
    if pps.redundant_pic_cnt {
        r.ue()?;
    }
    let lists = match s.kind {
        SliceKind::I => 0,
        SliceKind::P => 1,
        SliceKind::B => 2,
    };
    if s.kind == SliceKind::B {
        r.bits(1)?; // direct_spatial_mv_pred_flag
    }
    let mut u = RefUse::default();
    u.active[..lists].copy_from_slice(&pps.active[..lists]);
    if lists > 0 && r.flag()? {
        for a in u.active.iter_mut().take(lists) {
            let n = r.ue()?.checked_add(1).filter(|n| *n <= MAX_ACTIVE)?;
            *a = n as u8;
        }
    }
    for m in u.mods.iter_mut().take(lists) {
        if r.flag()? {
            loop {
                match r.ue()? {
                    3 => break,
                    idc @ (0 | 1) => m.push(idc, r.ue()?)?,
                    _ => return None, // long-term (2) or inter-view references
                }
            }
        }
    }
    let weighted = match s.kind {
        SliceKind::P => pps.weighted_pred,
        SliceKind::B => pps.weighted_bipred == 1,
        SliceKind::I => false,
    };
    if weighted {
        skip_weights(r, &u.active[..lists], sps.chroma_array_type != 0)?;
    }
    if s.reference {
        if s.idr {
            r.bits(1)?; // no_output_of_prior_pics_flag
            if r.flag()? {
                return None; // the IDR picture is kept as a long-term reference
            }
        } else if r.flag()? {
            let mut ops = Ops::default();
            loop {
                match r.ue()? {
                    0 => break,
                    1 => ops.push(1, r.ue()?)?,
                    5 => u.reset = true,
                    _ => return None, // long-term marking
                }
            }
            u.marking = Some(ops);
        }
    }
    Some(u)
}

/// Skips `pred_weight_table` for lists of `active` references.
fn skip_weights(r: &mut Bits<'_>, active: &[u8], chroma: bool) -> Option<()> {
    r.ue()?;
    if chroma {
        r.ue()?;
    }
    for &n in active {
        for _ in 0..n {
            if r.flag()? {
                r.se()?;
                r.se()?;
            }
            if chroma && r.flag()? {
                for _ in 0..4 {
                    r.se()?;
                }
            }
        }
    }
    Some(())
}

/// `(sps id, what it says)` from a sequence parameter set's payload (after its NAL header).
pub(super) fn parse_sps(body: &[u8]) -> Option<(usize, Sps)> {
    let mut r = Bits::new(body);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    let id = r.ue()? as usize;
    if id >= MAX_SPS {
        return None;
    }
    let mut sps = Sps {
        chroma_array_type: 1,
        ..Sps::default()
    };
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma = r.ue()?;
        if chroma == 3 {
            sps.separate_planes = r.flag()?;
        }
        sps.chroma_array_type = if sps.separate_planes { 0 } else { chroma };
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bits(1)?; // qpprime_y_zero_transform_bypass
        if r.flag()? {
            let lists = if chroma == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag()? {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let frame_num_bits = r.ue()?.checked_add(4)?;
    if frame_num_bits > 16 {
        return None;
    }
    sps.frame_num_bits = frame_num_bits as u8;
    sps.poc_type = r.ue()?;
    match sps.poc_type {
        0 => sps.poc_lsb_bits = r.ue()?.checked_add(4).filter(|b| *b <= 16)?,
        1 => {
            sps.delta_always_zero = r.flag()?;
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
    sps.max_refs = r.ue()?.min(16) as u8;
    sps.gaps_allowed = r.flag()?;
    // What follows is needed only to read slice headers to their end.
    let rest = (|| {
        r.ue()?; // pic_width_in_mbs_minus1
        r.ue()?; // pic_height_in_map_units_minus1
        r.flag()
    })();
    if let Some(frame_mbs_only) = rest {
        sps.frame_mbs_only = frame_mbs_only;
        sps.full = true;
    }
    Some((id, sps))
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

/// `(pps id, what it says)` from a picture parameter set's payload.
pub(super) fn parse_pps(body: &[u8]) -> Option<(usize, Pps)> {
    let mut r = Bits::new(body);
    let id = r.ue()? as usize;
    let sps = r.ue()?;
    if id >= MAX_PPS || sps as usize >= MAX_SPS {
        return None;
    }
    let mut pps = Pps {
        sps: sps as u8,
        ..Pps::default()
    };
    // What follows is needed only to read slice headers to their end.
    let rest = (|| {
        r.bits(1)?; // entropy_coding_mode_flag
        pps.bottom_field_poc = r.flag()?;
        if r.ue()? != 0 {
            return None; // slice groups
        }
        for a in pps.active.iter_mut() {
            *a = r.ue()?.checked_add(1).filter(|n| *n <= MAX_ACTIVE)? as u8;
        }
        pps.weighted_pred = r.flag()?;
        pps.weighted_bipred = r.bits(2)?;
        r.se()?; // pic_init_qp_minus26
        r.se()?; // pic_init_qs_minus26
        r.se()?; // chroma_qp_index_offset
        r.bits(2)?; // deblocking_filter_control_present, constrained_intra_pred
        pps.redundant_pic_cnt = r.flag()?;
        Some(())
    })();
    pps.full = rest.is_some();
    Some((id, pps))
}
