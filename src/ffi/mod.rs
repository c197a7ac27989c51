//! FFmpeg FFI (placeholder).
