use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::media::MediaKind;

/// What one detector did in a run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct DetectorReport {
    /// The detector's name.
    pub name: String,
    /// Pictures it analysed.
    pub video_frames: u64,
    /// Audio frames it analysed.
    pub audio_frames: u64,
    /// Items dropped for it by the overload policy.
    pub dropped: u64,
    /// Events it emitted.
    pub events: u64,
    /// The panic message, if it panicked (it was then isolated: its open intervals were
    /// closed and it saw nothing more).
    pub panicked: Option<String>,
}

/// The figures of one stream (audio track or video stream) of the input.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct TrackReport {
    /// Its index in the input (the `track` of its events).
    pub index: usize,
    /// Video or audio.
    pub kind: MediaKind,
    /// Its language tag, when the container gives one.
    pub language: Option<String>,
    /// Pictures or audio frames decoded.
    pub frames: u64,
    /// Defects confirmed on it (start events with its `track`).
    pub defects: u64,
}

/// How a run ended.
///
/// ```
/// use avqc::pipeline::Ending;
/// assert_eq!(Ending::default(), Ending::EndOfInput);
/// assert_eq!(Ending::Stopped.to_string(), "stopped");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "how", content = "message", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Ending {
    /// The input ended (end of file, a live input closed by its sender).
    #[default]
    EndOfInput,
    /// The stop signal was raised.
    Stopped,
    /// Reading or decoding the input failed (the error is what `run` returned).
    InputFailed(String),
    /// The sink failed (or panicked); events after the failure were not delivered.
    SinkFailed(String),
    /// The input exceeded one of its [`Limits`](crate::Limits).
    LimitExceeded(String),
    /// A [`Monitor`](crate::monitor::Monitor) over its CPU budget handed the stream back
    /// ([`DegradePolicy::Shed`](crate::monitor::DegradePolicy::Shed)): it was stopped, for
    /// another instance to take; the message says why.
    Shed(String),
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::EndOfInput => f.write_str("end of input"),
            Ending::Stopped => f.write_str("stopped"),
            Ending::InputFailed(m) => write!(f, "input failed: {m}"),
            Ending::SinkFailed(m) => write!(f, "sink failed: {m}"),
            Ending::LimitExceeded(m) => write!(f, "limit exceeded: {m}"),
            Ending::Shed(m) => write!(f, "handed back: {m}"),
        }
    }
}

/// The summary of a [`Pipeline::run`](crate::Pipeline::run).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The input's name.
    pub input: String,
    /// Pictures decoded.
    pub video_frames_decoded: u64,
    /// Audio frames decoded.
    pub audio_frames_decoded: u64,
    /// Items dropped by the overload policy, over all detectors.
    pub frames_dropped: u64,
    /// Decode-error notices.
    pub decode_errors: u64,
    /// Corrupt-packet notices.
    pub corrupt_packets: u64,
    /// Timestamp discontinuities.
    pub discontinuities: u64,
    /// Events delivered to the sink.
    pub events: u64,
    /// Defects confirmed (start events).
    pub defects: u64,
    /// Media time covered, in seconds (from the first to the end of the last item).
    pub media_duration: f64,
    /// Wall-clock time of the run.
    pub wall_time: Duration,
    /// Snapshot files written (see [`SnapshotConfig`](crate::SnapshotConfig)).
    pub snapshots_written: u64,
    /// Snapshot files that could not be written (logged as warnings).
    pub snapshots_failed: u64,
    /// Times the input stalled (see [`PipelineBuilder::stall_timeout`](crate::PipelineBuilder::stall_timeout)).
    pub stalls: u64,
    /// True when the run was ended by the stop signal.
    pub stopped: bool,
    /// How the run ended. Whatever the ending, every defect started was ended before the
    /// sink was flushed (unless the sink itself failed).
    pub ending: Ending,
    /// Per detector.
    pub detectors: Vec<DetectorReport>,
    /// Per stream the decoder declared (audio tracks and video streams), in index order.
    pub tracks: Vec<TrackReport>,
}

impl Report {
    /// Pictures analysed, summed over detectors.
    pub fn video_frames_analysed(&self) -> u64 {
        self.detectors.iter().map(|d| d.video_frames).sum()
    }
    /// Audio frames analysed, summed over detectors.
    pub fn audio_frames_analysed(&self) -> u64 {
        self.detectors.iter().map(|d| d.audio_frames).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let speed = if self.wall_time.as_secs_f64() > 0.0 {
            self.media_duration / self.wall_time.as_secs_f64()
        } else {
            0.0
        };
        writeln!(
            f,
            "{}: {:.2} s of media in {:.2} s ({speed:.1}x), {} video + {} audio frames, {} defects, {} events{}",
            self.input,
            self.media_duration,
            self.wall_time.as_secs_f64(),
            self.video_frames_decoded,
            self.audio_frames_decoded,
            self.defects,
            self.events,
            match &self.ending {
                Ending::EndOfInput => String::new(),
                e => format!(" ({e})"),
            }
        )?;
        if self.decode_errors + self.corrupt_packets + self.discontinuities + self.frames_dropped
            > 0
        {
            writeln!(
                f,
                "  decode errors {}, corrupt packets {}, discontinuities {}, dropped {}",
                self.decode_errors, self.corrupt_packets, self.discontinuities, self.frames_dropped
            )?;
        }
        if self.tracks.len() > 1 {
            for t in &self.tracks {
                let kind = match t.kind {
                    MediaKind::Video => "video",
                    MediaKind::Audio => "audio",
                };
                writeln!(
                    f,
                    "  track {:<2} {kind} {:<5} {:>7} frames {:>4} defects",
                    t.index,
                    t.language.as_deref().unwrap_or("-"),
                    t.frames,
                    t.defects
                )?;
            }
        }
        for d in &self.detectors {
            write!(
                f,
                "  {:<14} {:>7} video {:>7} audio {:>4} events",
                d.name, d.video_frames, d.audio_frames, d.events
            )?;
            if d.dropped > 0 {
                write!(f, ", {} dropped", d.dropped)?;
            }
            if let Some(p) = &d.panicked {
                write!(f, ", PANICKED: {p}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The first cause wins: a broken sink, then an exceeded limit (which raised the stop), then
/// the input's own failure, then the stop signal.
pub(super) fn decide_ending(
    sink: Option<Error>,
    limit: Option<Error>,
    decoded: Result<()>,
    stopped: bool,
) -> (Ending, Option<Error>) {
    match (sink, limit, decoded) {
        (Some(e), _, _) => (Ending::SinkFailed(e.to_string()), Some(e)),
        (None, Some(e), _) | (None, None, Err(e @ Error::Limit { .. })) => {
            (Ending::LimitExceeded(e.to_string()), Some(e))
        }
        (None, None, Err(e)) => (Ending::InputFailed(e.to_string()), Some(e)),
        (None, None, Ok(())) if stopped => (Ending::Stopped, None),
        (None, None, Ok(())) => (Ending::EndOfInput, None),
    }
}
