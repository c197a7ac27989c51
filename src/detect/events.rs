use std::borrow::Cow;
use std::sync::Arc;

use crate::detect::SpanChange;
use crate::event::DefectKind;
use crate::event::{DefectEvent, Details, Event, MetricEvent, NoticeEvent, Phase};
use crate::media::MediaTime;

/// The buffer a detector writes events into. The pipeline owns one per detector, stamps it
/// with the input's and the detector's names, and drains it after every call, so its storage
/// is reused and writing nothing allocates nothing.
///
/// ```
/// use avqc::{Events, DefectKind, MediaTime, SpanChange};
/// let mut out = Events::new("clip.ts", "freeze");
/// out.span(&DefectKind::VIDEO_FREEZE, SpanChange::Started { start: MediaTime::from_secs_f64(1.0) },
///          MediaTime::from_secs_f64(1.5), Default::default());
/// let e = out.drain().next().unwrap();
/// assert_eq!(e.as_defect().unwrap().defect, DefectKind::VIDEO_FREEZE);
/// ```
#[derive(Debug)]
pub struct Events {
    stream: Arc<str>,
    detector: Arc<str>,
    track: Option<usize>,
    language: Option<Arc<str>>,
    items: Vec<Event>,
}

impl Events {
    /// An empty buffer for events of `detector` on input `stream`.
    pub fn new(stream: &str, detector: &str) -> Self {
        Events {
            stream: stream.into(),
            detector: detector.into(),
            track: None,
            language: None,
            items: Vec::with_capacity(8),
        }
    }

    /// Stamps the events written from now on with the track (the input's stream index) and
    /// its language. The pipeline does this for each instance of a detector of one stream.
    ///
    /// ```
    /// use avqc::{Events, MediaTime};
    /// let mut out = Events::new("clip.ts", "loudness");
    /// out.set_track(Some(2), Some("spa".into()));
    /// out.metric("momentary_lufs", -23.0, MediaTime::ZERO);
    /// let e = out.drain().next().unwrap();
    /// assert_eq!((e.track(), e.language()), (Some(2), Some("spa")));
    /// ```
    pub fn set_track(&mut self, track: Option<usize>, language: Option<Arc<str>>) {
        self.track = track;
        self.language = language;
    }

    /// The track its events are stamped with.
    pub fn track(&self) -> Option<usize> {
        self.track
    }

    /// Writes the event for a [`SpanChange`] of `defect`. An end gets `duration` in its
    /// details (seconds, to the millisecond) unless the detector gave one of its own (a finer
    /// one, say).
    ///
    /// ```
    /// use avqc::{Events, DefectKind, MediaTime, SpanChange};
    /// let mut out = Events::new("clip.ts", "black");
    /// let (start, end) = (MediaTime::from_secs_f64(1.0), MediaTime::from_secs_f64(2.5));
    /// out.span(&DefectKind::VIDEO_BLACK, SpanChange::Ended { start, end }, end, Default::default());
    /// let e = out.drain().next().unwrap();
    /// assert_eq!(e.as_defect().unwrap().details["duration"], 1.5);
    /// ```
    pub fn span(
        &mut self,
        defect: &DefectKind,
        change: SpanChange,
        emitted_at: MediaTime,
        mut details: Details,
    ) {
        let (phase, start, end) = match change {
            SpanChange::Started { start } => (Phase::Start, start, None),
            SpanChange::Ended { start, end } => {
                if !details.contains_key("duration") {
                    let secs = (end.secs_since(start) * 1000.0).round() / 1000.0;
                    details.insert("duration".into(), secs.into());
                }
                (Phase::End, start, Some(end))
            }
        };
        self.push(Event::Defect(DefectEvent {
            phase,
            stream: self.stream.clone(),
            detector: self.detector.clone(),
            defect: defect.clone(),
            start,
            end,
            emitted_at,
            details,
            track: self.track,
            language: self.language.clone(),
        }));
    }

    /// Writes a metric.
    pub fn metric(&mut self, name: impl Into<Cow<'static, str>>, value: f64, at: MediaTime) {
        self.push(Event::Metric(MetricEvent {
            stream: self.stream.clone(),
            detector: self.detector.clone(),
            name: name.into(),
            value,
            at,
            track: self.track,
            language: self.language.clone(),
        }));
    }

    /// Writes a notice.
    pub fn notice(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        at: MediaTime,
    ) {
        self.push(Event::Notice(NoticeEvent {
            stream: self.stream.clone(),
            detector: self.detector.clone(),
            name: name.into(),
            message: message.into(),
            at,
            track: self.track,
            language: self.language.clone(),
        }));
    }

    /// Writes an SCTE-35 cue event (its input and detector are this buffer's).
    pub(crate) fn cue(&mut self, mut cue: crate::event::CueEvent) {
        cue.stream = self.stream.clone();
        cue.detector = self.detector.clone();
        self.push(Event::Cue(cue));
    }

    /// Writes any event as it is (not stamped with the track).
    pub fn push(&mut self, event: Event) {
        self.items.push(event);
    }

    /// The events written since the last drain.
    pub fn as_slice(&self) -> &[Event] {
        &self.items
    }

    /// True when nothing was written since the last drain.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes the events out, keeping the storage.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Event> {
        self.items.drain(..)
    }

    /// The input's name.
    pub fn stream(&self) -> &Arc<str> {
        &self.stream
    }
}
