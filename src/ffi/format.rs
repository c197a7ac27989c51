//! Demuxing: the `AVFormatContext` owner (an open [`Input`]) and the stream parameters it reads.

use std::ffi::{c_int, c_void, CString};
use std::ptr::NonNull;
use std::sync::Arc;

use ffmpeg_sys_next as sys;

use super::codec::CodecContext;
use super::dict::Dict;
use super::error::{check, cstr, FfError, EAGAIN, EOF};
use super::init::init;
use super::io::{interrupt_callback, CustomIo, Interrupt};
use super::packet::{ts, Packet};
use crate::media::{MediaKind, Rational};

fn rational(r: sys::AVRational) -> Rational {
    Rational::new(r.num, r.den)
}

/// The `language` entry of a stream's metadata (null or a live dictionary), unless empty or
/// `und` (undetermined).
fn language(metadata: *mut sys::AVDictionary) -> Option<String> {
    if metadata.is_null() {
        return None;
    }
    // SAFETY: `metadata` is a live dictionary of an open input; the key is NUL-terminated;
    // the entry returned (or null) stays valid while the dictionary is not changed, and its
    // value is copied at once.
    let value = unsafe {
        let e = sys::av_dict_get(metadata, c"language".as_ptr(), std::ptr::null(), 0);
        if e.is_null() {
            return None;
        }
        cstr((*e).value)
    };
    let v = value.trim();
    (!v.is_empty() && v != "und").then(|| v.to_string())
}

/// An open `AVFormatContext` (closed with `avformat_close_input`).
struct FormatContext {
    ptr: NonNull<sys::AVFormatContext>,
}

impl Drop for FormatContext {
    fn drop(&mut self) {
        let mut p = self.ptr.as_ptr();
        // SAFETY: an input opened by avformat_open_input that we own; close frees it (not a
        // custom pb, which CustomIo frees afterwards).
        unsafe { sys::avformat_close_input(&mut p) };
    }
}

/// What the safe code needs to know about one container stream.
#[derive(Clone, Debug)]
pub(crate) struct StreamParams {
    pub index: usize,
    pub kind: Option<MediaKind>,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub sample_rate: u32,
    pub channels: u32,
    pub frame_size: u32,
    pub time_base: Rational,
    pub avg_frame_rate: Rational,
    pub r_frame_rate: Rational,
    pub duration: Option<i64>,
    pub wrap_bits: u32,
    /// The stream's `language` tag (e.g. `eng`), when the container gives one.
    pub language: Option<String>,
    /// A still picture attached to the file (cover art), not a moving picture.
    pub attached_pic: bool,
}

/// What [`Input::read`] got.
pub(crate) enum ReadOutcome {
    /// A packet is in the `Packet`.
    Packet,
    /// Nothing yet (non-blocking input); try again.
    Again,
    /// The input has ended.
    End,
}

/// An open input: format context, its custom I/O (if any) and its interrupt flag.
///
/// Field order is drop order: the format context is closed before the I/O context and the
/// interrupt flag it points to are freed.
pub(crate) struct Input {
    fmt: FormatContext,
    io: Option<CustomIo>,
    _interrupt: Arc<Interrupt>,
}

// SAFETY: an AVFormatContext may be used from any thread as long as one thread at a time uses
// it; `Input` is only reached through `&mut self` (or `&self` for reading immutable stream
// parameters), so moving it to another thread is sound.
unsafe impl Send for Input {}

impl Input {
    /// Opens `url` (or reads from `io` when given; `url` is then only a name and a probing hint),
    /// forcing container `format` when set, and reads the stream parameters.
    pub(crate) fn open(
        url: &str,
        io: Option<CustomIo>,
        format: Option<&str>,
        options: &mut Dict,
        interrupt: Arc<Interrupt>,
    ) -> Result<Input, FfError> {
        init();
        let c_url =
            CString::new(url).map_err(|_| FfError::Message("NUL byte in the input name".into()))?;
        let fmt_ptr = match format {
            Some(name) => {
                let c = CString::new(name)
                    .map_err(|_| FfError::Message("NUL byte in the format name".into()))?;
                // SAFETY: NUL-terminated name; returns a static or null.
                let p = unsafe { sys::av_find_input_format(c.as_ptr()) };
                if p.is_null() {
                    return Err(FfError::Message(format!(
                        "unknown container format `{name}`"
                    )));
                }
                p
            }
            None => std::ptr::null(),
        };
        // SAFETY: plain allocation, checked below.
        let mut ctx = unsafe { sys::avformat_alloc_context() };
        if ctx.is_null() {
            return Err(FfError::Message("out of memory".into()));
        }
        // SAFETY: `ctx` is a fresh context we own. The interrupt opaque is kept alive by the
        // returned `Input` (or by `interrupt` until the context is freed on failure).
        unsafe {
            (*ctx).interrupt_callback = sys::AVIOInterruptCB {
                callback: Some(interrupt_callback),
                opaque: Arc::as_ptr(&interrupt) as *mut c_void,
            };
            if let Some(io) = &io {
                (*ctx).pb = io.as_ptr();
                (*ctx).flags |= sys::AVFMT_FLAG_CUSTOM_IO;
            }
        }
        // SAFETY: `ctx` is ours; on failure avformat_open_input frees it (and nulls it) but not a
        // custom pb, which `io` still owns and drops.
        let ret = unsafe {
            sys::avformat_open_input(&mut ctx, c_url.as_ptr(), fmt_ptr, options.as_mut_ptr())
        };
        check(ret)?;
        let fmt = FormatContext {
            ptr: NonNull::new(ctx).ok_or_else(|| FfError::Message("no context".into()))?,
        };
        let input = Input {
            fmt,
            io,
            _interrupt: interrupt,
        };
        // SAFETY: an open input; no per-stream options.
        check(unsafe { sys::avformat_find_stream_info(input.ptr(), std::ptr::null_mut()) })?;
        Ok(input)
    }

    fn ptr(&self) -> *mut sys::AVFormatContext {
        self.fmt.ptr.as_ptr()
    }

    fn stream(&self, index: usize) -> Option<*mut sys::AVStream> {
        // SAFETY: `streams` holds `nb_streams` valid pointers for an open input.
        unsafe {
            let c = self.ptr();
            (index < (*c).nb_streams as usize).then(|| *(*c).streams.add(index))
        }
    }

    /// Number of streams in the container.
    pub(crate) fn stream_count(&self) -> usize {
        // SAFETY: open input.
        unsafe { (*self.ptr()).nb_streams as usize }
    }

    /// Parameters of stream `index`.
    pub(crate) fn stream_params(&self, index: usize) -> Option<StreamParams> {
        let st = self.stream(index)?;
        // SAFETY: a stream of an open input has valid codec parameters.
        unsafe {
            let par = (*st).codecpar;
            let kind = match (*par).codec_type {
                sys::AVMediaType::AVMEDIA_TYPE_VIDEO => Some(MediaKind::Video),
                sys::AVMediaType::AVMEDIA_TYPE_AUDIO => Some(MediaKind::Audio),
                _ => None,
            };
            let channels = if (*par).ch_layout.nb_channels > 0 {
                (*par).ch_layout.nb_channels
            } else {
                #[allow(deprecated)]
                (*par).channels
            };
            Some(StreamParams {
                index,
                kind,
                codec: cstr(sys::avcodec_get_name((*par).codec_id)),
                width: (*par).width.max(0) as u32,
                height: (*par).height.max(0) as u32,
                sample_rate: (*par).sample_rate.max(0) as u32,
                channels: channels.max(0) as u32,
                frame_size: (*par).frame_size.max(0) as u32,
                time_base: rational((*st).time_base),
                avg_frame_rate: rational((*st).avg_frame_rate),
                r_frame_rate: rational((*st).r_frame_rate),
                duration: ts((*st).duration),
                wrap_bits: (*st).pts_wrap_bits.max(0) as u32,
                language: language((*st).metadata),
                attached_pic: (*st).disposition & sys::AV_DISPOSITION_ATTACHED_PIC != 0,
            })
        }
    }

    /// The input's start time in microseconds (`AV_TIME_BASE`), when known.
    pub(crate) fn start_time(&self) -> Option<i64> {
        // SAFETY: open input.
        ts(unsafe { (*self.ptr()).start_time })
    }

    /// The input's duration in microseconds, when known.
    pub(crate) fn duration(&self) -> Option<i64> {
        // SAFETY: open input.
        ts(unsafe { (*self.ptr()).duration }).filter(|&d| d > 0)
    }

    /// FFmpeg's choice of the best stream of `kind` (related to stream `related` when given).
    pub(crate) fn best_stream(&self, kind: MediaKind, related: Option<usize>) -> Option<usize> {
        let t = match kind {
            MediaKind::Video => sys::AVMediaType::AVMEDIA_TYPE_VIDEO,
            MediaKind::Audio => sys::AVMediaType::AVMEDIA_TYPE_AUDIO,
        };
        let related = related.map_or(-1, |r| r as c_int);
        // SAFETY: open input; no decoder is returned.
        let r = unsafe {
            sys::av_find_best_stream(self.ptr(), t, -1, related, std::ptr::null_mut(), 0)
        };
        (r >= 0).then_some(r as usize)
    }

    /// Tells the demuxer to drop the packets of every stream not in `keep`.
    pub(crate) fn discard_others(&mut self, keep: &[usize]) {
        for i in 0..self.stream_count() {
            if let Some(st) = self.stream(i) {
                if !keep.contains(&i) {
                    // SAFETY: a stream of an open input, used by this thread only.
                    unsafe { (*st).discard = sys::AVDiscard::AVDISCARD_ALL };
                }
            }
        }
    }

    /// The last error of a custom reader.
    pub(crate) fn take_io_error(&mut self) -> Option<String> {
        self.io.as_mut().and_then(CustomIo::take_error)
    }

    /// Reads the next packet into `pkt` (which is unreferenced first).
    pub(crate) fn read(&mut self, pkt: &mut Packet) -> Result<ReadOutcome, FfError> {
        pkt.unref();
        // SAFETY: open input and an allocated packet, both ours.
        let ret = unsafe { sys::av_read_frame(self.ptr(), pkt.as_mut_ptr()) };
        match ret {
            r if r >= 0 => Ok(ReadOutcome::Packet),
            EAGAIN => Ok(ReadOutcome::Again),
            EOF => Ok(ReadOutcome::End),
            r => {
                // SAFETY: open input; `pb` may be null for NOFILE formats.
                let at_eof = unsafe {
                    let pb = (*self.ptr()).pb;
                    !pb.is_null() && (*pb).eof_reached != 0 && (*pb).error == 0
                };
                if at_eof && r != sys::AVERROR_EXIT {
                    Ok(ReadOutcome::End)
                } else {
                    Err(FfError::from_code(r))
                }
            }
        }
    }

    /// Opens a decoder for stream `index` that refuses pictures of more than `max_pixels`.
    pub(crate) fn open_decoder(
        &self,
        index: usize,
        threads: usize,
        max_pixels: u64,
    ) -> Result<CodecContext, FfError> {
        let st = self
            .stream(index)
            .ok_or_else(|| FfError::Message(format!("no stream {index}")))?;
        // SAFETY: a stream of an open input.
        let (par, tb) = unsafe { ((*st).codecpar, (*st).time_base) };
        // SAFETY: `par` is valid for as long as the input is open, which spans this call.
        unsafe { CodecContext::open(par, tb, threads, max_pixels) }
    }
}
