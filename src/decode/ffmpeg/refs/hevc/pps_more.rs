//! What a picture parameter set says after `num_extra_slice_header_bits` that reading a slice
//! segment header to its end needs (see [`super::extent`]).

use super::super::bits::Bits;
use super::syntax::{skip_scaling_list_data, ue_max};

/// What a PPS says that only the rest of a slice segment header needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct PpsMore {
    pub(super) cabac_init: bool,
    /// `num_ref_idx_l0_default_active_minus1`, `..._l1_...`.
    pub(super) refs_default: [u32; 2],
    pub(super) chroma_qp_offsets: bool,
    pub(super) weighted_pred: bool,
    pub(super) weighted_bipred: bool,
    pub(super) tiles: bool,
    pub(super) wpp: bool,
    pub(super) filter_across_slices: bool,
    pub(super) deblocking_override: bool,
    pub(super) deblocking_off: bool,
    pub(super) lists_modification: bool,
    pub(super) header_extension: bool,
    /// `chroma_qp_offset_list_enabled_flag` (range extension).
    pub(super) chroma_qp_list: bool,
}

/// The rest of a PPS after `num_extra_slice_header_bits`: `None` when it cannot be read or
/// uses an extension (multi-layer, 3D, screen content) that changes slice headers.
pub(super) fn parse_pps_more(b: &mut Bits) -> Option<PpsMore> {
    b.flag()?; // sign_data_hiding_enabled_flag
    let cabac_init = b.flag()?;
    let refs_default = [ue_max(b, 14)?, ue_max(b, 14)?];
    b.se()?; // init_qp_minus26
    b.flag()?; // constrained_intra_pred_flag
    let transform_skip = b.flag()?;
    if b.flag()? {
        b.ue()?; // diff_cu_qp_delta_depth
    }
    b.se()?; // pps_cb_qp_offset
    b.se()?; // pps_cr_qp_offset
    let chroma_qp_offsets = b.flag()?;
    let weighted_pred = b.flag()?;
    let weighted_bipred = b.flag()?;
    b.flag()?; // transquant_bypass_enabled_flag
    let tiles = b.flag()?;
    let wpp = b.flag()?;
    if tiles {
        let cols = ue_max(b, 64)?;
        let rows = ue_max(b, 64)?;
        if !b.flag()? {
            for _ in 0..cols + rows {
                b.ue()?; // column widths, row heights
            }
        }
        b.flag()?; // loop_filter_across_tiles_enabled_flag
    }
    let filter_across_slices = b.flag()?;
    let (mut deblocking_override, mut deblocking_off) = (false, false);
    if b.flag()? {
        deblocking_override = b.flag()?;
        deblocking_off = b.flag()?;
        if !deblocking_off {
            b.se()?; // pps_beta_offset_div2
            b.se()?; // pps_tc_offset_div2
        }
    }
    if b.flag()? {
        skip_scaling_list_data(b)?;
    }
    let lists_modification = b.flag()?;
    b.ue()?; // log2_parallel_merge_level_minus2
    let header_extension = b.flag()?;
    let mut chroma_qp_list = false;
    if b.flag()? {
        let range = b.flag()?;
        if b.bits(3)? != 0 {
            return None; // multi-layer, 3D or screen content extension
        }
        b.bits(4)?; // pps_extension_4bits
        if range {
            if transform_skip {
                b.ue()?; // log2_max_transform_skip_block_size_minus2
            }
            b.flag()?; // cross_component_prediction_enabled_flag
            chroma_qp_list = b.flag()?;
        }
    }
    Some(PpsMore {
        cabac_init,
        refs_default,
        chroma_qp_offsets,
        weighted_pred,
        weighted_bipred,
        tiles,
        wpp,
        filter_across_slices,
        deblocking_override,
        deblocking_off,
        lists_modification,
        header_extension,
        chroma_qp_list,
    })
}
