//! Readers of HEVC syntax structures that the parameter sets and slice headers share.

use super::super::bits::Bits;

/// Reads a `scaling_list_data()` past.
pub(super) fn skip_scaling_list_data(b: &mut Bits) -> Option<()> {
    for size in 0..4u32 {
        let step = if size == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !b.flag()? {
                b.ue()?;
            } else {
                let coefs = 64.min(1 << (4 + (size << 1)));
                if size > 1 {
                    b.se()?;
                }
                for _ in 0..coefs {
                    b.se()?;
                }
            }
        }
    }
    Some(())
}

/// `ue()` no greater than `max`.
pub(super) fn ue_max(b: &mut Bits, max: u32) -> Option<u32> {
    b.ue().filter(|v| *v <= max)
}
