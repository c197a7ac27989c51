use serde::{Deserialize, Serialize};

/// Which streams of an input a decoder decodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamSelection {
    /// Every video stream (except still pictures attached to the file, such as cover art)
    /// and every audio stream: each audio track and each video stream is analysed by its own
    /// instances of the detectors. The default.
    #[default]
    All,
    /// The best video stream and the best audio stream (FFmpeg's choice), when present: one
    /// of each, as before `All` was the default.
    Best,
    /// Only the best video stream.
    VideoOnly,
    /// Only the best audio stream.
    AudioOnly,
    /// These container stream indices.
    Indices(Vec<usize>),
}

/// How a [`Reconnecting`](crate::decode::Reconnecting) decoder retries a live input whose
/// connection failed: up to `attempts` tries in a row, waiting `initial_backoff_ms` before the
/// first and doubling the wait up to `max_backoff_ms`. A connection that delivers media again
/// resets the count. `attempts: 0` (the default) never reconnects.
///
/// ```
/// use avqc::ReconnectPolicy;
/// let p = ReconnectPolicy { attempts: 4, ..Default::default() };
/// assert_eq!(p.backoff(1).as_millis(), 500);
/// assert_eq!(p.backoff(3).as_millis(), 2000);
/// assert_eq!(p.backoff(9).as_millis(), 8000);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconnectPolicy {
    /// Reconnect attempts in a row before the input ends with an error. Default 0 (off).
    pub attempts: u32,
    /// Wait before the first attempt, in milliseconds. Default 500.
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts, in milliseconds. Default 8000.
    pub max_backoff_ms: u64,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            attempts: 0,
            initial_backoff_ms: 500,
            max_backoff_ms: 8000,
        }
    }
}

impl ReconnectPolicy {
    /// The wait before attempt `attempt` (from 1).
    pub fn backoff(&self, attempt: u32) -> std::time::Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        let ms = self
            .initial_backoff_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_backoff_ms.max(self.initial_backoff_ms));
        std::time::Duration::from_millis(ms)
    }
}

/// Options of a decoder.
///
/// ```
/// use avqc::DecoderOptions;
/// let o = DecoderOptions { analysis_size: Some((640, 360)), realtime: true, ..Default::default() };
/// assert_eq!(o.threads, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderOptions {
    /// Streams to decode. Default: all of them ([`StreamSelection::All`]).
    pub streams: StreamSelection,
    /// Decoder threads per stream; 0 lets the codec library choose. Default 0.
    pub threads: usize,
    /// When set, each picture also gets a copy downscaled to fit in `(width, height)` (aspect
    /// kept), which detectors reach through [`VideoFrame::analysis`](crate::VideoFrame::analysis).
    pub analysis_size: Option<(u32, u32)>,
    /// Pace a file input to its timestamps, as if it were live. Default false.
    pub realtime: bool,
    /// CENC decryption key for encrypted MP4, as 32 hex digits.
    pub decryption_key: Option<String>,
    /// Extra demuxer/protocol options passed to the opener, e.g. `("rw_timeout", "5000000")`.
    pub format_options: Vec<(String, String)>,
    /// Name of the container format to force (e.g. `"mpegts"`); probed when `None`.
    pub format: Option<String>,
    /// Resource limits: a stream declaring a bigger picture, more channels or a higher rate
    /// is refused at open with [`Error::Limit`](crate::Error::Limit), and the FFmpeg decoder
    /// refuses to allocate pictures beyond `max_width × max_height` that appear later. The
    /// pipeline checks every decoded item against its own [`Limits`](crate::PipelineBuilder::limits) too.
    pub limits: crate::limits::Limits,
    /// Reconnecting a live input whose connection fails, used by
    /// `FfmpegDecoder::open_reconnecting` (feature `ffmpeg`). Default off.
    pub reconnect: ReconnectPolicy,
    /// Decode every picture in full even when no detector needs it. Default false: when no
    /// detector of the pipeline needs deblocked pictures (see [`Needs`](crate::Needs)), the
    /// H.264/HEVC in-loop deblocking filter is skipped (about a fifth of an H.264 decode), and
    /// when none needs every picture, non-reference pictures are not decoded.
    pub full_decode: bool,
}
