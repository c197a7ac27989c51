//! What decoders produce and detectors consume: decoded media as small, cheap-to-clone values
//! ([`VideoFrame`] with planes shared as [`bytes::Bytes`], [`AudioFrame`] with f32 samples
//! shared by `Arc`, [`StreamInfo`]), the [`Media`] item a decoder yields, [`DecoderNotice`]s,
//! exact media time ([`MediaTime`]) and what detectors [`Needs`] from the pictures.
//!
//! Cloning a frame never copies picture or sample data: N detectors on N threads share one
//! decoded picture. This module imports nothing of the crate but its error type (and the cache
//! hint): the decoders above it and the detectors above it both build on it.

mod audio;
mod cue;
mod info;
mod needs;
mod notice;
pub(crate) mod time;
mod video;

pub use audio::AudioFrame;
pub use cue::{SpliceCommand, SpliceCue};
pub use info::{MediaKind, StreamInfo};
pub use needs::Needs;
pub use notice::{DecoderNotice, FindingPhase, NoticeKind, TransportError};
pub use time::{Mapped, MediaTime, Rational, TimestampUnwrapper};
pub use video::{ColorRange, FrameFlags, PictureType, PixelFormat, Plane, VideoFrame};

/// One item from a decoder: a picture, a block of sound, or a notice about the stream.
// A picture is a few hundred bytes of handles; boxing it would allocate per frame.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Media {
    /// A decoded picture.
    Video(VideoFrame),
    /// Decoded audio samples.
    Audio(AudioFrame),
    /// Something the decoder noticed (damage, a timestamp jump, the end).
    Notice(DecoderNotice),
}

impl Media {
    /// Bytes of decoded data the item holds (0 for a notice): see [`VideoFrame::byte_len`].
    pub fn byte_len(&self) -> usize {
        match self {
            Media::Video(v) => v.byte_len(),
            Media::Audio(a) => a.byte_len(),
            Media::Notice(_) => 0,
        }
    }
    /// Media time of the item.
    pub fn time(&self) -> MediaTime {
        match self {
            Media::Video(v) => v.time(),
            Media::Audio(a) => a.time(),
            Media::Notice(n) => n.time,
        }
    }

    /// Video or audio; `None` for notices.
    pub fn kind(&self) -> Option<MediaKind> {
        match self {
            Media::Video(_) => Some(MediaKind::Video),
            Media::Audio(_) => Some(MediaKind::Audio),
            Media::Notice(_) => None,
        }
    }
}
