//! Detectors: the [`Detector`] trait, the reusable [`Events`] buffer they write into, the shared
//! [`SpanTracker`], the built-in detectors and the [`Registry`] that builds them from config.

mod builtin;
mod check;
pub(crate) use check::ConfigCheck;
mod events;
mod fork;
mod lock;
pub(crate) mod measure;
mod one_stream;
mod registry;
mod scte35;
mod span;
pub(crate) mod sync;
pub(crate) mod transport;

pub mod audio;
pub mod video;

pub use events::Events;
pub use one_stream::{AudioDetector, OnAudio, OnVideo, VideoDetector};
pub use registry::{DetectorConfig, Registry};
pub use scte35::{Scte35, Scte35Config};
pub use span::{SpanChange, SpanTracker};
pub use sync::{AvSync, SyncConfig, SyncPreset};
pub use transport::{Transport, TransportConfig};

use crate::media::{Media, MediaTime, Needs};

/// Which media a detector wants to see.
///
/// ```
/// use avqc::Wants;
/// let w = Wants::VIDEO | Wants::NOTICES;
/// assert!(w.video() && w.notices() && !w.audio());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Wants(u8);

impl Wants {
    /// Pictures.
    pub const VIDEO: Wants = Wants(1);
    /// Sound.
    pub const AUDIO: Wants = Wants(2);
    /// Decoder notices (decode errors, corrupt packets).
    pub const NOTICES: Wants = Wants(4);

    /// Wants pictures.
    pub fn video(self) -> bool {
        self.0 & 1 != 0
    }
    /// Wants sound.
    pub fn audio(self) -> bool {
        self.0 & 2 != 0
    }
    /// Wants decoder notices.
    pub fn notices(self) -> bool {
        self.0 & 4 != 0
    }
    /// Wants this item.
    pub fn accepts(self, media: &Media) -> bool {
        match media {
            Media::Video(_) => self.video(),
            Media::Audio(_) => self.audio(),
            Media::Notice(_) => self.notices(),
        }
    }
}

impl std::ops::BitOr for Wants {
    type Output = Wants;
    fn bitor(self, rhs: Wants) -> Wants {
        Wants(self.0 | rhs.0)
    }
}

/// A defect detector: sees the media it [wants](Detector::wants), one shared item at a time, and
/// writes events into a reused buffer.
///
/// The pipeline feeds a detector one item at a time from one of its detector threads; a
/// detector owns its state and needs no locking. It must close every interval it opened in [`finish`](Detector::finish).
///
/// ```
/// use avqc::{Detector, Events, Media, MediaTime, Wants, DefectKind, SpanTracker};
///
/// /// Flags pictures narrower than 100 pixels.
/// struct Narrow(SpanTracker);
/// impl Detector for Narrow {
///     fn name(&self) -> &str { "narrow" }
///     fn wants(&self) -> Wants { Wants::VIDEO }
///     fn process(&mut self, media: &Media, out: &mut Events) {
///         if let Media::Video(f) = media {
///             let until = f.time().add_secs(f.duration().unwrap_or(0.04));
///             if let Some(c) = self.0.observe(f.width() < 100, f.time(), until) {
///                 out.span(&DefectKind::new("video_narrow"), c, f.time(), Default::default());
///             }
///         }
///     }
///     fn finish(&mut self, at: MediaTime, out: &mut Events) {
///         if let Some(c) = self.0.close() {
///             out.span(&DefectKind::new("video_narrow"), c, at, Default::default());
///         }
///     }
/// }
/// let d: Box<dyn Detector> = Box::new(Narrow(SpanTracker::new(0.0, 0.0)));
/// assert_eq!(d.name(), "narrow");
/// ```
pub trait Detector: Send {
    /// The detector's name (the `detector` field of its events).
    fn name(&self) -> &str;
    /// The media it wants.
    fn wants(&self) -> Wants;
    /// What it needs from the pictures, if it wants any. Default [`Needs::ALL`]; a detector
    /// that only reads levels can declare less, and when no detector of a pipeline needs a
    /// part of the decode, the decoder may skip it.
    fn needs(&self) -> Needs {
        Needs::ALL
    }
    /// Looks at one item; writes any events into `out`.
    fn process(&mut self, media: &Media, out: &mut Events);
    /// The timeline jumped at `at` (timestamps were bridged): history before it should not be
    /// compared with what follows. The default does nothing.
    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {}
    /// The input ended at `at` (or the pipeline stopped): close every open interval.
    fn finish(&mut self, at: MediaTime, out: &mut Events);
    /// A fresh instance with the same config, for another stream of the kind it analyses.
    ///
    /// A detector that wants only pictures (or only sound) judges one stream; when the input
    /// has several video streams (or audio tracks), the pipeline gives each further stream its
    /// own instance made by this, and stamps each instance's events with its `track`. The
    /// default, `None`, keeps one instance, which sees every stream of its kind (the
    /// [`OnVideo`] / [`OnAudio`] scaffolding then keeps to the first). Detectors built by a
    /// [`Registry`] can always be forked. Detectors of several kinds at once (A/V sync) are
    /// never forked.
    fn fork(&self) -> Option<Box<dyn Detector>> {
        None
    }
    /// Whether it judges one stream (then each further stream of its kind gets an instance
    /// of its own, by [`fork`](Self::fork)). Default: when it wants pictures or sound but not
    /// both. A detector that compares the streams of one kind (audio tracks with each other)
    /// says `false`, and sees them all.
    fn per_stream(&self) -> bool {
        let w = self.wants();
        w.video() != w.audio()
    }
}
