//! FFmpeg's `AVERROR` codes, mapped once.

use std::ffi::{c_char, c_int, CStr};

use ffmpeg_sys_next as sys;

/// `AVERROR(EAGAIN)`: used inside `ffi` only.
pub(super) const EAGAIN: c_int = sys::AVERROR(sys::EAGAIN);
/// `AVERROR_EOF`: used inside `ffi` only.
pub(super) const EOF: c_int = sys::AVERROR_EOF;

/// An FFmpeg failure that the safe code has to act on. (`EAGAIN` and end-of-file are not
/// errors: the calls that can see them return outcome enums instead.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FfError {
    /// `AVERROR_INVALIDDATA`: damaged or unrecognised data.
    InvalidData,
    /// `AVERROR_EXIT`: the interrupt callback asked to stop.
    Interrupted,
    /// An I/O error (`AVERROR(EIO)` and other errno codes, network errors).
    Io(c_int),
    /// Anything else (codec/demuxer not found, out of memory, ...).
    Other(c_int),
    /// A failure found on the Rust side of the boundary (e.g. a bad argument).
    Message(String),
}

impl FfError {
    /// Maps a negative FFmpeg return code.
    pub(super) fn from_code(code: c_int) -> Self {
        match code {
            sys::AVERROR_INVALIDDATA => FfError::InvalidData,
            sys::AVERROR_EXIT => FfError::Interrupted,
            // Negated errno values are small; FFERRTAG codes are large.
            c if c < 0 && c > -4096 => FfError::Io(c),
            c => FfError::Other(c),
        }
    }

    /// What FFmpeg says about the error (`av_strerror`).
    pub(crate) fn message(&self) -> String {
        let code = match self {
            FfError::InvalidData => sys::AVERROR_INVALIDDATA,
            FfError::Interrupted => sys::AVERROR_EXIT,
            FfError::Io(c) | FfError::Other(c) => *c,
            FfError::Message(m) => return m.clone(),
        };
        strerror(code)
    }
}

impl std::fmt::Display for FfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// `av_strerror` into a `String`.
pub(super) fn strerror(code: c_int) -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: `buf` is writable for its full length, which is what we pass; av_strerror always
    // NUL-terminates within that size.
    let ret = unsafe { sys::av_strerror(code, buf.as_mut_ptr(), buf.len()) };
    if ret < 0 {
        return format!("FFmpeg error {code}");
    }
    // SAFETY: av_strerror wrote a NUL-terminated string into `buf`.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// `Ok(ret)` for non-negative codes, the mapped error otherwise.
pub(super) fn check(ret: c_int) -> Result<c_int, FfError> {
    if ret < 0 {
        Err(FfError::from_code(ret))
    } else {
        Ok(ret)
    }
}

/// A C string from FFmpeg (may be null) into a `String`.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string valid for the duration of the call.
pub(super) unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated per this function's contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}
