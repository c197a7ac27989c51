//! `AVDictionary` owner.

use std::ffi::CString;
use std::ptr::NonNull;

use ffmpeg_sys_next as sys;

use super::error::{check, cstr, FfError};

/// An owned `AVDictionary` (options for an opener). Empty is a null pointer, as in FFmpeg.
#[derive(Default)]
pub(crate) struct Dict {
    ptr: Option<NonNull<sys::AVDictionary>>,
}

impl Dict {
    /// An empty dictionary.
    pub(crate) fn new() -> Self {
        Dict::default()
    }

    /// Sets `key` to `value`.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), FfError> {
        let k = CString::new(key).map_err(|_| FfError::Message(format!("NUL in `{key}`")))?;
        let v = CString::new(value).map_err(|_| FfError::Message(format!("NUL in `{value}`")))?;
        // SAFETY: `as_mut_ptr` gives a valid `AVDictionary **` (null or a dictionary we own);
        // key and value are NUL-terminated and copied by av_dict_set (flags 0).
        check(unsafe { sys::av_dict_set(self.as_mut_ptr(), k.as_ptr(), v.as_ptr(), 0) })?;
        Ok(())
    }

    /// The keys still in the dictionary (after an opener consumed what it knew: the unknown ones).
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(d) = self.ptr else { return out };
        let mut e: *mut sys::AVDictionaryEntry = std::ptr::null_mut();
        loop {
            // SAFETY: `d` is a live dictionary; `e` is null or the previous entry returned by
            // av_dict_get on the same unmodified dictionary; "" with IGNORE_SUFFIX matches all.
            e = unsafe {
                sys::av_dict_get(
                    d.as_ptr(),
                    c"".as_ptr(),
                    e,
                    sys::AV_DICT_IGNORE_SUFFIX as std::ffi::c_int,
                )
            };
            if e.is_null() {
                return out;
            }
            // SAFETY: a non-null entry of a live dictionary has a NUL-terminated key.
            out.push(unsafe { cstr((*e).key) });
        }
    }

    /// `AVDictionary **` for FFmpeg calls that may replace or free the dictionary.
    pub(super) fn as_mut_ptr(&mut self) -> *mut *mut sys::AVDictionary {
        // `Option<NonNull<T>>` has the layout of `*mut T` (null = None), so FFmpeg may write
        // through this pointer.
        (&mut self.ptr as *mut Option<NonNull<sys::AVDictionary>>).cast()
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        if self.ptr.is_some() {
            // SAFETY: the dictionary is owned by us; av_dict_free frees it and nulls the pointer.
            unsafe { sys::av_dict_free(self.as_mut_ptr()) };
        }
    }
}

// SAFETY: an AVDictionary is plain heap data with no thread affinity; we own it exclusively.
unsafe impl Send for Dict {}
