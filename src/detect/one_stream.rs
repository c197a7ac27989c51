//! Scaffolding for the usual detector: one that judges the pictures, or the sound, of one
//! stream. Write a [`VideoDetector`] (or an [`AudioDetector`]) — what to do with a picture
//! (a block of sound) and how to close what is open — and wrap it in [`OnVideo`] (or
//! [`OnAudio`]): the wrapper is the [`Detector`], with the name from the config, the lock onto
//! the first stream of its kind (the others are not shown to it), and the routing of the items
//! it wants.

use crate::detect::events::Events;
use crate::detect::lock::StreamLock;
use crate::detect::{Detector, Wants};
use crate::media::{AudioFrame, DecoderNotice, Media, MediaTime, Needs, VideoFrame};

/// A detector of the pictures of one video stream, made a [`Detector`] by [`OnVideo`].
///
/// ```
/// use avqc::detect::{OnVideo, VideoDetector};
/// use avqc::{DefectKind, Detector, Events, MediaTime, SpanTracker, VideoFrame};
///
/// /// Pictures narrower than 100 pixels.
/// struct Narrow(SpanTracker);
/// impl VideoDetector for Narrow {
///     fn picture(&mut self, f: &VideoFrame, out: &mut Events) {
///         let until = f.time().add_secs(f.duration().unwrap_or(0.04));
///         if let Some(c) = self.0.observe(f.width() < 100, f.time(), until) {
///             out.span(&DefectKind::new("video_narrow"), c, f.time(), Default::default());
///         }
///     }
///     fn finish(&mut self, at: MediaTime, out: &mut Events) {
///         if let Some(c) = self.0.close() {
///             out.span(&DefectKind::new("video_narrow"), c, at, Default::default());
///         }
///     }
/// }
/// let d: Box<dyn Detector> = Box::new(OnVideo::new("narrow", Narrow(SpanTracker::new(0.0, 0.0))));
/// assert_eq!(d.name(), "narrow");
/// ```
pub trait VideoDetector: Send {
    /// What it needs from the pictures (see [`Detector::needs`]). Default [`Needs::ALL`].
    fn needs(&self) -> Needs {
        Needs::ALL
    }
    /// Whether it also wants decoder notices (given to [`notice`](Self::notice)). Default no.
    fn wants_notices(&self) -> bool {
        false
    }
    /// Looks at one picture of its stream.
    fn picture(&mut self, frame: &VideoFrame, out: &mut Events);
    /// A decoder notice; `stream` is the video stream it is locked onto, once it saw one.
    /// Called only when [`wants_notices`](Self::wants_notices). The default ignores it.
    fn notice(&mut self, _notice: &DecoderNotice, _stream: Option<usize>, _out: &mut Events) {}
    /// The timeline jumped at `at` (see [`Detector::discontinuity`]). The default does nothing.
    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {}
    /// The input ended at `at`: close every open interval.
    fn finish(&mut self, at: MediaTime, out: &mut Events);
}

/// A detector of the sound of one audio stream, made a [`Detector`] by [`OnAudio`]. Blocks
/// without samples are not shown to it.
pub trait AudioDetector: Send {
    /// Whether it also wants decoder notices (given to [`notice`](Self::notice)). Default no.
    fn wants_notices(&self) -> bool {
        false
    }
    /// Looks at one block of sound of its stream (at least one sample per channel).
    fn sound(&mut self, frame: &AudioFrame, out: &mut Events);
    /// A decoder notice; `stream` is the audio stream it is locked onto, once it heard one.
    /// Called only when [`wants_notices`](Self::wants_notices). The default ignores it.
    fn notice(&mut self, _notice: &DecoderNotice, _stream: Option<usize>, _out: &mut Events) {}
    /// The timeline jumped at `at` (see [`Detector::discontinuity`]). The default does nothing.
    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {}
    /// The input ended at `at`: close every open interval.
    fn finish(&mut self, at: MediaTime, out: &mut Events);
}

/// A [`VideoDetector`] as a [`Detector`]: named, locked onto the first video stream it sees.
pub struct OnVideo<D> {
    name: String,
    stream: StreamLock,
    inner: D,
}

impl<D: VideoDetector> OnVideo<D> {
    /// `inner`, as the detector named `name`.
    pub fn new(name: &str, inner: D) -> Self {
        OnVideo {
            name: name.to_string(),
            stream: StreamLock::default(),
            inner,
        }
    }

    /// The wrapped detector.
    pub fn inner(&self) -> &D {
        &self.inner
    }
}

impl<D: VideoDetector> Detector for OnVideo<D> {
    fn name(&self) -> &str {
        &self.name
    }
    fn wants(&self) -> Wants {
        if self.inner.wants_notices() {
            Wants::VIDEO | Wants::NOTICES
        } else {
            Wants::VIDEO
        }
    }
    fn needs(&self) -> Needs {
        self.inner.needs()
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Video(f) if self.stream.accepts(f.stream()) => self.inner.picture(f, out),
            Media::Notice(n) if self.inner.wants_notices() => {
                self.inner.notice(n, self.stream.stream(), out)
            }
            _ => {}
        }
    }
    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.inner.discontinuity(at, out);
    }
    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.inner.finish(at, out);
    }
}

/// An [`AudioDetector`] as a [`Detector`]: named, locked onto the first audio stream it hears.
pub struct OnAudio<D> {
    name: String,
    stream: StreamLock,
    inner: D,
}

impl<D: AudioDetector> OnAudio<D> {
    /// `inner`, as the detector named `name`.
    pub fn new(name: &str, inner: D) -> Self {
        OnAudio {
            name: name.to_string(),
            stream: StreamLock::default(),
            inner,
        }
    }

    /// The wrapped detector.
    pub fn inner(&self) -> &D {
        &self.inner
    }
}

impl<D: AudioDetector> Detector for OnAudio<D> {
    fn name(&self) -> &str {
        &self.name
    }
    fn wants(&self) -> Wants {
        if self.inner.wants_notices() {
            Wants::AUDIO | Wants::NOTICES
        } else {
            Wants::AUDIO
        }
    }
    fn needs(&self) -> Needs {
        // no pictures
        Needs::NONE
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Audio(_) => {
                if let Some(f) = self.stream.audio(media) {
                    self.inner.sound(f, out)
                }
            }
            Media::Notice(n) if self.inner.wants_notices() => {
                self.inner.notice(n, self.stream.stream(), out)
            }
            _ => {}
        }
    }
    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.inner.discontinuity(at, out);
    }
    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.inner.finish(at, out);
    }
}
