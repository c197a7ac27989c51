//! Resource limits: how big a picture, how many channels, how much buffering one input may
//! use before it is stopped with [`Error::Limit`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use crate::media::{AudioFrame, StreamInfo, VideoFrame};

/// Resource limits of one input, checked by the [`Pipeline`](crate::Pipeline) (and applied
/// inside the FFmpeg decoder, so an oversized picture is refused before it is allocated).
///
/// An input that exceeds a limit is stopped with [`Error::Limit`]: its open defects are ended,
/// the sink is flushed, and other pipelines in the process go on. The defaults are far above
/// real broadcast and streaming media (8K video, 32 channels, 384 kHz) and bound what hostile
/// bytes can make the process allocate.
///
/// ```
/// use avqc::Limits;
/// let l = Limits { max_width: 1920, max_height: 1080, ..Limits::default() };
/// assert!(l.check_picture("in.ts", 1280, 720).is_ok());
/// assert!(l.check_picture("in.ts", 3840, 2160).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Widest picture, pixels. Default 8192.
    pub max_width: u32,
    /// Tallest picture, pixels. Default 8192.
    pub max_height: u32,
    /// Most audio channels. Default 32.
    pub max_channels: u32,
    /// Highest audio sample rate, Hz. Default 384 000.
    pub max_sample_rate: u32,
    /// Most defects one detector may hold open at once; more means a runaway detector.
    /// Default 1024.
    pub max_open_defects: usize,
    /// Largest queue per detector the builder accepts ([`PipelineBuilder::queue_capacity`](crate::PipelineBuilder::queue_capacity)).
    /// Default 1024.
    pub max_queue: usize,
    /// Most bytes a `PushInput` (feature `ffmpeg`) holds that the decoder has not read yet.
    /// Default 64 MiB.
    pub max_push_bytes: usize,
    /// Largest media time (in either direction), seconds. Hostile containers can carry 64-bit
    /// timestamps near the ends of the range, where detectors' sample and tick arithmetic would
    /// overflow; detectors may assume the items they get are within this bound. Default 1e9 s
    /// (about 31 years).
    pub max_media_secs: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_width: 8192,
            max_height: 8192,
            max_channels: 32,
            max_sample_rate: 384_000,
            max_open_defects: 1024,
            max_queue: 1024,
            max_push_bytes: 64 << 20,
            max_media_secs: 1e9,
        }
    }
}

impl Limits {
    /// Limits with no bound (every field at its maximum); for trusted input only.
    pub fn none() -> Self {
        Limits {
            max_width: u32::MAX,
            max_height: u32::MAX,
            max_channels: u32::MAX,
            max_sample_rate: u32::MAX,
            max_open_defects: usize::MAX,
            max_queue: usize::MAX,
            max_push_bytes: usize::MAX,
            max_media_secs: f64::MAX,
        }
    }

    /// Most pixels per picture (`max_width × max_height`, saturating).
    pub fn max_pixels(&self) -> u64 {
        u64::from(self.max_width).saturating_mul(u64::from(self.max_height))
    }

    /// Checks a picture size.
    pub fn check_picture(&self, input: &str, width: u32, height: u32) -> Result<()> {
        if width > self.max_width || height > self.max_height {
            return Err(Error::limit(
                input,
                "picture size",
                format!("{width}x{height}"),
                format!("{}x{}", self.max_width, self.max_height),
            ));
        }
        Ok(())
    }

    /// Checks an audio format.
    pub fn check_audio(&self, input: &str, channels: u32, rate: u32) -> Result<()> {
        if channels > self.max_channels {
            return Err(Error::limit(
                input,
                "audio channels",
                channels.to_string(),
                self.max_channels.to_string(),
            ));
        }
        if rate > self.max_sample_rate {
            return Err(Error::limit(
                input,
                "sample rate",
                format!("{rate} Hz"),
                format!("{} Hz", self.max_sample_rate),
            ));
        }
        Ok(())
    }

    /// Checks what a stream declares (before any frame is decoded).
    pub fn check_stream(&self, input: &str, s: &StreamInfo) -> Result<()> {
        if let (Some(w), Some(h)) = (s.width, s.height) {
            self.check_picture(input, w, h)?;
        }
        if let (Some(c), Some(r)) = (s.channels, s.sample_rate) {
            self.check_audio(input, c, r)?;
        }
        Ok(())
    }

    /// Checks a media time.
    pub fn check_time(&self, input: &str, t: crate::media::MediaTime) -> Result<()> {
        let secs = t.as_secs_f64();
        // NaN is over the limit too.
        if secs.is_nan() || secs.abs() > self.max_media_secs {
            return Err(Error::limit(
                input,
                "media time",
                format!("{secs} s"),
                format!("±{} s", self.max_media_secs),
            ));
        }
        Ok(())
    }

    /// Checks a decoded picture.
    pub fn check_video(&self, input: &str, f: &VideoFrame) -> Result<()> {
        self.check_time(input, f.time())?;
        let dim = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        self.check_picture(input, dim(f.width()), dim(f.height()))
    }

    /// Checks decoded audio.
    pub fn check_audio_frame(&self, input: &str, a: &AudioFrame) -> Result<()> {
        self.check_time(input, a.time())?;
        self.check_audio(
            input,
            u32::try_from(a.channels()).unwrap_or(u32::MAX),
            a.rate(),
        )
    }
}
