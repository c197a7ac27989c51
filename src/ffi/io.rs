//! Custom input (`AVIOContext` over a Rust reader) and the interrupt flag FFmpeg polls.

use std::ffi::{c_int, c_void};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use ffmpeg_sys_next as sys;

use super::error::{FfError, EOF};

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

struct ReaderState {
    reader: Box<dyn Read + Send>,
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
        // no write or seek callback.
        let ctx = unsafe {
            sys::avio_alloc_context(
                buffer,
                BUFFER_SIZE as c_int,
                0,
                state.as_ptr().cast(),
                Some(read_packet),
                None,
                None,
            )
        };
        match NonNull::new(ctx) {
            Some(ctx) => {
                // SAFETY: fresh context we own; a non-seekable stream.
                unsafe { (*ctx.as_ptr()).seekable = 0 };
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
