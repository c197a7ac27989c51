//! # avqc — audio/video quality control, embedded
//!
//! avqc watches live and recorded audio/video streams for perceptual defects — frozen or black
//! picture, corruption, silence, dropouts, clipping, clicks — and reports each one the moment it
//! is confirmed, inside the host's own process.
//!
//! The dataflow is one [`Pipeline`]: a [`Decoder`] (FFmpeg by default, or a pure-Rust
//! [`FrameSource`]) yields shared frames; the [`Detector`]s see them on the decoder thread
//! right after each is decoded (by default) or on detector threads, each running its detectors
//! in turn; their [`Event`]s go to a [`Sink`].
//!
//! ```
//! use avqc::{Pipeline, FrameSource, Media, MediaTime, PixelFormat, StreamInfo, VideoFrame, Registry};
//! use avqc::sink::Collect;
//!
//! // 3 s of a picture that never changes, at 25 fps
//! let frames = (0..75).map(|i| Media::Video(VideoFrame::filled(
//!     64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(i as f64 / 25.0), [120, 128, 128])
//!     .with_duration(Some(0.04))));
//! let source = FrameSource::new("still.raw", vec![StreamInfo::video(0, "raw", 64, 36, None)], frames);
//! let events = Collect::new();
//! let report = Pipeline::builder()
//!     .decoder(source)
//!     .detectors(Registry::builtin().build_names(&["freeze"]).unwrap())
//!     .sink(events.clone())
//!     .build().unwrap()
//!     .run().unwrap();
//! assert_eq!(report.video_frames_decoded, 75);
//! assert!(events.events().iter().any(|e| e.as_defect().is_some_and(|d| d.defect.as_str() == "video_freeze")));
//! ```

// docs.rs builds with `--cfg docsrs` (Cargo.toml): mark the items that need feature `ffmpeg`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cpu;
pub mod decode;
pub mod detect;
mod error;
pub mod event;
#[cfg(feature = "ffmpeg")]
#[allow(unsafe_code)]
mod ffi;
mod hint;
pub mod html;
mod limits;
pub mod media;
pub mod metrics;
pub mod monitor;
pub mod pipeline;
pub mod sink;
pub mod snapshot;
mod stop;
pub mod transport;

pub use decode::{
    Decoder, DecoderOptions, FrameSource, ReconnectPolicy, Reconnecting, StreamSelection,
};
#[cfg(feature = "ffmpeg")]
#[cfg_attr(docsrs, doc(cfg(feature = "ffmpeg")))]
pub use decode::{FfmpegDecoder, PushInput};
pub use detect::{Detector, DetectorConfig, Events, Registry, SpanChange, SpanTracker, Wants};

pub use error::{Error, Result};
pub use event::{DefectKind, Event, Phase};
pub use limits::Limits;
pub use media::{
    AudioFrame, ColorRange, DecoderNotice, FrameFlags, Mapped, Media, MediaKind, MediaTime, Needs,
    NoticeKind, PictureType, PixelFormat, Plane, Rational, SpliceCommand, SpliceCue, StreamInfo,
    TimestampUnwrapper, VideoFrame,
};
pub use metrics::Metrics;
pub use pipeline::{OverloadPolicy, Pipeline, PipelineBuilder, Report};
pub use sink::Sink;
pub use snapshot::SnapshotConfig;
pub use stop::StopSignal;
