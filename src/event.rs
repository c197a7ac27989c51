//! Events: what detectors report, in a stable JSON Lines form.
//!
//! ```text
//! {"kind":"defect","phase":"start","stream":"a.ts","detector":"freeze","defect":"video_freeze","start":12.48,"end":null,"emitted_at":13.0,"details":{}}
//! {"kind":"defect","phase":"end","stream":"a.ts","detector":"freeze","defect":"video_freeze","start":12.48,"end":14.52,"emitted_at":14.52,"details":{}}
//! {"kind":"metric","stream":"a.ts","detector":"pipeline","name":"frames_dropped","value":3.0,"at":20.0}
//! {"kind":"notice","stream":"a.ts","detector":"decoder","name":"discontinuity","message":"…","at":7.2}
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::media::MediaTime;

/// Free-form details of an event (JSON object).
pub type Details = serde_json::Map<String, serde_json::Value>;

/// The name of a defect type, e.g. `video_freeze`. Built-in names are constants; custom
/// detectors make their own with [`DefectKind::new`].
///
/// ```
/// use avqc::DefectKind;
/// assert_eq!(DefectKind::VIDEO_FREEZE.as_str(), "video_freeze");
/// let mine = DefectKind::new("video_tearing");
/// assert_eq!(mine.to_string(), "video_tearing");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DefectKind(Cow<'static, str>);

impl DefectKind {
    /// Picture frozen.
    pub const VIDEO_FREEZE: DefectKind = DefectKind::from_static("video_freeze");
    /// Picture black.
    pub const VIDEO_BLACK: DefectKind = DefectKind::from_static("video_black");
    /// Picture damaged (decode errors, concealment, blocks).
    pub const VIDEO_CORRUPTION: DefectKind = DefectKind::from_static("video_corruption");
    /// No picture arrives while the input (its sound) goes on.
    pub const VIDEO_LOSS: DefectKind = DefectKind::from_static("video_loss");
    /// Too much of the picture outside the broadcast-legal range (limited-range streams).
    pub const VIDEO_OUT_OF_RANGE: DefectKind = DefectKind::from_static("video_out_of_range");
    /// Frames missing from the video timeline (a gap in the timestamps).
    pub const VIDEO_FRAME_DROP: DefectKind = DefectKind::from_static("video_frame_drop");
    /// A picture repeated irregularly while the scene moves.
    pub const VIDEO_STUTTER: DefectKind = DefectKind::from_static("video_stutter");
    /// Picture heavily blocky for a sustained time (coarse compression).
    pub const VIDEO_BLOCKINESS: DefectKind = DefectKind::from_static("video_blockiness");
    /// Sound silent (digital zero or a noise floor).
    pub const AUDIO_SILENCE: DefectKind = DefectKind::from_static("audio_silence");
    /// A short gap (from 20 ms) inside sound.
    pub const AUDIO_DROPOUT: DefectKind = DefectKind::from_static("audio_dropout");
    /// A stereo pair in opposite phase (one channel inverted).
    pub const AUDIO_PHASE_INVERTED: DefectKind = DefectKind::from_static("audio_phase_inverted");
    /// A channel silent while the others carry programme.
    pub const AUDIO_CHANNEL_MISSING: DefectKind = DefectKind::from_static("audio_channel_missing");
    /// A channel's mean far from zero.
    pub const AUDIO_DC_OFFSET: DefectKind = DefectKind::from_static("audio_dc_offset");
    /// A steady 50 or 60 Hz line with harmonics (mains hum).
    pub const AUDIO_HUM: DefectKind = DefectKind::from_static("audio_hum");
    /// Sound clipped at full scale.
    pub const AUDIO_CLIPPING: DefectKind = DefectKind::from_static("audio_clipping");
    /// True peak above the ceiling (−1 dBTP by default).
    pub const AUDIO_TRUE_PEAK: DefectKind = DefectKind::from_static("audio_true_peak");
    /// Loudness away from the delivery target by more than the tolerance.
    pub const LOUDNESS_OUT_OF_RANGE: DefectKind = DefectKind::from_static("loudness_out_of_range");
    /// Audio and video out of step (`details.offset_ms`, positive = audio late).
    pub const AV_SYNC: DefectKind = DefectKind::from_static("av_sync");
    /// A click or pop (an impulse of a few samples), or a short crackle.
    pub const AUDIO_CLICK: DefectKind = DefectKind::from_static("audio_click");
    /// Closed captions (CEA-608/708) a stream carried stopped, or never came when required.
    pub const CAPTION_MISSING: DefectKind = DefectKind::from_static("caption_missing");
    /// A live input delivered nothing (no picture, no sound) for the stall timeout of wall time.
    pub const INPUT_STALL: DefectKind = DefectKind::from_static("input_stall");

    /// A defect name known at compile time.
    pub const fn from_static(name: &'static str) -> Self {
        DefectKind(Cow::Borrowed(name))
    }
    /// Any defect name.
    pub fn new(name: impl Into<String>) -> Self {
        DefectKind(Cow::Owned(name.into()))
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DefectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a defect event opens or closes an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The defect was just confirmed; `end` is `null`.
    Start,
    /// The defect cleared (or the stream ended); `end` is set.
    End,
}

/// A defect interval opening or closing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefectEvent {
    /// Start or end.
    pub phase: Phase,
    /// The input (file name or URL).
    pub stream: Arc<str>,
    /// The detector's name.
    pub detector: Arc<str>,
    /// The defect type.
    pub defect: DefectKind,
    /// Where the defect starts (seconds of media time in JSON).
    pub start: MediaTime,
    /// Where it ends; `None` while open.
    pub end: Option<MediaTime>,
    /// The media time at which the event was emitted.
    pub emitted_at: MediaTime,
    /// Detector-specific details.
    #[serde(default)]
    pub details: Details,
    /// The input's stream (container index) the event is about — the audio track or video
    /// stream a detector instance analyses; `None` (omitted in JSON) for events of the whole
    /// input (A/V sync, transport, the pipeline's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<usize>,
    /// That stream's language tag (e.g. `"eng"`), when the container gives one; omitted in
    /// JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Arc<str>>,
}

/// A measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricEvent {
    /// The input.
    pub stream: Arc<str>,
    /// The detector (or `pipeline`).
    pub detector: Arc<str>,
    /// Metric name, e.g. `frames_dropped`.
    pub name: Cow<'static, str>,
    /// Value.
    pub value: f64,
    /// Media time of the measurement.
    pub at: MediaTime,
    /// The input's stream (container index) the event is about — the audio track or video
    /// stream a detector instance analyses; `None` (omitted in JSON) for events of the whole
    /// input (A/V sync, transport, the pipeline's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<usize>,
    /// That stream's language tag (e.g. `"eng"`), when the container gives one; omitted in
    /// JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Arc<str>>,
}

/// Something worth knowing that is not a defect: a timestamp discontinuity, a detector that
/// failed, frames dropped by the overload policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeEvent {
    /// The input.
    pub stream: Arc<str>,
    /// Who reports it (`decoder`, `pipeline` or a detector's name).
    pub detector: Arc<str>,
    /// What, e.g. `discontinuity`, `detector_panicked`.
    pub name: Cow<'static, str>,
    /// Human-readable message.
    pub message: String,
    /// Media time.
    pub at: MediaTime,
    /// The input's stream (container index) the event is about — the audio track or video
    /// stream a detector instance analyses; `None` (omitted in JSON) for events of the whole
    /// input (A/V sync, transport, the pipeline's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<usize>,
    /// That stream's language tag (e.g. `"eng"`), when the container gives one; omitted in
    /// JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Arc<str>>,
}

/// An SCTE-35 cue (ad insertion, program boundaries) read from an MPEG-TS input; see the
/// `scte35` detector.
///
/// ```
/// use avqc::{event::CueEvent, Event, MediaTime, SpliceCommand};
/// let e = Event::Cue(CueEvent { stream: "a.ts".into(), detector: "scte35".into(),
///     at: MediaTime::from_secs_f64(2.0), splice_at: Some(MediaTime::from_secs_f64(4.0)),
///     command: SpliceCommand::SpliceInsert, event_id: Some(7), out_of_network: Some(true),
///     duration: Some(30.0), pid: 500, details: Default::default() });
/// assert_eq!(serde_json::to_string(&e).unwrap(),
///     r#"{"kind":"cue","stream":"a.ts","detector":"scte35","at":2.0,"splice_at":4.0,"command":"splice_insert","event_id":7,"out_of_network":true,"duration":30.0,"pid":500,"details":{}}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CueEvent {
    /// The input.
    pub stream: Arc<str>,
    /// The detector.
    pub detector: Arc<str>,
    /// Media time at which the cue arrived.
    pub at: MediaTime,
    /// Its splice time on the media timeline (`pts_adjustment` applied), when it has one;
    /// `null` for an immediate or untimed cue.
    pub splice_at: Option<MediaTime>,
    /// The splice command.
    pub command: crate::media::SpliceCommand,
    /// `splice_event_id` (splice_insert) or `segmentation_event_id` (time_signal).
    pub event_id: Option<u32>,
    /// True: out of the network (a break starts); false: back in; `null` when not said.
    pub out_of_network: Option<bool>,
    /// Break or segmentation duration in seconds, when given.
    pub duration: Option<f64>,
    /// The PID that carried it.
    pub pid: u16,
    /// More: `segmentation_type_id`, `cancel`, `immediate`, `pts_adjustment`.
    #[serde(default)]
    pub details: Details,
}

/// One event, as sinks receive it; serialises to one JSON object with a `kind` tag.
///
/// ```
/// use avqc::{event::MetricEvent, Event, MediaTime};
/// let e = Event::Metric(MetricEvent { stream: "a.ts".into(), detector: "pipeline".into(),
///     name: "frames_dropped".into(), value: 2.0, at: MediaTime::from_secs_f64(1.5), track: None, language: None });
/// assert_eq!(serde_json::to_string(&e).unwrap(),
///     r#"{"kind":"metric","stream":"a.ts","detector":"pipeline","name":"frames_dropped","value":2.0,"at":1.5}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A defect interval opening or closing.
    Defect(DefectEvent),
    /// A measurement.
    Metric(MetricEvent),
    /// A notice.
    Notice(NoticeEvent),
    /// An SCTE-35 cue.
    Cue(CueEvent),
}

impl Event {
    /// The defect event, if this is one.
    pub fn as_defect(&self) -> Option<&DefectEvent> {
        match self {
            Event::Defect(d) => Some(d),
            _ => None,
        }
    }
    /// The track (stream index in the input) the event is about, when it is about one.
    pub fn track(&self) -> Option<usize> {
        match self {
            Event::Defect(d) => d.track,
            Event::Metric(m) => m.track,
            Event::Notice(n) => n.track,
            // SCTE-35 cues are about the whole multiplex
            Event::Cue(_) => None,
        }
    }
    /// The language of that track, when known.
    pub fn language(&self) -> Option<&str> {
        match self {
            Event::Defect(d) => d.language.as_deref(),
            Event::Metric(m) => m.language.as_deref(),
            Event::Notice(n) => n.language.as_deref(),
            Event::Cue(_) => None,
        }
    }
    /// The input the event is about.
    pub fn stream(&self) -> &str {
        match self {
            Event::Defect(d) => &d.stream,
            Event::Metric(m) => &m.stream,
            Event::Notice(n) => &n.stream,
            Event::Cue(c) => &c.stream,
        }
    }
}
