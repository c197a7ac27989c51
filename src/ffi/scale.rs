//! Picture conversion and downscaling with swscale (`SwsContext` owner).

use std::ffi::c_int;
use std::ptr::NonNull;

use bytes::Bytes;
use ffmpeg_sys_next as sys;

use super::codec::Frame;
use crate::media::{PixelFormat, Plane};

/// A reusable swscale context producing 8-bit yuv420p pictures (a copy).
#[derive(Default)]
pub(crate) struct Scaler {
    ctx: Option<NonNull<sys::SwsContext>>,
}

// SAFETY: a SwsContext is used by one thread at a time through `&mut self`.
unsafe impl Send for Scaler {}

fn align(n: usize) -> usize {
    n.div_ceil(32) * 32
}

impl Scaler {
    /// A scaler; its context is made on first use and reused while sizes/formats stay.
    pub(crate) fn new() -> Self {
        Scaler::default()
    }

    /// Converts `frame` into a `width`×`height` yuv420p picture (3 planes of one fresh buffer).
    pub(crate) fn convert_yuv420p(
        &mut self,
        frame: &Frame,
        width: usize,
        height: usize,
    ) -> Option<Vec<Plane>> {
        let (sw, sh) = (frame.width(), frame.height());
        let src_fmt = frame.format();
        if sw == 0 || sh == 0 || width == 0 || height == 0 {
            return None;
        }
        if !(0..sys::AVPixelFormat::AV_PIX_FMT_NB as c_int).contains(&src_fmt) {
            return None;
        }
        // SAFETY: AVPixelFormat is a C enum with contiguous values from -1 to AV_PIX_FMT_NB,
        // and `src_fmt` was checked to lie in that range.
        let src_enum: sys::AVPixelFormat = unsafe { std::mem::transmute(src_fmt) };
        let flags = if width < sw {
            sys::SWS_AREA
        } else {
            sys::SWS_BILINEAR
        };
        let old = self.ctx.map_or(std::ptr::null_mut(), NonNull::as_ptr);
        // SAFETY: `old` is null or a context we own; getCachedContext frees it when it returns
        // another one. Filters and params are optional (null).
        let ctx = unsafe {
            sys::sws_getCachedContext(
                old,
                sw as c_int,
                sh as c_int,
                src_enum,
                width as c_int,
                height as c_int,
                sys::AVPixelFormat::AV_PIX_FMT_YUV420P,
                flags,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        };
        self.ctx = NonNull::new(ctx);
        let ctx = self.ctx?;
        let fmt = PixelFormat::Yuv420p;
        let sizes: Vec<(usize, usize)> = (0..3).map(|i| fmt.plane_size(i, width, height)).collect();
        let strides: Vec<usize> = sizes.iter().map(|&(w, _)| align(w)).collect();
        let offsets = [
            0,
            strides[0] * sizes[0].1,
            strides[0] * sizes[0].1 + strides[1] * sizes[1].1,
        ];
        let total = offsets[2] + strides[2] * sizes[2].1 + 32;
        let mut buf = vec![0u8; total];
        let base = buf.as_mut_ptr();
        // SAFETY: the three destination planes lie inside `buf` (offsets and strides computed
        // above for the destination size); the source pointers/linesizes are the frame's own.
        let rows = unsafe {
            let dst: [*mut u8; 4] = [
                base.add(offsets[0]),
                base.add(offsets[1]),
                base.add(offsets[2]),
                std::ptr::null_mut(),
            ];
            let dst_ls: [c_int; 4] = [
                strides[0] as c_int,
                strides[1] as c_int,
                strides[2] as c_int,
                0,
            ];
            let f = frame.raw();
            sys::sws_scale(
                ctx.as_ptr(),
                f.data.as_ptr() as *const *const u8,
                f.linesize.as_ptr(),
                0,
                sh as c_int,
                dst.as_ptr(),
                dst_ls.as_ptr(),
            )
        };
        if rows <= 0 {
            return None;
        }
        let bytes = Bytes::from(buf);
        (0..3)
            .map(|i| {
                let (w, h) = sizes[i];
                Plane::new(bytes.slice(offsets[i]..), strides[i], w, h).ok()
            })
            .collect()
    }
}

impl Drop for Scaler {
    fn drop(&mut self) {
        if let Some(c) = self.ctx {
            // SAFETY: a context we own, freed once.
            unsafe { sys::sws_freeContext(c.as_ptr()) };
        }
    }
}
