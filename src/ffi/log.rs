//! FFmpeg's log, routed to the `log` crate (target `"ffmpeg"`), and the per-decoder error tap
//! that counts the errors a decoder logs.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, Once};

use ffmpeg_sys_next as sys;

use super::error::cstr;

/// The `va_list` argument of the log callback as bindgen spells it on this target.
#[cfg(target_arch = "x86_64")]
type VaList = *mut sys::__va_list_tag;
#[cfg(not(target_arch = "x86_64"))]
type VaList = sys::va_list;

static INSTALL: Once = Once::new();

/// Installs the log callback (once per process).
pub(super) fn install() {
    INSTALL.call_once(|| {
        // SAFETY: `callback` has the signature FFmpeg expects and is thread-safe; setting the
        // callback is a plain store of a function pointer.
        unsafe { sys::av_log_set_callback(Some(callback)) };
    });
}

/// The errors logged while decoding one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoggedError {
    /// The packet's tag.
    pub(crate) tag: i64,
    /// Every error was H.264's complaint that a marking operation names a reference frame
    /// that is not there ("mmco: unref short failure"): a lost frame, no damage of its own.
    pub(crate) marking_only: bool,
}

/// H.264's complaint of a marking operation naming a frame it does not hold.
const MARKING_FAILURE: &str = "mmco: unref short failure";

/// Records the errors one decoder (and its frame-thread copies) logs. Lives on the heap for as
/// long as the codec context; the context's `opaque` points to it.
#[derive(Default)]
pub(super) struct ErrorTap {
    last: Mutex<String>,
    /// The packet tags (`reordered_opaque` of the logging context: the packet being decoded,
    /// also in a frame thread) of the errors not yet taken.
    tags: Mutex<Vec<LoggedError>>,
}

impl ErrorTap {
    /// The last error line logged.
    pub(super) fn last(&self) -> String {
        self.last.lock().map(|s| s.clone()).unwrap_or_default()
    }
    /// The tags of the packets whose decoding logged errors since the last call.
    pub(super) fn take_tags(&self) -> Vec<LoggedError> {
        self.tags
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }
}

/// Addresses of live taps, so the callback only follows an `opaque` that is ours (a host may use
/// FFmpeg in the same process with its own `opaque`).
static TAPS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

pub(super) fn register(tap: &ErrorTap) {
    if let Ok(mut t) = TAPS.lock() {
        t.push(tap as *const ErrorTap as usize);
    }
}

/// Must be called before `tap` is freed (after its codec context was freed).
pub(super) fn unregister(tap: &ErrorTap) {
    let addr = tap as *const ErrorTap as usize;
    let mut t = TAPS.lock().unwrap_or_else(|e| e.into_inner());
    t.retain(|&a| a != addr);
}

fn level_of(level: c_int) -> log::Level {
    match level {
        l if l <= sys::AV_LOG_ERROR => log::Level::Error,
        l if l <= sys::AV_LOG_WARNING => log::Level::Warn,
        l if l <= sys::AV_LOG_INFO => log::Level::Info,
        l if l <= sys::AV_LOG_VERBOSE => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

/// The `opaque` and `reordered_opaque` of `avcl` when `avcl` is a codec context (checked
/// through its AVClass).
///
/// # Safety
/// `avcl` is null or points to a struct whose first field is an `AVClass` pointer (the av_log
/// contract).
unsafe fn codec_opaque(avcl: *mut c_void) -> Option<(usize, i64)> {
    if avcl.is_null() {
        return None;
    }
    // SAFETY: per av_log's contract a non-null context starts with a `const AVClass *`.
    let class = unsafe { *(avcl as *const *const sys::AVClass) };
    // SAFETY: avcodec_get_class returns a static.
    if class.is_null() || class != unsafe { sys::avcodec_get_class() } {
        return None;
    }
    // SAFETY: the class says this is an AVCodecContext.
    let (opaque, tag) = unsafe {
        let c = avcl as *const sys::AVCodecContext;
        #[allow(deprecated)]
        ((*c).opaque, (*c).reordered_opaque)
    };
    (!opaque.is_null()).then_some((opaque as usize, tag))
}

unsafe extern "C" fn callback(avcl: *mut c_void, level: c_int, fmt: *const c_char, vl: VaList) {
    // A panicking logger must not unwind into C.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: FFmpeg passes a valid context (or null), format string and va_list.
        unsafe { handle(avcl, level, fmt, vl) }
    }));
}

/// # Safety
/// The arguments are those FFmpeg gives a log callback.
unsafe fn handle(avcl: *mut c_void, level: c_int, fmt: *const c_char, vl: VaList) {
    let lvl = level_of(level);
    let tap = if (0..=sys::AV_LOG_ERROR).contains(&level) {
        // SAFETY: forwarded contract.
        unsafe { codec_opaque(avcl) }
    } else {
        None
    };
    let enabled = log::log_enabled!(target: "ffmpeg", lvl);
    if tap.is_none() && !enabled {
        return;
    }
    let mut buf = [0 as c_char; 1024];
    let mut print_prefix: c_int = 0;
    // SAFETY: `buf` is writable for the size we pass; fmt/vl come from av_log and are consumed
    // once here; av_log_format_line2 NUL-terminates within the buffer.
    unsafe {
        sys::av_log_format_line2(
            avcl,
            level,
            fmt,
            vl,
            buf.as_mut_ptr(),
            buf.len() as c_int,
            &mut print_prefix,
        )
    };
    // SAFETY: NUL-terminated above.
    let text = unsafe { cstr(buf.as_ptr()) };
    let text = text.trim_end();
    if text.is_empty() {
        return;
    }
    if let Some((addr, tag)) = tap {
        let taps = TAPS.lock().unwrap_or_else(|e| e.into_inner());
        if taps.contains(&addr) {
            // SAFETY: `addr` is a registered, live ErrorTap: taps are unregistered (under this
            // lock) before they are freed.
            let tap = unsafe { &*(addr as *const ErrorTap) };
            if let Ok(mut last) = tap.last.lock() {
                last.clear();
                last.push_str(text);
            }
            if let Ok(mut tags) = tap.tags.lock() {
                let marking = text.ends_with(MARKING_FAILURE);
                if let Some(e) = tags.iter_mut().find(|e| e.tag == tag) {
                    e.marking_only &= marking;
                } else if tags.len() < 1024 {
                    tags.push(LoggedError {
                        tag,
                        marking_only: marking,
                    });
                }
            }
        }
    }
    if enabled {
        let name = item_name(avcl);
        if name.is_empty() {
            log::log!(target: "ffmpeg", lvl, "{text}");
        } else {
            log::log!(target: "ffmpeg", lvl, "[{name}] {text}");
        }
    }
}

/// The context's item name ("h264", "mpegts"), empty when there is none.
fn item_name(avcl: *mut c_void) -> String {
    if avcl.is_null() {
        return String::new();
    }
    // SAFETY: av_log contract: a non-null context starts with a `const AVClass *`, whose
    // `item_name` (if set) returns a static or context-owned string.
    unsafe {
        let class = *(avcl as *const *const sys::AVClass);
        if class.is_null() {
            return String::new();
        }
        match (*class).item_name {
            Some(f) => cstr(f(avcl)),
            None => cstr((*class).class_name),
        }
    }
}
