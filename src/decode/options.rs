use serde::{Deserialize, Serialize};

/// Which streams of an input a decoder decodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamSelection {
    /// The best video stream and the best audio stream (FFmpeg's choice), when present.
    #[default]
    Best,
    /// Only the best video stream.
    VideoOnly,
    /// Only the best audio stream.
    AudioOnly,
    /// These container stream indices.
    Indices(Vec<usize>),
}

/// Options of a decoder.
///
/// ```
/// use avqc::DecoderOptions;
/// let o = DecoderOptions { analysis_size: Some((640, 360)), realtime: true, ..Default::default() };
/// assert_eq!(o.threads, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderOptions {
    /// Streams to decode. Default: best video + best audio.
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
    pub limits: crate::Limits,
}
