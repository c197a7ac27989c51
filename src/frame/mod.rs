//! Decoded media as small, cheap-to-clone values: [`VideoFrame`] (planes shared as
//! [`bytes::Bytes`]), [`AudioFrame`] (f32 samples shared by `Arc`), and [`StreamInfo`].
//!
//! Cloning a frame never copies picture or sample data: N detectors on N threads share one
//! decoded picture.

mod audio;
mod info;
mod video;

pub use audio::AudioFrame;
pub use info::{MediaKind, StreamInfo};
pub use video::{ColorRange, FrameFlags, PictureType, PixelFormat, Plane, VideoFrame};
