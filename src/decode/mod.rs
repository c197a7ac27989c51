//! The media converter: the [`Decoder`] trait, what it yields ([`Media`]), and its
//! implementations — `FfmpegDecoder` (feature `ffmpeg`) and the pure-Rust
//! [`FrameSource`].

#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod options;
mod reconnect;
mod source;

#[cfg(feature = "ffmpeg")]
pub use ffmpeg::{FfmpegDecoder, PushInput};
pub use options::{DecoderOptions, ReconnectPolicy, StreamSelection};
pub use reconnect::Reconnecting;
pub use source::FrameSource;

use crate::{AudioFrame, MediaKind, MediaTime, Result, StopSignal, StreamInfo, VideoFrame};

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

/// Something a decoder noticed, with its media time.
///
/// ```
/// use avqc::{DecoderNotice, MediaTime, NoticeKind};
/// let n = DecoderNotice::new(MediaTime::from_secs_f64(3.2), Some(0), NoticeKind::CorruptPacket);
/// assert_eq!(n.kind.name(), "corrupt_packet");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderNotice {
    /// When (media time of the packet or frame concerned).
    pub time: MediaTime,
    /// Index of the stream concerned, if any.
    pub stream: Option<usize>,
    /// What happened.
    pub kind: NoticeKind,
}

impl DecoderNotice {
    /// A notice.
    pub fn new(time: MediaTime, stream: Option<usize>, kind: NoticeKind) -> Self {
        DecoderNotice { time, stream, kind }
    }
}

/// The kinds of [`DecoderNotice`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NoticeKind {
    /// The decoder rejected a packet or reported errors while decoding it.
    DecodeError {
        /// What the decoder said.
        message: String,
    },
    /// The demuxer marked a packet corrupt (e.g. MPEG-TS continuity counter errors).
    CorruptPacket,
    /// Timestamps jumped; the timeline was bridged (see [`TimestampUnwrapper`](crate::TimestampUnwrapper)).
    Discontinuity {
        /// Size of the jump in the raw timestamps, in seconds.
        jump_secs: f64,
    },
    /// The input has ended; no media follows.
    EndOfStream,
    /// The connection to a live input failed; a [`Reconnecting`] decoder tries again.
    InputLost {
        /// Why (the read error).
        message: String,
    },
    /// A reconnect attempt failed; another follows after a backoff, unless it was the last.
    ReconnectFailed {
        /// Which attempt (from 1).
        attempt: u32,
        /// Attempts allowed.
        attempts: u32,
        /// Why it failed.
        message: String,
    },
    /// The input is open again; media follows on the continued timeline.
    Reconnected {
        /// Which attempt succeeded (from 1).
        attempt: u32,
        /// Wall time without a connection, in seconds.
        after_secs: f64,
    },
    /// An MPEG-TS transport error (ETSI TR 101 290 priority 1) found in the bytes the decoder
    /// read; see [`transport`](crate::transport). The notice's time is the media time of the
    /// packets around the fault (from their PES timestamps; see the `transport` detector).
    Transport {
        /// Which error.
        error: crate::transport::TransportError,
        /// The PID concerned (`None` for sync errors).
        pid: Option<u16>,
        /// One occurrence, or the start or end of a condition.
        phase: crate::transport::FindingPhase,
    },
}

impl NoticeKind {
    /// A short snake_case name, used in events.
    pub fn name(&self) -> &'static str {
        match self {
            NoticeKind::DecodeError { .. } => "decode_error",
            NoticeKind::CorruptPacket => "corrupt_packet",
            NoticeKind::Discontinuity { .. } => "discontinuity",
            NoticeKind::EndOfStream => "end_of_stream",
            NoticeKind::InputLost { .. } => "input_lost",
            NoticeKind::ReconnectFailed { .. } => "reconnect_failed",
            NoticeKind::Reconnected { .. } => "reconnected",
            NoticeKind::Transport { .. } => "transport",
        }
    }
}

impl std::fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoticeKind::DecodeError { message } => write!(f, "decode error: {message}"),
            NoticeKind::CorruptPacket => f.write_str("corrupt packet"),
            NoticeKind::Discontinuity { jump_secs } => {
                write!(f, "timestamps jumped by {jump_secs:.3} s; timeline bridged")
            }
            NoticeKind::EndOfStream => f.write_str("end of stream"),
            NoticeKind::InputLost { message } => {
                write!(f, "input lost ({message}); reconnecting")
            }
            NoticeKind::ReconnectFailed {
                attempt,
                attempts,
                message,
            } => write!(
                f,
                "reconnect attempt {attempt} of {attempts} failed: {message}"
            ),
            NoticeKind::Reconnected {
                attempt,
                after_secs,
            } => write!(
                f,
                "reconnected at attempt {attempt} after {after_secs:.1} s; timeline continued"
            ),
            NoticeKind::Transport { error, pid, phase } => {
                write!(f, "{} ({phase:?})", error.defect().as_str())?;
                match pid {
                    Some(pid) => write!(f, " on PID {pid}"),
                    None => Ok(()),
                }
            }
        }
    }
}

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
    fn relax(&mut self, _needs: crate::Needs) {}
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
    fn relax(&mut self, needs: crate::Needs) {
        (**self).relax(needs)
    }
}
