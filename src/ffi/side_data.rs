//! Frame side data, shared without a copy: an owned reference to the side data's buffer.

use std::ptr::NonNull;

use bytes::Bytes;
use ffmpeg_sys_next as sys;

use super::codec::Frame;

impl Frame {
    /// The ATSC A/53 closed-caption bytes of the picture (`cc_data` triplets,
    /// `AV_FRAME_DATA_A53_CC`), sharing the side data's buffer; `None` (without allocating)
    /// when the picture carries none.
    pub(crate) fn a53_captions(&self) -> Option<Bytes> {
        use sys::AVFrameSideDataType::AV_FRAME_DATA_A53_CC;
        // SAFETY: a valid frame (owned by `self`); the call only reads its side-data list.
        let sd = unsafe { sys::av_frame_get_side_data(self.raw(), AV_FRAME_DATA_A53_CC) };
        // SAFETY: a non-null result points at one of the frame's side-data entries, alive as
        // long as the frame and not written while it is shared.
        let sd = unsafe { sd.as_ref() }?;
        if sd.data.is_null() || sd.size == 0 {
            return None;
        }
        let buf = if sd.buf.is_null() {
            None
        } else {
            // SAFETY: `sd.buf` is a valid buffer reference of the frame holding `sd.data`;
            // av_buffer_ref returns a new reference of our own (or null when out of memory).
            NonNull::new(unsafe { sys::av_buffer_ref(sd.buf) })
        };
        match buf {
            Some(buf) => Some(Bytes::from_owner(SideData {
                buf,
                ptr: sd.data,
                len: sd.size,
            })),
            None => {
                // SAFETY: `data..data+size` is the side data's payload, alive with the frame.
                let bytes = unsafe { std::slice::from_raw_parts(sd.data, sd.size) };
                Some(Bytes::copy_from_slice(bytes))
            }
        }
    }
}

/// A reference to a side-data buffer, viewed as bytes until dropped.
struct SideData {
    buf: NonNull<sys::AVBufferRef>,
    ptr: *const u8,
    len: usize,
}

// SAFETY: the buffer is refcounted by FFmpeg (atomically) and only read through this
// reference; freeing it from another thread is allowed.
unsafe impl Send for SideData {}
// SAFETY: as above; only shared reads.
unsafe impl Sync for SideData {}

impl AsRef<[u8]> for SideData {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is the side data's payload inside the buffer `buf` keeps
        // alive; side data is not written once the frame is decoded.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for SideData {
    fn drop(&mut self) {
        let mut p = self.buf.as_ptr();
        // SAFETY: our own reference, released once.
        unsafe { sys::av_buffer_unref(&mut p) };
    }
}
