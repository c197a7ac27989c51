//! The stream a detector analyses: the first of its kind it is given.

use crate::media::{AudioFrame, Media};

/// Locks a detector onto the first stream it sees (of the kind it asks for) and filters the
/// others out, so an input with several video or audio streams is analysed on one of each.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StreamLock(Option<usize>);

impl StreamLock {
    /// Whether `stream` is the locked one (locking onto it if none is yet).
    pub(crate) fn accepts(&mut self, stream: usize) -> bool {
        *self.0.get_or_insert(stream) == stream
    }

    /// The locked stream, once one was seen.
    pub(crate) fn stream(&self) -> Option<usize> {
        self.0
    }

    /// `media` if it is sound of the locked stream with at least one sample.
    pub(crate) fn audio<'a>(&mut self, media: &'a Media) -> Option<&'a AudioFrame> {
        match media {
            Media::Audio(f) if self.accepts(f.stream()) && f.samples_per_channel() > 0 => Some(f),
            _ => None,
        }
    }
}
