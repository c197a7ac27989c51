//! Custom input (`AVIOContext` over a Rust reader) and the interrupt flag FFmpeg polls.

use std::ffi::{c_int, c_void, CString};
use std::io::{Read, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use ffmpeg_sys_next as sys;

use super::dict::Dict;
use super::error::{check, FfError, EOF};
use super::init::init;

/// The stop flag FFmpeg's interrupt callback (and a custom reader) polls. The stop signal can be
/// set after the input was opened.
#[derive(Default, Debug)]
pub(crate) struct Interrupt {
    flag: RwLock<Option<Arc<AtomicBool>>>,
}

impl Interrupt {
    /// A flag that is not raised and not wired to any signal yet.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Interrupt::default())
    }

    /// Wires the flag to a shared stop flag.
    pub(crate) fn set(&self, flag: Arc<AtomicBool>) {
        if let Ok(mut f) = self.flag.write() {
            *f = Some(flag);
        }
    }

    /// True once the wired stop flag is raised.
    pub(crate) fn is_set(&self) -> bool {
        self.flag
            .read()
            .ok()
            .and_then(|f| f.as_ref().map(|a| a.load(Ordering::Relaxed)))
            .unwrap_or(false)
    }
}

/// `AVIOInterruptCB.callback`: nonzero asks FFmpeg to abort a blocking operation.
pub(super) unsafe extern "C" fn interrupt_callback(opaque: *mut c_void) -> c_int {
    if opaque.is_null() {
        return 0;
    }
    // SAFETY: `opaque` is `Arc::as_ptr` of an `Interrupt` that the owning `Input` keeps alive
    // for longer than its format context.
    let i = unsafe { &*(opaque as *const Interrupt) };
    c_int::from(i.is_set())
}

/// A byte source behind a custom I/O context: a reader that may also seek.
pub(crate) trait Source: Read + Send {
    /// Moves to `to`; the new position, or `None` when the source cannot seek there.
    fn seek_to(&mut self, _to: SeekFrom) -> Option<u64> {
        None
    }
    /// The total size in bytes, when known.
    fn size(&mut self) -> Option<u64> {
        None
    }
    /// True when [`seek_to`](Self::seek_to) can work.
    fn seekable(&self) -> bool {
        false
    }
}

/// A plain reader: not seekable.
struct Plain(Box<dyn Read + Send>);

impl Read for Plain {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Source for Plain {}

struct ReaderState {
    reader: Box<dyn Source>,
    interrupt: Arc<Interrupt>,
    error: Option<String>,
}

const BUFFER_SIZE: usize = 64 * 1024;

/// An `AVIOContext` (and its buffer) reading from a Rust reader; non-seekable.
pub(crate) struct CustomIo {
    ctx: NonNull<sys::AVIOContext>,
    state: NonNull<ReaderState>,
}

impl CustomIo {
    /// A read-only I/O context over `reader`; reads are abandoned (`AVERROR_EXIT`) once
    /// `interrupt` is raised.
    pub(crate) fn new(
        reader: Box<dyn Read + Send>,
        interrupt: Arc<Interrupt>,
    ) -> Result<Self, FfError> {
        Self::with_source(Box::new(Plain(reader)), interrupt)
    }

    /// A read-only I/O context over `source`, seekable when the source is.
    pub(crate) fn with_source(
        reader: Box<dyn Source>,
        interrupt: Arc<Interrupt>,
    ) -> Result<Self, FfError> {
        let seekable = reader.seekable();
        let state = NonNull::from(Box::leak(Box::new(ReaderState {
            reader,
            interrupt,
            error: None,
        })));
        // SAFETY: plain allocation; checked for null below.
        let buffer = unsafe { sys::av_malloc(BUFFER_SIZE) } as *mut u8;
        if buffer.is_null() {
            // SAFETY: `state` came from Box::leak above and is not shared yet.
            drop(unsafe { Box::from_raw(state.as_ptr()) });
            return Err(FfError::Message("out of memory".into()));
        }
        // SAFETY: `buffer` is an av_malloc'ed block of BUFFER_SIZE bytes whose ownership passes
        // to the context; `state` outlives the context (freed after it in Drop); write_flag 0,
        // no write callback; the seek callback only for a seekable source.
        let ctx = unsafe {
            sys::avio_alloc_context(
                buffer,
                BUFFER_SIZE as c_int,
                0,
                state.as_ptr().cast(),
                Some(read_packet),
                None,
                if seekable { Some(seek_packet) } else { None },
            )
        };
        match NonNull::new(ctx) {
            Some(ctx) => {
                // SAFETY: fresh context we own.
                unsafe {
                    (*ctx.as_ptr()).seekable = if seekable {
                        sys::AVIO_SEEKABLE_NORMAL
                    } else {
                        0
                    }
                };
                Ok(CustomIo { ctx, state })
            }
            None => {
                // SAFETY: the context was not created, so the buffer and the state are still
                // ours alone.
                unsafe {
                    let mut b = buffer.cast::<c_void>();
                    sys::av_freep((&mut b as *mut *mut c_void).cast());
                    drop(Box::from_raw(state.as_ptr()));
                }
                Err(FfError::Message("out of memory".into()))
            }
        }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::AVIOContext {
        self.ctx.as_ptr()
    }

    /// The last error of the reader, if a read failed.
    pub(crate) fn take_error(&mut self) -> Option<String> {
        // SAFETY: the state is alive as long as `self`, and FFmpeg only touches it from the
        // read callback, which runs inside calls made through `&mut` owners on this thread.
        unsafe { (*self.state.as_ptr()).error.take() }
    }
}

impl Drop for CustomIo {
    fn drop(&mut self) {
        // SAFETY: the format context using this I/O context was closed before (the `Input`
        // declares its format context first). The buffer may have been replaced by FFmpeg, so
        // free whatever the context holds now, then the context, then the reader state.
        unsafe {
            let mut ctx = self.ctx.as_ptr();
            sys::av_freep((&mut (*ctx).buffer as *mut *mut u8).cast());
            sys::avio_context_free(&mut ctx);
            drop(Box::from_raw(self.state.as_ptr()));
        }
    }
}

// SAFETY: the context and the reader state are only used by the thread that holds the owning
// `Input` (`&mut` access); the reader itself is `Send`.
unsafe impl Send for CustomIo {}

unsafe extern "C" fn read_packet(opaque: *mut c_void, buf: *mut u8, size: c_int) -> c_int {
    // SAFETY: `opaque` is the ReaderState this context was created with; FFmpeg calls this on
    // the thread using the context, never concurrently.
    let state = unsafe { &mut *(opaque as *mut ReaderState) };
    if state.interrupt.is_set() {
        return sys::AVERROR_EXIT;
    }
    if buf.is_null() || size <= 0 {
        return 0;
    }
    // SAFETY: FFmpeg gives a writable buffer of `size` bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(buf, size as usize) };
    let r = catch_unwind(AssertUnwindSafe(|| loop {
        match state.reader.read(out) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => break r,
        }
    }));
    match r {
        Ok(Ok(0)) => {
            if state.interrupt.is_set() {
                sys::AVERROR_EXIT
            } else {
                EOF
            }
        }
        Ok(Ok(n)) => n.min(size as usize) as c_int,
        Ok(Err(e)) => {
            state.error = Some(e.to_string());
            sys::AVERROR(sys::EIO)
        }
        Err(_) => {
            state.error = Some("the reader panicked".into());
            sys::AVERROR(sys::EIO)
        }
    }
}

unsafe extern "C" fn seek_packet(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    // SAFETY: as in `read_packet`: the ReaderState of this context, used by one thread.
    let state = unsafe { &mut *(opaque as *mut ReaderState) };
    let r = catch_unwind(AssertUnwindSafe(|| {
        if whence & sys::AVSEEK_SIZE != 0 {
            return state.reader.size().and_then(|s| i64::try_from(s).ok());
        }
        let to = match whence & !sys::AVSEEK_FORCE {
            sys::SEEK_SET => SeekFrom::Start(u64::try_from(offset).ok()?),
            sys::SEEK_CUR => SeekFrom::Current(offset),
            sys::SEEK_END => SeekFrom::End(offset),
            _ => return None,
        };
        state.reader.seek_to(to).and_then(|p| i64::try_from(p).ok())
    }));
    match r {
        Ok(Some(p)) => p,
        Ok(None) => i64::from(sys::AVERROR(sys::ENOSYS)),
        Err(_) => i64::from(sys::AVERROR(sys::EIO)),
    }
}

/// A protocol input (`file:`, `udp:`, `http:`, `srt:`...) opened with `avio_open2`, read as a
/// [`Source`] (`avio_read_partial`: a live input hands over what has arrived without waiting
/// for a full buffer). Closed with `avio_closep`.
pub(crate) struct ProtocolReader {
    ctx: NonNull<sys::AVIOContext>,
    _interrupt: Arc<Interrupt>,
}

// SAFETY: the context is only used through `&mut self` by the thread holding the reader.
unsafe impl Send for ProtocolReader {}

impl ProtocolReader {
    /// Opens `url` for reading; the protocol takes its options out of `options`; blocking
    /// operations are abandoned once `interrupt` is raised.
    pub(crate) fn open(
        url: &str,
        options: &mut Dict,
        interrupt: Arc<Interrupt>,
    ) -> Result<Self, FfError> {
        init();
        let c_url =
            CString::new(url).map_err(|_| FfError::Message("NUL byte in the input name".into()))?;
        let cb = sys::AVIOInterruptCB {
            callback: Some(interrupt_callback),
            opaque: Arc::as_ptr(&interrupt) as *mut c_void,
        };
        let mut ctx: *mut sys::AVIOContext = std::ptr::null_mut();
        // SAFETY: valid out-pointer, NUL-terminated URL, a callback struct FFmpeg copies, whose
        // opaque (`interrupt`) the returned reader keeps alive; the dictionary is ours.
        let ret = unsafe {
            sys::avio_open2(
                &mut ctx,
                c_url.as_ptr(),
                sys::AVIO_FLAG_READ,
                &cb,
                options.as_mut_ptr(),
            )
        };
        check(ret)?;
        let ctx = NonNull::new(ctx).ok_or_else(|| FfError::Message("no I/O context".into()))?;
        Ok(ProtocolReader {
            ctx,
            _interrupt: interrupt,
        })
    }
}

impl Read for ProtocolReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        if len == 0 {
            return Ok(0);
        }
        // SAFETY: an open context we own; `buf` is writable for `len` bytes.
        let r = unsafe { sys::avio_read_partial(self.ctx.as_ptr(), buf.as_mut_ptr(), len) };
        match r {
            n if n > 0 => Ok(n as usize),
            0 | EOF | sys::AVERROR_EXIT => Ok(0),
            code => Err(std::io::Error::other(FfError::from_code(code).message())),
        }
    }
}

impl Source for ProtocolReader {
    fn seek_to(&mut self, to: SeekFrom) -> Option<u64> {
        let (offset, whence) = match to {
            SeekFrom::Start(p) => (i64::try_from(p).ok()?, sys::SEEK_SET),
            SeekFrom::Current(d) => (d, sys::SEEK_CUR),
            SeekFrom::End(d) => (d, sys::SEEK_END),
        };
        // SAFETY: an open context we own.
        let r = unsafe { sys::avio_seek(self.ctx.as_ptr(), offset, whence) };
        u64::try_from(r).ok()
    }

    fn size(&mut self) -> Option<u64> {
        // SAFETY: an open context we own.
        u64::try_from(unsafe { sys::avio_size(self.ctx.as_ptr()) }).ok()
    }

    fn seekable(&self) -> bool {
        // SAFETY: an open context we own.
        unsafe { (*self.ctx.as_ptr()).seekable & sys::AVIO_SEEKABLE_NORMAL != 0 }
    }
}

impl Drop for ProtocolReader {
    fn drop(&mut self) {
        let mut p = self.ctx.as_ptr();
        // SAFETY: a context opened by avio_open2 that we own; closep closes and frees it.
        unsafe { sys::avio_closep(&mut p) };
    }
}
