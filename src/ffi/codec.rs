//! Decoding: `AVCodecContext` and `AVFrame` owners, and zero-copy planes over decoded frames.

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;
use std::sync::Arc;

use bytes::Bytes;
use ffmpeg_sys_next as sys;

use super::error::{check, FfError, EAGAIN, EOF};
use super::log::{self, ErrorTap};
use super::packet::Packet;
use crate::media::{ColorRange, FrameFlags, PictureType, PixelFormat, Plane};

/// What [`CodecContext::send`] did.
pub(crate) enum Sent {
    /// The decoder took the packet.
    Accepted,
    /// The decoder wants its frames read first (send the packet again afterwards).
    Full,
    /// The decoder was already flushed.
    Ended,
}

/// What [`CodecContext::receive`] got.
pub(crate) enum Received {
    /// A decoded frame.
    Frame(Frame),
    /// The decoder needs more input.
    NeedInput,
    /// The decoder is fully flushed.
    Drained,
}

/// An open decoder, with the heap counter of the errors it logs (its `opaque`).
///
/// Field order: the context is freed (in `Drop`) before the tap.
pub(crate) struct CodecContext {
    ptr: NonNull<sys::AVCodecContext>,
    tap: Box<ErrorTap>,
}

// SAFETY: an AVCodecContext may be used from any thread, one thread at a time; `CodecContext`
// is only used through `&mut self` (or `&self` reading the atomic tap). Frame threads FFmpeg
// starts itself are joined by avcodec_free_context.
unsafe impl Send for CodecContext {}

impl CodecContext {
    /// Opens a decoder for `par` with packet time base `tb` and `threads` threads (0 = auto),
    /// refusing to allocate pictures of more than `max_pixels` (set before opening, so frame
    /// threads inherit it).
    ///
    /// # Safety
    /// `par` points to valid codec parameters for the duration of the call.
    pub(super) unsafe fn open(
        par: *const sys::AVCodecParameters,
        tb: sys::AVRational,
        threads: usize,
        max_pixels: u64,
    ) -> Result<Self, FfError> {
        // SAFETY: caller guarantees `par`; find_decoder returns a static or null.
        let codec = unsafe { sys::avcodec_find_decoder((*par).codec_id) };
        if codec.is_null() {
            return Err(FfError::Message(
                "no decoder for this codec in the FFmpeg build".into(),
            ));
        }
        // SAFETY: allocation with a valid codec; checked for null.
        let ctx = NonNull::new(unsafe { sys::avcodec_alloc_context3(codec) })
            .ok_or_else(|| FfError::Message("out of memory".into()))?;
        let tap = Box::<ErrorTap>::default();
        log::register(&tap);
        let me = CodecContext { ptr: ctx, tap };
        let c = me.ptr.as_ptr();
        // SAFETY: `c` is a fresh context we own; `par` valid per contract. `opaque` points to the
        // tap, which lives (boxed, unmoved) until after the context is freed; frame-thread copies
        // of the context copy it.
        unsafe {
            check(sys::avcodec_parameters_to_context(c, par))?;
            (*c).pkt_timebase = tb;
            (*c).thread_count = threads.min(64) as c_int;
            (*c).max_pixels = i64::try_from(max_pixels).unwrap_or(i64::MAX);
            (*c).flags2 |= sys::AV_CODEC_FLAG2_SHOW_ALL;
            (*c).flags |= sys::AV_CODEC_FLAG_OUTPUT_CORRUPT as c_int;
            (*c).opaque = (&*me.tap as *const ErrorTap).cast_mut().cast::<c_void>();
            check(sys::avcodec_open2(c, codec, std::ptr::null_mut()))?;
        }
        Ok(me)
    }

    /// Skips the in-loop deblocking filter and/or non-reference pictures from the next packet
    /// on (frame threads pick the settings up with the next packet).
    pub(crate) fn set_skips(&mut self, loop_filter: bool, non_reference: bool) {
        let c = self.ptr.as_ptr();
        // SAFETY: an open decoder we own, used through `&mut self`; plain enum fields that the
        // codec reads per packet.
        unsafe {
            (*c).skip_loop_filter = if loop_filter {
                sys::AVDiscard::AVDISCARD_ALL
            } else {
                sys::AVDiscard::AVDISCARD_DEFAULT
            };
            (*c).skip_frame = if non_reference {
                sys::AVDiscard::AVDISCARD_NONREF
            } else {
                sys::AVDiscard::AVDISCARD_DEFAULT
            };
        }
    }

    /// Sends a packet (`None` = flush), tagging the frames it produces with `tag`.
    pub(crate) fn send(&mut self, pkt: Option<&Packet>, tag: i64) -> Result<Sent, FfError> {
        let c = self.ptr.as_ptr();
        let p = pkt.map_or(std::ptr::null(), Packet::as_ptr);
        // SAFETY: an open decoder and a valid (or null) packet, which FFmpeg only references.
        let ret = unsafe {
            #[allow(deprecated)]
            {
                (*c).reordered_opaque = tag;
            }
            sys::avcodec_send_packet(c, p)
        };
        match ret {
            r if r >= 0 => Ok(Sent::Accepted),
            EAGAIN => Ok(Sent::Full),
            EOF => Ok(Sent::Ended),
            r => Err(FfError::from_code(r)),
        }
    }

    /// Receives the next decoded frame.
    pub(crate) fn receive(&mut self) -> Result<Received, FfError> {
        let frame = Frame::new()?;
        // SAFETY: an open decoder and a fresh frame we own.
        let ret = unsafe { sys::avcodec_receive_frame(self.ptr.as_ptr(), frame.ptr.as_ptr()) };
        match ret {
            r if r >= 0 => Ok(Received::Frame(frame)),
            EAGAIN => Ok(Received::NeedInput),
            EOF => Ok(Received::Drained),
            r => Err(FfError::from_code(r)),
        }
    }

    /// The tags (see [`send`](Self::send)) of the packets whose decoding logged errors since
    /// the last call.
    pub(crate) fn take_error_tags(&mut self) -> Vec<super::log::LoggedError> {
        self.tap.take_tags()
    }

    /// The last error line the decoder logged.
    pub(crate) fn last_logged_error(&self) -> String {
        self.tap.last()
    }
}

impl Drop for CodecContext {
    fn drop(&mut self) {
        let mut p = self.ptr.as_ptr();
        // SAFETY: our context; freeing joins its threads, after which nothing logs through the
        // tap, which is unregistered before the box is dropped.
        unsafe { sys::avcodec_free_context(&mut p) };
        log::unregister(&self.tap);
    }
}

/// An owned decoded `AVFrame` (its buffers are refcounted and read-only once decoded).
pub(crate) struct Frame {
    ptr: NonNull<sys::AVFrame>,
}

// SAFETY: a decoded frame is immutable: we never write to it after avcodec_receive_frame, and
// its refcounted buffers are not written by the decoder while other references exist. Reading
// it from several threads at once is therefore sound, and freeing (Drop) needs `&mut`/ownership.
unsafe impl Send for Frame {}
// SAFETY: see above; shared access only reads.
unsafe impl Sync for Frame {}

impl Frame {
    fn new() -> Result<Self, FfError> {
        // SAFETY: plain allocation, checked for null.
        NonNull::new(unsafe { sys::av_frame_alloc() })
            .map(|ptr| Frame { ptr })
            .ok_or_else(|| FfError::Message("out of memory".into()))
    }

    pub(super) fn raw(&self) -> &sys::AVFrame {
        // SAFETY: an allocated frame, not mutated while shared.
        unsafe { self.ptr.as_ref() }
    }

    /// Picture width.
    pub(crate) fn width(&self) -> usize {
        self.raw().width.max(0) as usize
    }
    /// Picture height.
    pub(crate) fn height(&self) -> usize {
        self.raw().height.max(0) as usize
    }
    /// `best_effort_timestamp`, in the stream time base.
    pub(crate) fn timestamp(&self) -> Option<i64> {
        let f = self.raw();
        [f.best_effort_timestamp, f.pts]
            .into_iter()
            .find(|&t| t != sys::AV_NOPTS_VALUE)
    }
    /// Duration in the stream time base, when known.
    pub(crate) fn duration(&self) -> Option<i64> {
        #[allow(deprecated)]
        let d = self.raw().pkt_duration;
        (d > 0).then_some(d)
    }
    /// The tag of the packet this frame came from (see [`CodecContext::send`]).
    pub(crate) fn tag(&self) -> i64 {
        #[allow(deprecated)]
        self.raw().reordered_opaque
    }
    /// Number of audio samples per channel.
    pub(crate) fn samples(&self) -> usize {
        self.raw().nb_samples.max(0) as usize
    }
    /// Audio sample rate.
    pub(crate) fn sample_rate(&self) -> u32 {
        self.raw().sample_rate.max(0) as u32
    }
    /// Audio channel count.
    pub(crate) fn channels(&self) -> usize {
        let f = self.raw();
        let n = if f.ch_layout.nb_channels > 0 {
            f.ch_layout.nb_channels
        } else {
            #[allow(deprecated)]
            f.channels
        };
        n.max(0) as usize
    }

    /// Key frame, corruption and concealment flags.
    pub(crate) fn flags(&self) -> FrameFlags {
        let f = self.raw();
        let mut out = FrameFlags::NONE;
        if f.key_frame != 0 {
            out |= FrameFlags::KEY;
        }
        if f.flags & sys::AV_FRAME_FLAG_CORRUPT != 0 {
            out |= FrameFlags::CORRUPT;
        }
        let e = f.decode_error_flags;
        if e & sys::FF_DECODE_ERROR_CONCEALMENT_ACTIVE != 0 {
            out |= FrameFlags::CONCEALED;
        }
        if e & (sys::FF_DECODE_ERROR_INVALID_BITSTREAM
            | sys::FF_DECODE_ERROR_MISSING_REFERENCE
            | sys::FF_DECODE_ERROR_DECODE_SLICES)
            != 0
        {
            out |= FrameFlags::DECODE_ERROR;
        }
        out
    }

    /// The coding type.
    pub(crate) fn picture_type(&self) -> PictureType {
        use sys::AVPictureType::*;
        match self.raw().pict_type {
            AV_PICTURE_TYPE_I | AV_PICTURE_TYPE_SI => PictureType::I,
            AV_PICTURE_TYPE_P | AV_PICTURE_TYPE_SP | AV_PICTURE_TYPE_S => PictureType::P,
            AV_PICTURE_TYPE_B | AV_PICTURE_TYPE_BI => PictureType::B,
            _ => PictureType::Unknown,
        }
    }

    /// The colour range the frame signals.
    pub(crate) fn color_range(&self) -> ColorRange {
        match self.raw().color_range {
            sys::AVColorRange::AVCOL_RANGE_JPEG => ColorRange::Full,
            sys::AVColorRange::AVCOL_RANGE_MPEG => ColorRange::Limited,
            _ => ColorRange::Unknown,
        }
    }

    /// The raw pixel format number.
    pub(super) fn format(&self) -> c_int {
        self.raw().format
    }

    /// The avqc pixel format this frame maps to without conversion, with the range implied by
    /// a `J` (full-range) format.
    pub(crate) fn direct_format(&self) -> Option<(PixelFormat, Option<ColorRange>)> {
        use sys::AVPixelFormat::*;
        let f = self.format();
        let is = |p: sys::AVPixelFormat| f == p as c_int;
        if is(AV_PIX_FMT_YUV420P) {
            Some((PixelFormat::Yuv420p, None))
        } else if is(AV_PIX_FMT_YUVJ420P) {
            Some((PixelFormat::Yuv420p, Some(ColorRange::Full)))
        } else if is(AV_PIX_FMT_YUV422P) {
            Some((PixelFormat::Yuv422p, None))
        } else if is(AV_PIX_FMT_YUVJ422P) {
            Some((PixelFormat::Yuv422p, Some(ColorRange::Full)))
        } else if is(AV_PIX_FMT_YUV444P) {
            Some((PixelFormat::Yuv444p, None))
        } else if is(AV_PIX_FMT_YUVJ444P) {
            Some((PixelFormat::Yuv444p, Some(ColorRange::Full)))
        } else if is(AV_PIX_FMT_GRAY8) {
            Some((PixelFormat::Gray8, None))
        } else if is(AV_PIX_FMT_NV12) {
            Some((PixelFormat::Nv12, None))
        } else {
            None
        }
    }

    /// Planes of a frame in `format` (see [`direct_format`](Self::direct_format)), shared with
    /// the decoder without a copy (copied only when a stride is negative).
    pub(crate) fn shared_planes(this: &Arc<Frame>, format: PixelFormat) -> Option<Vec<Plane>> {
        let f = this.raw();
        let (w, h) = (this.width(), this.height());
        if w == 0 || h == 0 {
            return None;
        }
        let mut planes = Vec::with_capacity(format.plane_count());
        for i in 0..format.plane_count() {
            let (pw, ph) = format.plane_size(i, w, h);
            let data = f.data[i];
            let ls = f.linesize[i];
            if data.is_null() || ph == 0 {
                return None;
            }
            let stride = ls.unsigned_abs() as usize;
            if stride < pw {
                return None;
            }
            let len = stride * (ph - 1) + pw;
            let plane = if ls >= 0 {
                let owner = PlaneOwner {
                    _frame: Arc::clone(this),
                    ptr: data,
                    len,
                };
                Plane::new(Bytes::from_owner(owner), stride, pw, ph).ok()?
            } else {
                // A bottom-up picture: copy the rows top to bottom.
                let mut v = Vec::with_capacity(pw * ph);
                for y in 0..ph {
                    // SAFETY: row y of plane i starts at data + y*linesize (linesize negative)
                    // and holds at least `pw` bytes, per the frame's layout.
                    let row = unsafe {
                        std::slice::from_raw_parts(data.offset(y as isize * ls as isize), pw)
                    };
                    v.extend_from_slice(row);
                }
                Plane::new(Bytes::from(v), pw, pw, ph).ok()?
            };
            planes.push(plane);
        }
        Some(planes)
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let mut p = self.ptr.as_ptr();
        // SAFETY: our frame; av_frame_free unrefs its buffers and frees it.
        unsafe { sys::av_frame_free(&mut p) };
    }
}

/// Keeps a decoded frame alive while a `Bytes` views one of its planes.
struct PlaneOwner {
    _frame: Arc<Frame>,
    ptr: *const u8,
    len: usize,
}

// SAFETY: the bytes are read-only and owned (through the Arc'd frame) for as long as this value
// lives; `Frame` is Send + Sync.
unsafe impl Send for PlaneOwner {}
// SAFETY: as above; only shared reads.
unsafe impl Sync for PlaneOwner {}

impl AsRef<[u8]> for PlaneOwner {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` lies inside a plane buffer of the frame held by `_frame`
        // (len = stride*(rows-1)+width was checked against the frame's layout at creation), and
        // the buffer is not written while the frame is referenced.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}
