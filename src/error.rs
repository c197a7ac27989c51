//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in avqc, each variant naming what failed and on which input.
///
/// A corrupt packet or a decode error inside a stream is *not* an `Error`: it is reported as a
/// [`DecoderNotice`](crate::DecoderNotice) and, by the `decode_errors` detector, as a defect event.
/// An `Error` means the input, the configuration or the output cannot be used at all.
///
/// ```
/// let err = avqc::Error::Config { what: "detector set".into(), message: "unknown detector `fraeze`".into() };
/// assert!(err.to_string().contains("fraeze"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be opened (missing file, unreachable URL, unrecognised container).
    #[error("cannot open input `{input}`: {message}")]
    Open {
        /// File name or URL of the input.
        input: String,
        /// What the demuxer said.
        message: String,
    },
    /// The input holds no stream that avqc can decode (or none matching the stream selection).
    #[error("input `{input}` has no decodable {what} stream")]
    NoStream {
        /// File name or URL of the input.
        input: String,
        /// What was looked for, e.g. `"audio or video"`.
        what: String,
    },
    /// A codec could not be found or opened for a stream.
    #[error("cannot decode stream {stream} of `{input}`: {message}")]
    Codec {
        /// File name or URL of the input.
        input: String,
        /// Index of the stream in the container.
        stream: usize,
        /// What the codec layer said.
        message: String,
    },
    /// Reading or decoding failed in a way that ends the input (not a recoverable decode error).
    #[error("reading `{input}` failed: {message}")]
    Read {
        /// File name or URL of the input.
        input: String,
        /// What failed.
        message: String,
    },
    /// A configuration value is wrong (bad JSON, unknown detector, value out of range).
    #[error("invalid {what}: {message}")]
    Config {
        /// Which configuration, e.g. `"freeze detector"`.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// A sink could not write an event.
    #[error("sink `{sink}` failed: {source}")]
    Sink {
        /// Name of the sink.
        sink: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file the library was asked to use could not be read or written.
    #[error("I/O error on `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The pipeline was built wrongly (no decoder, no sink, a detector wanting media the input lacks).
    #[error("pipeline: {0}")]
    Pipeline(String),
    /// An input exceeded one of its [`Limits`](crate::Limits); it was stopped (open defects
    /// ended, the sink flushed), other inputs go on.
    #[error("input `{input}` exceeds the {what} limit: {actual} > {limit}")]
    Limit {
        /// File name or URL of the input.
        input: String,
        /// Which limit, e.g. `"picture size"`.
        what: String,
        /// What the input had.
        actual: String,
        /// The limit.
        limit: String,
    },
    /// [`Monitor::try_add`](crate::monitor::Monitor::try_add) refused a stream: it would push
    /// the monitor over its CPU budget or its stream cap. The stream was not started; offer
    /// it again later or to another instance.
    ///
    /// ```
    /// let e = avqc::Error::Capacity {
    ///     stream: "cam7".into(), reason: "needs 0.21 cores, 0.12 left".into(), transient: false };
    /// assert_eq!(e.to_string(), "stream `cam7` refused: needs 0.21 cores, 0.12 left");
    /// ```
    #[error("stream `{stream}` refused: {reason}")]
    Capacity {
        /// The stream id.
        stream: String,
        /// Why, with the figures (e.g. `"needs 0.21 cores, 0.12 left"`).
        reason: String,
        /// True when the refusal may lift within seconds without any stream leaving (the
        /// cost of a stream just added is being measured): retry shortly.
        transient: bool,
    },
    /// This build lacks a feature (e.g. the `ffmpeg` cargo feature) the call needs.
    #[error("not available in this build: {0}")]
    Unsupported(String),
}

impl Error {
    /// A [`Error::Config`] for `what` with `message`.
    pub fn config(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            what: what.into(),
            message: message.into(),
        }
    }
}

impl Error {
    /// An [`Error::Limit`].
    pub fn limit(
        input: impl Into<String>,
        what: impl Into<String>,
        actual: impl Into<String>,
        limit: impl Into<String>,
    ) -> Self {
        Error::Limit {
            input: input.into(),
            what: what.into(),
            actual: actual.into(),
            limit: limit.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
