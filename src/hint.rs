//! Cache hints for the detectors' strided reads of decoded pictures. Besides [`ffi`](crate)
//! (FFmpeg), the only module with `unsafe` code: one prefetch instruction, which reads nothing
//! and cannot fault.
//!
//! A detector reads every few rows of a picture the decoder wrote some pictures earlier, so
//! the rows are mostly out of the core's caches, and each jump to the next sampled row starts
//! a new stream the hardware prefetcher has not seen yet: the reads wait on memory. Asking for
//! the rows a few samples ahead lets those fetches overlap with the work on the current row.

/// Bytes per cache line on the targets that have a prefetch hint here.
const LINE: usize = 64;

/// Asks the CPU to bring the cache lines of `bytes` into its caches (a hint: on targets
/// without a stable prefetch instruction it does nothing).
#[inline]
pub(crate) fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for i in (0..bytes.len()).step_by(LINE) {
        let p = bytes[i..].as_ptr().cast::<i8>();
        // SAFETY: `_mm_prefetch` only hints the cache: it reads no data into the program, cannot
        // fault, and `p` points inside `bytes` anyway. SSE, which it needs, is part of every
        // x86_64 target.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

#[cfg(test)]
mod tests {
    use crate::media::Plane;

    #[test]
    fn rows_past_the_picture_and_partial_lines_are_not_read() {
        // 3 rows of 100 visible bytes in a stride of 130 (the last row ends before the buffer
        // would hold another stride): a hint for a row past the last, or a line that the row
        // only starts, must neither index out of the plane nor panic.
        let p = Plane::new(vec![1u8; 2 * 130 + 100].into(), 130, 100, 3).unwrap();
        for y in 0..10 {
            p.prefetch_row(y);
        }
        super::prefetch(&[]);
        super::prefetch(&p.row(2)[99..]);
    }
}
