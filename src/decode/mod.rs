//! The media converter: the [`Decoder`] trait, what it yields ([`Media`]), and its
//! implementations — `FfmpegDecoder` (feature `ffmpeg`) and the pure-Rust
//! [`FrameSource`].

#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod options;
mod reconnect;
mod source;

#[cfg(feature = "ffmpeg")]
#[cfg_attr(docsrs, doc(cfg(feature = "ffmpeg")))]
pub use ffmpeg::{FfmpegDecoder, PushInput};
pub use options::{DecoderOptions, ReconnectPolicy, StreamSelection};
pub use reconnect::Reconnecting;
pub use source::FrameSource;

use crate::error::Result;
use crate::media::{Media, Needs, StreamInfo};
use crate::stop::StopSignal;

/// A media converter: turns an input into decoded frames and notices, in presentation order per
/// stream.
///
/// `next` returns `Ok(None)` at the end of the input and keeps returning it; an `Err` ends the
/// input too (a decoder never loops on an error). Recoverable damage inside a stream is not an
/// `Err` but a [`Media::Notice`] and flags on the frames.
///
/// ```
/// use avqc::{Decoder, FrameSource, Media, MediaTime, PixelFormat, StreamInfo, VideoFrame};
/// let frames = (0..3).map(|i| Media::Video(VideoFrame::filled(
///     16, 16, PixelFormat::Gray8, MediaTime::from_secs_f64(i as f64 * 0.04), [16, 0, 0])));
/// let mut d = FrameSource::new("synthetic", vec![StreamInfo::video(0, "raw", 16, 16, None)], frames);
/// let mut n = 0;
/// while let Some(_media) = d.next().unwrap() { n += 1; }
/// assert_eq!(n, 3);
/// ```
pub trait Decoder: Send {
    /// The input's name (file name or URL), used as `stream` in events.
    fn name(&self) -> &str;
    /// The streams being decoded.
    fn streams(&self) -> &[StreamInfo];
    /// The next decoded item; `Ok(None)` at the end.
    fn next(&mut self) -> Result<Option<Media>>;
    /// Gives the decoder the pipeline's stop signal, so a blocking read (a network input) can
    /// be interrupted. The default ignores it; the pipeline checks the signal between items.
    fn set_stop_signal(&mut self, _stop: StopSignal) {}
    /// Tells the decoder what the detectors together need from the pictures (the union of
    /// their [`Detector::needs`](crate::Detector::needs)), before the first item: it may then
    /// skip decoding work no one needs. The default ignores it; the FFmpeg decoder skips the
    /// in-loop deblocking filter and non-reference pictures unless
    /// [`DecoderOptions::full_decode`](crate::DecoderOptions::full_decode) is set.
    fn relax(&mut self, _needs: Needs) {}
}

impl<D: Decoder + ?Sized> Decoder for Box<D> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn streams(&self) -> &[StreamInfo] {
        (**self).streams()
    }
    fn next(&mut self) -> Result<Option<Media>> {
        (**self).next()
    }
    fn set_stop_signal(&mut self, stop: StopSignal) {
        (**self).set_stop_signal(stop)
    }
    fn relax(&mut self, needs: Needs) {
        (**self).relax(needs)
    }
}
