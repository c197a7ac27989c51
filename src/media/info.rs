use crate::media::time::{MediaTime, Rational};

/// The kind of media a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Pictures.
    Video,
    /// Sound.
    Audio,
}

/// What a decoder knows about one of its streams.
///
/// ```
/// use avqc::{Rational, StreamInfo};
/// let s = StreamInfo::video(0, "h264", 1920, 1080, Some(Rational::new(25, 1)));
/// assert_eq!(s.width, Some(1920));
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct StreamInfo {
    /// Index of the stream in its input.
    pub index: usize,
    /// Video or audio.
    pub kind: MediaKind,
    /// Codec name, e.g. `"h264"`, `"aac"`.
    pub codec: String,
    /// Picture width (video).
    pub width: Option<u32>,
    /// Picture height (video).
    pub height: Option<u32>,
    /// Nominal frame rate (video), when known.
    pub frame_rate: Option<Rational>,
    /// Sample rate in Hz (audio).
    pub sample_rate: Option<u32>,
    /// Channel count (audio).
    pub channels: Option<u32>,
    /// Duration, when the container says.
    pub duration: Option<MediaTime>,
    /// The stream's language tag (e.g. `"eng"`, `"spa"`), when the container gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl StreamInfo {
    /// A video stream's info.
    pub fn video(
        index: usize,
        codec: &str,
        width: u32,
        height: u32,
        frame_rate: Option<Rational>,
    ) -> Self {
        StreamInfo {
            index,
            kind: MediaKind::Video,
            codec: codec.into(),
            width: Some(width),
            height: Some(height),
            frame_rate,
            sample_rate: None,
            channels: None,
            duration: None,
            language: None,
        }
    }

    /// An audio stream's info.
    pub fn audio(index: usize, codec: &str, sample_rate: u32, channels: u32) -> Self {
        StreamInfo {
            index,
            kind: MediaKind::Audio,
            codec: codec.into(),
            width: None,
            height: None,
            frame_rate: None,
            sample_rate: Some(sample_rate),
            channels: Some(channels),
            duration: None,
            language: None,
        }
    }

    /// Sets the language tag.
    ///
    /// ```
    /// use avqc::StreamInfo;
    /// let s = StreamInfo::audio(1, "aac", 48_000, 2).with_language(Some("spa".into()));
    /// assert_eq!(s.language.as_deref(), Some("spa"));
    /// ```
    pub fn with_language(mut self, language: Option<String>) -> Self {
        self.language = language;
        self
    }

    /// Whether the codec lets B-pictures be references for other pictures: `false` for MPEG-1
    /// and MPEG-2 video, where a B-picture is never a reference (damage seen only on one stays
    /// on it), `true` for every other codec (H.264, HEVC, ... may use them as references) and
    /// for unknown ones.
    ///
    /// ```
    /// use avqc::StreamInfo;
    /// assert!(!StreamInfo::video(0, "mpeg2video", 720, 576, None).b_pictures_referenced());
    /// assert!(StreamInfo::video(0, "h264", 1920, 1080, None).b_pictures_referenced());
    /// ```
    pub fn b_pictures_referenced(&self) -> bool {
        !matches!(self.codec.as_str(), "mpeg1video" | "mpeg2video")
    }

    /// Sets the duration.
    pub fn with_duration(mut self, d: Option<MediaTime>) -> Self {
        self.duration = d;
        self
    }
}
