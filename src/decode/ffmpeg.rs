//! PLACEHOLDER for the FFmpeg decoder.
/// Placeholder.
pub struct FfmpegDecoder;
/// Placeholder.
pub struct PushInput;
