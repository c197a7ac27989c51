//! The `AVPacket` owner both the demuxer ([`Input`](super::format::Input)) and the decoder
//! ([`CodecContext`](super::codec::CodecContext)) use, and FFmpeg's "no timestamp" mapped to `None`.

use std::ptr::NonNull;

use ffmpeg_sys_next as sys;

use super::error::FfError;

/// `v`, unless it is FFmpeg's "no timestamp" (`AV_NOPTS_VALUE`).
pub(super) fn ts(v: i64) -> Option<i64> {
    (v != sys::AV_NOPTS_VALUE).then_some(v)
}

/// An owned `AVPacket`.
pub(crate) struct Packet {
    ptr: NonNull<sys::AVPacket>,
}

// SAFETY: a packet is plain refcounted data used by one thread at a time through `&mut`.
unsafe impl Send for Packet {}

impl Packet {
    /// An empty packet.
    pub(crate) fn new() -> Result<Self, FfError> {
        // SAFETY: plain allocation, checked for null.
        let p = unsafe { sys::av_packet_alloc() };
        NonNull::new(p)
            .map(|ptr| Packet { ptr })
            .ok_or_else(|| FfError::Message("out of memory".into()))
    }

    pub(super) fn as_ptr(&self) -> *const sys::AVPacket {
        self.ptr.as_ptr()
    }

    pub(super) fn as_mut_ptr(&mut self) -> *mut sys::AVPacket {
        self.ptr.as_ptr()
    }

    /// Drops the packet's data, leaving it empty for the next read.
    pub(super) fn unref(&mut self) {
        // SAFETY: an allocated packet we own.
        unsafe { sys::av_packet_unref(self.ptr.as_ptr()) };
    }

    /// Index of the packet's stream.
    pub(crate) fn stream(&self) -> usize {
        // SAFETY: an allocated packet.
        unsafe { (*self.ptr.as_ptr()).stream_index.max(0) as usize }
    }

    /// Presentation timestamp (or the decoding one when absent), in the stream time base.
    pub(crate) fn time(&self) -> Option<i64> {
        // SAFETY: an allocated packet.
        unsafe {
            let p = self.ptr.as_ptr();
            ts((*p).pts).or(ts((*p).dts))
        }
    }

    /// Decoding timestamp, in the stream time base.
    pub(crate) fn decode_time(&self) -> Option<i64> {
        // SAFETY: an allocated packet.
        unsafe { ts((*self.ptr.as_ptr()).dts) }
    }

    /// Duration in the stream time base (0 when unknown).
    pub(crate) fn duration(&self) -> i64 {
        // SAFETY: an allocated packet.
        unsafe { (*self.ptr.as_ptr()).duration.max(0) }
    }

    /// The packet's bytes (empty when it has none).
    pub(crate) fn data(&self) -> &[u8] {
        // SAFETY: an allocated packet; `data` points to `size` bytes it owns (or is null),
        // alive while the packet is borrowed and not unreferenced.
        unsafe {
            let p = self.ptr.as_ptr();
            if (*p).data.is_null() || (*p).size <= 0 {
                &[]
            } else {
                std::slice::from_raw_parts((*p).data, (*p).size as usize)
            }
        }
    }

    /// True when the demuxer flagged the packet a random access point (`AV_PKT_FLAG_KEY`: a
    /// key frame, or for H.264 a recovery point, as the parser read it).
    pub(crate) fn is_key(&self) -> bool {
        // SAFETY: an allocated packet.
        unsafe { (*self.ptr.as_ptr()).flags & sys::AV_PKT_FLAG_KEY != 0 }
    }

    /// True when the demuxer flagged the packet corrupt (`AV_PKT_FLAG_CORRUPT`).
    pub(crate) fn is_corrupt(&self) -> bool {
        // SAFETY: an allocated packet.
        unsafe { (*self.ptr.as_ptr()).flags & sys::AV_PKT_FLAG_CORRUPT != 0 }
    }
}

impl Drop for Packet {
    fn drop(&mut self) {
        let mut p = self.ptr.as_ptr();
        // SAFETY: our packet; av_packet_free unrefs and frees it.
        unsafe { sys::av_packet_free(&mut p) };
    }
}
